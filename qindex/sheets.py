"""Sheets: read the tables people send into cells, find their header, parse their values and years.

The lowest floor of the input side. A file (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK; an XLSX workbook)
becomes one :class:`Grid` per sheet (:func:`read_sheets`); :func:`find_header` locates the header row and says
what each column means (a known column, a year, nothing); :func:`parse_value` and :func:`parse_year` read one
cell as a Chinese statistical table writes it ("９６．５％", "1,234.5", "—", "2022年"). The published-file reader
(:mod:`qindex.observations`) and the office reader (:mod:`qindex.office`) stand on it.

Example
-------
>>> parse_value("９６．５％")
(96.5, '%', True)
>>> parse_year("2022年")
2022
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import unicodedata
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from qindex import paths
from qindex.errors import Problem

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
    # the date an office states for its file (the template's 填报日期): which of two revisions is the later
    "stated": ["填报日期", "报送日期"],
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


def header_key(text) -> str | None:
    s = re.sub(r"\s+", "", normalise_text(text)).lower()
    return _HEADER_LOOKUP.get(s)


class Grid:
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


def read_sheet(path: Path, encoding: str | None, sheet, problems: list[Problem]) -> Grid | None:
    label = paths.relative(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if not vet_workbook(path, label, problems):
            return None
        try:
            grids = excel_grids(path, label, [sheet if sheet is not None else 0])
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
    return csv_grid(path, encoding, problems)


def csv_grid(path: Path, encoding: str | None, problems: list[Problem]) -> Grid | None:
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
    return Grid(label, rows, excel=False)


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


#: Limits on a workbook, checked before any cell is read. An office workbook is a few hundred KB; these are far
#: above any real one and far below what exhausts a machine (a 2 KB file can claim 17 billion cells).
MAX_UNCOMPRESSED = 50 * 2**20  # bytes of all the archive's members, uncompressed
MAX_SHEET = 20 * 2**20  # bytes of one sheet's XML (about 400,000 cells), uncompressed
MAX_RATIO = 200  # uncompressed / compressed size of one member larger than 1 MB
MAX_CELLS = 500_000  # rows × columns of a sheet's used range (from the cells present)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def plain_name(path: Path, problems: list[Problem]) -> bool:
    """Whether a file's name can be shown, logged and recorded: valid UTF-8 (``unzip`` of a zip made on Chinese
    Windows leaves GBK bytes), no control character, backslash or surrounding space. A problem names it, escaped,
    and suggests the name it probably meant."""
    name = path.name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            meant = f" (in GBK it reads '{raw.decode('gb18030')}': rename it to that)"
        except UnicodeDecodeError:
            meant = ""
        shown = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
        problems.append(Problem(shown, None, "file name", raw, f"a file name in UTF-8{meant}"))
        return False
    if re.search(r"[\x00-\x1f\x7f\\]", name) or name != name.strip():
        problems.append(
            Problem(
                repr(str(path))[1:-1],  # a line break or a control character shown escaped
                None,
                "file name",
                name,
                "a file name without control characters, line breaks, backslashes or surrounding spaces: "
                "rename the file",
            )
        )
        return False
    return True


def vet_workbook(path: Path, label: str, problems: list[Problem]) -> bool:
    """Whether an XLSX may be read: every problem with it is added to ``problems`` first, before any cell is.

    Refused: an archive over :data:`MAX_UNCOMPRESSED`, a sheet's XML over :data:`MAX_SHEET`, a member
    compressed over :data:`MAX_RATIO`:1 (a decompression bomb), a sheet whose used range (from the cells actually present, not its stated dimension)
    is over :data:`MAX_CELLS`, macros (``vbaProject.bin``), hidden sheets and hidden rows (values nobody sees
    would be read), and formulas without a saved result (they would read as empty: open and save the file in
    Excel or WPS). A file that is not a zip is left to the reader, which reports it.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return True
    found = len(problems)
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            problems.append(
                Problem(
                    label,
                    None,
                    None,
                    f"{total / 2**20:.0f} MB uncompressed",
                    f"a workbook of at most {MAX_UNCOMPRESSED // 2**20} MB uncompressed",
                )
            )
            return False
        for m in members:
            if m.filename.startswith("xl/worksheets/") and m.file_size > MAX_SHEET:
                problems.append(
                    Problem(
                        label,
                        None,
                        m.filename,
                        f"{m.file_size / 2**20:.0f} MB",
                        f"sheets of at most {MAX_SHEET // 2**20} MB each (about 400,000 cells)",
                    )
                )
                return False
            if m.file_size > 2**20 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                problems.append(
                    Problem(
                        label,
                        None,
                        m.filename,
                        f"compressed {m.file_size // max(m.compress_size, 1)}:1",
                        f"parts compressed at most {MAX_RATIO}:1 (a decompression bomb is refused)",
                    )
                )
                return False
        names = {m.filename for m in members}
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            problems.append(
                Problem(
                    label,
                    None,
                    None,
                    "macros (vbaProject.bin)",
                    "a workbook without macros: save it as .xlsx (macros are never run, but the file is "
                    "shared with others)",
                )
            )
        for sheet, part, state in _sheet_parts(archive, names):
            where = f"{label}, sheet '{sheet}'"
            if state in ("hidden", "veryHidden"):
                problems.append(
                    Problem(
                        where,
                        None,
                        None,
                        "a hidden sheet",
                        "visible sheets only: unhide the sheet (or delete it) so that what is read is seen",
                    )
                )
            _vet_sheet(archive, part, where, problems)
    return len(problems) == found


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str, str]]:
    """(name, part, state) of every sheet, from xl/workbook.xml and its relationships."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = []
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        if part in names:
            out.append((sheet.get("name", ""), part, sheet.get("state", "visible")))
    return out


def _vet_sheet(archive: zipfile.ZipFile, part: str, where: str, problems: list[Problem]) -> None:
    """Hidden rows, formulas without a saved result, and the used range, read from the sheet's XML."""
    max_row = max_col = 0
    hidden: list[int] = []
    unsaved: list[str] = []
    with archive.open(part) as xml:
        try:
            for _, el in ElementTree.iterparse(xml, events=("end",)):
                tag = el.tag
                if tag == f"{_MAIN}c":
                    ref = el.get("r", "")
                    col, row = _cell_ref(ref)
                    max_row, max_col = max(max_row, row), max(max_col, col)
                    has_formula = el.find(f"{_MAIN}f") is not None
                    value = el.find(f"{_MAIN}v")
                    if has_formula and (value is None or not (value.text or "").strip()):
                        unsaved.append(ref)
                    el.clear()
                elif tag == f"{_MAIN}row":
                    if el.get("hidden") in ("1", "true") and len(el):
                        hidden.append(int(el.get("r", "0") or 0))
                    max_row = max(max_row, int(el.get("r", "0") or 0))
                    el.clear()
        except ElementTree.ParseError as exc:
            problems.append(Problem(where, None, None, None, f"a readable sheet ({exc})"))
            return
    if max_row * max_col > MAX_CELLS:
        problems.append(
            Problem(
                where,
                None,
                None,
                f"cells spread over {max_row:,} rows × {max_col:,} columns",
                f"a sheet of at most {MAX_CELLS:,} cells: delete the stray cells far to the right or below",
            )
        )
    if hidden:
        shown = ", ".join(str(r) for r in hidden[:5]) + (" …" if len(hidden) > 5 else "")
        problems.append(
            Problem(
                where,
                hidden[0],
                None,
                f"hidden rows {shown}",
                "visible rows only: unhide them (or delete them) so that what is read is seen",
            )
        )
    if unsaved:
        shown = ", ".join(unsaved[:5]) + (" …" if len(unsaved) > 5 else "")
        problems.append(
            Problem(
                where,
                None,
                None,
                f"formulas without a saved result in {shown}",
                "values: open the file in Excel or WPS and save it (the results are saved with the formulas)",
            )
        )


