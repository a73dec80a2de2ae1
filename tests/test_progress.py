"""Progress assessment: worked examples of progress.md (CN-1…CN-6, SC-1…SC-6, EU-T3/T4), its §10 edge cases,
every target type, and properties that must hold for any input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qindex.catalog import load_catalog, targets
from qindex.panel import load_panel
from qindex.progress import COLUMNS, assess, summarise
from qindex.reports.text import target_text
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
    assert "already met the target" in r.note_en
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
    assert below.status == "regressing" and "base equals target" in below.note_en
    assert np.isnan(below.progress_ratio)


def test_one_point_only(cat):
    r = run(cat, {2022: 93.0})
    assert r.status == "not_assessable"
    assert "one point only" in r.note_en
    assert "base year 2020 has no value; base taken from 2022" in r.note_en
    assert "仅有一个数据点" in r.note  # the Chinese note says the same


def test_no_data(cat):
    r = assess(obs({2022: 1.0}, "pm25"), pd.DataFrame([target()]), catalog=cat).iloc[0]
    assert r.status == "not_assessable" and r.note_en == "no data for Example city up to 2022"
    assert r.note.startswith("截至2022年没有示例市合格率的数据")


def test_zero_base_gives_no_growth_ratio(cat):
    r = run(cat, {2020: 0.0, 2022: 50.0})
    assert np.isnan(r.growth_ratio)
    assert r.status == "ahead"  # progress (50 − 0)/(94 − 0) = 0.53 >= elapsed 0.4


def test_past_target_judged_with_data_up_to_its_year(cat):
    points = {2020: 92.5, 2022: 93.0, 2025: 94.5, 2026: 93.0}
    r = run(cat, points, as_of=2026)
    assert r.status == "met" and r.latest_year == 2025
    r = run(cat, {2020: 92.5, 2024: 93.5, 2026: 93.8}, as_of=2026)
    assert r.status == "missed" and r.status_zh == "未完成(据2024年数据)"  # R8: says which year
    assert "judged on 2024" in r.note_en
    # a later value that says otherwise (95 in 2026 meets ≥94): the 2025 value decides, so 待核实 (issue 24)
    r = run(cat, {2020: 92.5, 2024: 93.5, 2026: 95.0}, as_of=2026)
    assert (
        r.status == "unconfirmed"
        and "原判断未完成(据2024年数据)" in r.note
        and "2026年95" in r.note
    )


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
    # The plan period (base year 2020) has 3 values, so the fit uses 2020-2022 only: 92.8, 93.0, 93.2.
    # Hand: slope 0.2/yr through (2021, 93.0) gives 93.0 + 0.2 * 4 = 93.8 in 2025. (TR-1 on the full
    # 2015-2022 series is reproduced in test_trend.py.)
    r = run(cat, points)
    assert (r.fit_from, r.fit_to) == (2020, 2022)
    assert r.projected_value == pytest.approx(93.8, abs=1e-9)
    assert r.model == "linear"


def test_projection_falls_back_to_the_last_five_values(cat):
    # Only 2 values from the base year 2020 on: the fit takes the last 5 values, 2018-2022, and says so.
    points = {2015: 80.0, 2016: 90.0, 2018: 91.0, 2019: 91.5, 2020: 92.0, 2022: 93.0}
    r = run(cat, points)
    assert (r.fit_from, r.fit_to) == (2016, 2022)
    assert "projected on the last 5" in r.note_en


# ---------------------------------------------------------------- target types


def test_trend_target_is_judged_on_direction(cat):
    # 持续下降, target year 2025, data to 2023 (live): falling every year -> achieved so far.
    falling = {2020: 50.0, 2021: 46.0, 2022: 43.0, 2023: 39.5}
    r = run(cat, falling, indicator="pm25", typ="trend", comparator="<=", value=np.nan)
    assert r.status == "achieved" and "持续下降" in r.note
    # the slope test is only reported: hand Sxy -17.25 / Sxx 5 = -3.45/yr, one-sided p well below 0.05
    assert "p = 0.00" in r.note_en
    rising = {2020: 40.0, 2021: 42.0, 2022: 43.0, 2023: 45.5}
    assert run(
        cat, rising, indicator="pm25", typ="trend", comparator="<=", value=np.nan
    ).status == ("regressing")


def test_trend_target_needs_three_points(cat):
    # "持续下降" is a run of years: three values make one (issue 24), two make a change
    three = run(
        cat,
        {2020: 48.0, 2021: 46.0, 2022: 43.0},
        indicator="pm25",
        typ="trend",
        comparator="<=",
        value=np.nan,
    )
    assert three.status == "achieved"
    two = run(
        cat, {2021: 46.0, 2022: 43.0}, indicator="pm25", typ="trend", comparator="<=", value=np.nan
    )
    assert two.status == "not_assessable" and "至少3个年份" in two.note and "只有2个" in two.note


def test_trend_reversal_beyond_rounding_breaks_continuity(cat):
    # 46 -> 48 is a rise of 2, more than the rounding of two integers (0.5 + 0.5): not 持续下降.
    r = run(
        cat,
        {2020: 50.0, 2021: 46.0, 2022: 48.0, 2023: 40.0},
        indicator="pm25",
        typ="trend",
        comparator="<=",
        value=np.nan,
    )
    assert r.status == "behind" and "2021→2022" in r.note_en
    # 29.8 -> 30 is a rise of 0.2, within the rounding 0.05 + 0.5 of "29.8" and "30": still falling.
    r = run(
        cat,
        {2020: 40.0, 2021: 29.8, 2022: 30.0},
        indicator="pm25",
        typ="trend",
        comparator="<=",
        value=np.nan,
    )
    assert r.status == "achieved"


def test_past_trend_target_met_on_falling_values():
    # hz22-30 PM2.5 持续下降 by 2022: 40 (2018), 37.7 (2019, derived), 29.8 (2020), 28 (2021): met on 2021.
    # The slope p is reported only; scipy.stats.linregress on the same four points gives p/2 = 0.017.
    a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022).set_index("target_id")
    r = a.loc["hz22-30"]
    assert r.status == "met" and r.judged_year == 2021 and r.status_zh == "已完成(据2021年数据)"
    assert "p = 0.017" in r.note_en


def test_trend_with_an_insignificant_slope_is_still_judged_on_direction(cat):
    # The audit's R3 case: three falling values 40, 29.8, 28 (gaps of 2 and 1 years) give a one-sided
    # p = 0.062 on 1 degree of freedom. The old gate left that unassessed; on direction it is on track.
    r = run(
        cat,
        {2020: 40.0, 2022: 29.8, 2023: 28.0},
        indicator="pm25",
        typ="trend",
        comparator="<=",
        value=np.nan,
    )
    assert r.status == "achieved" and "p = 0.062" in r.note_en


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
    assert r.note_en == "additions 2018–2022: 394"


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
    r = assess(pd.concat([peers, more]), t, catalog=c).iloc[0]
    # "前列" over 7 places: top 10 % rounds up to 1, at least 3 -> k = 3
    # 95 beats 90..94 and ties none: rank 1 of 7
    assert r["rank"] == 1 and r.n_peers == 7 and r.status == "achieved"


def test_qualitative_goal_is_listed_not_scored():
    a = assess(load_panel(), targets("hangzhou-2015")).set_index("target_id")
    q = a[a.target_type == "qualitative"]
    assert len(q) == 3
    assert (q.status == "not_scored").all() and (q.note == "定性目标,列示不评分").all()
    assert (q.note_en == "qualitative goal: listed, not scored").all()
    procedural = a.loc["hz15-18"]  # 自查得分 800: a step before applying for acceptance (audit E5)
    assert procedural.target_type == "procedural" and procedural.status == "not_scored"
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
    assert (s.n_targets, s.achieved, s.ahead, s.not_assessable, s.n_scored) == (3, 1, 1, 1, 2)
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
    assert a.gap == pytest.approx(b.gap)  # one sign convention: positive = still short
    if np.isnan(a.progress_ratio):
        assert np.isnan(b.progress_ratio)
    else:
        assert a.progress_ratio == pytest.approx(b.progress_ratio, rel=1e-9, abs=1e-9)


def test_summarise_a_plan_without_any_data():
    # chengdu-2027 has no published value for its plan targets: every count is in not_assessable,
    # completion and attainment are missing, never zero.
    a = assess(load_panel(), targets("chengdu-2027"))
    s = summarise(a, by=("plan_id",)).iloc[0]
    assert (s.n_targets, s.not_assessable, s.not_scored, s.n_scored) == (10, 8, 2, 0)
    assert np.isnan(s.share_achieved) and np.isnan(s.attainment_score)


# ---------------------------------------------------------------- issue 12 rules (audit §3.3 R1-R9)


def test_cumulative_flows_sum_only_complete_years(cat):
    # R2: base 2020, as of 2023, target 10 new by 2025. Flows 2021 = 3 and 2023 = 2; 2022 missing.
    # The old rule summed 3 + 2 = 5 as if 2022 were zero; now the sum is not assessable and names 2022.
    r = run(cat, {2021: 3.0, 2023: 2.0}, indicator="pm25", typ="cumulative", value=10.0)
    assert r.status == "not_assessable" and "2022" in r.note_en and "缺2022年" in r.note


def test_cumulative_partial_sum_that_reaches_the_target_is_achieved(cat):
    # 2021 = 6 and 2023 = 5 already add to 11 >= 10, whatever 2022 was (flows are not negative).
    r = run(cat, {2021: 6.0, 2023: 5.0}, indicator="pm25", typ="cumulative", value=10.0)
    assert r.status == "achieved" and r.latest_value == 11.0


def stock_obs(points, indicator="pm25"):
    return obs(points, indicator).assign(flag="cumulative")


def test_a_later_stock_below_the_target_means_missed(cat):
    # R4, the 中国质量奖 case: a stock of 0 in 2027 (after the target year 2025) means no award by 2025.
    # Bounds: stock(2025) <= 0 and stock(2020) >= 0, so additions <= 0 < 1.
    t = pd.DataFrame([target(indicator="pm25", typ="cumulative", value=1.0)])
    r = assess(stock_obs({2027: 0.0}), t, as_of=2027, catalog=cat).iloc[0]
    assert r.status == "missed" and r.latest_value == 0.0


def test_a_stock_without_its_base_is_not_assessable(cat):
    # 12 in 2023 against "10 new since 2020": the 2020 stock may be anything from 0 to 12.
    t = pd.DataFrame([target(indicator="pm25", typ="cumulative", value=10.0)])
    r = assess(stock_obs({2023: 12.0}), t, as_of=2023, catalog=cat).iloc[0]
    assert r.status == "not_assessable" and "the 2020 stock is needed" in r.note_en


def test_a_base_stock_stated_in_the_catalogue_is_used(cat):
    # R7: the same stock with base_value 1 in 2020 stated by the plan: 12 - 1 = 11 >= 10 -> achieved.
    t = pd.DataFrame(
        [
            {
                **target(indicator="pm25", typ="cumulative", value=10.0),
                "base_year": 2020,
                "base_value": 1.0,
            }
        ]
    )
    r = assess(stock_obs({2023: 12.0}), t, as_of=2023, catalog=cat).iloc[0]
    assert r.status == "achieved" and r.latest_value == 11.0 and r.base_stated


def test_a_stated_base_value_drives_level_progress(cat):
    # R7: base 90 (2020) from the catalogue, 92 in 2022, target 94 in 2025: progress (92-90)/(94-90) = 0.5
    # against elapsed 2/5 = 0.4 -> ahead. Without the stated base there is one point only.
    t = pd.DataFrame([{**target(), "base_year": 2020, "base_value": 90.0}])
    r = assess(obs({2022: 92.0}), t, catalog=cat).iloc[0]
    assert r.status == "ahead" and r.progress_ratio == pytest.approx(0.5) and r.base_stated
    assert "base value 90 (2020) as stated" in r.note_en


def test_stock_or_addition_readings_that_differ_are_unconfirmed():
    # hz22-20: 12 firms in 2021 meet "10" as a stock; as additions the 2018 stock is unknown.
    a = assess(load_panel(), targets("hangzhou-2022")).set_index("target_id")
    r = a.loc["hz22-20"]
    assert r.status == "unconfirmed" and "as a stock" in r.note_en and "请质量强市办确认" in r.note


def test_china_quality_award_zero_breakthrough_missed():
    # hz22-17 "零突破" by 2022: the 2023 drafting note says 未实现零的突破 (stock 0 in 2023) -> missed.
    a = assess(load_panel(), targets("hangzhou-2022")).set_index("target_id")
    assert a.loc["hz22-17", "status"] == "missed"


def test_a_published_rank_decides_a_rank_target(cat):
    # R1: a published rank 4 of 110 in 2023 against "前列": top 10 % of 110 = 11 -> achieved.
    # Rank 12 of 110 -> behind. "第一" (k = 1 in the catalogue) with rank 4 -> behind.
    def rank_of(pos, k=np.nan):
        ranks = pd.DataFrame(
            [
                {
                    "jurisdiction_id": "CN-X",
                    "indicator_id": "pass_rate",
                    "year": 2023,
                    "rank": pos,
                    "n_ranked": 110,
                    "scope": "national",
                    "ranking": "测评",
                    "publisher": "发布机构",
                    "source": "s",
                }
            ]
        )
        t = pd.DataFrame([target(typ="rank", comparator="<=", value=k)])
        return assess(obs({2023: 1.0}), t, catalog=cat, rankings=ranks).iloc[0]

    assert rank_of(4).status == "achieved" and rank_of(4)["rank"] == 4
    assert "前11名" in rank_of(4).note
    assert rank_of(12).status == "behind"
    assert rank_of(4, k=1.0).status == "behind"


def test_published_rank_before_the_plan_is_context_only():
    # 成都 公共服务质量满意度 1st of 110 (2020) predates the 2022 base: "保持全国前列" cannot be judged yet.
    a = assess(load_panel(), targets("chengdu-2027")).set_index("target_id")
    r = a.loc["cd27-06"]
    assert r.status == "not_assessable" and r["rank"] == 1 and r.n_peers == 110
    assert "2020年第1名(共110个)" in r.note


def test_definitions_must_match():
    # gs25-01 asks for the 规上 share; the district series is all-size: 口径不一致, never scored.
    # hz22-25 green buildings: 二星级以上 or 星级以上 is unconfirmed: 待核实.
    gs = assess(load_panel(), targets("gongshu-2025")).set_index("target_id").loc["gs25-01"]
    assert gs.status == "not_comparable" and gs.status_zh == "口径不一致"
    assert gs.latest_value == 4.0 and np.isnan(gs.completion_ratio) and np.isnan(gs.gap)
    hz = assess(load_panel(), targets("hangzhou-2022")).set_index("target_id").loc["hz22-25"]
    assert hz.status == "unconfirmed" and hz.status_zh == "待核实" and np.isnan(hz.completion_ratio)


def test_not_comparable_and_unconfirmed_are_not_scored(cat):
    t = pd.DataFrame([target(tid="a"), {**target(tid="b"), "caveat": "definition_differs"}])
    a = assess(obs({2020: 92.0, 2022: 95.0}), t, catalog=cat)
    a["domain"] = "all"
    s = summarise(a, by=("plan_id",)).iloc[0]
    # b's 95 would be 100 % complete; it is not counted: score = a's capped completion 1.0 -> 100, n 1
    assert (s.n_scored, s.achieved, s.not_comparable) == (1, 1, 1)
    assert s.attainment_score == pytest.approx(100.0)


def test_inference_at_the_bounds_only():
    # R5: 杭州 市控以上 sections 100 % (2022) -> its 省控 subset is 100 % too: hz22-32 (>= 85) met, 推断.
    a = assess(load_panel(), targets("hangzhou-2022")).set_index("target_id")
    r = a.loc["hz22-32"]
    assert r.status == "met" and r.inferred and r.status_zh.endswith("(推断)")
    # 99 % on the superset says nothing about the subset: no inferred row
    from qindex.catalog import load_catalog as lc
    from qindex.rankings import infer_at_bounds, load_implications

    p = obs({2022: 99.0}, "surface_water_class3_share_municipal", "CN-ZJ-HZ").assign(
        flag="", source="", note="", quote=""
    )
    assert infer_at_bounds(p, load_implications(), lc()).empty


def test_baseline_only(cat):
    # R6: one value at the base year 2020 (90 against 94): 仅有基期值 with the gap 4 shown.
    r = run(cat, {2020: 90.0})
    assert (
        r.status == "baseline_only" and r.status_zh == "仅有基期值" and r.gap == pytest.approx(4.0)
    )


def test_gap_has_one_sign_convention(cat):
    # positive = still short: 93 against >= 94 is +1; PM2.5 38 against <= 35 is +3; 30 against <= 35 is -5.
    assert run(cat, {2020: 92.0, 2022: 93.0}).gap == pytest.approx(1.0)
    pm = dict(indicator="pm25", comparator="<=", value=35.0)
    assert run(cat, {2020: 42.0, 2022: 38.0}, **pm).gap == pytest.approx(3.0)
    assert run(cat, {2020: 42.0, 2022: 30.0}, **pm).gap == pytest.approx(-5.0)


def test_notes_name_places_and_indicators_not_ids():
    a = assess(load_panel(), targets())
    unscored = a[~a.status.isin(["met", "achieved", "ahead", "behind", "regressing", "missed"])]
    assert (unscored.note != "").all() and (unscored.note_en != "").all()
    for tid_like in ("CN-ZJ-HZ", "CN-SC-CD", "manufacturing_product_pass_rate", "pm25"):
        assert not unscored.note.str.contains(tid_like, regex=False).any(), tid_like


# ------------------------------------------------------------------ relative targets (issue 29)


def _relative_target(cat, **cols):
    """A chengdu-2027 target "空气质量优良天数比例不低于全国平均水平" (written for this test)."""
    row = {
        "target_id": "rel-1",
        "plan_id": "chengdu-2027",
        "indicator_id": "good_air_days_share",
        "target_type": "relative",
        "comparator": ">=",
        "target_value": np.nan,
        "target_year": 2027,
        "base_year": np.nan,
        "base_value": np.nan,
        "scope": "",
        "quote": "空气质量优良天数比例不低于全国平均水平",
        "source_file": "",
        "note": "",
        "caveat": "",
        "benchmark_jurisdiction_id": "CN",
        "benchmark_indicator_id": "",
    }
    return pd.DataFrame([{**row, **cols}])


def test_a_relative_target_against_the_national_level():
    cat = load_catalog()
    # Shipped data: 成都 64.4 (2017), 81.9 (2021), 80.6 (2024); 全国 78.0 (2017), no 2021, 87.2 (2024).
    # Years with both: 2017 (64.4 < 78.0) and 2024 (80.6 < 87.2): not held in either; the latest, 2024,
    # decides: the target year 2027 is ahead, so "behind"; gap 87.2 − 80.6 = 6.6.
    a = assess(load_panel(), _relative_target(cat), as_of=2024, catalog=cat).iloc[0]
    assert a.status == "behind" and a.judged_year == 2024
    assert a.latest_value == 80.6 and a.gap == pytest.approx(6.6)
    assert a.n_points == 2
    assert "2024年成都市空气质量优良天数比例80.6,全国平均水平87.2" in a.note
    assert "2个年份中0个达到" in a.note
    assert target_text(a) == "不低于全国平均水平"


def test_a_relative_target_against_another_indicator_of_the_place():
    cat = load_catalog()
    # 质量投入增幅不低于GDP增幅, written with two % series of a fictional panel: own 5.0, 7.0; benchmark
    # 6.0, 6.5 (2021, 2022). 2022: 7.0 >= 6.5 holds; 2021 did not: 1 of 2. Target year 2022, as of 2022: met.
    panel = pd.DataFrame(
        {
            "jurisdiction_id": "CN-SC-CD",
            "indicator_id": ["rnd_intensity_gdp"] * 2 + ["digital_economy_share"] * 2,
            "year": [2021, 2022, 2021, 2022],
            "value": [5.0, 7.0, 6.0, 6.5],
            "source": "test",
        }
    )
    tg = _relative_target(
        cat,
        indicator_id="rnd_intensity_gdp",
        target_year=2022,
        plan_id="chengdu-2027",
        benchmark_jurisdiction_id="",
        benchmark_indicator_id="digital_economy_share",
    )
    a = assess(panel, tg, as_of=2022, catalog=cat).iloc[0]
    assert a.status == "met" and a.latest_value == 7.0 and a.gap == pytest.approx(-0.5)
    assert "成都市全社会R&D经费投入强度7,本地数字经济核心产业增加值占GDP比重6.5" in a.note
    assert "2个年份中1个达到" in a.note
    # strictly higher ("高于"): 7.0 > 6.5 still holds; with the benchmark at 7.0 it does not
    panel.loc[3, "value"] = 7.0
    a = assess(panel, tg.assign(comparator=">"), as_of=2022, catalog=cat).iloc[0]
    assert a.status == "missed"


def test_a_relative_target_without_the_benchmark_says_which_series_is_missing():
    cat = load_catalog()
    panel = load_panel()
    panel = panel[
        ~((panel.jurisdiction_id == "CN") & (panel.indicator_id == "good_air_days_share"))
    ]
    a = assess(panel, _relative_target(cat), as_of=2024, catalog=cat).iloc[0]
    assert a.status == "not_assessable"
    assert a.note.startswith("没有比较基准全国平均水平的数据")
