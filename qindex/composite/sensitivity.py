"""Uncertainty and sensitivity analysis of an index (OECD/JRC Handbook step 7; COINr ``get_sensitivity``).

A *study* lists the uncertain assumptions, each one factor:

- ``weights``: noise ±x (a share) on the weights of one level (or every level); ``sets`` noisy weight sets are
  drawn once with the seed and the factor picks one (as COINr's ``get_noisy_weights``);
- ``normalise``, ``aggregate``, ``impute``, ``treat``: a list of alternative specs (``aggregate`` for one level
  or every level);
- ``exclude``: leave out one indicator (or none), each equally likely.

Uncertainty analysis samples the factors N times and returns, per unit, the nominal, median, 5th and 95th
percentile rank, and per replication the mean absolute rank shift from the nominal ranks. Sensitivity analysis
uses a Saltelli design (A, B and the d matrices A_B^(i): N·(d + 2) runs) on that shift, with first-order
(Saltelli 2010) and total (Jansen 1999) Sobol indices and bootstrap confidence intervals.

Replications are not rebuilt from scratch: the treated and normalised data are computed once per combination of
imputation, treatment and normalisation, and every mean is f⁻¹(Σ w·f(x) / Σ w) with f = x, ln x, 1/x or x^p, so
each replication is a few masked matrix products.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import qmc

from qindex.checks import closest
from qindex.composite.build import build_index, denominate, impute
from qindex.composite.framework import AGGREGATORS, NORMALISERS, TREATMENTS, Framework, SpecError
from qindex.composite.normalise import normalise_column
from qindex.composite.treat import treat
from qindex.errors import Problem

#: ``goalposts``: alternative lower goalposts per indicator (the floors that have no source are assumptions).
KINDS = ("weights", "normalise", "aggregate", "impute", "treat", "exclude", "goalposts")


@dataclass
class Assumption:
    name: str
    kind: str
    alternatives: list = field(default_factory=list)  # specs, or indicator codes for exclude
    level: int | None = None  # weights / aggregate: one level, or None for every level
    noise: float = 0.0
    sets: int = 100

    @property
    def n(self) -> int:
        return self.sets if self.kind == "weights" else len(self.alternatives)


@dataclass
class Study:
    assumptions: list[Assumption]
    seed: int = 0

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.assumptions]


def load_study(spec: dict | str | Path, framework: Framework) -> Study:
    """Validate a study (a dict, or a YAML file with a ``study`` key or the study itself) against ``framework``.

    Raises :class:`SpecError` for an unknown kind, a level the framework does not have, a method it does not
    know, or a step that the index does not use (COINr's pitfall is to skip such a step silently).
    """
    if isinstance(spec, str | Path):
        spec = yaml.safe_load(Path(spec).read_text(encoding="utf-8"))
        spec = spec.get("study", spec)
    problems: list[Problem] = []
    if not isinstance(spec, dict):
        raise SpecError(
            [Problem("study", None, None, type(spec).__name__, "a mapping with assumptions")]
        )
    items = spec.get("assumptions") or []
    seed = spec.get("seed", 0)
    if not isinstance(items, list):
        raise SpecError([Problem("study", None, "assumptions", items, "a list of assumptions")])
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(Problem("study", None, "seed", seed, "a whole number ≥ 0"))
        seed = 0
    levels = set(framework.nodes.loc[framework.nodes.type == "aggregate", "level"].tolist())
    indicator_levels = {1}
    out = []
    names: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(
                Problem(f"assumption {i + 1}", None, None, item, "a mapping with name and kind")
            )
            continue
        name = str(item.get("name", f"assumption {i + 1}"))
        if name in names:  # two weight sets under one name would overwrite each other
            problems.append(Problem(f"assumption '{name}'", None, "name", name, "a unique name"))
        names.add(name)
        where = f"assumption '{name}'"
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(
                Problem(
                    where, None, "kind", kind, f"one of {list(KINDS)}{closest(str(kind), KINDS)}"
                )
            )
            continue
        a = Assumption(name, kind)
        allowed = {"name", "kind"} | {
            "weights": {"level", "noise", "sets"},
            "normalise": {"alternatives"},
            "aggregate": {"alternatives", "level"},
            "impute": {"alternatives"},
            "treat": {"alternatives"},
            "exclude": {"indicators"},
            "goalposts": {"alternatives"},
        }[kind]
        for key in item:
            if key not in allowed:
                problems.append(
                    Problem(
                        where,
                        None,
                        str(key),
                        key,
                        f"one of {sorted(allowed)}{closest(str(key), allowed)}",
                    )
                )
        if kind == "weights":
            a.level = item.get("level")
            noise, sets = item.get("noise", 0.25), item.get("sets", 100)
            if not isinstance(noise, int | float) or isinstance(noise, bool):
                problems.append(Problem(where, None, "noise", noise, "a number, e.g. 0.25"))
                noise = 0.25
            if not isinstance(sets, int) or isinstance(sets, bool) or sets < 1:
                problems.append(Problem(where, None, "sets", sets, "a whole number ≥ 1"))
                sets = 1
            a.noise, a.sets = float(noise), sets
            if a.level is not None and a.level not in (levels | indicator_levels) - {
                framework.n_levels
            }:
                problems.append(
                    Problem(
                        where,
                        None,
                        "level",
                        a.level,
                        f"a level whose weights matter: {sorted((levels | indicator_levels) - {framework.n_levels})}",
                    )
                )
            if not 0 <= a.noise < 1:
                problems.append(
                    Problem(
                        where,
                        None,
                        "noise",
                        a.noise,
                        "a share between 0 and 1, e.g. 0.25 for ±25 %",
                    )
                )
        elif kind == "goalposts":
            a.alternatives = [
                dict(x) if isinstance(x, dict) else x for x in item.get("alternatives") or []
            ]
            problems += _goalpost_problems(where, a.alternatives, framework)
        elif kind == "exclude":
            inds = item.get("indicators", "all")
            if inds != "all" and not isinstance(inds, list):
                problems.append(
                    Problem(where, None, "indicators", inds, "'all' or a list of codes")
                )
                inds = []
            a.alternatives = [None] + (framework.indicators if inds == "all" else list(inds))
            for code in a.alternatives[1:]:
                if code not in framework.indicators:
                    problems.append(
                        Problem(
                            where,
                            None,
                            "indicators",
                            code,
                            f"an indicator of the framework{closest(str(code), framework.indicators)}",
                        )
                    )
        else:
            alts = item.get("alternatives") or []
            if len(alts) < 1:
                problems.append(
                    Problem(where, None, "alternatives", alts, "at least one alternative spec")
                )
            a.alternatives = [dict(x) if isinstance(x, dict) else {"method": x} for x in alts]
            known = {
                "normalise": NORMALISERS,
                "aggregate": AGGREGATORS,
                "treat": TREATMENTS,
                "impute": None,
            }[kind]
            for alt in a.alternatives:
                method = alt.get("method")
                if known is not None and method in known:
                    extra = set(alt) - {"method"} - set(known[method])
                    if extra:  # an unknown parameter crashed the replication (TypeError)
                        problems.append(
                            Problem(
                                where,
                                None,
                                "alternatives",
                                sorted(extra),
                                f"parameters of {method}: {sorted(known[method]) or 'none'}",
                            )
                        )
                if known is not None and method not in known:
                    problems.append(
                        Problem(
                            where,
                            None,
                            "alternatives",
                            method,
                            f"one of {sorted(known)}{closest(str(method), known)}",
                        )
                    )
            if kind == "aggregate":
                a.level = item.get("level")
                if a.level is not None and a.level not in levels:
                    problems.append(
                        Problem(
                            where,
                            None,
                            "level",
                            a.level,
                            f"an aggregation level of the index: {sorted(levels)}",
                        )
                    )
            if (
                kind in ("impute", "treat")
                and (framework.steps.get(kind) or {}).get("method", "none") == "none"
            ):
                problems.append(
                    Problem(
                        where,
                        None,
                        "kind",
                        kind,
                        f"a step the index uses (its {kind} step is 'none'; declare it in the framework first)",
                    )
                )
        out.append(a)
    if not out and not problems:
        problems.append(
            Problem("study", None, "assumptions", [], "at least one uncertain assumption")
        )
    if problems:
        raise SpecError(problems)
    return Study(out, seed)


# ---------------------------------------------------------------- the fast engine


class _Engine:
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


def _goalpost_problems(where: str, alternatives: list, framework: Framework) -> list[Problem]:
    """Each alternative maps indicators normalised by goalposts to a finite lower goalpost ≠ the upper."""
    problems = []
    if not alternatives:
        problems.append(
            Problem(where, None, "alternatives", [], "at least one set of lower goalposts")
        )
    nodes = framework.nodes.set_index("code")
    for alt in alternatives:
        if not isinstance(alt, dict):
            problems.append(
                Problem(where, None, "alternatives", alt, "a mapping indicator → lower goalpost")
            )
            continue
        for code, lower in alt.items():
            if code not in framework.indicators:
                problems.append(
                    Problem(
                        where,
                        None,
                        "alternatives",
                        code,
                        f"an indicator of the framework{closest(str(code), framework.indicators)}",
                    )
                )
                continue
            spec = nodes.at[code, "normalise"] or {}
            if spec.get("method") != "goalposts":
                problems.append(
                    Problem(
                        where,
                        None,
                        code,
                        spec.get("method"),
                        "an indicator normalised by goalposts",
                    )
                )
            elif (
                not isinstance(lower, int | float)
                or isinstance(lower, bool)
                or not np.isfinite(lower)
            ):
                problems.append(Problem(where, None, code, lower, "a finite number"))
            elif lower == spec.get("upper"):
                problems.append(
                    Problem(where, None, code, lower, "a lower goalpost ≠ the upper one")
                )
    return problems


def _positive(n, what: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise SpecError([Problem("study", None, what, n, "a whole number of replications ≥ 1")])


def _ranks(scores: np.ndarray) -> np.ndarray:
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


def _nan_stat(f, ranks, **kw) -> np.ndarray:
    """``f`` over replications, ignoring units without a rank (all-NaN columns stay NaN, silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(ranks, **kw)


def _choice(study: Study, u: np.ndarray) -> dict:
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


def _describe(study: Study, u: np.ndarray) -> dict:
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


@dataclass
class UncertaintyResult:
    rank_stats: pd.DataFrame  # unit: nominal_rank, median_rank, q05_rank, q95_rank, mean_rank
    replications: (
        pd.DataFrame
    )  # one row per replication: the sampled assumptions and mean_abs_rank_shift
    ranks: np.ndarray | None  # replications × units (None when not kept: see uncertainty())
    note: str = ""


@dataclass
class SensitivityResult:
    indices: pd.DataFrame  # assumption: first_order, first_order_low/high, total, total_low/high
    uncertainty: UncertaintyResult
    note: str = ""


#: Replications computed together (one matrix product per data stage and mean). Chunks are whole blocks
#: counted from the first replication, so that a replication is computed with the same neighbours, and gives
#: the same bits, however the work is chunked.
BLOCK = 64
#: Replications per chunk in this process (whole blocks): bounds the memory of a chunk's ranks.
LOCAL_CHUNK = 16 * BLOCK
#: Full rank matrices (replications × units) are kept up to this many cells unless asked for.
KEEP_RANKS_CELLS = 25_000_000


def _block_ranks(eng: _Engine, study: Study, u: np.ndarray) -> np.ndarray:
    """Ranks of rows ``u`` (at most one block), as unsigned integers with 0 for no rank."""
    scores = eng.scores_many([_choice(study, row) for row in u])
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


def _chunk(eng: _Engine, study: Study, u: np.ndarray) -> np.ndarray:
    """Ranks of a chunk of rows (whole blocks, from a block boundary)."""
    parts = [_block_ranks(eng, study, u[i : i + BLOCK]) for i in range(0, len(u), BLOCK)]
    return np.concatenate(parts) if parts else np.zeros((0, len(eng.units)), np.uint16)


#: Engines built on a Dask worker, per study run (a worker builds one once, however many chunks it takes).
_WORKER_ENGINES: dict = {}


def _chunk_on_worker(token: str, data, framework, study, u: np.ndarray) -> np.ndarray:
    eng = _WORKER_ENGINES.get(token)
    if eng is None:
        eng = _WORKER_ENGINES[token] = _Engine(data, framework, study)
    return _chunk(eng, study, u)


def _forget(token: str) -> None:
    _WORKER_ENGINES.pop(token, None)


class _Tally:
    """Per unit, how often each rank occurred: exact medians, quantiles and means over any number of
    replications without holding them all."""

    def __init__(self, n_units: int):
        self.counts = np.zeros((n_units, n_units + 1), dtype=np.int64)

    def add(self, ranks: np.ndarray) -> None:
        k = self.counts.shape[1]
        flat = (np.arange(ranks.shape[1])[None, :] * k + ranks.astype(np.int64)).ravel()
        self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def stats(self) -> dict[str, np.ndarray]:
        """As ``np.nanmedian``, ``np.nanquantile`` (linear) and ``np.nanmean`` over the ranks (0 = none)."""
        c = self.counts[:, 1:]
        m = c.sum(axis=1)
        cum = np.cumsum(c, axis=1)
        values = np.arange(1, c.shape[1] + 1, dtype=float)

        def order_stat(k: np.ndarray) -> np.ndarray:
            # the k-th smallest rank (0-based) of each unit
            idx = np.array(
                [np.searchsorted(row, kk, side="right") for row, kk in zip(cum, k, strict=True)],
                dtype=int,
            )
            return values[np.minimum(idx, len(values) - 1)]

        def quantile(q: float) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                h = q * (m - 1)
            lo = np.floor(np.nan_to_num(h)).astype(int)
            frac = np.nan_to_num(h) - lo
            a, b = order_stat(lo), order_stat(np.minimum(lo + 1, np.maximum(m - 1, 0)))
            out = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)
            return np.where(m > 0, out, np.nan)

        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(m > 0, (c * values).sum(axis=1) / m, np.nan)
        return {
            "median_rank": quantile(0.5),
            "q05_rank": quantile(0.05),
            "q95_rank": quantile(0.95),
            "mean_rank": mean,
        }


@dataclass
class _Replicated:
    eng: _Engine
    shift: np.ndarray  # per replication
    tally: _Tally  # over the rows ``tally_rows`` (all by default)
    ranks: np.ndarray | None  # replications × units (NaN = no rank), when kept


def replicate(
    data,
    framework,
    study,
    u: np.ndarray,
    client=None,
    chunk: int | None = None,
    keep_ranks: bool | None = None,
    tally_rows: int | None = None,
) -> _Replicated:
    """Ranks for factor rows ``u``: in this process, or in chunks on the Dask cluster of ``client``
    (``distributed.Client``). ``chunk`` (replications per task, rounded up to whole blocks of
    :data:`BLOCK`) defaults to an even share per worker. The results are the same, bit for bit, whatever the
    chunking and wherever it runs. ``keep_ranks``: keep the full rank matrix (default: when it has at most
    :data:`KEEP_RANKS_CELLS` cells); ``tally_rows``: the rank statistics count only the first rows (the A and
    B matrices of a Saltelli design)."""
    eng = _Engine(data, framework, study)
    nominal = _ranks(eng.nominal.scores[framework.top].to_numpy())
    n, n_units = len(u), len(eng.units)
    keep = n * n_units <= KEEP_RANKS_CELLS if keep_ranks is None else keep_ranks
    tally_rows = n if tally_rows is None else tally_rows
    if chunk is None:
        workers = len(client.scheduler_info()["workers"]) if client is not None else 1
        # on a cluster an even share, four per worker; here chunks that bound the memory of the ranks
        chunk = -(-n // max(workers * 4, 1)) if client is not None else LOCAL_CHUNK
    chunk = max(BLOCK, -(-int(chunk) // BLOCK) * BLOCK)
    starts = list(range(0, n, chunk))
    shift = np.zeros(n)
    tally = _Tally(n_units)
    kept = np.full((n, n_units), np.nan) if keep else None

    nominal_int = np.nan_to_num(nominal).astype(np.int32)  # 0: no nominal rank

    def take(start: int, ranks: np.ndarray) -> None:
        stop = start + len(ranks)
        # mean |rank - nominal rank| over units ranked in both; integer sums, so exact
        both = (ranks > 0) & (nominal_int > 0)
        total = np.where(both, np.abs(ranks.astype(np.int32) - nominal_int), 0).sum(
            axis=1, dtype=np.int64
        )
        count = both.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shift[start:stop] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        if start < tally_rows:
            tally.add(ranks[: max(0, min(stop, tally_rows) - start)])
        if kept is not None:
            kept[start:stop] = np.where(ranks > 0, ranks, np.nan)

    if client is None:
        for start in starts:
            take(start, _chunk(eng, study, u[start : start + chunk]))
    else:
        import secrets

        from distributed import as_completed

        token = f"qindex-ua-{secrets.token_hex(8)}"
        shared = client.scatter([data, framework, study], broadcast=True)
        futures = {
            client.submit(
                _chunk_on_worker,
                token,
                *shared,
                u[start : start + chunk],
                key=f"{token}-{start}",
                pure=False,
            ): start
            for start in starts
        }
        try:
            for future in as_completed(futures):
                take(futures[future], future.result())
        finally:
            client.run(_forget, token)
    return _Replicated(eng, shift, tally, kept)


def run_replications(
    data, framework, study, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, _Engine]:
    """Ranks (replications × units) and mean absolute rank shifts for factor rows ``u`` (in this process)."""
    rep = replicate(data, framework, study, u, keep_ranks=True)
    return rep.ranks, rep.shift, rep.eng


def _rank_stats(eng, tally: _Tally) -> pd.DataFrame:
    nominal = _ranks(eng.nominal.scores[eng.fw.top].to_numpy())
    return pd.DataFrame({"nominal_rank": nominal, **tally.stats()}, index=eng.units)


def uncertainty(
    data: pd.DataFrame,
    framework: Framework,
    study: Study,
    n: int = 500,
    client=None,
    chunk: int | None = None,
    keep_ranks: bool | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis with ``n`` replications (reproducible with the study's seed).

    ``client``: a ``distributed.Client`` to run the replications in chunks on its cluster; ``chunk``:
    replications per task. The result is the same for the same seed, whatever the chunking, with or without a
    cluster. ``ranks`` holds every replication's ranks when ``keep_ranks`` (default: up to
    :data:`KEEP_RANKS_CELLS` cells), else ``None``; the rank statistics are exact either way.
    """
    _positive(n, "n")
    rng = np.random.default_rng(study.seed)
    u = rng.random((n, len(study.assumptions)))
    rep = replicate(data, framework, study, u, client=client, chunk=chunk, keep_ranks=keep_ranks)
    reps = pd.DataFrame([_describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = rep.shift
    if not rep.tally.counts[:, 1:].any():
        note = "no unit has a finite index score: nothing to rank"
    elif rep.shift.any():
        note = ""
    else:
        note = (
            "no replication changed any rank: the assumptions studied do not matter for these data"
        )
    return UncertaintyResult(_rank_stats(rep.eng, rep.tally), reps, rep.ranks, note)


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
    (``client``, ``chunk``, ``keep_ranks`` as in :func:`uncertainty`)."""
    _positive(n, "n")
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
    reps = pd.DataFrame([_describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = shift
    reps["design"] = ["A"] * n + ["B"] * n + [f"AB:{nm}" for nm in study.names for _ in range(n)]
    ua = UncertaintyResult(_rank_stats(rep.eng, rep.tally), reps, rep.ranks, "")
    note = (
        ""
        if np.var(np.concatenate([y_a, y_b])) > 0
        else "no output variance: nothing studied changes the ranks, so every index is 0"
    )
    return SensitivityResult(idx, ua, note)


def drop_one(data: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Rank change of every unit when each indicator in turn is left out (units × indicators; + = falls)."""
    study = Study([Assumption("exclude", "exclude", [None, *framework.indicators])])
    eng = _Engine(data, framework, study)
    nominal = _ranks(eng.nominal.scores[framework.top].to_numpy())
    out = {c: _ranks(eng.scores({"exclude": c})) - nominal for c in framework.indicators}
    return pd.DataFrame(out, index=eng.units)


def reference_ranks(
    data: pd.DataFrame, framework: Framework, study: Study, u_row: np.ndarray
) -> np.ndarray:
    """Ranks from a plain rebuild with ``build_index`` for one row of factors (slow; for checking the engine)."""
    choice = _choice(study, u_row)
    fw = framework
    steps, nodes = {}, {}
    for kind in ("impute", "treat", "normalise"):
        if kind in choice:
            steps[kind] = copy.deepcopy(choice[kind])
    fw2 = fw.with_changes(steps=steps) if steps else fw
    eng = _Engine(data, framework, study)
    for name, k in choice["weights"].items():
        targets, factors = eng.weight_sets[name]
        for c, f in zip(targets, factors[k], strict=True):
            nodes.setdefault(c, {})["weight"] = eng.base_w[c] * f
    for level, spec in choice["aggregate"].items():
        for c in fw.nodes.loc[fw.nodes.type == "aggregate", "code"]:
            if level is None or eng.level[c] == level:
                nodes.setdefault(c, {})["aggregate"] = spec
    for c, lower in (choice.get("goalposts") or {}).items():
        nodes.setdefault(c, {})["normalise"] = {**eng.base_norm[c], "lower": lower}
    if nodes:
        fw2 = fw2.with_changes(nodes=nodes)
    d = data.copy()
    if choice.get("exclude") is not None:
        d[choice["exclude"]] = np.nan
    scores = build_index(d, fw2).scores[fw.top].reindex(eng.units)
    return _ranks(scores.to_numpy())


__all__ = [
    "Assumption",
    "SensitivityResult",
    "Study",
    "UncertaintyResult",
    "drop_one",
    "load_study",
    "reference_ranks",
    "saltelli_design",
    "sensitivity",
    "sobol_indices",
    "uncertainty",
]
