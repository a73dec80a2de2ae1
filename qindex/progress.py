"""Progress toward plan targets: one row per target with completion, progress against elapsed time, status,
growth ratio and a projection with P(target met).

Conventions (``../shared/methods/progress.md`` §2, §8, §10), written down as project rules:

- 完成率 ``completion_ratio``: A/T when higher is better, T/A when lower is better; uncapped.
  ``completion_capped`` is the same capped at 1.
- 进度完成率 ``progress_ratio`` = (A − B)/(T − B) from the plan's base year B (or the first value after it).
- 序时进度 ``elapsed_share`` = (latest year − base year)/(target year − base year).
- status, in this order: a target year already past → met 已完成 / missed 未完成 (judged on data up to that
  year); target met now → achieved 已达标; progress ≥ elapsed share → ahead 快于序时进度; progress > 0 →
  behind 滞后于序时进度; otherwise regressing 未有进展或倒退. Not assessable 无法评估 with the reason in ``note``.
  Status is decided on unrounded values: a target counts as met only when it truly is.
- ``growth_ratio``: the direction-signed ratio of observed to required compound annual growth
  (Statistics Canada / Open SDG), ``growth_category`` with thresholds 0.95 / 0.60 / 0; a met target is
  ``target_achieved`` whatever the ratio.

Example
-------
>>> from qindex.observations import load_panel
>>> from qindex.catalog import targets
>>> a = assess(load_panel(), targets("hangzhou-2022"), as_of=2022)
>>> a.set_index("target_id").loc["hz22-31", "status"]   # PM2.5 <= 35 by 2022 (28 in 2021)
'met'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from qindex.catalog import Catalog, load_catalog
from qindex.observations import on_definition
from qindex.trend import cagr, ols_by_group, project

STATUS_ZH = {
    "achieved": "已达标",
    "ahead": "快于序时进度",
    "behind": "滞后于序时进度",
    "regressing": "未有进展或倒退",
    "met": "已完成",
    "missed": "未完成",
    "not_assessable": "无法评估",
}
#: Order for tables and charts.
STATUS_ORDER = list(STATUS_ZH)
GROWTH_THRESHOLDS = (0.95, 0.60, 0.0)

COLUMNS = [
    "target_id",
    "plan_id",
    "jurisdiction_id",
    "indicator_id",
    "target_type",
    "comparator",
    "target_value",
    "target_year",
    "base_year",
    "base_value",
    "latest_year",
    "latest_value",
    "gap",
    "completion_ratio",
    "completion_capped",
    "progress_ratio",
    "elapsed_share",
    "status",
    "status_zh",
    "growth_ratio",
    "growth_category",
    "projected_value",
    "projected_lower",
    "projected_upper",
    "p_target_met",
    "model",
    "note",
]
#: Extra columns after the fixed ones, for reports.
EXTRA = ["name_zh", "unit", "direction", "domain", "n_points", "latest_source", "rank", "n_peers"]


def assess(
    panel: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: int | None = None,
    model: str = "linear",
    level: float = 0.95,
    top_k: int = 3,
    min_peers: int = 5,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Assess every target against the observations.

    Parameters
    ----------
    panel : observations (``jurisdiction_id, indicator_id, year, value`` and optionally ``flag``,
        ``source``), e.g. :func:`qindex.observations.load_panel`. Not modified.
    targets : rows of the catalogue (:func:`qindex.catalog.targets`). Not modified.
    as_of : use only data up to this year ("what did we know at the end of 2022?"); default the latest
        year in ``panel``.
    model : projection model, one of ``qindex.trend.MODELS``.
    level : coverage of the prediction interval; trend targets use 1 − level as significance level.
    top_k : rank a "位居前列" target needs when the plan gives no rank.
    min_peers : fewest units with data for a rank to be assessed.

    Returns
    -------
    DataFrame
        one row per target with the columns of :data:`COLUMNS` (see the module docstring for their
        meaning; ``gap`` = target − latest, in the indicator's unit, or in %/yr for growth targets) and
        :data:`EXTRA`: ``name_zh, unit, direction, domain, n_points, latest_source, rank, n_peers``.
    """
    cat = catalog or load_catalog()
    tg = _prepare(targets, cat)
    as_of = int(panel["year"].max()) if as_of is None else int(as_of)
    usable = _usable(panel)
    tg["cap"] = np.minimum(tg["target_year"].to_numpy(dtype=float), as_of)
    tg["past"] = tg["target_year"].to_numpy(dtype=float) <= as_of
    m = _observations_per_target(tg, usable)
    g = m.groupby("tcode", sort=False)
    positions = pd.RangeIndex(len(tg))
    latest = g[["year", "value", "srow"]].last().reindex(positions)
    n_points = g.size().reindex(positions, fill_value=0)
    after = m[m["year"] >= m["plan_base_year"]]
    first_after = after.groupby("tcode", sort=False)[["year", "value"]].first().reindex(positions)

    out = tg.set_index("target_id")
    out["latest_year"] = latest["year"].to_numpy()
    out["latest_value"] = latest["value"].to_numpy()
    srow = latest["srow"].to_numpy()
    sources = usable["source"].to_numpy(dtype=object)
    has_row = ~np.isnan(srow)
    out["latest_source"] = np.where(has_row, sources[np.where(has_row, srow, 0).astype(int)], "")
    out["n_points"] = n_points.to_numpy().astype(int)
    out["base_year"] = first_after["year"].to_numpy()
    out["base_value"] = first_after["value"].to_numpy()
    note = np.full(len(out), "", dtype=object)
    places = out["jurisdiction_id"].to_numpy()
    caps = out["cap"].to_numpy()
    plan_base = out["plan_base_year"].to_numpy()

    B, A = out["base_value"].to_numpy(float), out["latest_value"].to_numpy(float)
    T, tb = out["target_value"].to_numpy(float), out["base_year"].to_numpy(float)
    ty, tl = out["target_year"].to_numpy(float), out["latest_year"].to_numpy(float)
    d = out["direction"].to_numpy(float)
    typ = out["target_type"].to_numpy()
    comp = out["comparator"].to_numpy()
    past = out["past"].to_numpy()

    # --- cumulative targets: additions since the base year (stock difference, or sum of annual flows)
    cum = typ == "cumulative"
    if cum.any():
        A, B, note = _cumulative(out, m, usable, A, B, note, cum)
    # --- growth targets: realised CAGR since the base year, in % a year
    grow = typ == "growth"
    realised = cagr(B, A, tb, tl) * 100
    level_like = np.isin(typ, ["level", "cumulative"])
    value_now = np.where(grow, realised, A)

    with np.errstate(divide="ignore", invalid="ignore"):
        met = np.where(
            comp == "<=", value_now <= T, np.where(comp == "==", value_now == T, value_now >= T)
        )
        met &= ~np.isnan(value_now)
        # 完成率 follows the comparator: A/T for "at least", T/A for "at most" (the indicator's direction
        # for level targets, which validation keeps consistent; growth and cumulative targets are ">=").
        ratio = np.where(comp == "<=", T / value_now, value_now / T)
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)
        progress = np.where(grow, realised / T, (A - B) / (T - B))
        progress = np.where(np.isfinite(progress) & (T != B) | grow, progress, np.nan)
        elapsed = (tl - tb) / (ty - tb)
        gap = T - value_now

    numeric = level_like | grow
    status = np.full(len(out), "not_assessable", dtype=object)
    has_latest = ~np.isnan(A)
    in_plan = has_latest & ~np.isnan(B)
    one_point = in_plan & (tl == tb)
    base_is_target = in_plan & (T == B) & ~grow
    # A base that already met the target makes (A − B)/(T − B) meaningless: falling back below the
    # target is regression, however large the ratio (progress.md §10.1, SC-6).
    with np.errstate(invalid="ignore"):
        base_met = np.where(comp == "<=", B < T, B > T) & level_like & ~np.isnan(B)
    ok = numeric & in_plan
    status = np.where(ok & past, np.where(met, "met", "missed"), status)
    live = ok & ~past
    status = np.where(live & met, "achieved", status)
    undecided = live & ~met
    status = np.where(undecided & base_is_target, "regressing", status)
    status = np.where(undecided & one_point & ~base_is_target, "not_assessable", status)
    status = np.where(undecided & base_met & ~one_point, "regressing", status)
    decide = undecided & ~one_point & ~base_is_target & ~base_met
    status = np.where(decide & (progress >= elapsed), "ahead", status)
    status = np.where(decide & (progress < elapsed) & (progress > 0), "behind", status)
    status = np.where(decide & ~(progress > 0), "regressing", status)
    status = np.where(decide & np.isnan(progress), "not_assessable", status)

    # notes, most specific last so that they are not overwritten
    note = _add(
        note,
        numeric & ~has_latest,
        lambda i: f"no data for {places[i]} up to {int(caps[i])}",
    )
    note = _add(
        note,
        numeric & has_latest & np.isnan(B),
        lambda i: f"latest value ({int(tl[i])}) predates the plan's base year {int(plan_base[i])}",
    )
    note = _add(
        note,
        in_plan & (tb > out["plan_base_year"].to_numpy(float)),
        lambda i: f"base year {int(plan_base[i])} has no value; base taken from {int(tb[i])}",
    )
    note = _add(
        note,
        numeric & one_point & ~met,
        lambda _: "one point only in the plan period: no progress to measure",
    )
    note = _add(
        note, numeric & base_is_target, lambda _: "base equals target: progress ratio undefined"
    )
    note = _add(
        note,
        undecided & base_met & ~one_point,
        lambda i: f"the base value ({B[i]:g}) already met the target; the latest has fallen back",
    )
    note = _add(
        note,
        ok & past & (tl < ty),
        lambda i: f"judged on {int(tl[i])}, the latest value up to the target year",
    )
    note = _add(
        note, grow & in_plan, lambda i: f"realised growth {realised[i]:.2f} %/yr since {int(tb[i])}"
    )

    # --- growth ratio (Statistics Canada / Open SDG signed form)
    with np.errstate(divide="ignore", invalid="ignore"):
        req = cagr(B, T, tb, ty)
        obs = cagr(B, A, tb, tl)
        sign = np.where(B < 0, -1.0, 1.0)
        gratio = np.where(level_like & in_plan & ~one_point, d * sign * obs / np.abs(req), np.nan)
        gratio = np.where(np.isfinite(gratio), gratio, np.nan)
    gcat = np.select(
        [met & numeric & in_plan, gratio >= 0.95, gratio >= 0.60, gratio >= 0, gratio < 0],
        [
            "target_achieved",
            "substantial_progress",
            "moderate_progress",
            "limited_progress",
            "deterioration",
        ],
        default="",
    )

    # --- projection to the target year
    proj_cols = ["projected_value", "projected_lower", "projected_upper", "p_target_met"]
    proj = pd.DataFrame(np.nan, index=out.index, columns=proj_cols)
    sel = np.flatnonzero(level_like & has_latest & (out["target_type"] == "level").to_numpy())
    if len(sel):
        series = m.loc[m["tcode"].isin(sel), ["tcode", "year", "value"]].rename(
            columns={"tcode": "series"}
        )
        meta = out.iloc[sel].set_axis(sel)
        pr = project(
            series,
            meta["target_year"].astype(float),
            model=model,
            level=level,
            threshold=meta["target_value"],
            direction=pd.Series(np.where(meta["comparator"] == "<=", -1, 1), index=sel),
            lower_limit=meta["lower_limit"],
            upper_limit=meta["upper_limit"],
        )
        rows = pr.index.to_numpy()
        proj.iloc[rows] = pr[proj_cols].to_numpy()
        with_note = rows[(pr["note"] != "").to_numpy() & ~past[rows]]
        msgs = dict(zip(rows, pr["note"].to_numpy(), strict=True))
        note = _add(note, np.isin(np.arange(len(out)), with_note), lambda i: msgs[i])

    res = out.copy()
    res["latest_value"] = np.where(numeric, A, res["latest_value"])
    res["gap"] = np.where(numeric, gap, np.nan)
    res["completion_ratio"] = np.where(numeric & in_plan | (level_like & has_latest), ratio, np.nan)
    res["completion_capped"] = np.minimum(res["completion_ratio"], 1.0)
    res["progress_ratio"] = np.where(numeric & in_plan & ~one_point & ~base_met, progress, np.nan)
    res["elapsed_share"] = np.where(in_plan, elapsed, np.nan)
    res["status"] = status
    res["growth_ratio"] = gratio
    res["growth_category"] = gcat
    res[proj_cols] = proj[proj_cols]
    res["model"] = model
    res["note"] = note
    res["rank"] = np.nan
    res["n_peers"] = np.nan
    res = _rank_and_trend(res, usable, cat, as_of, top_k, min_peers, level)
    res.loc[res["target_type"] == "qualitative", "note"] = "qualitative goal: listed, not scored"
    res["status_zh"] = res["status"].map(STATUS_ZH)
    return res.reset_index()[COLUMNS + EXTRA]


