"""The office's own data: the files in ``data/raw/office/``, read and checked.

The office (质量强市办 / 市场监管局) holds most of the series a plan is judged on: pass rates, satisfaction
surveys, award lists, district series. It fills a template (:mod:`qindex.template`) or sends its own tables;
``qindex office check`` validates them and ``qindex office add`` copies them, unchanged, into
``data/raw/office/``. Every load of the panel reads them, marks each value ``origin = office`` with its file,
sheet and cell; :mod:`qindex.precedence` settles each difference from a published value by the rule in
``data/raw/precedence.yaml``.

An office workbook may hold three kinds of sheet, told apart by their header row:

- values (指标 | 单位 | … | 2019 | 2020 | …, or long: 指标 | 年份 | 数值);
- published ranks (… | 名次 | 参评总数 | 范围 | 发布机构 …), read beside ``data/raw/rankings.csv``;
- dated events (指标 | 名称 | 日期 …: one row per award or title), counted per year over the years the sheet
  says are complete (已列全年份 2019-2024); a complete year without an event counts 0.

Sheets whose name holds 说明 (instructions) are skipped.

Example
-------
>>> [p.name for p in office_files(paths.DATA_RAW / "example")]
['示例数据_gongshu-2025.xlsx']
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, Problem
from qindex.observations import (
    COLUMNS,
    empty_frame,
    load_published,
    place_names,
    read_grid,
)
from qindex.precedence import combine, load_precedence, precedence_log
from qindex.rankings import RANKING_COLUMNS
from qindex.sheets import (
    label_cell,
    normalise_text,
    parse_value,
    parse_year,
    plain_name,
    read_sheets,
    regular_file,
    stated_date,
)

#: What an office file may be.
SUFFIXES = (".xlsx", ".xlsm", ".csv")
#: Scope words of a ranks sheet.
SCOPE_WORDS = {
    "全国": "national",
    "national": "national",
    "全省": "province",
    "省内": "province",
    "province": "province",
    "同类城市": "peer_tier",
    "同类": "peer_tier",
    "peer_tier": "peer_tier",
}


def office_dir() -> Path:
    """``data/raw/office/``, or the folder ``QINDEX_OFFICE`` names (the test suite points it at an empty
    folder so that the office's own files never change what the tests check)."""
    return Path(os.environ.get("QINDEX_OFFICE", paths.DATA_RAW / "office"))


# ---------------------------------------------------------------- precedence


# ---------------------------------------------------------------- reading office files


@dataclass
class OfficeData:
    """What the office files hold: values (with events counted per year), published ranks, and the rows
    skipped on purpose (totals, notes)."""

    observations: pd.DataFrame
    rankings: pd.DataFrame
    notes: list[Problem]
    files: list[str]
    #: values and ranks read from each file (by its label)
    counts: dict[str, int] = field(default_factory=dict)


def office_files(folder: Path | None = None) -> list[Path]:
    """The office files in ``folder`` (default :func:`office_dir`), in name order; none when it is absent.
    Lock files Excel leaves while a workbook is open (``~$…``) and hidden files are not data."""
    folder = office_dir() if folder is None else Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))
    )


#: In the office folder: the 考核 workbooks (one row per unit; read against their scheme, not as values).
KAOHE = "kaohe"

#: In the office folder: the place of each added file that does not name it itself (``office add --place``).
PLACES = ".places.json"


def added_places(folder: Path | None = None) -> dict[str, str]:
    """``{file name: place}`` for the files ``office add --place`` copied into the office folder."""
    f = (office_dir() if folder is None else Path(folder)) / PLACES
    try:
        return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
    except (OSError, ValueError):
        return {}


