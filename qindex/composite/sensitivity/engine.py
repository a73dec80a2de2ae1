"""The engine: an index rebuilt for many combinations of assumptions at once.

The treated and normalised data are computed once per combination of imputation, treatment and normalisation,
and every mean is f⁻¹(Σ w·f(x) / Σ w) with f = x, ln x, 1/x or x^p, so each replication is a few masked matrix
products; replications are computed in fixed blocks of :data:`BLOCK`, so a replication always meets the same
arithmetic wherever it runs (in this process or on a Dask worker).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from qindex.composite.build import build_index, denominate, impute
from qindex.composite.framework import Framework
from qindex.composite.normalise import normalise_column
from qindex.composite.sensitivity.study import Study
from qindex.composite.treat import treat
from qindex.errors import Problem, SpecError
from qindex.parallel import one_blas_thread


class Engine:
    """Precomputed pieces of an index, so that one replication is a few matrix products."""

    def __init__(self, data: pd.DataFrame, fw: Framework, study: Study):
        self.data, self.fw, self.study = data, fw, study
        self.nominal = build_index(data, fw)
        self.units = self.nominal.scores.index
        nodes = fw.nodes
        self.codes = nodes["code"].tolist()
        self.pos = {c: i for i, c in enumerate(self.codes)}
        self.parent = dict(zip(nodes["code"], nodes["parent"], strict=True))
        self.level = dict(zip(nodes["code"], nodes["level"], strict=True))
        self.base_w = dict(zip(nodes["code"], nodes["weight"].astype(float), strict=True))
        self.base_agg = dict(zip(nodes["code"], nodes["aggregate"], strict=True))
        self.base_norm = dict(zip(nodes["code"], nodes["normalise"], strict=True))
        self.direction = dict(zip(nodes["code"], nodes["direction"].astype(float), strict=True))
        self.kind = dict(zip(nodes["code"], nodes["type"], strict=True))
        self.top, self.indicators = fw.top, fw.indicators
        self.treat_spec = dict(zip(nodes["code"], nodes["treat"], strict=True))
        # aggregation order: each level's nodes with their children, computed once
        self.plan = [
            (code, [k for k in self.codes if self.parent[k] == code])
            for level in range(2, fw.n_levels + 1)
            for code in self.codes
            if self.level[code] == level
        ]
        # level 2 (every child an indicator) as one masked matrix product per aggregation method
        self.level2 = [c for c in self.codes if self.level[c] == 2]
        self.ind_pos = {c: i for i, c in enumerate(self.indicators)}
        # an indicator under a node of level 3 or more (beside aggregates) takes the general path
        self.direct = [c for c in self.indicators if self.level[self.parent[c]] > 2]
        self.l2_parent = np.array(
            [
                self.level2.index(self.parent[c]) if c not in self.direct else -1
                for c in self.indicators
            ],
            dtype=int,
        )
        self.plan_upper = [(code, kids) for code, kids in self.plan if self.level[code] > 2]
        self._stacked: dict = {}
        rng = np.random.default_rng(study.seed)
        self.weight_sets = {}
        for a in study.assumptions:
            if a.kind == "weights":
                targets = [
                    c
                    for c in self.codes
                    if self.parent[c] is not None and (a.level is None or self.level[c] == a.level)
                ]
                factors = 1 + rng.uniform(-a.noise, a.noise, (a.sets, len(targets)))
                self.weight_sets[a.name] = (targets, factors)
        self._cache: dict = {}
        # the same as arrays, for the per-replication set-up
        self.code_idx = {c: i for i, c in enumerate(self.codes)}
        self.base_w_vec = np.array([self.base_w[c] for c in self.codes])
        self.ind_idx = np.array([self.code_idx[c] for c in self.indicators], dtype=int)
        self.set_idx = {
            name: np.array([self.code_idx[c] for c in targets], dtype=int)
            for name, (targets, _f) in self.weight_sets.items()
        }
        self.agg_codes = {
            lv: [c for c in self.codes if self.kind[c] == "aggregate" and self.level[c] == lv]
            for lv in range(2, fw.n_levels + 1)
        }
        self.upper_kids = [
            (code, np.array([self.code_idx[k] for k in kids], dtype=int))
            for code, kids in self.plan_upper
        ]
        # one node above level 2 whose children are the level-2 nodes in order: vectorised over replications
        self.fast_top = (
            len(self.plan_upper) == 1 and self.plan_upper[0][1] == self.level2 and not self.direct
        )
        self.children2 = [np.flatnonzero(self.l2_parent == j) for j in range(len(self.level2))]

    # -- data stages per (impute, treat, normalise) choice
    def normalised(
        self, imp: dict | None, trt: dict | None, norm: dict | None, floors: dict | None = None
    ) -> np.ndarray:
        key = (repr(imp), repr(trt), repr(norm), repr(floors))
        if key not in self._cache:
            fw = self.fw
            x = denominate(self.data, fw)
            x = impute(x, imp if imp is not None else fw.steps.get("impute", {}), self.data)
            x = x.loc[self.units]
            tspecs = {c: (trt if trt is not None else self.treat_spec[c]) for c in self.indicators}
            x, _ = treat(x, tspecs)
            cols = []
            for c in self.indicators:
                spec = norm if norm is not None else self.base_norm[c]
                if norm is not None and "by_indicator" in norm:  # per indicator, the rest as built
                    spec = norm["by_indicator"].get(c, self.base_norm[c])
                if floors and c in floors:
                    spec = {**spec, "lower": floors[c]}
                cols.append(normalise_column(x[c].to_numpy(), spec, direction=self.direction[c]))
            self._cache[key] = np.column_stack(cols)
        return self._cache[key]

    def scores(self, choice: dict) -> np.ndarray:
        """Top-level scores for one replication's choice of every assumption."""
        return self.scores_many([choice])[0]

    def _prepare(self, choice: dict):
        key = (
            repr(choice.get("impute")),
            repr(choice.get("treat")),
            repr(choice.get("normalise")),
            repr(choice.get("goalposts")),
        )
        x = self.normalised(
            choice.get("impute"),
            choice.get("treat"),
            choice.get("normalise"),
            choice.get("goalposts"),
        )
        w = self.base_w_vec.copy()
        for name, k in choice.get("weights", {}).items():
            w[self.set_idx[name]] *= self.weight_sets[name][1][k]
        aggs = self.base_agg
        if choice.get("aggregate"):
            aggs = dict(aggs)
            for level, spec in choice["aggregate"].items():
                for lv, codes in self.agg_codes.items():
                    if level is None or lv == level:
                        aggs.update(dict.fromkeys(codes, spec))
        # indicators -> level 2: W[i, p] = weight of indicator i under its parent p (0 if excluded)
        w_ind = w[self.ind_idx]
        excluded = choice.get("exclude")
        if excluded is not None:
            w_ind[self.ind_pos[excluded]] = 0.0
        return key, x, w, aggs, excluded, w_ind

    def scores_many(self, choices: list[dict]) -> np.ndarray:
        """Top-level scores (replications × units) for several replications at once: the replications that
        share a data stage and a level-2 mean go through one matrix product (their weight matrices side by
        side), and the top level is one weighted mean over all of them. A replication's numbers depend only
        on the call it is in; :func:`replicate` always makes the same calls (blocks of :data:`BLOCK`)."""
        n, n2 = len(self.units), len(self.level2)
        prepared = [self._prepare(c) for c in choices]
        out = np.empty((len(choices), n))
        batches: dict = {}
        for b, (key, _x, _w, aggs, _e, _m) in enumerate(prepared):
            groups: dict = {}
            for j, code in enumerate(self.level2):
                groups.setdefault(repr(aggs[code]), (aggs[code], []))[1].append(j)
            for spec_key, (spec, cols) in groups.items():
                batches.setdefault((key, spec_key, tuple(cols)), (spec, []))[1].append(b)
        if self.fast_top:  # the members of a batch by their top-level mean, so that each is a range
            for _spec, members in batches.values():
                members.sort(key=lambda b: repr(prepared[b][3][self.top]))
        level2: dict[int, np.ndarray] = {b: np.empty((n, n2)) for b in range(len(choices))}
        done = np.zeros(len(choices), dtype=bool)
        for (key, _spec_key, cols), (spec, members) in batches.items():
            parts, finv = self._masked(key, prepared[members[0]][1], spec)
            w_ind = np.array([prepared[b][5] for b in members]).T  # indicators × members
            # per level-2 node: its indicators' [f(x); present] (2·units × k) @ their weights (k × members)
            r = np.empty((len(cols), 2 * n, len(members)))
            for q, j in enumerate(cols):
                np.matmul(parts[j], w_ind[self.children2[j]], out=r[q])
            with np.errstate(invalid="ignore", divide="ignore"):
                v = finv(r[:, :n] / r[:, n:])  # level-2 nodes × units × members
            if self.fast_top and len(cols) == n2:
                self._top_many(v, members, prepared, out)
                done[members] = True
                continue
            for i, b in enumerate(members):
                level2[b][:, list(cols)] = v[:, :, i].T
        for b in np.flatnonzero(~done):
            _key, x, w, aggs, excluded, _m = prepared[b]
            values = {code: level2[b][:, j] for j, code in enumerate(self.level2)}
            for c in self.direct:
                values[c] = x[:, self.ind_pos[c]] if c != excluded else np.full(n, np.nan)
            for (code, kids), (_c, kid_idx) in zip(self.plan_upper, self.upper_kids, strict=True):
                values[code] = _mean(
                    np.column_stack([values[k] for k in kids]), w[kid_idx], aggs[code]
                )
            out[b] = values[self.top]
        return out

    def _top_many(self, v: np.ndarray, members: list, prepared: list, out: np.ndarray) -> None:
        """The top level for replications ``members`` at once; ``v``: their level-2 scores
        (level-2 nodes × units × replications)."""
        _code, kid_idx = self.upper_kids[0]
        by_spec: dict = {}
        for i, b in enumerate(members):
            spec = prepared[b][3][self.top]
            by_spec.setdefault(repr(spec), (spec, []))[1].append(i)
        for spec, idx in by_spec.values():
            # members are ordered by their top-level mean (scores_many), so idx is a range: a view
            sub = (
                v[:, :, idx[0] : idx[-1] + 1]
                if idx == list(range(idx[0], idx[-1] + 1))
                else v[:, :, idx]
            )
            f, finv = _functions(spec)
            wts = np.array([prepared[members[i]][2][kid_idx] for i in idx])
            if not np.isnan(sub).any():  # the usual case: no masking, one pass
                _positive_for(spec, sub)
                num = np.einsum("jnk,kj->nk", f(sub), wts)
                den = wts.sum(axis=1)[None, :]
            else:
                mask = ~np.isnan(sub)
                z = np.where(mask, sub, 1.0)
                _positive_for(spec, z)
                num = np.einsum("jnk,kj->nk", np.where(mask, f(z), 0.0), wts)
                den = np.einsum("jnk,kj->nk", mask.astype(float), wts)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[[members[i] for i in idx]] = finv(num / den).T

    def _masked(self, key, x: np.ndarray, spec: dict):
        """Per level-2 node, ``[f(x) where present else 0; 1 where present else 0]`` of its indicators
        (2·units × its indicators), and f⁻¹; cached per data stage and mean, so that the level 2 of a block of
        replications is one small matrix product per node."""
        f, finv = _functions(spec)
        ck = (key, repr(spec))
        if ck not in self._stacked:
            mask = ~np.isnan(x)
            z = np.where(mask, x, 1.0)
            _positive_for(spec, z)
            stacked = np.vstack([np.where(mask, f(z), 0.0), mask.astype(float)])
            self._stacked[ck] = [np.ascontiguousarray(stacked[:, kids]) for kids in self.children2]
        return self._stacked[ck], finv


