"""The fill-in template (数据填报表) for a plan's place: one XLSX the office fills and hands back.

``qindex template PLAN_ID`` writes ``data/processed/templates/<plan_id>.xlsx`` with four sheets:

- 填报说明: how to fill it and what happens next (``qindex office check`` / ``add``);
- 指标数据: one row per indicator the plan's targets need; columns 指标 | 单位 | 口径说明 | 对应目标 | 建议提供单位 |
  one column per year | 数据来源/文号 | 标记 | 备注, and the indicator id in a hidden last column. Published values
  already known are filled in grey, with their source as a cell comment; the office fills the gaps. Year
  cells carry a validation from the indicator's natural limits;
- 排名: published ranks (名次, 参评总数, 范围, 发布机构, 年份) for the plan's rank targets;
- 获奖与称号: dated events (one row per award or title), counted per year over the years the office declares
  complete.

The workbook holds only what openpyxl writes reliably (values, styles, comments, data validation, frozen
panes, print settings): no macros, no formulas. :func:`qindex.office.read_office` reads it back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import load_catalog, targets, zh_definition
from qindex.departments import department
from qindex.errors import CatalogError, Problem
from qindex.observations import FLAG_WORDS, off_definition_flag
from qindex.panel import load_panel
from qindex.precedence import MEANING_FLAGS
from qindex.rankings import load_rankings
from qindex.sources import describe
from qindex.store import atomic_write

GREY = "D9D9D9"
HEADER = "DDEBF7"
DATA_SHEET, RANK_SHEET, EVENT_SHEET, HELP_SHEET = "指标数据", "排名", "获奖与称号", "填报说明"
INSTRUCTIONS = """填报说明

1. 本表用于{place}报送《{plan}》各项目标所需的数据。请在“{data}”表中按年份填写数值;没有数据的单元格留空,不要填0。
2. 灰色单元格是已公开发布的数值(批注中注明出处)。如本单位数据与之不同,直接改写为本单位数据;报告会同时列出两个数值及其来源。
3. 数值只填数字,可带%号(如 96.5 或 96.5%);单位以“单位”列为准。“口径说明”写明统计口径,口径不同时请在“标记”列选“口径不同”并在“备注”说明。
4. “数据来源/文号”填本单位报表、文件名称或文号;不填时报告标为“内部数据(文件名)”。
5. “{rank}”表填写已公布的排名:名次、参评总数、范围(全国、全省或同类城市)、发布机构、年份。
6. “{event}”表逐条填写获奖、认定和称号(名称、日期)。请在“已列全年份”填写已完整列出的年份(如 2019-2024):这些年份中没有列出的,视为当年为0。没有获奖的指标请在“名称”填“无”。
7. 不要改动表头、隐藏列和表名;可以插入行。
8. 填好后:qindex office check 文件名 检查;qindex office add 文件名 加入 data/raw/office/。之后各报告即使用这些数据,标为“内部数据”。