def read_office(
    files: Iterable[Path | str] | None = None,
    catalog: Catalog | None = None,
    jurisdiction: str | None = None,
    origin: str = "office",
) -> OfficeData:
    """Read and validate office files (default: every file in ``data/raw/office/``).

    Raises
    ------
    ObservationError
        every problem in every file at once, with file, sheet, row and column.
    """
    cat = catalog or load_catalog()
    files = office_files() if files is None else [Path(f) for f in files]
    problems = Problems()
    notes: list[Problem] = []
    frames, ranks = [], []
    counts: dict[str, int] = {}

    def read() -> int:
        return sum(len(f) for f in frames if f is not None) + sum(
            len(r) for r in ranks if r is not None
        )

    places = added_places()
    for path in files:
        if not plain_name(path, problems) or not regular_file(path, problems):
            continue
        before = read()
        here = jurisdiction
        if here is None and path.parent.resolve() == office_dir().resolve():
            here = places.get(path.name)
        if path.suffix.lower() not in SUFFIXES:
            problems.append(
                Problem(paths.relative(path), None, None, path.suffix, "a .xlsx or .csv file")
            )
            continue
        source = f"内部数据({path.name})" if origin == "office" else f"示例数据({path.name})"
        for grid in read_sheets(path, problems):
            if grid.sheet and "说明" in grid.sheet:
                continue
            if not any(normalise_text(c) for r in grid.rows for c in r):
                continue
            kind = _sheet_kind(grid)
            args = (grid, cat, problems, source, here, origin)
            if kind == "rankings":
                ranks.append(_read_ranks(*args))
            elif kind == "events":
                frames.append(_read_events(*args))
            else:
                frames.append(
                    read_grid(
                        grid,
                        cat,
                        problems,
                        source=source,
                        jurisdiction=here,
                        origin=origin,
                        notes=notes,
                    )
                )
        counts[paths.relative(path)] = read() - before
    frames = [f for f in frames if f is not None and len(f)]
    obs = pd.concat(frames, ignore_index=True) if frames else empty_frame()
    problems.raise_if_any(ObservationError)

    ranks = [r for r in ranks if r is not None and len(r)]
    rank_frame = (
        pd.concat(ranks, ignore_index=True)
        if ranks
        else pd.DataFrame(columns=[*RANKING_COLUMNS, "origin"])
    )
    return OfficeData(obs, rank_frame, notes, [paths.relative(f) for f in files], counts)


def _header_cells(grid) -> list[str]:
    return [
        re.sub(r"\s+", "", normalise_text(c))
        for r in grid.rows[:15]
        for c in r
        if normalise_text(c)
    ]


def _sheet_kind(grid) -> str:
    cells = set(_header_cells(grid))
    if "名次" in cells:
        return "rankings"
    if "日期" in cells and ("名称" in cells or "获奖或称号" in cells):
        return "events"
    return "observations"


def _simple_table(grid, wanted: dict[str, tuple[str, ...]]):
    """(header row index, {column: index}) for a sheet with a one-row header of known words."""
    for i, row in enumerate(grid.rows[:15]):
        cells = [re.sub(r"\s+", "", normalise_text(c)) for c in row]
        found = {}
        for col, words in wanted.items():
            for j, c in enumerate(cells):
                if c in words or c.lower() in words:
                    found[col] = j
                    break
        if len(found) >= 3:
            return i, found
    return -1, {}


def _resolve_ids(r: dict, cat: Catalog, label: str, line: int, problems: list[Problem]):
    ind = cat.indicators.set_index("indicator_id")
    by_name = dict(zip(ind.name_zh, ind.index, strict=True))
    names = place_names(cat)
    ids = set(cat.jurisdictions.jurisdiction_id)
    k = r.get("indicator_id") or ""
    k = k if k in ind.index else by_name.get(k, by_name.get(r.get("indicator_name", ""), k))
    if not k:
        k = r.get("indicator_name", "")
    j = r.get("jurisdiction_id") or ""
    j = j if j in ids else names.get(j, j)
    ok = True
    if k not in ind.index:
        problems.append(
            Problem(
                label, line, "指标", k, f"an id or name from indicators.csv{closest(k, by_name)}"
            )
        )
        ok = False
    if j not in ids:
        problems.append(
            Problem(
                label, line, "地区", j, f"an id or name from jurisdictions.csv{closest(j, names)}"
            )
        )
        ok = False
    return (j, k) if ok else None


