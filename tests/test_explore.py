"""The explorer (issue 26): one indicator of one place on one screen, as notebooks/explore.ipynb shows it."""

from __future__ import annotations

from qindex.reports.explore import choices, explore


def test_one_indicator_with_its_targets_projection_sources_and_comparators():
    # Hangzhou's PM2.5 against the 2018–2022 plan: the level target ≤35 with its projection and P(达标), the
    # trend target, the series with publications cited, and the national value of the latest year (29.3 in
    # 2024, data/raw/observations/national.csv).
    e = explore("hangzhou-2022", indicator_id="pm25")
    assert e.targets["目标"].tolist() == ["持续下降", "≤35µg/m³"]
    assert set(e.targets["层级"]) == {"本级"}
    level = e.targets[e.targets["目标"] == "≤35µg/m³"].iloc[0]
    assert level["达标概率"].endswith("%") and level["状态"] == "已完成(据2021年数据)"
    assert list(e.projections) == ["hz22-31"]
    assert e.series["年份"].tolist()[-1] == 2024
    assert not e.sources["来源"].str.startswith("网站").any()
    assert e.comparators.values.tolist() == [["全国", 2024, "29.3"]]
    assert e.chart().axes[0].get_ylabel().endswith("(单位:µg/m³)")
    assert "最新值30µg/m³(2024年)" in e.summary()


def test_higher_level_targets_are_shown_apart_and_missing_data_names_who_holds_it():
    e = explore("gongshu-2025", indicator_id="manufacturing_quality_competitiveness_index")
    above = e.targets[e.targets["层级"] == "上级"]
    assert len(above) >= 2 and set(above["状态"]) == {"上级目标,不以本地数据评判"}
    assert len(e.lines) >= 2 and not all(own for *_, own in e.lines)
    e = explore("gongshu-2025", indicator_id="high_value_patents_per_10k")
    assert len(e.missing) == 1 and e.missing["提供单位"].iloc[0]
    assert ("每万人口高价值发明专利拥有量", "high_value_patents_per_10k") in choices("gongshu-2025")
