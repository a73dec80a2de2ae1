"""Outlier treatment as COINr does it by default (``Treat``: ``check_SkewKurt`` → ``winsorise`` → ``log_CT``).

An indicator passes when |skew| < 2 or kurtosis < 3.5 (sample skewness and excess kurtosis of type 2, as in
e1071 and Excel). A failing indicator is winsorised: the extreme value on the side of the skew, together with
every point tied with it, takes the next value in, repeatedly, while it fails and fewer than ``winmax`` points
are winsorised. If it still fails, the *original* values are log-transformed instead:
``log(x − min + 0.01·(max − min))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def skew(x) -> float:
    """Sample skewness (e1071 type 2); NaN values ignored; needs 3 values."""
    return skew_kurt(x)[0]


def kurt(x) -> float:
    """Sample excess kurtosis (e1071 type 2); NaN values ignored; needs 4 values."""
    return skew_kurt(x)[1]


def skew_kurt(x) -> tuple[float, float]:
    """Sample skewness and excess kurtosis (e1071 type 2) from one pass over the values; NaN ignored;
    skewness needs 3 values, kurtosis 4. The third and fourth power sums are dot products (``d²·d``,
    ``d²·d²``): ``np.power`` with a cube is several times slower, and this runs on every step of every
    winsorisation (the sums agree with the textbook form to rounding; the COINr tests hold)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 3:
        return np.nan, np.nan
    d = x - x.mean()
    d2 = d * d
    s2 = np.sum(d2)
    if s2 == 0:
        return 0.0, (0.0 if n >= 4 else np.nan)
    sk = float(np.sqrt(n) * np.dot(d2, d) / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))
    if n < 4:
        return sk, np.nan
    r = n * np.dot(d2, d2) / s2**2
    return sk, float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def passes(x, skew_limit: float = 2.0, kurt_limit: float = 3.5) -> bool:
    """COINr's ``check_SkewKurt``: |skew| < limit OR kurtosis < limit."""
    return _passes(skew_kurt(x), skew_limit, kurt_limit)


def _passes(sk: tuple[float, float], skew_limit: float, kurt_limit: float) -> bool:
    return bool(abs(sk[0]) < skew_limit or sk[1] < kurt_limit)


def winsorise(
    x, winmax: int = 5, skew_limit: float = 2.0, kurt_limit: float = 3.5
) -> tuple[np.ndarray, int, np.ndarray]:
    """Winsorise as COINr's ``winsorise``; returns (values, number winsorised, mask of treated points)."""
    x = np.asarray(x, dtype=float).copy()
    imax = imin = np.array([], dtype=int)
    nwin = 0
    sk = skew_kurt(x)
    ok = _passes(sk, skew_limit, kurt_limit)
    while not ok and nwin < winmax:
        if sk[0] >= 0:
            imax = np.flatnonzero(x == np.nanmax(x))
            rest = np.delete(x, imax)
            x[imax] = np.nanmax(rest)
        else:
            imin = np.flatnonzero(x == np.nanmin(x))
            rest = np.delete(x, imin)
            x[imin] = np.nanmin(rest)
        # as COINr: points tied at the extreme are winsorised together, so the last group holds them all
        nwin = len(imax) + len(imin)
        sk = skew_kurt(x)
        ok = _passes(sk, skew_limit, kurt_limit)
    treated = np.zeros(len(x), dtype=bool)
    treated[imax] = True
    treated[imin] = True
    return x, nwin, treated


def log_ct(x) -> np.ndarray:
    """COINr's ``log_CT``: log(x − min + 0.01·(max − min))."""
    x = np.asarray(x, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    return np.log(x - lo + 0.01 * (hi - lo))


def treat_column(x, spec: dict) -> tuple[np.ndarray, dict]:
    """Treat one indicator; returns the values and a record (skew/kurt before and after, points, method)."""
    x = np.asarray(x, dtype=float)
    method = spec.get("method", "none")
    before = skew_kurt(x)
    record = {
        "skew_before": before[0],
        "kurt_before": before[1],
        "n_winsorised": 0,
        "log": False,
        "method": method,
    }
    if method == "none" or len(x[~np.isnan(x)]) < 4:
        record.update(
            skew_after=record["skew_before"], kurt_after=record["kurt_before"], passes=np.nan
        )
        return x, record
    s_lim, k_lim = spec.get("skew", 2.0), spec.get("kurt", 3.5)
    if _passes(before, s_lim, k_lim):
        record.update(
            skew_after=record["skew_before"], kurt_after=record["kurt_before"], passes=True
        )
        return x, record
    w, nwin, _ = winsorise(x, spec.get("winmax", 5), s_lim, k_lim)
    record["n_winsorised"] = nwin
    out = w
    after = skew_kurt(w)
    if not _passes(after, s_lim, k_lim):
        out = log_ct(w if spec.get("combine", False) else x)
        record["log"] = True
        after = skew_kurt(out)
    record.update(skew_after=after[0], kurt_after=after[1], passes=_passes(after, s_lim, k_lim))
    return out, record


def treat(frame: pd.DataFrame, specs: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat every column with its spec; returns (treated frame, one record per column)."""
    columns = {}
    records = []
    for col in frame.columns:
        values, rec = treat_column(
            frame[col].to_numpy(dtype=float), specs.get(col, {"method": "none"})
        )
        columns[col] = values
        records.append({"indicator": col, **rec})
    out = pd.DataFrame(columns, index=frame.index, columns=frame.columns, dtype=float)
    return out, pd.DataFrame(records).set_index("indicator")
