"""Text for readers: aligned tables for a terminal, styled tables for a report, Chinese punctuation, the
marks shown after a value, and the files a run writes beside its report (``summary.json``, ``<name>.csv``).

Every report of the wing uses these, so a table or a sentence looks the same in all of them.

Example
-------
>>> zh_punct("已完成(据2021年数据),共3项")
'已完成（据2021年数据），共3项'
"""

from __future__ import annotations

import html as htmllib
import json
import math
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from qindex.progress import number_text
from qindex.sources import KIND_ZH, SourceList
from qindex.store import atomic_write, write_csv


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else "−∞"
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


#: Marks shown after a value, with the legend printed under every table that uses them.
MARKS = {
    "synthetic": ("◇", "示例数据(合成,非真实数据)", "synthetic example data"),
    "office": ("◆", "内部数据(本单位报送,未公开发布)", "office data (not published)"),
    "derived": ("※", "推算(由公布的数值和变化量算出)", "derived from a published value and change"),
    "inferred": ("▲", "推断(由包含它的较大范围指标推出)", "inferred from a wider indicator"),
    "lower_bound": ("†", "下限(来源写“以上”)", "lower bound (the source says 'at least')"),
    "provisional": ("‡", "初步数或非年末数", "provisional or not a year-end value"),
    "low_confidence": ("?", "来源可信度低", "source of low confidence"),
    "definition_change": ("△", "口径与目标不同", "definition differs from the target's"),
    "unconfirmed": ("▽", "口径待确认", "definition to be confirmed"),
    "series_break": ("‖", "与往年不可比", "not comparable with earlier years"),
}


def _pp(unit: str) -> str:
    return "个百分点" if unit == "%" else (unit or "")


def change_text(change: float | None, unit: str) -> str:
    """A change on the year before in words: "提高0.3个百分点", "下降1.8µg/m³", "持平" ("" when unknown)."""
    if change is None:
        return ""
    if abs(change) < 1e-9:
        return "持平"
    return f"{'提高' if change > 0 else '下降'}{number_text(abs(change))}{_pp(unit)}"


SCOPE_ZH = {"": "全国", "national": "全国", "province": "全省", "peer_tier": "同类城市"}


def target_text(r) -> str:
    """The target as the plan words it, compactly: "≥96%", "≤35µg/m³", "新增≥300项", "全省第一", "全国前列"."""
    if r.target_type in ("qualitative", "procedural"):
        return "定性" if r.target_type == "qualitative" else "程序性"
    if r.target_type == "trend":
        return "持续上升" if r.comparator == ">=" else "持续下降"
    if r.target_type == "relative":
        word = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于"}.get(r.comparator, "")
        return f"{word}{getattr(r, 'benchmark_zh', '') or '比较基准'}"
    scope = SCOPE_ZH.get(str(getattr(r, "scope", "") or ""), "")
    if r.target_type == "rank":
        if pd.isna(r.target_value):
            return f"{scope}前列"
        k = int(r.target_value)
        return f"{scope}第一" if k == 1 else f"{scope}前{k}名"
    unit = "%/年" if r.target_type == "growth" else (r.unit or "")
    prefix = "新增" if r.target_type == "cumulative" else ""
    sign = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}.get(r.comparator, r.comparator)
    return f"{prefix}{sign}{r.target_value:g}{unit}"


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef《》“”"


def zh_punct(text: str) -> str:
    """Full-width punctuation in a Chinese sentence: ,;:() become ，；：（）, except inside numbers, times and
    addresses."""
    if not isinstance(text, str):
        return text
    text = re.sub(r",(?!\d{3}\b)", "，", text)
    text = text.replace(";", "；")
    text = re.sub(r"(?<![\d/a-zA-Z]):(?!//)|(?<=[" + _CJK + r"]):", "：", text)
    text = text.replace("(", "（").replace(")", "）")
    return text


class Html(str):
    """Markup the report itself made (a link built by :func:`link`): shown as it is, not escaped."""


