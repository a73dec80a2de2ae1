"""Sheets: a cell read as a Chinese statistical table writes it; text decoded as the reader meant it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from qindex.sheets import parse_value, parse_year, plain_name, read_sheets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("96.5%", (96.5, "%", True)),
        ("1,234.5", (1234.5, None, True)),
        ("９６．５", (96.5, None, True)),
        ("—", (None, None, True)),
        ("-", (None, None, True)),
        ("…", (None, None, True)),
        ("", (None, None, True)),
        ("3‰", (3.0, "‰", True)),
        ("约96", (None, None, False)),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize(
    ("text", "year"),
    [("2022年", 2022), ("2022", 2022), (2022.0, 2022), ("２０２２", 2022), ("22", None)],
)
def test_parse_year(text, year):
    assert parse_year(text) == year


def test_gb18030_bytes_that_are_also_valid_utf8_are_read_as_chinese():
    # Found by the round-trip property: GB18030 "统" is the bytes CD B3, which UTF-8 reads as "ͳ".
    from qindex.sheets import decode

    assert "统".encode("gb18030").decode("utf-8") == "ͳ"
    assert decode("统".encode("gb18030")) == "统"
    assert decode("统".encode()) == "统"
    assert decode("µg/m³ 杭州".encode()) == "µg/m³ 杭州"


# ---------------------------------------------------------------- files from other departments (reliability review 2)

NS = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def _office_book(path: Path, extra=None) -> Path:
    """A valid office workbook: one value sheet for 拱墅区 (制造业产品质量合格率 2021 = 94.1)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["地区", "拱墅区"])
    ws.append(["指标", "单位", "数据来源", "2021"])
    ws.append(["制造业产品质量合格率", "%", "质量状况报告", 94.1])
    if extra:
        extra(wb, ws)
    wb.save(path)
    return path


def _with_sheet_xml(src: Path, dst: Path, xml: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = xml if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info.filename)
            zout.writestr(info, data)
    return dst


def _problems(path: Path) -> list[str]:
    found: list = []
    read_sheets(path, found)
    return [f"{p.value}; {p.expected}" for p in found]


BOMBS = {
    # reliability review N2: 2 KB claiming 1,048,576 × 16,384 cells; a sheet inflating 1:1000; one huge string
    "dimension": NS
    + b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>'
    + b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData></worksheet>',
    "inflated": NS
    + b'<row r="1"><c r="A1"><v>1</v></c></row>'
    + b" " * 60_000_000
    + b"</sheetData></worksheet>",
    "string": NS
    + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
    + b"x" * 60_000_000
    + b"</t></is></c></row></sheetData></worksheet>",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_workbook_bombs_are_refused_before_a_cell_is_read(tmp_path, name):
    bomb = _with_sheet_xml(
        _office_book(tmp_path / "base.xlsx"), tmp_path / f"{name}.xlsx", BOMBS[name]
    )
    # in a child process with 2 GB of address space: reading the cells would run out of memory or time
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2048 * 2**20,) * 2)\n"
        "from pathlib import Path; from qindex.sheets import read_sheets\n"
        "found = []; grids = read_sheets(Path(sys.argv[1]), found)\n"
        "print(len(grids)); print('; '.join(f'{p.value} | {p.expected}' for p in found))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-500:]
    grids, problems = out.stdout.splitlines()
    assert grids == "0"
    assert "at most" in problems  # the message says what the limit is


def test_hidden_sheets_hidden_rows_formulas_and_macros_are_named_not_read(tmp_path):
    def hidden_sheet(wb, ws):
        h = wb.create_sheet("旧数据")
        h.append(["指标", "单位", "数据来源", "2019"])
        h.append(["制造业产品质量合格率", "%", "x", 12])
        h.sheet_state = "hidden"

    def hidden_row(wb, ws):
        ws.append(["服务质量满意度", "分", "x", 80])
        ws.row_dimensions[4].hidden = True

    def formula(wb, ws):
        ws.append(
            ["服务质量满意度", "分", "x", "=80+1"]
        )  # openpyxl saves no result: data_only reads None

    assert _problems(_office_book(tmp_path / "a.xlsx", hidden_sheet)) == [
        "a hidden sheet; visible sheets only: unhide the sheet (or delete it) so that what is read is seen"
    ]
    assert _problems(_office_book(tmp_path / "b.xlsx", hidden_row)) == [
        "hidden rows 4; visible rows only: unhide them (or delete them) so that what is read is seen"
    ]
    assert _problems(_office_book(tmp_path / "c.xlsx", formula)) == [
        "formulas without a saved result in D4; values: open the file in Excel or WPS and save it "
        "(the results are saved with the formulas)"
    ]
    book = _office_book(tmp_path / "d.xlsx")
    macro = tmp_path / "d.xlsm"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(macro, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("xl/vbaProject.bin", b"\x00" * 64)
    assert _problems(macro)[0].startswith("macros (vbaProject.bin); a workbook without macros")
    assert _problems(_office_book(tmp_path / "fine.xlsx")) == []


def test_a_file_name_that_is_not_utf8_is_named_escaped_with_the_name_it_meant(tmp_path):
    gbk = Path(os.fsdecode(bytes(tmp_path) + "/拱墅区.xlsx".encode("gbk")))
    found: list = []
    assert not plain_name(gbk, found)
    assert str(found[0]).encode("utf-8")  # the message itself can be printed and logged
    assert "in GBK it reads '拱墅区.xlsx': rename it to that" in found[0].expected
    for bad in ("a\\b.xlsx", "名称\n换行.xlsx", " 拱墅区.xlsx"):
        assert not plain_name(tmp_path / bad, [])
    assert plain_name(tmp_path / "拱墅区 2024年(终稿).xlsx", [])
