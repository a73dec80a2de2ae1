"""The plan report: progress on every target of one plan, as the plan-progress notebook shows it.

A :class:`PlanReport` presents a :class:`qindex.plan_assessment.PlanAssessment`: the first screen (总体评价 and
key figures), the 中期评估 indicator table with marks and numbered sources, the domains, the task areas and
their 责任单位, what cannot be judged and the data it needs, the office values used and the pairs settled,
and the result tables a run writes. Chinese by default, English when ``language="en"``.

Example
-------
>>> r = plan_report("chengdu-2027")
>>> r.indicator_table().columns[:3].tolist()
['指标', '属性', '基期值']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import pandas as pd

from qindex.catalog import DOMAINS_ZH, TARGET_TYPES_ZH, Catalog
from qindex.departments import department, load_tasks
from qindex.observations import ORIGINS
from qindex.office import replacements
from qindex.plan_assessment import PlanAssessment, assess_plan
from qindex.precedence import precedence_log
from qindex.progress import SCORED_STATUSES, STATUS_EN, STATUS_ORDER, STATUS_ZH, number_text
from qindex.reports.requests import reader_columns, requests_table
from qindex.reports.text import MARKS, change_text, link, target_text, zh_punct
from qindex.sources import KIND_ZH, describe
from qindex.statements import comparators, plan_title, stage, status_counts

#: Headers of the tables in the English edition.
EN_COLUMNS = {
    "指标": "Indicator",
    "属性": "Type",
    "基期值": "Base value",
    "目标值": "Target",
    "当前值": "Latest value",
    "序时进度": "Progress / time elapsed",
    "评价": "Assessment",
    "责任单位": "Responsible body",
    "数据来源": "Source",
    "状态": "Status",
    "目标数": "Targets",
    "领域": "Domain",
    "已评价": "Scored",
    "据早年数据判断": "Judged on earlier data",
    "达标比例": "Share met",
    "平均完成率": "Mean completion",
    "达标得分": "Attainment score",
    "原因与所需数据": "Reason and data needed",
    "类型": "Type",
    "任务": "Task area",
    "相关目标": "Targets",
    "编号": "No.",
    "来源": "Source",
    "链接": "Link",
    "年份": "Year",
    "数值": "Value",
    "单位": "Unit",
}
_DOMAIN_EN = {
    "产品质量": "Product quality",
    "工程质量": "Engineering quality",
    "服务质量": "Service quality",
    "环境质量": "Environment",
    "产业质量效益": "Industrial efficiency",
    "品牌建设": "Brands",
    "质量基础": "Quality infrastructure",
    "质量治理": "Quality governance",
    "未分类": "Unclassified",
}
_TYPE_EN = {
    "水平": "level",
    "增速": "growth",
    "累计": "cumulative",
    "排名": "rank",
    "趋势": "trend",
    "相对": "relative",
    "程序性": "procedural",
    "定性": "qualitative",
}


class _PlanText:
    """Reader-facing parts of a plan report: the first screen, the 中期评估 indicator table with marks and
    numbered sources, task areas, problems; Chinese by default, English when ``language == "en"``."""

    def _zh(self) -> bool:
        return self.language != "en"

    def _name(self, r) -> str:
        if self._zh():
            if isinstance(r.name_zh, str) and r.name_zh:
                return r.name_zh
            quote = str(getattr(r, "quote", "") or "")
            return f"{quote[:24]}…" if len(quote) > 25 else (quote or "(定性目标)")

        en = self.catalog.indicators.set_index("indicator_id").name_en
        return str(en.get(r.indicator_id, "") or "") or "(qualitative goal)"

    def _place_name(self, jid: str) -> str:
        j = self.catalog.jurisdictions.set_index("jurisdiction_id")
        col = "name_zh" if self._zh() else "name_en"
        return (
            str(j[col].get(jid, jid))
            if jid in j.index
            else ("示例区" if self._zh() else "Example district")
        )

    def latest_rows(self) -> dict:
        """Per target, the panel rows of its latest value (for marks and sources)."""
        p, out = self.panel, {}
        for r in self.assessment.itertuples():
            if pd.isna(r.latest_year) or not r.indicator_id:
                out[r.target_id] = p.iloc[0:0]
                continue
            out[r.target_id] = p[
                (p.jurisdiction_id == r.jurisdiction_id)
                & (p.indicator_id == r.indicator_id)
                & (p.year == r.latest_year)
            ]
        return out

    def marks(self, r, rows) -> list[str]:
        keys = []
        if self.synthetic:
            keys.append("synthetic")
        flags = set()
        for f in rows.get("flag", pd.Series(dtype=str)).fillna(""):
            flags |= {x for x in str(f).split(";") if x}
        origins = set(rows.get("origin", pd.Series(dtype=str)).dropna())
        if "office" in origins:
            keys.append("office")
        if "derived" in flags or "derived" in origins:
            keys.append("derived")
        if bool(getattr(r, "inferred", False)) is True:
            keys.append("inferred")
        keys += [
            k
            for k in (
                "lower_bound",
                "provisional",
                "low_confidence",
                "definition_change",
                "unconfirmed",
                "series_break",
            )
            if k in flags
        ]
        return keys

    def _sources(self):
        """Numbered sources of the values the indicator table shows: ({source text: number}, rows)."""
        numbers, listing = {}, []
        latest = self.latest_rows()
        for r in self.assessment.itertuples():
            src = r.latest_source if isinstance(r.latest_source, str) else ""
            if not src and len(latest[r.target_id]):
                src = str(latest[r.target_id].source.iloc[0])
            if not src or src in numbers:
                continue
            numbers[src] = len(numbers) + 1
            listing.append((numbers[src], describe(src)))
        # the same-year provincial and national values the key figures show cite their sources too
        for f in self.key_figures():
            for _, _, src in f["comparators"]:
                if src and src not in numbers:
                    numbers[src] = len(numbers) + 1
                    listing.append((numbers[src], describe(src)))
        return numbers, listing

    def _cite(self, source: str, numbers: dict) -> str:
        """``[n]``: the number of a source in :meth:`source_table` (``numbers`` from :meth:`_sources`)."""
        return f"[{numbers[source]}]" if source in numbers else ""

    def indicator_table(self) -> pd.DataFrame:
        """The 中期评估 table: 指标 | 属性 | 基期值 | 目标值 | 当前值 | 序时进度 | 评价 | 责任单位 | 数据来源; values
        carry marks (see :data:`MARKS`), sources are numbered as in :meth:`source_table`."""
        a = self.assessment
        latest = self.latest_rows()
        numbers, listing = self._sources()
        by_no = dict(listing)
        zh = self._zh()
        rows = []
        for r in a.itertuples():
            value = _latest_text(r)
            mk = "".join(MARKS[k][0] for k in self.marks(r, latest[r.target_id])) if value else ""
            if value and pd.notna(r.latest_year):
                value = (
                    f"{value}{mk}({int(r.latest_year)}年)"
                    if zh
                    else f"{value}{mk} ({int(r.latest_year)})"
                )
            base = number_text(r.base_value) if pd.notna(r.base_value) else ""
            plan_base = int(self.plan.base_year)
            if base and pd.notna(r.base_year) and int(r.base_year) > plan_base:
                # the series starts after the plan's base year: that value is no 基期值 (the note says
                # where progress was measured from)
                base = f"{plan_base}年无数据" if zh else f"none for {plan_base}"
            elif base and pd.notna(r.base_year):
                base = f"{base}({int(r.base_year)}年)" if zh else f"{base} ({int(r.base_year)})"
            src = r.latest_source if isinstance(r.latest_source, str) else ""
            if not src and len(latest[r.target_id]):
                src = str(latest[r.target_id].source.iloc[0])
            if src:
                d = by_no[numbers[src]]
                who = (
                    d.publisher or d.title
                    if d.kind != "reprint"
                    else (f"转载 {d.host}" if zh else f"reprint, {d.host}")
                )
                source_text = f"[{numbers[src]}] {who}" + (f" {d.date}" if d.date else "")
            else:
                source_text = ""
            dept = ""
            if not self.synthetic:
                dept = department(r.indicator_id or "", r.target_id, str(self.plan.plan_id))[0]
            status = r.status_zh if zh else STATUS_EN.get(r.status, r.status)
            rows.append(
                {
                    "指标": self._name(r),
                    "属性": TARGET_TYPES_ZH.get(r.target_type, r.target_type)
                    if zh
                    else _TYPE_EN.get(TARGET_TYPES_ZH.get(r.target_type, ""), r.target_type),
                    "基期值": base,
                    "目标值": target_text(r) if zh else _target_text_en(r),
                    "当前值": value,
                    "序时进度": _progress_text(r),
                    "评价": status,
                    "责任单位": dept if zh else dept.replace("(建议)", " (suggested)"),
                    "数据来源": source_text,
                }
            )
        out = pd.DataFrame(rows)
        return out.rename(columns=EN_COLUMNS) if not zh else out

    def marks_legend(self) -> str:
        """One line naming every mark used in the indicator table (empty when none is used)."""
        latest = self.latest_rows()
        used = []
        for r in self.assessment.itertuples():
            if not _latest_text(r):  # no value shown, no mark shown
                continue
            for k in self.marks(r, latest[r.target_id]):
                if k not in used:
                    used.append(k)
        i = 1 if self._zh() else 2
        body = ("；" if self._zh() else "; ").join(f"{MARKS[k][0]} {MARKS[k][i]}" for k in used)
        lead = "标记:" if self._zh() else "Marks: "
        note = (
            "方案未区分约束性与预期性指标,“属性”列为目标类型;序时进度列为“进度(序时进度)”:进度为已完成的变化占应完成变化的比例,序时进度为已过时间占规划期的比例;"
            "数据来源的编号见附录“数据来源”。"
            if self._zh()
            else "The plans do not classify targets as binding or indicative; 'Type' is the kind of target. "
            "Progress / time elapsed in %. Source numbers refer to the appendix 'Sources'."
        )
        text = (
            f"{lead}{body}。" if used and self._zh() else f"{lead}{body}. " if used else ""
        ) + note
        return zh_punct(text) if self._zh() else text

    def source_table(self) -> pd.DataFrame:
        """The numbered sources: what each is (title, publisher, date, or the reprint and its original)."""
        _, listing = self._sources()
        zh = self._zh()

        return pd.DataFrame(
            {
                "编号": [n for n, _ in listing],
                "来源": [d.text(self.language) for _, d in listing],
                "类型": [KIND_ZH[d.kind] if zh else d.kind for _, d in listing],
                "链接": [link(d.link, d.host) if d.link else "" for _, d in listing],
            }
        ).rename(columns=EN_COLUMNS if not zh else {})

    def tasks_table(self) -> pd.DataFrame:
        """The plan's task areas (重点任务) with their 责任单位 and the targets each covers, as the plan states."""
        t = load_tasks()
        t = t[t.plan_id == str(self.plan.plan_id)]
        names = self.assessment.set_index("target_id").name_zh
        return pd.DataFrame(
            {
                "任务": t.task_zh,
                "责任单位": t.departments,
                "相关目标": t.target_ids.map(
                    lambda ids: "、".join(
                        dict.fromkeys(
                            str(names.get(i, ""))
                            for i in str(ids).split(";")
                            if i and i in names.index
                        )
                    )
                ),
            }
        ).reset_index(drop=True)

    def status_counts(self) -> dict:
        c = self.assessment.status.value_counts()
        label = STATUS_ZH if self._zh() else STATUS_EN
        return {label[s]: int(c[s]) for s in STATUS_ORDER if c.get(s, 0)}

    def period_text(self) -> str:
        b, t = int(self.plan.base_year), int(self.plan.target_year)
        return f"{b}–{t}年" if self._zh() else f"{b}–{t}"

    def key_figures(self, n: int = 6) -> list[dict]:
        """Up to ``n`` headline figures: scored level targets with a value, the furthest ahead and the furthest
        behind first, each with its change on the year before (同比) and the province's and the country's value
        for the same year where the data have them."""
        a = self.assessment
        pool = a[
            a.status.isin(SCORED_STATUSES)
            & a.latest_value.notna()
            & a.target_type.isin(["level", "trend"])
            & a.indicator_id.astype(bool)
        ].drop_duplicates("indicator_id")
        order = {
            "missed": 0,
            "regressing": 1,
            "behind": 2,
            "met": 3,
            "achieved": 4,
            "ahead": 5,
            "baseline_only": 6,
        }
        pool = pool.assign(_o=pool.status.map(order)).sort_values(["_o", "target_id"])
        good = pool[pool.status.isin(["met", "achieved", "ahead"])]
        bad = pool[pool.status.isin(["missed", "regressing", "behind"])]
        picked = pd.concat([bad.head(3), good.head(n - min(3, len(bad)))]).head(n)
        p = self.panel
        out = []
        for r in picked.itertuples():
            s = p[(p.jurisdiction_id == r.jurisdiction_id) & (p.indicator_id == r.indicator_id)]
            prev = s[s.year == r.latest_year - 1].value
            change = float(r.latest_value - prev.iloc[0]) if len(prev) else None
            comps = [
                (self._place_name(c.jurisdiction_id), c.value, c.source)
                for c in comparators(
                    p, r.jurisdiction_id, r.indicator_id, r.latest_year, self.catalog
                ).itertuples()
            ]
            out.append(
                {
                    "name": self._name(r),
                    "value": number_text(r.latest_value),
                    "unit": r.unit if isinstance(r.unit, str) else "",
                    "year": int(r.latest_year),
                    "change": change,
                    "direction": r.direction,
                    "target": target_text(r) if self._zh() else _target_text_en(r),
                    "status": r.status_zh if self._zh() else r.status,
                    "comparators": comps,
                    "marks": "".join(
                        MARKS[k][0] for k in self.marks(r, self.latest_rows()[r.target_id])
                    ),
                }
            )
        return out

    def _change_text(self, f: dict) -> str:
        c, unit = f["change"], f["unit"]
        if c is None:
            return ""
        if self._zh():
            core = change_text(c, unit)
            return "与上年持平" if core == "持平" else f"较上年{core}"
        word = "up" if c > 0 else "down"
        return (
            "unchanged on the year before"
            if abs(c) < 1e-9
            else f"{word} {number_text(abs(c))} {'pp' if unit == '%' else unit} on the year before"
        )

    def overall_text(self) -> str:
        """The 总体评价 paragraph, written from the results by templates (no figure typed by hand)."""
        a = self.assessment
        n = len(a)
        c = a.status.value_counts()
        zh = self._zh()
        place, title = (
            self.place if zh else self._place_name(self.plan.jurisdiction_id),
            self.plan.title_zh,
        )
        b, t = int(self.plan.base_year), int(self.plan.target_year)
        ended = self.as_of >= t
        done = int(c.get("met", 0) + c.get("achieved", 0))
        parts_zh = [
            (int(c.get("met", 0)), "已完成"),
            (int(c.get("achieved", 0)), "已达标"),
            (int(c.get("ahead", 0)), "快于序时进度"),
            (int(c.get("behind", 0)), "滞后于序时进度"),
            (int(c.get("regressing", 0)), "未有进展或倒退"),
            (int(c.get("missed", 0)), "未完成"),
            (int(c.get("baseline_only", 0)), "仅有基期值"),
            (int(c.get("not_comparable", 0)), "数据口径与目标不一致"),
            (int(c.get("unconfirmed", 0)), "口径待核实"),
            (int(c.get("not_assessable", 0)), "缺少数据、无法评估"),
            (int(c.get("not_scored", 0)), "为定性或程序性目标、不评分"),
        ]
        scored = int(a.status.isin(SCORED_STATUSES).sum())
        figs = self.key_figures(4)
        numbers, _ = self._sources()
        good = [
            f
            for f in figs
            if f["status"] in ("已完成", "已达标", "快于序时进度", "met", "achieved", "ahead")
        ][:2]
        bad = [f for f in figs if f not in good][:2]
        if zh:
            kind = self.stage
            s = (
                f"{place}{plan_title(self.plan)}规划期为{b}–{t}年,共列{n}项目标。"
                f"本报告据截至{self.data_to or self.as_of}年的数据作{kind}:"
                + ",".join(f"{k}项{w}" for k, w in parts_zh if k)
                + "。"
            )
            if scored == 0:
                s += "目前没有一项目标有按目标口径的数据可以评价,评价结论有待补充数据(见“数据需求”)。"
            else:
                s += f"可评价的{scored}项中,{done + int(c.get('ahead', 0))}项已完成、已达标或快于序时进度。"
            for f in good:
                extra = self._change_text(f)
                comp = ",".join(
                    f"{nm}{number_text(v)}{f['unit']}{self._cite(src, numbers)}"
                    for nm, v, src in f["comparators"]
                )
                s += (
                    f"{f['name']}{f['year']}年为{f['value']}{f['unit']}{f['marks']}(目标{f['target']})"
                    + (f",{extra}" if extra else "")
                    + (f",同年{comp}" if comp else "")
                    + "。"
                )
            for f in bad:
                extra = self._change_text(f)
                s += (
                    f"{f['name']}{f['year']}年为{f['value']}{f['unit']}{f['marks']},"
                    f"目标{f['target']},评价为{f['status']}" + (f",{extra}" if extra else "") + "。"
                )
            gaps = int(c.get("not_assessable", 0))
            if gaps and scored:
                s += f"另有{gaps}项目标缺少数据,所需数据及索取单位见“数据需求”一节。"
            return zh_punct(s)
        kind = "final review" if ended else "mid-term review"
        words = [
            "met",
            "achieved",
            "ahead of schedule",
            "behind schedule",
            "no progress or regressing",
            "missed",
            "baseline only",
            "on another definition",
            "definition to be confirmed",
            "without data",
            "qualitative or procedural (not scored)",
        ]
        s = (
            f"{place}, {self.plan.title_en if 'title_en' in self.plan else title} ({b}–{t}) sets {n} targets. "
            f"This {kind} uses data up to {self.as_of}: "
            + ", ".join(f"{k} {w}" for (k, _), w in zip(parts_zh, words, strict=True) if k)
            + ". "
        )
        if scored == 0:
            s += "No target has data on its own definition yet; see 'Data requests'. "
        for f in good + bad:
            extra = self._change_text(f)
            s += (
                f"{f['name']}: {f['value']} {f['unit']}{f['marks']} in {f['year']} (target {f['target']}, {f['status']})"
                + (f", {extra}" if extra else "")
                + ". "
            )
        return s.strip()

    def front(self) -> str:
        """The first screen as HTML: title, place, period, data cut-off, 总体评价, key figures."""
        import html as h

        zh = self._zh()
        e = h.escape
        place = self.place if zh else self._place_name(self.plan.jurisdiction_id)
        title = self.title if zh else _title_en(self)
        meta = (
            f"地区：{place} · 规划期：{self.period_text()} · 评估年份：{self.as_of}年 · 目标：{len(self.assessment)}项"
            if zh
            else f"Place: {place} · Plan period: {self.period_text()} · Data up to: {self.as_of} · Targets: {len(self.assessment)}"
        )
        banner = ""
        if self.synthetic:
            banner = (
                '<p class="qindex-summary"><b>示例数据</b>：本报告使用虚构地区的合成数据，仅用于展示报告的各个部分，不代表任何真实地区。</p>'
                if zh
                else '<p class="qindex-summary"><b>Synthetic example</b>: a fictional district with generated data. It describes no real place.</p>'
            )
        cards = []
        numbers, _ = self._sources()
        for f in self.key_figures():
            change = self._change_text(f)
            comp = ("、" if zh else ", ").join(
                f"{nm} {number_text(v)}{f['unit']}{self._cite(src, numbers)}"
                for nm, v, src in f["comparators"]
            )
            cards.append(
                '<div class="qindex-keyfig">'
                f'<div class="l">{e(f["name"])}（{f["year"]}年）</div>'
                f'<div class="v">{e(f["value"])}<small> {e(f["unit"])}</small>{e(f["marks"])}</div>'
                f'<div class="c">{e(("目标 " if zh else "target ") + f["target"])} · {e(str(f["status"]))}</div>'
                + (f'<div class="c">{e(change)}</div>' if change else "")
                + (
                    f'<div class="c">{e(("同年 " if zh else "same year: ") + comp)}</div>'
                    if comp
                    else ""
                )
                + "</div>"
            )
        figs = (
            f'<h3>{"主要指标" if zh else "Key figures"}</h3><div class="qindex-keyfigs">{"".join(cards)}</div>'
            if cards
            else ""
        )
        return (
            f"<h1>{e(title)}</h1><p>{e(meta)}</p>{banner}"
            f"<h2>{'总体评价' if zh else 'Overall assessment'}</h2>"
            f'<p class="qindex-summary">{e(self.overall_text())}</p>{figs}'
        )

    def summary(self) -> dict:
        """What the gallery shows for this report (``summary.json``)."""
        return {
            "title": self.title if self._zh() else _title_en(self),
            "place": self.place if self._zh() else self._place_name(self.plan.jurisdiction_id),
            "period": self.period_text(),
            "data_to": self.as_of,
            "statuses": self.status_counts(),
        }


