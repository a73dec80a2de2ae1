"""质量工作考核: score every unit of a 考核 scheme on the office's data, and say how robust its rank and grade are.

The data come in the workbook :func:`qindex.template.write_scheme_template` generates (one row per unit, a
column per item and year) and :func:`read_scores` validates. :func:`score` applies the scheme's rules: per unit
and item the value, the completion (100 = the target met), the points and the rule that gave them; deductions,
bonuses and vetoes; the total, the grade and the rank among units (the 考核结果 an office publishes).

:func:`robustness` puts the same data through the composite-index engine (:mod:`qindex.composite`): each item
an indicator whose normalisation is its scoring rule (达标得满分 → ``threshold``; pro rata, rank and count →
``goalposts`` 0–100 on the completion), weighted by its points, parts by theirs, so that the nominal index is
the points total. The uncertainty engine then varies the scheme's assumptions (item and part weights ±20 %,
threshold vs pro-rata scoring, scoring relative to the other units) and gives each unit a rank interval and the
share of replications in which its grade holds.

Example
-------
>>> scheme = load_scheme(paths.DATA_RAW / "example" / "kaohe" / "scheme.yaml")
>>> card = score(scheme, read_scores(paths.DATA_RAW / "example" / "kaohe" / "示例数据_考核.xlsx", scheme))
>>> card.totals.columns[:6].tolist()
['unit_id', 'name_zh', 'base', 'deductions', 'bonuses', 'total']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qindex import paths
from qindex.composite import framework_from_dict
from qindex.composite.sensitivity import Assumption, Study
from qindex.composite.sensitivity.engine import BLOCK, Engine, choice, rank_scores
from qindex.scheme import (
    EPS,
    Scheme,
    load_scheme,
    read_scores,
)

# ---------------------------------------------------------------- scoring


@dataclass
class Scorecard:
    """The 考核 result: per item and per unit (see :func:`score`)."""

    scheme: Scheme
    year: int
    items: pd.DataFrame  # one row per unit and item
    adjustments: pd.DataFrame  # one row per unit and deduction / bonus / veto with a case
    totals: pd.DataFrame  # one row per unit
    data: pd.DataFrame = field(repr=False, default=None)

    @property
    def parts(self) -> pd.DataFrame:
        """Points per unit and part (units × parts, in the scheme's order)."""
        t = self.items.pivot_table(index="unit_id", columns="part", values="points", aggfunc="sum")
        return t[[p.name for p in self.scheme.parts]].reindex(self.scheme.unit_ids)


def completion(scheme: Scheme, values: pd.DataFrame) -> pd.DataFrame:
    """Completion (%) per unit × item: 100 = the item's full points. Threshold and pro-rata items: the value
    relative to the target (``100·(v − floor)/(target − floor)``, or ``100·v/target`` — ``100·target/v`` when
    lower is better — without a floor); rank: the share of points the place keeps; count: cases × points per
    case / points; score: points given / points. A unit without a value: 0 (未报送的不得分)."""
    units = scheme.unit_ids
    out = pd.DataFrame(index=pd.Index(units, name="unit_id"))
    for item in scheme.items:
        v = values.reindex(units)[item.id] if item.id in values else pd.Series(np.nan, index=units)
        v = v.to_numpy(dtype=float)
        if item.rule in ("threshold", "pro_rata"):
            t = (
                np.array([scheme.assigned[item.id][u] for u in units])
                if item.assigned
                else np.full(len(units), item.target)
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                if item.floor is not None:
                    c = 100 * (v - item.floor) / (t - item.floor)
                elif item.direction > 0:
                    c = 100 * v / t
                else:
                    c = np.where(v <= 0, np.inf, 100 * t / v)
        elif item.rule == "rank":
            ok = ~np.isnan(v)
            better = np.array([np.sum(ok & (v * item.direction > x * item.direction)) for x in v])
            rank = np.where(ok, better + 1, np.nan)
            c = 100 * np.clip(item.points - (rank - 1) * item.step, 0, None) / item.points
        elif item.rule == "count":
            c = 100 * v * item.per / item.points
        else:  # score
            c = 100 * v / item.points
        out[item.id] = np.where(np.isnan(v), 0.0, c)
    return out


def _share(scheme: Scheme, c: pd.DataFrame, rules: dict[str, str] | None = None) -> pd.DataFrame:
    """Share of each item's points (0–1) from the completion, by the item's rule (or ``rules`` instead)."""
    out = pd.DataFrame(index=c.index)
    for item in scheme.items:
        rule = (rules or {}).get(item.id, item.rule)
        x = c[item.id].to_numpy()
        out[item.id] = (
            (x >= 100 - 1e-9).astype(float) if rule == "threshold" else np.clip(x / 100, 0, 1)
        )
    return out


def score(scheme: Scheme, data: pd.DataFrame, year: int | None = None) -> Scorecard:
    """Score every unit on ``data`` (:func:`read_scores`) for ``year`` (default the scheme's).

    Returns
    -------
    Scorecard
        ``items``: per unit and item ``unit_id, item_id, item, part, points_max, rule, value, target,
        completion, points, note`` (note: 未报送 where the value is missing); ``adjustments``: per unit and
        deduction, bonus or veto with a case ``unit_id, id, name, kind, cases, points``; ``totals``: per unit
        ``unit_id, name_zh, base, deductions, bonuses, total, vetoed, grade, rank, missing`` (ranked by total,
        ties sharing the higher rank: 并列).

    Example
    -------
    >>> from qindex.scheme import scheme_from_dict
    >>> s = scheme_from_dict({"name": "x", "year": 2024, "units": [{"id": "a", "name": "甲"},
    ...     {"id": "b", "name": "乙"}], "parts": [{"name": "p", "points": 100, "items": [{"id": "i",
    ...     "name": "合格率", "points": 100, "rule": "pro_rata", "target": 80}]}],
    ...     "grades": [{"grade": "A", "min": 90}, {"grade": "D", "min": 0}]})
    >>> data = pd.DataFrame({"unit_id": ["a", "b"], "column": "i", "year": 2024, "value": [80.0, 60.0]})
    >>> score(s, data).totals[["unit_id", "total", "grade", "rank"]].values.tolist()
    [['a', 100.0, 'A', 1], ['b', 75.0, 'D', 2]]
    """
    year = scheme.year if year is None else int(year)
    here = data[data.year == year]
    wide = here.pivot_table(index="unit_id", columns="column", values="value", aggfunc="first")
    units = scheme.unit_ids
    wide = wide.reindex(units)
    c = completion(scheme, wide)
    share = _share(scheme, c)
    names = dict(zip(scheme.units.unit_id, scheme.units.name_zh, strict=True))
    rows = []
    for item in scheme.items:
        v = wide[item.id] if item.id in wide else pd.Series(np.nan, index=units)
        for u in units:
            target = (
                scheme.assigned[item.id][u]
                if item.assigned
                else (item.target if item.rule in ("threshold", "pro_rata") else np.nan)
            )
            rows.append(
                {
                    "unit_id": u,
                    "item_id": item.id,
                    "item": item.name,
                    "part": item.part,
                    "points_max": item.points,
                    "rule": item.rule_zh(),
                    "value": v[u],
                    "target": target,
                    "completion": c.at[u, item.id],
                    "points": item.points * share.at[u, item.id],
                    "note": "未报送" if pd.isna(v[u]) else "",
                }
            )
    items = pd.DataFrame(rows)
    adj_rows = []
    kinds = {"deduction": ("扣分", -1.0), "bonus": ("加分", 1.0)}
    for a in [*scheme.deductions, *scheme.bonuses, *scheme.vetoes]:
        kind, sign = kinds.get(getattr(a, "kind", ""), ("一票否决", 0.0))
        for u in units:
            n = wide.at[u, a.id] if a.id in wide else np.nan
            if pd.notna(n) and n > 0:
                points = sign * min(a.cap, n * a.per) if sign else 0.0
                adj_rows.append(
                    {
                        "unit_id": u,
                        "id": a.id,
                        "name": a.name,
                        "kind": kind,
                        "cases": int(n),
                        "points": points,
                    }
                )
    adjustments = pd.DataFrame(
        adj_rows, columns=["unit_id", "id", "name", "kind", "cases", "points"]
    )
    base = items.groupby("unit_id").points.sum().reindex(units)
    ded = (
        -adjustments[adjustments.kind == "扣分"]
        .groupby("unit_id")
        .points.sum()
        .reindex(units)
        .fillna(0.0)
    )
    bon = (
        adjustments[adjustments.kind == "加分"]
        .groupby("unit_id")
        .points.sum()
        .reindex(units)
        .fillna(0.0)
    )
    if scheme.bonus_cap is not None:
        bon = bon.clip(upper=scheme.bonus_cap)
    vetoed = (
        adjustments[adjustments.kind == "一票否决"]
        .groupby("unit_id")
        .size()
        .reindex(units)
        .fillna(0)
        > 0
    )
    deducted = adjustments[adjustments.kind == "扣分"].groupby("unit_id").id.apply(set)
    base, ded, bon = base.astype(float), ded.astype(float), bon.astype(float)
    total = base - ded + bon
    totals = pd.DataFrame(
        {
            "unit_id": units,
            "name_zh": [names[u] for u in units],
            "base": base.to_numpy(),
            "deductions": ded.to_numpy(),
            "bonuses": bon.to_numpy(),
            "total": total.to_numpy(),
            "vetoed": vetoed.to_numpy(),
        }
    )
    totals["grade"] = [
        scheme.grade_of(t, v, deducted.get(u, set()))
        for u, t, v in zip(units, totals.total, totals.vetoed, strict=True)
    ]
    totals["rank"] = rank_scores(np.round(totals.total.to_numpy(), 9)).astype(int)
    totals["missing"] = (
        items[items.note == "未报送"]
        .groupby("unit_id")
        .size()
        .reindex(units)
        .fillna(0)
        .astype(int)
        .to_numpy()
    )
    return Scorecard(scheme, year, items, adjustments, totals, data)


# ---------------------------------------------------------------- the composite view and its robustness


#: The scheme's assumptions varied in :func:`robustness`.
WEIGHT_NOISE = 0.2
#: The scoring alternative relative to the other units: it ranks, but its points are not on the scheme's
#: scale, so grades (absolute thresholds) are judged only on the other replications.
RELATIVE = "按单位间相对位置"


def composite_inputs(card: Scorecard) -> tuple[pd.DataFrame, object]:
    """(units × items completion, framework): the scheme as a composite index whose nominal score is the
    points total (before deductions and bonuses) on a 0–100 scale."""
    s = card.scheme
    data = completion(s, _wide(card))
    data.index = pd.Index(s.unit_ids)
    part_code = {p.name: f"part{k + 1}" for k, p in enumerate(s.parts)}
    spec = {
        "name": s.name,
        "steps": {
            "denominate": False,
            "impute": {"method": "none"},
            "screen": {"min_availability": 0.0, "basis": "raw"},
            "treat": {"method": "none"},
            "aggregate": {"method": "amean"},
        },
        "indicators": [
            {
                "code": i.id,
                "name": i.name,
                "parent": part_code[i.part],
                "weight": i.points,
                "normalise": {"method": "threshold", "target": 100}
                if i.rule == "threshold"
                else {"method": "goalposts", "lower": 0, "upper": 100},
            }
            for i in s.items
        ],
        "aggregates": [
            *(
                {"code": part_code[p.name], "name": p.name, "parent": "total", "weight": p.points}
                for p in s.parts
            ),
            {"code": "total", "name": "总分"},
        ],
    }
    return data, framework_from_dict(spec, s.file or "scheme")


def _wide(card: Scorecard) -> pd.DataFrame:
    here = card.data[card.data.year == card.year]
    return here.pivot_table(
        index="unit_id", columns="column", values="value", aggfunc="first"
    ).reindex(card.scheme.unit_ids)


def scheme_study(card: Scorecard, seed: int = 2024) -> Study:
    """The uncertain assumptions of a scheme: item weights and part weights (±20 %, 100 sets each), and the
    scoring: as the scheme says; every threshold and pro-rata item pro rata; every one a threshold; or
    relative to the other units (min-max over the units, best = full points)."""
    s = card.scheme
    target_items = [i.id for i in s.items if i.rule in ("threshold", "pro_rata")]
    pro_rata = {"method": "goalposts", "lower": 0, "upper": 100}
    alternatives = [
        {"method": "方案规定", "by_indicator": {}},
        {"method": "达标项也按比例", "by_indicator": {i: pro_rata for i in target_items}},
        {
            "method": "按比例项也按达标",
            "by_indicator": {i: {"method": "threshold", "target": 100} for i in target_items},
        },
        {
            "method": RELATIVE,
            "by_indicator": {i.id: {"method": "minmax", "lower": 0, "upper": 100} for i in s.items},
        },
    ]
    return Study(
        [
            Assumption("指标分值 item points", "weights", level=1, noise=WEIGHT_NOISE, sets=100),
            Assumption("部分分值 part points", "weights", level=2, noise=WEIGHT_NOISE, sets=100),
            Assumption("计分方式 scoring", "normalise", alternatives=alternatives),
        ],
        seed,
    )


@dataclass
class Robustness:
    """Rank intervals and grade stability of every unit over the scheme's assumptions."""

    table: (
        pd.DataFrame
    )  # per unit: rank, q05_rank, median_rank, q95_rank, grade, grade_share, total_q05, total_q95
    replications: int
    seconds: float
    nominal_matches: bool  # the engine's nominal index equals the points total (before adjustments)
    study: Study
    graded: int = 0  # replications on the scheme's points scale (grades and totals judged on these)
    by_scoring: pd.DataFrame | None = (
        None  # per unit and scoring alternative (weights as the scheme): total, grade
    )


def grade_matrix(scheme: Scheme, totals: np.ndarray, vetoed: np.ndarray, deducted) -> np.ndarray:
    """The grade of every total (replications × units) by :meth:`Scheme.grade_of`, at once: the highest grade
    whose minimum is reached and that no deduction of the unit bars; the lowest on a veto."""
    names = np.array([g.grade for g in scheme.grades], dtype=object)
    ok = np.stack(
        [
            (totals >= g.min - EPS)
            & ~np.array([bool(set(g.unless) & deducted.get(u, set())) for u in scheme.unit_ids])[
                None, :
            ]
            for g in scheme.grades
        ]
    )  # grades × replications × units
    ok[-1] = True  # every total has a grade
    out = names[np.argmax(ok, axis=0)]
    out[:, vetoed] = names[-1]
    return out


def robustness(card: Scorecard, replications: int = 1000, seed: int = 2024) -> Robustness:
    """Each unit's rank interval (5th–95th percentile over the replications) and the share of replications in
    which it keeps its grade, from the composite engine (:class:`~qindex.composite.sensitivity.engine.Engine`)
    over :func:`scheme_study`. Deductions, bonuses and vetoes are facts, added to every replication's points.

    Example
    -------
    >>> scheme = load_scheme(paths.DATA_RAW / "example" / "kaohe" / "scheme.yaml")
    >>> card = score(scheme, read_scores(paths.DATA_RAW / "example" / "kaohe" / "示例数据_考核.xlsx", scheme))
    >>> r = robustness(card, replications=64)
    >>> r.nominal_matches, len(r.table)
    (True, 13)
    """
    s = card.scheme
    started = time.perf_counter()
    data, fw = composite_inputs(card)
    study = scheme_study(card, seed)
    eng = Engine(data, fw, study)
    nominal = eng.nominal.scores["total"].to_numpy() * s.total / 100  # the engine builds it once
    t = card.totals.set_index("unit_id").reindex(s.unit_ids)
    matches = bool(np.allclose(nominal, t.base.to_numpy(), atol=1e-6))
    u = np.random.default_rng(study.seed).random((replications, len(study.assumptions)))
    choices = [choice(study, row) for row in u]
    scores = np.vstack(
        [eng.scores_many(choices[k : k + BLOCK]) for k in range(0, replications, BLOCK)]
    )
    graded = np.array([c["normalise"]["method"] != RELATIVE for c in choices])
    adj = (t.bonuses - t.deductions).to_numpy()
    totals = scores * s.total / 100 + adj
    # rank 1 = highest total, ties share the higher rank (as rank_scores, for every replication at once)
    rounded = np.round(totals, 9)
    ranks = 1 + (rounded[:, None, :] > rounded[:, :, None]).sum(axis=2)
    deducted = card.adjustments[card.adjustments.kind == "扣分"].groupby("unit_id").id.apply(set)
    grades = grade_matrix(s, totals[graded], t.vetoed.to_numpy(bool), deducted)
    same = (grades == t.grade.to_numpy()[None, :]).mean(axis=0)
    table = pd.DataFrame(
        {
            "unit_id": s.unit_ids,
            "name_zh": t.name_zh.to_numpy(),
            "total": t.total.to_numpy(),
            "rank": t["rank"].to_numpy(),
            "q05_rank": np.quantile(ranks, 0.05, axis=0),
            "median_rank": np.median(ranks, axis=0),
            "q95_rank": np.quantile(ranks, 0.95, axis=0),
            "grade": t.grade.to_numpy(),
            "grade_share": same,
            "total_q05": np.quantile(totals[graded], 0.05, axis=0),
            "total_q95": np.quantile(totals[graded], 0.95, axis=0),
        }
    )
    alts = next(a for a in study.assumptions if a.kind == "normalise").alternatives
    each = eng.scores_many([{"normalise": a} for a in alts]) * s.total / 100 + adj
    rows = []
    for a, row in zip(alts, each, strict=True):
        for j, unit in enumerate(s.unit_ids):
            rows.append(
                {
                    "unit_id": unit,
                    "scoring": a["method"],
                    "total": row[j],
                    "grade": ""
                    if a["method"] == RELATIVE
                    else s.grade_of(row[j], bool(t.vetoed.iloc[j]), deducted.get(unit, set())),
                }
            )
    return Robustness(
        table,
        replications,
        time.perf_counter() - started,
        matches,
        study,
        int(graded.sum()),
        pd.DataFrame(rows),
    )


def load(scheme_file: Path | str, data_file: Path | str) -> Scorecard:
    """The scheme and its data, validated, and scored: what a 考核 report starts from."""
    scheme = load_scheme(paths.ROOT / scheme_file)
    return score(scheme, read_scores(paths.ROOT / data_file, scheme))


__all__ = [
    "Robustness",
    "Scorecard",
    "completion",
    "composite_inputs",
    "load",
    "robustness",
    "scheme_study",
    "score",
]
