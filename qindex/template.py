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
from qindex.scheme import DATA_SHEET as KAOHE_SHEET
from qindex.scheme import KEY_NAME, KEY_NOTE, KEY_SOURCE, KEY_UNIT
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


# ---------------------------------------------------------------- the 考核 workbook: one row per unit

SCHEME_INSTRUCTIONS = """填报说明

1. 本表用于报送《{name}》({year}年度)各考核对象的考核数据:每个单位一行,每个考核指标每个年份一列。
2. “{data}”表第2行是考核指标(编号、名称、单位、分值),第3行是年份;从第5行起每行一个单位。请勿改动第1–4行(第4行灰色小字是列编号,用于读取)、单位编号和表名;可以改动列宽。
3. 数值只填数字(可带%号),单位以指标名称括号内为准。没有数据的单元格留空,不要填0:留空的指标按“{missing}”计。
4. “评审打分”类指标填考核组评定的分数(0至该项分值);“按数量得分”类指标和扣分项、加分项、一票否决项填件数(整数,没有填0)。
5. 每行的“数据来源/文号”填该单位数据的出处(报表、文件名称或文号);不填时报告标为“内部数据(文件名)”。
6. 各指标的计分规则、分值和等级见“{rules}”表。
7. 填好后:qindex office check 文件名 --scheme {scheme_file} 检查;qindex office add 文件名 --scheme {scheme_file} 加入。

生成日期:{today};考核方案:{scheme_file};生成命令:qindex template --scheme {scheme_file}
"""
SCHEME_DATA_SHEET, SCHEME_RULES_SHEET = KAOHE_SHEET, "考核细则"


