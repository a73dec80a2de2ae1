"""Growth rates and projections with prediction intervals, for many short annual series at once.

Models (the project's method note on progress assessment, §7):

- ``linear``: OLS of the value on the year; Student-t prediction interval.
- ``loglinear``: OLS of ln(value) on the year (constant growth); interval ends back-transformed with exp.
- ``logit``: OLS of logit((value − lower)/(upper − lower)) for bounded rates; never leaves the bounds.
- ``holt``: Holt's linear trend with fixed smoothing parameters (α = 0.8, β* = 0.2 by default), level and
  trend started at the first value and the first difference; normal interval from the ETS(A,A,N) variance.

OLS-type fits are computed from per-series sums with ``numpy.bincount``: no Python loop per series.
Holt loops over time positions (a dozen at most), vectorised across series.

Example
-------
>>> import pandas as pd
>>> obs = pd.DataFrame({"series": "a", "year": range(2015, 2023),
...                     "value": [91.2, 91.6, 92.0, 92.3, 92.5, 92.8, 93.0, 93.2]})
>>> round(float(project(obs, 2025).projected_value.iloc[0]), 6)
94.15119
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from qindex.schema import MODELS

#: Fewest points for an OLS prediction interval (n − 2 ≥ 1 degree of freedom).
MIN_POINTS = 3


def cagr(y0, y1, t0, t1):
    """Compound annual growth rate ``(y1/y0)^(1/(t1−t0)) − 1``, element-wise.

    NaN where undefined: a non-positive value at either end (the series crosses or touches zero), or
    ``t1 == t0``. Series that are negative throughout are handled by the caller's sign convention.

    Example
    -------
    >>> round(float(cagr(92.0, 93.2, 2017, 2022)), 8)
    0.00259519
    """
    y0, y1, t0, t1 = (np.asarray(a, dtype=float) for a in (y0, y1, t0, t1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (y0 > 0) & (y1 > 0) & (t1 != t0)
        out = np.where(
            ok, np.power(np.where(ok, y1 / y0, 1.0), 1.0 / np.where(ok, t1 - t0, 1.0)) - 1.0, np.nan
        )
    return out if out.ndim else float(out)


def ols_by_group(
    codes: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int
) -> dict[str, np.ndarray]:
    """Simple regression ``y = a + b·x`` in every group at once.

    Returns arrays (one entry per group): ``n``, ``x_mean``, ``y_mean``, ``sxx``, ``slope``, ``intercept``
    (at x = 0), ``sse``, ``resid_sd`` (NaN when n < 3) and ``se_slope``. Values are centred per group first,
    so that years around 2020 lose no precision.
    """
    n = np.bincount(codes, minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_mean = np.bincount(codes, x, n_groups) / n
        y_mean = np.bincount(codes, y, n_groups) / n
        xc = x - x_mean[codes]
        yc = y - y_mean[codes]
        sxx = np.bincount(codes, xc * xc, n_groups)
        sxy = np.bincount(codes, xc * yc, n_groups)
        slope = np.where(sxx > 0, sxy / sxx, np.nan)
        resid = yc - slope[codes] * xc
        sse = np.bincount(codes, resid * resid, n_groups)
        dof = n - 2
        resid_sd = np.where(dof > 0, np.sqrt(sse / np.where(dof > 0, dof, 1)), np.nan)
        se_slope = resid_sd / np.sqrt(sxx)
    return {
        "n": n,
        "x_mean": x_mean,
        "y_mean": y_mean,
        "sxx": sxx,
        "slope": slope,
        "intercept": y_mean - slope * x_mean,
        "sse": sse,
        "resid_sd": resid_sd,
        "se_slope": se_slope,
    }


def _logit(p):
    return np.log(p / (1 - p))


def _expit(z):
    return 1 / (1 + np.exp(-z))


def project(
    obs: pd.DataFrame,
    target_year,
    model: str = "linear",
    level: float = 0.95,
    threshold=None,
    direction=1,
    lower_limit=None,
    upper_limit=None,
    key: str = "series",
    alpha: float = 0.8,
    beta_star: float = 0.2,
) -> pd.DataFrame:
    """Fit ``model`` to every series in ``obs`` and project it to its target year.

    Parameters
    ----------
    obs : long frame with columns ``key``, ``year``, ``value``.
    target_year, threshold, direction, lower_limit, upper_limit : scalars, or Series indexed by ``key``
        (one per series). ``direction`` +1: P(value ≥ threshold); −1: P(value ≤ threshold).
    level : coverage of the prediction interval.
    alpha, beta_star : Holt smoothing parameters (``holt`` only).

    Returns
    -------
    DataFrame
        indexed by ``key``: ``n``, ``last_year``, ``slope`` (per year, on the model's scale), ``se_slope``,
        ``intercept``, ``resid_sd``, ``projected_value``, ``projected_lower``, ``projected_upper``,
        ``se_pred`` (model scale), ``p_target_met`` (NaN without a threshold), ``model``, ``note``.
        Projections of bounded indicators are clipped to [lower_limit, upper_limit].

    Example
    -------
    >>> obs = pd.DataFrame({"series": "a", "year": [2018, 2019, 2020], "value": [1.0, 2.0, 3.0]})
    >>> project(obs, 2022).projected_value.round(6).tolist()  # the line 1, 2, 3 carried on to 2022
    [5.0]
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    frame = obs[[key, "year", "value"]].dropna().sort_values([key, "year"])
    keys, codes = np.unique(frame[key].to_numpy(), return_inverse=True)
    index = pd.Index(keys, name=key)

    def per_series(v, default=np.nan):
        if v is None:
            return np.full(len(keys), default, dtype=float)
        if isinstance(v, pd.Series):
            return v.reindex(index).to_numpy(dtype=float)
        return np.full(len(keys), v, dtype=float)

    T = per_series(target_year)
    c = per_series(threshold)
    d = per_series(direction, 1.0)
    lo = per_series(lower_limit)
    hi = per_series(upper_limit)
    x = frame["year"].to_numpy(dtype=float)
    y = frame["value"].to_numpy(dtype=float)
    note = np.full(len(keys), "", dtype=object)

    if model == "holt":
        out = _holt(codes, x, y, len(keys), T, alpha, beta_star)
        q = stats.norm.ppf(0.5 + level / 2)
        point, sd = out["point"], out["sd"]
        z_lo, z_hi = point - q * sd, point + q * sd
        with np.errstate(divide="ignore", invalid="ignore"):
            p_ge = 1 - stats.norm.cdf((c - point) / sd)
        note[out["gaps"]] = "Holt needs consecutive years"
        res = {
            "n": out["n"],
            "slope": out["trend"],
            "se_slope": np.full(len(keys), np.nan),
            "intercept": out["level"],
            "resid_sd": np.sqrt(out["mse"]),
            "se_pred": sd,
        }
        back = lambda z: z  # noqa: E731
        c_scale = c
    else:
        valid_y = np.ones_like(y, dtype=bool)
        if model == "loglinear":
            valid_y = y > 0
            ty = np.log(np.where(valid_y, y, 1.0))
            back = np.exp
            with np.errstate(divide="ignore", invalid="ignore"):
                c_scale = np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), np.nan)
        elif model == "logit":
            width = hi[codes] - lo[codes]
            p = (y - lo[codes]) / width
            valid_y = (p > 0) & (p < 1) & np.isfinite(width)
            ty = _logit(np.where(valid_y, p, 0.5))
            span = hi - lo
            back = lambda z: lo + span * _expit(z)  # noqa: E731
            with np.errstate(divide="ignore", invalid="ignore"):
                pc = (c - lo) / span
                c_scale = np.where(
                    pc <= 0,
                    -np.inf,
                    np.where(pc >= 1, np.inf, _logit(np.clip(pc, 1e-300, 1 - 1e-16))),
                )
        else:
            ty = y
            back = lambda z: z  # noqa: E731
            c_scale = c
        bad_series = np.bincount(codes, ~valid_y, len(keys)) > 0
        if model == "loglinear":
            note[bad_series] = "log-linear needs positive values"
        elif model == "logit":
            note[bad_series] = "logit needs values strictly inside the natural limits"
        fit = ols_by_group(codes, x, ty, len(keys))
        with np.errstate(divide="ignore", invalid="ignore"):
            se_pred = fit["resid_sd"] * np.sqrt(
                1 + 1 / fit["n"] + (T - fit["x_mean"]) ** 2 / fit["sxx"]
            )
            dof = fit["n"] - 2
            q = stats.t.ppf(0.5 + level / 2, np.where(dof > 0, dof, 1))
            point = fit["intercept"] + fit["slope"] * T
            z_lo, z_hi = point - q * se_pred, point + q * se_pred
            p_ge = 1 - stats.t.cdf((c_scale - point) / se_pred, np.where(dof > 0, dof, 1))
        point, se_pred = np.where(bad_series, np.nan, point), np.where(bad_series, np.nan, se_pred)
        res = {k: fit[k] for k in ("n", "slope", "se_slope", "intercept", "resid_sd")}
        res["se_pred"] = se_pred
        few = (fit["n"] < MIN_POINTS) & (note == "")
        note[few] = f"fewer than {MIN_POINTS} points: no prediction interval"
    with np.errstate(invalid="ignore"):
        p_met = np.where(d < 0, 1 - p_ge, p_ge)
    p_met = np.where(np.isnan(c) | np.isnan(res["se_pred"]), np.nan, p_met)
    projected = back(point)
    lower, upper = back(z_lo), back(z_hi)
    lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    with np.errstate(invalid="ignore"):
        clip_lo = np.where(np.isnan(lo), -np.inf, lo)
        clip_hi = np.where(np.isnan(hi), np.inf, hi)
        projected, lower, upper = (np.clip(v, clip_lo, clip_hi) for v in (projected, lower, upper))
    last_year = pd.Series(x).groupby(codes).max().to_numpy()
    return pd.DataFrame(
        {
            "n": res["n"].astype(int),
            "last_year": last_year.astype(int),
            "slope": res["slope"],
            "se_slope": res["se_slope"],
            "intercept": res["intercept"],
            "resid_sd": res["resid_sd"],
            "projected_value": projected,
            "projected_lower": lower,
            "projected_upper": upper,
            "se_pred": res["se_pred"],
            "p_target_met": p_met,
            "model": model,
            "note": note,
        },
        index=index,
    )


