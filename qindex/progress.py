"""Progress toward plan targets: one row per target with completion, progress against elapsed time, status,
growth ratio and a projection with P(target met).

:func:`assess` dispatches each target to the rule of its type; each rule is one function named after it:

=============  ==========================  ====================================================================
type           rule                        reading
=============  ==========================  ====================================================================
level          :func:`level_rule`          latest value against the target, progress against elapsed time
growth         :func:`growth_rule`         realised compound growth since the base year against the target rate
cumulative     :func:`cumulative_rule`     additions since the base year: complete annual flows, or bounds on a
                                           non-decreasing stock; "stock or addition" rows assessed both ways
rank           :func:`rank_rule`           a published rank (position of n in a named ranking) against top-k
trend          :func:`trend_rule`          "持续下降/提升": direction from base to latest, no reversal beyond
                                           the published rounding
procedural,    :func:`unscored_rule`       listed, never scored
qualitative
=============  ==========================  ====================================================================

After the rules, :func:`definition_check` overrides the verdict of targets whose data are on another
definition (口径不一致) or on an unconfirmed one (待核实): they are shown as context and never scored.

Conventions (``../shared/methods/progress.md`` §2, §8, §10), written down as project rules:

- 完成率 ``completion_ratio``: A/T when higher is better, T/A when lower is better; uncapped.
  ``completion_capped`` is the same capped at 1; reports show the capped value, as the method text says.
- 进度完成率 ``progress_ratio`` = (A − B)/(T − B) from the base value B: the catalogue's ``base_value`` at
  ``base_year`` when the plan (or the office) states one, else the first observation from the plan's base year.
- 序时进度 ``elapsed_share`` = (latest year − base year)/(target year − base year).
- ``gap``: what is still missing, in the indicator's unit (%/yr for growth): T − A for "at least" targets,
  A − T for "at most" targets. Positive: short of the target; zero or negative: met.
- status, in this order: a target year already past → met 已完成 / missed 未完成 (judged on data up to that
  year; 已完成(据2021年数据) when the last value before the target year is earlier); target met now → achieved
  已达标; progress ≥ elapsed share → ahead 快于序时进度; progress > 0 → behind 滞后于序时进度; otherwise
  regressing 未有进展或倒退. One point at the base year → baseline_only 仅有基期值 (gap shown). Data on
  another definition → not_comparable 口径不一致; on an unconfirmed one → unconfirmed 待核实. Procedural and
  qualitative targets → not_scored 不评分. No usable data → not_assessable 无法评估. Status is decided on
  unrounded values: a target counts as met only when it truly is.
- ``growth_ratio``: the direction-signed ratio of observed to required compound annual growth
  (Statistics Canada / Open SDG), ``growth_category`` with thresholds 0.95 / 0.60 / 0; a met target is
  ``target_achieved`` whatever the ratio.
- Projections fit the plan period (from the base year) when it has at least 3 values, else the last 5 values;
  ``fit_from``/``fit_to`` name the years used. The projection is the fitted line at the target year, not an
  extension of the last value: a last value above the line is a residual, and the band is the prediction
  interval around the line.

Every row has a Chinese ``note`` (names, not ids; for a target that cannot be scored, what would settle it)
and the same in English in ``note_en``.

Example
-------
>>> from qindex.panel import load_panel
>>> from qindex.catalog import targets
>>> a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022)
>>> a.set_index("target_id").loc["hz22-31", "status_zh"]   # PM2.5 <= 35 by 2022 (28 in 2021)
'已完成(据2021年数据)'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from qindex.catalog import UNSCORED_TYPES, Catalog, load_catalog
from qindex.observations import off_definition_flag, split_by_definition, year_ranges
from qindex.rankings import infer_at_bounds, load_implications, load_rankings
from qindex.schema import ASSESSMENT_COLUMNS, ASSESSMENT_EXTRA, RULE_COLUMNS
from qindex.trend import cagr, ols_by_group, project

STATUS_ZH = {
    "achieved": "已达标",
    "ahead": "快于序时进度",
    "behind": "滞后于序时进度",
    "regressing": "未有进展或倒退",
    "met": "已完成",
    "missed": "未完成",
    "baseline_only": "仅有基期值",
    "not_comparable": "口径不一致",
    "unconfirmed": "待核实",
    "not_assessable": "无法评估",
    "not_scored": "不评分",
}
STATUS_EN = {
    "achieved": "achieved",
    "ahead": "ahead of schedule",
    "behind": "behind schedule",
    "regressing": "no progress or regressing",
    "met": "met",
    "missed": "missed",
    "baseline_only": "baseline only",
    "not_comparable": "definition differs",
    "unconfirmed": "to be confirmed",
    "not_assessable": "not assessable",
    "not_scored": "not scored",
}
#: Order for tables and charts.
STATUS_ORDER = list(STATUS_ZH)
#: Statuses that carry a verdict on the target's own definition (counted as scored).
SCORED_STATUSES = ("achieved", "ahead", "behind", "regressing", "met", "missed", "baseline_only")
GROWTH_THRESHOLDS = (0.95, 0.60, 0.0)
#: Observation flags that keep a value out of scoring: another definition, or an unconfirmed one.
CONTEXT_FLAGS = {"definition_change": "not_comparable", "unconfirmed": "unconfirmed"}
#: How "前列/领先" (no rank given) reads as top-k: the top ``top_share`` of the ranked set, at least ``min_k``.
#: "第一" is written in the catalogue as rank 1 and needs no rule.
RANK_RULE = {"top_share": 0.10, "min_k": 3}
#: Points a projection fits at the least on the plan period before it falls back to the last few values.
MIN_FIT_POINTS, FALLBACK_FIT_POINTS = 3, 5

#: The columns of an assessment (:data:`qindex.schema.ASSESSMENT_COLUMNS`) and those after them, for reports.
COLUMNS, EXTRA = ASSESSMENT_COLUMNS, ASSESSMENT_EXTRA
#: Columns each rule fills (:data:`qindex.schema.RULE_COLUMNS`).
RESULT = RULE_COLUMNS


@dataclass
class Context:
    """What every rule reads: the scored observations, the context rows, the as-of year and the settings."""

    usable: pd.DataFrame  # on the indicator's definition and confirmed (inferred rows included)
    context: pd.DataFrame  # rows on another definition or unconfirmed: shown, never scored
    per_target: (
        pd.DataFrame
    )  # usable rows of each target's series up to its cap (tcode, year, value, srow)
    as_of: int
    catalog: Catalog
    rankings: pd.DataFrame
    rank_rule: Mapping[str, float]
    min_peers: int


def assess(
    panel: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: int | None = None,
    model: str = "linear",
    level: float = 0.95,
    rank_rule: Mapping[str, float] | None = None,
    min_peers: int = 5,
    catalog: Catalog | None = None,
    rankings: pd.DataFrame | None = None,
    implications: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assess every target against the observations.

    Parameters
    ----------
    panel : observations (``jurisdiction_id, indicator_id, year, value`` and optionally ``flag``,
        ``source``), e.g. :func:`qindex.panel.load_panel`. Not modified.
    targets : rows of the catalogue (:func:`qindex.catalog.targets`). Not modified.
    as_of : use only data up to this year ("what did we know at the end of 2022?"); default the latest
        year in ``panel``.
    model : projection model, one of ``qindex.trend.MODELS``.
    level : coverage of the prediction interval.
    rank_rule : ``top_share`` and ``min_k`` of the "前列" reading (default :data:`RANK_RULE`).
    min_peers : fewest same-level places with data for a rank computed from the panel.
    catalog : the catalogue (default the shipped one).
    rankings : published ranks (:func:`qindex.rankings.load_rankings`; default the shipped ones).
    implications : bound inferences (:func:`qindex.rankings.load_implications`; default the shipped ones).

    Returns
    -------
    DataFrame
        one row per target with the columns of :data:`COLUMNS` and :data:`EXTRA` (see the module docstring):
        ``judged_year`` the year the verdict rests on, ``inferred`` whether it rests on a bound inference,
        ``base_stated`` whether the base came from the catalogue, ``rank``/``n_peers``/``ranking`` for rank
        targets, ``fit_from``/``fit_to`` the years the projection used, ``note_en`` the note in English.

    Example
    -------
    >>> from qindex.catalog import targets
    >>> from qindex.panel import load_panel
    >>> a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022)
    >>> int((a.status == "met").sum())
    7
    """
    cat = catalog or load_catalog()
    tg = _prepare(targets, cat)
    as_of = int(panel["year"].max()) if as_of is None else int(as_of)
    implications = load_implications() if implications is None else implications
    rankings = load_rankings() if rankings is None else rankings
    panel = _with_source(panel)
    inferred = infer_at_bounds(panel, known_implications(implications, cat), cat)
    usable, context = (
        part.reset_index(drop=True)
        for part in split_by_definition(pd.concat([panel, inferred], ignore_index=True))
    )
    tg["cap"] = np.minimum(tg["target_year"].to_numpy(dtype=float), as_of)
    tg["past"] = tg["target_year"].to_numpy(dtype=float) <= as_of
    ctx = Context(
        usable,
        context,
        _observations_per_target(tg, usable),
        as_of,
        cat,
        rankings,
        {**RANK_RULE, **(rank_rule or {})},
        min_peers,
    )
    parts = []
    for types, rule in RULES:
        rows = tg.index[tg["target_type"].isin(types)]
        if len(rows):
            parts.append(rule(tg.loc[rows], ctx)[RESULT].set_axis(rows))
    res = _typed(pd.concat(parts).reindex(tg.index))
    res = definition_check(tg, res, ctx)
    out = pd.concat([tg.drop(columns=[c for c in RESULT if c in tg.columns]), res[RESULT]], axis=1)
    out = _projection(out, ctx, model, level)
    out["completion_capped"] = np.minimum(out["completion_ratio"], 1.0)
    out["growth_category"] = _growth_category(out)
    out["status_zh"] = _status_zh(out)
    out["model"] = model
    return out.reset_index(drop=True)[COLUMNS + EXTRA]