def _add(note: np.ndarray, mask, message) -> np.ndarray:
    """Append ``message(i)`` to the note of every row position ``i`` in ``mask``."""
    note = note.copy()
    for i in np.flatnonzero(mask):
        text = message(i)
        note[i] = f"{note[i]}; {text}" if note[i] else text
    return note


def _usable(panel: pd.DataFrame) -> pd.DataFrame:
    """Observations on the indicator's own definition, with a ``source`` column."""
    usable = on_definition(panel)
    if "source" not in usable.columns:
        usable = usable.assign(source="")
    return usable.reset_index(drop=True)


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
            "tcode": np.arange(len(tg)),
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
    tg = targets.copy()
    plans = cat.plans.set_index("plan_id")
    if "jurisdiction_id" not in tg.columns:
        tg["jurisdiction_id"] = tg["plan_id"].map(plans["jurisdiction_id"])
    tg["plan_base_year"] = tg["plan_id"].map(plans["base_year"]).astype(float)
    ind = cat.indicators.set_index("indicator_id")
    for col in ("name_zh", "unit", "direction", "domain", "lower_limit", "upper_limit"):
        if col not in tg.columns:
            tg[col] = tg["indicator_id"].map(ind[col])
    tg["direction"] = tg["direction"].astype(float)
    tg["target_year"] = tg["target_year"].astype(int)
    for col in ("scope",):
        if col not in tg.columns:
            tg[col] = ""
    return tg.drop(columns=["base_year", "base_value"], errors="ignore")