def text_cell(value) -> str:
    """A table cell as text for the report's HTML: escaped, unless it is :class:`Html`; empty when missing."""
    if isinstance(value, Html):
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return htmllib.escape(str(value))


def link(address: str, text: str) -> Html:
    """A link for a report: only to a web address (http, https), with the address and the text escaped;
    anything else is shown as plain text."""
    scheme = urlparse(str(address)).scheme.lower()
    if scheme not in ("http", "https"):
        return Html(htmllib.escape(str(text)))
    return Html(
        f'<a href="{htmllib.escape(str(address), quote=True)}">{htmllib.escape(str(text))}</a>'
    )


def sources_table(sources: SourceList) -> pd.DataFrame:
    """The numbered sources of a report as a table: 编号 | 来源 | 类型 | 链接 (a link only to a web address)."""
    rows = sources.rows()
    return pd.DataFrame(
        {
            "编号": [f"[{n}]" for n, _ in rows],
            "来源": [d.text("zh") for _, d in rows],
            "类型": [KIND_ZH[d.kind] for _, d in rows],
            "链接": [link(d.link, d.host) if d.link else "" for _, d in rows],
        }
    )


def show(frame: pd.DataFrame, digits: int = 2, wrap_over: int = 24, language: str = "zh"):
    """A table for a report: no index; whole numbers without decimals, others rounded for display only;
    numbers right-aligned; short cells kept on one line and only long text (over ``wrap_over`` characters)
    wrapped; yes/no in words; empty cells blank.

    Parameters
    ----------
    frame : the table; ``digits`` decimals shown; ``wrap_over`` the length from which text wraps;
        ``language`` ``zh`` or ``en`` (for yes/no).

    Returns
    -------
    pandas.io.formats.style.Styler
        the table styled for the report's HTML (``class="qindex-table"``).

    Example
    -------
    >>> show(pd.DataFrame({"指标": ["合格率"], "数值": [96.5]})).to_html().count("<td")
    2
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    yes_no = ("是", "否") if language == "zh" else ("yes", "no")
    for c in frame.columns:
        if pd.api.types.is_bool_dtype(frame[c]):
            frame[c] = frame[c].map({True: yes_no[0], False: yes_no[1]})
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for c in frame.columns:
        if c in numeric:
            classes[c] = "num"
        elif frame[c].astype(str).str.len().max() > wrap_over:
            classes[c] = "wrap"
    return (
        frame.style.hide(axis="index")
        # numbers rounded for display; text from files people send (names, sources, notes) shown as text,
        # never as markup
        .format(
            {c: (lambda v, d=digits: _cell(v, d)) if c in numeric else text_cell for c in frame},
            na_rep="",
        )
        .format_index(escape="html", axis=1)
        .set_td_classes(classes)
        .set_uuid("qindex")
        .set_table_attributes('class="qindex-table"')
    )


def save_summary(summary: dict, output_dir: str | Path | None) -> Path | None:
    """Write ``summary.json`` (what the gallery shows: title, place, period, data cut-off, status counts)."""
    if not output_dir:
        return None
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    return atomic_write(
        Path(output_dir) / "summary.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
    )


def save_tables(tables: dict[str, pd.DataFrame], output_dir: str | Path | None) -> list[Path]:
    """Write each table as ``<name>.csv`` (UTF-8 with BOM, so Excel shows Chinese) into ``output_dir``,
    atomically; nothing when ``output_dir`` is empty (a notebook run by hand writes nothing).

    Parameters
    ----------
    tables : name → frame; ``output_dir`` the run's folder (``qindex run`` sets it).

    Returns
    -------
    list of Path
        the files written.

    Example
    -------
    >>> import tempfile
    >>> [p.name for p in save_tables({"t": pd.DataFrame({"a": [1]})}, tempfile.mkdtemp())]
    ['t.csv']
    """
    if not output_dir:
        return []
    return [write_csv(frame, Path(output_dir) / f"{name}.csv") for name, frame in tables.items()]
