"""The annual report (质量发展状况年度报告): the plans that cover a place, its values against the plans above."""

from __future__ import annotations

import numpy as np

from qindex.reports.annual import annual_report, status_table
from qindex.year_assessment import covering_plans


def test_covering_plans_include_the_level_above():
    p = covering_plans("CN-ZJ-HZ-GS").set_index("plan_id")
    assert p.at["gongshu-2025", "scope"] == "本级"
    assert p.at["hangzhou-2022", "scope"] == "上级"
    assert "chengdu-2027" not in p.index


def test_annual_report_for_gongshu():
    r = annual_report("CN-ZJ-HZ-GS", 2022, replications=20)
    assert r.title == "拱墅区2022年质量发展状况年度报告"
    # the one published district series: 数字经济核心产业增加值占GDP比重 3.7 (2021, derived) -> 4.0 (2022)
    ch = r.changes.iloc[0]
    assert (ch["2021年"], ch["2022年"], ch["判断"]) == (3.7, 4.0, "改善")
    assert np.isclose(ch["变化"], 0.3)
    assert "未计入指数排名" in r.index_note  # too little data for the index
    assert len(r.gaps) > 0 and set(status_table(r)["层级"]) == {"本级", "上级"}
    # in 2022 the district's own plan (issued 2023) is not yet in force: nothing is counted as its own
    assert r.own_plans().empty and "没有在实施的本级规划" in r.overall_text()


def test_annual_report_holds_local_values_against_the_plans_above():
    from qindex.reports.annual import annual_report

    table = annual_report("CN-ZJ-HZ-GS", 2024, replications=20).higher_plan_table()
    row = table[
        (table.指标 == "数字经济核心产业增加值占GDP比重") & table.上级方案.str.startswith("省级")
    ]
    # data/raw/observations/gongshu.csv: 4.0 % in 2022 (统计公报), below the 15 % Zhejiang sets for the whole
    # province: a benchmark, not compliance; 2022 is within two years of the 2024 report
    assert row[["本地值", "年份", "对照"]].values.tolist() == [["4%", 2022, "低于上级目标水平"]]
    # the city's plan in force in 2024 (the 2025 drafting note) sets no level target: no 市级 row
    assert set(table.上级方案.str.split().str[0]) == {"国家", "省级"}
