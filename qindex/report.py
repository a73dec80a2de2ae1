"""Tables for people: aligned plain-text tables with Chinese text, and exports Excel opens correctly."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qindex.catalog import TARGET_TYPES_ZH
from qindex.progress import number_text


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return (
            f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
        )
    return str(value)


def format_table(frame: pd.DataFrame, digits: int = 2, max_width: int = 40) -> str:
    """Render ``frame`` as an aligned text table; numbers right-aligned, text left-aligned.

    Cells longer than ``max_width`` display columns are cut with an ellipsis. Rounding is for display only.

    Example
    -------
    >>> print(format_table(pd.DataFrame({"指标": ["PM2.5"], "目标": [35.0]})))
    指标   目标
    -----  ----
    PM2.5    35
    """
    cols = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    body = [
        [_clip(_cell(v, digits), max_width) for v in row] for row in frame.itertuples(index=False)
    ]
    widths = [
        max([display_width(h)] + [display_width(r[j]) for r in body]) for j, h in enumerate(cols)
    ]

    def line(cells, header=False):
        out = []
        for j, c in enumerate(cells):
            pad = " " * (widths[j] - display_width(c))
            out.append(pad + c if numeric[j] and not header else c + pad)
        return "  ".join(out).rstrip()

    rows = [line(cols, header=True), "  ".join("-" * w for w in widths)]
    rows += [line(r) for r in body]
    return "\n".join(rows)


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


# ---------------------------------------------------------------- plan progress report


@dataclass
class PlanReport:
    """Everything the plan-progress notebook shows, computed by the library (no logic in the notebook)."""

    plan: pd.Series
    assessment: pd.DataFrame
    by_domain: pd.DataFrame
    projections: dict
    panel: pd.DataFrame
    as_of: int
    model: str
    level: float
    synthetic: bool

    @property
    def place(self) -> str:
        from qindex.catalog import load_catalog

        names = load_catalog().jurisdictions.set_index("jurisdiction_id")["name_zh"]
        return str(names.get(self.plan.jurisdiction_id, self.plan.jurisdiction_id))

    @property
    def title(self) -> str:
        title = f"{self.plan.title_zh}:目标进展评估({self.as_of}年)"
        if self.synthetic and not title.startswith("【示例数据"):
            title = "【示例数据(合成,非真实数据)】" + title
        return title

    def intro(self) -> str:
        """Markdown: the title and one paragraph saying what is assessed, on which data."""
        a = self.assessment
        from qindex.progress import SCORED_STATUSES

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
        """Summary by domain with Chinese headers."""
        from qindex.catalog import DOMAINS_ZH
        from qindex.progress import STATUS_ZH

        d = self.by_domain.copy()
        d["domain"] = d["domain"].map(DOMAINS_ZH).fillna(d["domain"])
        names = {
            "domain": "领域",
            "n_targets": "目标数",
            "n_scored": "已评价",
            "met_on_earlier_data": "据早年数据判断",
            **STATUS_ZH,
        }
        names.update(
            {
                "share_achieved": "达标比例",
                "mean_completion": "平均完成率",
                "attainment_score": "达标得分",
            }
        )
        return d.rename(columns=names).round(3)

    def headline(self) -> pd.DataFrame:
        """Counts by status (Chinese labels), in the house order."""
        from qindex.progress import STATUS_ORDER, STATUS_ZH

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
                "目标": [_target_text(r) for r in a.itertuples()],
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
        from qindex.progress import SCORED_STATUSES

        a = self.assessment[~self.assessment["status"].isin(SCORED_STATUSES)]
        return pd.DataFrame(
            {
                "编号": a["target_id"],
                "指标": a["name_zh"].fillna("(定性目标)").replace("", "(定性目标)"),
                "类型": a["target_type"].map(TARGET_TYPES_ZH),
                "状态": a["status_zh"],
                "原因与所需数据": a["note"],
            }
        )

    def data_kind(self) -> pd.Series:
        """Per target, what its values are: 内部数据 when any value of its series up to the latest year judged
        comes from the office's files, else 推算 when any is derived, else 公开发布 (empty without data)."""
        from qindex.observations import ORIGINS

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
        return pd.DataFrame(
            {
                "指标": own.indicator_id.map(names),
                "年份": own.year,
                "数值": own.value.map(number_text),
                "单位": own.unit,
                "文件": own.file.str.split(",").str[0].str.split("/").str[-1],
                "工作表": own.sheet,
                "单元格": own.cell,
                "来源": own.source,
            }
        ).reset_index(drop=True)

    def precedence(self) -> pd.DataFrame:
        """Every pair of values for the plan's place and indicators that the data settled (differences and
        identical values from two sources), with both values and both sources."""
        from qindex.observations import ORIGINS
        from qindex.office import precedence_log

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
                + log.kept_source.str.split(": ", n=1).str[-1],
                "另一数值": log.other_value.map(number_text),
                "另一来源": log.other_origin.map(ORIGINS)
                + ":"
                + log.other_source.str.split(": ", n=1).str[-1],
                "规则": log.rule.map(
                    lambda r: next((v for k, v in rule_zh.items() if r.startswith(k)), r)
                ),
            }
        ).reset_index(drop=True)

    def requests(self) -> pd.DataFrame:
        """The data-request list (数据需求清单) of the plan, as ``qindex requests`` writes it."""
        from qindex.data_requests import requests_table

        if self.synthetic:
            return pd.DataFrame()
        t = requests_table(str(self.plan.plan_id), as_of=self.as_of, assessment=self.assessment)
        return t.drop(columns=["reason_code", "target_id", "indicator_id", "口径", "说明"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables a run writes to data/processed/<run>/."""
        from qindex.office import precedence_log

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


def _target_text(r) -> str:
    if r.target_type == "qualitative":
        return "定性"
    if r.target_type == "trend":
        return "持续上升" if r.comparator == ">=" else "持续下降"
    if r.target_type == "rank":
        return f"前{int(r.target_value)}名" if pd.notna(r.target_value) else "前列"
    unit = "%/年" if r.target_type == "growth" else (r.unit or "")
    prefix = "新增" if r.target_type == "cumulative" else ""
    return f"{prefix}{r.comparator} {r.target_value:g} {unit}".strip()


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
    if pd.isna(r.progress_ratio) or pd.isna(r.elapsed_share):
        return ""
    return f"{100 * r.progress_ratio:.0f} / {100 * r.elapsed_share:.0f}"


def plan_report(
    plan_id: str,
    as_of: int | None = None,
    model: str = "linear",
    level: float = 0.95,
    synthetic: bool = False,
) -> PlanReport:
    """Assess one plan on the shipped data, or on the synthetic example district when ``synthetic``.

    ``as_of`` ``None`` or 0 means the latest year with data for the plan's jurisdiction (at most the
    plan's target year), so that a plan is judged on what is known about its own place.
    """
    from qindex.catalog import load_catalog, targets
    from qindex.observations import load_panel
    from qindex.progress import assess, summarise
    from qindex.synthetic import example_panel

    if synthetic:
        cat, panel, tg = example_panel(plan_id)
        plan_key = f"example-{plan_id}"
    else:
        cat, panel, tg = load_catalog(), load_panel(), targets(plan_id)
        plan_key = plan_id
    plan = cat.plans.set_index("plan_id").loc[plan_key].copy()
    plan["plan_id"] = plan_key
    if not as_of:
        own = panel[panel["jurisdiction_id"] == plan.jurisdiction_id]
        as_of = int(own["year"].max()) if len(own) else int(plan.target_year)
    a = assess(panel, tg, as_of=as_of, model=model, level=level, catalog=cat)
    if (
        not synthetic
    ):  # charts show the values inferred at a bound (hz22-32, gs25-14) as hollow points
        from qindex.rankings import infer_at_bounds, load_implications

        panel = pd.concat(
            [panel, infer_at_bounds(panel, load_implications(), cat)], ignore_index=True
        )
    by_domain = summarise(a, by=("domain",))
    projections = projection_paths(a, panel, model=model, level=level, as_of=as_of)
    return PlanReport(plan, a, by_domain, projections, panel, int(as_of), model, level, synthetic)


def projection_paths(assessment, panel, model="linear", level=0.95, as_of=None) -> dict:
    """For each level target with a projection: the fitted path from the last observed year to the target
    year, with its prediction band (``year, value, lower, upper``)."""
    from qindex.trend import project

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
    from qindex.catalog import load_catalog

    ind = load_catalog().indicators.set_index("indicator_id")
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


def show(frame: pd.DataFrame, digits: int = 2):
    """A table for a report: no index, numbers rounded for display only, empty cells blank."""
    return (
        frame.style.hide(axis="index")
        .format(precision=digits, na_rep="", thousands=None)
        .set_uuid("qindex")
        .set_table_attributes('class="qindex-table"')
    )


def save_tables(tables: dict[str, pd.DataFrame], output_dir: str | Path | None) -> list[Path]:
    """Write each table as ``<name>.csv`` (utf-8-sig) into ``output_dir``; nothing when it is empty."""
    from qindex.store import write_csv

    if not output_dir:
        return []
    return [write_csv(frame, Path(output_dir) / f"{name}.csv") for name, frame in tables.items()]


METHOD_TEXT = """
**方法说明 Method.**

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
  斜率检验的 p 值只作参考。少于两个年份的数据无法评估。
- 数据口径与目标不同为“口径不一致”,口径未确认为“待核实”:这些数据只作参考,不计入达标比例和达标得分。
  较大范围指标为 100%(或 0%)时,可推出其包含的较小范围同为 100%(或 0%),标为“推断”。定性和程序性目标列示不评分。
- **趋势外推**用规划期(基期年起)的数据拟合,少于 3 个时改用最近 5 个数据,并在说明中注明;图中紫线画在所用年份和外推年份上。
  外推值是拟合线在目标年的值,不是从最新值出发的延长线,所以最新值可能在拟合线之上或之下;预测区间围绕拟合线。
  **达标概率**是按拟合趋势到目标年仍达标的概率:目前已达标但趋势向不利方向时,概率可能很低,说明中会指出。

Completion = actual ÷ target (target ÷ actual when lower is better), shown capped at 100 %. Gap = what is still missing, positive
when short of the target for "at least" and "at most" targets alike. Progress from the base value (the plan's or the office's when
stated) is compared with the share of the plan period elapsed. Annual flows are summed only over complete years; stocks never
decrease, so a later stock below the target means missed. Rank targets are judged on published ranks ("前列": top 10 % of those
ranked, at least top 3). Trend targets are judged on direction with no reversal beyond the published rounding. Values on another or
an unconfirmed definition are context only and never scored. Projections fit the plan period (at least 3 values, else the last 5);
the projection is the fitted line at the target year, and P(met) the probability that the target holds then.
""".strip()