def _cumulative(out, m, usable, A, B, note, cum):
    """Additions over the plan period: difference of stocks (flag ``cumulative``) or sum of annual flows."""
    A, B = A.copy(), B.copy()
    flags = usable.assign(
        is_stock=usable.get("flag", pd.Series("", index=usable.index))
        .fillna("")
        .str.contains("cumulative")
    )
    stock_keys = set(
        map(
            tuple,
            flags.loc[flags.is_stock, ["jurisdiction_id", "indicator_id"]]
            .drop_duplicates()
            .to_numpy(),
        )
    )
    note = note.copy()
    for i in np.flatnonzero(cum):
        row = out.iloc[i]
        rows = m[m["tcode"] == i]
        base_year = row["plan_base_year"]
        if (row["jurisdiction_id"], row["indicator_id"]) in stock_keys:
            at_base = rows[rows["year"] == base_year]
            if at_base.empty or rows.empty:
                A[i], B[i] = np.nan, np.nan
                note[i] = (
                    f"stock data: no value at base year {int(base_year)} to count additions from"
                )
                continue
            A[i] = rows["value"].iloc[-1] - at_base["value"].iloc[0]
            note[i] = f"additions = stock {rows['year'].iloc[-1]} − stock {int(base_year)}"
        else:
            flows = rows[rows["year"] > base_year]
            if flows.empty:
                A[i], B[i] = np.nan, np.nan
                continue
            A[i] = flows["value"].sum()
            note[i] = f"additions = sum of {len(flows)} annual values after {int(base_year)}"
        B[i] = 0.0
    out["base_year"] = np.where(cum & ~np.isnan(B), out["plan_base_year"], out["base_year"])
    return A, B, note


