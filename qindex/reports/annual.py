"""质量发展状况年度报告: one place, one year: headline figures, progress on every target of every plan that
covers the place, its place in the quality index with the uncertainty of its rank, what improved and what fell
back since the year before, and the data gaps that limit the assessment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qindex.catalog import Catalog, plan_name
from qindex.comparison import RELATED, level_targets
from qindex.observations import on_definition
from qindex.plan_assessment import assess_plan, same_year_comparators
from qindex.progress import SCORED_STATUSES, STATUS_ZH, number_text
from qindex.rankings import load_rankings
from qindex.reports.index import rank_sentence
from qindex.reports.plan import plan_report
from qindex.reports.requests import reader_columns, requests_table
from qindex.reports.text import MARKS, change_text, target_text, zh_punct
from qindex.sources import describe
from qindex.year_assessment import assess_year


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
    catalog: Catalog
    panel: pd.DataFrame

    @property
    def title(self) -> str:
        return f"{self.name_zh}{self.year}年质量发展状况年度报告"

    # ------------------------------------------------------------ reader-facing sections

    def in_force(self) -> pd.DataFrame:
        """Covering plans whose period includes the report year (base year ≤ year ≤ target year)."""
        p = self.plans
        return p[(p.base_year <= self.year) & (p.target_year >= self.year)]

    def higher_plan_table(self) -> pd.DataFrame:
        """The place's latest values (up to the report year) against the level targets of the plans above it
        that are in force: 上级方案, 指标, 上级目标, 目标年, 本地值, 单位, 年份, 对照, 来源."""
        live = self.in_force()
        above = level_targets(live.plan_id[live.scope == "上级"], self.catalog)
        usable = on_definition(self.panel)
        own = usable[(usable.jurisdiction_id == self.jurisdiction_id) & (usable.year <= self.year)]
        rows = []
        for h in above.itertuples():
            ids = [i for i, c in RELATED.items() if c == h.concept] + [h.indicator_id]
            series = own[own.indicator_id.isin(ids)].sort_values("year")
            if len(series):
                v, y = float(series.value.iloc[-1]), int(series.year.iloc[-1])
                ok = v >= h.target_value if h.comparator == ">=" else v <= h.target_value
                verdict = "已达到上级目标" if ok else "未达到上级目标"
                if series.indicator_id.iloc[-1] != h.indicator_id:
                    verdict += "(口径不同)"
                source = describe(str(series.source.iloc[-1])).text("zh")
            else:
                v, y, verdict, source = np.nan, np.nan, "无本地数据", ""
            rows.append(
                {
                    "上级方案": f"{h.plan_level} {plan_name(h.plan_id, self.catalog)}",
                    "指标": h.name_zh,
                    "上级目标": target_text(h),
                    "目标年": int(h.target_year),
                    "本地值": v,
                    "单位": h.unit,
                    "年份": y,
                    "对照": verdict,
                    "来源": source,
                }
            )
        columns = [
            "上级方案",
            "指标",
            "上级目标",
            "目标年",
            "本地值",
            "单位",
            "年份",
            "对照",
            "来源",
        ]
        return pd.DataFrame(rows, columns=columns)

    def ended(self) -> pd.DataFrame:
        p = self.plans
        return p[p.target_year < self.year]

    def by_domain(self) -> dict[str, pd.DataFrame]:
        """二、分领域情况: per domain, the indicators published for the year with 同比 and 全省/全国."""
        cat = self.catalog
        ind = cat.indicators.set_index("indicator_id")
        panel = self.panel
        jur_names = cat.jurisdictions.set_index("jurisdiction_id").name_zh
        own = panel[(panel.jurisdiction_id == self.jurisdiction_id) & (panel.year == self.year)]
        out: dict[str, list] = {d: [] for d in DOMAIN_CHAPTERS}
        for r in own.drop_duplicates("indicator_id").itertuples():
            dom = CHAPTER_OF.get(str(ind.domain.get(r.indicator_id, "")), "质量基础与品牌")
            prev = panel[
                (panel.jurisdiction_id == self.jurisdiction_id)
                & (panel.indicator_id == r.indicator_id)
                & (panel.year == self.year - 1)
            ].value
            unit = r.unit if isinstance(r.unit, str) else ""
            change = change_text(float(r.value - prev.iloc[0]) if len(prev) else None, unit)
            flags = {f for f in str(r.flag or "").split(";") if f}
            marks = "".join(MARKS[k][0] for k in MARKS if k in flags or (k == r.origin))
            comps = [
                (str(jur_names.get(pid, pid)), v)
                for pid, v in same_year_comparators(
                    panel, self.jurisdiction_id, r.indicator_id, self.year, cat
                )
            ]
            out[dom].append(
                {
                    "指标": ind.name_zh.get(r.indicator_id, ""),
                    f"{self.year}年": f"{number_text(r.value)}{marks}",
                    "单位": unit,
                    "同比": change,
                    "全省/全国(同年)": "；".join(f"{n} {number_text(v)}" for n, v in comps),
                }
            )
        return {d: pd.DataFrame(rows) for d, rows in out.items()}

    def rankings_table(self) -> pd.DataFrame:
        """四、外部评价与排名: published ranks and assessments of the place up to the report year."""
        r = load_rankings()
        r = r[(r.jurisdiction_id == self.jurisdiction_id) & (r.year <= self.year)].sort_values(
            "year"
        )
        scope = {"national": "全国", "province": "全省", "peer_tier": "同类城市"}
        return pd.DataFrame(
            {
                "年份": r.year.astype(int),
                "评价或排名": r.ranking,
                "结果": [
                    f"第{int(x.rank)}名/{int(x.n_ranked)}"
                    if pd.notna(x.n_ranked)
                    else f"第{int(x.rank)}名"
                    for x in r.itertuples()
                ],
                "范围": r.scope.map(scope).fillna(""),
                "发布机构": r.publisher,
            }
        ).reset_index(drop=True)

    def problems(self) -> pd.DataFrame:
        """五、存在问题: targets of plans in force that lag, regress, were missed, or cannot be compared."""
        a = self.assessment
        if not len(a):
            return pd.DataFrame()
        live = set(self.in_force().plan_id)
        bad = a[
            a.plan_id.isin(live)
            & a.status.isin(["behind", "regressing", "missed", "not_comparable", "unconfirmed"])
        ]
        titles = self.plans.set_index("plan_id").title_zh

        return pd.DataFrame(
            {
                "方案": bad.plan_id.map(titles),
                "指标": bad.name_zh,
                "状态": bad.status_zh,
                "说明": bad.note.map(zh_punct),
            }
        ).reset_index(drop=True)

    def ended_text(self) -> str:
        """三、规划目标进展 for plans already ended: a short 终期评估 each (no "next year" list)."""
        out = []
        for p in self.ended().itertuples():
            a = self.assessment[self.assessment.plan_id == p.plan_id]
            k = a.status.value_counts()
            done = int(k.get("met", 0) + k.get("achieved", 0))
            out.append(
                f"《{p.title_zh}》(规划期{int(p.base_year)}–{int(p.target_year)}年)已结束。终期评估:共{len(a)}项目标,"
                f"已完成{done}项,未完成{int(k.get('missed', 0))}项,口径不一致或待核实"
                f"{int(k.get('not_comparable', 0) + k.get('unconfirmed', 0))}项,缺少数据无法评估"
                f"{int(k.get('not_assessable', 0))}项,不评分{int(k.get('not_scored', 0))}项。"
            )
        return zh_punct("".join(out))

    def plan_reports(self) -> list:
        """The plan reports (as of the report year) of the plans in force, for the annex."""
        return [
            plan_report(pid, as_of=self.year, catalog=self.catalog, panel=self.panel)
            for pid in self.in_force().plan_id
        ]

    def requests(self) -> pd.DataFrame:
        """六、数据需求: the data-request lists of the plans in force."""
        frames = []
        for p in self.in_force().itertuples():
            pa = assess_plan(p.plan_id, as_of=self.year, catalog=self.catalog, panel=self.panel)
            t = reader_columns(requests_table(p.plan_id, pa.assessment, self.year, self.catalog))
            t.insert(0, "方案", p.title_zh)
            frames.append(t)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def summary(self) -> dict:
        live = set(self.in_force().plan_id)
        a = (
            self.assessment[self.assessment.plan_id.isin(live)]
            if len(self.assessment)
            else self.assessment
        )
        counts = a.status.value_counts() if len(a) else pd.Series(dtype=int)
        return {
            "title": self.title,
            "place": self.name_zh,
            "period": f"{self.year}年",
            "data_to": self.year,
            "statuses": {STATUS_ZH[k]: int(v) for k, v in counts.items()},
        }

    def overall_text(self) -> str:
        """一、总体情况: one paragraph from the results."""
        ch = self.changes
        n_pub = len(self.headline)
        s = f"{self.year}年,{self.name_zh}已公布的质量相关指标有{n_pub}项"
        if len(ch):
            c = ch["判断"].value_counts()
            s += f",其中{len(ch)}项可与上年比较:改善{int(c.get('改善', 0))}项、退步{int(c.get('退步', 0))}项、持平{int(c.get('持平', 0))}项"
        s += "。"
        live = self.in_force()
        if len(live):
            a = self.assessment[self.assessment.plan_id.isin(set(live.plan_id))]
            k = a.status.value_counts()
            done = int(k.get("met", 0) + k.get("achieved", 0) + k.get("ahead", 0))
            lag = int(k.get("behind", 0) + k.get("regressing", 0) + k.get("missed", 0))
            s += (
                f"在实施的规划{len(live)}个("
                + "、".join(f"《{t}》" for t in live.title_zh)
                + f"),共{len(a)}项目标:"
                f"已完成或快于序时进度{done}项,滞后或未完成{lag}项,口径不一致或待核实"
                f"{int(k.get('not_comparable', 0) + k.get('unconfirmed', 0))}项,缺少数据无法评估{int(k.get('not_assessable', 0))}项。"
            )
        worse = ch[ch["判断"] == "退步"]["指标"].tolist() if len(ch) else []
        better = ch[ch["判断"] == "改善"]["指标"].tolist() if len(ch) else []
        if better:
            s += "较上年改善的有" + "、".join(better[:4]) + "。"
        if worse:
            s += "较上年退步的有" + "、".join(worse[:4]) + "。"
        return zh_punct(s)


#: The chapters of 二、分领域情况 and the indicator domains each holds.
DOMAIN_CHAPTERS = ("产品质量", "工程质量", "服务质量", "环境质量", "产业质量效益", "质量基础与品牌")
CHAPTER_OF = {
    "product": "产品质量",
    "engineering": "工程质量",
    "service": "服务质量",
    "environment": "环境质量",
    "industry": "产业质量效益",
    "infrastructure": "质量基础与品牌",
    "brand": "质量基础与品牌",
    "governance": "质量基础与品牌",
}


def annual_report(jurisdiction_id: str, year: int, replications: int = 300) -> AnnualReport:
    """The annual quality report of one place and year: :func:`qindex.year_assessment.assess_year` presented.

    Parameters
    ----------
    jurisdiction_id : the place (``jurisdictions.csv``); ``year`` the report year.
    replications : Monte Carlo replications of the index rank uncertainty.

    Returns
    -------
    AnnualReport
        ``headline``, ``plans``, ``assessment``, ``changes``, ``index_scores``, ``rank_uncertainty``,
        ``index_note`` and ``gaps`` as tables for readers, and the report's sections as methods.

    Example
    -------
    >>> annual_report("CN-ZJ-HZ", 2024, replications=20).title
    '杭州市2024年质量发展状况年度报告'
    """
    ya = assess_year(jurisdiction_id, year, replications)
    jur = ya.catalog.jurisdictions.set_index("jurisdiction_id")
    a = ya.assessment
    index_scores = pd.DataFrame()
    rank_unc = pd.DataFrame()
    note = ""
    if len(ya.comparability):
        comp = ya.comparability
        index_scores = ya.index_scores.rename(columns=ya.index_names).round(1)
        index_scores.insert(
            0, "当年有数据指标占比(%)", (100 * comp["availability"]).round(0).astype("Int64")
        )
        index_scores.insert(0, "层级", comp["level_zh"])
        if comp.loc[jurisdiction_id, "rankable"]:
            index_scores.insert(0, "组内排名", comp["rank"])
        index_scores.insert(0, "地区", [jur.at[j, "name_zh"] for j in index_scores.index])
        index_scores = index_scores.reset_index(drop=True)
        note = rank_sentence(comp, jur["name_zh"].to_dict())
        if ya.rank_uncertainty is not None:
            ua = ya.rank_uncertainty
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
            note += ua.note
    else:
        note = f"{jur.at[jurisdiction_id, 'name_zh']}在{year}年的数据不足，未进入质量竞争力指数，未计入指数排名。"
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
        ya.headline.drop(columns="indicator_id"),
        ya.plans,
        a,
        ya.changes,
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
        ya.catalog,
        ya.panel,
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
