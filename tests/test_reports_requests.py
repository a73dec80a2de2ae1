"""The data-request list (数据需求清单): what to ask for, from which department, and why."""

from __future__ import annotations

import datetime as dt

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
    book = load_workbook(tmp_path / "r.xlsx")
    # issue 26: a cover that reads as a request (函), then one sheet per department with reply columns
    cover = [r[0] for r in book["说明"].iter_rows(values_only=True) if r[0]]
    assert cover[0].startswith("关于提供《") and cover[0].endswith("》评估所需数据的函")
    assert any("请按本工作簿各单位分表" in line for line in cover)
    assert "，" in cover[3] and "," not in cover[3]  # full-width punctuation in the letter
    sheets = book.sheetnames[1:]
    assert not any("建议" in s for s in sheets)
    rows = 0
    for name in sheets:
        ws = book[name]
        header = [c.value for c in ws[2]]
        assert header[:4] == ["指标", "口径", "单位", "需要年份"]
        assert header[-4:] == ["填报数值", "来源文件或文号", "联系人及电话", "填报日期"]
        rows += ws.max_row - 2
        for (years,) in ws.iter_rows(min_row=3, min_col=4, max_col=4, values_only=True):
            assert int(str(years)[-4:]) < dt.date.today().year  # only years already over
    assert rows == len(t)
