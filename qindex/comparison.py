"""The plans side by side, as numbers: indicators shared across plans, each target against the latest value,
the annual change each target requires against the change achieved, and how ambitious each plan's targets are.

Ambition of a level target = the change it asks for, in the desired direction, relative to where the
national comparator stood in the plan's base year (or the closest earlier year):
``d·(target − national) / |national|``. A plan's ambition is the median over its targets with a comparator.
:mod:`qindex.reports.compare` presents these frames.

Example
-------
>>> int(compare_plans().groupby("concept").plan_id.nunique().min())  # every concept in two plans or more
2
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qindex.catalog import Catalog, load_catalog, targets
from qindex.observations import on_definition
from qindex.panel import load_panel
from qindex.statements import DATA_AGE

#: Indicators that are close but not the same series; compared side by side with a caveat, never merged.
RELATED = {
    "industrial_product_pass_rate": "manufacturing_product_pass_rate",
    "public_service_satisfaction": "service_quality_satisfaction",
}


NATIONAL = "CN"


def compare_plans(
    panel: pd.DataFrame | None = None, catalog: Catalog | None = None
) -> pd.DataFrame:
    """One row per level target on an indicator that appears in two or more plans.

    Returns
    -------
    DataFrame
        ``concept, indicator_id, name_zh, unit, plan_id, jurisdiction_id, target_value, target_year,
        comparator, base_year, base_value, latest_year, latest_value, required_per_year, achieved_per_year,
        national_value, national_year, ambition, caveat``. ``required_per_year`` = (target − base)/(target year
        − base year); ``achieved_per_year`` = (latest − base)/(latest year − base year).
    """
    cat = catalog or load_catalog()
    panel = load_panel() if panel is None else panel
    usable = on_definition(panel)
    t = targets(catalog=cat)
    t = t[t["target_type"] == "level"].copy()
    t["concept"] = t["indicator_id"].map(lambda i: RELATED.get(i, i))
    shared = t.groupby("concept")["plan_id"].nunique()
    t = t[t["concept"].isin(shared[shared >= 2].index)]
    plans = cat.plans.set_index("plan_id")
    rows = []
    for r in t.itertuples():
        plan = plans.loc[r.plan_id]
        own = usable[
            (usable.jurisdiction_id == r.jurisdiction_id) & (usable.indicator_id == r.indicator_id)
        ].sort_values("year")
        base = own[own.year >= plan.base_year].head(1)
        # the latest value is a value of the plan period: an older one is no "latest" of this plan
        latest = own[(own.year <= r.target_year) & (own.year >= plan.base_year)].tail(1)
        older = own[own.year < plan.base_year].tail(1)
        nat = usable[
            (usable.jurisdiction_id == NATIONAL) & (usable.indicator_id == r.concept)
        ].sort_values("year")
        # the national comparator of the plan's base year (or up to DATA_AGE years before it), never a later one
        nat_base = nat[(nat.year <= plan.base_year) & (nat.year >= plan.base_year - DATA_AGE)].tail(
            1
        )
        comparable = r.indicator_id not in RELATED and not any(
            c in str(r.caveat or "") for c in ("definition_differs", "definition_unconfirmed")
        )
        b_year = base.year.iloc[0] if len(base) else np.nan
        b_val = base.value.iloc[0] if len(base) else np.nan
        l_year = latest.year.iloc[0] if len(latest) else np.nan
        l_val = latest.value.iloc[0] if len(latest) else np.nan
        n_val = nat_base.value.iloc[0] if len(nat_base) else np.nan
        d = float(r.direction)
        with np.errstate(invalid="ignore", divide="ignore"):
            required = (
                (r.target_value - b_val) / (r.target_year - b_year)
                if len(base) and r.target_year != b_year
                else np.nan
            )
            achieved = (
                (l_val - b_val) / (l_year - b_year)
                if len(base) and len(latest) and l_year != b_year
                else np.nan
            )
            ambition = d * (r.target_value - n_val) / abs(n_val) if n_val and comparable else np.nan
        rows.append(
            {
                "concept": r.concept,
                "indicator_id": r.indicator_id,
                "name_zh": r.name_zh,
                "unit": r.unit,
                "plan_id": r.plan_id,
                "jurisdiction_id": r.jurisdiction_id,
                "target_value": r.target_value,
                "target_year": r.target_year,
                "comparator": r.comparator,
                "base_year": b_year,
                "base_value": b_val,
                "latest_year": l_year,
                "latest_value": l_val,
                "latest_source": latest.source.iloc[0] if len(latest) else "",
                "older_year": older.year.iloc[0] if len(older) else np.nan,
                "older_value": older.value.iloc[0] if len(older) else np.nan,
                "national_source": nat_base.source.iloc[0] if len(nat_base) else "",
                "required_per_year": required,
                "achieved_per_year": achieved,
                "national_value": n_val,
                "national_year": nat_base.year.iloc[0] if len(nat_base) else np.nan,
                "ambition": ambition,
                "caveat": f"与{cat.indicators.set_index('indicator_id').name_zh.get(RELATED[r.indicator_id], '')}"
                "统计口径不同：并列展示，不合并，不计进取程度"
                if r.indicator_id in RELATED
                else ("口径与目标不一致或待确认，不计进取程度" if not comparable else ""),
            }
        )
    return (
        pd.DataFrame(rows).sort_values(["concept", "target_year", "plan_id"]).reset_index(drop=True)
    )


#: Plans are compared on ambition only with at least this many targets that have a national base-year
#: comparator on the same definition: one or two targets say more about the indicator than about the plan.
MIN_AMBITION_TARGETS = 3


def ambition_by_plan(comparison: pd.DataFrame) -> pd.DataFrame:
    """Median ambition per plan over its targets with a national base-year comparator on the same definition;
    ``compared`` says whether the plan has :data:`MIN_AMBITION_TARGETS` of them. The compared plans come first,
    most ambitious first; the others follow by plan id (they are not ranked)."""
    c = comparison.dropna(subset=["ambition"])
    out = (
        c.groupby("plan_id")["ambition"]
        .agg(["median", "count"])
        .rename(columns={"median": "ambition", "count": "n_targets"})
        .reset_index()
    )
    out["compared"] = out["n_targets"] >= MIN_AMBITION_TARGETS
    out = pd.concat(
        [
            out[out.compared].sort_values("ambition", ascending=False),
            out[~out.compared].sort_values("plan_id"),
        ]
    )
    return out.reset_index(drop=True)


#: A plan's level, by its place's level in ``jurisdictions.csv``.
PLAN_LEVEL_ZH = {
    "national": "国家",
    "region": "区域",
    "province": "省级",
    "city": "市级",
    "district": "区县",
}


def level_targets(plan_ids, catalog: Catalog | None = None) -> pd.DataFrame:
    """The level targets of some plans, with ``concept`` (``RELATED``) and ``plan_level`` (国家/省级/市级/区县).

    Returns
    -------
    DataFrame
        the :func:`qindex.catalog.targets` columns, plus ``concept`` and ``plan_level``.
    """
    cat = catalog or load_catalog()
    jur = cat.jurisdictions.set_index("jurisdiction_id")
    t = targets(catalog=cat)
    t = t[t.plan_id.isin(list(plan_ids)) & (t.target_type == "level")].copy()
    t["concept"] = t["indicator_id"].map(lambda i: RELATED.get(i, i))
    t["plan_level"] = t["jurisdiction_id"].map(jur.level).map(PLAN_LEVEL_ZH)
    return t.reset_index(drop=True)
