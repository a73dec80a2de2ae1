"""One place, one year: what the annual quality report (质量发展状况年度报告) is computed from.

The headline values of the year with the value before, progress on every target of every plan that covers
the place (its own, 本级, and those of the places above it, 上级), what improved and what fell back since the
year before, the place in the quality index with the uncertainty of its rank, and the targets without a
verdict. :mod:`qindex.reports.annual` presents it.

Example
-------
>>> ya = assess_year("CN-ZJ-HZ", 2024, replications=20)
>>> sorted(set(ya.plans.scope))
['上级', '本级']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qindex.catalog import Catalog, ancestors, load_catalog, targets
from qindex.city_index import comparable_groups, cross_section, load_study_spec, quality_index
from qindex.composite.analysis import availability
from qindex.composite.sensitivity import load_study, uncertainty
from qindex.panel import load_panel
from qindex.progress import assess, summarise
from qindex.statements import plan_level


def covering_plans(jurisdiction_id: str, catalog: Catalog | None = None) -> pd.DataFrame:
    """Plans of the place itself (本级) and of the places above it (上级: their targets are for the whole area).

    Returns
    -------
    DataFrame
        the ``plans.csv`` columns plus ``scope`` (本级 / 上级).
    """
    cat = catalog or load_catalog()
    p = cat.plans[
        cat.plans.jurisdiction_id.isin([jurisdiction_id, *ancestors(jurisdiction_id, catalog=cat)])
    ].copy()
    p["scope"] = [plan_level(j, jurisdiction_id, cat) for j in p.jurisdiction_id]
    return p


@dataclass
class YearAssessment:
    """A place's year in numbers.

    Attributes
    ----------
    jurisdiction_id, year : the place and the year; ``catalog`` and ``panel`` what it was computed from.
    headline : the place's values of the year: 指标, 数值, 单位, 上一数值, 上一年份, 标记, indicator_id.
    plans : the covering plans (:func:`covering_plans`) with their status counts.
    assessment : every target of the covering plans as of the year (:func:`qindex.progress.assess`).
    changes : indicators with a value this year and the year before: 指标, <year-1>年, <year>年, 变化, 单位,
        判断 (改善 / 退步 / 持平, in the indicator's direction).
    index_scores : the year's index scores (places × pillars and the index) or empty; ``comparability`` who
        can be ranked among whom (:func:`qindex.city_index.comparable_groups`); ``rank_uncertainty`` the
        uncertainty analysis of the year's ranks when the place is ranked, else ``None``.
    index_names : display names of the framework's nodes.
    """

    jurisdiction_id: str
    year: int
    catalog: Catalog
    panel: pd.DataFrame
    headline: pd.DataFrame
    plans: pd.DataFrame
    assessment: pd.DataFrame
    changes: pd.DataFrame
    index_scores: pd.DataFrame
    comparability: pd.DataFrame
    rank_uncertainty: object
    index_names: pd.Series


def assess_year(
    jurisdiction_id: str,
    year: int,
    replications: int = 300,
    catalog: Catalog | None = None,
    panel: pd.DataFrame | None = None,
) -> YearAssessment:
    """Compute everything the annual report of one place and year says.

    Parameters
    ----------
    jurisdiction_id : the place; ``year`` the report year.
    replications : Monte Carlo replications of the rank uncertainty (only when the place is ranked).
    catalog, panel : what to compute from (default: the shipped catalogue and panel).

    Returns
    -------
    YearAssessment
    """
    cat = catalog or load_catalog()
    jur = cat.jurisdictions.set_index("jurisdiction_id")
    panel = load_panel() if panel is None else panel
    ind = cat.indicators.set_index("indicator_id")
    own = panel[panel.jurisdiction_id == jurisdiction_id]
    # headline figures of the year, with the change from the previous value
    rows = []
    for r in own[own.year == year].itertuples():
        prev = (
            own[(own.indicator_id == r.indicator_id) & (own.year < year)]
            .sort_values("year")
            .tail(1)
        )
        rows.append(
            {
                "指标": ind.at[r.indicator_id, "name_zh"],
                "数值": r.value,
                "单位": r.unit,
                "上一数值": prev.value.iloc[0] if len(prev) else np.nan,
                "上一年份": prev.year.iloc[0] if len(prev) else pd.NA,
                "标记": r.flag,
                "indicator_id": r.indicator_id,
            }
        )
    headline = pd.DataFrame(
        rows, columns=["指标", "数值", "单位", "上一数值", "上一年份", "标记", "indicator_id"]
    )

    # progress on every covering plan, judged with data up to the year
    plans = covering_plans(jurisdiction_id, cat)
    frames = [
        assess(panel, targets(pid, catalog=cat), as_of=year, catalog=cat) for pid in plans.plan_id
    ]
    a = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(a):
        counts = summarise(a, by=("plan_id",)).set_index("plan_id")
        plans = plans.set_index("plan_id").join(counts).reset_index()

    # what improved and what fell back: indicators with a value this year and the year before
    changes = []
    for r in headline.itertuples():
        if r.上一年份 is not pd.NA and r.上一年份 == year - 1:
            d = float(ind.at[r.indicator_id, "direction"])
            delta = r.数值 - r.上一数值
            changes.append(
                {
                    "指标": r.指标,
                    f"{year - 1}年": r.上一数值,
                    f"{year}年": r.数值,
                    "变化": delta,
                    "单位": r.单位,
                    "判断": "改善" if d * delta > 0 else ("退步" if d * delta < 0 else "持平"),
                }
            )
    changes = pd.DataFrame(changes)

    # place in the quality index and the uncertainty of the rank
    # the index compares real places: a synthetic place (SYN-…) never enters it
    result = quality_index(panel[~panel.jurisdiction_id.str.startswith("SYN-")])
    scores = result.scores
    level2 = result.framework.nodes.loc[result.framework.nodes.level >= 2, "code"].tolist()
    in_year = (
        scores.xs(year, level="year")[level2]
        if year in scores.index.get_level_values("year")
        else pd.DataFrame()
    )
    comp = pd.DataFrame()
    ua = None
    if jurisdiction_id in in_year.index:
        avail = availability(result).xs(year, level="year")["availability"]
        comp = comparable_groups(
            in_year, level2[:-1] if result.framework.top in level2 else level2, avail, jur["level"]
        )
        if comp.loc[jurisdiction_id, "rankable"]:
            data, fw = cross_section(result, year)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ua = uncertainty(data, fw, load_study(load_study_spec(), fw), n=replications)
    return YearAssessment(
        jurisdiction_id,
        int(year),
        cat,
        panel,
        headline,
        plans,
        a,
        changes,
        in_year,
        comp,
        ua,
        result.framework.nodes.set_index("code")["name"],
    )
