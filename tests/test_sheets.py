"""Sheets: a cell read as a Chinese statistical table writes it; text decoded as the reader meant it."""

from __future__ import annotations

import pytest

from qindex.sheets import parse_value, parse_year


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
