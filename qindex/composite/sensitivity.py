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
from scipy.stats import qmc, rankdata

from qindex.catalog import closest
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
        x = self.normalised(
            choice.get("impute"),
            choice.get("treat"),
            choice.get("normalise"),
            choice.get("goalposts"),
        )
        weights = dict(self.base_w)
        for name, (targets, factors) in self.weight_sets.items():
            if name in choice.get("weights", {}):
                f = factors[choice["weights"][name]]
                for c, k in zip(targets, f, strict=True):
                    weights[c] = self.base_w[c] * k
        excluded = choice.get("exclude")
        aggs = dict(self.base_agg)
        for level, spec in choice.get("aggregate", {}).items():
            for c in self.codes:
                if self.kind[c] == "aggregate" and (level is None or self.level[c] == level):
                    aggs[c] = spec
        values = {c: x[:, i] for i, c in enumerate(self.indicators)}
        if excluded is not None:
            values[excluded] = np.full(len(self.units), np.nan)
        for code, kids in self.plan:
            values[code] = _mean(
                np.column_stack([values[k] for k in kids]),
                np.array([weights[k] for k in kids]),
                aggs[code],
            )
        return values[self.top]


def _mean(v: np.ndarray, w: np.ndarray, spec: dict) -> np.ndarray:
    """f⁻¹(Σ w·f(x)/Σ w) over non-missing children, as a masked matrix product."""
    method = spec.get("method", "amean")
    mask = ~np.isnan(v)
    z = np.where(mask, v, 1.0)
    if method == "amean":
        f, finv = (lambda a: a), (lambda a: a)
    elif method == "gmean":
        if np.any(z <= 0):
            raise ValueError(
                "geometric mean of a value <= 0 in a sensitivity replication: normalise to a positive range"
            )
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
    num = np.where(mask, f(z), 0.0) @ w
    den = mask @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return finv(num / den)


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
    ok = np.isfinite(scores)
    out[ok] = rankdata(-scores[ok], method="min")
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
    ranks: np.ndarray  # replications × units
    note: str = ""


@dataclass
class SensitivityResult:
    indices: pd.DataFrame  # assumption: first_order, first_order_low/high, total, total_low/high
    uncertainty: UncertaintyResult
    note: str = ""


def run_replications(
    data, framework, study, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, _Engine]:
    """Ranks (replications × units) and mean absolute rank shifts for factor rows ``u``."""
    eng = _Engine(data, framework, study)
    nominal = _ranks(eng.nominal.scores[framework.top].to_numpy())
    ranks = np.empty((len(u), len(eng.units)))
    for r, row in enumerate(u):
        ranks[r] = _ranks(eng.scores(_choice(study, row)))
    shift = np.nan_to_num(_nan_stat(np.nanmean, np.abs(ranks - nominal), axis=1))
    return ranks, shift, eng


def _rank_stats(eng, ranks) -> pd.DataFrame:
    nominal = _ranks(eng.nominal.scores[eng.fw.top].to_numpy())
    return pd.DataFrame(
        {
            "nominal_rank": nominal,
            "median_rank": _nan_stat(np.nanmedian, ranks, axis=0),
            "q05_rank": _nan_stat(np.nanquantile, ranks, q=0.05, axis=0),
            "q95_rank": _nan_stat(np.nanquantile, ranks, q=0.95, axis=0),
            "mean_rank": _nan_stat(np.nanmean, ranks, axis=0),
        },
        index=eng.units,
    )


def uncertainty(
    data: pd.DataFrame, framework: Framework, study: Study, n: int = 500
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis with ``n`` replications (reproducible with the study's seed)."""
    _positive(n, "n")
    rng = np.random.default_rng(study.seed)
    u = rng.random((n, len(study.assumptions)))
    ranks, shift, eng = run_replications(data, framework, study, u)
    reps = pd.DataFrame([_describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = shift
    if np.isnan(ranks).all():
        note = "no unit has a finite index score: nothing to rank"
    elif shift.any():
        note = ""
    else:
        note = (
            "no replication changed any rank: the assumptions studied do not matter for these data"
        )
    return UncertaintyResult(_rank_stats(eng, ranks), reps, ranks, note)


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
) -> SensitivityResult:
    """Sobol' sensitivity of the mean absolute rank shift to each assumption: N·(d + 2) replications."""
    _positive(n, "n")
    d = len(study.assumptions)
    a, b, ab = saltelli_design(d, n, study.seed)
    u = np.concatenate([a, b, ab.reshape(-1, d)])
    ranks, shift, eng = run_replications(data, framework, study, u)
    y_a, y_b, y_ab = shift[:n], shift[n : 2 * n], shift[2 * n :].reshape(d, n)
    idx = sobol_indices(y_a, y_b, y_ab, n_boot=n_boot, level=level, seed=study.seed)
    idx.insert(0, "assumption", study.names)
    reps = pd.DataFrame([_describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = shift
    reps["design"] = ["A"] * n + ["B"] * n + [f"AB:{nm}" for nm in study.names for _ in range(n)]
    ua = UncertaintyResult(_rank_stats(eng, ranks[: 2 * n]), reps, ranks, "")
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
