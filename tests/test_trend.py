"""Projections: worked examples TR-1…TR-4 (progress.md §7, Appendix B) and agreement with statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tsa.holtwinters import Holt

from qindex.trend import cagr, project

YEARS = list(range(2015, 2023))
PASS = [91.2, 91.6, 92.0, 92.3, 92.5, 92.8, 93.0, 93.2]
PM25 = [55.0, 50.0, 48.0, 46.0, 45.0, 43.0, 41.0, 40.0]


def one(values, **kw):
    obs = pd.DataFrame({"series": "s", "year": YEARS, "value": values})
    return project(obs, 2025, **kw).iloc[0]


def test_tr1_linear_pass_rate():
    # progress.md Appendix B, trend_ols_linear TR-1
    r = one(PASS, threshold=94.0, direction=1)
    assert r.slope == pytest.approx(0.280952, abs=1e-6)
    assert r.resid_sd == pytest.approx(0.099801, abs=1e-6)
    assert r.projected_value == pytest.approx(94.15119, abs=1e-6)
    assert (r.projected_lower, r.projected_upper) == pytest.approx((93.794705, 94.507676), abs=1e-6)
    assert r.se_pred == pytest.approx(0.145688, abs=1e-6)
    assert r.p_target_met == pytest.approx(0.830311, abs=1e-6)


def test_tr2_loglinear_pm25():
    # TR-2
    r = one(PM25, model="loglinear", threshold=35.0, direction=-1)
    assert r.slope == pytest.approx(-0.042541, abs=1e-6)
    assert r.projected_value == pytest.approx(34.71511, abs=1e-5)
    assert (r.projected_lower, r.projected_upper) == pytest.approx((32.371977, 37.227842), abs=1e-5)
    assert r.p_target_met == pytest.approx(0.607817, abs=1e-6)


def test_tr3_linear_pm25():
    # TR-3
    r = one(PM25, threshold=35.0, direction=-1)
    assert r.projected_value == pytest.approx(33.154762, abs=1e-6)
    assert (r.projected_lower, r.projected_upper) == pytest.approx((29.036373, 37.273151), abs=1e-6)
    assert r.p_target_met == pytest.approx(0.842513, abs=1e-6)


def test_tr4_holt_fixed_parameters():
    # TR-4: alpha 0.8, beta* 0.2, l0 = y[0], b0 = y[1] - y[0], h = 3
    r = one(PASS, model="holt", threshold=94.0, direction=1)
    assert r.intercept == pytest.approx(93.22260881, abs=1e-8)  # final level
    assert r.slope == pytest.approx(0.27150909, abs=1e-8)  # final trend
    assert r.projected_value == pytest.approx(94.037136, abs=1e-6)
    assert r.se_pred == pytest.approx(0.291948, abs=1e-6)
    assert (r.projected_lower, r.projected_upper) == pytest.approx((93.46493, 94.60934), abs=1e-5)
    assert r.p_target_met == pytest.approx(0.550609, abs=1e-6)


def test_holt_point_forecast_matches_statsmodels():
    fit = Holt(
        np.array(PASS), initialization_method="known", initial_level=91.2, initial_trend=0.4
    ).fit(smoothing_level=0.8, smoothing_trend=0.2, optimized=False)
    assert one(PASS, model="holt").projected_value == pytest.approx(fit.forecast(3)[-1], abs=1e-9)


@pytest.mark.parametrize("model", ["linear", "loglinear"])
def test_many_random_series_agree_with_statsmodels(model):
    rng = np.random.default_rng(7)
    rows, expected = [], {}
    for k in range(40):
        n = int(rng.integers(3, 13))
        years = np.sort(rng.choice(np.arange(2005, 2024), n, replace=False))
        values = np.exp(rng.normal(3, 0.3)) * (1 + rng.normal(0.02, 0.05)) ** (years - 2005)
        target_year = int(rng.integers(2024, 2031))
        rows.append(pd.DataFrame({"series": f"s{k:02d}", "year": years, "value": values}))
        y = np.log(values) if model == "loglinear" else values
        res = sm.OLS(y, sm.add_constant(years.astype(float))).fit()
        frame = res.get_prediction(np.array([[1.0, target_year]])).summary_frame(alpha=0.05)
        back = np.exp if model == "loglinear" else (lambda v: v)
        expected[f"s{k:02d}"] = (
            target_year,
            back(frame["mean"].iloc[0]),
            back(frame["obs_ci_lower"].iloc[0]),
            back(frame["obs_ci_upper"].iloc[0]),
        )
    obs = pd.concat(rows, ignore_index=True)
    years = pd.Series({k: v[0] for k, v in expected.items()})
    got = project(obs, years, model=model)
    for key, (_, mean, lo, hi) in expected.items():
        r = got.loc[key]
        assert r.projected_value == pytest.approx(mean, rel=1e-9, abs=1e-9)
        assert r.projected_lower == pytest.approx(lo, rel=1e-9, abs=1e-9)
        assert r.projected_upper == pytest.approx(hi, rel=1e-9, abs=1e-9)


def test_bounded_indicator_never_projects_past_its_limit():
    rising = [97.0, 98.0, 98.8, 99.5, 99.9]
    obs = pd.DataFrame({"series": "s", "year": range(2018, 2023), "value": rising})
    for model in ("linear", "loglinear", "logit", "holt"):
        r = project(obs, 2027, model=model, lower_limit=0, upper_limit=100).iloc[0]
        assert r.projected_upper <= 100, model
        assert r.projected_value <= 100, model


def test_logit_interval_stays_inside_bounds_without_clipping():
    obs = pd.DataFrame({"series": "s", "year": YEARS, "value": PASS})
    r = project(obs, 2040, model="logit", lower_limit=0, upper_limit=100).iloc[0]
    assert 0 < r.projected_lower < r.projected_value < r.projected_upper < 100


def test_too_few_points_give_no_interval_and_say_why():
    obs = pd.DataFrame({"series": "s", "year": [2020, 2021], "value": [1.0, 2.0]})
    r = project(obs, 2025, threshold=3.0).iloc[0]
    assert np.isnan(r.projected_upper) and np.isnan(r.p_target_met)
    assert "fewer than 3 points" in r.note


def test_loglinear_refuses_non_positive_values():
    obs = pd.DataFrame({"series": "s", "year": [2020, 2021, 2022], "value": [0.0, 1.0, 2.0]})
    r = project(obs, 2025, model="loglinear").iloc[0]
    assert np.isnan(r.projected_value)
    assert r.note == "log-linear needs positive values"


def test_cagr_worked_examples():
    # progress.md Appendix B, eurostat_with_target EU-T1 and EU-T2
    assert cagr(92.0, 93.2, 2017, 2022) == pytest.approx(0.00259519, abs=1e-8)
    assert cagr(48.0, 40.0, 2017, 2022) == pytest.approx(-0.0358075, abs=1e-7)
    assert np.isnan(cagr(0.0, 1.0, 2017, 2022))
    assert np.isnan(cagr(-1.0, 1.0, 2017, 2022))


def test_unknown_model_is_an_error():
    with pytest.raises(ValueError, match="model must be one of"):
        one(PASS, model="quadratic")
