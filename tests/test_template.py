"""The office template: one workbook per plan, its published values in grey, read back exactly."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook

from qindex.catalog import load_catalog
from qindex.office import read_office
from qindex.panel import load_panel
from qindex.precedence import combine, load_precedence
from qindex.template import write_template
from tests.helpers import col_of, row_of

PLANS = ["hangzhou-2015", "hangzhou-2022", "gongshu-2025", "hangzhou-2025", "chengdu-2027"]


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
    r, c = row_of(ws, "digital_economy_share"), col_of(ws, "2022")
    cell = ws.cell(r, c)
    # 2022年拱墅区统计公报: 数字经济核心产业增加值占GDP比重 4.0%
    assert cell.value == 4.0
    assert cell.fill.fgColor.rgb.endswith("D9D9D9")
    assert "bx2200.com" in cell.comment.text


def test_filled_template_with_messy_entries_reads_back_exactly(tmp_path):
    path = write_template("hangzhou-2022", path=tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = row_of(ws, "manufacturing_product_pass_rate")
    ws.cell(r, col_of(ws, "2019")).value = "96.5%"  # typed as text with a sign
    ws.cell(r, col_of(ws, "2020")).value = "９６．８"  # full-width digits
    c = ws.cell(r, col_of(ws, "2021"))
    c.value, c.number_format = (
        0.971,
        "0.0%",
    )  # Excel turns a typed "97.1%" into 0.971, shown as percent
    ws.cell(r, col_of(ws, "2022")).value = "—"  # missing
    ws.cell(r, col_of(ws, "数据来源/文号")).value = "杭州市市场监管局 质量状况报告"
    r2 = row_of(ws, "service_quality_satisfaction")
    ws.cell(r2, col_of(ws, "2021")).value = " 82.1 "
    ws.cell(r2, col_of(ws, "标记")).value = "初步数"
    total = ws.max_row + 1
    ws.cell(total, 1).value = "合计"
    ws.cell(total, col_of(ws, "2019")).value = 999
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
    assert row.cell == f"G{row_of(ws, 'manufacturing_product_pass_rate')}"
    # the total and the footnote rows are skipped with a note each, not reported as errors
    assert [n.value for n in data.notes] == ["合计", "注:2022年数据待年报发布后补报。"]
    # events: one 大禹奖 in 2021, none in the other complete years
    dayu = obs.loc["dayu_awards"].value
    assert dayu.to_dict() == {2019: 0.0, 2020: 0.0, 2021: 1.0, 2022: 0.0}
    ranks = data.rankings
    assert ranks[["indicator_id", "year", "rank", "n_ranked", "scope"]].values.tolist() == [
        ["quality_competitiveness", 2021, 3, 36, "national"]
    ]


def test_relative_targets_ask_for_their_benchmark_or_show_the_published_one():
    # Issue 29: "优良天数比例不低于全国平均水平" shows the national values already published (data/raw:
    # 全国 86.5, 85.5, 87.2 in 2022–2024); "R&D强度不低于数字经济占比" (same place, another indicator, a
    # pairing written for this test) asks for the benchmark indicator in a row of its own.
    from dataclasses import replace

    from qindex.template import template_rows

    cat = load_catalog()
    base = cat.targets[cat.targets.plan_id == "chengdu-2027"].iloc[0]
    extra = pd.DataFrame(
        [
            {
                **base.to_dict(),
                "target_id": "rel-a",
                "indicator_id": "good_air_days_share",
                "target_type": "relative",
                "comparator": ">=",
                "target_value": float("nan"),
                "quote": "优良天数比例不低于全国平均水平",
                "benchmark_jurisdiction_id": "CN",
                "benchmark_indicator_id": "",
            },
            {
                **base.to_dict(),
                "target_id": "rel-b",
                "indicator_id": "rnd_intensity_gdp",
                "target_type": "relative",
                "comparator": ">=",
                "target_value": float("nan"),
                "quote": "R&D经费投入强度不低于数字经济核心产业增加值占比",
                "benchmark_jurisdiction_id": "",
                "benchmark_indicator_id": "digital_economy_share",
            },
        ]
    )
    cat = replace(cat, targets=pd.concat([cat.targets, extra], ignore_index=True))
    values, _ranks, _events = template_rows("chengdu-2027", [2022, 2023, 2024], catalog=cat)
    rows = values.set_index("indicator_id")
    assert (
        "比较基准全国已公布:2022年86.5、2023年85.5、2024年87.2"
        in rows.loc["good_air_days_share", "remark"]
    )
    assert rows.loc["digital_economy_share", "wording"].startswith("比较基准:R&D经费投入强度不低于")