def _rank_and_trend(res, usable, cat, as_of, top_k, min_peers, level):
    jur = cat.jurisdictions.set_index("jurisdiction_id")
    for tid in res.index[res["target_type"] == "rank"]:
        row = res.loc[tid]
        res.loc[tid, ["status", "note"]] = _rank_one(
            row, usable, jur, as_of, top_k, min_peers, res, tid
        )
    trend = res.index[res["target_type"] == "trend"]
    for tid in trend:
        row = res.loc[tid]
        s = usable[
            (usable["jurisdiction_id"] == row["jurisdiction_id"])
            & (usable["indicator_id"] == row["indicator_id"])
            & (usable["year"] >= row["plan_base_year"])
            & (usable["year"] <= row["cap"])
        ]
        res.loc[tid, "n_points"] = len(s)
        if len(s) < 3:
            res.loc[tid, "note"] = (
                f"trend needs at least 3 values from {int(row['plan_base_year'])}; {len(s)} found"
            )
            continue
        fit = ols_by_group(
            np.zeros(len(s), dtype=int), s["year"].to_numpy(float), s["value"].to_numpy(float), 1
        )
        slope, se = fit["slope"][0], fit["se_slope"][0]
        want = 1.0 if row["comparator"] == ">=" else -1.0
        tstat = want * slope / se if se > 0 else np.inf * np.sign(want * slope)
        p_one_sided = float(stats.t.sf(tstat, fit["n"][0] - 2))
        significant = p_one_sided < 1 - level
        right_way = want * slope > 0
        fitted = f"slope {slope:+.4g}/yr over {len(s)} values, one-sided p = {p_one_sided:.3f}"
        if row["past"]:
            # A past target is met only when the trend is confirmed; a slope in the wanted direction
            # that is not significant can be called neither met nor missed.
            status = (
                "met"
                if right_way and significant
                else ("missed" if not right_way else "not_assessable")
            )
        else:
            status = (
                "ahead" if right_way and significant else ("behind" if right_way else "regressing")
            )
        if status == "not_assessable":
            fitted += f": in the wanted direction but not significant at {1 - level:.0%}"
        res.loc[tid, "status"] = status
        res.loc[tid, "latest_year"] = s["year"].max()
        res.loc[tid, "latest_value"] = s.sort_values("year")["value"].iloc[-1]
        res.loc[tid, "note"] = fitted
    return res


