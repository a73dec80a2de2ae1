"""Sensitivity analysis: a Saltelli design (A, B and the d matrices A_B^(i): N·(d + 2) runs) on the mean rank
shift, with first-order (Saltelli 2010) and total (Jansen 1999) Sobol indices and bootstrap confidence intervals;
and the leave-one-indicator-out ranks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from qindex.composite.build import build_index
from qindex.composite.framework import Framework
from qindex.composite.sensitivity.engine import Engine, choice, describe, positive, rank_scores
from qindex.composite.sensitivity.montecarlo import UncertaintyResult, rank_stats, replicate
from qindex.composite.sensitivity.study import Assumption, Study

#: The smallest base sample of a Sobol' design (a real study takes hundreds).
SOBOL_MIN_N = 8


@dataclass
class SensitivityResult:
    """What :func:`sensitivity` found: Sobol' indices per assumption, with the design's uncertainty."""

    indices: pd.DataFrame  # assumption: first_order, first_order_low/high, total, total_low/high
    uncertainty: UncertaintyResult
    note: str = ""


def saltelli_design(d: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B (n × d) from a scrambled Sobol' sequence and the d matrices A_B^(i) (A with column i from B)."""
    m = int(np.ceil(np.log2(max(n, 2))))
    base = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(m)[:n]
    a, b = base[:, :d], base[:, d:]
    ab = np.repeat(a[None], d, axis=0)
    for i in range(d):
        ab[i, :, i] = b[:, i]
    return a, b, ab


def sobol_indices(
    y_a, y_b, y_ab, n_boot: int = 1000, level: float = 0.9, seed: int = 0
) -> pd.DataFrame:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices with bootstrap intervals.

    ``y_a``, ``y_b``: outputs for A and B (n); ``y_ab``: outputs for A_B^(i) (d × n).
    """
    y_a, y_b, y_ab = np.asarray(y_a, float), np.asarray(y_b, float), np.asarray(y_ab, float)
    n = len(y_a)

    def estimate(idx):
        ya, yb, yab = y_a[idx], y_b[idx], y_ab[:, idx]
        var = np.var(np.concatenate([ya, yb]), ddof=0)
        if var == 0:
            return np.zeros(len(y_ab)), np.zeros(len(y_ab))
        s1 = np.mean(yb * (yab - ya), axis=1) / var
        st = np.mean((ya - yab) ** 2, axis=1) / (2 * var)
        return s1, st

    s1, st = estimate(np.arange(n))
    rng = np.random.default_rng(seed)
    boots = [estimate(rng.integers(0, n, n)) for _ in range(n_boot)]
    b1 = np.array([b[0] for b in boots])
    bt = np.array([b[1] for b in boots])
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    return pd.DataFrame(
        {
            "first_order": s1,
            "first_order_low": np.quantile(b1, lo, axis=0),
            "first_order_high": np.quantile(b1, hi, axis=0),
            "total": st,
            "total_low": np.quantile(bt, lo, axis=0),
            "total_high": np.quantile(bt, hi, axis=0),
        }
    )


def sensitivity(
    data: pd.DataFrame,
    framework: Framework,
    study: Study,
    n: int = 256,
    n_boot: int = 1000,
    level: float = 0.9,
    client=None,
    chunk: int | None = None,
    keep_ranks: bool | None = None,
) -> SensitivityResult:
    """Sobol' sensitivity of the mean absolute rank shift to each assumption: N·(d + 2) replications
    (``client``, ``chunk``, ``keep_ranks`` as in :func:`uncertainty`).

    Parameters
    ----------
    data, framework, study : as for :func:`~qindex.composite.sensitivity.uncertainty`.
    n : the base sample (N); ``n_boot`` bootstrap resamples for intervals at ``level``.

    Returns
    -------
    SensitivityResult
        ``indices`` (one row per assumption: ``assumption``, ``first_order``, ``first_order_low``,
        ``first_order_high``, ``total``, ``total_low``, ``total_high``), the ``uncertainty`` of the design's
        A and B rows, and ``note``.

    Example
    -------
    >>> from qindex.composite import framework_from_dict
    >>> from qindex.composite.sensitivity import load_study
    >>> fw = framework_from_dict({"indicators": [{"code": "a", "parent": "idx"},
    ...     {"code": "b", "parent": "idx", "direction": -1}], "aggregates": [{"code": "idx"}]})
    >>> data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 3, 4, 1, 2]}, index=list("pqrst"))
    >>> study = load_study({"assumptions": [{"name": "w", "kind": "weights", "noise": 0.25}]}, fw)
    >>> sensitivity(data, fw, study, n=16, n_boot=50).indices.assumption.tolist()
    ['w']"""
    # a Saltelli design on one or two base rows has no variance to apportion: "every index is 0" would be a
    # conclusion the replications cannot carry
    positive(n, "n", minimum=SOBOL_MIN_N)
    d = len(study.assumptions)
    a, b, ab = saltelli_design(d, n, study.seed)
    u = np.concatenate([a, b, ab.reshape(-1, d)])
    rep = replicate(
        data,
        framework,
        study,
        u,
        client=client,
        chunk=chunk,
        keep_ranks=keep_ranks,
        tally_rows=2 * n,
    )
    shift = rep.shift
    y_a, y_b, y_ab = shift[:n], shift[n : 2 * n], shift[2 * n :].reshape(d, n)
    idx = sobol_indices(y_a, y_b, y_ab, n_boot=n_boot, level=level, seed=study.seed)
    idx.insert(0, "assumption", study.names)
    reps = pd.DataFrame([describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = shift
    reps["design"] = ["A"] * n + ["B"] * n + [f"AB:{nm}" for nm in study.names for _ in range(n)]
    ua = UncertaintyResult(rank_stats(rep.eng, rep.tally), reps, rep.ranks, "")
    note = (
        ""
        if np.var(np.concatenate([y_a, y_b])) > 0
        else "no output variance: nothing studied changes the ranks, so every index is 0"
    )
    return SensitivityResult(idx, ua, note)


def drop_one(data: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Rank change of every unit when each indicator in turn is left out (units × indicators; + = falls)."""
    study = Study([Assumption("exclude", "exclude", [None, *framework.indicators])])
    eng = Engine(data, framework, study)
    nominal = rank_scores(eng.nominal.scores[framework.top].to_numpy())
    out = {c: rank_scores(eng.scores({"exclude": c})) - nominal for c in framework.indicators}
    return pd.DataFrame(out, index=eng.units)


