"""Tables for people: aligned plain-text tables with Chinese text, and exports Excel opens correctly."""

from __future__ import annotations

import math
import unicodedata

import pandas as pd


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return (
            f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
        )
    return str(value)


def format_table(frame: pd.DataFrame, digits: int = 2, max_width: int = 40) -> str:
    """Render ``frame`` as an aligned text table; numbers right-aligned, text left-aligned.

    Cells longer than ``max_width`` display columns are cut with an ellipsis. Rounding is for display only.

    Example
    -------
    >>> print(format_table(pd.DataFrame({"指标": ["PM2.5"], "目标": [35.0]})))
    指标   目标
    -----  ----
    PM2.5    35
    """
    cols = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    body = [
        [_clip(_cell(v, digits), max_width) for v in row] for row in frame.itertuples(index=False)
    ]
    widths = [
        max([display_width(h)] + [display_width(r[j]) for r in body]) for j, h in enumerate(cols)
    ]

    def line(cells, header=False):
        out = []
        for j, c in enumerate(cells):
            pad = " " * (widths[j] - display_width(c))
            out.append(pad + c if numeric[j] and not header else c + pad)
        return "  ".join(out).rstrip()

    rows = [line(cols, header=True), "  ".join("-" * w for w in widths)]
    rows += [line(r) for r in body]
    return "\n".join(rows)


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"