#: A domain's mean completion is shown only over at least this many targets with a verdict.
MIN_DOMAIN_SCORED = 3


def _title_en(report) -> str:
    plan = report.plan
    name = (
        plan["title_en"]
        if "title_en" in plan and isinstance(plan["title_en"], str)
        else plan.title_zh
    )
    title = f"{name}: progress review ({report.as_of})"
    return ("[Synthetic example] " + title) if report.synthetic else title


def _target_text_en(r) -> str:
    if r.target_type == "qualitative":
        return "qualitative"
    if r.target_type == "trend":
        return "keep rising" if r.comparator == ">=" else "keep falling"
    if r.target_type == "rank":
        return f"top {int(r.target_value)}" if pd.notna(r.target_value) else "among the leaders"
    if r.target_type == "relative":
        return f"{r.comparator} the benchmark"
    unit = "%/yr" if r.target_type == "growth" else (r.unit or "")
    prefix = "+" if r.target_type == "cumulative" else ""
    return f"{r.comparator} {prefix}{r.target_value:g} {unit}".strip()


def _utc_text(stamp: str) -> str:
    """``20261203T123456Z`` as a date a reader knows, in the reports' time zone (UTC+8)."""
    t = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


def _cited(source: str) -> str:
    """A source as a reader follows it: the publication first for a published value (see
    :func:`qindex.sources.describe`), the office's own file for 内部数据."""
    source = str(source).split(": ", 1)[-1]
    return describe(source).text("zh")