def _holt(codes, x, y, n_groups, T, alpha, beta_star) -> dict[str, np.ndarray]:
    """Holt's recursions for all series at once; series are aligned by position, not by year."""
    n = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    pos = np.arange(len(y)) - starts[codes]
    width = int(n.max()) if len(n) else 0
    Y = np.full((n_groups, width), np.nan)
    X = np.full((n_groups, width), np.nan)
    Y[codes, pos], X[codes, pos] = y, x
    gaps = (
        np.nansum(np.abs(np.diff(X, axis=1) - 1) > 0, axis=1) > 0
        if width > 1
        else np.zeros(n_groups, bool)
    )
    level = Y[:, 0].copy()
    trend = Y[:, 1] - Y[:, 0] if width > 1 else np.full(n_groups, np.nan)
    sse = np.zeros(n_groups)
    for k in range(width):
        obs = Y[:, k]
        have = ~np.isnan(obs)
        forecast = level + trend
        err = np.where(have, obs - forecast, 0.0)
        sse += err * err
        new_level = alpha * obs + (1 - alpha) * forecast
        new_trend = beta_star * (new_level - level) + (1 - beta_star) * trend
        level = np.where(have, new_level, level)
        trend = np.where(have, new_trend, trend)
    last = np.nanmax(X, axis=1) if width else np.array([])
    h = T - last
    beta = alpha * beta_star
    mse = sse / n
    rel = 1 + (h - 1) * (alpha**2 + alpha * beta * h + beta**2 * h * (2 * h - 1) / 6)
    bad = (n < 2) | gaps
    point = np.where(bad, np.nan, level + h * trend)
    sd = np.where(bad, np.nan, np.sqrt(mse * rel))
    return {
        "n": n,
        "level": level,
        "trend": trend,
        "point": point,
        "sd": sd,
        "mse": mse,
        "gaps": gaps,
    }
