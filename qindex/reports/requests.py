"""The data-request list (数据需求清单): what the office has to supply, to whom to ask, and why.

One row per target a plan cannot yet judge on its own definition: the indicator and its definition (口径), the
years needed, why (no data, one point only, definition differs, base stock unknown, reading unconfirmed), the
department that holds it and the publication that would carry it. The department is the plan's own 责任单位
where the plan names one (``data/raw/tasks.csv``: the plan's task areas, each with its departments and a
verbatim quote); otherwise the indicator's ``data_holder`` in ``indicators.csv``, marked 建议 (a suggestion).

Example
-------
>>> from qindex.plan_assessment import assess_plan
>>> table = requests_table("chengdu-2027", assess_plan("chengdu-2027").assessment)
>>> table.columns[:3].tolist()
['目标', '指标', '口径']
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog, zh_definition
from qindex.departments import department
from qindex.plan_assessment import assess_plan
from qindex.progress import SCORED_STATUSES
from qindex.reports.text import zh_punct
from qindex.template import write_workbook

#: Why a target cannot be judged, as the request list says it (code → Chinese).
REASONS_ZH = {
    "no_data": "无数据",
    "one_point": "只有一个年份的数据,无法判断进展",
    "definition": "现有数据口径与目标不一致",
    "unconfirmed": "现有数据口径待确认",
    "base_stock": "缺基期存量或逐年新增数",
    "rank": "缺公布的排名(名次、参评总数、发布机构)",
    "reading": "目标含义需质量强市办确认",
}


def _reason(r) -> str:
    note = str(r.note or "")
    if r.status == "not_comparable":
        return "definition"
    if r.status == "unconfirmed":
        return "reading" if "两种理解" in note or "确认" in note else "unconfirmed"
    if r.status == "baseline_only":
        return "one_point"
    if r.target_type == "rank":
        return "rank"
    if r.target_type == "cumulative":
        return "base_stock" if r.n_points else "no_data"
    if r.n_points and r.n_points >= 1:
        return "one_point"
    return "no_data"


def _years(r, as_of: int) -> str:
    last = int(min(r.target_year, as_of)) if pd.notna(r.target_year) else as_of
    base = int(r.base_year) if pd.notna(r.base_year) else last
    return f"{base}–{last}" if base < last else str(last)


def requests_table(
    plan_id: str,
    assessment: pd.DataFrame,
    as_of: int | None = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """The data-request list of one plan (Chinese headers), one row per target without a scored verdict
    (qualitative targets excluded: no figure can settle them).

    Parameters
    ----------
    plan_id : the plan.
    assessment : its assessment (:func:`qindex.plan_assessment.assess_plan`), one row per target.
    as_of : the assessment year (the years asked for end there).
    catalog : the catalogue the assessment used (default: the shipped one).

    Returns
    -------
    DataFrame
        目标, 指标, 口径, 单位, 需要年份, 原因, 说明, 提供单位, 依据, 可能的公开出处, and ``reason_code``,
        ``target_id``, ``indicator_id``.
    """
    a = assessment[~assessment.status.isin(SCORED_STATUSES) & (assessment.status != "not_scored")]
    cat = catalog or load_catalog()
    ind = cat.indicators.set_index("indicator_id")
    quotes = cat.targets.set_index("target_id").quote
    base_years = cat.targets.set_index("target_id").base_year
    rows = []
    for r in a.itertuples():
        dept, pub, basis = department(r.indicator_id, r.target_id, plan_id)
        code = _reason(r)
        if pd.isna(r.base_year):  # no data: the years from the plan's base year are needed
            r = r._replace(base_year=pd.to_numeric(base_years.get(r.target_id), errors="coerce"))
        rows.append(
            {
                "目标": str(quotes.get(r.target_id, r.name_zh)),
                "指标": r.name_zh,
                "口径": zh_definition(ind.loc[r.indicator_id])
                if r.indicator_id in ind.index
                else "",
                "单位": r.unit,
                "需要年份": _years(r, int(as_of) if as_of else int(r.target_year)),
                "原因": REASONS_ZH[code],
                "说明": r.note,
                "提供单位": dept,
                "依据": basis,
                "可能的公开出处": pub,
                "reason_code": code,
                "target_id": r.target_id,
                "indicator_id": r.indicator_id,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "目标",
            "指标",
            "口径",
            "单位",
            "需要年份",
            "原因",
            "说明",
            "提供单位",
            "依据",
            "可能的公开出处",
            "reason_code",
            "target_id",
            "indicator_id",
        ],
    )


def reader_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The request list as a report shows it: without the codes, the long 口径/说明 texts and 依据 (the 提供单位
    already says "(建议)" where the plan names no 责任单位), so that it fits a page."""
    return table.drop(columns=["reason_code", "target_id", "indicator_id", "口径", "说明", "依据"])


#: Width of the cover letter's column (characters): a printed A4 page.
COVER_WIDTH = 80
#: Widest column of a department's sheet (characters): longer text wraps, so the printed page stays legible.
SHEET_WIDTH = 28
#: The columns a department fills in, beside each request.
REPLY_COLUMNS = ["填报数值", "来源文件或文号", "联系人及电话", "填报日期"]
#: The request columns a department reads (the rest of :func:`requests_table` is for the office).
LETTER_COLUMNS = ["指标", "口径", "单位", "需要年份", "原因", "目标", "可能的公开出处", "依据"]