def plan_report(
    plan_id: str,
    as_of: int | None = None,
    model: str = "linear",
    level: float = 0.95,
    synthetic: bool = False,
    language: str = "zh",
    example_seed: int = 0,
    catalog: Catalog | None = None,
    panel: pd.DataFrame | None = None,
) -> PlanReport:
    """The plan-progress report of one plan: :func:`qindex.plan_assessment.assess_plan` presented.

    Parameters
    ----------
    plan_id, as_of, model, level, synthetic, example_seed, catalog, panel : as for
        :func:`~qindex.plan_assessment.assess_plan`.
    language : ``zh`` (default) or ``en``, the edition.

    Returns
    -------
    PlanReport
        the assessment's fields (``plan``, ``assessment``, ``by_domain``, ``projections``, ``panel``,
        ``as_of`` …) and the report's sections as methods (``front()``, ``indicator_table()``, ``tables()`` …).

    Example
    -------
    >>> plan_report("hangzhou-2022").assessment.target_id.iloc[0]
    'hz22-01'
    """
    pa = assess_plan(plan_id, as_of, model, level, synthetic, example_seed, catalog, panel)
    return PlanReport(
        **{f.name: getattr(pa, f.name) for f in fields(PlanAssessment)}, language=language
    )


@dataclass
class PlanReport(_PlanText, PlanAssessment):
    """Everything the plan-progress notebook shows: a :class:`~qindex.plan_assessment.PlanAssessment` (its
    fields are the report's numbers) and the edition's ``language``."""

    language: str = "zh"

    @property
    def place(self) -> str:
        names = self.catalog.jurisdictions.set_index("jurisdiction_id")["name_zh"]
        if (
            self.plan.jurisdiction_id not in names.index
        ):  # the synthetic example's fictional district
            return "示例区(虚构)"
        return str(names.get(self.plan.jurisdiction_id))

    @property
    def data_to(self) -> int | None:
        """The latest year of the data the verdicts rest on (scored, or held back for their definition);
        ``None`` when no target has such data (a context value of another year does not count)."""
        a = self.assessment
        held = a.status.isin([*SCORED_STATUSES, "not_comparable", "unconfirmed"])
        years = a.loc[held, "latest_year"].dropna()
        years = years[years <= self.as_of]
        return int(years.max()) if len(years) else None

    @property
    def stage(self) -> str:
        """基期评估 / 中期评估 / 终期评估 from the data present (:func:`qindex.statements.stage`)."""
        return stage(
            int(self.plan.base_year), int(self.plan.target_year), int(self.as_of), self.data_to
        )

    @property
    def plan_title_zh(self) -> str:
        """The plan's title as a reader sees it: 《…》, a draft marked."""
        return plan_title(self.plan)

    @property
    def title(self) -> str:
        draft = "" if plan_title(self.plan).endswith("》") else "（草案）"
        when = (
            f"数据截至{self.data_to}年"
            if self.data_to is not None
            else f"截至{self.as_of}年尚无可评价的数据"
        )
        title = f"{self.plan.title_zh}{draft}：{self.stage}（{when}）"
        if self.synthetic and not title.startswith("【示例数据"):
            title = "【示例数据（合成，非真实数据）】" + title
        return title

    def intro(self) -> str:
        """Markdown: the title and one paragraph saying what is assessed, on which data."""
        a = self.assessment

        n, k = len(a), int(a["status"].isin(SCORED_STATUSES).sum())
        warn = (
            "\n\n> **示例数据**:本报告使用虚构地区的合成数据,仅用于展示报告的各个部分,不代表任何真实地区。"
            " *Synthetic example: a fictional district with generated data, shown so that every part of the report"
            " is visible. It describes no real place.*"
            if self.synthetic
            else ""
        )
        return (
            f"## {self.title}\n\n"
            f"地区 {self.place};基期 {int(self.plan.base_year)} 年,目标年 {int(self.plan.target_year)} 年;"
            f"数据截至 {self.as_of} 年;外推模型 {self.model},预测区间 {self.level:.0%}。"
            f"共 {n} 项目标,其中 {k} 项有按目标口径的数据可以评价。"
            f" {n} targets; {k} have data on the target's definition up to {self.as_of}.{warn}"
        )

    def domain_table(self) -> pd.DataFrame:
        """Summary by domain: every target counted (qualitative goals without a domain as 未分类, so the rows add
        up to the plan's targets), the statuses in words, how many are met of those with a verdict, and the mean
        capped completion only where at least :data:`MIN_DOMAIN_SCORED` targets have one (a mean of one target
        is that target, not a domain)."""
        a = self.assessment
        zh = self._zh()
        dom = a["domain"].fillna("").map(lambda x: DOMAINS_ZH.get(x, x) or "未分类")
        rows = []
        for name, g in a.groupby(dom, sort=False):
            scored = g.status.isin(SCORED_STATUSES)
            met = g.status.isin(["met", "achieved"])
            comp = g.loc[scored, "completion_capped"].dropna()
            n = int(scored.sum())
            rows.append(
                {
                    "领域": name if zh else _DOMAIN_EN.get(name, name),
                    "目标数": len(g),
                    "各状态": "、".join(f"{label}{k}" for label, k in status_counts(g)),
                    "可评价": n,
                    "已完成或已达标": f"{int(met.sum())}/{n}" if n else "—",
                    "平均完成率(%)": number_text(round(100 * comp.mean(), 1))
                    if len(comp) >= MIN_DOMAIN_SCORED
                    else f"—(可评价{len(comp)}项,少于{MIN_DOMAIN_SCORED}项)",
                }
            )
        out = pd.DataFrame(rows)
        if not zh:
            out = out.rename(
                columns={
                    "领域": "Domain",
                    "目标数": "Targets",
                    "各状态": "Statuses",
                    "可评价": "Scored",
                    "已完成或已达标": "Met of scored",
                    "平均完成率(%)": "Mean completion (%)",
                }
            )
        return out

    def headline(self) -> pd.DataFrame:
        """Counts by status (Chinese labels), in the house order."""
        counts = self.assessment["status"].value_counts().reindex(STATUS_ORDER, fill_value=0)
        return pd.DataFrame(
            {"状态": [STATUS_ZH[s] for s in counts.index], "目标数": counts.to_numpy()}
        )

    def target_table(self) -> pd.DataFrame:
        """The target table with Chinese headers, values rounded for display only.

        完成率 is the capped completion (上限100%), as the method text describes; 差距 is what is still
        missing (positive: short of the target; zero or negative: met), for "at least" and "at most" alike;
        ranks and counts print as integers.
        """
        a = self.assessment
        out = pd.DataFrame(
            {
                "编号": a["target_id"],
                "指标": a["name_zh"].fillna("(定性目标)").replace("", "(定性目标)"),
                "目标": [target_text(r) for r in a.itertuples()],
                "目标年": a["target_year"],
                "最新值": [_latest_text(r) for r in a.itertuples()],
                "最新年份": a["latest_year"].astype("Int64"),
                "差距": a["gap"].map(number_text),
                "完成率(%)": (100 * a["completion_capped"]).map(number_text),
                "进度/序时(%)": [_progress_text(r) for r in a.itertuples()],
                "状态": a["status_zh"],
                "达标概率": a["p_target_met"].round(2),
                "数据": self.data_kind(),
                "数据来源": a["latest_source"].map(_source_host),
            }
        )
        return out

    def not_assessable(self) -> pd.DataFrame:
        """Targets without a scored verdict (无法评估, 口径不一致, 待核实, 不评分), with what would settle them."""
        lagging = ("behind", "regressing", "missed")
        a = self.assessment[
            ~self.assessment["status"].isin(SCORED_STATUSES)
            | self.assessment["status"].isin(lagging)
        ]
        zh = self._zh()
        out = pd.DataFrame(
            {
                "指标": [self._name(r) for r in a.itertuples()],
                "类型": a["target_type"].map(TARGET_TYPES_ZH)
                if zh
                else a["target_type"].astype(str),
                "状态": a["status_zh"] if zh else a["status"].map(STATUS_EN),
                "原因与所需数据": a["note"].map(zh_punct) if zh else a["note_en"],
            }
        )
        return out if zh else out.rename(columns=EN_COLUMNS)

    def data_kind(self) -> pd.Series:
        """Per target, what its values are: 内部数据 when any value of its series up to the latest year judged
        comes from the office's files, else 推算 when any is derived, else 公开发布 (empty without data)."""
        a, p = self.assessment, self.panel
        if "origin" not in p.columns:
            return pd.Series([""] * len(a), index=a.index)
        out = []
        for r in a.itertuples():
            if pd.isna(r.latest_year) or not r.indicator_id:
                out.append("")
                continue
            s = p[
                (p.jurisdiction_id == r.jurisdiction_id)
                & (p.indicator_id == r.indicator_id)
                & (p.year <= r.latest_year)
            ]
            origins = set(s.origin.dropna())
            kind = next(
                (o for o in ("synthetic", "office", "derived") if o in origins), "published"
            )
            out.append(ORIGINS[kind] if len(s) else "")
        return pd.Series(out, index=a.index)

    def office_values(self) -> pd.DataFrame:
        """The office's own values (内部数据) of the plan's place and indicators, with file, sheet and cell."""
        p = self.panel
        if "origin" not in p.columns:
            return pd.DataFrame()
        ids = set(self.assessment.indicator_id)
        own = p[
            (p.origin == "office")
            & (p.jurisdiction_id == self.plan.jurisdiction_id)
            & p.indicator_id.isin(ids)
        ]
        names = self.assessment.drop_duplicates("indicator_id").set_index("indicator_id").name_zh
        files = own.file.str.split(",").str[0].str.split("/").str[-1]
        # a file replaced by a revision (office add --replace): when, and that the old one is kept
        log = replacements()
        last = log.groupby("file").replaced_at.last() if len(log) else pd.Series(dtype=str)
        replaced = files.map(
            lambda f: f"{_utc_text(last[f])}替换,原文件保存在历史记录中" if f in last.index else ""
        )
        return pd.DataFrame(
            {
                "指标": own.indicator_id.map(names),
                "年份": own.year,
                "数值": own.value.map(number_text),
                "单位": own.unit,
                "文件": files,
                "工作表": own.sheet,
                "单元格": own.cell,
                "来源": own.source,
                "文件替换记录": replaced,
            }
        ).reset_index(drop=True)

    def precedence(self) -> pd.DataFrame:
        """Every pair of values for the plan's place and indicators that the data settled (differences and
        identical values from two sources), with both values and both sources."""
        log = precedence_log(self.panel)
        ids = set(self.assessment.indicator_id)
        log = log[(log.jurisdiction_id == self.plan.jurisdiction_id) & log.indicator_id.isin(ids)]
        names = self.assessment.drop_duplicates("indicator_id").set_index("indicator_id").name_zh
        rule_zh = {
            "identical": "两个来源数值相同,合为一个",
            "within_origin": "同类来源内按规则取舍",
            "between_origins.own_places": "本地区:内部数据优先",
            "between_origins.comparators": "比较地区:公开数据优先",
        }
        return pd.DataFrame(
            {
                "指标": log.indicator_id.map(names),
                "年份": log.year,
                "采用值": log.kept_value.map(number_text),
                "采用值来源": log.kept_origin.map(ORIGINS)
                + ":"
                + [_cited(s) for s in log.kept_source],
                "另一数值": log.other_value.map(number_text),
                "另一来源": log.other_origin.map(ORIGINS)
                + ":"
                + [_cited(s) for s in log.other_source],
                "规则": log.rule.map(
                    lambda r: next((v for k, v in rule_zh.items() if r.startswith(k)), r)
                ),
            }
        ).reset_index(drop=True)

    def requests(self) -> pd.DataFrame:
        """The data-request list (数据需求清单) of the plan, as ``qindex requests`` writes it."""
        if self.synthetic:
            return pd.DataFrame()
        t = requests_table(
            str(self.plan.plan_id), self.assessment, as_of=self.as_of, catalog=self.catalog
        )

        return reader_columns(t)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables a run writes to data/processed/<run>/."""
        log = precedence_log(self.panel)
        ids = set(self.assessment.indicator_id)
        return {
            "assessment": self.assessment,  # full source addresses
            "summary_by_domain": self.by_domain,
            "target_table_zh": self.target_table(),
            "office_values": self.office_values(),
            "precedence": log[log.indicator_id.isin(ids)],
            "data_requests": self.requests(),
        }


def _source_host(source: str) -> str:
    """The host of a source address, for a narrow table column (the full address is in the CSV)."""
    from urllib.parse import urlparse

    if not isinstance(source, str) or not source:
        return ""
    host = urlparse(source).netloc
    return host or source[:24]


def _latest_text(r) -> str:
    """The latest value for display: a rank as 第k名/n, a count without decimals, else 2 decimals."""
    if r.target_type == "rank" and pd.notna(r.rank):
        return (
            f"第{int(r.rank)}名/{int(r.n_peers)}" if pd.notna(r.n_peers) else f"第{int(r.rank)}名"
        )
    if pd.isna(r.latest_value):
        return ""
    return number_text(r.latest_value)


def _progress_text(r) -> str:
    """ "进度40%(序时67%)"; empty for a target already judged 已完成/未完成 (its time has run out)."""
    if pd.isna(r.progress_ratio) or pd.isna(r.elapsed_share) or r.status in ("met", "missed"):
        return ""
    return f"{100 * r.progress_ratio:.0f}%(序时{100 * r.elapsed_share:.0f}%)"


METHOD_TEXT = zh_punct(
    """
