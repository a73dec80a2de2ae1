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
relative       :func:`relative_rule`       "低于全国平均水平", "不低于GDP增幅": the series against its benchmark's
                                           (another place, or another indicator) in the latest common year
procedural,    :func:`unscored_rule`       listed, never scored
qualitative
=============  ==========================  ====================================================================

After the rules, :func:`definition_check` overrides the verdict of targets whose data are on another
definition (口径不一致) or on an unconfirmed one (待核实): they are shown as context and never scored.

Conventions (the project's method note on progress assessment, §2, §8, §10), written down here as project rules:

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from qindex.catalog import BENCHMARK_COLUMNS, UNSCORED_TYPES, Catalog, load_catalog
from qindex.observations import off_definition_flag, split_by_definition, year_ranges
from qindex.rankings import infer_at_bounds, load_implications, load_rankings
from qindex.schema import ASSESSMENT_COLUMNS, ASSESSMENT_EXTRA, RULE_COLUMNS, STATUS_ZH
from qindex.trend import cagr, ols_by_group, project

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
    tg["benchmark_zh"] = _benchmark_names(tg, cat)
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
    res = later_check(tg, res, ctx)
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
        if len(idx):
            _append_notes(zh, en, idx, *say(idx))

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

    Every target is decided at once from per-target aggregates of its series up to the as-of year.
    """
    s = _Series(t, ctx, _observations_per_target(t.assign(cap=ctx.as_of), ctx.usable))
    n, y, v, p = len(t), s.y, s.v, s.p
    T, ty = t["target_value"].to_numpy(float), t["target_year"].to_numpy(float)
    base = t["plan_base_year"].to_numpy(float)
    judged = np.minimum(ty, ctx.as_of)
    past = t["past"].to_numpy(bool)
    sv = t["stated_base_value"].to_numpy(float)
    stated = ~np.isnan(sv)
    jp = judged[p]
    is_stock = (s.any(s.flag_has("cumulative")) | stated) & ((s.count > 0) | stated)
    add = _Verdicts(t)
    add.col["base_year"], add.col["base_value"] = base, np.zeros(n)
    add.col["n_points"] = s.count
    none = (s.count == 0) & ~stated
    add.say(
        none,
        lambda i: (
            "截至" + str(ctx.as_of) + "年没有" + add.place[i] + add.name[i] + "的数据",
            "no data for " + add.place_en[i] + " up to " + str(ctx.as_of),
        ),
    )

    # stocks: bounds on stock(judged) − stock(base)
    s_lo = s.max(v, y <= jp, empty=0.0)
    s_hi = s.min(v, y >= jp, empty=np.inf)
    b_lo = np.where(stated, sv, s.max(v, y <= base[p], empty=0.0))
    b_hi = np.where(stated, sv, s.min(v, y >= base[p], empty=np.inf))
    lo, hi = np.maximum(s_lo - b_hi, 0.0), s_hi - b_lo
    after = s.min(y, y > jp, empty=np.nan)
    bound_after = ~np.isnan(after) & (s_hi < np.inf) & ~s.any(y == jp)
    how = np.where(
        stated,
        "基期存量" + _number_text(sv) + "取自方案或填报",
        np.where(
            b_lo == b_hi,
            _year_text(base) + "年存量" + _number_text(b_lo),
            np.where(
                b_hi > 0,
                _year_text(base) + "年存量未知",
                "存量为0,故" + _year_text(base) + "年存量亦为0",
            ),
        ),
    ).astype(object)
    how = np.where(
        bound_after,
        how + ";" + _year_text(np.nan_to_num(after)) + "年存量" + _number_text(s_hi) + "为上限",
        how,
    )
    exact = is_stock & (lo == hi)
    add.schedule(exact, lo, judged)
    at_least = is_stock & ~exact & (lo >= T)
    at_most = is_stock & ~exact & ~at_least & past & (hi < T)
    unsure = is_stock & ~exact & ~at_least & ~at_most
    add.set(is_stock, latest_year=judged, latest_source=s.last_text(ctx.usable["source"]))
    add.set(exact, latest_value=lo)
    for mask, value, word, word_en in (
        (at_least, lo, "至少", "at least"),
        (at_most, hi, "至多", "at most"),
    ):
        add.count(
            mask, np.where(at_least, np.where(past, "met", "achieved"), "missed"), value, judged
        )
        add.say(
            mask,
            lambda i, value=value, word=word, word_en=word_en: (
                _year_text(base[i])
                + "—"
                + _year_text(judged[i])
                + "年新增"
                + word
                + _number_text(value[i])
                + "("
                + how[i]
                + ")",
                "additions "
                + _year_text(base[i])
                + "–"
                + _year_text(judged[i])
                + " "
                + word_en
                + " "
                + _number_text(value[i])
                + " ("
                + how[i]
                + ")",
            ),
        )
    need = np.where(~np.isfinite(hi) | (lo < hi), "需提供" + _year_text(base) + "年存量", "")
    add.say(
        unsure,
        lambda i: (
            "新增数只能确定在"
            + _number_text(lo[i])
            + "至"
            + _number_text(hi[i])
            + "之间("
            + how[i]
            + ");"
            + need[i],
            "additions only known to lie in ["
            + _number_text(lo[i])
            + ", "
            + _number_text(hi[i])
            + "] ("
            + how[i]
            + "); the "
            + _year_text(base[i])
            + " stock is needed",
        ),
    )

    # annual flows over the complete years base+1 … judged
    flows = ~none & ~is_stock
    in_range = (y > base[p]) & (y <= jp)
    total = s.sum(v, in_range)
    wanted = np.maximum(judged - base, 0)
    complete = s.count_unique_years(in_range) >= wanted
    add.set(
        flows,
        latest_year=s.max(y, in_range, empty=np.nan),
        latest_source=s.last_text(ctx.usable["source"], in_range),
    )
    add.schedule(flows & complete, total, judged)
    add.set(flows & complete, latest_value=total)
    partial_met = flows & ~complete & (total >= T)
    empty = flows & ~complete & ~partial_met & ~s.any(in_range)
    short = flows & ~complete & ~partial_met & ~empty
    missing = np.full(n, "", dtype=object)
    for i in np.flatnonzero(partial_met | short):
        have = set(y[s.slice(i)][in_range[s.slice(i)]].astype(int).tolist())
        missing[i] = year_ranges(
            [yr for yr in range(int(base[i]) + 1, int(judged[i]) + 1) if yr not in have]
        )
    add.count(partial_met, np.where(past, "met", "achieved"), total, judged)
    add.say(
        partial_met,
        lambda i: (
            "已有年份合计" + _number_text(total[i]) + ",缺" + missing[i] + "年也已达到目标",
            "the years on record already add to "
            + _number_text(total[i])
            + " (missing "
            + missing[i]
            + ")",
        ),
    )
    years_zh = _year_text(base + 1) + "—" + _year_text(judged) + "年"
    add.say(
        empty,
        lambda i: (
            "没有" + add.place[i] + years_zh[i] + "逐年新增的" + add.name[i] + "数据",
            "no annual additions for " + _year_text(base[i] + 1) + "–" + _year_text(judged[i]),
        ),
    )
    add.say(
        short,
        lambda i: (
            "逐年新增数缺"
            + missing[i]
            + "年,已有年份合计"
            + _number_text(total[i])
            + ",不足以判断"
            + years_zh[i]
            + "累计",
            "annual additions missing for "
            + missing[i]
            + "; the years on record add to "
            + _number_text(total[i]),
        ),
    )

    # "stock or addition": also read as a stock level; differing readings → unconfirmed
    both = t["caveat"].str.contains("stock_or_addition", regex=False).to_numpy()
    if both.any():
        _stock_reading(add, s, both, T, ty, judged, past)
    add.settle()
    return add.frame()


def _stock_reading(add: _Verdicts, s: _Series, both, T, ty, judged, past) -> None:
    """The stock reading of "stock or addition" targets (stock(target year) against the target), set beside
    the addition reading; where the two differ, the status is unconfirmed and no year is judged."""
    y, v, p = s.y, s.v, s.p
    cum = s.flag_has("cumulative")
    has = s.any(cum)
    reached_year = s.min(y, cum & (y <= judged[p]) & (v >= T[p]), empty=np.nan)
    reached_value = s.max(v, cum & (y == reached_year[p]), empty=np.nan)
    later = s.min(v, cum & (y >= ty[p]), empty=np.nan)
    later_year = s.min(y, cum & (y >= ty[p]), empty=np.nan)
    last = s.last(cum)
    last_year, last_value = np.r_[y, np.nan][last], np.r_[v, np.nan][last]
    N, Y = _number_text, _year_text
    reached = has & ~np.isnan(reached_year)
    fell = has & ~reached & past & ~np.isnan(later) & (later < T)
    status = np.where(
        reached, np.where(past, "met", "achieved"), np.where(fell, "missed", "not_assessable")
    )
    zh = np.full(len(T), "没有存量数据", dtype=object)
    en = np.full(len(T), "no stock data", dtype=object)
    for mask, say in (
        (
            reached,
            lambda i: (
                Y(reached_year[i]) + "年存量" + N(reached_value[i]) + "已达到" + N(T[i]),
                "the stock reached "
                + N(reached_value[i])
                + " ≥ "
                + N(T[i])
                + " in "
                + Y(reached_year[i]),
            ),
        ),
        (
            fell,
            lambda i: (
                Y(later_year[i]) + "年存量" + N(later[i]) + "仍低于" + N(T[i]),
                "the stock was still " + N(later[i]) + " < " + N(T[i]) + " after the target year",
            ),
        ),
        (
            has & ~reached & ~fell,
            lambda i: (
                "最新存量" + N(last_value[i]) + "(" + Y(last_year[i]) + "年)尚未达到" + N(T[i]),
                "the latest stock "
                + N(last_value[i])
                + " ("
                + Y(last_year[i])
                + ") is below "
                + N(T[i]),
            ),
        ),
    ):
        idx = np.flatnonzero(mask)
        if len(idx):
            zh[idx], en[idx] = say(idx)
    differ = both & (add.col["status"] != status)
    add.set(differ, status="unconfirmed", judged_year=np.nan)
    i = np.flatnonzero(both)
    add.zh[i] = "按新增理解:" + add.zh[i] + ";按存量理解:" + zh[i]
    add.en[i] = "as additions: " + add.en[i] + "; as a stock: " + en[i]
    d = np.flatnonzero(differ)
    add.zh[d] = add.zh[d] + ";两种理解结论不同,请质量强市办确认口径"
    add.en[d] = add.en[d] + "; the readings differ: the office should confirm which is meant"


def rank_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Rank targets ("位居全国前列", "保持全省第一"): the latest published rank against top-k.

    A published rank (``rankings.csv``: position, number ranked, scope, ranking, publisher) of the target's
    scope inside the plan period decides. k is the catalogue's value ("第一" = 1), else the "前列" rule
    :data:`RANK_RULE`: the top 10 % of the ranked set and at least the top 3. Without a published rank, a rank
    is computed from the panel only when at least ``min_peers`` same-level places have data.
    """
    out = _Verdicts(t)
    published = _published_ranks(t, ctx, out)
    _panel_ranks(t, ctx, out, ~published)
    out.settle()
    return out.frame()


def _published_ranks(t: pd.DataFrame, ctx: Context, out: _Verdicts) -> np.ndarray:
    """Verdicts from the latest published rank of each target's scope inside the plan period; returns
    which targets had one."""
    n = len(t)
    r = ctx.rankings
    if r.empty:
        return np.zeros(n, bool)
    left = pd.DataFrame(
        {
            "i": np.arange(n),
            "jurisdiction_id": t["jurisdiction_id"].to_numpy(),
            "indicator_id": t["indicator_id"].to_numpy(),
            "scope": t["scope"].replace("", "national").to_numpy(),
            "cap": t["cap"].to_numpy(float),
        }
    )
    m = left.merge(
        r.reset_index(drop=True).reset_index(names="r"),
        on=["jurisdiction_id", "indicator_id", "scope"],
    )
    m = m[m["year"].to_numpy(float) <= m["cap"].to_numpy()]
    if m.empty:
        return np.zeros(n, bool)
    m = m.sort_values(["i", "year"], kind="stable")
    count = m.groupby("i").size()
    last = m.groupby("i").tail(1).set_index("i")
    i = last.index.to_numpy()
    pos, nr, year = (last[c].to_numpy(float) for c in ("rank", "n_ranked", "year"))
    name = (last["ranking"].astype(str) + "(" + last["publisher"].astype(str) + ")").to_numpy(
        dtype=object
    )
    k = _top_k(t, i, nr, ctx.rank_rule)
    base_y = t["plan_base_year"].to_numpy(float)[i]
    Y, P = _year_text, _year_text
    what = name + Y(year) + "年第" + P(pos) + "名(共" + P(nr) + "个)"
    what_en = (
        "rank "
        + P(pos)
        + " of "
        + P(nr)
        + " in "
        + Y(year)
        + " ("
        + last["ranking"].astype(str).to_numpy(dtype=object)
        + ", "
        + last["publisher"].astype(str).to_numpy(dtype=object)
        + ")"
    )
    early = year <= base_y
    ok = pos <= k
    past = t["past"].to_numpy(bool)[i]
    status = np.where(
        early,
        "not_assessable",
        np.where(past, np.where(ok, "met", "missed"), np.where(ok, "achieved", "behind")),
    )
    out.at(
        i,
        rank=pos,
        n_peers=nr,
        ranking=name,
        latest_year=year,
        latest_source=last["source"].astype(str).to_numpy(dtype=object),
        n_points=count.loc[i].to_numpy(),
        status=status,
        judged_year=np.where(early, np.nan, year),
    )
    zh = np.where(
        early,
        what + ",早于规划基期" + Y(base_y) + "年,仅作基期参考;需" + Y(base_y + 1) + "年以后的排名",
        what + "," + _k_text(t, i, k, ctx.rank_rule),
    )
    en = np.where(
        early,
        what_en + ", before the plan's base year: context only; a later rank is needed",
        what_en + "; target top " + P(k),
    )
    out.say_at(i, zh, en)
    done = np.zeros(n, bool)
    done[i] = True
    return done


def _panel_ranks(t: pd.DataFrame, ctx: Context, out: _Verdicts, todo: np.ndarray) -> None:
    """Ranks computed from the panel among same-level places (same province for scope ``province``), for
    the targets in ``todo``."""
    jur = ctx.catalog.jurisdictions.set_index("jurisdiction_id")
    level, parent = jur["level"].astype(str), jur["parent_id"].fillna("").astype(str)
    place, name, place_en = out.place, out.name, out.place_en
    scope = t["scope"].to_numpy(dtype=object)
    no_rank = "没有" + place + name + "的公布排名"
    tier = todo & (scope == "peer_tier")
    out.say(
        tier,
        lambda i: (
            no_rank[i] + ";“同等城市”的名单须由质量强市办确定",
            "no published rank; the office must name the peer cities of the same tier",
        ),
    )
    todo = todo & ~tier
    if not todo.any():
        return
    # each observation keyed by its peer group: indicator, level, and the province for scope "province"
    u = ctx.usable.drop_duplicates(["jurisdiction_id", "indicator_id", "year"], keep="last")
    u_level = u["jurisdiction_id"].map(level).fillna("").to_numpy(dtype=object)
    u_parent = u["jurisdiction_id"].map(parent).fillna("").to_numpy(dtype=object)
    own_j = t["jurisdiction_id"].to_numpy(dtype=object)
    t_level = pd.Series(own_j).map(level).fillna("").to_numpy(dtype=object)
    t_parent = np.where(
        scope == "province", pd.Series(own_j).map(parent).fillna("").to_numpy(dtype=object), "*"
    )
    # the year judged: the target's own latest value up to its cap
    own = t[["jurisdiction_id", "indicator_id"]].assign(
        i=np.arange(len(t)), cap=t["cap"].to_numpy(float)
    )[todo]
    mine = own.merge(
        u[["jurisdiction_id", "indicator_id", "year", "value"]],
        on=["jurisdiction_id", "indicator_id"],
    )
    mine = mine[mine["year"].to_numpy(float) <= mine["cap"].to_numpy()]
    latest = mine.sort_values(["i", "year"], kind="stable").groupby("i").tail(1).set_index("i")
    none = todo.copy()
    none[latest.index.to_numpy()] = False
    out.say(
        none,
        lambda i: (
            no_rank[i] + ",也没有" + place[i] + name[i] + "的数据",
            "no published rank and no data for " + place_en[i],
        ),
    )
    i = latest.index.to_numpy()
    if not len(i):
        return
    year, own_value = latest["year"].to_numpy(float), latest["value"].to_numpy(float)
    # peers: one value per place in the group and year; queries: each target's own value in its group
    value = u["value"].to_numpy(float)
    peer = [u["indicator_id"].to_numpy(dtype=object), u_level, u_parent, u["year"].to_numpy(float)]
    query = [t["indicator_id"].to_numpy(dtype=object)[i], t_level[i], t_parent[i], year]
    national = [peer[0], peer[1], np.full(len(u), "*", dtype=object), peer[3]]
    if (scope == "province").any():
        peer, value = (
            [np.r_[a, b] for a, b in zip(national, peer, strict=True)],
            np.r_[value, value],
        )
    else:
        peer = national
    pc, qc = _group_codes(peer, query)
    wanted = np.isin(pc, qc)  # only the groups some target is ranked in
    pc, value = pc[wanted], value[wanted]
    n_peers = np.bincount(pc, minlength=qc.max() + 1)[qc]
    d = t["direction"].to_numpy(float)[i]
    better = _count_beyond(pc, value, qc, own_value, d)
    rank = better + 1.0
    few = n_peers < ctx.min_peers
    k = _top_k(t, i, n_peers, ctx.rank_rule)
    ok = rank <= k
    past = t["past"].to_numpy(bool)[i]
    status = np.where(
        few,
        "not_assessable",
        np.where(past, np.where(ok, "met", "missed"), np.where(ok, "achieved", "behind")),
    )
    Y, P = _year_text, _year_text
    lvl = t_level[i]
    out.at(i, n_peers=n_peers)
    ranked = i[~few]
    out.at(
        ranked,
        status=status[~few],
        rank=rank[~few],
        ranking="据面板数据计算",
        latest_year=year[~few],
        judged_year=year[~few],
    )
    zh = np.where(
        few,
        no_rank[i]
        + ";"
        + Y(year)
        + "年只有"
        + P(n_peers)
        + "个同级地区有数据,自行计算排名至少需要"
        + str(ctx.min_peers)
        + "个",
        "据面板数据计算,"
        + Y(year)
        + "年在"
        + P(n_peers)
        + "个同级地区中第"
        + P(rank)
        + "名,"
        + _k_text(t, i, k, ctx.rank_rule),
    )
    en = np.where(
        few,
        "no published rank; only "
        + P(n_peers)
        + " "
        + lvl
        + "(s) with data in "
        + Y(year)
        + ", a computed rank needs "
        + str(ctx.min_peers),
        "computed from the panel: rank "
        + P(rank)
        + " of "
        + P(n_peers)
        + " in "
        + Y(year)
        + " (target: top "
        + P(k)
        + ")",
    )
    out.say_at(i, zh, en)


def _group_codes(a: list, b: list) -> tuple[np.ndarray, np.ndarray]:
    """One integer code per distinct combination of the key columns, shared by two sets of rows ``a`` and
    ``b`` (lists of equal-length columns): each column factorised on its own, then combined arithmetically."""
    n = len(a[0])
    key = np.zeros(n + len(b[0]), dtype=np.int64)
    for col_a, col_b in zip(a, b, strict=True):
        codes, uniques = pd.factorize(np.r_[col_a, col_b])
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes)  # stays below the number of rows
    return key[:n], key[n:]


