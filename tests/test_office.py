"""The office's own data: template → fill → check → add → report, precedence, and the data-request list.

Expected numbers are typed by hand from the cells the tests write (a filled template is a hand-computed
example): what goes in must come back, converted only where the unit says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from qindex.catalog import load_catalog
from qindex.cli import main
from qindex.errors import ObservationError
from qindex.observations import read_observations
from qindex.office import check, read_office
from qindex.panel import load_panel
from qindex.precedence import combine, load_precedence, precedence_log
from qindex.template import write_template

PLANS = ["hangzhou-2015", "hangzhou-2022", "gongshu-2025", "hangzhou-2025", "chengdu-2027"]


@pytest.fixture
def office(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "office"
    folder.mkdir()
    monkeypatch.setenv("QINDEX_OFFICE", str(folder))
    return folder


def _row_of(ws, indicator_id: str) -> int:
    last = ws.max_column
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, last).value == indicator_id:
            return r
    raise AssertionError(f"{indicator_id} not in the template")


def _col_of(ws, header: str) -> int:
    for c in range(1, ws.max_column + 1):
        if str(ws.cell(3, c).value) == header:
            return c
    raise AssertionError(header)


@pytest.mark.parametrize("plan_id", PLANS)
def test_template_for_every_plan_lists_its_indicators_and_reads_back_empty(plan_id, tmp_path):
    path = write_template(plan_id, path=tmp_path / f"{plan_id}.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["填报说明", "指标数据", "排名", "获奖与称号"]
    ws = wb["指标数据"]
    ids = {ws.cell(r, ws.max_column).value for r in range(4, ws.max_row + 1)}
    cat = load_catalog()
    tg = cat.targets[(cat.targets.plan_id == plan_id) & (cat.targets.indicator_id != "")]
    needed = set(tg[tg.target_type != "rank"].indicator_id)
    assert ids == needed
    assert ws.column_dimensions[ws.cell(3, ws.max_column).column_letter].hidden
    assert ws.freeze_panes == "B4"
    # an untouched template adds nothing but the published values it shows (identical: one value)
    data = read_office([path])
    published = load_panel(office=False)
    merged = combine(published, data.observations, load_precedence())
    assert len(merged) == len(published)
    assert (merged.origin != "office").all()


def test_template_prefills_published_values_in_grey_with_their_source(tmp_path):
    path = write_template("gongshu-2025", path=tmp_path / "t.xlsx")
    ws = load_workbook(path)["指标数据"]
    r, c = _row_of(ws, "digital_economy_share"), _col_of(ws, "2022")
    cell = ws.cell(r, c)
    # 2022年拱墅区统计公报: 数字经济核心产业增加值占GDP比重 4.0%
    assert cell.value == 4.0
    assert cell.fill.fgColor.rgb.endswith("D9D9D9")
    assert "bx2200.com" in cell.comment.text


def test_filled_template_with_messy_entries_reads_back_exactly(tmp_path):
    path = write_template("hangzhou-2022", path=tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = _row_of(ws, "manufacturing_product_pass_rate")
    ws.cell(r, _col_of(ws, "2019")).value = "96.5%"  # typed as text with a sign
    ws.cell(r, _col_of(ws, "2020")).value = "９６．８"  # full-width digits
    c = ws.cell(r, _col_of(ws, "2021"))
    c.value, c.number_format = (
        0.971,
        "0.0%",
    )  # Excel turns a typed "97.1%" into 0.971, shown as percent
    ws.cell(r, _col_of(ws, "2022")).value = "—"  # missing
    ws.cell(r, _col_of(ws, "数据来源/文号")).value = "杭州市市场监管局 质量状况报告"
    r2 = _row_of(ws, "service_quality_satisfaction")
    ws.cell(r2, _col_of(ws, "2021")).value = " 82.1 "
    ws.cell(r2, _col_of(ws, "标记")).value = "初步数"
    total = ws.max_row + 1
    ws.cell(total, 1).value = "合计"
    ws.cell(total, _col_of(ws, "2019")).value = 999
    ws.cell(total + 1, 1).value = "注:2022年数据待年报发布后补报。"
    # ranks and events
    rs = wb["排名"]
    rr = next(
        r for r in range(4, rs.max_row + 1) if rs.cell(r, 11).value == "quality_competitiveness"
    )
    for col, v in zip(  # noqa: B905
        range(2, 9), ["中国城市质量竞争力指数", 2021, 3, 36, "全国", "某研究机构", "某报告"]
    ):
        rs.cell(rr, col).value = v
    es = wb["获奖与称号"]
    es.cell(2, 4).value = "2019-2022"
    er = next(r for r in range(4, es.max_row + 1) if es.cell(r, 7).value == "dayu_awards")
    es.cell(er, 2).value = "某水库除险加固工程"
    es.cell(er, 3).value = dt.date(2021, 6, 30)
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    data = read_office([filled])
    obs = data.observations.set_index(["indicator_id", "year"])
    assert obs.loc[("manufacturing_product_pass_rate", 2019), "value"] == pytest.approx(96.5)
    assert obs.loc[("manufacturing_product_pass_rate", 2020), "value"] == pytest.approx(96.8)
    assert obs.loc[("manufacturing_product_pass_rate", 2021), "value"] == pytest.approx(97.1)
    assert ("manufacturing_product_pass_rate", 2022) not in obs.index
    assert (
        obs.loc[("manufacturing_product_pass_rate", 2019), "source"]
        == "杭州市市场监管局 质量状况报告"
    )
    assert obs.loc[("service_quality_satisfaction", 2021), "value"] == pytest.approx(82.1)
    assert obs.loc[("service_quality_satisfaction", 2021), "flag"] == "provisional"
    row = obs.loc[("manufacturing_product_pass_rate", 2019)]
    assert (row.origin, row.sheet, row.jurisdiction_id) == ("office", "指标数据", "CN-ZJ-HZ")
    # hangzhou-2022 runs 2018–2022, so 2019 is the 7th column (G)
    assert row.cell == f"G{_row_of(ws, 'manufacturing_product_pass_rate')}"
    # the total and the footnote rows are skipped with a note each, not reported as errors
    assert [n.value for n in data.notes] == ["合计", "注:2022年数据待年报发布后补报。"]
    # events: one 大禹奖 in 2021, none in the other complete years
    dayu = obs.loc["dayu_awards"].value
    assert dayu.to_dict() == {2019: 0.0, 2020: 0.0, 2021: 1.0, 2022: 0.0}
    ranks = data.rankings
    assert ranks[["indicator_id", "year", "rank", "n_ranked", "scope"]].values.tolist() == [
        ["quality_competitiveness", 2021, 3, 36, "national"]
    ]


def test_office_check_lists_every_problem_with_sheet_row_and_column(tmp_path, office):
    path = write_template("hangzhou-2022", path=tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = _row_of(ws, "manufacturing_product_pass_rate")
    ws.cell(r, _col_of(ws, "2019")).value = "九十六"
    ws.cell(r, _col_of(ws, "2020")).value = 130  # above the natural limit of 100 %
    es = wb["获奖与称号"]
    er = next(r for r in range(4, es.max_row + 1) if es.cell(r, 7).value == "dayu_awards")
    es.cell(er, 2).value = "某工程"
    es.cell(er, 3).value = dt.date(2021, 6, 30)  # no 已列全年份 given
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(ObservationError) as info:
        check([tmp_path / "bad.xlsx"])
    text = str(info.value)
    assert f"sheet '指标数据', row {r}, column '2019, cell G{r}': got '九十六'" in text
    assert f"row {r}, column '2020, cell H{r}': got '130 %'" in text
    assert "已列全年份" in text
    assert main(["office", "check", str(tmp_path / "bad.xlsx")]) == 1


def test_add_copies_unchanged_never_overwrites_and_changes_the_plan_report(tmp_path, office):
    from qindex.reports.plan import plan_report

    before = plan_report("hangzhou-2022", as_of=2022)
    path = write_template("hangzhou-2022", path=tmp_path / "杭州市_hangzhou-2022.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = _row_of(ws, "manufacturing_product_pass_rate")
    for year, v in zip(range(2018, 2023), [95.1, 95.4, 95.9, "96.2%", "９６．６"], strict=True):
        ws.cell(r, _col_of(ws, str(year))).value = v
    wb.save(path)
    assert main(["office", "add", str(path)]) == 0
    copied = office / path.name
    assert copied.read_bytes() == path.read_bytes()
    assert main(["office", "add", str(path)]) == 1  # the name is taken: nothing overwritten
    after = plan_report("hangzhou-2022", as_of=2022)
    a0 = before.assessment.set_index("target_id")
    a1 = after.assessment.set_index("target_id")
    target = a1[a1.indicator_id == "manufacturing_product_pass_rate"].index[0]
    assert a0.at[target, "status"] == "not_assessable"
    # hz22-14: 制造业产品质量合格率达到96% by 2022; the office's 2022 value 96.6 → 已完成
    assert a1.at[target, "status"] == "met"
    assert a1.at[target, "latest_value"] == pytest.approx(96.6)
    table = after.target_table().set_index("编号")
    assert table.at[target, "数据"] == "内部数据"
    annex = after.office_values()
    assert len(annex) == 5 and set(annex["工作表"]) == {"指标数据"}
    assert after.tables()["office_values"].shape[0] == 5


def test_precedence_office_wins_for_own_place_published_for_comparators(office):
    cat = load_catalog()
    published = load_panel(office=False)
    gs = published[(published.jurisdiction_id == "CN-ZJ-HZ-GS") & (published.year == 2022)].iloc[
        [0]
    ]
    hz = published[published.jurisdiction_id == "CN-ZJ-HZ"].iloc[[0]]
    own = pd.concat([gs.assign(value=4.1), hz.assign(value=hz.value + 1)]).assign(
        origin="office", source="内部数据(x.xlsx)", file="x.xlsx", other_sources=""
    )
    rule = load_precedence(catalog=cat)
    rule = rule.__class__(("CN-ZJ-HZ-GS",), rule.between, rule.within)
    merged = combine(published, own, rule)
    key = ["jurisdiction_id", "indicator_id", "year"]
    got = merged.set_index(key).value
    assert got.loc[tuple(gs[key].iloc[0])] == pytest.approx(4.1)  # own place: office
    assert got.loc[tuple(hz[key].iloc[0])] == pytest.approx(
        hz.value.iloc[0]
    )  # comparator: published
    log = precedence_log(merged)
    between = log[log.rule.str.startswith("between")]
    assert sorted(between.rule) == [
        "between_origins.comparators: published",
        "between_origins.own_places: office",
    ]
    assert len(merged) == len(published)


def test_identical_values_from_two_sources_are_one_row_with_both_sources(office):
    published = load_panel(office=False)
    row = published[published.origin == "published"].iloc[[0]]
    own = row.assign(origin="office", source="内部数据(x.xlsx)", file="x.xlsx")
    merged = combine(published, own, load_precedence())
    assert len(merged) == len(published)
    key = ["jurisdiction_id", "indicator_id", "year"]
    kept = merged.set_index(key).loc[tuple(row[key].iloc[0])]
    assert kept.origin == "published" and "内部数据(x.xlsx)" in kept.other_sources


def test_two_office_values_without_a_rule_name_the_rule_to_add(tmp_path, office):
    for name, v in (("a.csv", 93.0), ("b.csv", 94.0)):
        (office / name).write_text(
            f"地区,指标,年份,数值\n杭州市,制造业产品质量合格率,2020,{v}\n", encoding="utf-8"
        )
    with pytest.raises(
        ObservationError, match=r"within_origin\.office in data/raw/precedence\.yaml"
    ):
        load_panel()
    assert main(["validate"]) == 1


def test_table_without_place_column_uses_jurisdiction_and_suggestions_stay_in_level(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "指标名称,2021年,2022年,来源\n制造业产品质量合格率,93.5,94.1,区报表\n", encoding="utf-8"
    )
    got = read_observations(f, jurisdiction="杭州市拱墅区")
    assert set(got.jurisdiction_id) == {"CN-ZJ-HZ-GS"}  # parent + name is the district, not 杭州市
    f.write_text(
        "地区,指标,年份,数值,来源\n杭州市拱墅,空气质量优良率,2022,88.2,x\n", encoding="utf-8"
    )
    with pytest.raises(ObservationError) as info:
        read_observations(f)
    text = str(info.value)
    assert "did you mean '杭州市'" not in text
    assert "空气质量优良天数'" not in text  # a share is never suggested as a count of days
    assert "空气质量优良天数比例" in text


def test_requests_list_has_plan_departments_and_suggestions(tmp_path):
    from qindex.plan_assessment import assess_plan
    from qindex.reports.requests import requests_table

    def requests_of(plan_id):
        return requests_table(plan_id, assess_plan(plan_id).assessment)

    t = requests_of("chengdu-2027").set_index("target_id")
    # cd27-01 工业产品质量合格率: the plan's task 2.推动工业品迈向中高端 names its 责任单位
    assert t.at["cd27-01", "提供单位"] == "市经信局市新经济委、市发改委、市市场监管局"
    assert t.at["cd27-01", "依据"].startswith("方案明确")
    assert t.at["cd27-01", "原因"] == "无数据"
    hz = requests_of("hangzhou-2022").set_index("target_id")
    assert hz["提供单位"].str.endswith("(建议)").all()
    assert "hz22-20" in hz.index and hz.at["hz22-20", "reason_code"] == "reading"
    assert main(["requests", "chengdu-2027", "-o", str(tmp_path / "r.xlsx")]) == 0
    ws = load_workbook(tmp_path / "r.xlsx")["数据需求清单"]
    assert ws.cell(2, 1).value == "目标" and ws.max_row == len(t) + 2


def test_synthetic_example_is_read_from_its_filled_template(tmp_path):
    from qindex.synthetic import example_panel, example_workbook, write_example_workbook

    made = write_example_workbook("gongshu-2025", path=tmp_path / "ex.xlsx")
    cat, shipped, _ = example_panel("gongshu-2025")
    regenerated = read_office([made], cat, origin="synthetic").observations
    key = ["indicator_id", "year"]
    a = shipped.sort_values(key)[[*key, "value"]].reset_index(drop=True)
    b = regenerated.sort_values(key)[[*key, "value"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)  # the shipped workbook is what the generator writes
    assert (shipped.origin == "synthetic").all()
    assert example_workbook("gongshu-2025").parent.name == "example"


def test_shipped_tasks_quote_the_plan_verbatim():
    from qindex.departments import load_tasks

    tasks = load_tasks()
    assert len(tasks) == 29 and set(tasks.plan_id) == {"chengdu-2027"}
    src = (Path(__file__).parents[1] / "data/raw/sources/004_dda534a2242f7dc0.txt").read_text(
        "utf-8"
    )
    assert all(q in src for q in tasks.quote)


def test_office_files_lock_and_hidden_files_are_not_data(office):
    from qindex.office import office_files

    (office / "~$a.xlsx").write_bytes(b"lock")  # Excel's lock file while a workbook is open
    (office / ".b.csv").write_text("x", encoding="utf-8")
    (office / "README.md").write_text("x", encoding="utf-8")
    assert office_files() == []
    assert len(load_panel()) == len(load_panel(office=False))