**方法说明。**

- **完成率** = 实际值 ÷ 目标值(越低越好的指标取 目标值 ÷ 实际值),表中按上限 100% 显示。**差距** = 离目标还差多少:
  “不低于”目标为 目标值 − 实际值,“不高于”目标为 实际值 − 目标值;正数表示未达到,零或负数表示已达到。
- **进度** = (实际值 − 基期值) ÷ (目标值 − 基期值),与 **序时进度** = 已过年数 ÷ 规划年数 比较:进度不低于序时进度为“快于序时进度”,
  低于为“滞后于序时进度”,为零或负为“未有进展或倒退”。基期值优先取方案或填报数据给出的基期值,否则取基期年及以后的第一个数据。
  只有基期年一个数据时为“仅有基期值”,只给出差距。
- 目标年已过的目标,按目标年及以前的数据判断“已完成/未完成”;目标年本身无数据时注明所据年份,如“已完成(据2021年数据)”。
- **累计目标**(新增X项):逐年数据只在各年齐全时相加;已有年份之和已达到目标则为达标,否则无法评估并列出缺少的年份。
  存量(获奖、认定总数)只增不减:目标年以后的存量仍低于目标即为未完成,例如 2023 年仍无中国质量奖,则“零突破”未完成。
  “存量还是新增”不明确的目标按两种理解分别评估,结论不同时为“待核实”。
