"""One indicator of one place, everything about it on one screen: the explorer notebook's view.

:func:`explore` gathers, for a plan, a place and an indicator: the series (with its marks), every target the
plans set for it (the plan's own, the place's other plans, and the plans above it, marked 上级 and never
judged on the place's data), the projection with its band and P(达标) where the plan's target has one, the
sources cited by their publication, the values of the same year at the places above, and what is missing and
from whom. ``notebooks/explore.ipynb`` shows it with dropdowns (ipywidgets); run by papermill or nbval it shows
the default view.

Example
-------
>>> e = explore("hangzhou-2022", indicator_id="pm25")
>>> e.targets[["方案", "目标", "目标年"]].values.tolist()[:2]
[['杭州市 2018–2022年', '持续下降', 2022], ['杭州市 2018–2022年', '≤35µg/m³', 2022]]
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from qindex.catalog import Catalog, ancestors, load_catalog, plan_name
from qindex.plan_assessment import assess_plan, same_year_comparators
from qindex.plots import style, unit_label
from qindex.progress import number_text
from qindex.reports.requests import reader_columns, requests_table
from qindex.reports.text import target_text
from qindex.sources import describe


@dataclass
class Exploration:
    """What :func:`explore` found (every table has Chinese headers, ready to show)."""

    plan_id: str
    jurisdiction_id: str
    indicator_id: str
    as_of: int
    name: str  # the indicator's Chinese name
    place: str  # the place's Chinese name
    unit: str
    series: pd.DataFrame  # 年份, 数值, 标记, 来源
    targets: pd.DataFrame  # 方案, 层级, 目标, 目标年, 状态, 最新值, 预测值, 达标概率, 说明
    projections: dict  # target_id -> year, value, lower, upper
    comparators: pd.DataFrame  # 地区, 年份, 数值
    sources: pd.DataFrame  # 来源, 链接
    missing: pd.DataFrame  # the data-request rows of this indicator
    lines: list  # (label, value, year, own) of each target line to draw

    def summary(self) -> str:
        """One sentence: the latest value and the plan's verdicts."""
        if self.series.empty:
            return f"{self.place}{self.name}:截至{self.as_of}年没有数据。"
        last = self.series.iloc[-1]
        own = self.targets[self.targets["层级"] == "本级"]
        verdicts = "、".join(f"{r.目标}({r.目标年}年):{r.状态}" for r in own.itertuples())
        return f"{self.place}{self.name}最新值{last['数值']}{self.unit}({last['年份']}年)。" + (
            f"本级方案目标:{verdicts}。" if verdicts else "本级方案没有这一指标的目标。"
        )

    def chart(self):
        """The series, each target as a line up to its year (上级 dashed), and the projection band."""
        with style():
            fig, ax = plt.subplots(figsize=(8, 4.2))
            if len(self.series):
                ax.plot(
                    self.series["年份"], self.series["值"], "o-", color="#1f4e79", label="实际值"
                )
            for label, value, year, own in self.lines:
                ax.hlines(
                    value,
                    xmin=self.as_of - 10,
                    xmax=year,
                    colors="#c00000" if own else "#7f7f7f",
                    linestyles="-" if own else "--",
                    label=label,
                )
                ax.plot([year], [value], "v", color="#c00000" if own else "#7f7f7f")
            for tid, path in self.projections.items():
                ax.fill_between(path.year, path.lower, path.upper, color="#9dc3e6", alpha=0.4)
                ax.plot(
                    path.year,
                    path.value,
                    ":",
                    color="#2e75b6",
                    label="趋势外推及预测区间" if tid == next(iter(self.projections)) else None,
                )
            ax.set_xlabel("年份")
            ax.set_ylabel(f"{self.name}({unit_label(self.unit)})")
            ax.set_title(f"{self.place} {self.name}:实际值与各方案目标(截至{self.as_of}年)")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8, loc="best")
            fig.tight_layout()
        plt.close(fig)
        return fig


