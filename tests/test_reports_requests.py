"""The data-request list (数据需求清单): what to ask for, from which department, and why."""

from __future__ import annotations

from openpyxl import load_workbook

from qindex.cli import main


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