- **排名目标**按公布的排名判断(名次、参评总数、范围、发布机构)。“第一”即第 1 名;“前列”“领先”按参评总数的前 10%、且至少前 3 名计。
  没有公布排名时,只有在至少 5 个同级地区有数据时才据面板数据计算排名。
- **趋势目标**(持续下降/提升)看方向:从基期到最新值朝目标方向变化,且各年之间没有超出公布精度(末位数字的一半)的反向变化;
  不做显著性检验的结论。少于3个年份的数据无法判断“持续”。目标年无数据、据更早年份判断的结论,若此后的数据与之不符,改为“待核实”并列出这些数据。
- 数据口径与目标不同为“口径不一致”,口径未确认为“待核实”:这些数据只作参考,不计入已完成比例和平均完成率。
  较大范围指标为 100%(或 0%)时,可推出其包含的较小范围同为 100%(或 0%),标为“推断”。定性和程序性目标列示不评分。
- **趋势外推**用规划期(基期年起)的数据拟合,少于 3 个时改用最近 5 个数据,并在说明中注明;图中紫线画在所用年份和外推年份上。
  外推值是拟合线在目标年的值,不是从最新值出发的延长线,所以最新值可能在拟合线之上或之下;预测区间围绕拟合线。
  **达标概率**是按拟合趋势到目标年仍达标的概率:目前已达标但趋势向不利方向时,概率可能很低,说明中会指出。

""".strip()
)

METHOD_TEXT_EN = """
**Method.** Completion = actual ÷ target (target ÷ actual when lower is better), shown capped at 100 %. Gap = what is still missing, positive
when short of the target for "at least" and "at most" targets alike. Progress from the base value (the plan's or the office's when
stated) is compared with the share of the plan period elapsed. Annual flows are summed only over complete years; stocks never
decrease, so a later stock below the target means missed. Rank targets are judged on published ranks ("前列": top 10 % of those
ranked, at least top 3). Trend targets are judged on direction with no reversal beyond the published rounding. Values on another or
an unconfirmed definition are context only and never scored. Projections fit the plan period (at least 3 values, else the last 5);
the projection is the fitted line at the target year, and P(met) the probability that the target holds then.
""".strip()