def _rank_one(row, usable, jur, as_of, top_k, min_peers, res, tid):
    j = row["jurisdiction_id"]
    level_j = jur.at[j, "level"]
    peers = jur.index[jur["level"] == level_j]
    if row.get("scope") == "province":
        peers = jur.index[(jur["level"] == level_j) & (jur["parent_id"] == jur.at[j, "parent_id"])]
    s = usable[
        (usable["indicator_id"] == row["indicator_id"]) & usable["jurisdiction_id"].isin(peers)
    ]
    s = s[s["year"] <= row["cap"]]
    own = s[s["jurisdiction_id"] == j]
    if own.empty:
        return "not_assessable", f"no data for {j}"
    year = own["year"].max()
    same_year = s[s["year"] == year]
    n = same_year["jurisdiction_id"].nunique()
    res.loc[tid, "n_peers"] = n
    if n < min_peers:
        return (
            "not_assessable",
            f"only {n} {level_j}(s) with data in {year}; a rank needs at least {min_peers}",
        )
    d = row["direction"]
    values = same_year.groupby("jurisdiction_id")["value"].last()
    rank = int((d * values > d * values[j]).sum() + 1)
    k = int(row["target_value"]) if pd.notna(row["target_value"]) else top_k
    res.loc[tid, "rank"] = rank
    ok = rank <= k
    status = ("met" if ok else "missed") if row["past"] else ("achieved" if ok else "behind")
    return status, f"rank {rank} of {n} in {year} (target: top {k})"


def summarise(
    assessment: pd.DataFrame,
    by: Sequence[str] = ("plan_id", "domain"),
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Counts per status and attainment per group.

    Parameters
    ----------
    assessment : output of :func:`assess`.
    by : grouping columns.
    weights : weight per ``target_id`` for the attainment score (default: equal weights).

    Returns
    -------
    DataFrame
        one row per group: ``n_targets``, one count column per status (``achieved``, ``ahead``, ``behind``,
        ``regressing``, ``met``, ``missed``, ``not_assessable``), ``n_assessable``, ``share_achieved``
        (achieved or met, over assessable), ``mean_completion`` (mean capped completion over targets with a
        completion ratio) and ``attainment_score`` 0–100 (weighted mean of capped completion × 100).
    """
    a = assessment.copy()
    w = pd.Series(1.0, index=a.index)
    if weights is not None:
        w = a["target_id"].map(pd.Series(weights)).fillna(0.0).astype(float)
    a["_w"] = w
    counts = pd.crosstab([a[c] for c in by], a["status"]).reindex(
        columns=STATUS_ORDER, fill_value=0
    )
    g = a.groupby(list(by))
    out = counts.copy()
    out.insert(0, "n_targets", g.size())
    out["n_assessable"] = out["n_targets"] - out["not_assessable"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_achieved"] = (out["achieved"] + out["met"]) / out["n_assessable"].where(
            out["n_assessable"] > 0
        )
    has = a[a["completion_capped"].notna()]
    keys = [has[c] for c in by]
    weighted = (has["completion_capped"] * has["_w"]).groupby(keys).sum()
    total_w = has["_w"].groupby(keys).sum()
    out["mean_completion"] = has["completion_capped"].groupby(keys).mean()
    out["attainment_score"] = 100 * weighted / total_w.where(total_w > 0)
    out.columns.name = None
    return out.reset_index()
