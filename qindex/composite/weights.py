"""Weights: equal, manual, AHP from a pairwise matrix, entropy, PCA first component.

AHP follows Saaty: the principal right eigenvector of the reciprocal matrix, normalised to sum 1;
λmax, CI = (λmax − n)/(n − 1), CR = CI/RI(n), acceptable when CR < 0.10. The random index table is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qindex.composite.framework import SpecError
from qindex.errors import Problem

#: Random consistency index tables (n = 1…15).
RI_TABLES = {
    "saaty1980": (
        0,
        0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
        1.51,
        1.48,
        1.56,
        1.57,
        1.59,
    ),
    "saaty2005": (
        0,
        0,
        0.52,
        0.89,
        1.11,
        1.25,
        1.35,
        1.40,
        1.45,
        1.49,
        1.52,
        1.54,
        1.56,
        1.58,
        1.59,
    ),
}


@dataclass(frozen=True)
class AHPResult:
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float

    @property
    def consistent(self) -> bool:
        """Saaty's rule: CR < 0.10 (always true for n ≤ 2)."""
        return bool(np.isnan(self.cr) or self.cr < 0.10)


def equal(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n)


def ahp(matrix, ri_table: str = "saaty1980") -> AHPResult:
    """Weights and consistency from a pairwise comparison matrix (1–9 scale, a_ji = 1/a_ij)."""
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0] if a.ndim else 0

    def refuse(value, expected: str):
        raise SpecError([Problem("AHP matrix", None, None, value, expected)])

    if a.ndim != 2 or a.shape != (n, n):
        refuse(f"shape {a.shape}", "a square matrix")
    if not (np.all(np.isfinite(a)) and np.all(a > 0)):
        refuse(a.tolist(), "positive, finite entries (1–9 and reciprocals)")
    if not np.allclose(a * a.T, 1.0):
        refuse(a.tolist(), "a reciprocal matrix (a[j, i] = 1 / a[i, j])")
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(values[k].real)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    table = RI_TABLES[ri_table]
    ri = table[n - 1] if n <= len(table) else np.nan
    cr = ci / ri if ri else np.nan
    return AHPResult(w, lam, ci, cr, ri)


def entropy(matrix) -> np.ndarray:
    """Entropy weights (熵权法) of a units × indicators matrix of positive, benefit-oriented values:
    p = x/Σx per column, e = −Σ p ln p / ln n (0·ln 0 = 0), w = (1 − e)/Σ(1 − e)."""
    x = np.asarray(matrix, dtype=float)
    n = x.shape[0]
    _weights_input(x, "entropy", min_units=2)
    if (x < 0).any():
        raise SpecError([Problem("weights", None, "entropy", "negative values", "values ≥ 0")])
    if np.all(np.isclose(x, x[0]), axis=0).any():
        raise SpecError(
            [
                Problem(
                    "weights",
                    None,
                    "entropy",
                    "a constant column",
                    "indicators that vary across units",
                )
            ]
        )
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1 - e
    return d / d.sum()


def pca(matrix) -> tuple[np.ndarray, float]:
    """Weights from the first principal component of the standardised data: squared loadings normalised to
    sum 1 (the Handbook's factor-analysis weighting); returns (weights, share of variance explained)."""
    x = np.asarray(matrix, dtype=float)
    _weights_input(x, "pca", min_units=3)
    if np.any(x.std(axis=0, ddof=1) == 0):
        raise SpecError(
            [
                Problem(
                    "weights", None, "pca", "a constant column", "indicators that vary across units"
                )
            ]
        )
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    corr = np.corrcoef(z, rowvar=False)
    values, vectors = np.linalg.eigh(corr)
    first = vectors[:, -1]
    w = first**2 / np.sum(first**2)
    return w, float(values[-1] / values.sum())


def _weights_input(x: np.ndarray, method: str, min_units: int) -> None:
    """Data-driven weights need a complete, finite matrix with enough units."""
    if x.ndim != 2 or x.shape[0] < min_units:
        raise SpecError(
            [
                Problem(
                    "weights",
                    None,
                    method,
                    f"{x.shape[0] if x.ndim else 0} units",
                    f"at least {min_units} units",
                )
            ]
        )
    if not np.isfinite(x).all():
        raise SpecError(
            [
                Problem(
                    "weights",
                    None,
                    method,
                    "missing or non-finite values",
                    "a complete matrix of finite numbers",
                )
            ]
        )