def write_scheme_template(
    scheme,
    years: list[int] | None = None,
    path: Path | str | None = None,
    fill: dict | None = None,
    sources: dict | None = None,
) -> Path:
    """Write the 考核 workbook of a scheme (:class:`qindex.scheme.Scheme`): 填报说明, 考核数据 (a row per unit, a
    column per item and year; default years: the year before the scheme's and its own) and 考核细则 (every
    item with its points and rule, the deductions, bonuses, vetoes and grades, and what the scheme follows).

    ``fill`` (``{(unit_id, column, year): value}``) and ``sources`` (``{unit_id: text}``) type values in, as an
    office would: the synthetic example goes through a filled workbook too.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    years = years or [scheme.year - 1, scheme.year]
    fill = fill or {}
    out = (
        Path(path)
        if path
        else paths.DATA_PROCESSED / "templates" / f"{Path(scheme.file).stem or 'kaohe'}.xlsx"
    )
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor=HEADER)
    wrap = Alignment(wrap_text=True, vertical="center")

    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    text = SCHEME_INSTRUCTIONS.format(
        name=scheme.name,
        year=scheme.year,
        data=SCHEME_DATA_SHEET,
        rules=SCHEME_RULES_SHEET,
        missing={"zero": "未报送的该项不得分"}[scheme.missing],
        scheme_file=scheme.file,
        today=dt.date.today().isoformat(),
    )
    for line in text.splitlines():
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    help_ws.cell(1, 1).font = Font(bold=True, size=13)

    ws = wb.create_sheet(SCHEME_DATA_SHEET)
    columns = []  # (key, label, kind)
    for i in scheme.items:
        unit = f"({i.unit})" if i.unit else ""
        what = "评审得分" if i.rule == "score" else "件数" if i.rule == "count" else ""
        label = f"{i.id} {i.name}{unit}{'·' + what if what else ''}【{i.points:g}分】"
        columns += [
            (
                i.id,
                label,
                "points" if i.rule == "score" else "count" if i.rule == "count" else "value",
            )
        ]
    for a in scheme.deductions:
        columns.append(
            (a.id, f"{a.id} 扣分项:{a.name}(件)【每件扣{a.per:g}分,最多{a.cap:g}分】", "count")
        )
    for a in scheme.bonuses:
        columns.append(
            (a.id, f"{a.id} 加分项:{a.name}(件)【每件加{a.per:g}分,最多{a.cap:g}分】", "count")
        )
    for v in scheme.vetoes:
        columns.append((v.id, f"{v.id} 一票否决:{v.name}(件)", "count"))
    n_cols = 2 + len(columns) * len(years) + 2
    ws.append([f"{scheme.name} 考核数据填报表"])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    labels = ["单位编号", "单位"]
    year_row = ["", ""]
    keys = [KEY_UNIT, KEY_NAME]
    for col, label, _ in columns:
        for y in years:
            labels.append(label)
            year_row.append(f"{y}年")
            keys.append(f"{col}@{y}")
    labels += ["数据来源/文号", "备注"]
    year_row += ["", ""]
    keys += [KEY_SOURCE, KEY_NOTE]
    ws.append(labels)
    ws.append(year_row)
    ws.append(keys)
    for j in range(
        1, n_cols + 1
    ):  # the column keys stay visible (a hidden row is refused on reading)
        ws.cell(4, j).font = Font(size=8, color="808080")
    ws.row_dimensions[2].height = 75
    for r in (2, 3):
        for j in range(1, n_cols + 1):
            c = ws.cell(r, j)
            c.font, c.fill, c.border, c.alignment = Font(bold=True), head_fill, box, wrap
    whole = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    whole.error = "请填写件数(整数,≥0)"
    ws.add_data_validation(whole)
    point_checks = {}
    for i in scheme.items:
        if i.rule == "score":
            dv = DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=f"{i.points:g}",
                allow_blank=True,
            )
            dv.error = f"请填写0至{i.points:g}分"
            ws.add_data_validation(dv)
            point_checks[i.id] = dv
    for k, u in enumerate(scheme.units.itertuples(), start=5):
        row = [u.unit_id, u.name_zh]
        for col, _, _ in columns:
            row += [fill.get((u.unit_id, col, y)) for y in years]
        row += [(sources or {}).get(u.unit_id, ""), ""]
        ws.append(row)
        for j in range(1, n_cols + 1):
            ws.cell(k, j).border = box
    last = 4 + len(scheme.units)
    j = 3
    for col, _, kind in columns:
        for _y in years:
            ref = f"{get_column_letter(j)}5:{get_column_letter(j)}{last}"
            if kind == "count":
                whole.add(ref)
            elif col in point_checks:
                point_checks[col].add(ref)
            ws.column_dimensions[get_column_letter(j)].width = 11
            j += 1
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions[get_column_letter(n_cols - 1)].width = 28
    ws.column_dimensions[get_column_letter(n_cols)].width = 20
    ws.freeze_panes = "C5"
    ws.print_title_rows = "2:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    rs = wb.create_sheet(SCHEME_RULES_SHEET)
    rs.append([scheme.name])
    rs.cell(1, 1).font = Font(bold=True, size=13)
    rs.append(["编号", "部分", "考核指标", "分值", "计分规则", "数据提供单位"])
    for i in scheme.items:
        rs.append(
            [
                i.id,
                i.part,
                i.name + (f"({i.unit})" if i.unit else ""),
                i.points,
                i.rule_zh(),
                i.holder,
            ]
        )
    for a in scheme.deductions:
        rs.append(
            [a.id, "扣分项", a.name, -a.cap, f"每件扣{a.per:g}分，最多扣{a.cap:g}分", a.holder]
        )
    for a in scheme.bonuses:
        rs.append(
            [a.id, "加分项", a.name, a.cap, f"每件加{a.per:g}分，最多加{a.cap:g}分", a.holder]
        )
    if scheme.bonus_cap is not None and scheme.bonuses:
        rs.append(["", "加分项", "加分合计", scheme.bonus_cap, f"最多加{scheme.bonus_cap:g}分", ""])
    for v in scheme.vetoes:
        rs.append(
            [v.id, "一票否决", v.name, "", f"考核结果为{scheme.grades[-1].grade}级", v.holder]
        )
    rs.append([])
    rs.append(["等级", scheme.grades_text()])
    for b in scheme.basis:
        rs.append(["依据", b])
    for j, w in enumerate([8, 14, 36, 8, 48, 20], start=1):
        rs.column_dimensions[get_column_letter(j)].width = w
    for c in rs[2]:
        c.font, c.fill = Font(bold=True), head_fill
    for row in rs.iter_rows(min_row=3):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    wb.active = 1
    return write_workbook(out, book=wb)
