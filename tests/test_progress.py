"""Progress assessment: worked examples of progress.md (CN-1…CN-6, SC-1…SC-6, EU-T3/T4), its §10 edge cases,
every target type, and properties that must hold for any input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qindex.catalog import load_catalog, targets
from qindex.observations import load_panel
from qindex.progress import COLUMNS, assess, summarise
from tests.conftest import read_csv, write_csv


@pytest.fixture
def cat(mini_raw):
    """The mini catalogue with the examples' plan: base year 2020, target year 2025."""
    rows = read_csv(mini_raw / "plans.csv")
    rows[1][4] = "2020"
    write_csv(mini_raw / "plans.csv", rows)
    rows = read_csv(mini_raw / "targets.csv")
    for r in rows[1:]:
        r[7] = "2020"
    write_csv(mini_raw / "targets.csv", rows)
    return load_catalog(mini_raw)


def target(indicator="pass_rate", value=94.0, comparator=">=", typ="level", year=2025, tid="t"):
    return {
        "target_id": tid,
        "plan_id": "demo-2025",
        "indicator_id": indicator,
        "target_type": typ,
        "comparator": comparator,
        "target_value": value,
        "target_year": year,
    }


def obs(points, indicator="pass_rate", place="CN-X"):
    return pd.DataFrame(
        [
            {"jurisdiction_id": place, "indicator_id": indicator, "year": y, "value": v}
            for y, v in points.items()
        ]
    )


def run(cat, points, as_of=None, **t):
    ind = t.get("indicator", "pass_rate")
    return assess(obs(points, ind), pd.DataFrame([target(**t)]), as_of=as_of, catalog=cat).iloc[0]


# ---------------------------------------------------------------- Chinese 完成率 / 序时进度 (progress.md §8)


def test_cn1_completion_rate(cat):
    r = run(cat, {2020: 92.5, 2022: 93.2})
    assert r.completion_ratio == pytest.approx(0.991489, abs=1e-6)  # CN-1
    assert r.completion_capped == pytest.approx(0.991489, abs=1e-6)


def test_cn2_lower_is_better_completion(cat):
    r = run(cat, {2020: 42.0, 2022: 40.0}, indicator="pm25", value=35.0, comparator="<=")
    assert r.completion_ratio == pytest.approx(0.875)  # CN-2


def test_cn3_over_achieved_is_capped_and_achieved(cat):
    r = run(cat, {2020: 42.0, 2022: 33.0}, indicator="pm25", value=35.0, comparator="<=")
    assert r.completion_ratio == pytest.approx(1.060606, abs=1e-6)  # CN-3
    assert r.completion_capped == 1.0
    assert r.status == "achieved" and r.status_zh == "已达标"


def test_cn4_ahead_of_schedule(cat):
    r = run(cat, {2020: 92.5, 2022: 93.2})
    assert r.progress_ratio == pytest.approx(0.466667, abs=1e-6)  # CN-4
    assert r.elapsed_share == pytest.approx(0.4)
    assert r.status == "ahead" and r.status_zh == "快于序时进度"


def test_cn5_behind_schedule(cat):
    r = run(cat, {2020: 42.0, 2022: 40.0}, indicator="pm25", value=35.0, comparator="<=")
    assert r.progress_ratio == pytest.approx(0.285714, abs=1e-6)  # CN-5
    assert r.status == "behind" and r.status_zh == "滞后于序时进度"


def test_cn6_regressing(cat):
    r = run(cat, {2020: 81.0, 2022: 80.0}, indicator="satisfaction", value=90.0)
    assert r.progress_ratio == pytest.approx(-0.111111, abs=1e-6)  # CN-6
    assert r.status == "regressing" and r.status_zh == "未有进展或倒退"


# ---------------------------------------------------------------- growth ratio (Statistics Canada / Open SDG, §2)


@pytest.fixture
def cat2017(mini_raw):
    rows = read_csv(mini_raw / "plans.csv")
    rows[1][4] = "2017"
    write_csv(mini_raw / "plans.csv", rows)
    return load_catalog(mini_raw)


def test_sc1_substantial_progress(cat2017):
    r = run(cat2017, {2017: 92.0, 2022: 93.2})
    assert r.growth_ratio == pytest.approx(0.96407669, abs=1e-8)  # SC-1
    assert r.growth_category == "substantial_progress"


def test_sc2_lower_is_better_moderate_progress(cat2017):
    r = run(cat2017, {2017: 48.0, 2022: 40.0}, indicator="pm25", value=35.0, comparator="<=")
    assert r.growth_ratio == pytest.approx(0.92496249, abs=1e-8)  # SC-2
    assert r.growth_category == "moderate_progress"


