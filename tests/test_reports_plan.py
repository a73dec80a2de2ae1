"""The plan report: it presents the assessment it was built on, with the catalogue it was given.

Expected counts come from the shipped data: hangzhou-2022 as of 2022 has 41 targets, 7 met (the values of
data/raw/observations/ against targets.csv, the same figures as the doctest of qindex.progress.assess).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from qindex.catalog import load_catalog
from qindex.plan_assessment import assess_plan
from qindex.reports.plan import PlanReport, plan_report
from qindex.reports.requests import reader_columns, requests_table


def test_the_report_presents_the_assessment_and_computes_nothing_new():
    computed = assess_plan("hangzhou-2022", as_of=2022)
    report = plan_report("hangzhou-2022", as_of=2022)
    pd.testing.assert_frame_equal(report.assessment, computed.assessment)
    pd.testing.assert_frame_equal(report.by_domain, computed.by_domain)
    assert report.summary()["statuses"] == {"已完成": 7, "待核实": 2, "无法评估": 30, "不评分": 2}
    # a report can be made from an assessment without computing again
    again = PlanReport(**{f.name: getattr(computed, f.name) for f in dataclasses.fields(computed)})
    assert again.summary() == report.summary()


def test_names_come_from_the_catalogue_the_report_was_built_on():
    cat = load_catalog()
    places = cat.jurisdictions.copy()
    places.loc[places.jurisdiction_id == "CN-ZJ-HZ", "name_zh"] = "测试市"
    renamed = dataclasses.replace(cat, jurisdictions=places)
    report = plan_report("hangzhou-2022", as_of=2022, catalog=renamed)
    assert report.place == "测试市" and "测试市" in report.front()
    assert plan_report("hangzhou-2022", as_of=2022).place == "杭州市"


def test_the_data_requests_are_those_of_the_same_assessment():
    report = plan_report("chengdu-2027")
    expected = reader_columns(requests_table("chengdu-2027", report.assessment, as_of=report.as_of))
    pd.testing.assert_frame_equal(report.requests(), expected)
    assert list(report.tables()) == [
        "assessment",
        "summary_by_domain",
        "target_table_zh",
        "office_values",
        "precedence",
        "data_requests",
    ]


def test_the_synthetic_example_is_marked_and_asks_no_one_for_data():
    report = plan_report("gongshu-2025", synthetic=True)
    assert report.title.startswith("【示例数据")
    assert report.place == "示例区(虚构)"
    assert report.requests().empty


def test_the_english_edition_has_english_headers():
    table = plan_report("hangzhou-2022", as_of=2022, language="en").indicator_table()
    assert table.columns[:4].tolist() == ["Indicator", "Type", "Base value", "Target"]
