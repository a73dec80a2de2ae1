"""The plans side by side, as numbers: shared indicators, required and achieved change, ambition (by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from qindex.comparison import ambition_by_plan, compare_plans
from qindex.reports.compare import comparison_table


@pytest.fixture(scope="module")
def comparison():
    return compare_plans()


def test_shared_indicators_across_plans(comparison):
    pass_rate = comparison[comparison.concept == "manufacturing_product_pass_rate"]
    # 制造业产品质量合格率 96 (hangzhou-2022) / 94 (gongshu-2025) / 工业产品 94 (chengdu-2027, a different series)
    assert sorted(zip(pass_rate.plan_id, pass_rate.target_value, strict=True)) == [
        ("chengdu-2027", 94.0),
        ("gongshu-2025", 94.0),
        ("hangzhou-2022", 96.0),
        ("national-2025", 94.0),  # the higher-level plans (issue 15)
        ("sichuan-2027", 95.0),
    ]
    chengdu = pass_rate[pass_rate.plan_id == "chengdu-2027"].iloc[0]
    assert chengdu.indicator_id == "industrial_product_pass_rate" and "不合并" in chengdu.caveat
    qci = comparison[comparison.concept == "manufacturing_quality_competitiveness_index"]
    # chengdu 91, gongshu 92; national 86, sichuan 88, zhejiang 92
    assert sorted(qci.target_value) == [86.0, 88.0, 91.0, 92.0, 92.0]


def test_ambition_by_hand(comparison):
    # gongshu-2025 manufacturing pass rate 94 against the national 93.29 % in its base year 2022 (derived row):
    # (94 − 93.29)/93.29 = 0.7611 %
    r = comparison[
        (comparison.plan_id == "gongshu-2025")
        & (comparison.concept == "manufacturing_product_pass_rate")
    ].iloc[0]
    assert r.national_year == 2022 and r.ambition == pytest.approx((94 - 93.29) / 93.29)
    a = ambition_by_plan(comparison)
    # only plans with at least 3 targets on a national base-year comparator are compared (ranked); the
    # others are listed after them, unranked (issue 24)
    compared = a[a.compared]
    assert compared.ambition.is_monotonic_decreasing and (compared.n_targets >= 3).all()
    assert list(a.compared) == sorted(a.compared, reverse=True)
    assert (a.loc[~a.compared, "n_targets"] < 3).all()
    # the Gongshu digital-economy target is 口径不一致 (definition_differs): never in the ambition
    digital = comparison[
        (comparison.plan_id == "gongshu-2025") & (comparison.concept == "digital_economy_share")
    ]
    assert digital.ambition.isna().all()
    assert set(comparison_table(comparison).columns) >= {
        "指标",
        "方案",
        "每年需变化",
        "每年已变化",
        "进取程度(%)",
    }


def test_required_change_per_year_by_hand():
    from qindex.comparison import compare_plans as cp

    c = cp()
    # a row with a base value: required = (target − base)/(target year − base year)
    with_base = c.dropna(subset=["base_value"])
    for r in with_base.itertuples():
        if (
            r.target_year == r.base_year
        ):  # a first value in the target year: no change per year to ask
            assert np.isnan(r.required_per_year)
            continue
        assert r.required_per_year == pytest.approx(
            (r.target_value - r.base_value) / (r.target_year - r.base_year)
        )


def test_the_2018_zhejiang_plan_is_the_provincial_plan_above_hangzhou_2022():
    # Issue 25: hangzhou-2022 (2019–2022) follows 浙委发〔2018〕27号 (base 2017, to 2022); its 新产品产值率 35 %
    # is the province's 35 % ("与上级相同"), read off both texts.
    from qindex.reports.compare import against_higher_plans

    rows = against_higher_plans()
    hz = rows[rows["方案"] == "杭州市 2018–2022年"]
    assert list(hz["上级方案"]) == ["省级 浙江省 2017–2022年"]
    r = hz.iloc[0]
    assert (r["指标"], r["本方案目标"], r["上级目标"], r["对照"]) == (
        "规上工业新产品产值率",
        "≥35%",
        "≥35%",
        "与上级相同",
    )
