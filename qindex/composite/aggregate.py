"""Aggregation of children into a parent score; weights are renormalised over the non-missing children
of each unit (COINr's behaviour).

Each function takes ``values`` (units × children) and ``weights`` (children) and returns one score per unit.
"""

from __future__ import annotations

import numpy as np


def _w(values, weights):
    v = np.asarray(values, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), v.shape)
    w = np.where(np.isnan(v), 0.0, w)
    return v, w


def amean(values, weights):
    """Weighted arithmetic mean Σw·x/Σw over non-missing children."""
    v, w = _w(values, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(w * v, axis=1) / w.sum(axis=1)


def gmean(values, weights):
    """Weighted geometric mean exp(Σw·ln x/Σw); inputs must be positive."""
    v, w = _w(values, weights)
    if np.nanmin(v) <= 0:
        raise ValueError(
            "geometric mean of a value <= 0: normalise to a positive range (e.g. 1–100)"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(np.nansum(w * np.log(v), axis=1) / w.sum(axis=1))


def hmean(values, weights):
    """Weighted harmonic mean Σw/Σ(w/x); inputs must be positive."""
    v, w = _w(values, weights)
    if np.nanmin(v) <= 0:
        raise ValueError("harmonic mean of a value <= 0: normalise to a positive range")
    with np.errstate(invalid="ignore", divide="ignore"):
        return w.sum(axis=1) / np.nansum(w / v, axis=1)


def genmean(values, weights, p=2.0):
    """Weighted generalised (power) mean (Σw·x^p/Σw)^(1/p); p = 1 arithmetic, p → 0 geometric."""
    if p == 0:
        return gmean(values, weights)
    v, w = _w(values, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.nansum(w * v**p, axis=1) / w.sum(axis=1)) ** (1 / p)


def copeland(values, weights):
    """Copeland score from the weighted outranking matrix (COINr ``a_copeland``): for each pair of units, the
    sum of weights of children where one is higher (ties count half); score = Σ sign(o_ij − ½·Σw)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    n = len(v)
    out = np.zeros((n, n))
    for i in range(n):
        gt = (v[i] > v).astype(float)
        eq = (v[i] == v).astype(float)
        out[i] = (gt * w).sum(axis=1) + 0.5 * (eq * w).sum(axis=1)
    np.fill_diagonal(out, 0.5)
    return np.sign(out - 0.5).sum(axis=1)


METHODS = {"amean": amean, "gmean": gmean, "hmean": hmean, "genmean": genmean, "copeland": copeland}


def aggregate(values, weights, spec: dict):
    params = {k: v for k, v in spec.items() if k != "method"}
    return METHODS[spec.get("method", "amean")](values, weights, **params)