def test_sc3_target_achieved_overrides_the_ratio(cat2017):
    r = run(cat2017, {2017: 85.0, 2022: 91.0}, indicator="satisfaction", value=90.0)
    assert r.growth_ratio == pytest.approx(1.91553432, abs=1e-8)  # SC-3
    assert r.growth_category == "target_achieved"


def test_sc6_fall_from_above_target_is_deterioration(cat2017):
    # The naive Eurostat ratio calls this "significant progress" (EU-E1, 2.404); the signed ratio does not.
    r = run(cat2017, {2017: 95.0, 2022: 93.5})
    assert r.growth_ratio == pytest.approx(-2.40415793, abs=1e-8)  # SC-6
    assert r.growth_category == "deterioration"
    assert r.status == "regressing"
    assert "already met the target" in r.note
    assert np.isnan(r.progress_ratio)


def test_eu_t3_limited_and_t4_deterioration(cat2017):
    t3 = run(cat2017, {2017: 80.0, 2022: 81.0}, indicator="satisfaction", value=90.0)
    assert t3.growth_ratio == pytest.approx(0.16772, abs=1e-5)  # EU-T3 ratio 0.167720
    assert t3.growth_category == "limited_progress"
    t4 = run(cat2017, {2017: 92.0, 2022: 91.5})
    assert t4.growth_ratio == pytest.approx(-0.40467, abs=1e-5)  # EU-T4
    assert t4.growth_category == "deterioration"


# ---------------------------------------------------------------- edge cases (§10)


def test_rounding_never_makes_a_target_achieved(cat):
    r = run(cat, {2020: 92.5, 2022: 93.99999})
    assert r.status != "achieved"
    assert r.completion_capped < 1


def test_base_equal_to_target(cat):
    above = run(cat, {2020: 94.0, 2022: 94.5})
    below = run(cat, {2020: 94.0, 2022: 93.5})
    assert above.status == "achieved"
    assert below.status == "regressing" and "base equals target" in below.note
    assert np.isnan(below.progress_ratio)


def test_one_point_only(cat):
    r = run(cat, {2022: 93.0})
    assert r.status == "not_assessable"
    assert "one point only" in r.note
    assert "base year 2020 has no value; base taken from 2022" in r.note


def test_no_data(cat):
    r = assess(obs({2022: 1.0}, "pm25"), pd.DataFrame([target()]), catalog=cat).iloc[0]
    assert r.status == "not_assessable" and r.note == "no data for CN-X up to 2022"


def test_zero_base_gives_no_growth_ratio(cat):
    r = run(cat, {2020: 0.0, 2022: 50.0})
    assert np.isnan(r.growth_ratio)
    assert r.status == "ahead"  # progress (50 − 0)/(94 − 0) = 0.53 >= elapsed 0.4


def test_past_target_judged_with_data_up_to_its_year(cat):
    points = {2020: 92.5, 2022: 93.0, 2025: 94.5, 2026: 93.0}
    r = run(cat, points, as_of=2026)
    assert r.status == "met" and r.latest_year == 2025
    r = run(cat, {2020: 92.5, 2024: 93.5, 2026: 95.0}, as_of=2026)
    assert r.status == "missed" and r.status_zh == "未完成"
    assert "judged on 2024" in r.note


def test_as_of_caps_the_data_used(cat):
    points = {2020: 92.5, 2021: 92.8, 2022: 93.2, 2023: 94.2}
    assert run(cat, points, as_of=2022).latest_year == 2022
    assert run(cat, points, as_of=2022).status == "ahead"
    assert run(cat, points).status == "achieved"


def test_projection_columns_match_trend_example(cat):
    # TR-1 series and target, inside the assessment: 2015-2022 pass rates, target 94 in 2025.
    points = dict(
        zip(range(2015, 2023), [91.2, 91.6, 92.0, 92.3, 92.5, 92.8, 93.0, 93.2], strict=True)
    )
    r = run(cat, points)
    assert r.projected_value == pytest.approx(94.15119, abs=1e-6)
    assert r.p_target_met == pytest.approx(0.830311, abs=1e-6)
    assert r.model == "linear"


# ---------------------------------------------------------------- target types


def test_trend_target(cat):
    falling = {2020: 50.0, 2021: 46.0, 2022: 43.0, 2023: 39.5}
    r = run(cat, falling, indicator="pm25", typ="trend", comparator="<=", value=np.nan)
    assert r.status == "ahead" and r.note.startswith(
        "slope -3.45/yr over 4 values"
    )  # hand: Sxy -17.25 / Sxx 5
    rising = {2020: 40.0, 2021: 42.0, 2022: 43.0, 2023: 45.5}
    assert (
        run(cat, rising, indicator="pm25", typ="trend", comparator="<=", value=np.nan).status
        == "regressing"
    )
    two = run(
        cat, {2021: 46.0, 2022: 43.0}, indicator="pm25", typ="trend", comparator="<=", value=np.nan
    )
    assert two.status == "not_assessable" and "at least 3 values" in two.note


