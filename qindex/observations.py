"""Observations: read the tables analysts really get, validate every cell, assemble the panel.

Files may be CSV or XLSX, in UTF-8, UTF-8 with BOM or GB18030/GBK; headers in Chinese or English; long
(one row per value) or wide (years as columns, possibly under merged header rows). Every problem in a file is
reported at once, with file, line (or sheet and row), column, value and what was expected.

Example
-------
>>> from qindex.observations import series
>>> series("CN", "manufacturing_product_pass_rate").year.tolist()[:2]
[2017, 2020]
"""

from __future__ import annotations

import csv
import io
import math
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, closest, load_catalog
from qindex.errors import ObservationError, Problem
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
    "unconfirmed": "which definition the value is on is not confirmed; shown as context, never scored",
}
#: Chinese words for flags, as the template's 标记 column offers them.
FLAG_WORDS = {
    "累计值": "cumulative",
    "初步数": "provisional",
    "下限(以上)": "lower_bound",
    "口径不同": "definition_change",
    "口径待确认": "unconfirmed",
}
#: Header spellings, mapped to canonical columns (compared after NFKC, lower-case, no spaces).
HEADERS = {
    "jurisdiction_id": [
        "jurisdiction_id",
        "jurisdiction",
        "region",
        "地区",
        "地区代码",
        "行政区",
        "地区名称",
    ],
    "indicator_id": ["indicator_id", "indicator", "指标代码"],
    # a name column; used as the indicator when no id column is given, else checked against the id
    "indicator_name": ["指标", "指标名称", "指标名"],
    "year": ["year", "年份", "年度", "年"],
    "value": ["value", "数值", "值", "数据"],
    "unit": ["unit", "单位", "计量单位"],
    "source": [
        "source",
        "来源",
        "数据来源",
        "出处",
        "数据来源/文号",
        "来源/文号",
        "数据来源及文号",
    ],
    "quote": ["quote", "原文", "引文", "原文摘录"],
    "flag": ["flag", "flags", "标记"],
    "note": ["note", "notes", "备注", "说明"],
}
_HEADER_LOOKUP = {
    re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).lower(): col
    for col, spellings in HEADERS.items()
    for s in spellings
}
#: Cells that mean "no value" in Chinese government tables.
MISSING = {
    "",
    "-",
    "--",
    "—",
    "——",
    "–",
    "…",
    "……",
    "...",
    "/",
    "na",
    "n/a",
    "nan",
    "none",
    "无",
    "空",
}
ENCODINGS = ("utf-8-sig", "gb18030")
#: First cells of rows that are not data: totals and footnotes, skipped with a note.
SKIP_ROWS = re.compile(
    r"^(合计|总计|小计|全区合计|全市合计|总计数|注|注\d|备注|说明|填表说明|资料来源)([::、\d].*)?$"
)
#: Years accepted as observation years.
YEAR_RANGE = (1949, 2100)


# ------------------------------------------------------------------ parsing single cells


def normalise_text(value) -> str:
    """Cell as text: full-width characters folded (NFKC), surrounding space removed, ``None`` → ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_value(text) -> tuple[float | None, str | None, bool]:
    """Parse a number as written in a Chinese table.

    Returns ``(value, unit_from_sign, ok)``: ``value`` is ``None`` for a missing marker ("—", "…", empty);
    ``unit_from_sign`` is "%" or "‰" when the number carried the sign; ``ok`` is False when the cell is
    neither a number nor a missing marker.

    Example
    -------
    >>> parse_value("９６．５％")
    (96.5, '%', True)
    >>> parse_value("1,234.5")
    (1234.5, None, True)
    >>> parse_value("—")
    (None, None, True)
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        if isinstance(text, float) and math.isnan(text):  # an empty Excel cell
            return None, None, True
        return (float(text), None, True) if math.isfinite(text) else (None, None, False)
    s = normalise_text(text)
    if s.lower() in MISSING:
        return None, None, True
    sign = None
    if s.endswith(("%", "‰")):
        sign, s = s[-1], s[:-1].strip()
    # thousands separators only between digit groups ("1,234.5"); "9 5", "1_000", "inf", "nan" are not numbers
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        return None, None, False
    value = float(s)
    return (value, sign, True) if math.isfinite(value) else (None, None, False)


