"""One plan assessed: its targets against the panel as of a year, by domain, with the projected paths.

The computation under the plan report (:mod:`qindex.reports.plan` only presents what this returns): load the
catalogue and the panel (or the synthetic example district), run :func:`qindex.progress.assess`, add the plan's
own wording, the values inferred at a bound, and each level target's fitted path to its target year.

Example
-------
>>> pa = assess_plan("hangzhou-2015")
>>> pa.assessment.target_id.iloc[0]
'hz15-01'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qindex.catalog import Catalog, load_catalog, targets
from qindex.panel import load_panel
from qindex.progress import assess, summarise
from qindex.rankings import infer_at_bounds, load_implications
from qindex.statements import comparators
from qindex.synthetic import example_panel, synthetic_plan_example
from qindex.trend import project


@dataclass
class PlanAssessment:
    """A plan assessed as of one year: what the plan report presents.

    Attributes
    ----------
    plan : the plan's row of ``plans.csv`` (``plan_id`` is ``example-<id>`` for the synthetic example).
    assessment : one row per target, the columns of :func:`qindex.progress.assess` plus ``scope`` and ``quote``.
    by_domain : :func:`qindex.progress.summarise` by domain.
    projections : per level target with a projection, its fitted path (``year, value, lower, upper``).
    panel : the observations the plan was judged on (with values inferred at a bound, for the charts).
    as_of, model, level, synthetic : how it was assessed.
    catalog : the catalogue it was assessed against.
    """

    plan: pd.Series
    assessment: pd.DataFrame
    by_domain: pd.DataFrame
    projections: dict
    panel: pd.DataFrame
    as_of: int
    model: str
    level: float
    synthetic: bool
    catalog: Catalog


def assess_plan(
    plan_id: str,
    as_of: int | None = None,
    model: str = "linear",
    level: float = 0.95,
    synthetic: bool = False,
    example_seed: int = 0,
    catalog: Catalog | None = None,
    panel: pd.DataFrame | None = None,
) -> PlanAssessment:
    """Assess one plan on the shipped data, or on the synthetic example district when ``synthetic``.

    Parameters
    ----------
    plan_id : a plan of the catalogue (``qindex targets``).
    as_of : the year of the assessment; ``None`` or 0: the latest year with a value of one of the plan's own
        target series (:func:`latest_year`), so that a plan is judged on what is known of its own targets.
    model, level : the projection model (``linear``, ``loglinear``, ``logit``, ``holt``) and interval level.
    synthetic : the fictional example district instead of real data; ``example_seed`` 0 is the shipped example
        workbook, read as office data are; N a district generated with seed N (e.g. for batch benchmarks).
    catalog, panel : what to assess against (default: the shipped catalogue and :func:`qindex.panel.load_panel`).

    Returns
    -------
    PlanAssessment
        ``plan``, ``assessment`` (one row per target), ``by_domain``, ``projections``, ``panel``, ``as_of``,
        ``catalog`` and the settings.
    """
    if synthetic and example_seed:
        cat, panel, tg = synthetic_plan_example(plan_id, seed=example_seed)
        made = f"qindex.synthetic.synthetic_plan_example(seed={example_seed})"
        panel = panel.assign(
            origin="synthetic",
            source=f"示例数据(生成,种子 {example_seed})",
            file=made,
            line=0,
            sheet="",
            cell="",
            other_sources="",
        )
        plan_key = f"example-{plan_id}"
    elif synthetic:
        cat, panel, tg = example_panel(plan_id)
        plan_key = f"example-{plan_id}"
    else:
        cat = catalog or load_catalog()
        panel = load_panel() if panel is None else panel
        tg = targets(plan_id, catalog=cat)
        plan_key = plan_id
    plan = cat.plans.set_index("plan_id").loc[plan_key].copy()
    plan["plan_id"] = plan_key
    if not as_of:
        as_of = latest_year(panel, tg, plan)
    a = assess(panel, tg, as_of=as_of, model=model, level=level, catalog=cat)
    extra = [c for c in ("scope", "quote") if c in tg.columns and c not in a.columns]
    if extra:  # the plan's own wording: 全省/全国 of rank targets, the quote of qualitative goals
        a = a.merge(tg[["target_id", *extra]].fillna(""), on="target_id", how="left")
    if (
        not synthetic
    ):  # charts show the values inferred at a bound (hz22-32, gs25-14) as hollow points
        settled = (
            panel.attrs
        )  # what the panel settled (the pairs of values), for the report's annex
        panel = pd.concat(
            [panel, infer_at_bounds(panel, load_implications(), cat)], ignore_index=True
        )
        panel.attrs = settled  # a concat keeps no attrs
    by_domain = summarise(a, by=("domain",))
    projections = projection_paths(a, panel, model=model, level=level, as_of=as_of, catalog=cat)
    return PlanAssessment(
        plan, a, by_domain, projections, panel, int(as_of), model, level, synthetic, cat
    )


def latest_year(panel: pd.DataFrame, tg: pd.DataFrame, plan) -> int:
    """The assessment year of ``as_of: 0``: the latest year with a value of one of the plan's own target series
    (its place and indicators), never the latest year of some other series of the place (a 2025 PM2.5 value
    must not make a 2025 target of another indicator "past"), and at least the plan's base year; the target year
    when there is none."""
    own = panel[
        (panel["jurisdiction_id"] == plan.jurisdiction_id)
        & panel["indicator_id"].isin(set(tg["indicator_id"]))
    ]
    if own.empty:
        return int(plan.target_year)
    return max(int(own["year"].max()), int(plan.base_year))


def projection_paths(
    assessment, panel, model="linear", level=0.95, as_of=None, catalog: Catalog | None = None
) -> dict:
    """For each level target with a projection: the fitted path from the last observed year to the target
    year, with its prediction band (``year, value, lower, upper``)."""
    paths_out = {}
    rows = assessment[
        (assessment["target_type"] == "level") & assessment["projected_value"].notna()
    ]
    frames, horizons = [], {}
    for r in rows.itertuples():
        s = panel[
            (panel.jurisdiction_id == r.jurisdiction_id) & (panel.indicator_id == r.indicator_id)
        ]
        s = s[s.year <= min(r.target_year, as_of or r.target_year)]
        if pd.notna(getattr(r, "fit_from", np.nan)):
            s = s[(s.year >= r.fit_from) & (s.year <= r.fit_to)]
        # the fitted line is drawn over the years the fit used, then on to the target year
        start = int(r.fit_from) if pd.notna(getattr(r, "fit_from", np.nan)) else int(r.latest_year)
        for y in range(start, int(r.target_year) + 1):
            key = f"{r.target_id}|{y}"
            frames.append(s[["year", "value"]].assign(series=key))
            horizons[key] = (r.target_id, y)
    if not frames:
        return paths_out
    obs = pd.concat(frames, ignore_index=True)
    years = pd.Series({k: v[1] for k, v in horizons.items()})
    meta = assessment.set_index("target_id")
    ind = (catalog or load_catalog()).indicators.set_index("indicator_id")
    lo = pd.Series(
        {k: ind.lower_limit.get(meta.at[v[0], "indicator_id"], np.nan) for k, v in horizons.items()}
    )
    hi = pd.Series(
        {k: ind.upper_limit.get(meta.at[v[0], "indicator_id"], np.nan) for k, v in horizons.items()}
    )
    pr = project(obs, years, model=model, level=level, lower_limit=lo, upper_limit=hi)
    pr["target_id"] = [horizons[k][0] for k in pr.index]
    pr["year"] = [horizons[k][1] for k in pr.index]
    for tid, g in pr.groupby("target_id"):
        g = g.sort_values("year")
        paths_out[tid] = pd.DataFrame(
            {
                "year": g["year"],
                "value": g["projected_value"],
                "lower": g["projected_lower"],
                "upper": g["projected_upper"],
            }
        ).reset_index(drop=True)
    return paths_out


def same_year_comparators(
    panel: pd.DataFrame,
    jurisdiction_id: str,
    indicator_id: str,
    year: int,
    catalog: Catalog | None = None,
) -> list[tuple[str, float]]:
    """The value of the same indicator and year for the province(s) above a place and for the country:
    ``[(jurisdiction_id, value), …]``, nearest first (only where the panel has one). With their sources:
    :func:`qindex.statements.comparators`."""
    c = comparators(panel, jurisdiction_id, indicator_id, year, catalog)
    return list(zip(c.jurisdiction_id, c.value.astype(float), strict=True))