def _mean(v: np.ndarray, w: np.ndarray, spec: dict) -> np.ndarray:
    """f⁻¹(Σ w·f(x)/Σ w) over non-missing children, as a masked matrix product."""
    mask = ~np.isnan(v)
    z = np.where(mask, v, 1.0)
    _positive_for(spec, z)
    f, finv = _functions(spec)
    num = np.where(mask, f(z), 0.0) @ w
    den = mask @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return finv(num / den)


def _positive_for(spec: dict, z: np.ndarray) -> None:
    """A geometric mean takes only values > 0 (``z``: the values, missing ones already set to 1)."""
    if spec.get("method", "amean") == "gmean" and np.any(z <= 0):
        raise ValueError(
            "geometric mean of a value <= 0 in a sensitivity replication: normalise to a positive range"
        )


def _functions(spec: dict):
    """(f, f⁻¹) of a generalised mean."""
    method = spec.get("method", "amean")
    if method == "amean":
        f, finv = (lambda a: a), (lambda a: a)
    elif method == "gmean":
        f, finv = np.log, np.exp
    elif method == "hmean":
        f, finv = (lambda a: 1 / a), (lambda a: 1 / a)
    elif method == "genmean":
        p = spec.get("p", 2.0)
        f, finv = (lambda a: a**p), (lambda a: a ** (1 / p))
    else:
        raise SpecError(
            [
                Problem(
                    "sensitivity",
                    None,
                    "aggregate",
                    method,
                    "amean, gmean, hmean or genmean (Copeland is not supported in the fast engine)",
                )
            ]
        )
    return f, finv


