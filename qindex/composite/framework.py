"""An index framework declared as data: the hierarchy indicator → … → index, with per-node weights,
aggregation, direction, normalisation, denominator and outlier treatment. Loaded from YAML (or from a
COINr-style iMeta table) and validated: every problem names the node.

YAML layout::

    name: 城市质量竞争力指数
    steps:                       # defaults for every node; each may be overridden per node
      denominate: true
      impute: {method: group_mean, group: region}     # or mean, median, none
      screen: {min_availability: 0.66, basis: raw}    # basis: raw (before imputation) or imputed
      treat: {method: winsorise_log, winmax: 5, skew: 2, kurt: 3.5}   # or none
      normalise: {method: minmax, lower: 0, upper: 100}
      aggregate: {method: amean}                      # amean, gmean, hmean, genmean (p), copeland
    indicators:
      - {code: pm25, parent: environment, direction: -1, weight: 1,
         normalise: {method: goalposts, lower: 75, upper: 35, scale: 100}}
    aggregates:
      - {code: environment, parent: index, weight: 1}
      - {code: index, aggregate: {method: gmean}}
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from qindex.checks import Problems, closest
from qindex.errors import Problem, SpecError

NORMALISERS = {
    "minmax": {"lower", "upper"},
    "zscore": {"mean", "sd"},
    "rank": set(),
    "prank": set(),
    "goalposts": {"lower", "upper", "scale", "truncate"},
    "dist2targ": {"target", "cap"},
    "ratio2targ": {"target", "cap"},
    "efficacy": {"unacceptable", "satisfactory", "floor", "span", "truncate"},
    "threshold": {"target", "scale"},
    "none": set(),
}
AGGREGATORS = {"amean": set(), "gmean": set(), "hmean": set(), "genmean": {"p"}, "copeland": set()}
IMPUTERS = {"none", "mean", "median", "group_mean", "group_median", "latest", "linear"}
TREATMENTS = {"winsorise_log": {"winmax", "skew", "kurt", "combine"}, "none": set()}
STEP_KEYS = {"denominate", "impute", "screen", "treat", "normalise", "aggregate"}
DEFAULT_STEPS = {
    "denominate": True,
    "impute": {"method": "none"},
    "screen": {"min_availability": 0.0, "basis": "raw"},
    "treat": {"method": "none"},
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "amean"},
}


@dataclass
class Framework:
    """A validated framework.

    ``nodes`` has one row per node: ``code, name, parent, level`` (1 = indicator … top = index), ``type``
    (indicator / aggregate), ``weight``, ``direction``, ``denominator`` and the per-node ``normalise``,
    ``treat`` and ``aggregate`` specs (dicts, defaults filled in).
    """

    name: str
    nodes: pd.DataFrame
    steps: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_STEPS))

    @property
    def indicators(self) -> list[str]:
        return self.nodes.loc[self.nodes.type == "indicator", "code"].tolist()

    @property
    def top(self) -> str:
        return self.nodes.loc[self.nodes.parent.isna() | (self.nodes.parent == ""), "code"].iloc[0]

    @property
    def n_levels(self) -> int:
        return int(self.nodes.level.max())

    def children(self, code: str) -> list[str]:
        return self.nodes.loc[self.nodes.parent == code, "code"].tolist()

    def node(self, code: str) -> pd.Series:
        return self.nodes.set_index("code").loc[code]

    def with_changes(self, steps: dict | None = None, nodes: dict | None = None) -> Framework:
        """A copy with some step defaults or node fields changed (``nodes`` maps code → {field: value})."""
        new_steps = copy.deepcopy(self.steps)
        for k, v in (steps or {}).items():
            new_steps[k] = copy.deepcopy(v)
        table = self.nodes.copy()
        if steps:
            for step in ("normalise", "treat", "aggregate"):
                if step in steps:
                    table[step] = [copy.deepcopy(steps[step])] * len(table)
        for code, changes in (nodes or {}).items():
            i = table.index[table.code == code][0]
            for k, v in changes.items():
                table.at[i, k] = v
        return validate(self.name, table, new_steps)


def load_framework(path: Path | str) -> Framework:
    """Read and validate a framework YAML file (see the module docstring for its layout).

    Parameters
    ----------
    path : the YAML file.

    Returns
    -------
    Framework
        ``nodes`` (one row per node: ``code, name, type, parent, level, weight, direction, denominator`` and
        its step settings), ``steps`` (the defaults), ``top`` (the index's code), ``indicators``.

    Raises
    ------
    SpecError
        every problem, each naming the node and the key.

    Example
    -------
    >>> from qindex import paths
    >>> load_framework(paths.PARAMS / "quality_index.yaml").top
    'index'
    """
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError([Problem(str(path), None, None, None, f"valid YAML ({exc})")]) from None
    if isinstance(spec, dict) and "framework" in spec:  # a params file that carries its framework
        spec = spec["framework"]
    return framework_from_dict(spec, label=str(path))


def framework_from_dict(spec: dict, label: str = "framework") -> Framework:
    """Build a framework from the YAML structure (a dict)."""
    problems = Problems()
    if not isinstance(spec, dict):
        raise SpecError(
            [
                Problem(
                    label,
                    None,
                    None,
                    type(spec).__name__,
                    "a mapping with steps, indicators, aggregates",
                )
            ]
        )
    for key in spec:
        if key not in {"name", "steps", "indicators", "aggregates", "description"}:
            problems.append(
                Problem(
                    label,
                    None,
                    key,
                    key,
                    f"one of name, steps, indicators, aggregates{closest(key, ['name', 'steps', 'indicators', 'aggregates'])}",
                )
            )
    steps = copy.deepcopy(DEFAULT_STEPS)
    for key, value in (spec.get("steps") or {}).items():
        if problems.one_of(None, f"steps.{key}", key, sorted(STEP_KEYS), file=label):
            steps[key] = _merge_step(DEFAULT_STEPS[key], value)
    rows = []
    for kind, items in (
        ("indicator", spec.get("indicators") or []),
        ("aggregate", spec.get("aggregates") or []),
    ):
        for item in items:
            if not isinstance(item, dict) or "code" not in item:
                problems.append(
                    Problem(label, None, kind + "s", item, "a mapping with at least 'code'")
                )
                continue
            allowed = {
                "code",
                "name",
                "parent",
                "weight",
                "direction",
                "denominator",
                "normalise",
                "treat",
                "aggregate",
            }
            if isinstance(item.get("weight"), float) and not math.isfinite(item["weight"]):
                # checked here: in the node table an absent weight and a NaN one look alike
                problems.append(
                    Problem(
                        f"node '{item['code']}'", None, "weight", item["weight"], "a finite weight"
                    )
                )
            for key in item:
                problems.one_of(None, f"node '{item['code']}'", key, sorted(allowed), file=label)
            rows.append({**item, "type": kind})
    problems.raise_if_any(SpecError)
    table = pd.DataFrame(rows)
    return validate(str(spec.get("name", "index")), table, steps)


def _merge_step(default, value):
    """A step spec over its default: the default's parameters apply only when the method is the same."""
    if not isinstance(value, dict) or not isinstance(default, dict):
        return value
    if "method" in value and value["method"] != default.get("method"):
        return dict(value)
    return {**default, **value}


def framework_from_imeta(
    imeta: pd.DataFrame, steps: dict | None = None, name: str = "index"
) -> Framework:
    """A framework from a COINr iMeta table (``Level, iCode, iName, Direction, Weight, Denominator, Parent,
    Type``); rows of type Group / Denominator / Other are not nodes."""
    m = imeta[imeta["Type"].isin(["Indicator", "Aggregate"])]
    table = pd.DataFrame(
        {
            "code": m["iCode"].to_numpy(),
            "name": m.get("iName", m["iCode"]).to_numpy(),
            "parent": m["Parent"].to_numpy(dtype=object),
            "weight": m["Weight"].astype(float).to_numpy(),
            "direction": m["Direction"].astype(float).to_numpy(),
            "denominator": m.get("Denominator", pd.Series(None, index=m.index))
            .where(lambda s: s.notna(), None)
            .to_numpy(),
            "type": m["Type"].str.lower().to_numpy(),
        }
    )
    merged = copy.deepcopy(DEFAULT_STEPS)
    for key, value in (steps or {}).items():
        merged[key] = _merge_step(DEFAULT_STEPS.get(key), copy.deepcopy(value))
    return validate(name, table, merged)


def validate(name: str, table: pd.DataFrame, steps: dict) -> Framework:
    """Check a node table and step defaults; fill defaults; compute levels. Raises :class:`SpecError`."""
    problems = Problems("framework")

    def bad(code, column, value, expected):
        problems.bad(None, column, value, expected, file=f"node '{code}'")

    t = table.copy()
    for col, default in (
        ("name", None),
        ("parent", None),
        ("weight", 1.0),
        ("direction", 1.0),
        ("denominator", None),
    ):
        if col not in t.columns:
            t[col] = default

    def text_or_none(v):
        return v if isinstance(v, str) and v else None

    t["parent"] = pd.Series([text_or_none(p) for p in t["parent"]], index=t.index, dtype=object)
    t["denominator"] = pd.Series(
        [text_or_none(p) for p in t["denominator"]], index=t.index, dtype=object
    )
    t["name"] = [
        n if isinstance(n, str) and n else c for n, c in zip(t["name"], t["code"], strict=True)
    ]
    t["weight"] = t["weight"].where(t["weight"].notna(), 1.0)
    t["direction"] = t["direction"].where(t["direction"].notna(), 1.0)
    codes = t["code"].tolist()
    seen = set()
    for c in codes:
        if c in seen:
            bad(c, "code", c, "a unique code")
        seen.add(c)
    known = set(codes)
    for row in t.itertuples():
        if row.parent is not None and row.parent not in known:
            bad(
                row.code,
                "parent",
                row.parent,
                f"a node defined in the framework{closest(row.parent, known)}",
            )
        try:
            w = float(row.weight)
            if not (w > 0 and math.isfinite(w) and w < 1e300):
                bad(row.code, "weight", row.weight, "a weight > 0" if w <= 0 else "a finite weight")
        except (TypeError, ValueError):
            bad(row.code, "weight", row.weight, "a number > 0")
        if row.type == "indicator" and row.direction not in (1, -1, 1.0, -1.0):
            bad(
                row.code, "direction", row.direction, "1 (higher is better) or -1 (lower is better)"
            )
    roots = t.loc[t["parent"].isna(), "code"].tolist()
    if len(roots) != 1:
        problems.bad(None, "parent", roots, "exactly one node without a parent (the index)")
    parents = dict(zip(t["code"], t["parent"], strict=True))
    # cycles and orphans (a node that never reaches the root)
    for c in codes:
        path, cur = [c], parents.get(c)
        while cur is not None and cur in parents:
            if cur in path:
                bad(c, "parent", parents[c], f"no cycle (cycle: {' → '.join([*path, cur])})")
                break
            path.append(cur)
            cur = parents.get(cur)
    has_children = set(t["parent"].dropna())
    for row in t.itertuples():
        if row.type == "aggregate" and row.code not in has_children:
            bad(
                row.code,
                "type",
                "aggregate",
                "children (an aggregate with no indicators under it is an orphan)",
            )
        if row.type == "indicator" and row.code in has_children:
            bad(row.code, "type", "indicator", "no children (an indicator is a leaf)")
    # per-node step specs with defaults
    for step, allowed_methods in (
        ("normalise", NORMALISERS),
        ("treat", TREATMENTS),
        ("aggregate", AGGREGATORS),
    ):
        default = steps.get(step, DEFAULT_STEPS[step])
        if step not in t.columns:
            t[step] = None
        specs = []
        for row in t.itertuples():
            own = getattr(row, step)
            if isinstance(own, str):
                own = {"method": own}
            spec = {**default, **own} if isinstance(own, dict) else dict(default)
            if isinstance(own, dict) and "method" in own and own["method"] != default.get("method"):
                spec = dict(own)
            method = spec.get("method")
            applies = (step != "aggregate") == (row.type == "indicator")
            if applies:
                if method not in allowed_methods:
                    bad(
                        row.code,
                        step,
                        method,
                        f"one of {sorted(allowed_methods)}{closest(str(method), allowed_methods)}",
                    )
                else:
                    extra = set(spec) - {"method"} - allowed_methods[method]
                    if extra:
                        bad(
                            row.code,
                            step,
                            sorted(extra),
                            f"parameters of {method}: {sorted(allowed_methods[method]) or 'none'}",
                        )
                    for key, expected in _parameter_problems(method, spec):
                        bad(row.code, f"{step}.{key}", spec.get(key), expected)
            specs.append(spec)
        t[step] = specs
    imp = steps.get("impute", {}).get("method", "none")
    if imp not in IMPUTERS:
        problems.append(Problem("steps.impute", None, "method", imp, f"one of {sorted(IMPUTERS)}"))
    # unknown keys are errors, not silently ignored (YAML 1.1 reads a key `on:` as true, for one)
    for step, allowed in (
        ("impute", {"method", "group", "max_gap"}),
        ("screen", {"min_availability", "basis"}),
    ):
        for key in steps.get(step) or {}:
            problems.one_of(None, str(key), key, sorted(allowed), file=f"steps.{step}")
    share = (steps.get("screen") or {}).get("min_availability", 0.0)
    if not _finite(share) or not 0 <= share <= 1:
        problems.append(
            Problem("steps.screen", None, "min_availability", share, "a share from 0 to 1")
        )
    basis = (steps.get("screen") or {}).get("basis", "raw")
    if basis not in ("raw", "imputed"):
        problems.append(
            Problem("steps.screen", None, "basis", basis, "raw (before imputation) or imputed")
        )
    problems.raise_if_any(SpecError)
    # levels: indicators 1, each parent one above its highest child
    children: dict[str, list[str]] = {}
    for code, parent in zip(t["code"], t["parent"], strict=True):
        if parent is not None:
            children.setdefault(parent, []).append(code)

    def level_of(code: str) -> int:
        kids = children.get(code, [])
        return 1 if not kids else 1 + max(level_of(k) for k in kids)

    t["level"] = [level_of(c) for c in t["code"]]
    # a geometric/harmonic mean needs positive inputs: refuse a normalisation range that contains zero
    for row in t.itertuples():
        if row.type == "aggregate" and row.aggregate.get("method") in ("gmean", "hmean"):
            for kid in t.loc[t["parent"] == row.code].itertuples():
                if kid.type == "indicator" and may_reach_zero(kid.normalise):
                    bad(
                        row.code,
                        "aggregate",
                        row.aggregate["method"],
                        f"positive inputs: indicator '{kid.code}' is normalised with {kid.normalise} which can give 0 "
                        "(use e.g. minmax lower 1 upper 100)",
                    )
    problems.raise_if_any(SpecError)
    return Framework(name, t.reset_index(drop=True), steps)


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _parameter_problems(method: str, spec: dict) -> list[tuple[str, str]]:
    """Parameters that are not numbers, or that make a normaliser divide by zero or invert the indicator."""
    out = []
    for key in (
        "lower",
        "upper",
        "mean",
        "sd",
        "target",
        "cap",
        "p",
        "unacceptable",
        "satisfactory",
        "floor",
        "span",
        "scale",
    ):
        if key in spec and not _finite(spec[key]):
            out.append((key, "a finite number"))
    if out:
        return out
    if method == "minmax" and not spec.get("lower", 0) < spec.get("upper", 100):
        out.append(("upper", "a number above lower (the direction says which way is better)"))
    if method == "goalposts" and spec.get("lower") == spec.get("upper"):
        out.append(("upper", "a goalpost ≠ the lower one"))
    if method == "efficacy" and spec.get("unacceptable") == spec.get("satisfactory"):
        out.append(("satisfactory", "a value ≠ unacceptable"))
    if method == "ratio2targ" and spec.get("target", 1) == 0:
        out.append(("target", "a target ≠ 0"))
    if method == "threshold" and "target" not in spec:
        out.append(("target", "the value that earns the points (达标值)"))
    if method == "zscore" and spec.get("sd", 1) <= 0:
        out.append(("sd", "a standard deviation > 0"))
    return out


def may_reach_zero(spec: dict) -> bool:
    """Whether a normalisation can give 0 or less (a geometric or harmonic mean cannot take it)."""
    method = spec.get("method")
    if method == "minmax":
        lo, hi = spec.get("lower", 0), spec.get("upper", 100)
        return min(lo, hi) <= 0
    if method in ("zscore", "rank", "prank", "goalposts", "dist2targ", "ratio2targ", "threshold"):
        return method != "rank"
    if method == "efficacy":
        return spec.get("floor", 60) <= 0
    return False
