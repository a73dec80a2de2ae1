"""质量发展状况年度报告: one place, one year: headline figures, progress on every target of every plan that
covers the place, its place in the quality index with the uncertainty of its rank, what improved and what fell
back since the year before, and the data gaps that limit the assessment."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qindex.catalog import load_catalog, targets
from qindex.observations import load_panel
from qindex.progress import SCORED_STATUSES, STATUS_ZH, assess, summarise


@dataclass
class AnnualReport:
    jurisdiction_id: str
    name_zh: str
    year: int
    headline: pd.DataFrame
    plans: pd.DataFrame  # plan_id, title_zh, scope (本级 / 上级), counts
    assessment: pd.DataFrame
    changes: pd.DataFrame
    index_scores: pd.DataFrame
    rank_uncertainty: pd.DataFrame
    index_note: str
    gaps: pd.DataFrame

    @property
    def title(self) -> str:
        return f"{self.name_zh}{self.year}年质量发展状况年度报告"


def covering_plans(jurisdiction_id: str) -> pd.DataFrame:
    """Plans of the place itself (本级) and of the places above it (上级: their targets are for the whole area)."""
    cat = load_catalog()
    parents = cat.jurisdictions.set_index("jurisdiction_id")["parent_id"]
    chain, cur = [], jurisdiction_id
    while isinstance(cur, str) and cur:
        chain.append(cur)
        cur = parents.get(cur, "")
    p = cat.plans[cat.plans.jurisdiction_id.isin(chain)].copy()
    p["scope"] = np.where(p.jurisdiction_id == jurisdiction_id, "本级", "上级")
    return p


def annual_report(jurisdiction_id: str, year: int, replications: int = 300) -> AnnualReport:
    cat = load_catalog()
    jur = cat.jurisdictions.set_index("jurisdiction_id")
    panel = load_panel()
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
    plans = covering_plans(jurisdiction_id)
    frames = [assess(panel, targets(pid), as_of=year) for pid in plans.plan_id]
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
    from qindex.composite.city import cross_section, load_study_spec, quality_index
    from qindex.composite.sensitivity import load_study, uncertainty

    result = quality_index(panel)
    scores = result.scores
    names = result.framework.nodes.set_index("code")["name"]
    level2 = result.framework.nodes.loc[result.framework.nodes.level >= 2, "code"].tolist()
    in_year = (
        scores.xs(year, level="year")[level2]
        if year in scores.index.get_level_values("year")
        else pd.DataFrame()
    )
    index_scores = pd.DataFrame()
    rank_unc = pd.DataFrame()
    note = ""
    if jurisdiction_id in in_year.index:
        index_scores = in_year.rename(columns=names).round(1)
        index_scores.insert(
            0, "排名", in_year[result.framework.top].rank(ascending=False, method="min").astype(int)
        )
        index_scores.insert(0, "地区", [jur.at[j, "name_zh"] for j in index_scores.index])
        index_scores = index_scores.reset_index(drop=True)
        data, fw = cross_section(result, year)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ua = uncertainty(data, fw, load_study(load_study_spec(), fw), n=replications)
        rank_unc = ua.rank_stats.copy()
        rank_unc.insert(0, "地区", [jur.at[j, "name_zh"] for j in rank_unc.index])
        rank_unc = rank_unc.reset_index(drop=True).rename(
            columns={
                "nominal_rank": "名义排名",
                "median_rank": "中位排名",
                "q05_rank": "5%排名",
                "q95_rank": "95%排名",
                "mean_rank": "平均排名",
            }
        )
        note = ua.note
    else:
        note = f"{jur.at[jurisdiction_id, 'name_zh']}在{year}年的数据少于指数要求的 25%,未计入指数排名。"

    # data gaps
    gaps = (
        a[~a["status"].isin(SCORED_STATUSES)][
            ["plan_id", "target_id", "name_zh", "status_zh", "note"]
        ]
        if len(a)
        else pd.DataFrame()
    )
    return AnnualReport(
        jurisdiction_id,
        jur.at[jurisdiction_id, "name_zh"],
        int(year),
        headline.drop(columns="indicator_id"),
        plans,
        a,
        changes,
        index_scores,
        rank_unc,
        note,
        gaps.rename(
            columns={
                "plan_id": "方案",
                "target_id": "编号",
                "name_zh": "指标",
                "status_zh": "状态",
                "note": "原因与所需数据",
            }
        ),
    )


def status_table(report: AnnualReport) -> pd.DataFrame:
    """Counts by status per covering plan, Chinese headers."""
    p = report.plans
    cols = [s for s in STATUS_ZH if s in p.columns]
    out = p[["plan_id", "title_zh", "scope", "n_targets", *cols]].rename(
        columns={
            "plan_id": "方案",
            "title_zh": "名称",
            "scope": "层级",
            "n_targets": "目标数",
            **STATUS_ZH,
        }
    )
    return out
