"""The study: which assumptions of an index are uncertain, read from a spec and checked against the framework.

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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from qindex.checks import Problems, closest
from qindex.composite.framework import (
    AGGREGATORS,
    NORMALISERS,
    TREATMENTS,
    Framework,
    SpecError,
    may_reach_zero,
)
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
    problems = Problems("study")
    if not isinstance(spec, dict):
        raise SpecError(
            [Problem("study", None, None, type(spec).__name__, "a mapping with assumptions")]
        )
    items = spec.get("assumptions") or []
    seed = spec.get("seed", 0)
    if not isinstance(items, list):
        raise SpecError([Problem("study", None, "assumptions", items, "a list of assumptions")])
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.bad(None, "seed", seed, "a whole number ≥ 0")
        seed = 0
    levels = set(framework.nodes.loc[framework.nodes.type == "aggregate", "level"].tolist())
    indicator_levels = {1}
    out = []
    names: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.bad(
                None, None, item, "a mapping with name and kind", file=f"assumption {i + 1}"
            )
            continue
        name = str(item.get("name", f"assumption {i + 1}"))
        if name in names:  # two weight sets under one name would overwrite each other
            problems.bad(None, "name", name, "a unique name", file=f"assumption '{name}'")
        names.add(name)
        where = f"assumption '{name}'"
        kind = item.get("kind")
        if not problems.one_of(None, "kind", kind, list(KINDS), file=where):
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
            problems.one_of(None, str(key), key, sorted(allowed), file=where)
        if kind == "weights":
            a.level = item.get("level")
            noise, sets = item.get("noise", 0.25), item.get("sets", 100)
            if not isinstance(noise, int | float) or isinstance(noise, bool):
                problems.bad(None, "noise", noise, "a number, e.g. 0.25", file=where)
                noise = 0.25
            if not isinstance(sets, int) or isinstance(sets, bool) or sets < 1:
                problems.bad(None, "sets", sets, "a whole number ≥ 1", file=where)
                sets = 1
            a.noise, a.sets = float(noise), sets
            if a.level is not None and a.level not in (levels | indicator_levels) - {
                framework.n_levels
            }:
                problems.bad(
                    None,
                    "level",
                    a.level,
                    f"a level whose weights matter: {sorted((levels | indicator_levels) - {framework.n_levels})}",
                    file=where,
                )
            if not 0 <= a.noise < 1:
                problems.bad(
                    None,
                    "noise",
                    a.noise,
                    "a share between 0 and 1, e.g. 0.25 for ±25 %",
                    file=where,
                )
        elif kind == "goalposts":
            a.alternatives = [
                dict(x) if isinstance(x, dict) else x for x in item.get("alternatives") or []
            ]
            problems += _goalpost_problems(where, a.alternatives, framework)
        elif kind == "exclude":
            inds = item.get("indicators", "all")
            if inds != "all" and not isinstance(inds, list):
                problems.bad(None, "indicators", inds, "'all' or a list of codes", file=where)
                inds = []
            a.alternatives = [None] + (framework.indicators if inds == "all" else list(inds))
            for code in a.alternatives[1:]:
                if code not in framework.indicators:
                    problems.bad(
                        None,
                        "indicators",
                        code,
                        f"an indicator of the framework{closest(str(code), framework.indicators)}",
                        file=where,
                    )
        else:
            alts = item.get("alternatives") or []
            if len(alts) < 1:
                problems.bad(
                    None, "alternatives", alts, "at least one alternative spec", file=where
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
                        problems.bad(
                            None,
                            "alternatives",
                            sorted(extra),
                            f"parameters of {method}: {sorted(known[method]) or 'none'}",
                            file=where,
                        )
                if known is not None:
                    problems.one_of(None, "alternatives", method, sorted(known), file=where)
            if kind == "aggregate":
                a.level = item.get("level")
                if a.level is not None and a.level not in levels:
                    problems.bad(
                        None,
                        "level",
                        a.level,
                        f"an aggregation level of the index: {sorted(levels)}",
                        file=where,
                    )
            if (
                kind in ("impute", "treat")
                and (framework.steps.get(kind) or {}).get("method", "none") == "none"
            ):
                problems.bad(
                    None,
                    "kind",
                    kind,
                    f"a step the index uses (its {kind} step is 'none'; declare it in the framework first)",
                    file=where,
                )
        out.append(a)
    problems += _positive_means(out, framework)
    if not out and not problems:
        problems.bad(None, "assumptions", [], "at least one uncertain assumption")
    problems.raise_if_any(SpecError)
    return Study(out, seed)


# ---------------------------------------------------------------- the fast engine


def _positive_means(assumptions: list[Assumption], framework: Framework) -> list[Problem]:
    """A normalisation that can give 0 or less under a geometric or harmonic mean of indicators, whichever of the
    two the study brings in: refused here, not found inside a replication (reliability review 2, N13)."""
    nodes = framework.nodes
    kids = nodes[nodes.type == "indicator"].groupby("parent").code.apply(list)
    means = {
        r.code: r.aggregate.get("method") for r in nodes[nodes.type == "aggregate"].itertuples()
    }
    normalisers = [r.normalise for r in nodes[nodes.type == "indicator"].itertuples()]
    for a in assumptions:
        if a.kind == "normalise":
            normalisers += [x for x in a.alternatives if isinstance(x, dict)]
        if a.kind == "aggregate" and (a.level is None or a.level == 2):
            for x in a.alternatives:
                method = x.get("method") if isinstance(x, dict) else x
                for code in kids.index:
                    means[f"{code} ({method}, assumption '{a.name}')"] = method
    out = []
    positive_only = [
        m for m in means if means[m] in ("gmean", "hmean") and m.split(" ")[0] in kids.index
    ]
    for spec in normalisers:
        if positive_only and may_reach_zero(spec):
            out.append(
                Problem(
                    "study",
                    None,
                    "normalise",
                    spec,
                    f"a normalisation to a positive range: the index takes a {means[positive_only[0]]} of "
                    f"indicators at {positive_only[0].split(' ')[0]}, which cannot take 0 or less",
                )
            )
            break
    return out


def _goalpost_problems(where: str, alternatives: list, framework: Framework) -> list[Problem]:
    """Each alternative maps indicators normalised by goalposts to a finite lower goalpost ≠ the upper."""
    problems = Problems()
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


__all__ = ["KINDS", "Assumption", "Study", "load_study"]