生成日期:{today};方案编号:{plan_id};生成命令:qindex template {plan_id}
"""


def template_rows(
    plan_id: str, years: list[int], catalog=None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(values, ranks, events) rows of the template: indicators of the plan's targets, with the plan's
    wording, the suggested department and the published values already known."""
    cat = catalog or load_catalog()
    tg = cat.targets[(cat.targets.plan_id == plan_id) & (cat.targets.indicator_id != "")]
    ind = cat.indicators.set_index("indicator_id")
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    place = plan.jurisdiction_id
    published = load_panel(office=False)  # settled by precedence.yaml, without the office's files
    rows, ranks, events = [], [], []
    tg = pd.concat([tg, _benchmark_rows(tg, place)], ignore_index=True)
    for k, g in tg.groupby("indicator_id", sort=False):
        types = set(g.target_type)
        wording = ";".join(dict.fromkeys(g.quote))
        dept, _, _ = department(k, g.target_id.iloc[0], plan_id)
        meta = ind.loc[k]
        if "rank" in types:
            ranks.append(
                {"indicator_id": k, "name": meta.name_zh, "wording": wording, "dept": dept}
            )
        if "cumulative" in types:
            events.append(
                {"indicator_id": k, "name": meta.name_zh, "wording": wording, "dept": dept}
            )
        if types <= {"rank"}:
            continue
        s = published[(published.jurisdiction_id == place) & (published.indicator_id == k)]
        on = [r for r in s.itertuples() if r.year in years and off_definition_flag(r.flag) is None]
        # a stock or a lower bound cannot sit in a row of plain annual values: shown in 备注 instead
        special = [r for r in on if any(f in str(r.flag).split(";") for f in MEANING_FLAGS)]
        known = {int(r.year): r for r in on if r not in special}
        remark = "; ".join(
            f"已公开{int(r.year)}年{'累计' if 'cumulative' in r.flag else '不低于'}{r.value:g}{meta.unit}"
            for r in special
        )
        remark = "; ".join(filter(None, [remark, *_elsewhere(g, cat, published, years)]))
        definition = zh_definition(meta)
        if "cumulative" in types:
            definition = "填当年新增数(不是累计数);如只有累计数,在“标记”列选“累计值”。" + definition
        rows.append(
            {
                "indicator_id": k,
                "name": meta.name_zh,
                "unit": meta.unit,
                "definition": definition,
                "wording": wording,
                "dept": dept,
                "lower": meta.lower_limit,
                "upper": meta.upper_limit,
                "known": known,
                "remark": remark,
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(ranks), pd.DataFrame(events)


def _benchmark_rows(tg: pd.DataFrame, place: str) -> pd.DataFrame:
    """A relative target compared with another indicator of the same place ("不低于GDP增幅") needs that
    indicator's values too: one row each, worded as the benchmark of the target that names it."""
    if "benchmark_indicator_id" not in tg.columns:
        return tg.iloc[:0]
    rel = tg[
        (tg.target_type == "relative")
        & (tg.benchmark_indicator_id != "")
        & tg.benchmark_jurisdiction_id.isin(["", place])
    ]
    return rel.assign(
        indicator_id=rel.benchmark_indicator_id,
        target_type="benchmark",
        quote="比较基准:" + rel.quote,
    )


def _elsewhere(g: pd.DataFrame, cat, published: pd.DataFrame, years: list[int]) -> list[str]:
    """For relative targets compared with another place ("低于全国平均水平"): the benchmark values already
    published for the template's years, or that none is (the office names its source in 备注)."""
    out = []
    if "benchmark_jurisdiction_id" not in g.columns:
        return out
    names = cat.jurisdictions.set_index("jurisdiction_id")["name_zh"]
    for r in g[(g.target_type == "relative") & (g.benchmark_jurisdiction_id != "")].itertuples():
        ind = r.benchmark_indicator_id or r.indicator_id
        s = published[
            (published.jurisdiction_id == r.benchmark_jurisdiction_id)
            & (published.indicator_id == ind)
            & published.year.isin(years)
        ].sort_values("year")
        where = names.get(r.benchmark_jurisdiction_id, r.benchmark_jurisdiction_id)
        if len(s):
            values = "、".join(f"{int(y)}年{v:g}" for y, v in zip(s.year, s.value, strict=True))
            out.append(f"比较基准{where}已公布:{values}")
        else:
            out.append(f"比较基准{where}尚无已公布数据,如有请在备注注明数值和来源")
    return out


def parse_years(text: str) -> list[int]:
    """ "2019-2025" → [2019, …, 2025]."""
    import re

    m = re.fullmatch(r"\s*(\d{4})\s*[-–~]\s*(\d{4})\s*", text or "")
    if not m or not 1949 <= int(m.group(1)) <= int(m.group(2)) <= 2100:
        raise CatalogError([Problem("--years", None, None, text, "a span such as 2019-2025")])
    return list(range(int(m.group(1)), int(m.group(2)) + 1))


def write_template(
    plan_id: str,
    years: list[int] | None = None,
    path: Path | str | None = None,
    catalog=None,
    fill: pd.DataFrame | None = None,
) -> Path:
    """Write the template of ``plan_id`` (default years: the plan's base year to its target year).

    ``catalog`` (default the shipped one) and ``fill`` (``indicator_id, year, value``: values typed into the
    year cells, as an office would) serve the synthetic example, which goes through a filled template too.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    cat = catalog or load_catalog()
    if catalog is None:
        targets(plan_id)  # an unknown plan id is an error with a suggestion
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    place = cat.jurisdictions.set_index("jurisdiction_id").name_zh[plan.jurisdiction_id]
    years = years or list(range(int(plan.base_year), int(plan.target_year) + 1))
    values, ranks, events = template_rows(plan_id, years, cat)
    typed = (
        {(r.indicator_id, int(r.year)): float(r.value) for r in fill.itertuples()}
        if fill is not None
        else {}
    )
    out = Path(path) if path else paths.DATA_PROCESSED / "templates" / f"{plan_id}.xlsx"

    wb = Workbook()
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor=HEADER)
    grey = PatternFill("solid", fgColor=GREY)
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet_head(ws, title: str, columns: list[str], widths: list[int], extra: list) -> int:
        ws.append([title])
        ws.cell(1, 1).font = Font(bold=True, size=13)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        ws.append(extra)
        ws.append(columns)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
            c = ws.cell(3, j)
            c.font, c.fill, c.border = Font(bold=True), head_fill, box
            c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.freeze_panes = "B4"
        ws.print_title_rows = "1:3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return len(columns)

    # 填报说明
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    text = INSTRUCTIONS.format(
        place=place,
        plan=plan.title_zh,
        data=DATA_SHEET,
        rank=RANK_SHEET,
        event=EVENT_SHEET,
        today=dt.date.today().isoformat(),
        plan_id=plan_id,
    )
    for line in text.splitlines():
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    help_ws.cell(1, 1).font = Font(bold=True, size=13)

    # 指标数据
    ws = wb.create_sheet(DATA_SHEET)
    cols = ["指标", "单位", "口径说明", "对应目标", "建议提供单位", *[str(y) for y in years]]
    cols += ["数据来源/文号", "标记", "备注", "indicator_id"]
    widths = [26, 10, 36, 36, 18, *[9] * len(years), 24, 10, 20, 4]
    n = sheet_head(
        ws,
        f"{place}:{plan.title_zh} 指标数据填报表",
        cols,
        widths,
        ["地区", place, "方案", plan_id, "填报单位", "", "填报日期", ""],
    )
    first_year_col = 6
    flags = DataValidation(type="list", formula1='"' + ",".join(FLAG_WORDS) + '"', allow_blank=True)
    ws.add_data_validation(flags)
    for i, r in enumerate(values.itertuples(), start=4):
        ws.append(
            [r.name, r.unit, r.definition, r.wording, r.dept]
            + [None] * len(years)
            + ["", "", r.remark, r.indicator_id]
        )
        if r.remark:
            ws.cell(i, n - 1).fill = grey
        for j in range(1, n + 1):
            ws.cell(i, j).border = box
        for j in (1, 3, 4, 5):
            ws.cell(i, j).alignment = wrap
        for y, obs in r.known.items():
            c = ws.cell(i, first_year_col + years.index(y))
            c.value = float(obs.value)
            c.fill = grey
            cited = describe(str(obs.source))
            note = f"已公开数值 published: {cited.text('zh')}"
            if cited.link:
                note += f"\n地址 address: {cited.link}"
            if obs.flag:
                note += f"\n标记 flag: {obs.flag}"
            c.comment = Comment(note[:1000], "qindex")
        for y in years:
            if (r.indicator_id, y) in typed:
                ws.cell(i, first_year_col + years.index(y)).value = typed[(r.indicator_id, y)]
        first = f"{get_column_letter(first_year_col)}{i}"
        last = f"{get_column_letter(first_year_col + len(years) - 1)}{i}"
        lo = r.lower if pd.notna(r.lower) else None
        hi = r.upper if pd.notna(r.upper) else None
        if lo is not None or hi is not None:
            rule = DataValidation(
                type="decimal",
                operator="between"
                if lo is not None and hi is not None
                else ("greaterThanOrEqual" if lo is not None else "lessThanOrEqual"),
                formula1=str(lo if lo is not None else hi),
                formula2=str(hi) if lo is not None and hi is not None else None,
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle="数值超出范围",
                error=f"{r.name}应在 {lo if lo is not None else ''}–{hi if hi is not None else ''} {r.unit} 之间",
                promptTitle=r.name[:32],
                prompt=f"单位:{r.unit};无数据留空",
                showInputMessage=True,
            )
            ws.add_data_validation(rule)
            rule.add(f"{first}:{last}")
        flags.add(f"{get_column_letter(n - 2)}{i}")
    ws.column_dimensions[get_column_letter(n)].hidden = True

    # 排名
    rs = wb.create_sheet(RANK_SHEET)
    cols = [
        "指标",
        "排名名称",
        "年份",
        "名次",
        "参评总数",
        "范围",
        "发布机构",
        "来源/文号",
        "备注",
        "对应目标",
        "indicator_id",
    ]
    n = sheet_head(
        rs,
        f"{place}:已公布的排名",
        cols,
        [24, 30, 8, 8, 10, 10, 22, 26, 16, 36, 4],
        ["地区", place],
    )
    scope = DataValidation(type="list", formula1='"全国,全省,同类城市"', allow_blank=True)
    whole = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True
    )
    rs.add_data_validation(scope)
    rs.add_data_validation(whole)

    known = load_rankings()
    row = 4
    for r in ranks.itertuples():
        pub = known[
            (known.jurisdiction_id == plan.jurisdiction_id) & (known.indicator_id == r.indicator_id)
        ]
        for p in [*pub.itertuples(), None]:
            zh = {"national": "全国", "province": "全省", "peer_tier": "同类城市"}
            rs.append(
                [r.name]
                + (
                    [
                        p.ranking,
                        int(p.year),
                        int(p.rank),
                        int(p.n_ranked),
                        zh[p.scope],
                        p.publisher,
                        p.source,
                        "",
                    ]
                    if p is not None
                    else [""] * 8
                )
                + [r.wording, r.indicator_id]
            )
            if p is not None:
                for j in range(2, 10):
                    rs.cell(row, j).fill = grey
                rs.cell(row, 4).comment = Comment(f"已公开 published: {p.source}"[:1000], "qindex")
            for j in range(1, n + 1):
                rs.cell(row, j).border = box
            scope.add(f"F{row}")
            whole.add(f"C{row}:E{row}")
            row += 1
    rs.column_dimensions[get_column_letter(n)].hidden = True

    # 获奖与称号
    es = wb.create_sheet(EVENT_SHEET)
    cols = ["指标", "名称", "日期", "来源/文号", "备注", "对应目标", "indicator_id"]
    n = sheet_head(
        es,
        f"{place}:获奖、认定与称号(逐条)",
        cols,
        [26, 34, 12, 26, 16, 36, 4],
        ["地区", place, "已列全年份", ""],
    )
    for i, r in enumerate(events.itertuples(), start=4):
        es.append([r.name, "", None, "", "", r.wording, r.indicator_id])
        es.cell(i, 3).number_format = "yyyy-mm-dd"
        for j in range(1, n + 1):
            es.cell(i, j).border = box
    es.cell(2, 4).fill = PatternFill("solid", fgColor="FFF2CC")
    es.cell(2, 4).comment = Comment(
        "填写已完整列出的年份,如 2019-2024;这些年份中未列出的视为0。", "qindex"
    )
    es.column_dimensions[get_column_letter(n)].hidden = True

    wb.active = 1
    return write_workbook(out, book=wb)


def write_workbook(path: Path | str, sheets: list | None = None, book=None) -> Path:
    """Write an XLSX atomically: ``book`` as is, or ``sheets`` = [(name, title, frame, widths)] as plain
    tables with a title row, a bold header and frozen panes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if book is None:
        book = Workbook()
        book.remove(book.active)
        for name, title, frame, widths in sheets or []:
            ws = book.create_sheet(name)
            ws.append([title])
            ws.cell(1, 1).font = Font(bold=True, size=13)
            ws.append(list(frame.columns))
            for j, col in enumerate(frame.columns, start=1):
                c = ws.cell(2, j)
                c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor=HEADER)
                ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 18)
            for row in frame.itertuples(index=False):
                ws.append(["" if (isinstance(v, float) and pd.isna(v)) else v for v in row])
            for r in ws.iter_rows(min_row=3):
                for c in r:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.freeze_panes = "A3"
            ws.page_setup.orientation = "landscape"
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
    return atomic_write(path, lambda tmp: book.save(tmp))