def _read_ranks(grid, cat, problems, source, jurisdiction, origin) -> pd.DataFrame | None:
    """A ranks sheet: 指标 | 排名名称 | 年份 | 名次 | 参评总数 | 范围 | 发布机构 | 来源/文号 | 备注 (| 地区)."""
    label = grid.where(0)[0]
    at, cols = _simple_table(
        grid,
        {
            "indicator_name": ("指标", "指标名称"),
            "indicator_id": ("indicator_id", "指标代码"),
            "jurisdiction_id": ("地区",),
            "ranking": ("排名名称", "排名或评价名称", "ranking"),
            "year": ("年份", "年度", "year"),
            "rank": ("名次", "rank"),
            "n_ranked": ("参评总数", "参评数", "n_ranked"),
            "scope": ("范围", "scope"),
            "publisher": ("发布机构", "publisher"),
            "source": ("来源/文号", "数据来源/文号", "来源", "source"),
            "note": ("备注", "note"),
        },
    )
    if at < 0 or "rank" not in cols:
        problems.append(
            Problem(
                label,
                None,
                None,
                None,
                "a header 指标 | 排名名称 | 年份 | 名次 | 参评总数 | 范围 …",
            )
        )
        return None
    place = label_cell(grid, at, "jurisdiction_id") or (jurisdiction or "")
    out = []
    for i in range(at + 1, len(grid.rows)):
        row = grid.rows[i]
        cell = {c: normalise_text(row[j]) if j < len(row) else "" for c, j in cols.items()}
        if not (cell.get("rank") or cell.get("n_ranked") or cell.get("year")):
            continue  # a row naming an indicator but with no rank filled in
        line = grid.where(i)[1]
        cell["jurisdiction_id"] = cell.get("jurisdiction_id") or place
        ids = _resolve_ids(cell, cat, label, line, problems)
        year = parse_year(cell.get("year", ""))
        rank, _, ok1 = parse_value(cell.get("rank", ""))
        n, _, ok2 = parse_value(cell.get("n_ranked", ""))
        scope = SCOPE_WORDS.get(cell.get("scope", ""), "")
        bad = []
        if year is None:
            bad.append(("年份", cell.get("year", ""), "a year such as 2023"))
        if not ok2 or n is None or n < 1 or n != int(n):
            bad.append(("参评总数", cell.get("n_ranked", ""), "a whole number ≥ 1"))
        if not ok1 or rank is None or rank < 1 or rank != int(rank) or (n and rank > n):
            bad.append(("名次", cell.get("rank", ""), "a whole number from 1 to 参评总数"))
        if not scope:
            bad.append(("范围", cell.get("scope", ""), "全国, 全省 or 同类城市"))
        for col, zh in (("ranking", "排名名称"), ("publisher", "发布机构")):
            if not cell.get(col):
                bad.append((zh, "", f"the {zh} of the rank"))
        problems.extend(Problem(label, line, c, v, e) for c, v, e in bad)
        if bad or ids is None:
            continue
        out.append(
            {
                "jurisdiction_id": ids[0],
                "indicator_id": ids[1],
                "year": year,
                "rank": int(rank),
                "n_ranked": int(n),
                "scope": scope,
                "ranking": cell["ranking"],
                "publisher": cell["publisher"],
                "source": cell.get("source") or f"{source}, sheet {grid.sheet}, row {line}",
                "quote": "",
                "flag": "",
                "note": cell.get("note", ""),
                "origin": origin,
            }
        )
    frame = pd.DataFrame(out, columns=[*RANKING_COLUMNS, "origin"])
    for col in ("year", "rank", "n_ranked"):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    return frame


COMPLETE_YEARS = ("已列全年份", "已列全的年份", "完整年份")
#: A 名称 cell saying "no event in the complete years".
NONE_WORDS = ("无", "没有", "无获奖")


