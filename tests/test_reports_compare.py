"""The plan-comparison report: local targets beside the higher-level plans in force with them."""

from __future__ import annotations


def test_local_targets_beside_the_higher_level_plans_in_force_with_them():
    from qindex.reports.compare import against_higher_plans

    t = against_higher_plans()
    got = {(r.方案, r.指标, r.上级方案): r.对照 for r in t.itertuples()}
    # read off targets.csv by hand: Gongshu's 制造业质量竞争力指数 92 against the national 86 and Zhejiang's 92;
    # Chengdu's 工业产品质量合格率 94 against Sichuan's 制造业 95, a different series
    assert (
        got[("拱墅区 2022–2025年", "制造业质量竞争力指数", "国家 全国 2022–2025年")] == "高于上级"
    )
    assert (
        got[("拱墅区 2022–2025年", "制造业质量竞争力指数", "省级 浙江省 2022–2025年")]
        == "与上级相同"
    )
    assert (
        got[("成都市 2022–2027年", "工业产品质量合格率", "省级 四川省 2022–2027年")]
        == "低于上级(口径不同)"
    )
    # a 2013-2015 or 2018-2022 plan is not held against plans of 2023-2025, only against the 2018 provincial one
    hz = t[t.方案.str.startswith("杭州市")]
    assert set(hz.上级方案) == {"省级 浙江省 2017–2022年"}