def write_requests(plan_id: str, path: Path | str | None = None, as_of: int | None = None) -> Path:
    """Write the data-request list as XLSX (default ``data/processed/requests/<plan_id>.xlsx``), atomically:
    a cover sheet that reads as the office's request (函), then one sheet per department with its indicators,
    the years it is asked for (past years only: nothing is asked of a year not yet over), why, and columns for
    its reply (value, source document, contact, date)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    this_year = dt.date.today().year
    table = requests_table(plan_id, assess_plan(plan_id, as_of=as_of).assessment, as_of=as_of)
    table = _past_years_only(table, this_year - 1)
    cat = load_catalog()
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    name = str(plan.title_zh).replace("《", "〈").replace("》", "〉")  # a title inside 《…》
    out = Path(path) if path else paths.DATA_PROCESSED / "requests" / f"{plan_id}.xlsx"
    book = Workbook()
    cover = book.active
    cover.title = "说明"
    departments = _by_department(table)
    lines = [
        f"关于提供《{name}》评估所需数据的函",
        "",
        "各有关单位:",
        f"　　为开展《{name}》目标进展评估,请按本工作簿各单位分表,提供所列指标在“需要年份”中各年"
        "的数据,在“填报数值”“来源文件或文号”“联系人及电话”“填报日期”四列填写后,于　　月　　日前反馈。",
        "　　没有数据的年份请留空,不要填0;统计口径与“口径”一栏不同的,请在“来源文件或文号”中注明所用口径。",
        "　　“依据”一栏注明“建议”的,是方案未列明责任单位、按职能建议的提供单位;如不属本单位职责,请告知"
        "并说明应向哪个单位索取。",
        "",
        f"本次共{len(table)}项,涉及{len(departments)}个单位:"
        + "、".join(f"{name}({len(rows)}项)" for name, rows in departments),
        "",
        "联系人:　　　　　　　　电话:　　　　　　　　",
        f"生成日期:{dt.date.today().isoformat()}",
    ]
    for line in lines:
        cover.append([zh_punct(line)])
    cover.cell(1, 1).font = Font(bold=True, size=14)
    # one column as wide as a printed page, lines wrapped and rows as tall as their lines (LibreOffice and
    # Excel print a letter, not a spreadsheet row running off the page)
    cover.column_dimensions["A"].width = COVER_WIDTH
    for row in cover.iter_rows():
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            cover.row_dimensions[c.row].height = 20 * _lines(str(c.value or ""), COVER_WIDTH)
    cover.page_setup.orientation = "portrait"
    cover.page_setup.fitToWidth, cover.page_setup.fitToHeight = 1, 0
    cover.sheet_properties.pageSetUpPr.fitToPage = True
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    reply_fill = PatternFill("solid", fgColor="FFF2CC")
    for name, rows in departments:
        ws = book.create_sheet(_sheet_name(name, book.sheetnames))
        ws.append([f"{name}:请提供以下{len(rows)}项数据"])
        ws.cell(1, 1).font = Font(bold=True, size=13)
        columns = [*LETTER_COLUMNS, *REPLY_COLUMNS]
        ws.append(columns)
        for j, col in enumerate(columns, start=1):
            c = ws.cell(2, j)
            c.font = Font(bold=True)
            c.fill = reply_fill if col in REPLY_COLUMNS else header_fill
        for r in rows.itertuples(index=False):
            ws.append([_cell(getattr(r, c)) for c in LETTER_COLUMNS] + [""] * len(REPLY_COLUMNS))
        for j, col in enumerate(columns, start=1):
            values = [col] + [str(ws.cell(i, j).value or "") for i in range(3, ws.max_row + 1)]
            ws.column_dimensions[get_column_letter(j)].width = min(_width(values), SHEET_WIDTH)
        widths = [
            ws.column_dimensions[get_column_letter(j)].width for j in range(1, len(columns) + 1)
        ]
        for row in ws.iter_rows(min_row=3):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
                if columns[c.column - 1] in REPLY_COLUMNS:
                    c.fill = reply_fill
            tallest = max(_lines(str(c.value or ""), widths[c.column - 1]) for c in row)
            ws.row_dimensions[row[0].row].height = 15 * tallest
        ws.freeze_panes = "B3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    return write_workbook(out, book=book)


def _past_years_only(table: pd.DataFrame, last: int) -> pd.DataFrame:
    """Requests for years up to ``last`` only (a year not yet over has no data to ask for); a request left
    without any year is dropped."""
    keep, years = [], []
    for text in table["需要年份"].astype(str):
        a, _, b = text.partition("–")
        start, end = int(a), int(b or a)
        end = min(end, last)
        keep.append(start <= end)
        years.append(f"{start}–{end}" if start < end else str(end))
    out = table.assign(需要年份=years)
    return out[keep].reset_index(drop=True)


def _by_department(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The requests per department (the first one named when several are; a suggested department is one
    sheet with the named one, its rows say 建议 in 依据), most requests first."""
    name = table["提供单位"].astype(str).str.split("、").str[0].str.replace("(建议)", "")
    name = name.str.replace("（建议）", "").str.strip()
    name = name.where(name != "", "未确定提供单位")
    groups = [(n, table[name == n]) for n in dict.fromkeys(name)]
    return sorted(groups, key=lambda g: -len(g[1]))


def _sheet_name(name: str, taken: list[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\\\]", "", name)[:28] or "单位"
    out, k = base, 2
    while out in taken:
        out, k = f"{base[:26]}({k})", k + 1
    return out


def _text_width(text: str) -> int:
    """Columns a line of text takes in a spreadsheet (a CJK character is two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _width(values: list[str]) -> float:
    """A column as wide as its longest line, between 8 and 48 (callers cap it further)."""
    longest = max(_text_width(line) for v in values for line in (v.split("\n") or [""]))
    return float(min(max(longest + 2, 8), 48))


def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide."""
    return max(
        1, sum(-(-_text_width(part) // max(int(width) - 1, 1)) or 1 for part in text.split("\n"))
    )


def _cell(value):
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