def parse_year(text) -> int | None:
    """A year from "2022", "2022年", "2022.0" or 2022; ``None`` when it is not a year."""
    s = normalise_text(text).removesuffix("年").removesuffix("年度").strip()
    if re.fullmatch(r"\d{4}(\.0+)?", s):
        year = int(float(s))
        if YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            return year
    return None


def _header_key(text) -> str | None:
    s = re.sub(r"\s+", "", normalise_text(text)).lower()
    return _HEADER_LOOKUP.get(s)


# ------------------------------------------------------------------ reading files into cells


class _Grid:
    """A file's cells as text, with a function that names a cell's location for messages."""

    def __init__(self, label: str, rows: list[list], excel: bool, sheet: str | None = None):
        self.label = label
        self.rows = rows
        self.excel = excel
        self.sheet = sheet

    def where(self, row_index: int) -> tuple[str, int]:
        """(file label, line or row number as the user sees it) for ``rows[row_index]``."""
        label = f"{self.label}, sheet '{self.sheet}'" if self.sheet else self.label
        return label, row_index + 1


def _read_grid(path: Path, encoding: str | None, sheet, problems: list[Problem]) -> _Grid | None:
    label = paths.relative(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            grids = _excel_grids(path, label, [sheet if sheet is not None else 0])
        except KeyError as exc:  # a sheet that does not exist
            problems.append(Problem(label, None, None, sheet, f"a readable Excel sheet ({exc})"))
            return None
        except Exception as exc:  # openpyxl raises many types for a damaged file
            problems.append(
                Problem(label, None, None, None, f"an .xlsx workbook ({type(exc).__name__}: {exc})")
            )
            return None
        return grids[0]
    if suffix not in (".csv", ".txt", ".tsv"):
        problems.append(Problem(label, None, None, path.suffix, "a .csv or .xlsx file"))
        return None
    return _csv_grid(path, encoding, problems)


def _csv_grid(path: Path, encoding: str | None, problems: list[Problem]) -> _Grid | None:
    label = paths.relative(path)
    data = path.read_bytes()
    text = decode(data, encoding)
    if text is None:
        tried = encoding or " or ".join(ENCODINGS)
        problems.append(Problem(label, None, None, None, f"text in {tried}"))
        return None
    text = text.removeprefix("\ufeff")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _Grid(label, rows, excel=False)


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that a Chinese statistical table would hold (CJK ideographs, CJK and
    full-width punctuation, common unit symbols)."""
    extra = [ch for ch in text if ord(ch) > 127]
    if not extra:
        return 1.0
    ok = sum(
        "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2150" <= ch <= "\u218f"  # Roman numerals (Ⅲ类)
        or ch in "µμ³²‰·—–…“”‘’\ufeff"
        for ch in extra
    )
    return ok / len(extra)


def decode(data: bytes, encoding: str | None = None) -> str | None:
    """Text of a CSV: in ``encoding`` if named; otherwise the most plausible of UTF-8 (with or without BOM) and
    GB18030. Both can decode the same bytes (GB18030 "统" is UTF-8 "ͳ"), so the reading whose non-ASCII
    characters look like Chinese table text wins; UTF-8 on a tie. ``None`` if nothing decodes."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            return None
    readings = []
    for enc in ENCODINGS:
        try:
            readings.append(data.decode(enc))
        except UnicodeDecodeError:
            continue
    if not readings:
        return None
    return max(readings, key=_plausibility)  # max keeps the first (UTF-8) on a tie


def _excel_grids(path: Path, label: str, sheets: list | None = None) -> list[_Grid]:
    """Cells of the named sheets (names or indexes; ``None``: every sheet), row 1 first, as openpyxl reads them.

    A number shown as a percentage in Excel (a cell where "96.5%" was typed holds 0.965 formatted "0.0%")
    comes back as the text "96.5%", which is what the user typed and what :func:`parse_value` reads. Empty
    cells are ``None``; merged cells hold their value in the top-left cell only.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb.sheetnames
        wanted = (
            names if sheets is None else [s if isinstance(s, str) else names[s] for s in sheets]
        )
        grids = []
        for name in wanted:
            ws = wb[name]
            rows = []
            for row in ws.iter_rows(min_row=1, min_col=1):
                rows.append([_excel_value(c) for c in row])
            width = max((len(r) for r in rows), default=0)
            rows = [r + [None] * (width - len(r)) for r in rows]
            # trailing empty rows carry nothing
            while rows and not any(v is not None and str(v).strip() for v in rows[-1]):
                rows.pop()
            grids.append(_Grid(label, rows, excel=True, sheet=name))
        return grids
    finally:
        wb.close()


def _excel_value(cell):
    value = getattr(cell, "value", None)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and "%" in str(getattr(cell, "number_format", "") or ""):
        return f"{round(value * 100, 9)!r}%".replace(".0%", "%")
    return value


def _find_header(grid: _Grid) -> tuple[int, list[str | int | None]]:
    """Index of the header row and the meaning of each column: a canonical name, a year, or None.

    A header row either names at least two known columns itself, or holds nothing but known names and
    years (the lower row of a merged header). Its empty cells take the text of the nearest non-empty cell
    above them, which is how merged header cells arrive from Excel. The last such row among the first 15
    is the header.
    """
    best, best_meaning = -1, []
    for i, row in enumerate(grid.rows[:15]):
        own = [c for c in row if normalise_text(c)]
        own_keys = sum(_header_key(c) is not None for c in own)
        only_headers = own and all(
            _header_key(c) is not None or parse_year(c) is not None for c in own
        )
        if own_keys < 2 and not only_headers:
            continue
        meaning = _row_meaning(grid, i)
        keys = sum(isinstance(m, str) for m in meaning)
        years = sum(isinstance(m, int) for m in meaning)
        if keys >= 2 or (keys >= 1 and years >= 1):
            best, best_meaning = i, meaning
    return best, best_meaning


def _row_meaning(grid: _Grid, i: int) -> list[str | int | None]:
    meaning: list[str | int | None] = []
    for j, cell in enumerate(grid.rows[i]):
        above = i
        while not normalise_text(cell) and above > 0:
            above -= 1
            cell = grid.rows[above][j] if j < len(grid.rows[above]) else None
        key, year = _header_key(cell), parse_year(cell)
        meaning.append(key if key is not None else year)
    return meaning


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
    problems: list[Problem] = []
    if path.is_dir():
        named = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".xlsm"))
        files = [p for p in named if _regular(p, problems)]
        if not named:
            problems.append(
                Problem(str(path), None, None, None, "a folder holding .csv or .xlsx files")
            )
    elif _regular(path, problems):
        files = [path]
    else:
        files = []
    if origin not in ORIGINS:
        raise ObservationError(
            [Problem("read_observations", None, "origin", origin, f"one of {list(ORIGINS)}")]
        )
    options = {"jurisdiction": jurisdiction, "origin": origin, "notes": notes}
    frames = [_read_one_safely(f, encoding, sheet, source, cat, problems, **options) for f in files]
    frame = pd.concat([f for f in frames if f is not None] or [_empty()], ignore_index=True)
    _check_duplicates(frame, problems)
    if problems:
        raise ObservationError(problems)
    if not settle:
        return frame.assign(resolution="")
    return resolve_conflicts(frame, resolve or ())


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    frame["line"] = frame["line"].astype("int64")
    return frame


def _regular(path: Path, problems: list[Problem]) -> bool:
    """Whether ``path`` is a regular file (not a folder, a FIFO that would block, a dangling or looping link)."""
    try:
        if stat.S_ISREG(path.stat().st_mode):
            return True
        what = "a folder" if path.is_dir() else "not a regular file"
    except FileNotFoundError:
        what = "missing (or a link to nothing)"
    except (OSError, RuntimeError) as exc:
        what = f"unreadable ({type(exc).__name__})"
    problems.append(Problem(str(path), None, None, what, "an existing .csv or .xlsx file"))
    return False


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
    grid = _read_grid(path, encoding, sheet, problems)
    if grid is None:
        return None
    return read_grid(grid, cat, problems, source=source, **options)


def _label_cell(grid: _Grid, upto: int, key: str) -> str:
    """The value written beside a label above the header ("地区 | 拱墅区" or "地区:拱墅区"), or ""."""
    for row in grid.rows[:upto]:
        for j, c in enumerate(row):
            text = normalise_text(c)
            label, sep, rest = text.partition(":")
            if _header_key(label) != key:
                continue
            if sep and rest.strip():
                return rest.strip()
            after = [normalise_text(x) for x in row[j + 1 :] if normalise_text(x)]
            if after:
                return after[0]
    return ""


def read_grid(
    grid: _Grid,
    cat: Catalog,
    problems: list[Problem],
    source: str | None = None,
    jurisdiction: str | None = None,
    origin: str = "published",
    notes: list[Problem] | None = None,
) -> pd.DataFrame | None:
    """Observations of one sheet or text file; problems are appended to ``problems``, rows skipped on purpose
    (totals, footnotes) to ``notes``."""
    header_at, meaning = _find_header(grid)
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
    # the place: a column, else a 地区 cell above the header, else the caller's jurisdiction=
    place = "" if "jurisdiction_id" in named else _label_cell(grid, header_at, "jurisdiction_id")
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
        pairs = (
            [(cell("year"), cell("value"), "year", "value", named["value"])]
            if not year_cols
            else [
                (meaning[j], row[j] if j < len(row) else None, str(meaning[j]), str(meaning[j]), j)
                for j in year_cols
            ]
        )
        for year_cell, value_cell, year_col, value_col, j in pairs:
            ref = f"{_column_letter(j)}{line}" if grid.excel else ""
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


def _column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _validate_rows(
    records: list[dict], cat: Catalog, problems: list[Problem], origin: str = "published"
) -> pd.DataFrame:
    jur = cat.jurisdictions
    ind = cat.indicators.set_index("indicator_id")
    jur_ids = set(jur.jurisdiction_id)
    jur_by_name = place_names(cat)
    ind_by_name = dict(zip(ind.name_zh, ind.index, strict=True))
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
        k = k if k in ind.index else ind_by_name.get(k, k)
        if not k:  # only a name column: the name (or an id written in it) is the indicator
            k = name if name in ind.index else ind_by_name.get(name, name)
        elif name and k in ind.index and ind_by_name.get(name, k) != k:
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
            if f.strip() not in FLAGS:
                problems.append(
                    Problem(
                        r["file"],
                        r["line"],
                        "flag",
                        f,
                        f"one of {sorted(FLAGS)}{closest(f, FLAGS)}",
                    )
                )
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
            }
        )
    if not out:
        return _empty()
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
    "latest_file": "keep the value from the file read last",
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
    problems: list[Problem] = []
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
            else:  # latest_file
                keep = alive[alive.file == sorted(alive.file)[-1]]
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
    if problems:
        raise ObservationError(problems)
    set_aside = out.loc[drop].to_dict("records")
    out = out.drop(index=drop).reset_index(drop=True)
    out.attrs["set_aside"] = set_aside
    return out


# ------------------------------------------------------------------ the shipped panel


def load_published(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """The published observations (``data/raw/observations/``), validated, one row per reading (not yet
    settled against each other: see :func:`load_panel`)."""
    raw = (Path(raw_dir) if raw_dir is not None else paths.DATA_RAW).resolve()
    out = _load_published_cached(raw, _stamp(raw / "observations"))
    return out.copy()


@lru_cache(maxsize=4)
def _load_published_cached(raw: Path, stamp) -> pd.DataFrame:
    return read_observations(raw / "observations", catalog=load_catalog(raw), settle=False)


def _stamp(*places: Path) -> tuple:
    """Names, sizes and times of the files in ``places``: a new or changed file reloads the cache."""
    out = []
    for place in places:
        items = sorted(place.iterdir()) if place.is_dir() else [place]
        for p in items:
            try:
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((str(p), -1, -1))
    return tuple(out)


def load_panel(raw_dir: Path | str | None = None, office: bool = True) -> pd.DataFrame:
    """The validated panel: the published observations (``data/raw/observations/``) and, unless
    ``office=False``, the office's own files (``data/raw/office/``), settled by ``data/raw/precedence.yaml``.

    Returns
    -------
    DataFrame
        columns as :func:`read_observations` plus ``resolution``, one row per place, indicator and year,
        sorted. ``origin`` says where each value comes from (published, derived, office); ``other_sources``
        lists the other sources of an identical value. ``attrs["set_aside"]`` holds the values not used and
        ``attrs["precedence"]`` every pair settled (:func:`qindex.office.precedence_log`). Inputs are never
        written; the frame is a copy each call.

    Raises
    ------
    ObservationError
        a problem in any file, or two values of one origin that no rule of precedence.yaml settles.
    """
    from qindex.office import PRECEDENCE_FILE, office_dir

    raw = (Path(raw_dir) if raw_dir is not None else paths.DATA_RAW).resolve()
    folder = office_dir().resolve() if office else None
    stamp = _stamp(raw / "observations", raw / PRECEDENCE_FILE, *([folder] if folder else []))
    panel = _load_panel_cached(raw, folder, stamp)
    out = panel.copy()
    out.attrs["set_aside"] = [dict(r) for r in panel.attrs["set_aside"]]
    out.attrs["precedence"] = [dict(r) for r in panel.attrs["precedence"]]
    return out


@lru_cache(maxsize=4)
def _load_panel_cached(raw: Path, office: Path | None, stamp) -> pd.DataFrame:
    from qindex.office import combine, load_precedence, office_files, read_office

    cat = load_catalog(raw)
    published = load_published(raw)
    own = read_office(office_files(office), cat).observations if office is not None else _empty()
    return combine(published, own, load_precedence(raw, cat))


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


def series(
    jurisdiction_id: str, indicator_id: str, panel: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One series, sorted by year: ``year, value, unit, flag, note, source``.

    An id that is not in the catalogue is an error (with the closest id); a known pair without data gives an
    empty frame.
    """
    panel = load_panel() if panel is None else panel
    cat = load_catalog()
    problems = []
    if jurisdiction_id not in set(cat.jurisdictions.jurisdiction_id):
        problems.append(
            Problem(
                "series",
                None,
                "jurisdiction_id",
                jurisdiction_id,
                f"a known id{closest(jurisdiction_id, cat.jurisdictions.jurisdiction_id)}",
            )
        )
    if indicator_id not in set(cat.indicators.indicator_id):
        problems.append(
            Problem(
                "series",
                None,
                "indicator_id",
                indicator_id,
                f"a known id{closest(indicator_id, cat.indicators.indicator_id)}",
            )
        )
    if problems:
        raise ObservationError(problems)
    sel = panel[(panel.jurisdiction_id == jurisdiction_id) & (panel.indicator_id == indicator_id)]
    return (
        sel[["year", "value", "unit", "flag", "note", "source"]]
        .sort_values("year")
        .reset_index(drop=True)
    )


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


def coverage(panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicator × jurisdiction table of the years covered (compact ranges; empty where none).

    Returns
    -------
    DataFrame
        index ``indicator_id``, one column per jurisdiction id that has data, cells like "2013, 2018–2021".
    """
    panel = load_panel() if panel is None else panel
    table = (
        panel.groupby(["indicator_id", "jurisdiction_id"])["year"]
        .apply(year_ranges)
        .unstack(fill_value="")
    )
    order = [j for j in load_catalog().jurisdictions.jurisdiction_id if j in table.columns]
    return table[order]
