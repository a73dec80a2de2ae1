"""The plan comparison report: the plans side by side, as :mod:`qindex.comparison` computes them, with the
local plans' level targets beside those of the plans above their places.

Example
-------
>>> r = comparison_report()
>>> r.table().columns[:2].tolist()
['指标', '方案']
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qindex.catalog import Catalog, ancestors, load_catalog, plan_name, targets
from qindex.comparison import (
    MIN_AMBITION_TARGETS,
    RELATED,
    ambition_by_plan,
    compare_plans,
    level_targets,
)
from qindex.panel import load_panel
from qindex.progress import number_text
from qindex.reports.text import sources_table, target_text, zh_punct
from qindex.sources import SourceList


def comparison_report(
    catalog: Catalog | None = None, panel: pd.DataFrame | None = None
) -> ComparisonReport:
    """The plans side by side (:func:`qindex.comparison.compare_plans`) and against higher-level plans.

    Parameters
    ----------
    catalog, panel : what to compare (default: the shipped catalogue and panel).

    Returns
    -------
    ComparisonReport
        ``comparison`` and ``ambition`` (frames of :mod:`qindex.comparison`), ``higher`` (the table of
        :func:`against_higher_plans`), and ``table()`` / ``ambition_table()`` for readers.

    Example
    -------
    >>> comparison_report().ambition.columns.tolist()
    ['plan_id', 'ambition', 'n_targets', 'compared']
    """
    cat = catalog or load_catalog()
    panel = load_panel() if panel is None else panel
    comparison = compare_plans(panel, cat)
    return ComparisonReport(
        comparison, ambition_by_plan(comparison), against_higher_plans(cat), cat
    )


@dataclass
class ComparisonReport:
    """Everything the plan-comparison notebook shows."""

    comparison: pd.DataFrame
    ambition: pd.DataFrame
    higher: pd.DataFrame
    catalog: Catalog

    def __post_init__(self):
        self.sources = SourceList()

    def table(self) -> pd.DataFrame:
        """The comparison with Chinese headers (:func:`comparison_table`), every number with its source."""
        return comparison_table(self.comparison, self.catalog, self.sources)

    def ambition_table(self) -> pd.DataFrame:
        """Ambition per plan for readers (:func:`ambition_table`)."""
        return ambition_table(self.ambition, self.catalog)

    def sources_table(self) -> pd.DataFrame:
        """The numbered sources of :meth:`table` (call after it)."""
        return sources_table(self.sources)

    def summary(self) -> dict:
        """What the gallery shows for this report."""
        c = self.comparison
        places = self.catalog.jurisdictions.set_index("jurisdiction_id").name_zh
        years = f"{int(self.catalog.plans.base_year.min())}–{int(self.catalog.plans.target_year.max())}年"
        return {
            "title": "各质量强市方案目标对比",
            "place": "、".join(dict.fromkeys(places.get(j, j) for j in c.jurisdiction_id)),
            "period": years,
            "data_to": int(c.latest_year.max()) if c.latest_year.notna().any() else "",
            "headline": f"{c.plan_id.nunique()}个方案、{c.concept.nunique()}个共同指标",
        }

    def verdict(self) -> str:
        """The opening paragraph: how many shared indicators and plans, how the local targets stand against
        the higher-level ones, and which plans can be compared on ambition."""
        c, h, a = self.comparison, self.higher, self.ambition
        n_plans = c.plan_id.nunique()
        text = (
            f"{n_plans}个方案在{c.concept.nunique()}个指标上设有可比的水平目标(共{len(c)}项)。"
            f"其中{int(c.latest_value.notna().sum())}项有规划期内的最新值"
            f"(规划基期以前的旧值只作背景,不作最新值)。"
        )
        if len(h):
            v = h["对照"].str.replace("(口径不同)", "", regex=False).value_counts()
            differ = int(h["对照"].str.contains("口径不同").sum())
            text += (
                f"与上级方案同一指标的目标对照{len(h)}项:高于上级{int(v.get('高于上级', 0))}项、"
                f"与上级相同{int(v.get('与上级相同', 0))}项、低于上级{int(v.get('低于上级', 0))}项"
                + (f"(其中{differ}项口径不同)" if differ else "")
                + ";目标年不同的已在表中注明。"
            )
        compared = a[a.compared]
        if len(compared) >= 2:
            top = compared.iloc[0]
            text += (
                f"有{len(compared)}个方案至少有{MIN_AMBITION_TARGETS}项目标可与基期全国水平对照,"
                f"其中{plan_name(top.plan_id, self.catalog)}的目标最进取(中位数{100 * top.ambition:.1f}%)。"
            )
        else:
            text += (
                f"没有两个以上方案各有至少{MIN_AMBITION_TARGETS}项目标可与基期全国水平对照(口径一致),"
                "进取程度只列示,不比较高低。"
            )
        return zh_punct(text)


def ambition_table(ambition: pd.DataFrame, catalog: Catalog | None = None) -> pd.DataFrame:
    """:func:`qindex.comparison.ambition_by_plan` for readers: plan names, % and Chinese headers; a plan with
    fewer than :data:`~qindex.comparison.MIN_AMBITION_TARGETS` targets is listed, not compared."""
    return pd.DataFrame(
        {
            "方案": ambition["plan_id"].map(lambda p: plan_name(p, catalog)),
            "进取程度(%)": (100 * ambition["ambition"]).round(1),
            "所据目标数": ambition["n_targets"].astype(int),
            "比较": [
                "参加比较" if ok else f"目标少于{MIN_AMBITION_TARGETS}项,只列示"
                for ok in ambition["compared"]
            ],
        }
    )


def comparison_table(
    comparison: pd.DataFrame, catalog: Catalog | None = None, sources: SourceList | None = None
) -> pd.DataFrame:
    """The comparison with Chinese headers, rounded for display; 来源 numbers cite ``sources``."""
    c = comparison
    sources = sources if sources is not None else SourceList()
    older = [
        f"{number_text(v)}({int(y)}年)" if pd.notna(v) else ""
        for v, y in zip(c["older_value"], c["older_year"], strict=True)
    ]

    def dated(values, years, cited) -> list[str]:
        return [
            f"{number_text(v)}({int(y)}年){sources.cite(str(s))}" if pd.notna(v) else ""
            for v, y, s in zip(values, years, cited, strict=True)
        ]

    return pd.DataFrame(
        {
            "指标": c["name_zh"],
            "方案": c["plan_id"].map(lambda p: plan_name(p, catalog)),
            "目标": [
                f"{ {'>=': '≥', '<=': '≤'}.get(cmp, cmp) }{v:g}{u if isinstance(u, str) else ''}({int(y)}年)"
                for cmp, v, u, y in zip(
                    c["comparator"], c["target_value"], c["unit"], c["target_year"], strict=True
                )
            ],
            "最新值": dated(c["latest_value"], c["latest_year"], c["latest_source"]),
            "每年需变化": c["required_per_year"].round(3),
            "每年已变化": c["achieved_per_year"].round(3),
            "全国基期对照": dated(c["national_value"], c["national_year"], c["national_source"]),
            "进取程度(%)": (100 * c["ambition"]).round(1),
            "说明": [
                ";".join(x for x in (cav, f"规划期前的值{old}" if old else "") if x)
                for cav, old in zip(c["caveat"], older, strict=True)
            ],
        }
    )


def against_higher_plans(catalog: Catalog | None = None) -> pd.DataFrame:
    """Each local plan's level target beside the same indicator's target in the plans above its place.

    A local target set below the higher-level one (for the same indicator, in its direction) is a plan that
    asks less of the place than the province or the State Council asks of the whole area.

    Returns
    -------
    DataFrame
        方案, 指标, 本方案目标, 目标年, 上级方案, 上级目标, 上级目标年, 对照 (高于上级 / 与上级相同 / 低于上级).
    """
    cat = catalog or load_catalog()
    plans = cat.plans
    levels = cat.jurisdictions.set_index("jurisdiction_id").level
    t = targets(catalog=cat)
    local = t[(t.target_type == "level") & t.jurisdiction_id.map(levels).isin(["city", "district"])]
    period = cat.plans.set_index("plan_id")[["base_year", "target_year"]]
    rows = []
    for r in local.itertuples():
        concept = RELATED.get(r.indicator_id, r.indicator_id)
        above = level_targets(
            plans.plan_id[plans.jurisdiction_id.isin(ancestors(r.jurisdiction_id))], cat
        )
        base, end = period.loc[r.plan_id]
        # only plans in force during some of the local plan's years
        above = above[
            above.plan_id.map(period.target_year).gt(base)
            & above.plan_id.map(period.base_year).lt(end)
        ]
        for h in above[above.concept == concept].itertuples():
            d = float(r.direction)
            diff = d * (r.target_value - h.target_value)
            verdict = "与上级相同" if abs(diff) < 1e-9 else ("高于上级" if diff > 0 else "低于上级")
            if r.indicator_id != h.indicator_id or "definition" in f"{r.caveat}{h.caveat}":
                verdict += "(口径不同)"
            if int(r.target_year) != int(h.target_year):
                verdict += f"(目标年不同:{int(r.target_year)}年对{int(h.target_year)}年)"
            rows.append(
                {
                    "方案": plan_name(r.plan_id, cat),
                    "指标": r.name_zh,
                    "本方案目标": target_text(r),
                    "目标年": int(r.target_year),
                    "上级方案": f"{h.plan_level} {plan_name(h.plan_id, cat)}",
                    "上级目标": target_text(h),
                    "上级目标年": int(h.target_year),
                    "对照": verdict,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "方案",
            "指标",
            "本方案目标",
            "目标年",
            "上级方案",
            "上级目标",
            "上级目标年",
            "对照",
        ],
    )
