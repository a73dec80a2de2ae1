"""质量发展状况年度报告: one place, one year: headline figures, progress on every target of every plan that
covers the place, its place in the quality index with the uncertainty of its rank, what improved and what fell
back since the year before, and the data gaps that limit the assessment."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from qindex.catalog import Catalog, plan_name
from qindex.comparison import RELATED, level_targets
from qindex.departments import department
from qindex.observations import on_definition
from qindex.plan_assessment import assess_plan
from qindex.progress import SCORED_STATUSES, STATUS_ZH, number_text
from qindex.rankings import load_rankings
from qindex.reports.index import rank_sentence
from qindex.reports.plan import METHOD_TEXT as PLAN_METHOD_TEXT
from qindex.reports.plan import plan_report
from qindex.reports.requests import reader_columns, requests_table
from qindex.reports.text import MARKS, change_text, sources_table, target_text, zh_punct
from qindex.sources import SourceList
from qindex.statements import (
    DATA_AGE,
    comparators,
    count_text,
    in_force,
    is_current,
    plan_title,
    reason,
)
from qindex.synthetic import EXAMPLE_JURISDICTION, annual_example
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
        mark = "【示例数据】" if self.jurisdiction_id.startswith("SYN-") else ""
        return f"{mark}{self.name_zh}{self.year}年质量发展状况年度报告"

    # ------------------------------------------------------------ which plans speak for the place

    def __post_init__(self):
        self.sources = SourceList()  # one numbering for every number the report shows
        self._rows = None

    def in_force(self) -> pd.DataFrame:
        """Covering plans in force in the report year (:func:`qindex.statements.in_force`: from the year they
        were issued to their target year), of every level."""
        p = self.plans
        return p[in_force(p, self.year).to_numpy()] if len(p) else p

    def own_plans(self) -> pd.DataFrame:
        """The place's own plans (本级) in force: the only ones its counts, verdicts and problems are about."""
        p = self.in_force()
        return p[p.scope == "本级"]

    def own_assessment(self) -> pd.DataFrame:
        a = self.assessment
        return a[a.plan_id.isin(set(self.own_plans().plan_id))] if len(a) else a

    def plan_list(self, plans: pd.DataFrame) -> str:
        """Plans named as a reader sees them: 《title》, drafts marked."""
        return "、".join(plan_title(p) for p in plans.itertuples())

    # ------------------------------------------------------------ reader-facing sections

    def higher_plan_table(self) -> pd.DataFrame:
        """四、对照上级方案: the level targets of the plans above the place that are in force, against the place's
        current value (:data:`~qindex.statements.DATA_AGE`; not before the higher plan's base year). The
        comparison is a benchmark, not compliance: a higher target is set for the whole area above. An older
        value is named as context without a verdict; a target whose definition is unconfirmed is listed
        without one. Columns: 上级方案, 指标, 上级目标, 目标年, 本地值, 年份, 对照, 来源."""
        live = self.in_force()
        higher = live[live.scope == "上级"]
        above = level_targets(higher.plan_id, self.catalog)
        plans = self.plans.set_index("plan_id")
        usable = on_definition(self.panel)
        own = usable[(usable.jurisdiction_id == self.jurisdiction_id) & (usable.year <= self.year)]
        rows = []
        for h in above.itertuples():
            ids = [i for i, c in RELATED.items() if c == h.concept] + [h.indicator_id]
            series = own[own.indicator_id.isin(ids)].sort_values("year")
            base = int(plans.at[h.plan_id, "base_year"])
            current = series[[is_current(y, self.year, base) for y in series.year]]
            caveats = set(filter(None, str(h.caveat or "").split(";")))
            value, year, source = "", pd.NA, ""
            if len(current):
                last = current.iloc[-1]
                v = float(last.value)
                value, year = f"{number_text(v)}{h.unit or ''}", int(last.year)
                source = self.sources.cite(str(last.source))
                if caveats & {"definition_unconfirmed", "definition_differs"}:
                    verdict = "上级目标口径待确认,仅列示"
                else:
                    ok = v >= h.target_value if h.comparator == ">=" else v <= h.target_value
                    verdict = "已达到上级目标水平" if ok else "低于上级目标水平"
                    if last.indicator_id != h.indicator_id:
                        verdict += "(口径不同)"
            elif len(series):
                last = series.iloc[-1]
                value = f"{number_text(float(last.value))}{h.unit or ''}"
                year = int(last.year)
                source = self.sources.cite(str(last.source))
                verdict = (
                    f"无{self.year - DATA_AGE}年以来的数据,{int(last.year)}年的值仅作背景,不作判断"
                )
            else:
                verdict = "无本地数据"
            if caveats & {"definition_unconfirmed"}:
                verdict += "▽"
            rows.append(
                {
                    "上级方案": f"{h.plan_level} {plan_name(h.plan_id, self.catalog)}",
                    "指标": h.name_zh,
                    "上级目标": target_text(h),
                    "目标年": int(h.target_year),
                    "本地值": value,
                    "年份": year,
                    "对照": verdict,
                    "来源": source,
                }
            )
        columns = ["上级方案", "指标", "上级目标", "目标年", "本地值", "年份", "对照", "来源"]
        return pd.DataFrame(rows, columns=columns)

    def ended(self) -> pd.DataFrame:
        p = self.plans
        return p[(p.target_year < self.year) & (p.scope == "本级")]

    def _domain_rows(self) -> dict[str, list[dict]]:
        """Per chapter, the place's values of the year with the year before and the same-year comparators
        (computed once: every section of 分领域情况, 存在问题 and 工作重点 reads them)."""
        if self._rows is None:
            self._rows = self._read_domain_rows()
        return self._rows

    def _read_domain_rows(self) -> dict[str, list[dict]]:
        cat = self.catalog
        ind = cat.indicators.set_index("indicator_id")
        panel = self.panel
        own = panel[(panel.jurisdiction_id == self.jurisdiction_id) & (panel.year == self.year)]
        out: dict[str, list] = {d: [] for d in DOMAIN_CHAPTERS}
        for r in own.drop_duplicates("indicator_id").itertuples():
            dom = CHAPTER_OF.get(str(ind.domain.get(r.indicator_id, "")), "质量基础与品牌")
            prev = panel[
                (panel.jurisdiction_id == self.jurisdiction_id)
                & (panel.indicator_id == r.indicator_id)
                & (panel.year == self.year - 1)
            ]
            flags = {f for f in str(r.flag or "").split(";") if f}
            out[dom].append(
                {
                    "indicator_id": r.indicator_id,
                    "name": ind.name_zh.get(r.indicator_id, ""),
                    "direction": float(ind.direction.get(r.indicator_id, 1)),
                    "value": float(r.value),
                    "unit": r.unit if isinstance(r.unit, str) else "",
                    "marks": "".join(MARKS[k][0] for k in MARKS if k in flags or (k == r.origin)),
                    "source": str(r.source),
                    "prev": float(prev.value.iloc[0]) if len(prev) else None,
                    "comps": comparators(
                        panel, self.jurisdiction_id, r.indicator_id, self.year, cat
                    ),
                }
            )
        return out

    def by_domain(self) -> dict[str, pd.DataFrame]:
        """二、分领域情况: per domain, the indicators published for the year with 同比 and the same-year
        provincial and national values, each number with its source number."""
        out = {}
        for dom, rows in self._domain_rows().items():
            table = []
            for r in rows:
                change = r["value"] - r["prev"] if r["prev"] is not None else None
                comps = "；".join(
                    f"{c.name_zh} {number_text(c.value)}{self.sources.cite(c.source)}"
                    for c in r["comps"].itertuples()
                )
                table.append(
                    {
                        "指标": r["name"],
                        f"{self.year}年": f"{number_text(r['value'])}{r['marks']}",
                        "单位": r["unit"],
                        "同比": change_text(change, r["unit"]),
                        "全省/全国(同年)": comps,
                        "来源": self.sources.cite(r["source"]),
                    }
                )
            out[dom] = pd.DataFrame(table)
        return out

    def findings(self) -> dict[str, list[dict]]:
        """Per domain, what stands out, one entry per indicator: a value worse than the same year's provincial
        or national value, a fall on the year before: ``{domain: [{kind, indicator, text}]}``."""
        out: dict[str, list[dict]] = {}
        for dom, rows in self._domain_rows().items():
            found = []
            for r in rows:
                d, v, unit = r["direction"], r["value"], r["unit"]
                kinds, parts = [], []
                for c in r["comps"].itertuples():
                    if d * (v - c.value) < 0:
                        word = "高于" if d < 0 else "低于"
                        kinds.append("低于上级地区水平")
                        parts.append(f"{word}{c.name_zh}同年的{number_text(c.value)}{unit}")
                        break
                if r["prev"] is not None and d * (v - r["prev"]) < 0:
                    kinds.append("较上年退步")
                    parts.append(f"较{self.year - 1}年的{number_text(r['prev'])}{unit}退步")
                if kinds:
                    found.append(
                        {
                            "kind": "、".join(kinds),
                            "indicator": r["name"],
                            "text": f"{r['name']}{number_text(v)}{unit}," + ",".join(parts),
                        }
                    )
            out[dom] = found
        return out

    def milestones(self) -> dict[str, list[str]]:
        """Per domain, a national standard met (or missed) for the first time in the place's published series
        (:data:`STANDARDS`): "首次达到国家二级标准"."""
        out: dict[str, list[str]] = {}
        for dom, rows in self._domain_rows().items():
            said = []
            for r in rows:
                if r["indicator_id"] not in STANDARDS:
                    continue
                limit, name = STANDARDS[r["indicator_id"]]
                series = self.panel[
                    (self.panel.jurisdiction_id == self.jurisdiction_id)
                    & (self.panel.indicator_id == r["indicator_id"])
                    & (self.panel.year < self.year)
                ]
                if series.empty:
                    continue
                ok_now = r["value"] <= limit
                ok_before = (series.value <= limit).any()
                first = int(series.year.min())
                if ok_now and not ok_before:
                    said.append(
                        f"{r['name']}{number_text(r['value'])}{r['unit']},自{first}年有数据以来首次达到{name}"
                    )
                elif not ok_now and (series.sort_values("year").value.iloc[-1] <= limit):
                    said.append(f"{r['name']}{number_text(r['value'])}{r['unit']},重新超过{name}")
            out[dom] = said
        return out

    def domain_sentence(self, domain: str) -> str:
        """One sentence per domain: what stands out, or that nothing was published and which data would say."""
        rows = self._domain_rows()[domain]
        found = self.findings()[domain]
        if not rows:
            needed = self._needed(domain)
            return zh_punct(
                f"本年度没有已公布的{self.name_zh}{domain}指标。"
                + (f"本级规划在该领域有{needed}。" if needed else "")
            )
        marks = self.milestones()[domain]
        tail = "" if not marks else ";".join(marks) + "。"
        if not found:
            return zh_punct(
                f"已公布{len(rows)}项指标,均不低于同年全省、全国水平(有对照值时),较上年没有退步。"
                + tail
            )
        return zh_punct(
            f"已公布{len(rows)}项指标。值得注意的是:"
            + ";".join(f["text"] for f in found)
            + "。"
            + tail
        )

    def _needed(self, domain: str) -> str:
        """The place's own targets of a domain that have no verdict for want of data, and who holds the data."""
        a = self.own_assessment()
        if not len(a):
            return ""
        doms = {k for k, v in CHAPTER_OF.items() if v == domain}
        gap = a[(a.status == "not_assessable") & a.domain.isin(doms)]
        if gap.empty:
            return ""
        holders = list(
            dict.fromkeys(
                h.strip() for x in _holders(gap) for h in re.split(r"[、,，;；]", x) if h.strip()
            )
        )
        shown = "、".join(holders[:4]) + ("等" if len(holders) > 4 else "")
        return f"{len(gap)}项目标缺少数据" + (f",需向{shown}索取" if holders else "")

    def rankings_table(self) -> pd.DataFrame:
        """External assessments and ranks of the place up to the report year (附录)."""
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
                "来源": [self.sources.cite(str(x.source)) for x in r.itertuples()],
            }
        ).reset_index(drop=True)

    def problems(self) -> pd.DataFrame:
        """五、存在问题, each with its reason: the place's own targets that lag, regress, were missed or cannot be
        compared (the reason: the assessment's note), and the indicators below the same-year provincial or
        national value or worse than the year before."""
        a = self.own_assessment()
        rows = []
        if len(a):
            bad = a[
                a.status.isin(["behind", "regressing", "missed", "not_comparable", "unconfirmed"])
            ]
            for r in bad.itertuples():
                rows.append(
                    {
                        "类别": "规划目标"
                        + ("滞后" if r.status in ("behind", "regressing") else "")
                        + ("未完成" if r.status == "missed" else "")
                        + ("口径问题" if r.status in ("not_comparable", "unconfirmed") else ""),
                        "指标": r.name_zh,
                        "情况": r.status_zh,
                        "原因或依据": zh_punct(
                            ";".join(x for x in (reason(r), r.note) if isinstance(x, str) and x)
                        ),
                    }
                )
        for dom, found in self.findings().items():
            for f in found:
                rows.append(
                    {
                        "类别": f["kind"],
                        "指标": f["indicator"],
                        "情况": dom,
                        "原因或依据": zh_punct(f["text"]),
                    }
                )
        return pd.DataFrame(rows, columns=["类别", "指标", "情况", "原因或依据"])

    def priorities(self) -> pd.DataFrame:
        """六、下一年度工作重点, derived from what is behind schedule, regressing, below the national level, and
        without data (with whom the data are)."""
        a = self.own_assessment()
        rows = []
        if len(a):
            for r in a[a.status.isin(["behind", "regressing"])].itertuples():
                rows.append(
                    {
                        "工作重点": f"加快推进{r.name_zh}({target_text(r)},{int(r.target_year)}年)",
                        "依据": zh_punct(
                            f"{r.status_zh}:" + ";".join(x for x in (reason(r), r.note) if x)
                        ),
                    }
                )
        pushed = {r["工作重点"].removeprefix("加快推进").split("(")[0] for r in rows}
        for found in self.findings().values():
            for f in found:
                if f["indicator"] in pushed:  # already a priority as a target behind schedule
                    continue
                verb = "扭转" if f["kind"] == "较上年退步" else "提升"
                rows.append({"工作重点": f"{verb}{f['indicator']}", "依据": zh_punct(f["text"])})
        if len(a):
            gap = a[a.status == "not_assessable"].copy()
            gap["holder"] = [h or "相关部门" for h in _holders(gap)]
            for holder, g in gap.groupby("holder", sort=False):
                names = list(dict.fromkeys(g.name_zh.fillna("")))
                rows.append(
                    {
                        "工作重点": f"建立数据报送:向{holder}索取{len(g)}项目标的数据",
                        "依据": "目前无法评估:"
                        + "、".join(n for n in names[:6] if n)
                        + ("等" if len(names) > 6 else ""),
                    }
                )
        out = pd.DataFrame(rows, columns=["工作重点", "依据"])
        out.insert(0, "序号", range(1, len(out) + 1))
        return out

    def ended_text(self) -> str:
        """三、规划目标进展 for the place's own plans already ended: a short 终期评估 each."""
        out = []
        for p in self.ended().itertuples():
            a = self.assessment[self.assessment.plan_id == p.plan_id]
            out.append(
                f"{plan_title(p)}(规划期{int(p.base_year)}–{int(p.target_year)}年)已结束。终期评估:"
                f"{count_text(a)}。"
            )
        return zh_punct("".join(out))

    def plan_reports(self) -> list:
        """The plan reports (as of the report year) of the place's own plans in force, for the annex."""
        return [
            plan_report(pid, as_of=self.year, catalog=self.catalog, panel=self.panel)
            for pid in self.own_plans().plan_id
        ]

    def requests(self) -> pd.DataFrame:
        """附录 数据需求: the data-request lists of the place's own plans in force."""
        frames = []
        for p in self.own_plans().itertuples():
            pa = assess_plan(p.plan_id, as_of=self.year, catalog=self.catalog, panel=self.panel)
            t = reader_columns(requests_table(p.plan_id, pa.assessment, self.year, self.catalog))
            t.insert(0, "方案", plan_name(p.plan_id, self.catalog))
            frames.append(t)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        # one plan: its name is in the section's heading, not in every row
        return out.drop(columns="方案") if len(frames) == 1 else out

    def sources_table(self) -> pd.DataFrame:
        """The numbered sources of every number cited so far (call after the sections)."""
        return sources_table(self.sources)

    def summary(self) -> dict:
        a = self.own_assessment()
        counts = a.status.value_counts() if len(a) else pd.Series(dtype=int)
        return {
            "title": self.title,
            "place": self.name_zh,
            "period": f"{self.year}年",
            "data_to": self.year,
            "statuses": {STATUS_ZH[k]: int(v) for k, v in counts.items()},
        }

    def overall_text(self) -> str:
        """一、总体情况: the year's published indicators and their change, then the place's own plans in force
        with every target counted (the counts add up), and what the higher-level plans are."""
        ch = self.changes
        n_pub = len(self.headline)
        s = f"{self.year}年,{self.name_zh}已公布的质量相关指标有{n_pub}项"
        if len(ch):
            c = ch["判断"].value_counts()
            s += f",其中{len(ch)}项可与上年比较:改善{int(c.get('改善', 0))}项、退步{int(c.get('退步', 0))}项、持平{int(c.get('持平', 0))}项"
        s += "。"
        own = self.own_plans()
        if len(own):
            s += f"本级在实施的规划{len(own)}个({self.plan_list(own)}),目标{count_text(self.own_assessment())}。"
        else:
            s += f"{self.year}年{self.name_zh}没有在实施的本级规划。"
        higher = self.in_force()
        higher = higher[higher.scope == "上级"]
        if len(higher):
            s += f"上级在实施的方案{len(higher)}个({self.plan_list(higher)}),其目标针对上级地区整体,不计入本地目标数,对照见第四部分。"
        worse = ch[ch["判断"] == "退步"]["指标"].tolist() if len(ch) else []
        better = ch[ch["判断"] == "改善"]["指标"].tolist() if len(ch) else []
        if better:
            s += "较上年改善的有" + "、".join(better[:4]) + "。"
        if worse:
            s += "较上年退步的有" + "、".join(worse[:4]) + "。"
        return zh_punct(s)