def _count_beyond(
    group: np.ndarray,
    values: np.ndarray,
    query_group: np.ndarray,
    query: np.ndarray,
    direction: np.ndarray,
) -> np.ndarray:
    """For each query, how many values of its group lie strictly beyond it in its direction (above for
    direction +1, below for −1): one sort of values and queries together, no pairwise comparison."""
    n_v, n_q = len(values), len(query)
    out = np.zeros(n_q)
    for sign in (1.0, -1.0):
        pick = direction == sign
        if not pick.any():
            continue
        # sort by group, then by signed value descending; a query sorts before the values equal to it, so
        # the values before it in its group are those strictly beyond it
        g = np.r_[group, query_group[pick]]
        x = np.r_[-sign * values, -sign * query[pick]]
        kind = np.r_[np.ones(n_v), np.zeros(pick.sum())]
        order = np.lexsort((kind, x, g))
        is_value = kind[order] == 1
        seen = np.cumsum(is_value) - is_value
        g_sorted = g[order]
        start = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
        first = np.repeat(start, np.diff(np.r_[start, len(order)]))
        before = seen - (np.cumsum(is_value) - is_value)[first]
        q = order[~is_value] - n_v
        out[np.flatnonzero(pick)[q]] = before[~is_value]
    return out


def _top_k(t: pd.DataFrame, i: np.ndarray, n: np.ndarray, rule: Mapping[str, float]) -> np.ndarray:
    """k of "前k名": the catalogue's value, else the "前列" rule on ``n`` ranked places."""
    stated = t["target_value"].to_numpy(float)[i]
    rule_k = np.maximum(int(rule["min_k"]), np.ceil(rule["top_share"] * np.asarray(n, float)))
    return np.where(np.isnan(stated), rule_k, np.trunc(stated))


