"""Reading raw CSV tables as text, so that every value can be checked and reported before typing."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from qindex.errors import Problem

#: First data row is line 2 of the file (line 1 is the header).
FIRST_DATA_LINE = 2


def read_text_table(
    path: Path, required: list[str], problems: list[Problem], label: str | None = None
) -> pd.DataFrame:
    """Read a UTF-8 CSV as strings (no type guessing, empty cells stay ``""``).

    Missing required columns and unreadable files are appended to ``problems``; the returned frame then
    has every required column (empty where absent) so that checks further on can run without special cases.
    A column ``source_line`` holds each row's line number in the file. ``label`` names the file in
    problems (default: the path as given).
    """
    name = label or str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, "the file to exist"))
        return _empty(required)
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(name, None, None, None, f"UTF-8 text ({exc.reason} at byte {exc.start})")
        )
        return _empty(required)
    except (OSError, csv.Error) as exc:  # a folder, a link loop, an unreadable file, a huge field
        problems.append(Problem(name, None, None, None, f"a readable CSV file ({exc})"))
        return _empty(required)
    if not rows:
        problems.append(Problem(name, None, None, None, f"a header row with columns {required}"))
        return _empty(required)
    header = [h.strip() for h in rows[0]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        problems.append(Problem(name, 1, twice[0], None, "each column name once in the header"))
        return _empty(required)
    for col in required:
        if col not in header:
            problems.append(Problem(name, 1, col, None, f"a column named '{col}' in the header"))
    records = []
    for i, row in enumerate(rows[1:], start=FIRST_DATA_LINE):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    name, i, None, f"{len(row)} fields", f"{len(header)} fields as in the header"
                )
            )
            row = (row + [""] * len(header))[: len(header)]
        rec = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        rec["source_line"] = i
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[*header, "source_line"])
    for col in required:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in [*columns, "source_line"]})


def parse_float(text: str) -> float | None:
    """``float(text)`` or ``None`` when the text is not a plain number."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    # "nan", "inf", "1e400" are not numbers a table means; "1_000" is Python syntax, not a table's
    return value if math.isfinite(value) and "_" not in str(text) else None


def parse_int(text: str) -> int | None:
    """``int(text)`` or ``None`` when the text is not a whole number."""
    if "_" in str(text):
        return None
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