def _holders(a: pd.DataFrame) -> list[str]:
    """Per target, who holds its data: the plan's 责任单位 where a task area names it, else the indicator's
    default holder marked (建议)."""
    return [
        department(str(r.indicator_id or ""), r.target_id, r.plan_id)[0] for r in a.itertuples()
    ]


#: The annual report's method note: what a report may say (qindex.statements), then how progress is measured.
METHOD_TEXT = (
    zh_punct(
        f"""
**报告规则。**

- **层级**:总体情况的目标计数、存在问题和工作重点只针对本级(本地区自己的)规划;国家、省级和上级市方案的目标针对上级地区整体,
  单列在“对照上级方案”中,本地现值与之对照只作参照,不计入本地目标数。
- **在实施**:规划自印发之年起计入(12月印发的自次年起计),至目标年止;征求意见稿、起草说明等草案标明“草案”。
- **数据时效**:报告年度及其前{DATA_AGE}年的数据视为现值(统计公报等年度数据一般在次年发布,最慢的在次年秋季);更早的值只作背景、
  标明年份,不据以判断是否达到目标。
- **结论**:已完成/未完成只在目标年已过时给出;目标年无数据而据更早年份判断的,标明所据年份并单独计数;此后的数据与之不符的,
  改为待核实并列出这些数据。“持续提升/下降”类目标至少需要3个年份的数据。口径待确认的目标在所有表中保留▽标记。
- **来源**:正文每个数值后的方括号为来源编号,见“数据来源”。
"""
    )
    + PLAN_METHOD_TEXT
)


#: National standards a value can meet for the first time: indicator → (limit, name). PM2.5: GB 3095-2012,
#: annual mean, class 2 (二级) 35 µg/m³.
STANDARDS = {"pm25": (35.0, "国家环境空气质量二级标准(年均35µg/m³,GB 3095-2012)")}


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


def annual_report(
    jurisdiction_id: str, year: int, replications: int = 300, synthetic: bool = False
) -> AnnualReport:
    """The annual quality report of one place and year: :func:`qindex.year_assessment.assess_year` presented.

    Parameters
    ----------
    jurisdiction_id : the place (``jurisdictions.csv``); ``year`` the report year.
    replications : Monte Carlo replications of the index rank uncertainty.
    synthetic : the fictional 示例区 with generated data (示例数据), to see every section filled.

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
    if (
        synthetic
    ):  # the fictional 示例区 (:func:`qindex.synthetic.annual_example`), whatever place is given
        cat, panel = annual_example()
        jurisdiction_id = EXAMPLE_JURISDICTION
        ya = assess_year(jurisdiction_id, year, replications, catalog=cat, panel=panel)
    else:
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