def _k_text(t: pd.DataFrame, i: np.ndarray, k: np.ndarray, rule) -> np.ndarray:
    stated = ~np.isnan(t["target_value"].to_numpy(float)[i])
    K = _year_text(k)
    return np.where(
        stated,
        "目标为前" + K + "名",
        f"“前列”按前{rule['top_share']:.0%}且至少前{int(rule['min_k'])}名计,即前" + K + "名",
    )


#: "持续…" is a claim about a run of years: two points make a change, not a trend.
MIN_TREND_POINTS = 3


def trend_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Trend targets ("持续下降", "稳步提升", "不断提高"): judged on direction, not on significance.

    The values from the base year to the year judged must move in the wanted direction from first to last,
    with no year-on-year reversal larger than the published rounding (half a unit of the last digit shown, on
    each side). Fewer than :data:`MIN_TREND_POINTS` (3) values: not assessable. A past target year → met/missed; a live one → achieved
    (so far as wanted), behind (right overall, with a reversal) or regressing (wrong way). The one-sided slope
    test is reported in the note as confidence, never used as a gate: with three values it has one degree of
    freedom and no power.
    """
    n = len(t)
    m = ctx.per_target
    p = pd.Index(t["tcode"].to_numpy()).get_indexer(m["tcode"].to_numpy())
    keep = (p >= 0) & (m["year"].to_numpy(float) >= m["plan_base_year"].to_numpy(float))
    p, y, v = p[keep], m["year"].to_numpy(float)[keep], m["value"].to_numpy(float)[keep]
    # a stated base value comes first when its year is not among the series' own
    sy, sv = t["stated_base_year"].to_numpy(float), t["stated_base_value"].to_numpy(float)
    stated = np.flatnonzero(~np.isnan(sv))
    seen = np.isin(
        stated * 100_000 + np.nan_to_num(sy[stated]).astype(np.int64),
        p * 100_000 + y.astype(np.int64),
    )
    extra = stated[~seen]
    p, y, v = np.r_[extra, p], np.r_[sy[extra], y], np.r_[sv[extra], v]
    order = np.lexsort((y, np.r_[np.zeros(len(extra)), np.ones(len(y) - len(extra))], p))
    p, y, v = p[order], y[order], v[order]
    count = np.bincount(p, minlength=n)
    end = np.cumsum(count)
    start = end - count
    enough = count >= MIN_TREND_POINTS
    up = t["comparator"].to_numpy() == ">="
    want = np.where(up, 1.0, -1.0)
    word = np.where(up, "上升", "下降").astype(object)
    at_first, at_last = np.where(count > 0, start, len(v)), np.where(count > 0, end - 1, len(v))
    first, last = np.r_[v, np.nan][at_first], np.r_[v, np.nan][at_last]
    y0, y1 = np.r_[y, np.nan][at_first], np.r_[y, np.nan][at_last]
    # year-on-year reversals beyond the published rounding of the two values
    pair = np.flatnonzero(p[1:] == p[:-1])
    uniq, inverse = np.unique(v, return_inverse=True)
    rounding = np.array([_rounding(x) for x in uniq])[inverse]
    reversed_ = want[p[pair]] * (v[pair + 1] - v[pair]) < -(rounding[pair] + rounding[pair + 1])
    rev = pair[reversed_]
    has_rev = np.bincount(p[rev], minlength=n) > 0
    overall = want * (last - first) > 0
    holds = overall & ~has_rev
    past = t["past"].to_numpy(bool)
    status = np.where(
        past,
        np.where(holds, "met", "missed"),
        np.where(holds, "achieved", np.where(overall, "behind", "regressing")),
    )
    out = _Verdicts(t)
    out.col["n_points"] = count
    out.set(
        enough,
        status=status,
        latest_year=y1,
        latest_value=last,
        base_year=y0,
        base_value=first,
        judged_year=y1,
    )
    fit = ols_by_group(p, y, v, n)
    slope, se = want * fit["slope"], fit["se_slope"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = np.where(
            se > 0,
            stats.t.sf(slope / np.where(se > 0, se, 1.0), np.maximum(count - 2, 1)),
            np.where(slope > 0, 0.0, 1.0),
        )
    pv = np.where(count >= 3, pv, np.nan)
    reversals: dict[int, list[str]] = {}
    for k in rev.tolist():
        reversals.setdefault(int(p[k]), []).append(f"{int(y[k])}→{int(y[k + 1])}")
    points = [f"{int(a)}年{number_text(b)}" for a, b in zip(y.tolist(), v.tolist(), strict=True)]
    for i in np.flatnonzero(enough).tolist():
        w = word[i]
        r = reversals.get(i, [])
        zh = (
            "、".join(points[start[i] : end[i]])
            + ":"
            + (
                f"持续{w}"
                if holds[i]
                else (f"总体{w}但{'、'.join(r)}反向" if overall[i] else f"未{w}")
            )
        )
        en = f"{count[i]} values {int(y0[i])}–{int(y1[i])}: " + (
            "moving as wanted throughout"
            if holds[i]
            else (f"right overall, reversed {', '.join(r)}" if overall[i] else "wrong direction")
        )
        if not np.isnan(pv[i]):  # for analysts (note_en): a reader's note prints no p value
            en += f" (one-sided slope test p = {pv[i]:.3f}, for information)"
        out.zh[i], out.en[i] = zh, en
    cap = t["cap"].to_numpy(float)
    out.say(
        ~enough,
        lambda i: (
            out.place[i]
            + out.name[i]
            + f":至少{MIN_TREND_POINTS}个年份的数据才能判断是否持续"
            + word[i]
            + np.where(
                count[i] > 0,
                ",截至"
                + _year_text(cap[i])
                + "年只有"
                + count[i].astype(str).astype(object)
                + "个",
                "",
            ),
            count[i].astype(str).astype(object)
            + " value(s) for "
            + out.place_en[i]
            + " up to "
            + _year_text(cap[i])
            + f" ({MIN_TREND_POINTS} years are needed to call a trend continuing)",
        ),
    )
    out.settle()
    return out.frame()


def relative_rule(t: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Relative targets ("低于全国平均水平", "质量投入增幅不低于GDP增幅"): the target's series against its
    benchmark's, year by year.

    The benchmark is the same indicator at another place (``benchmark_jurisdiction_id``), another indicator of
    the same place (``benchmark_indicator_id``), or both. The verdict rests on the latest year up to the target
    year with a value of both: a past target year → met/missed; a live one → achieved (holds now) or behind.
    The note gives both values and how many of the years with both held. Without a common year: not assessable,
    naming the series that is missing.
    """
    n = len(t)
    out = _Verdicts(t)
    own_j, own_i = t["jurisdiction_id"].to_numpy(object), t["indicator_id"].to_numpy(object)
    b_j = np.where(t["benchmark_jurisdiction_id"] != "", t["benchmark_jurisdiction_id"], own_j)
    b_i = np.where(t["benchmark_indicator_id"] != "", t["benchmark_indicator_id"], own_i)
    u = ctx.usable[["jurisdiction_id", "indicator_id", "year", "value", "source"]]
    u = u.drop_duplicates(["jurisdiction_id", "indicator_id", "year"], keep="last")
    cap = t["cap"].to_numpy(float)

    def series(j, i):
        keys = pd.DataFrame(
            {"i": np.arange(n), "jurisdiction_id": j, "indicator_id": i, "cap": cap}
        )
        m = keys.merge(u, on=["jurisdiction_id", "indicator_id"])
        return m[m["year"].to_numpy(float) <= m["cap"].to_numpy()]

    own, bench = series(own_j, own_i), series(b_j, b_i)
    both = own.merge(bench[["i", "year", "value"]], on=["i", "year"], suffixes=("", "_b"))
    both = both.sort_values(["i", "year"], kind="stable")
    comp = t["comparator"].to_numpy(object)[both["i"].to_numpy()]
    a, b = both["value"].to_numpy(float), both["value_b"].to_numpy(float)
    both["holds"] = np.select(
        [comp == ">=", comp == ">", comp == "<="], [a >= b, a > b, a <= b], default=a < b
    )
    last = both.groupby("i").tail(1).set_index("i")
    counts = both.groupby("i")["holds"].agg(["size", "sum"])
    i = last.index.to_numpy()
    holds = last["holds"].to_numpy(bool)
    past = t["past"].to_numpy(bool)[i]
    status = np.where(past, np.where(holds, "met", "missed"), np.where(holds, "achieved", "behind"))
    a, b, year = (last[c].to_numpy(float) for c in ("value", "value_b", "year"))
    up = np.isin(t["comparator"].to_numpy(object)[i], (">=", ">"))
    out.at(
        i,
        status=status,
        latest_year=year,
        latest_value=a,
        judged_year=year,
        n_points=counts.loc[i, "size"].to_numpy(),
        gap=np.where(up, b - a, a - b),
        latest_source=last["source"].astype(str).to_numpy(object),
    )
    names = t["benchmark_zh"].to_numpy(object)
    word = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于"}
    want = np.array([word[c] for c in t["comparator"]], dtype=object)
    Y, N = _year_text, _number_text
    held = counts.loc[i, "sum"].to_numpy().astype(int)
    size = counts.loc[i, "size"].to_numpy().astype(int)
    zh = (
        Y(year)
        + "年"
        + out.place[i]
        + out.name[i]
        + N(a)
        + ","
        + names[i]
        + N(b)
        + ";目标为"
        + want[i]
        + names[i]
        + ";有两者数据的"
        + size.astype(str)
        + "个年份中"
        + held.astype(str)
        + "个达到"
    )
    en = (
        Y(year)
        + ": "
        + N(a)
        + " against the benchmark's "
        + N(b)
        + "; held in "
        + held.astype(str)
        + " of "
        + size.astype(str)
        + " years with both"
    )
    out.say_at(i, zh, en)
    done = np.zeros(n, bool)
    done[i] = True
    has_own = np.bincount(own["i"], minlength=n) > 0
    has_bench = np.bincount(bench["i"], minlength=n) > 0
    out.say(
        ~done & ~has_own,
        lambda k: (
            "没有" + out.place[k] + out.name[k] + "的数据",
            "no data for the target's series",
        ),
    )
    out.say(
        ~done & ~has_bench,
        lambda k: (
            "没有比较基准" + names[k] + "的数据",
            "no data for the benchmark's series",
        ),
    )
    out.say(
        ~done & has_own & has_bench,
        lambda k: (
            out.place[k] + out.name[k] + "与比较基准" + names[k] + "没有同一年份的数据",
            "the target's and the benchmark's series share no year",
        ),
    )
    out.settle()
    return out.frame()