def test_growth_target(cat):
    # value added 100 (2020) -> 110.25 (2022): 5 %/yr realised against 4 %/yr required
    r = run(
        cat, {2020: 100.0, 2022: 110.25}, indicator="pm25", typ="growth", comparator=">=", value=4.0
    )
    assert r.status == "achieved"
    assert r.completion_ratio == pytest.approx(5.0 / 4.0)
    assert r.gap == pytest.approx(-1.0)


def test_cumulative_target_from_annual_flows(cat):
    # 新增X项: additions after the base year 2020 are summed: 1 + 2 = 3 of 5
    r = run(
        cat,
        {2020: 7.0, 2021: 1.0, 2022: 2.0},
        indicator="pm25",
        typ="cumulative",
        comparator=">=",
        value=5.0,
    )
    assert r.latest_value == 3.0 and r.completion_ratio == pytest.approx(0.6)
    assert r.status == "ahead"  # 0.6 of the way after 0.4 of the time


def test_cumulative_target_from_stocks_on_shipped_data():
    # 浙江制造标准 (Hangzhou, cumulative stock): 64 in 2018, 458 in 2022 -> 394 added against 300.
    a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022).set_index("target_id")
    r = a.loc["hz22-18"]
    assert r.latest_value == 394 and r.status == "met"
    assert r.note == "additions = stock 2022 − stock 2018"


def test_rank_target_needs_enough_peers():
    a = assess(load_panel(), targets("chengdu-2027")).set_index("target_id")
    assert (a.loc[a.target_type == "rank", "status"] == "not_assessable").all()


def test_rank_target_with_peers(cat):
    peers = pd.concat([obs({2022: v}, place=p) for p, v in [("CN-X", 95.0)]])
    more = pd.DataFrame(
        [
            {
                "jurisdiction_id": f"CN-P{i}",
                "indicator_id": "pass_rate",
                "year": 2022,
                "value": 90.0 + i,
            }
            for i in range(6)
        ]
    )
    from dataclasses import replace

    jur = pd.concat(
        [cat.jurisdictions]
        + [
            pd.DataFrame(
                [
                    {
                        "jurisdiction_id": f"CN-P{i}",
                        "name_zh": "",
                        "name_en": "",
                        "level": "city",
                        "parent_id": "CN",
                    }
                ]
            )
            for i in range(6)
        ],
        ignore_index=True,
    )
    c = replace(cat, jurisdictions=jur)
    t = pd.DataFrame([target(typ="rank", comparator="<=", value=np.nan)])
    r = assess(pd.concat([peers, more]), t, top_k=3, catalog=c).iloc[0]
    # 95 beats 90..94 and ties none: rank 1 of 7
    assert r["rank"] == 1 and r.n_peers == 7 and r.status == "achieved"


def test_qualitative_goal_is_listed_not_scored():
    a = assess(load_panel(), targets("hangzhou-2015")).set_index("target_id")
    q = a[a.target_type == "qualitative"]
    assert len(q) == 3
    assert (q.status == "not_assessable").all() and (
        q.note == "qualitative goal: listed, not scored"
    ).all()
    assert q.completion_ratio.isna().all()


# ---------------------------------------------------------------- the shipped data


def test_every_target_gets_one_row_with_the_fixed_columns():
    t = targets()
    a = assess(load_panel(), t)
    assert list(a.columns[: len(COLUMNS)]) == COLUMNS
    assert a.target_id.tolist() == t.target_id.tolist()


def test_hangzhou_pm25_2022_target():
    # 杭州市区 PM2.5: 40 (2018) -> 28 (2021) against <= 35 by 2022; 2022 itself was not found.
    a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022).set_index("target_id")
    r = a.loc["hz22-31"]
    assert (r.base_year, r.base_value, r.latest_year, r.latest_value) == (2018, 40.0, 2021, 28.0)
    assert r.status == "met"
    assert r.completion_ratio == pytest.approx(35 / 28)


def test_inputs_are_not_mutated():
    panel, t = load_panel(), targets()
    p0, t0 = panel.copy(), t.copy()
    assess(panel, t)
    pd.testing.assert_frame_equal(panel, p0)
    pd.testing.assert_frame_equal(t, t0)


# ---------------------------------------------------------------- summaries