# ------------------------------------------------------------------ the rules, one per target type


def level_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Level targets ("达到X%以上", "控制在X以内"): the latest value up to the target year against the target.

    Completion A/T (T/A when lower is better), progress (A − B)/(T − B) against the elapsed share; the status
    ladder is :func:`schedule_status`. A base that already met the target and a latest value that has fallen
    back is regression, however large the ratio (progress.md §10.1, SC-6).
    """
    s = _series_state(t, ctx)
    A, B, T = s["A"], s["B"], s["T"]
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = np.where(T != B, (A - B) / (T - B), np.nan)
        base_met = np.where(s["at_most"], B < T, B > T) & ~np.isnan(B)
    out = schedule_status(t, s, value_now=A, progress=progress, base_met=base_met)
    out["completion_ratio"] = _completion(A, T, s["at_most"])
    return out


def growth_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Growth targets ("年均增长X%以上"): realised compound annual growth since the base year, in %/yr.

    Progress is realised ÷ required growth; completion likewise. One point gives no growth.
    """
    s = _series_state(t, ctx)
    realised = cagr(s["B"], s["A"], s["tb"], s["tl"]) * 100
    realised = np.where(s["tl"] > s["tb"], realised, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = realised / s["T"]
    out = schedule_status(
        t, s, value_now=realised, progress=progress, base_met=np.zeros(len(t), bool)
    )
    out["completion_ratio"] = np.where(np.isfinite(progress), progress, np.nan)
    for i in np.flatnonzero(~np.isnan(realised)):
        _say(
            out,
            i,
            f"{int(s['tb'][i])}年以来实际年均增长{realised[i]:.2f}%",
            f"realised growth {realised[i]:.2f} %/yr since {int(s['tb'][i])}",
        )
    return out


def schedule_status(t, s, value_now, progress, base_met) -> pd.DataFrame:
    """The 序时进度 ladder shared by level and growth targets (progress.md §8, CN-4/CN-5).

    Past target year → met/missed on data up to it; met now → achieved; one point at the base year →
    baseline_only; progress ≥ elapsed share → ahead; 0 < progress < elapsed → behind; else regressing.
    """
    n = len(t)
    A, B, T, tb, tl, ty = (s[k] for k in ("A", "B", "T", "tb", "tl", "ty"))
    with np.errstate(invalid="ignore"):
        met = np.where(s["at_most"], value_now <= T, value_now >= T) & ~np.isnan(value_now)
        met |= (t["comparator"].to_numpy() == "==") & (value_now == T)
        elapsed = np.where(ty > tb, (tl - tb) / (ty - tb), np.nan)
    has = ~np.isnan(A)
    in_plan = has & ~np.isnan(B)
    one_point = in_plan & (tl == tb)
    past = t["past"].to_numpy()
    status = np.full(n, "not_assessable", dtype=object)
    decided = in_plan & ~np.isnan(value_now)
    status = np.where(decided & past, np.where(met, "met", "missed"), status)
    live = decided & ~past
    status = np.where(live & met, "achieved", status)
    undecided = live & ~met
    at_base = undecided & one_point & (tb == s["plan_base"])
    status = np.where(at_base, "baseline_only", status)
    status = np.where(undecided & base_met & ~one_point, "regressing", status)
    decide = undecided & ~one_point & ~base_met & ~np.isnan(progress)
    status = np.where(decide & (progress >= elapsed), "ahead", status)
    status = np.where(decide & (progress < elapsed) & (progress > 0), "behind", status)
    status = np.where(decide & ~(progress > 0), "regressing", status)
    out = _blank(t)
    out["status"] = status
    out["latest_year"], out["latest_value"] = s["tl"], A
    out["base_year"], out["base_value"] = tb, B
    out["n_points"], out["latest_source"] = s["n_points"], s["source"]
    out["inferred"] = s["inferred"]
    out["gap"] = np.where(has, np.where(s["at_most"], value_now - T, T - value_now), np.nan)
    out["progress_ratio"] = np.where(in_plan & ~one_point & ~base_met, progress, np.nan)
    out["elapsed_share"] = np.where(in_plan, elapsed, np.nan)
    out["judged_year"] = np.where(decided | at_base, tl, np.nan)
    zh, en = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    place, name = t["place_zh"].to_numpy(), t["name_zh"].to_numpy()
    place_en, holder = t["place_en"].to_numpy(), t["data_holder"].to_numpy()
    cap, pb, gap = s["cap"], s["plan_base"], out["gap"].to_numpy(float)

    # Notes are built column-wise (a few of them hold for most rows of a large panel): each ``note`` call
    # gets the row positions it applies to and returns the Chinese and English sentences for them.
    def note(mask, say):
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        for arr, sep, text in zip((zh, en), (";", "; "), say(idx), strict=True):
            text = np.broadcast_to(np.asarray(text, dtype=object), idx.shape)
            old = arr[idx]
            arr[idx] = np.where(old == "", text, old + sep + text)

    Y = _year_text
    N = _number_text
    note(
        ~has,
        lambda i: (
            "截至" + Y(cap[i]) + "年没有" + place[i] + name[i] + "的数据",
            "no data for " + place_en[i] + " up to " + Y(cap[i]),
        ),
    )
    note(
        has & np.isnan(B),
        lambda i: (
            "最新值(" + Y(tl[i]) + "年)早于规划基期" + Y(pb[i]) + "年,不能衡量规划期进展",
            "the latest value (" + Y(tl[i]) + ") predates the plan's base year " + Y(pb[i]),
        ),
    )
    note(
        s["base_stated"] & in_plan,
        lambda i: (
            "基期值" + N(B[i]) + "(" + Y(tb[i]) + "年)取自方案或填报数据",
            "base value " + N(B[i]) + " (" + Y(tb[i]) + ") as stated in the plan or by the office",
        ),
    )
    note(
        in_plan & ~s["base_stated"] & (tb > pb),
        lambda i: (
            "基期" + Y(pb[i]) + "年无数据,以" + Y(tb[i]) + "年为起点",
            "base year " + Y(pb[i]) + " has no value; base taken from " + Y(tb[i]),
        ),
    )
    note(
        at_base,
        lambda i: (
            place[i]
            + name[i]
            + "仅有基期"
            + Y(tb[i])
            + "年的值"
            + N(A[i])
            + ",距目标还差"
            + N(abs(gap[i])),
            "only the base-year value ("
            + Y(tb[i])
            + ": "
            + N(A[i])
            + "); the gap is "
            + N(abs(gap[i])),
        ),
    )
    note(
        undecided & one_point & ~at_base,
        lambda i: (
            "规划期内仅有一个数据点("
            + Y(tl[i])
            + "年),无法衡量进度;需要基期"
            + Y(pb[i])
            + "年的值",
            "one point only in the plan period (" + Y(tl[i]) + "): no progress to measure",
        ),
    )
    base_is_target = undecided & ~one_point & (T == B)
    note(
        base_is_target,
        lambda i: (
            "基期值等于目标值" + N(T[i]) + ",最新值低于目标",
            "base equals target: progress ratio undefined; the latest value is off target",
        ),
    )
    note(
        undecided & base_met & ~one_point,
        lambda i: (
            "基期值" + N(B[i]) + "已达到目标,最新值已回落",
            "the base value (" + N(B[i]) + ") already met the target; the latest has fallen back",
        ),
    )
    note(
        decided & past & (tl < ty),
        lambda i: (
            "目标年" + Y(ty[i]) + "年无数据,据" + Y(tl[i]) + "年数据判断",
            "judged on " + Y(tl[i]) + ", the latest value up to the target year",
        ),
    )
    note(
        s["inferred"],
        lambda i: (s["inferred_note"][i], "inferred at a natural bound from a wider series"),
    )
    status = np.where(base_is_target, "regressing", status)
    note(
        (status == "not_assessable") & (holder != ""),
        lambda i: ("可向" + holder[i] + "索取", "held by " + holder[i]),
    )
    out["status"] = status
    out["note"], out["note_en"] = zh, en
    return out


def cumulative_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Cumulative targets ("新增X项", "培育X家", "实现零突破"): additions since the base year.

    - Annual flows are summed only over complete years (base+1 … the year judged). A partial sum that already
      reaches the target is met/achieved; otherwise not assessable, naming the missing years.
    - A stock (observations flagged ``cumulative``) never decreases, so the additions up to year y lie in
      [lowest S(y) − highest S(base), highest S(y) − lowest S(base)]: S(y) is at least any earlier stock and
      at most any later one; S(base) at least 0 and at most any later stock, or exactly the catalogue's (or
      the office's) base value. Stocks after the target year bound it from above: 中国质量奖 0 in 2023 means
      no award in 2019–2022, so "零突破" by 2022 was missed.
    - A row with caveat ``stock_or_addition`` is also read as a stock level; differing verdicts → unconfirmed.
    """
    out = _blank(t)
    for i, (_, row) in enumerate(t.iterrows()):
        addition = _additions(row, ctx)
        verdict = addition
        if "stock_or_addition" in row["caveat"]:
            stock = _stock_level(row, ctx)
            if addition["status"] != stock["status"]:
                verdict = {**addition, "status": "unconfirmed", "judged_year": np.nan}
            zh = f"按新增理解:{addition['zh']};按存量理解:{stock['zh']}"
            en = f"as additions: {addition['en']}; as a stock: {stock['en']}"
            if verdict["status"] == "unconfirmed":
                zh += ";两种理解结论不同,请质量强市办确认口径"
                en += "; the readings differ: the office should confirm which is meant"
            verdict = {**verdict, "zh": zh, "en": en}
        _record(out, i, row, verdict)
    return out


def rank_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Rank targets ("位居全国前列", "保持全省第一"): the latest published rank against top-k.

    A published rank (``rankings.csv``: position, number ranked, scope, ranking, publisher) of the target's
    scope inside the plan period decides. k is the catalogue's value ("第一" = 1), else the "前列" rule
    :data:`RANK_RULE`: the top 10 % of the ranked set and at least the top 3. Without a published rank, a rank
    is computed from the panel only when at least ``min_peers`` same-level places have data.
    """
    out = _blank(t)
    for i, (_, row) in enumerate(t.iterrows()):
        _record(out, i, row, _published_rank(row, ctx) or _panel_rank(row, ctx))
    return out


def trend_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Trend targets ("持续下降", "稳步提升", "不断提高"): judged on direction, not on significance.

    The values from the base year to the year judged must move in the wanted direction from first to last,
    with no year-on-year reversal larger than the published rounding (half a unit of the last digit shown, on
    each side). Fewer than 2 values: not assessable. A past target year → met/missed; a live one → achieved
    (so far as wanted), behind (right overall, with a reversal) or regressing (wrong way). The one-sided slope
    test is reported in the note as confidence, never used as a gate: with three values it has one degree of
    freedom and no power.
    """
    out = _blank(t)
    for i, (_, row) in enumerate(t.iterrows()):
        pts = ctx.per_target[ctx.per_target["tcode"] == row["tcode"]]
        pts = pts[pts["year"] >= row["plan_base_year"]]
        years, values = pts["year"].to_numpy(float), pts["value"].to_numpy(float)
        if pd.notna(row["stated_base_value"]) and row["stated_base_year"] not in years:
            years = np.r_[row["stated_base_year"], years]
            values = np.r_[row["stated_base_value"], values]
        out.iloc[i, out.columns.get_loc("n_points")] = len(years)
        word = "上升" if row["comparator"] == ">=" else "下降"
        if len(years) < 2:
            _no_data(out, i, row, row["cap"], need=f"至少两个年份的数据才能判断是否持续{word}")
            _settle(out, i, row)
            continue
        want = 1.0 if row["comparator"] == ">=" else -1.0
        steps = want * np.diff(values)
        slack = np.array([_rounding(a) + _rounding(b) for a, b in itertools.pairwise(values)])
        reversals = [f"{int(years[k])}→{int(years[k + 1])}" for k in np.flatnonzero(steps < -slack)]
        overall = want * (values[-1] - values[0]) > 0
        holds = overall and not reversals
        if row["past"]:
            status = "met" if holds else "missed"
        else:
            status = "achieved" if holds else ("behind" if overall else "regressing")
        p = _one_sided_p(years, values, want)
        series = "、".join(
            f"{int(y)}年{number_text(v)}" for y, v in zip(years, values, strict=True)
        )
        zh = f"{series}:" + (
            f"持续{word}"
            if holds
            else (f"总体{word}但{'、'.join(reversals)}反向" if overall else f"未{word}")
        )
        en = f"{len(years)} values {int(years[0])}–{int(years[-1])}: " + (
            "moving as wanted throughout"
            if holds
            else (
                f"right overall, reversed {', '.join(reversals)}" if overall else "wrong direction"
            )
        )
        if not np.isnan(p):
            zh += f"(斜率单侧检验 p = {p:.3f},仅作参考)"
            en += f" (one-sided slope test p = {p:.3f}, for information)"
        for key, value in {
            "status": status,
            "latest_year": years[-1],
            "latest_value": values[-1],
            "base_year": years[0],
            "base_value": values[0],
            "judged_year": years[-1],
        }.items():
            out.iloc[i, out.columns.get_loc(key)] = value
        _say(out, i, zh, en)
    return out


def unscored_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Procedural thresholds (hz15-18 自查得分) and qualitative goals: listed, never scored."""
    out = _blank(t)
    out["status"] = "not_scored"
    for i, (_, row) in enumerate(t.iterrows()):
        if row["target_type"] == "procedural":
            _say(
                out,
                i,
                "程序性要求(申请验收前的条件),列示不评分",
                "procedural requirement before applying for acceptance: listed, not scored",
            )
        else:
            _say(out, i, "定性目标,列示不评分", "qualitative goal: listed, not scored")
    return out


RULES = [
    (("level",), level_rule),
    (("growth",), growth_rule),
    (("cumulative",), cumulative_rule),
    (("rank",), rank_rule),
    (("trend",), trend_rule),
    (UNSCORED_TYPES, unscored_rule),
]


def definition_check(tg: pd.DataFrame, res: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Definitions must match: a target scored on a series of another definition is not a verdict.

    - A target with caveat ``definition_differs`` → not_comparable 口径不一致; ``definition_unconfirmed`` →
      unconfirmed 待核实. The latest observation is kept as context; gap and ratios are blanked.
    - A target with no scored verdict whose only observations are flagged ``definition_change`` (or
      ``unconfirmed``) → not_comparable (or unconfirmed), with the latest such value as context.
    """
    res = res.copy()
    ctxrows = ctx.context
    series = pd.MultiIndex.from_arrays([tg["jurisdiction_id"], tg["indicator_id"]])
    has_context = series.isin(
        pd.MultiIndex.from_arrays([ctxrows["jurisdiction_id"], ctxrows["indicator_id"]])
    )
    caveated = tg["caveat"].str.contains("definition_").to_numpy()
    check = caveated | (has_context & (res["status"] == "not_assessable").to_numpy())
    for pos, row in tg[check].iterrows():
        caveats = set(filter(None, row["caveat"].split(";")))
        status = None
        if "definition_differs" in caveats:
            status = "not_comparable"
        elif "definition_unconfirmed" in caveats:
            status = "unconfirmed"
        elif res.at[pos, "status"] == "not_assessable" and row["target_type"] != "rank":
            c = ctxrows[
                (ctxrows["jurisdiction_id"] == row["jurisdiction_id"])
                & (ctxrows["indicator_id"] == row["indicator_id"])
                & (ctxrows["year"] <= row["cap"])
            ]
            if len(c):
                last = c.sort_values("year").iloc[-1]
                status = CONTEXT_FLAGS[off_definition_flag(last["flag"])]
                res.at[pos, "latest_year"], res.at[pos, "latest_value"] = (
                    last["year"],
                    last["value"],
                )
                res.at[pos, "latest_source"] = last["source"]
                why = (last.get("note", "") or "").split(" | ")[0]
                res.at[pos, "note"] = f"{int(last['year'])}年的值{number_text(last['value'])}" + (
                    f"口径与目标不同:{why}" if status == "not_comparable" else f"口径待核实:{why}"
                )
                res.at[pos, "note_en"] = (
                    f"the {int(last['year'])} value {number_text(last['value'])} is on "
                    + (
                        "another definition"
                        if status == "not_comparable"
                        else "an unconfirmed definition"
                    )
                    + (f": {why}" if why else "")
                )
        if status is None:
            continue
        if caveats & {"definition_differs", "definition_unconfirmed"}:
            note = (row["note"] or "").split(" | ")[0]
            shown = res.at[pos, "latest_value"]
            value = (
                f"最新值{number_text(float(shown))}({int(res.at[pos, 'latest_year'])}年)仅作参考;"
                if pd.notna(shown)
                else ""
            )
            res.at[pos, "note"] = (
                f"{value}目标口径与现有数据口径不同,不评分:{note}"
                if status == "not_comparable"
                else f"{value}口径待核实,不评分:{note}"
            )
            res.at[pos, "note_en"] = (
                "the target's definition differs from the series; shown as context, not scored: "
                if status == "not_comparable"
                else "definition to be confirmed; shown as context, not scored: "
            ) + note
        res.at[pos, "status"] = status
        for col in ("gap", "completion_ratio", "progress_ratio", "judged_year"):
            res.at[pos, col] = np.nan
        res.at[pos, "growth_ratio"] = np.nan
    return res


# ------------------------------------------------------------------ cumulative: flows and stocks


def _additions(row, ctx: Context) -> dict:
    """The addition reading of a cumulative target; see :func:`cumulative_rule`."""
    base, ty, T = int(row["plan_base_year"]), int(row["target_year"]), row["target_value"]
    judged = int(min(ty, ctx.as_of))
    series = _series_rows(row, ctx, ctx.as_of)
    is_stock = series["flag"].str.contains("cumulative").any() or pd.notna(row["stated_base_value"])
    out = {"base_year": base, "base_value": 0.0, "judged_year": np.nan, "n_points": len(series)}
    if series.empty and pd.isna(row["stated_base_value"]):
        return out | {
            "status": "not_assessable",
            "zh": f"截至{ctx.as_of}年没有{row['place_zh']}{row['name_zh']}的数据",
            "en": f"no data for {row['place_en']} up to {ctx.as_of}",
        }
    if is_stock:
        lo, hi, how = _stock_bounds(series, judged, base, row)
        out |= {"latest_year": judged, "latest_source": _last(series, "source")}
        if lo == hi:
            return out | _schedule_additions(row, lo, judged, ctx) | {"latest_value": lo}
        if lo >= T:
            status = "met" if row["past"] else "achieved"
            return out | {
                "status": status,
                "latest_value": lo,
                "judged_year": judged,
                "zh": f"{base}—{judged}年新增至少{number_text(lo)}({how})",
                "en": f"additions {base}–{judged} at least {number_text(lo)} ({how})",
                "gap": T - lo,
                "completion_ratio": lo / T,
            }
        if row["past"] and hi < T:
            return out | {
                "status": "missed",
                "latest_value": hi,
                "judged_year": judged,
                "zh": f"{base}—{judged}年新增至多{number_text(hi)}({how})",
                "en": f"additions {base}–{judged} at most {number_text(hi)} ({how})",
                "gap": T - hi,
                "completion_ratio": hi / T,
            }
        need = f"需提供{base}年存量" if not np.isfinite(hi) or lo < hi else ""
        return out | {
            "status": "not_assessable",
            "zh": f"新增数只能确定在{number_text(lo)}至{'∞' if np.isinf(hi) else f'{number_text(hi)}'}之间({how});{need}",
            "en": f"additions only known to lie in [{number_text(lo)}, {number_text(hi)}] ({how}); the {base} stock is needed",
        }
    flows = series[(series["year"] > base) & (series["year"] <= judged)]
    wanted = list(range(base + 1, judged + 1))
    missing = [y for y in wanted if y not in set(flows["year"].astype(int))]
    total = float(flows["value"].sum())
    out |= {"latest_year": flows["year"].max() if len(flows) else np.nan}
    out |= {"latest_source": _last(flows, "source")}
    years = f"{base + 1}—{judged}年"
    if not missing:
        return out | _schedule_additions(row, total, judged, ctx) | {"latest_value": total}
    if total >= T:
        return out | {
            "status": "met" if row["past"] else "achieved",
            "latest_value": total,
            "judged_year": judged,
            "gap": T - total,
            "completion_ratio": total / T,
            "zh": f"已有年份合计{number_text(total)},缺{year_ranges(missing)}年也已达到目标",
            "en": f"the years on record already add to {number_text(total)} (missing {year_ranges(missing)})",
        }
    if flows.empty:
        return out | {
            "status": "not_assessable",
            "zh": f"没有{row['place_zh']}{years}逐年新增的{row['name_zh']}数据",
            "en": f"no annual additions for {base + 1}–{judged}",
        }
    return out | {
        "status": "not_assessable",
        "latest_value": np.nan,
        "zh": f"逐年新增数缺{year_ranges(missing)}年,已有年份合计{number_text(total)},不足以判断{years}累计",
        "en": f"annual additions missing for {year_ranges(missing)}; the years on record add to {number_text(total)}",
    }


def _schedule_additions(row, additions: float, judged: int, ctx: Context) -> dict:
    """An exact count of additions: met/missed for a past target, else the 序时进度 ladder."""
    T, base, ty = row["target_value"], row["plan_base_year"], row["target_year"]
    progress, elapsed = additions / T, (judged - base) / (ty - base)
    if row["past"]:
        status = "met" if additions >= T else "missed"
    elif additions >= T:
        status = "achieved"
    elif additions <= 0:
        status = "regressing"
    else:
        status = "ahead" if progress >= elapsed else "behind"
    return {
        "status": status,
        "judged_year": judged,
        "gap": T - additions,
        "completion_ratio": progress,
        "progress_ratio": progress if not row["past"] else np.nan,
        "elapsed_share": elapsed,
        "zh": f"{int(base)}—{judged}年新增{number_text(additions)}",
        "en": f"additions {int(base)}–{judged}: {number_text(additions)}",
    }


def _stock_bounds(series: pd.DataFrame, judged: int, base: int, row) -> tuple[float, float, str]:
    """Bounds on stock(judged) − stock(base) for a non-decreasing stock."""
    y, v = series["year"].to_numpy(), series["value"].to_numpy(float)
    s_lo = v[y <= judged].max() if (y <= judged).any() else 0.0
    s_hi = v[y >= judged].min() if (y >= judged).any() else np.inf
    if pd.notna(row["stated_base_value"]):
        b_lo = b_hi = float(row["stated_base_value"])
        how = f"基期存量{number_text(b_lo)}取自方案或填报"
    else:
        b_lo = v[y <= base].max() if (y <= base).any() else 0.0
        b_hi = v[y >= base].min() if (y >= base).any() else np.inf
        how = (
            f"{base}年存量{number_text(b_lo)}"
            if b_lo == b_hi
            else (f"{base}年存量未知" if b_hi > 0 else f"存量为0,故{base}年存量亦为0")
        )
    parts = []
    if (y > judged).any() and s_hi < np.inf and not (y == judged).any():
        parts.append(f"{y[y > judged].min()}年存量{number_text(s_hi)}为上限")
    how = ";".join([how, *parts])
    return max(s_lo - b_hi, 0.0), s_hi - b_lo, how


def _stock_level(row, ctx: Context) -> dict:
    """The stock reading of a "stock or addition" target: stock(target year) against the target."""
    T, ty = row["target_value"], int(row["target_year"])
    judged = int(min(ty, ctx.as_of))
    series = _series_rows(row, ctx, ctx.as_of)
    series = series[series["flag"].str.contains("cumulative")]
    if series.empty:
        return {"status": "not_assessable", "zh": "没有存量数据", "en": "no stock data"}
    y, v = series["year"].to_numpy(), series["value"].to_numpy(float)
    reached = y[(y <= judged) & (v >= T)]
    if len(reached):
        year = int(reached.min())
        return {
            "status": "met" if row["past"] else "achieved",
            "zh": f"{year}年存量{number_text(v[y == year].max())}已达到{number_text(T)}",
            "en": f"the stock reached {number_text(v[y == year].max())} ≥ {number_text(T)} in {year}",
        }
    later = v[y >= ty]
    if row["past"] and len(later) and later.min() < T:
        return {
            "status": "missed",
            "zh": f"{int(y[y >= ty].min())}年存量{number_text(later.min())}仍低于{number_text(T)}",
            "en": f"the stock was still {number_text(later.min())} < {number_text(T)} after the target year",
        }
    return {
        "status": "not_assessable",
        "zh": f"最新存量{number_text(v[-1])}({int(y[-1])}年)尚未达到{number_text(T)}",
        "en": f"the latest stock {number_text(v[-1])} ({int(y[-1])}) is below {number_text(T)}",
    }


# ------------------------------------------------------------------ rank


def _published_rank(row, ctx: Context) -> dict | None:
    """The verdict from the latest published rank of the target's scope inside the plan period."""
    r = ctx.rankings
    if r.empty:
        return None
    scope = row["scope"] or "national"
    mine = r[
        (r["jurisdiction_id"] == row["jurisdiction_id"])
        & (r["indicator_id"] == row["indicator_id"])
        & (r["scope"] == scope)
        & (r["year"] <= row["cap"])
    ].sort_values("year")
    if mine.empty:
        return None
    last = mine.iloc[-1]
    pos, n, year = int(last["rank"]), int(last["n_ranked"]), int(last["year"])
    k = _top_k(row, n, ctx.rank_rule)
    what = f"{last['ranking']}({last['publisher']}){year}年第{pos}名(共{n}个)"
    what_en = f"rank {pos} of {n} in {year} ({last['ranking']}, {last['publisher']})"
    base = {
        "rank": pos,
        "n_peers": n,
        "ranking": f"{last['ranking']}({last['publisher']})",
        "latest_year": year,
        "latest_source": last["source"],
        "n_points": len(mine),
    }
    if year <= row["plan_base_year"]:
        return base | {
            "status": "not_assessable",
            "zh": f"{what},早于规划基期{int(row['plan_base_year'])}年,仅作基期参考;需{int(row['plan_base_year']) + 1}年以后的排名",
            "en": f"{what_en}, before the plan's base year: context only; a later rank is needed",
        }
    ok = pos <= k
    status = ("met" if ok else "missed") if row["past"] else ("achieved" if ok else "behind")
    return base | {
        "status": status,
        "judged_year": year,
        "zh": f"{what},{_k_text(row, k, n, ctx.rank_rule)}",
        "en": f"{what_en}; target top {k}",
    }


def _panel_rank(row, ctx: Context) -> dict:
    """A rank computed from the panel among same-level places (same province for scope ``province``)."""
    jur = ctx.catalog.jurisdictions.set_index("jurisdiction_id")
    j = row["jurisdiction_id"]
    level_j = jur.at[j, "level"]
    peers = jur.index[jur["level"] == level_j]
    if row["scope"] == "province":
        peers = jur.index[(jur["level"] == level_j) & (jur["parent_id"] == jur.at[j, "parent_id"])]
    u = ctx.usable
    s = u[(u["indicator_id"] == row["indicator_id"]) & u["jurisdiction_id"].isin(peers)]
    s = s[s["year"] <= row["cap"]]
    own = s[s["jurisdiction_id"] == j]
    no_rank = f"没有{row['place_zh']}{row['name_zh']}的公布排名"
    if row["scope"] == "peer_tier":
        return {
            "status": "not_assessable",
            "zh": f"{no_rank};“同等城市”的名单须由质量强市办确定",
            "en": "no published rank; the office must name the peer cities of the same tier",
        }
    if own.empty:
        return {
            "status": "not_assessable",
            "zh": f"{no_rank},也没有{row['place_zh']}{row['name_zh']}的数据",
            "en": f"no published rank and no data for {row['place_en']}",
        }
    year = int(own["year"].max())
    same_year = s[s["year"] == year]
    n = same_year["jurisdiction_id"].nunique()
    if n < ctx.min_peers:
        return {
            "status": "not_assessable",
            "n_peers": n,
            "zh": f"{no_rank};{year}年只有{n}个同级地区有数据,自行计算排名至少需要{ctx.min_peers}个",
            "en": f"no published rank; only {n} {level_j}(s) with data in {year}, a computed rank needs {ctx.min_peers}",
        }
    d = row["direction"]
    values = same_year.groupby("jurisdiction_id")["value"].last()
    pos = int((d * values > d * values[j]).sum() + 1)
    k = _top_k(row, n, ctx.rank_rule)
    ok = pos <= k
    status = ("met" if ok else "missed") if row["past"] else ("achieved" if ok else "behind")
    return {
        "status": status,
        "rank": pos,
        "n_peers": n,
        "ranking": "据面板数据计算",
        "latest_year": year,
        "judged_year": year,
        "zh": f"据面板数据计算,{year}年在{n}个同级地区中第{pos}名,{_k_text(row, k, n, ctx.rank_rule)}",
        "en": f"computed from the panel: rank {pos} of {n} in {year} (target: top {k})",
    }


def _top_k(row, n: int, rule: Mapping[str, float]) -> int:
    if pd.notna(row["target_value"]):
        return int(row["target_value"])
    return max(int(rule["min_k"]), math.ceil(rule["top_share"] * n))


def _k_text(row, k: int, n: int, rule) -> str:
    if pd.notna(row["target_value"]):
        return f"目标为前{k}名"
    return f"“前列”按前{rule['top_share']:.0%}且至少前{int(rule['min_k'])}名计,即前{k}名"


# ------------------------------------------------------------------ shared machinery


def _series_state(t: pd.DataFrame, ctx: Context) -> dict:
    """Latest and base values of each target's series, as arrays over the rows of ``t``."""
    m = ctx.per_target
    codes = t["tcode"].to_numpy()
    sel = m[m["tcode"].isin(codes)]
    g = sel.groupby("tcode", sort=False)
    latest = g[["year", "value", "srow"]].last().reindex(codes)
    n_points = g.size().reindex(codes, fill_value=0).to_numpy()
    after = sel[sel["year"] >= sel["plan_base_year"]]
    first_after = after.groupby("tcode", sort=False)[["year", "value"]].first().reindex(codes)
    stated = t["stated_base_value"].notna().to_numpy() & t["stated_base_year"].notna().to_numpy()
    tb = np.where(
        stated, t["stated_base_year"].to_numpy(float), first_after["year"].to_numpy(float)
    )
    B = np.where(
        stated, t["stated_base_value"].to_numpy(float), first_after["value"].to_numpy(float)
    )
    srow = latest["srow"].to_numpy()
    has = ~np.isnan(srow)
    idx = np.where(has, srow, 0).astype(int)
    usable = ctx.usable
    flags = usable["flag"].to_numpy(dtype=object)[idx] if len(usable) else np.full(len(t), "")
    notes = usable["note"].to_numpy(dtype=object)[idx] if len(usable) else np.full(len(t), "")
    sources = usable["source"].to_numpy(dtype=object)[idx] if len(usable) else np.full(len(t), "")
    codes, uniques = pd.factorize(pd.Series(flags, dtype=object).fillna(""))
    inferred = has & np.array(["inferred" in str(u) for u in uniques], dtype=bool)[codes]
    return {
        "A": latest["value"].to_numpy(float),
        "tl": latest["year"].to_numpy(float),
        "B": B,
        "tb": tb,
        "T": t["target_value"].to_numpy(float),
        "ty": t["target_year"].to_numpy(float),
        "cap": t["cap"].to_numpy(float),
        "plan_base": t["plan_base_year"].to_numpy(float),
        "at_most": (t["comparator"] == "<=").to_numpy(),
        "n_points": n_points,
        "source": np.where(has, sources, ""),
        "inferred": inferred,
        "inferred_note": np.where(inferred, notes, ""),
        "base_stated": stated,
    }


def _series_rows(row, ctx: Context, up_to: int) -> pd.DataFrame:
    u = ctx.usable
    s = u[
        (u["jurisdiction_id"] == row["jurisdiction_id"])
        & (u["indicator_id"] == row["indicator_id"])
        & (u["year"] <= up_to)
    ]
    return s.sort_values("year")


def _observations_per_target(tg: pd.DataFrame, usable: pd.DataFrame) -> pd.DataFrame:
    """Every observation of each target's series up to its cap year, sorted by target and year.

    Joins, sorts and groups run on integer codes (``tcode`` = target position, ``srow`` = row of
    ``usable``), which keeps 300,000 targets × 12 years within a few seconds.
    """
    j_codes, j_uniques = pd.factorize(usable["jurisdiction_id"])
    i_codes, i_uniques = pd.factorize(usable["indicator_id"])
    n_ind = max(len(i_uniques), 1)
    obs_series = j_codes.astype(np.int64) * n_ind + i_codes
    tj = pd.Index(j_uniques).get_indexer(tg["jurisdiction_id"])
    ti = pd.Index(i_uniques).get_indexer(tg["indicator_id"])
    tseries = np.where((tj >= 0) & (ti >= 0), tj.astype(np.int64) * n_ind + ti, -1)
    left = pd.DataFrame(
        {
            "tcode": tg["tcode"].to_numpy(),
            "series": tseries,
            "cap": tg["cap"].to_numpy(),
            "plan_base_year": tg["plan_base_year"].to_numpy(),
        }
    )
    right = pd.DataFrame(
        {
            "series": obs_series,
            "year": usable["year"].to_numpy(),
            "value": usable["value"].to_numpy(dtype=float),
            "srow": np.arange(len(usable), dtype=float),
        }
    )
    m = left[left["series"] >= 0].merge(right, on="series")
    m = m[m["year"].to_numpy() <= m["cap"].to_numpy()]
    order = np.lexsort((m["year"].to_numpy(), m["tcode"].to_numpy()))
    return m.iloc[order].reset_index(drop=True)


def _prepare(targets: pd.DataFrame, cat: Catalog) -> pd.DataFrame:
    tg = targets.copy().reset_index(drop=True)
    plans = cat.plans.set_index("plan_id")
    if "jurisdiction_id" not in tg.columns:
        tg["jurisdiction_id"] = tg["plan_id"].map(plans["jurisdiction_id"])
    tg["plan_base_year"] = tg["plan_id"].map(plans["base_year"]).astype(float)
    ind = cat.indicators.set_index("indicator_id")
    for col in ("name_zh", "unit", "direction", "domain", "lower_limit", "upper_limit"):
        if col not in tg.columns:
            tg[col] = tg["indicator_id"].map(ind[col])
    holder = ind["data_holder"] if "data_holder" in ind.columns else pd.Series(dtype=object)
    tg["data_holder"] = tg["indicator_id"].map(holder).astype(object).fillna("")
    jur = cat.jurisdictions.set_index("jurisdiction_id")
    tg["place_zh"] = tg["jurisdiction_id"].map(jur["name_zh"]).fillna(tg["jurisdiction_id"])
    tg["place_en"] = tg["jurisdiction_id"].map(jur["name_en"]).fillna(tg["jurisdiction_id"])
    tg["name_zh"] = tg["name_zh"].fillna("")
    tg["direction"] = tg["direction"].astype(float)
    tg["target_year"] = tg["target_year"].astype(int)
    tg["target_value"] = pd.to_numeric(tg["target_value"], errors="coerce").astype(float)
    for col in ("scope", "caveat", "note"):
        tg[col] = tg[col].fillna("").astype(str) if col in tg.columns else ""
    # R7: a base stated in the catalogue (or supplied by the office) is used, not dropped
    tg["stated_base_year"] = pd.to_numeric(tg.get("base_year"), errors="coerce").astype(float)
    tg["stated_base_value"] = pd.to_numeric(tg.get("base_value"), errors="coerce").astype(float)
    tg["stated_base_year"] = tg["stated_base_year"].where(tg["stated_base_value"].notna(), np.nan)
    tg["stated_base_year"] = tg["stated_base_year"].where(
        tg["stated_base_year"].notna() | tg["stated_base_value"].isna(), tg["plan_base_year"]
    )
    tg["base_stated"] = tg["stated_base_value"].notna()
    tg["tcode"] = np.arange(len(tg))
    return tg.drop(columns=["base_year", "base_value"], errors="ignore")


def _with_source(panel: pd.DataFrame) -> pd.DataFrame:
    out = panel
    for col in ("source", "flag", "note", "quote"):
        if col not in out.columns:
            out = out.assign(**{col: ""})
    if out["flag"].isna().any():
        out = out.assign(flag=out["flag"].fillna(""))
    return out


def known_implications(implications: pd.DataFrame, cat: Catalog) -> pd.DataFrame:
    """The implications whose places and indicators the catalogue knows (a test catalogue may not)."""
    if implications.empty:
        return implications
    j, i = set(cat.jurisdictions.jurisdiction_id), set(cat.indicators.indicator_id)
    keep = (
        implications["from_jurisdiction_id"].isin(j)
        & implications["to_jurisdiction_id"].isin(j)
        & implications["from_indicator_id"].isin(i)
        & implications["to_indicator_id"].isin(i)
    )
    return implications[keep]


def _record(out: pd.DataFrame, i: int, row, verdict: dict) -> None:
    """Write one row's verdict (result columns, its sentences, and who holds the data when undecided)."""
    for key, value in verdict.items():
        if key in out.columns:
            out.iloc[i, out.columns.get_loc(key)] = value
    _say(out, i, verdict["zh"], verdict["en"])
    if verdict["status"] == "not_assessable":
        _settle(out, i, row)


def _blank(t: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=range(len(t)), columns=RESULT, dtype=object)
    for col in RESULT:
        out[col] = np.nan
    out["status"] = "not_assessable"
    out["note"], out["note_en"], out["latest_source"], out["ranking"] = "", "", "", ""
    out["inferred"] = False
    out["n_points"] = 0
    return out


def _say(out: pd.DataFrame, i: int, zh: str, en: str) -> None:
    """Append a Chinese and an English sentence to row position ``i``."""
    for col, text in (("note", zh), ("note_en", en)):
        if not text:
            continue
        j = out.columns.get_loc(col)
        old = out.iat[i, j]
        out.iat[i, j] = (
            f"{old};{text}" if col == "note" and old else (f"{old}; {text}" if old else text)
        )


def _no_data(out, i, row, cap, need: str = "") -> None:
    cap = int(cap)
    zh = f"截至{cap}年没有{row['place_zh']}{row['name_zh']}的数据"
    en = f"no data for {row['place_en']} up to {cap}"
    if need:
        zh, en = f"{row['place_zh']}{row['name_zh']}:{need}", f"{en} (two years are needed)"
    _say(out, i, zh, en)


def _settle(out, i, row) -> None:
    """Name what would settle a target that cannot be assessed: the holder of the data."""
    holder = row.get("data_holder", "") or ""
    if holder:
        _say(out, i, f"可向{holder}索取", f"held by {holder}")


def _year_text(years: np.ndarray) -> np.ndarray:
    """Years as text, element-wise (an object array, so that ``+`` joins strings)."""
    return np.asarray(years, dtype=float).astype(int).astype(str).astype(object)


def _number_text(values: np.ndarray) -> np.ndarray:
    """:func:`_n` element-wise."""
    return np.array([number_text(v) for v in np.atleast_1d(values)], dtype=object)


def number_text(value) -> str:
    """A number for a sentence or a table cell: at most two decimals, no trailing zeros (93.65, 28, 0.5);
    empty for a missing value."""
    v = round(float(value), 2)
    if not np.isfinite(v):
        return "∞" if v > 0 else ("−∞" if v < 0 else "")
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"


def _completion(A, T, at_most):
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(at_most, T / A, A / T)
    return np.where(np.isfinite(ratio), ratio, np.nan)


def _rounding(value: float) -> float:
    """Half a unit of the last digit a published value shows (40 → 0.5, 29.8 → 0.05)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals


def _one_sided_p(years, values, want) -> float:
    if len(years) < 3:
        return float("nan")
    fit = ols_by_group(np.zeros(len(years), dtype=int), years, values, 1)
    slope, se = fit["slope"][0], fit["se_slope"][0]
    if not se > 0:
        return 0.0 if want * slope > 0 else 1.0
    return float(stats.t.sf(want * slope / se, fit["n"][0] - 2))


def _last(frame: pd.DataFrame, col: str) -> str:
    return str(frame[col].iloc[-1]) if len(frame) and col in frame.columns else ""


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for col in RESULT:
        if col in ("status", "note", "note_en", "latest_source", "ranking"):
            out[col] = out[col].fillna("").astype(str)
        elif col == "inferred":
            out[col] = out[col].fillna(False).astype(bool)
        else:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def _growth_category(out: pd.DataFrame) -> np.ndarray:
    """Statistics Canada / Open SDG signed growth ratio and its category (level and cumulative rows)."""
    B, A = out["base_value"].to_numpy(float), out["latest_value"].to_numpy(float)
    tb, tl = out["base_year"].to_numpy(float), out["latest_year"].to_numpy(float)
    T, ty = out["target_value"].to_numpy(float), out["target_year"].to_numpy(float)
    d = out["direction"].to_numpy(float)
    level_like = out["target_type"].isin(["level"]).to_numpy()
    scored = out["status"].isin(SCORED_STATUSES).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        req = cagr(B, T, tb, ty)
        obs = cagr(B, A, tb, tl)
        sign = np.where(B < 0, -1.0, 1.0)
        gratio = np.where(level_like & scored & (tl > tb), d * sign * obs / np.abs(req), np.nan)
        gratio = np.where(np.isfinite(gratio), gratio, np.nan)
    growth = out["target_type"].eq("growth").to_numpy()
    out["growth_ratio"] = np.where(growth, out["growth_ratio"], gratio)
    met = out["status"].isin(["met", "achieved"]).to_numpy() & (level_like | growth)
    g = out["growth_ratio"].to_numpy(float)
    return np.select(
        [met, g >= 0.95, g >= 0.60, g >= 0, g < 0],
        [
            "target_achieved",
            "substantial_progress",
            "moderate_progress",
            "limited_progress",
            "deterioration",
        ],
        default="",
    )


def _status_zh(out: pd.DataFrame) -> pd.Series:
    """Chinese status, with the year judged on when it is earlier than the target year and (推断)."""
    text = out["status"].map(STATUS_ZH).to_numpy(dtype=object)
    early = (
        out["status"].isin(["met", "missed"]) & (out["judged_year"] < out["target_year"])
    ).to_numpy()
    idx = np.flatnonzero(early)
    text[idx] = text[idx] + "(据" + _year_text(out["judged_year"].to_numpy()[idx]) + "年数据)"
    idx = np.flatnonzero(out["inferred"].to_numpy())
    text[idx] = text[idx] + "(推断)"
    return pd.Series(text, index=out.index)


def _projection(out: pd.DataFrame, ctx: Context, model: str, level: float) -> pd.DataFrame:
    """Project level targets to the target year on the plan period (≥ 3 points) or the last 5 points."""
    proj_cols = ["projected_value", "projected_lower", "projected_upper", "p_target_met"]
    out = out.copy()
    for col in [*proj_cols, "fit_from", "fit_to"]:
        out[col] = np.nan
    sel = out.index[
        (out["target_type"] == "level")
        & out["latest_value"].notna()
        & out["status"].isin(SCORED_STATUSES)
        & ~out["inferred"]
    ]
    if not len(sel):
        return out
    m = ctx.per_target[ctx.per_target["tcode"].isin(out.loc[sel, "tcode"])]
    plan_part = m[m["year"] >= m["plan_base_year"]]
    enough = plan_part.groupby("tcode").size()
    enough = set(enough.index[enough >= MIN_FIT_POINTS])
    fit = pd.concat(
        [
            plan_part[plan_part["tcode"].isin(enough)],
            m[~m["tcode"].isin(enough)].groupby("tcode").tail(FALLBACK_FIT_POINTS),
        ]
    )
    series = fit[["tcode", "year", "value"]].rename(columns={"tcode": "series"})
    meta = out.loc[sel].set_index("tcode")
    pr = project(
        series,
        meta["target_year"].astype(float),
        model=model,
        level=level,
        threshold=meta["target_value"],
        direction=pd.Series(np.where(meta["comparator"] == "<=", -1, 1), index=meta.index),
        lower_limit=meta["lower_limit"],
        upper_limit=meta["upper_limit"],
    )
    span = fit.groupby("tcode")["year"].agg(["min", "max"]).reindex(pr.index)
    pos = pd.Series(out.index, index=out["tcode"]).reindex(pr.index).to_numpy()
    out.loc[pos, proj_cols] = pr[proj_cols].to_numpy(dtype=float)
    out.loc[pos, "fit_from"] = span["min"].to_numpy(dtype=float)
    out.loc[pos, "fit_to"] = span["max"].to_numpy(dtype=float)
    # notes only where there is something to say (a few rows): the fallback window, a model note, a low P
    live = ~out.loc[pos, "past"].to_numpy(dtype=bool)
    p_met = pr["p_target_met"].to_numpy(dtype=float)
    fallback = ~pr.index.isin(list(enough)) & (pr["n"].to_numpy() >= MIN_FIT_POINTS) & live
    model_note = (pr["note"].to_numpy() != "") & live
    with np.errstate(invalid="ignore"):
        low_p = (out.loc[pos, "status"].to_numpy() == "achieved") & (p_met < 0.5)
    for k in np.flatnonzero(fallback | model_note | low_p):
        i, p = pos[k], pr.iloc[k]
        zh, en = [], []
        if fallback[k]:
            zh.append(f"规划期数据不足{MIN_FIT_POINTS}个,外推用最近{int(p['n'])}个数据")
            en.append(
                f"fewer than {MIN_FIT_POINTS} values in the plan period: projected on the last {int(p['n'])}"
            )
        if model_note[k]:
            zh.append(_projection_note_zh(p["note"]))
            en.append(p["note"])
        if low_p[k]:
            zh.append(
                f"目前已达标,但按拟合趋势到{int(out.at[i, 'target_year'])}年仍达标的概率仅{p_met[k]:.0%}"
            )
            en.append(f"met now, but the fitted trend gives P(met) {p_met[k]:.0%}")
        out.at[i, "note"] = ";".join(filter(None, [out.at[i, "note"], *zh]))
        out.at[i, "note_en"] = "; ".join(filter(None, [out.at[i, "note_en"], *en]))
    return out


def _projection_note_zh(note: str) -> str:
    if note.startswith("fewer than"):
        return "数据点少于3个,不给预测区间"
    if "Holt" in note:
        return "Holt模型需要连续年份"
    if "log-linear" in note:
        return "对数线性模型需要正值"
    if "logit" in note:
        return "logit模型需要数值严格位于自然上下限之间"
    return note


def summarise(
    assessment: pd.DataFrame,
    by: Sequence[str] = ("plan_id", "domain"),
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Counts per status and attainment per group.

    Only scored statuses (:data:`SCORED_STATUSES`) enter ``n_scored``, ``share_achieved`` and the attainment
    score; 口径不一致, 待核实, 无法评估 and 不评分 are counted but never scored.

    Parameters
    ----------
    assessment : output of :func:`assess`.
    by : grouping columns.
    weights : weight per ``target_id`` for the attainment score (default: equal weights).

    Returns
    -------
    DataFrame
        one row per group: ``n_targets``, one count column per status of :data:`STATUS_ORDER`,
        ``n_scored`` (targets with a verdict on their own definition), ``met_on_earlier_data`` (met/missed judged on a year before the target year),
        ``share_achieved`` (achieved or met, over scored), ``mean_completion`` (mean capped completion over
        scored targets with a completion ratio) and ``attainment_score`` 0–100 (weighted mean of capped
        completion × 100 over the same targets).

    Example
    -------
    >>> from qindex.catalog import targets
    >>> from qindex.panel import load_panel
    >>> a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022)
    >>> summarise(a, by=("plan_id",))[["n_targets", "n_scored"]].values.tolist()
    [[41, 7]]
    """
    a = assessment.copy()
    w = pd.Series(1.0, index=a.index)
    if weights is not None:
        w = a["target_id"].map(pd.Series(weights)).fillna(0.0).astype(float)
    a["_w"] = w
    keys_all = [a[c] for c in by]
    counts = pd.crosstab(keys_all, a["status"]).reindex(columns=STATUS_ORDER, fill_value=0)
    g = a.groupby(list(by))
    out = counts.copy()
    out.insert(0, "n_targets", g.size())
    out["n_scored"] = out[list(SCORED_STATUSES)].sum(axis=1)
    early = a["status"].isin(["met", "missed"]) & (a["judged_year"] < a["target_year"])
    out["met_on_earlier_data"] = early.groupby(keys_all).sum().reindex(out.index, fill_value=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_achieved"] = (out["achieved"] + out["met"]) / out["n_scored"].where(
            out["n_scored"] > 0
        )
    has = a[a["completion_capped"].notna() & a["status"].isin(SCORED_STATUSES)]
    keys = [has[c] for c in by]
    weighted = (has["completion_capped"] * has["_w"]).groupby(keys).sum()
    total_w = has["_w"].groupby(keys).sum()
    out["mean_completion"] = has["completion_capped"].groupby(keys).mean()
    out["attainment_score"] = 100 * weighted / total_w.where(total_w > 0)
    out.columns.name = None
    return out.reset_index()
