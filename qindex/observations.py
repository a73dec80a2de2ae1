"""Observations: read the tables analysts really get, validate every cell, assemble the panel.

Files may be CSV or XLSX, in UTF-8, UTF-8 with BOM or GB18030/GBK; headers in Chinese or English; long
(one row per value) or wide (years as columns, possibly under merged header rows). Every problem in a file is
reported at once, with file, line (or sheet and row), column, value and what was expected.

Example
-------
>>> read_observations(paths.OBSERVATIONS / "gongshu.csv").value.tolist()
[3.7, 4.0]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, Problem
from qindex.sheets import (
    HEADERS,
    SKIP_ROWS,
    YEAR_RANGE,
    Grid,
    column_letter,
    find_header,
    label_cell,
    normalise_text,
    parse_value,
    parse_year,
    read_sheet,
    regular_file,
    stated_date,
)
from qindex.units import canonical, conversion_factor

#: Columns of a validated observations frame.
COLUMNS = [
    "jurisdiction_id",
    "indicator_id",
    "year",
    "value",
    "unit",
    "source",
    "quote",
    "flag",
    "note",
    "file",
    "line",
    "origin",
    "sheet",
    "cell",
    "other_sources",
    "stated",  # the date the file states (填报日期), YYYY-MM-DD or ""
]
#: Where a value comes from: a publication, the office's own statistics, a computation from published
#: figures, or the generated example.
ORIGINS = {
    "published": "公开发布",
    "office": "内部数据",
    "derived": "推算",
    "synthetic": "示例(合成)",
}
REQUIRED = ["jurisdiction_id", "indicator_id", "year", "value"]
#: Flags an observation may carry (several are joined with ";").
FLAGS = {
    "lower_bound": 'the source gives a lower bound ("99%以上")',
    "provisional": "preliminary or estimated value, or not a year-end value",
    "derived": "computed from a stated value and a stated change; the formula is in `note`",
    "low_confidence": "source of doubtful quality",
    "definition_change": "definition differs from the indicator's standard one; see `note`",
    "series_break": "not comparable with earlier years",
    "cumulative": "a stock counted since some start, as of the year",
    "flow": "what was added in the year (awards given, units built): a flow, not a stock",
    "unconfirmed": "which definition the value is on is not confirmed; shown as context, never scored",
}
#: Chinese words for flags, as the template's 标记 column offers them.
FLAG_WORDS = {
    "累计值": "cumulative",
    "当年新增": "flow",
    "初步数": "provisional",
    "下限(以上)": "lower_bound",
    "口径不同": "definition_change",
    "口径待确认": "unconfirmed",
}


# ------------------------------------------------------------------ parsing single cells


# ------------------------------------------------------------------ reading files into cells


# ------------------------------------------------------------------ public API


def read_observations(
    path: Path | str,
    encoding: str | None = None,
    sheet: str | int | None = None,
    source: str | None = None,
    resolve: Sequence[str] | None = None,
    catalog: Catalog | None = None,
    jurisdiction: str | None = None,
    origin: str = "published",
    notes: list[Problem] | None = None,
    settle: bool = True,
) -> pd.DataFrame:
    """Read, clean and validate one observations file, or every CSV/XLSX file in a folder.

    Parameters
    ----------
    path : a .csv/.xlsx file or a folder of them (read in name order).
    encoding : the text encoding of CSV files; by default UTF-8 (with or without BOM), then GB18030 (which
        also reads GBK and GB2312).
    sheet : Excel sheet name or index (default: the first).
    source : the source for every row of a file that has no source column. A file without sources is an
        error otherwise: every value needs one.
    resolve : rules for conflicting values of one (jurisdiction, indicator, year); see :func:`resolve_conflicts`.
        Without a rule a conflict is an error.
    catalog : the catalogue to validate ids against (default: the shipped one).
    jurisdiction : the place (id or name) of every row of a file without a 地区 column and without a 地区
        cell above its header (a district's own table).
    origin : ``published`` (default; rows flagged ``derived`` become ``derived``), ``office`` or
        ``synthetic``: recorded on every row.
    notes : a list that receives the rows skipped on purpose (合计/小计 totals, 注 footnotes).
    settle : ``False`` keeps every reading, conflicts included (:func:`load_panel` settles them by
        ``data/raw/precedence.yaml``).

    Returns
    -------
    DataFrame
        ``jurisdiction_id, indicator_id, year (int), value (float, in the indicator's unit), unit, source,
        quote, flag, note, file, line``; plus ``resolution`` when conflicts were resolved. Cells marked as
        missing ("—", "…", empty) give no row.

    Raises
    ------
    ObservationError
        every problem found, each with file, line/row, column, value and what was expected.

    Example
    -------
    >>> read_observations(paths.OBSERVATIONS / "gongshu.csv").value.tolist()
    [3.7, 4.0]
    """
    path = Path(path)
    cat = catalog or load_catalog()
    problems = Problems()
    if path.is_dir():
        named = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".xlsm"))
        files = [p for p in named if regular_file(p, problems)]
        if not named:
            problems.append(
                Problem(str(path), None, None, None, "a folder holding .csv or .xlsx files")
            )
    elif regular_file(path, problems):
        files = [path]
    else:
        files = []
    if origin not in ORIGINS:
        raise ObservationError(
            [Problem("read_observations", None, "origin", origin, f"one of {list(ORIGINS)}")]
        )
    options = {"jurisdiction": jurisdiction, "origin": origin, "notes": notes}
    frames = [_read_one_safely(f, encoding, sheet, source, cat, problems, **options) for f in files]
    frame = pd.concat([f for f in frames if f is not None] or [empty_frame()], ignore_index=True)
    _check_duplicates(frame, problems)
    problems.raise_if_any(ObservationError)
    if not settle:
        return frame.assign(resolution="")
    return resolve_conflicts(frame, resolve or ())


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    frame["line"] = frame["line"].astype("int64")
    return frame


def _read_one_safely(
    path, encoding, sheet, source, cat, problems, **options
) -> pd.DataFrame | None:
    """:func:`_read_one`, with a file that cannot be read reported as a problem instead of a crash."""
    try:
        return _read_one(path, encoding, sheet, source, cat, problems, **options)
    except csv.Error as exc:
        problems.append(Problem(str(path), None, None, None, f"readable CSV text ({exc})"))
    except OSError as exc:
        problems.append(
            Problem(str(path), None, None, None, f"a readable file ({exc.strerror or exc})")
        )
    return None


def _read_one(
    path, encoding, sheet, source, cat: Catalog, problems, **options
) -> pd.DataFrame | None:
    grid = read_sheet(path, encoding, sheet, problems)
    if grid is None:
        return None
    return read_grid(grid, cat, problems, source=source, **options)


def read_grid(
    grid: Grid,
    cat: Catalog,
    problems: Problems,
    source: str | None = None,
    jurisdiction: str | None = None,
    origin: str = "published",
    notes: list[Problem] | None = None,
) -> pd.DataFrame | None:
    """Observations of one sheet or text file; problems are appended to ``problems``, rows skipped on purpose
    (totals, footnotes) to ``notes``."""
    header_at, meaning = find_header(grid)
    label = grid.where(0)[0]
    if header_at < 0:
        problems.append(
            Problem(
                label,
                None,
                None,
                None,
                "a header row naming the columns (地区/jurisdiction, 指标/indicator, 年份/year, 数值/value …)",
            )
        )
        return None
    header_line = grid.where(header_at)[1]
    year_cols = [j for j, m in enumerate(meaning) if isinstance(m, int)]
    named: dict[str, int] = {}
    for j, m in enumerate(meaning):
        if isinstance(m, str) and m in named:
            problems.append(
                Problem(
                    label,
                    header_line,
                    str(grid.rows[header_at][j]),
                    None,
                    f"one column for '{m}' (column {named[m] + 1} "
                    f"'{grid.rows[header_at][named[m]]}' means the same)",
                )
            )
        elif isinstance(m, str):
            named[m] = j
    if len(named) != sum(isinstance(m, str) for m in meaning):
        return None
    width = len(grid.rows[header_at])
    _numbers_without_header(grid, header_at, meaning, problems)
    stated = stated_date(label_cell(grid, header_at, "stated"))
    # the place: a column, else a 地区 cell above the header, else the caller's jurisdiction=
    place = "" if "jurisdiction_id" in named else label_cell(grid, header_at, "jurisdiction_id")
    place = place or (jurisdiction or "")
    missing = []
    if "jurisdiction_id" not in named and not place:
        missing.append(
            Problem(
                label,
                header_line,
                "jurisdiction_id",
                None,
                "a 地区 column, a 地区 cell above the header (地区 | 拱墅区), or jurisdiction=... "
                "(qindex office check --place 拱墅区)",
            )
        )
    if "indicator_id" not in named and "indicator_name" not in named:
        missing.append(Problem(label, header_line, "指标", None, "a column 指标 (or indicator_id)"))
    for col in [] if year_cols else ["year", "value"]:
        if col not in named:
            missing.append(
                Problem(
                    label,
                    header_line,
                    col,
                    None,
                    f"a column '{col}' (or {', '.join(HEADERS[col][1:3])}), or years as columns",
                )
            )
    if source is None and "source" not in named:
        missing.append(
            Problem(
                label,
                header_line,
                "source",
                None,
                "a source column (数据来源), or read_observations(..., source=...)",
            )
        )
    if missing:
        problems.extend(missing)
        return None
    first_key = min(
        named[k] for k in ("indicator_name", "indicator_id", "jurisdiction_id") if k in named
    )

    records = []
    for i in range(header_at + 1, len(grid.rows)):
        row = grid.rows[i]
        if not any(normalise_text(c) for c in row):
            continue
        _, line = grid.where(i)
        # a text row with more or fewer fields than the header is cut or shifted: never guess its values
        if not grid.excel and len(row) != width:
            problems.append(
                Problem(label, line, None, f"{len(row)} fields", f"{width} fields as in the header")
            )
            continue
        lead = next((normalise_text(c) for c in row[: first_key + 1] if normalise_text(c)), "")
        if not lead:  # a footnote written in the first column only ("注:…" left of the header)
            lead = next((normalise_text(c) for c in row if normalise_text(c)), "")
        if SKIP_ROWS.match(re.sub(r"\s+", "", lead)):
            if notes is not None:
                notes.append(
                    Problem(label, line, None, lead[:20], "data; skipped as a total or note row")
                )
            continue

        def cell(col, row=row):
            j = named.get(col)
            return row[j] if j is not None and j < len(row) else None

        base = {c: normalise_text(cell(c)) for c in ("unit", "source", "quote", "flag", "note")}
        if source is not None and not base["source"]:
            base["source"] = source
        base["stated"] = stated
        pairs = (
            [(cell("year"), cell("value"), "year", "value", named["value"])]
            if not year_cols
            else [
                (meaning[j], row[j] if j < len(row) else None, str(meaning[j]), str(meaning[j]), j)
                for j in year_cols
            ]
        )
        for year_cell, value_cell, year_col, value_col, j in pairs:
            ref = f"{column_letter(j)}{line}" if grid.excel else ""
            shown_col = f"{value_col}, cell {ref}" if ref else value_col
            value, sign, ok = parse_value(value_cell)
            if not ok:
                problems.append(
                    Problem(
                        label,
                        line,
                        shown_col,
                        normalise_text(value_cell),
                        "a number (or —, … for missing)",
                    )
                )
                continue
            if value is None:
                continue
            year = (
                year_cell
                if isinstance(year_cell, int)
                and not isinstance(year_cell, bool)
                and YEAR_RANGE[0] <= year_cell <= YEAR_RANGE[1]
                else parse_year(year_cell)
            )
            if year is None:
                problems.append(
                    Problem(
                        label,
                        line,
                        year_col,
                        normalise_text(year_cell),
                        f"a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}",
                    )
                )
                continue
            records.append(
                {
                    **base,
                    "jurisdiction_id": normalise_text(cell("jurisdiction_id")) or place,
                    "indicator_id": normalise_text(cell("indicator_id")),
                    "indicator_name": normalise_text(cell("indicator_name")),
                    "year": year,
                    "value": value,
                    "sign": sign,
                    "value_col": shown_col,
                    "file": label,
                    "line": line,
                    "sheet": grid.sheet or "",
                    "cell": ref,
                }
            )
    return _validate_rows(records, cat, problems, origin)


def _numbers_without_header(grid: Grid, header_at: int, meaning: list, problems: Problems) -> None:
    """Numbers in a column whose header cell is empty are a problem, not ignored: typically a year header merged
    over several columns, which leaves every column but the first without its year."""
    label, line = grid.where(header_at)
    header = grid.rows[header_at]
    for j, m in enumerate(meaning):
        if m is not None or normalise_text(header[j] if j < len(header) else None):
            continue
        for i in range(header_at + 1, len(grid.rows)):
            row = grid.rows[i]
            lead = next((normalise_text(c) for c in row if normalise_text(c)), "")
            if j < len(row) and not SKIP_ROWS.match(lead) and parse_value(row[j])[0] is not None:
                where = column_letter(j) if grid.excel else str(j + 1)
                problems.append(
                    Problem(
                        label,
                        line,
                        f"column {where}",
                        None,
                        "a header above every column holding numbers (a year header merged over several "
                        "columns? give each year its own cell)",
                    )
                )
                break


def _validate_rows(
    records: list[dict], cat: Catalog, problems: Problems, origin: str = "published"
) -> pd.DataFrame:
    jur = cat.jurisdictions
    ind = cat.indicators.set_index("indicator_id")
    jur_ids = set(jur.jurisdiction_id)
    jur_by_name = place_names(cat)
    ind_by_name = indicator_names(cat)
    ind_units = dict(zip(ind.index, ind.unit, strict=True))
    out = []
    for r in records:
        bad = False
        j = r["jurisdiction_id"]
        j = (
            j
            if j in jur_ids
            else jur_by_name.get(re.sub(r"\s+", "", j.removesuffix("(comparator)")), j)
        )
        if j not in jur_ids:
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    "jurisdiction_id",
                    j,
                    f"an id or name from jurisdictions.csv{_closest_place(j, cat)}",
                )
            )
            bad = True
        k, name = r["indicator_id"], r.get("indicator_name", "")
        k = k if k in ind.index else find_indicator(k, ind_by_name, ind_units) or k
        if not k:  # only a name column: the name (or an id written in it) is the indicator
            k = name if name in ind.index else find_indicator(name, ind_by_name, ind_units) or name
        elif name and k in ind.index and (find_indicator(name, ind_by_name, ind_units) or k) != k:
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    "指标",
                    name,
                    f"the name of '{k}' ({ind.at[k, 'name_zh']}), as in the hidden id column; "
                    "a row moved between two templates?",
                )
            )
            bad = True
        if k not in ind.index:
            hint = _closest_indicator(k, r["unit"] or r["sign"], cat)
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    "indicator_id",
                    k,
                    f"an id or name from indicators.csv{hint}",
                )
            )
            bad = True
        if not r["source"]:
            problems.append(Problem(r["file"], r["line"], "source", "", "the source of the value"))
            bad = True
        flags = [
            FLAG_WORDS.get(f.strip(), f.strip())
            for f in re.split(r"[;、,]", r["flag"])
            if f.strip()
        ]
        for f in flags:
            if not problems.one_of(
                r["line"], "flag", f.strip(), sorted(FLAGS), file=r["file"], shown=f
            ):
                bad = True
        if bad:
            continue
        meta = ind.loc[k]
        given = r["unit"] or r["sign"] or meta.unit
        if r["unit"] and r["sign"] and canonical(r["unit"]) != canonical(r["sign"]):
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    r["value_col"],
                    f"{r['value']}{r['sign']}",
                    f"no sign, or the unit '{r['unit']}' of the unit column",
                )
            )
            continue
        factor = conversion_factor(given, meta.unit)
        if factor is None:
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    "unit",
                    given,
                    f"a unit convertible to '{meta.unit}', the unit of '{k}'",
                )
            )
            continue
        value = r["value"] * factor
        lo, hi = meta.lower_limit, meta.upper_limit
        if (pd.notna(lo) and value < lo) or (pd.notna(hi) and value > hi):
            shown = f"{r['value']:g} {given}" + (
                f" (= {value:g} {meta.unit})" if factor != 1 else ""
            )
            problems.append(
                Problem(
                    r["file"],
                    r["line"],
                    r["value_col"],
                    shown,
                    f"a value within the natural limits [{lo:g}, {hi:g}] of '{k}'",
                )
            )
            continue
        out.append(
            {
                "jurisdiction_id": j,
                "indicator_id": k,
                "year": r["year"],
                "value": value,
                "unit": meta.unit,
                "source": r["source"],
                "quote": r["quote"],
                "flag": ";".join(f.strip() for f in flags),
                "note": r["note"],
                "file": r["file"],
                "line": r["line"],
                "origin": "derived" if origin == "published" and "derived" in flags else origin,
                "sheet": r.get("sheet", ""),
                "cell": r.get("cell", ""),
                "other_sources": "",
                "stated": r.get("stated", ""),
            }
        )
    if not out:
        return empty_frame()
    frame = pd.DataFrame.from_records(out, columns=COLUMNS)
    return frame.astype({"year": "int64", "value": float, "line": "int64"})


def place_names(cat: Catalog) -> dict[str, str]:
    """Names a place is written by, mapped to its id: its name (拱墅区), and its name after its parent's
    (杭州市拱墅区, 浙江省杭州市), as bureau tables write them."""
    jur = cat.jurisdictions
    names = dict(zip(jur.name_zh, jur.jurisdiction_id, strict=True))
    by_id = dict(zip(jur.jurisdiction_id, jur.name_zh, strict=True))
    for row in jur.itertuples():
        parent = by_id.get(row.parent_id) if isinstance(row.parent_id, str) else None
        if parent and parent != "全国":
            names.setdefault(parent + row.name_zh, row.jurisdiction_id)
    return names


def _closest_place(value: str, cat: Catalog) -> str:
    """A "did you mean" that never crosses levels: a name inside the given one (杭州市 in 杭州市拱墅区) is a
    larger place, not a spelling of it."""
    names = place_names(cat)
    choices = [
        c for c in [*cat.jurisdictions.jurisdiction_id, *names] if not (c in value and c != value)
    ]
    return closest(value, choices)


def _implied_unit(name: str) -> str | None:
    if re.search(r"(率|比重|占比|比例|份额)$", name):
        return "%"
    if name.endswith("天数"):
        return "天"
    return None


def indicator_names(cat: Catalog) -> dict[str, str]:
    """Every name an indicator is written by, mapped to its id: its Chinese name and the wordings in its
    ``aliases`` (the plans' own words, ";"-joined; the catalogue refuses an alias two indicators share)."""
    ind = cat.indicators
    names = dict(zip(ind.name_zh, ind.indicator_id, strict=True))
    if "aliases" in ind.columns:
        for k, aliases in zip(ind.indicator_id, ind.aliases.fillna(""), strict=True):
            for alias in filter(None, (a.strip() for a in str(aliases).split(";"))):
                names.setdefault(alias, k)
    return names


#: A unit written after an indicator's name in an office's table: "(%)", "（件）", "(单位:万元)".
_UNIT_SUFFIX = re.compile(r"\s*[(（](?:单位[:：])?\s*([^()（）]{1,12})\s*[)）]\s*$")
#: Abbreviations offices write, and their full forms in the catalogue's names.
_ABBREVIATIONS = (("规上", "规模以上"), ("规模以上", "规上"))


def find_indicator(
    name: str, names: dict[str, str], units: dict[str, str] | None = None
) -> str | None:
    """The id of the indicator ``name`` names: as written, with 规上 written out (and the other way round), or
    without a unit suffix ("合格率(%)", "（件）") when that unit converts to the indicator's (``units``: id →
    unit); ``None`` when none matches."""
    name = re.sub(r"\s+", "", str(name or ""))
    if not name:
        return None
    forms = [name]
    for short, full in _ABBREVIATIONS:
        forms += [f.replace(short, full) for f in list(forms) if short in f]
    found = next((names[f] for f in forms if f in names), None)
    m = _UNIT_SUFFIX.search(name)
    if found or not m:
        return found
    found = find_indicator(name[: m.start()], names)
    if found and (units is None or conversion_factor(m.group(1), units.get(found, "")) is not None):
        return found
    return None


def _closest_indicator(value: str, unit: str | None, cat: Catalog) -> str:
    """A "did you mean" among indicators whose unit the value could be in (空气质量优良率 is a share, so never
    空气质量优良天数)."""
    ind = cat.indicators
    unit = unit or _implied_unit(value)
    if unit:
        ind = ind[[conversion_factor(unit, u) is not None for u in ind.unit]]
    return closest(value, [*ind.indicator_id, *ind.name_zh])


def _check_duplicates(frame: pd.DataFrame, problems: list[Problem]) -> None:
    """The same value from the same source twice is a duplicate row (an error, never dropped silently)."""
    key = ["jurisdiction_id", "indicator_id", "year", "value", "source", "flag"]
    seen: dict[tuple, tuple[str, int]] = {}
    for row in frame.itertuples(index=False):
        k = tuple(getattr(row, c) for c in key)
        if k in seen:
            f, line = seen[k]
            where = f"line {line}" if f == row.file else f"{f}, line {line}"
            problems.append(
                Problem(
                    row.file,
                    row.line,
                    "value",
                    row.value,
                    f"no duplicate of {where} (same place, indicator, year, value and source)",
                )
            )
        else:
            seen[k] = (row.file, row.line)


# ------------------------------------------------------------------ conflicts

#: Resolution rules, in the order given by the caller.
RULES = {
    "standard_definition": "keep values on the indicator's standard definition over values flagged "
    "definition_change, low_confidence, provisional or derived",
    "latest_file": "keep the value from the file whose stated date (填报日期) is the latest",
}
_DEMOTING_FLAGS = ("definition_change", "low_confidence", "provisional", "derived")


def conflicts(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose (jurisdiction, indicator, year) has more than one distinct value."""
    key = ["jurisdiction_id", "indicator_id", "year"]
    n = frame.groupby(key)["value"].transform("nunique")
    return frame[n > 1].sort_values(key)


def resolve_conflicts(
    frame: pd.DataFrame,
    rules: Sequence[str] = (),
    source_priority: Sequence[str] = (),
    hint: str | None = None,
) -> pd.DataFrame:
    """Settle conflicting values with explicit rules, recording the rule on each kept row.

    Parameters
    ----------
    hint : how to add a rule, for the message of a conflict left unresolved (default: the ``resolve=``
        argument of :func:`read_observations`).
    rules : applied in order until one value is left per (jurisdiction, indicator, year):
        ``"standard_definition"`` (see :data:`RULES`), ``"source_priority"`` (the first source in
        ``source_priority`` whose address occurs in the row's source wins), ``"latest_file"``.
    Returns
    -------
    DataFrame
        one row per (jurisdiction, indicator, year), with a ``resolution`` column saying, on each row kept
        from a conflict, which rule chose it and what it was chosen over. The rows set aside are in
        ``frame.attrs["set_aside"]`` (a list of records; ``pd.DataFrame(...)`` makes it a frame).

    Raises
    ------
    ObservationError
        naming each conflict left unresolved, with the files and lines of both values.
    """
    unknown = [r for r in rules if r not in (*RULES, "source_priority")]
    if unknown:
        raise ObservationError(
            [
                Problem("resolve", None, None, r, f"one of {[*RULES, 'source_priority']}")
                for r in unknown
            ]
        )
    out = frame.copy()
    out["resolution"] = ""
    clash = conflicts(out)
    if clash.empty:
        out.attrs["set_aside"] = []
        return out
    key = ["jurisdiction_id", "indicator_id", "year"]
    drop: list[int] = []
    problems = Problems()
    undated: list = []  # conflicts latest_file could not settle: a file states no 填报日期
    for _, group in clash.groupby(key):
        alive = group
        used = []
        for rule in rules:
            if alive.value.nunique() <= 1:
                break
            if rule == "standard_definition":
                demoted = alive.flag.apply(
                    lambda f: any(d in f.split(";") for d in _DEMOTING_FLAGS)
                )
                keep = alive[~demoted] if (~demoted).any() else alive
            elif rule == "source_priority":
                rank = alive.source.apply(
                    lambda s: next(
                        (i for i, p in enumerate(source_priority) if p in s), len(source_priority)
                    )
                )
                keep = alive[rank == rank.min()]
            else:  # latest_file: by the date each file states, never by its name
                dates = alive["stated"].fillna("") if "stated" in alive else alive.file.map(str)
                keep = alive if (dates == "").any() else alive[dates == dates.max()]
                if (dates == "").any():
                    undated.append(group)
            if len(keep) < len(alive):
                used.append(rule)
            alive = keep
        if alive.value.nunique() > 1:
            first, *others = alive.itertuples()
            for o in others:
                problems.append(
                    Problem(
                        o.file,
                        o.line,
                        "value",
                        o.value,
                        f"the same value as {first.file}, line {first.line} ({first.value:g}) for "
                        f"{o.jurisdiction_id}/{o.indicator_id}/{o.year}, or a resolution rule "
                        + (
                            hint
                            or "(read_observations(..., resolve=[...]); rules: "
                            f"{[*RULES, 'source_priority']})"
                        )
                        + (
                            "; latest_file needs the 填报日期 each file states (a 填报日期 cell "
                            "above the header, as in the template)"
                            if undated and undated[-1] is group
                            else ""
                        ),
                    )
                )
            continue
        gone = group.index.difference(alive.index)
        drop += list(gone)
        summary = "; ".join(
            f"{frame.at[i, 'value']:g} ({frame.at[i, 'file']}, line {frame.at[i, 'line']})"
            for i in gone
        )
        out.loc[alive.index, "resolution"] = f"chosen by {' then '.join(used)} over {summary}"
    problems.raise_if_any(ObservationError)
    set_aside = out.loc[drop].to_dict("records")
    out = out.drop(index=drop).reset_index(drop=True)
    out.attrs["set_aside"] = set_aside
    return out


# ------------------------------------------------------------------ the shipped panel


def load_published(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """The published observations (``data/raw/observations/``), validated, one row per reading (not yet
    settled against each other: see :func:`load_panel`)."""
    raw = (Path(raw_dir) if raw_dir is not None else paths.DATA_RAW).resolve()
    out = _load_published_cached(raw, paths.file_stamp(raw / "observations"))
    return out.copy()


@lru_cache(maxsize=4)
def _load_published_cached(raw: Path, stamp) -> pd.DataFrame:
    return read_observations(raw / "observations", catalog=load_catalog(raw), settle=False)


#: Flags that keep a value out of every analysis: it is on another definition, or on one not confirmed.
#: Such values are shown as context only (progress reports them as 口径不一致 / 待核实).
OFF_DEFINITION_FLAGS = ("definition_change", "unconfirmed")


def off_definition_flag(flag) -> str | None:
    """The first :data:`OFF_DEFINITION_FLAGS` flag in a ";"-joined flag cell, or ``None``."""
    return next((f for f in str(flag).split(";") if f in OFF_DEFINITION_FLAGS), None)


def split_by_definition(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(on, off)``: the observations on their indicator's confirmed definition, and the others."""
    if "flag" not in panel.columns:
        return panel, panel.iloc[0:0]
    codes, uniques = pd.factorize(panel["flag"].fillna("").astype(str))
    off = np.array([off_definition_flag(u) is not None for u in uniques], dtype=bool)
    mask = off[codes] if len(uniques) else np.zeros(len(panel), dtype=bool)
    return panel[~mask], panel[mask]


def on_definition(panel: pd.DataFrame) -> pd.DataFrame:
    """The observations on their indicator's own, confirmed definition (see :func:`split_by_definition`)."""
    return split_by_definition(panel)[0]


def year_ranges(years: Iterable[int]) -> str:
    """Compact list of years: [2013, 2018, 2019, 2020] → "2013, 2018–2020"."""
    ys = sorted(set(int(y) for y in years))
    parts, start = [], None
    for i, y in enumerate(ys):
        if start is None:
            start = y
        if i + 1 == len(ys) or ys[i + 1] != y + 1:
            parts.append(str(start) if start == y else f"{start}–{y}")
            start = None
    return ", ".join(parts)