def test_summarise_counts_and_attainment(cat):
    t = pd.DataFrame(
        [
            target(tid="a"),
            target(tid="b", indicator="pm25", value=35.0, comparator="<="),
            target(tid="c", indicator="satisfaction", value=90.0),
        ]
    )
    panel = pd.concat([obs({2020: 92.5, 2022: 93.2}), obs({2020: 42.0, 2022: 33.0}, "pm25")])
    a = assess(panel, t, catalog=cat)
    a["domain"] = "all"
    s = summarise(a, by=("plan_id",)).iloc[0]
    assert (s.n_targets, s.achieved, s.ahead, s.not_assessable, s.n_assessable) == (3, 1, 1, 1, 2)
    assert s.share_achieved == 0.5
    # hand computed: mean of capped completion (0.991489, 1.0) = 0.995745 -> score 99.5745
    assert s.attainment_score == pytest.approx(99.574468, abs=1e-6)
    w = summarise(a, by=("plan_id",), weights={"a": 3.0, "b": 1.0}).iloc[0]
    assert w.attainment_score == pytest.approx(100 * (3 * 0.991489 + 1.0) / 4, abs=1e-4)


# ---------------------------------------------------------------- properties


# Values on a 0.1 grid: the properties are about the method, not about floating-point ties.
values = st.integers(10, 990).map(lambda k: k / 10)


@settings(max_examples=60, deadline=None)
@given(base=values, latest=values, better=st.integers(1, 50).map(lambda k: k / 10), tgt=values)
def test_a_better_latest_value_never_lowers_completion_or_progress(base, latest, better, tgt):
    cat = load_catalog()
    t = pd.DataFrame(
        [
            {
                **target(indicator="manufacturing_product_pass_rate", value=tgt),
                "plan_id": "gongshu-2025",
            }
        ]
    )
    place = "CN-ZJ-HZ-GS"
    latest2 = min(latest + better, 100.0)
    a = assess(
        obs({2022: base, 2024: latest}, "manufacturing_product_pass_rate", place),
        t,
        as_of=2024,
        catalog=cat,
    ).iloc[0]
    b = assess(
        obs({2022: base, 2024: latest2}, "manufacturing_product_pass_rate", place),
        t,
        as_of=2024,
        catalog=cat,
    ).iloc[0]
    assert b.completion_ratio >= a.completion_ratio
    # progress is defined only when the base has not met the target; then it can only grow
    assert np.isnan(a.progress_ratio) == np.isnan(b.progress_ratio)
    if not np.isnan(a.progress_ratio):
        assert b.progress_ratio >= a.progress_ratio
    assert ["regressing", "behind", "ahead", "achieved"].index(b.status) >= [
        "regressing",
        "behind",
        "ahead",
        "achieved",
    ].index(a.status)


@settings(max_examples=60, deadline=None)
@given(base=values, latest=values, tgt=values)
def test_mirroring_a_lower_is_better_series_gives_the_mirrored_result(base, latest, tgt):
    # pass rate y (higher better, target >= T) versus PM2.5 100 - y (lower better, target <= 100 - T)
    cat = load_catalog()
    up = pd.DataFrame(
        [
            {
                **target(indicator="manufacturing_product_pass_rate", value=tgt),
                "plan_id": "gongshu-2025",
            }
        ]
    )
    down = pd.DataFrame(
        [{**target(indicator="pm25", value=100 - tgt, comparator="<="), "plan_id": "gongshu-2025"}]
    )
    place = "CN-ZJ-HZ-GS"
    a = assess(
        obs({2022: base, 2024: latest}, "manufacturing_product_pass_rate", place),
        up,
        as_of=2024,
        catalog=cat,
    ).iloc[0]
    b = assess(
        obs({2022: 100 - base, 2024: 100 - latest}, "pm25", place), down, as_of=2024, catalog=cat
    ).iloc[0]
    assert a.status == b.status
    assert a.elapsed_share == b.elapsed_share
    assert a.gap == pytest.approx(-b.gap)
    if np.isnan(a.progress_ratio):
        assert np.isnan(b.progress_ratio)
    else:
        assert a.progress_ratio == pytest.approx(b.progress_ratio, rel=1e-9, abs=1e-9)


def test_summarise_a_plan_without_any_data():
    # chengdu-2027 has no published value for its plan targets: every count is in not_assessable,
    # completion and attainment are missing, never zero.
    a = assess(load_panel(), targets("chengdu-2027"))
    s = summarise(a, by=("plan_id",)).iloc[0]
    assert (s.n_targets, s.not_assessable, s.n_assessable) == (8, 8, 0)
    assert np.isnan(s.share_achieved) and np.isnan(s.attainment_score)