def explore(
    plan_id: str,
    jurisdiction_id: str = "",
    indicator_id: str = "",
    as_of: int | None = None,
) -> Exploration:
    """Everything about one indicator of one place (see the module docstring).

    Parameters
    ----------
    plan_id : the plan whose targets and assessment lead (its place is the default place).
    jurisdiction_id : the place (default the plan's).
    indicator_id : the indicator (default the plan's first target with an indicator).
    as_of : the assessment year (default the latest year with data).

    Returns
    -------
    Exploration
    """
    pa = assess_plan(plan_id, as_of=as_of)
    cat: Catalog = pa.catalog
    place = jurisdiction_id or str(pa.plan.jurisdiction_id)
    a = pa.assessment
    if not indicator_id:
        indicator_id = str(a[a.indicator_id != ""].indicator_id.iloc[0])
    ind = cat.indicators.set_index("indicator_id").loc[indicator_id]
    jur = cat.jurisdictions.set_index("jurisdiction_id").name_zh
    panel = pa.panel
    own = panel[(panel.jurisdiction_id == place) & (panel.indicator_id == indicator_id)]
    own = own[own.year <= pa.as_of].sort_values("year")
    series = pd.DataFrame(
        {
            "年份": own.year.astype(int).to_numpy(),
            "数值": [number_text(v) for v in own.value],
            "值": own.value.to_numpy(float),
            "标记": own.flag.fillna("").to_numpy(),
            "来源": [describe(str(s)).text("zh") for s in own.source],
        }
    )
    # every plan's target for the indicator: the place's own plans, then the plans above it
    tg = cat.targets[cat.targets.indicator_id == indicator_id]
    plans = cat.plans.set_index("plan_id")
    tg = tg[tg.plan_id.map(plans.jurisdiction_id).isin([place, *ancestors(place)])]
    mine = a.set_index("target_id")
    rows, lines = [], []
    for t in tg.itertuples():
        level = "本级" if plans.at[t.plan_id, "jurisdiction_id"] == place else "上级"
        r = mine.loc[t.target_id] if t.target_id in mine.index else None
        text = target_text(pd.Series({**t._asdict(), "unit": ind.unit}))
        rows.append(
            {
                "方案": plan_name(t.plan_id, cat),
                "层级": level,
                "目标": text,
                "目标年": int(t.target_year),
                "状态": r.status_zh
                if r is not None
                else ("上级目标,不以本地数据评判" if level == "上级" else "—"),
                "最新值": number_text(r.latest_value) if r is not None else "",
                "预测值": number_text(r.projected_value) if r is not None else "",
                "达标概率": f"{r.p_target_met:.0%}"
                if r is not None and pd.notna(r.p_target_met)
                else "",
                "说明": str(r.note) if r is not None else "",
            }
        )
        if t.target_type == "level" and pd.notna(t.target_value):
            label = f"{'本级' if level == '本级' else '上级'} {plan_name(t.plan_id, cat)} {text}({int(t.target_year)}年)"
            lines.append((label, float(t.target_value), int(t.target_year), level == "本级"))
    targets = pd.DataFrame(
        rows,
        columns=["方案", "层级", "目标", "目标年", "状态", "最新值", "预测值", "达标概率", "说明"],
    )
    projections = {
        tid: path for tid, path in pa.projections.items() if tid in set(tg.target_id) and len(path)
    }
    year = int(own.year.max()) if len(own) else pa.as_of
    near = same_year_comparators(panel, place, indicator_id, year, catalog=cat)
    comparators = pd.DataFrame(
        [{"地区": jur.get(j, j), "年份": year, "数值": number_text(v)} for j, v in near],
        columns=["地区", "年份", "数值"],
    )
    cited = list(dict.fromkeys(describe(str(s)) for s in own.source))
    sources = pd.DataFrame(
        [{"来源": d.text("zh"), "链接": d.link} for d in cited], columns=["来源", "链接"]
    )
    need = requests_table(plan_id, a, as_of=pa.as_of, catalog=cat)
    missing = reader_columns(need[need.indicator_id == indicator_id])
    return Exploration(
        plan_id,
        place,
        indicator_id,
        int(pa.as_of),
        str(ind.name_zh),
        str(jur.get(place, place)),
        str(ind.unit),
        series,
        targets,
        projections,
        comparators,
        sources,
        missing,
        lines,
    )


def choices(plan_id: str, catalog: Catalog | None = None) -> list[tuple[str, str]]:
    """The indicators a plan sets targets for, as (Chinese name, id) for a dropdown."""
    cat = catalog or load_catalog()
    tg = cat.targets[(cat.targets.plan_id == plan_id) & (cat.targets.indicator_id != "")]
    names = cat.indicators.set_index("indicator_id").name_zh
    ids = list(dict.fromkeys(tg.indicator_id))
    return [(str(names.get(i, i)), i) for i in ids]