def reference_ranks(
    data: pd.DataFrame, framework: Framework, study: Study, u_row: np.ndarray
) -> np.ndarray:
    """Ranks from a plain rebuild with ``build_index`` for one row of factors (slow; for checking the engine)."""
    chosen = choice(study, u_row)
    fw = framework
    steps, nodes = {}, {}
    for kind in ("impute", "treat", "normalise"):
        if kind in chosen:
            steps[kind] = copy.deepcopy(chosen[kind])
    fw2 = fw.with_changes(steps=steps) if steps else fw
    eng = Engine(data, framework, study)
    for name, k in chosen["weights"].items():
        targets, factors = eng.weight_sets[name]
        for c, f in zip(targets, factors[k], strict=True):
            nodes.setdefault(c, {})["weight"] = eng.base_w[c] * f
    for level, spec in chosen["aggregate"].items():
        for c in fw.nodes.loc[fw.nodes.type == "aggregate", "code"]:
            if level is None or eng.level[c] == level:
                nodes.setdefault(c, {})["aggregate"] = spec
    for c, lower in (chosen.get("goalposts") or {}).items():
        nodes.setdefault(c, {})["normalise"] = {**eng.base_norm[c], "lower": lower}
    if nodes:
        fw2 = fw2.with_changes(nodes=nodes)
    d = data.copy()
    if chosen.get("exclude") is not None:
        d[chosen["exclude"]] = np.nan
    scores = build_index(d, fw2).scores[fw.top].reindex(eng.units)
    return rank_scores(scores.to_numpy())