def _cell_ref(ref: str) -> tuple[int, int]:
    """(column, row) of an A1 reference, 1-based; (0, 0) when it is not one."""
    m = re.fullmatch(r"([A-Za-z]{1,3})(\d{1,7})", ref or "")
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return col, int(m.group(2))


def excel_grids(path: Path, label: str, sheets: list | None = None) -> list[Grid]:
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
            grids.append(Grid(label, rows, excel=True, sheet=name))
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


def find_header(grid: Grid) -> tuple[int, list[str | int | None]]:
    """Index of the header row and the meaning of each column: a canonical name, a year, or None.

    A header row either names at least two known columns itself, or holds nothing but known names and
    years (the lower row of a merged header). Its empty cells take the text of the nearest non-empty cell
    above them, which is how merged header cells arrive from Excel. The last such row among the first 15
    is the header.
    """
    best, best_meaning = -1, []
    for i, row in enumerate(grid.rows[:15]):
        own = [c for c in row if normalise_text(c)]
        own_keys = sum(header_key(c) is not None for c in own)
        only_headers = own and all(
            header_key(c) is not None or parse_year(c) is not None for c in own
        )
        if own_keys < 2 and not only_headers:
            continue
        meaning = _row_meaning(grid, i)
        keys = sum(isinstance(m, str) for m in meaning)
        years = sum(isinstance(m, int) for m in meaning)
        if keys >= 2 or (keys >= 1 and years >= 1):
            best, best_meaning = i, meaning
    return best, best_meaning


def _row_meaning(grid: Grid, i: int) -> list[str | int | None]:
    meaning: list[str | int | None] = []
    for j, cell in enumerate(grid.rows[i]):
        above = i
        while not normalise_text(cell) and above > 0:
            above -= 1
            cell = grid.rows[above][j] if j < len(grid.rows[above]) else None
        key, year = header_key(cell), parse_year(cell)
        meaning.append(key if key is not None else year)
    return meaning


def stated_date(text: str) -> str:
    """A stated date as ``YYYY-MM-DD`` (2026-11-30, 2026/11/30, 2026年11月30日), or "" when it is not one."""
    m = re.search(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", str(text or ""))
    if not m:
        return ""
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else ""


def label_cell(grid: Grid, upto: int, key: str) -> str:
    """The value written beside a label above the header ("地区 | 拱墅区" or "地区:拱墅区"), or ""."""
    for row in grid.rows[:upto]:
        for j, c in enumerate(row):
            text = normalise_text(c)
            label, sep, rest = text.partition(":")
            if header_key(label) != key:
                continue
            if sep and rest.strip():
                return rest.strip()
            after = [normalise_text(x) for x in row[j + 1 :] if normalise_text(x)]
            if after:
                return after[0]
    return ""


def column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def regular_file(path: Path, problems: list[Problem]) -> bool:
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


def read_sheets(path: Path, problems: list[Problem]) -> list:
    label = paths.relative(path)
    try:
        if path.suffix.lower() == ".csv":
            grid = csv_grid(path, None, problems)
            return [grid] if grid is not None else []
        if not vet_workbook(path, label, problems):
            return []
        return excel_grids(path, label, None)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        problems.append(
            Problem(label, None, None, None, f"a readable workbook ({type(exc).__name__}: {exc})")
        )
        return []