def _benchmark_names(t: pd.DataFrame, cat: Catalog) -> np.ndarray:
    """How reports name each relative target's benchmark: 全国平均水平, 本地GDP增长, 全省X ("" for others)."""
    own_j, own_i = t["jurisdiction_id"].to_numpy(object), t["indicator_id"].to_numpy(object)
    b_j = np.where(t["benchmark_jurisdiction_id"] != "", t["benchmark_jurisdiction_id"], own_j)
    b_i = np.where(t["benchmark_indicator_id"] != "", t["benchmark_indicator_id"], own_i)
    jur = cat.jurisdictions.set_index("jurisdiction_id")["name_zh"]
    ind = cat.indicators.set_index("indicator_id")["name_zh"]
    place = pd.Series(b_j).map(jur).fillna(pd.Series(b_j)).astype(str).to_numpy(object)
    what = pd.Series(b_i).map(ind).fillna(pd.Series(b_i)).astype(str).to_numpy(object)
    names = np.where(
        b_i == own_i, place + "平均水平", np.where(b_j == own_j, "本地" + what, place + what)
    )
    return np.where(t["target_type"].to_numpy(object) == "relative", names, "").astype(object)


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
    (("relative",), relative_rule),
    (UNSCORED_TYPES, unscored_rule),
]