def rank_scores(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score; ties share the smallest rank; a unit without a finite score gets no rank
    (NaN), never a place in the ranking."""
    out = np.full(len(scores), np.nan)
    ok = np.flatnonzero(np.isfinite(scores))
    if len(ok) == 0:
        return out
    s = -scores[ok]
    order = np.argsort(s, kind="stable")
    ordered = s[order]
    starts = np.empty(len(ordered), dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    # a tie takes the position of its first member (scipy's rankdata method="min")
    rank = np.maximum.accumulate(np.where(starts, np.arange(1, len(ordered) + 1), 0))
    out[ok[order]] = rank
    return out


def nan_stat(f, ranks, **kw) -> np.ndarray:
    """``f`` over replications, ignoring units without a rank (all-NaN columns stay NaN, silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(ranks, **kw)


def choice(study: Study, u: np.ndarray) -> dict:
    """Map one row of factors in [0, 1) to a concrete choice for every assumption."""
    choice: dict = {"weights": {}, "aggregate": {}}
    for a, ui in zip(study.assumptions, u, strict=True):
        k = min(int(ui * a.n), a.n - 1)
        if a.kind == "weights":
            choice["weights"][a.name] = k
        elif a.kind == "aggregate":
            choice["aggregate"][a.level] = a.alternatives[k]
        elif a.kind == "exclude":
            choice["exclude"] = a.alternatives[k]
        else:
            choice[a.kind] = a.alternatives[k]
    return choice


def describe(study: Study, u: np.ndarray) -> dict:
    out = {}
    for a, ui in zip(study.assumptions, u, strict=True):
        k = min(int(ui * a.n), a.n - 1)
        out[a.name] = (
            k
            if a.kind == "weights"
            else (
                a.alternatives[k]
                if a.kind == "exclude"
                else (k if a.kind == "goalposts" else a.alternatives[k].get("method"))
            )
        )
    return out


#: Replications computed together (one matrix product per data stage and mean). Chunks are whole blocks
#: counted from the first replication, so that a replication is computed with the same neighbours, and gives
#: the same bits, however the work is chunked.
BLOCK = 64


def _block_ranks(eng: Engine, study: Study, u: np.ndarray) -> np.ndarray:
    """Ranks of rows ``u`` (at most one block), as unsigned integers with 0 for no rank."""
    scores = eng.scores_many([choice(study, row) for row in u])
    dtype = np.uint16 if len(eng.units) < 2**16 else np.uint32
    return _ranks_many(scores).astype(dtype)


def _ranks_many(scores: np.ndarray) -> np.ndarray:
    """:func:`_ranks` of each row at once, with 0 for no rank."""
    n = scores.shape[1]
    key = np.where(np.isfinite(scores), -scores, np.inf)  # no score sorts last
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    rank = np.maximum.accumulate(np.where(starts, np.arange(1, n + 1), 0), axis=1)
    rank[np.isinf(ordered)] = 0
    out = np.empty_like(rank)
    np.put_along_axis(out, order, rank, axis=1)
    return out


def chunk_ranks(eng: Engine, study: Study, u: np.ndarray) -> np.ndarray:
    """Ranks of a chunk of rows (whole blocks, from a block boundary)."""
    parts = [_block_ranks(eng, study, u[i : i + BLOCK]) for i in range(0, len(u), BLOCK)]
    return np.concatenate(parts) if parts else np.zeros((0, len(eng.units)), np.uint16)


#: Engines built on a Dask worker, per study run (a worker builds one once, however many chunks it takes).
_WORKER_ENGINES: dict = {}


def chunk_on_worker(token: str, data, framework, study, u: np.ndarray) -> np.ndarray:
    eng = _WORKER_ENGINES.get(token)
    if eng is None:
        eng = _WORKER_ENGINES[token] = Engine(data, framework, study)
    with one_blas_thread():
        return chunk_ranks(eng, study, u)


def forget(token: str) -> None:
    _WORKER_ENGINES.pop(token, None)


def positive(n, what: str, minimum: int = 1) -> None:
    """``n`` replications, a whole number ≥ ``minimum``, or a :class:`SpecError`."""
    if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
        raise SpecError(
            [Problem("study", None, what, n, f"a whole number of replications ≥ {minimum}")]
        )