def _read_events(grid, cat, problems, source, jurisdiction, origin) -> pd.DataFrame | None:
    """A dated-events sheet: one row per award or title, counted per indicator and year.

    The years the office says the list is complete for (a cell 已列全年份 | 2019-2024 above the header) each get
    a count, 0 when no event falls in them; an event dated outside them is a problem (the count of an
    incomplete year would be too low)."""
    label = grid.where(0)[0]
    stated = stated_date(label_cell(grid, len(grid.rows), "stated"))
    at, cols = _simple_table(
        grid,
        {
            "indicator_name": ("指标", "指标名称"),
            "indicator_id": ("indicator_id", "指标代码"),
            "jurisdiction_id": ("地区",),
            "name": ("名称", "获奖或称号", "获奖单位或项目"),
            "date": ("日期", "获奖日期", "认定日期"),
            "source": ("来源/文号", "发布机构/文号", "数据来源/文号", "来源"),
            "note": ("备注",),
        },
    )
    if at < 0 or "date" not in cols:
        problems.append(
            Problem(label, None, None, None, "a header 指标 | 名称 | 日期 | 来源/文号 …")
        )
        return None
    place = label_cell(grid, at, "jurisdiction_id") or (jurisdiction or "")
    span = ""
    for row in grid.rows[:at]:
        for j, c in enumerate(row):
            text = re.sub(r"\s+", "", normalise_text(c))
            head, sep, rest = text.partition(":")
            if head in COMPLETE_YEARS:
                span = (
                    rest
                    if sep and rest
                    else next((normalise_text(x) for x in row[j + 1 :] if normalise_text(x)), "")
                )
    years = _year_span(span)
    events, listed = [], set()
    for i in range(at + 1, len(grid.rows)):
        row = grid.rows[i]
        cell = {c: row[j] if j < len(row) else None for c, j in cols.items()}
        text = {c: normalise_text(v) for c, v in cell.items()}
        none = text.get("name") in NONE_WORDS and not text.get("date")
        if not none and not (text.get("name") or text.get("date")):
            continue  # the template's row naming an indicator, left empty: says nothing
        line = grid.where(i)[1]
        text["jurisdiction_id"] = text.get("jurisdiction_id") or place
        ids = _resolve_ids(text, cat, label, line, problems)
        if ids is not None:
            listed.add(ids)
        if none:  # "无": the office says this indicator had no event in the complete years
            continue
        year = _event_year(cell.get("date"))
        if year is None:
            problems.append(
                Problem(
                    label,
                    line,
                    "日期",
                    text.get("date", ""),
                    "a date such as 2021-06-30 or 2021年6月",
                )
            )
            continue
        if years is not None and year not in years:
            problems.append(
                Problem(
                    label,
                    line,
                    "日期",
                    text.get("date", ""),
                    f"a date in the years the list is complete for ({min(years)}–{max(years)}); "
                    "widen 已列全年份 when that year is complete",
                )
            )
            continue
        if ids is not None:
            events.append((ids[0], ids[1], year, text.get("name", ""), line))
    if not listed:
        return None
    if years is None:
        problems.append(
            Problem(
                label,
                None,
                "已列全年份",
                span,
                "the years this list is complete for, above the header (已列全年份 | 2019-2024)",
            )
        )
        return None
    out = []
    for j, k in sorted(listed):
        for y in sorted(years):
            hits = [e for e in events if e[0] == j and e[1] == k and e[2] == y]
            shown = "、".join(e[3] for e in hits[:5]) + ("等" if len(hits) > 5 else "")
            out.append(
                {
                    "jurisdiction_id": j,
                    "indicator_id": k,
                    "year": y,
                    "value": float(len(hits)),
                    "unit": cat.indicators.set_index("indicator_id").at[k, "unit"],
                    "source": f"{source}:{grid.sheet}",
                    "quote": "",
                    "flag": "",
                    "note": f"{y}年清单{len(hits)}项" + (f":{shown}" if shown else ""),
                    "file": label,
                    "line": hits[0][4] if hits else at + 1,
                    "origin": origin,
                    "sheet": grid.sheet or "",
                    "cell": ",".join(f"row {e[4]}" for e in hits),
                    "other_sources": "",
                    "stated": stated,
                }
            )
    frame = pd.DataFrame(out, columns=COLUMNS)
    return frame.astype({"year": "int64", "value": float, "line": "int64"})