def later_check(tg: pd.DataFrame, res: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Data after the year a verdict rests on may contradict it: a level or trend target judged 已完成/未完成 on a
    year before its target year (the target year has no value) is 待核实 when a later value (up to the
    assessment year) says otherwise: a level target met whose later value fails it (or missed whose later value
    meets it), a trend met whose later value lies on the wrong side of the value judged. The later values are
    named in the note; the verdict they would change is kept there as "原判断".
    """
    res = res.copy()
    judged = res["judged_year"].to_numpy(float)
    ty = tg["target_year"].to_numpy(float)
    check = (
        res["status"].isin(["met", "missed"]).to_numpy()
        & tg["target_type"].isin(["level", "trend"]).to_numpy()
        & (judged < ty)
    )
    if not check.any():
        return res
    usable = ctx.usable[ctx.usable["year"] <= ctx.as_of]
    for pos in np.flatnonzero(check):
        row, r = tg.iloc[pos], res.iloc[pos]
        later = usable[
            (usable["jurisdiction_id"] == row["jurisdiction_id"])
            & (usable["indicator_id"] == row["indicator_id"])
            & (usable["year"] > r["judged_year"])
        ].sort_values("year")
        if later.empty:
            continue
        at_most = row["comparator"] == "<="
        v, T = later["value"].to_numpy(float), float(row["target_value"])
        if row["target_type"] == "level":
            meets = v <= T if at_most else v >= T
            against = ~meets if r["status"] == "met" else meets
        else:  # a trend met: a later value worse than the one judged breaks "持续"
            last = float(r["latest_value"])
            slack = _rounding(last) + np.array([_rounding(x) for x in v])
            against = (v - last > slack) if at_most else (last - v > slack)
        if not against.any():
            continue
        shown = "、".join(
            f"{int(y)}年{number_text(x)}"
            for y, x in zip(later["year"][against], v[against], strict=True)
        )
        was = STATUS_ZH[r["status"]]
        label = res.index[pos]
        res.at[label, "status"] = "unconfirmed"
        res.at[label, "note"] = (f"{r['note']};" if r["note"] else "") + (
            f"原判断{was}(据{int(r['judged_year'])}年数据),但其后{shown}与之不符,"
            f"{int(ty[pos])}年情况待核实(需{int(ty[pos])}年数值)"
        )
        res.at[label, "note_en"] = (f"{r['note_en']}; " if r["note_en"] else "") + (
            f"was {r['status']} on {int(r['judged_year'])}, but later values ({shown}) say otherwise: "
            f"the {int(ty[pos])} value is needed"
        )
    return res


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


# ------------------------------------------------------------------ columns of verdicts, filled by masks


class _Verdicts:
    """The result columns of one rule for the rows of ``t``, filled for many rows at a time.

    ``set(mask, col=values)`` writes full-length arrays (or scalars) where ``mask`` holds; ``at(i, ...)``
    writes values aligned with the positions ``i``; ``say`` appends a Chinese and an English sentence to the
    rows of a mask, as :func:`_say` does for one row. Rules build their verdicts column-wise with these, so
    that their time grows with the number of targets, not with targets × observations.
    """

    TEXT = ("status", "latest_source", "ranking")

    def __init__(self, t: pd.DataFrame):
        n = len(t)
        self.t = t
        self.col = {c: np.full(n, np.nan) for c in RESULT if c not in ("note", "note_en")}
        for c in self.TEXT:
            self.col[c] = np.full(n, "", dtype=object)
        self.col["status"][:] = "not_assessable"
        self.col["inferred"] = np.zeros(n, bool)
        self.col["n_points"] = np.zeros(n)
        self.zh, self.en = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
        self.place, self.name = (t[c].to_numpy(dtype=object) for c in ("place_zh", "name_zh"))
        self.place_en, self.holder = (
            t[c].to_numpy(dtype=object) for c in ("place_en", "data_holder")
        )

    def set(self, mask, **cols) -> None:
        self.at(np.flatnonzero(mask), **{k: _pick(v, mask) for k, v in cols.items()})

    def at(self, i, **cols) -> None:
        for key, value in cols.items():
            self.col[key][i] = value

    def say(self, mask, say) -> None:
        idx = np.flatnonzero(mask)
        if len(idx):
            self.say_at(idx, *say(idx))

    def say_at(self, idx, zh, en) -> None:
        _append_notes(self.zh, self.en, idx, zh, en)

    def count(self, mask, status, additions: np.ndarray, judged: np.ndarray) -> None:
        """A verdict on a count of additions known to reach (or to fall short of) the target."""
        T = self.t["target_value"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = additions / np.where(T != 0, T, np.nan)
        self.set(
            mask,
            status=status,
            latest_value=additions,
            judged_year=judged,
            gap=T - additions,
            completion_ratio=ratio,
        )

    def schedule(self, mask, additions: np.ndarray, judged: np.ndarray) -> None:
        """An exact count of additions: met/missed for a past target, else the 序时进度 ladder."""
        t = self.t
        T, ty = t["target_value"].to_numpy(float), t["target_year"].to_numpy(float)
        base, past = t["plan_base_year"].to_numpy(float), t["past"].to_numpy(bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            progress, elapsed = additions / T, (judged - base) / (ty - base)
        live = np.where(
            additions >= T,
            "achieved",
            np.where(
                additions <= 0, "regressing", np.where(progress >= elapsed, "ahead", "behind")
            ),
        )
        self.set(
            mask,
            status=np.where(past, np.where(additions >= T, "met", "missed"), live),
            judged_year=judged,
            gap=T - additions,
            completion_ratio=progress,
            progress_ratio=np.where(past, np.nan, progress),
            elapsed_share=elapsed,
        )
        Y, N = _year_text, _number_text
        self.say(
            mask,
            lambda i: (
                Y(base[i]) + "—" + Y(judged[i]) + "年新增" + N(additions[i]),
                "additions " + Y(base[i]) + "–" + Y(judged[i]) + ": " + N(additions[i]),
            ),
        )

    def settle(self) -> None:
        """Name what would settle a target that cannot be assessed: the holder of the data."""
        h = self.holder
        self.say(
            (self.col["status"] == "not_assessable") & (h != ""),
            lambda i: ("可向" + h[i] + "索取", "held by " + h[i]),
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({**self.col, "note": self.zh, "note_en": self.en})[RESULT]


def _append_notes(zh: np.ndarray, en: np.ndarray, idx: np.ndarray, zh_text, en_text) -> None:
    """Append a Chinese and an English sentence (one each, or one per position) to the notes at ``idx``,
    after what is there (";" in Chinese, "; " in English)."""
    for arr, sep, text in ((zh, ";", zh_text), (en, "; ", en_text)):
        text = np.broadcast_to(np.asarray(text, dtype=object), idx.shape)
        old = arr[idx]
        arr[idx] = np.where(old == "", text, old + sep + text)


def _pick(value, mask):
    value = np.asarray(value, dtype=object if isinstance(value, str) else None)
    return value[mask] if value.ndim else value


class _Series:
    """The observations of each target's series as flat arrays sorted by target and year (``p`` the
    target's position in ``t``), with per-target reductions that each take one pass over them."""

    def __init__(self, t: pd.DataFrame, ctx: Context, rows: pd.DataFrame):
        p = pd.Index(t["tcode"].to_numpy()).get_indexer(rows["tcode"].to_numpy())
        keep = p >= 0
        year, value = rows["year"].to_numpy(float)[keep], rows["value"].to_numpy(float)[keep]
        srow = rows["srow"].to_numpy()[keep].astype(int)
        order = np.lexsort((year, p[keep]))
        self.p, self.y, self.v, self.srow = p[keep][order], year[order], value[order], srow[order]
        self.n = len(t)
        self.count = np.bincount(self.p, minlength=self.n)
        self.end = np.cumsum(self.count)
        self.start = self.end - self.count
        self.usable = ctx.usable

    def flag_has(self, word: str) -> np.ndarray:
        flags = self.usable["flag"].to_numpy(dtype=object)[self.srow]
        codes, uniques = pd.factorize(pd.Series(flags, dtype=object).fillna(""))
        return (
            np.array([word in str(u) for u in uniques], dtype=bool)[codes]
            if len(codes)
            else codes > 0
        )

    def any(self, mask) -> np.ndarray:
        return np.bincount(self.p[mask], minlength=self.n) > 0

    def sum(self, x, mask) -> np.ndarray:
        return np.bincount(self.p[mask], x[mask], minlength=self.n)

    def max(self, x, mask, empty: float) -> np.ndarray:
        return self._reduce(np.maximum, -np.inf, x, mask, empty)

    def min(self, x, mask, empty: float) -> np.ndarray:
        return self._reduce(np.minimum, np.inf, x, mask, empty)

    def _reduce(self, ufunc, start, x, mask, empty) -> np.ndarray:
        out = np.full(self.n, start)
        ufunc.at(out, self.p[mask], x[mask])
        return np.where(self.any(mask), out, empty)

    def last(self, mask) -> np.ndarray:
        """Position (in the flat arrays) of each target's last row where ``mask`` holds; −1 if none."""
        out = np.full(self.n, -1)
        np.maximum.at(out, self.p[mask], np.flatnonzero(mask))
        return out

    def last_text(self, column: pd.Series, mask=None) -> np.ndarray:
        """The text of ``column`` (a column of the usable observations) on each target's last row."""
        last = self.last(np.ones(len(self.p), bool) if mask is None else mask)
        out = np.full(self.n, "", dtype=object)
        has = last >= 0
        values = column.to_numpy(dtype=object)[self.srow[last[has]]]
        out[has] = [str(x) for x in values]
        return out

    def count_unique_years(self, mask) -> np.ndarray:
        p, y = self.p[mask], self.y[mask]
        new = np.r_[True, (p[1:] != p[:-1]) | (y[1:] != y[:-1])] if len(p) else np.zeros(0, bool)
        return np.bincount(p[new], minlength=self.n)

    def slice(self, i: int) -> slice:
        return slice(self.start[i], self.end[i])


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
    for col in ("scope", "caveat", "note", *BENCHMARK_COLUMNS):
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
