"""TOPSIS (Hwang & Yoon), as used with entropy weights in Chinese evaluation practice (熵权TOPSIS)."""

from __future__ import annotations

import numpy as np


def topsis(matrix, weights, benefit=None, normalisation: str = "vector") -> np.ndarray:
    """Closeness C = D⁻/(D⁺ + D⁻) of each unit to the ideal.

    ``benefit``: True for higher-is-better columns (default all); ``normalisation``: ``vector`` (x/√Σx²) or
    ``minmax``.
    """
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    benefit = (
        np.ones(x.shape[1], dtype=bool) if benefit is None else np.asarray(benefit, dtype=bool)
    )
    if normalisation == "vector":
        r = x / np.sqrt((x**2).sum(axis=0))
    elif normalisation == "minmax":
        r = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    else:
        raise ValueError("normalisation must be 'vector' or 'minmax'")
    v = r * w
    best = np.where(benefit, v.max(axis=0), v.min(axis=0))
    worst = np.where(benefit, v.min(axis=0), v.max(axis=0))
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    return d_minus / (d_plus + d_minus)
