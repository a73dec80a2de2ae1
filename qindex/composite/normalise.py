"""Normalisation methods (directions applied first, as COINr does: x·direction).

All functions take one column (array) and return the normalised array; NaN stays NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def minmax(x, lower=0.0, upper=100.0, direction=1):
    """(x − min)/(max − min)·(upper − lower) + lower, on x·direction."""
    x = np.asarray(x, dtype=float) * direction
    lo, hi = np.nanmin(x), np.nanmax(x)
    if hi == lo:
        return np.where(np.isnan(x), np.nan, (lower + upper) / 2)
    return (x - lo) / (hi - lo) * (upper - lower) + lower


def zscore(x, mean=0.0, sd=1.0, direction=1):
    """(x − mean(x))/sd(x)·sd + mean (sample sd, n − 1), on x·direction."""
    x = np.asarray(x, dtype=float) * direction
    return (x - np.nanmean(x)) / np.nanstd(x, ddof=1) * sd + mean


def rank(x, direction=1):
    """Rank, ties get the minimum rank (R ``rank(ties.method = "min")``), 1 = lowest of x·direction."""
    x = np.asarray(x, dtype=float) * direction
    out = np.full(len(x), np.nan)
    ok = ~np.isnan(x)
    out[ok] = stats.rankdata(x[ok], method="min")
    return out


def prank(x, direction=1):
    """Percentile rank (rank − 1)/(n − 1), 0 = lowest."""
    r = rank(x, direction)
    n = np.sum(~np.isnan(r))
    return (r - 1) / (n - 1)


def goalposts(x, lower, upper, scale=100.0, truncate=True, direction=1):
    """(x − lower)/(upper − lower)·scale, truncated to [0, scale].

    ``lower`` is the worst value and ``upper`` the best (for a lower-is-better indicator give lower > upper,
    e.g. PM2.5 lower 75, upper 35); ``direction`` is then not needed and is ignored.
    """
    x = np.asarray(x, dtype=float)
    y = (x - lower) / (upper - lower)
    if truncate:
        y = np.clip(y, 0, 1)
    return y * scale


def dist2targ(x, target, cap=True, direction=1):
    """Distance to target (COINr ``n_dist2targ``): (x − min)/(target − min), or (max − x)/(max − target)
    for a lower-is-better indicator; capped at 1 unless ``cap`` is false."""
    x = np.asarray(x, dtype=float)
    if np.isnan(x).all():
        return np.full(x.shape, np.nan)
    worst = np.nanmin(x) if direction >= 0 else np.nanmax(x)
    if target == worst:  # every value would divide by zero
        raise ValueError(f"dist2targ: the target {target:g} equals the worst value of the data")
    y = (x - worst) / (target - worst)  # the same fraction for either direction
    return np.minimum(y, 1.0) if cap else y


def ratio2targ(x, target, cap=True, direction=1):
    """Ratio to target, 完成率: x/target, or target/x when lower is better; capped at 1 unless ``cap`` false."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x / target if direction >= 0 else target / x
    return np.minimum(y, 1.0) if cap else y


def threshold(x, target, scale=100.0, direction=1):
    """达标得满分: ``scale`` where x reaches ``target`` (x ≥ target, or x ≤ target when lower is better), else 0.

    The scoring rule of an assessment scheme's met/not-met item, as a normalisation."""
    x = np.asarray(x, dtype=float)
    met = x * direction >= target * direction - 1e-9 * max(1.0, abs(target))
    return np.where(np.isnan(x), np.nan, np.where(met, scale, 0.0))


def efficacy(x, unacceptable, satisfactory, floor=60.0, span=40.0, truncate=True, direction=1):
    """功效系数法: floor + span·(x − unacceptable)/(satisfactory − unacceptable), truncated to
    [floor, floor + span] (60–100 by default). For a lower-is-better indicator give unacceptable > satisfactory."""
    x = np.asarray(x, dtype=float)
    y = (x - unacceptable) / (satisfactory - unacceptable)
    if truncate:
        y = np.clip(y, 0, 1)
    return floor + span * y


METHODS = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "prank": prank,
    "goalposts": goalposts,
    "dist2targ": dist2targ,
    "ratio2targ": ratio2targ,
    "efficacy": efficacy,
    "threshold": threshold,
    "none": lambda x, direction=1: np.asarray(x, dtype=float),
}


def normalise_column(x, spec: dict, direction=1):
    """Normalise one column by its spec ``{"method": ..., **parameters}``."""
    params = {k: v for k, v in spec.items() if k != "method"}
    return METHODS[spec.get("method", "minmax")](x, direction=direction, **params)