def _year_span(text: str) -> list[int] | None:
    m = re.fullmatch(r"(\d{4})\s*(?:年)?\s*(?:[-–—~至到])\s*(\d{4})\s*(?:年)?", text or "")
    if m and int(m.group(1)) <= int(m.group(2)):
        return list(range(int(m.group(1)), int(m.group(2)) + 1))
    y = parse_year(text or "")
    return [y] if y else None


def _event_year(value) -> int | None:
    import datetime as dt

    if isinstance(value, dt.date | dt.datetime):
        return value.year
    m = re.match(r"\s*(\d{4})\s*(?:年|[-./]|$)", normalise_text(value))
    return int(m.group(1)) if m and 1949 <= int(m.group(1)) <= 2100 else None


# ---------------------------------------------------------------- combining with published data


# ---------------------------------------------------------------- check and add


@dataclass
class CheckResult:
    data: OfficeData
    panel: pd.DataFrame

    def summary(self) -> list[str]:
        obs = self.data.observations
        lines = []
        for f in self.data.files:
            part = obs[obs.file.str.startswith(f)]
            places = "、".join(sorted(part.jurisdiction_id.unique()))
            years = f"{part.year.min()}–{part.year.max()}" if len(part) else "—"
            lines.append(
                f"{f}: {len(part)} values ({part.indicator_id.nunique()} indicators, "
                f"{places or 'no place'}, {years})"
            )
        ranks = self.data.rankings
        if len(ranks):
            lines.append(f"published ranks: {len(ranks)}")
        for n in self.data.notes:
            lines.append(f"note: {n.file}, row {n.line}: '{n.value}' skipped (a total or note row)")
        log = precedence_log(self.panel)
        log = log[log.kept_origin.eq("office") | log.other_origin.eq("office")]
        same = log.rule.str.startswith("identical")
        if same.any():
            lines.append(
                f"{int(same.sum())} value(s) identical to a published value: kept as one, two sources"
            )
        for r in log[~same].itertuples():
            lines.append(
                f"{r.jurisdiction_id} {r.indicator_id} {r.year}: kept {r.kept_value:g} "
                f"({r.kept_origin}) over {r.other_value:g} ({r.other_origin}) by {r.rule}"
            )
        return lines


def check(
    files: Sequence[Path | str], jurisdiction: str | None = None, with_existing: bool = True
) -> CheckResult:
    """Validate office files on their own and together with the published data and the office files
    already in ``data/raw/office/``: every problem at once (``ObservationError``)."""
    files = [Path(f) for f in files]
    existing = [
        f for f in office_files() if with_existing and f.name not in {p.name for p in files}
    ]
    cat = load_catalog()
    data = read_office([*existing, *files], cat, jurisdiction=jurisdiction)
    empty = [f for f in files if data.counts.get(paths.relative(f)) == 0]
    if empty:  # "OK" for a file nothing could be read from would hide a silent loss
        raise ObservationError(
            [
                Problem(
                    paths.relative(f),
                    None,
                    None,
                    "no value",
                    "values qindex can read: none was found (formulas without saved results, values under "
                    "empty header cells, or a sheet without a 指标 column?)",
                )
                for f in empty
            ]
        )
    panel = combine(load_published(), data.observations, load_precedence(catalog=cat))
    return CheckResult(data, panel)


#: In the office folder: the files ``office add --replace`` replaced (``<UTC time>-<name>``) and ``log.csv``.
HISTORY = ".history"
#: Columns of ``.history/log.csv``: when, which file, the SHA-256 before and after, where the old one went.
HISTORY_COLUMNS = ["replaced_at", "file", "old_sha256", "new_sha256", "kept_as"]


def replacements(folder: Path | None = None) -> pd.DataFrame:
    """Every file ``office add --replace`` replaced, oldest first (:data:`HISTORY_COLUMNS`)."""
    log = (office_dir() if folder is None else Path(folder)) / HISTORY / "log.csv"
    if not log.is_file():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.read_csv(log, dtype=str, keep_default_na=False)


def add(
    files: Sequence[Path | str],
    jurisdiction: str | None = None,
    replace: bool = False,
    checker=None,
    folder: Path | None = None,
) -> list[Path]:
    """Check, then copy each file unchanged into ``data/raw/office/``; never overwrite a file there.

    ``jurisdiction`` (``--place``): the place of files that do not name it themselves (a district's own table);
    it is recorded beside the copies (:data:`PLACES`) and used every time they are read. The copies are
    readable by the group, as the office's other files. ``replace`` (``--replace``): a file of the same name
    is replaced by the new one (a monthly revision); the old one is kept in :data:`HISTORY` and the change
    logged there (:func:`replacements`; the plan reports' 内部数据 annex lists it). ``checker`` validates the files
    instead of :func:`check` and ``folder`` is where they go (a 考核 workbook: checked against its scheme, kept in
    :data:`KAOHE`).

    Raises
    ------
    ObservationError
        a problem in the files, or a name already taken in the office folder (nothing is copied then).
    """
    files = [Path(f) for f in files]
    folder = office_dir() if folder is None else Path(folder)
    taken = [
        Problem(
            str(f),
            None,
            None,
            f.name,
            f"a name not yet in {paths.relative(folder)}/ (a revised file: qindex office add --replace)",
        )
        for f in files
        if (folder / f.name).exists() and not replace
    ]
    if taken:
        raise ObservationError(taken)
    if checker is None:
        check(files, jurisdiction=jurisdiction)
    else:
        checker(files)
    if replace:
        return _replace(files, folder, jurisdiction)
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for f in files:
        target = folder / f.name
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".adding-", suffix=f.suffix)
        os.close(fd)
        try:
            shutil.copyfile(f, tmp)
            os.chmod(tmp, _file_mode())
            os.link(tmp, target)  # fails if the name was taken meanwhile: never overwrites
        except FileExistsError:
            raise ObservationError(
                [
                    Problem(
                        str(f), None, None, f.name, f"a name not yet in {paths.relative(folder)}/"
                    )
                ]
            ) from None
        finally:
            os.unlink(tmp)
        done.append(target)
    _record_places(folder, files, jurisdiction)
    return done


def _replace(files: list[Path], folder: Path, jurisdiction: str | None) -> list[Path]:
    """Put each checked file in place of its namesake, keeping the old one in the history folder."""
    history = folder / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    rows, done = [], []
    for f in files:
        target = folder / f.name
        old_sha = _sha256(target) if target.is_file() else ""
        kept = ""
        if target.is_file():
            kept = f"{stamp}-{f.name}"
            shutil.copy2(target, history / kept)
        tmp = folder / f".adding-{stamp}-{f.name}"
        shutil.copyfile(f, tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)  # one rename: a run reads the old file or the new one
        rows.append([stamp, f.name, old_sha, _sha256(target), kept])
        done.append(target)
    log = history / "log.csv"
    new = not log.is_file()
    with open(log, "a", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        if new:
            w.writerow(HISTORY_COLUMNS)
        w.writerows(rows)
    _record_places(folder, files, jurisdiction)
    return done


def _file_mode() -> int:
    """The mode of a file the office saved itself (readable by the group as the umask allows), not
    mkstemp's 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _record_places(folder: Path, files: list[Path], jurisdiction: str | None) -> None:
    """Record the place given with ``--place`` for each file (:data:`PLACES`), in one rename."""
    if not jurisdiction:
        return
    places = {**added_places(folder), **{f.name: jurisdiction for f in files}}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".places-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(places, out, ensure_ascii=False, indent=1)
    os.chmod(tmp, _file_mode())
    os.replace(tmp, folder / PLACES)  # readers see the old list or the new one


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


__all__ = [
    "OfficeData",
    "add",
    "check",
    "office_dir",
    "office_files",
    "read_office",
]
