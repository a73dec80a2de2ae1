"""The per-target rules for cumulative, rank and trend targets, as they were before they were vectorised.

Kept as the oracle the vectorised rules in :mod:`qindex.progress` are checked against (test_progress_rules.py):
each target is decided on its own rows, filtered from the whole table, in plain Python. Slow (the time grows
with targets × observations) and obvious.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from qindex.observations import year_ranges
from qindex.progress import Context, _blank, _rounding, _say, number_text
from qindex.trend import ols_by_group


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
    each side). Fewer than 3 values: not assessable. A past target year → met/missed; a live one → achieved
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
        if len(years) < 3:  # issue 24: "持续…" needs three values (was two)
            n, cap = len(years), int(row["cap"])
            have = f",截至{cap}年只有{n}个" if n else ""
            _say(
                out,
                i,
                f"{row['place_zh']}{row['name_zh']}:至少3个年份的数据才能判断是否持续{word}{have}",
                f"{n} value(s) for {row['place_en']} up to {cap} (3 years are needed to call a trend continuing)",
            )
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


def _series_rows(row, ctx: Context, up_to: int) -> pd.DataFrame:
    u = ctx.usable
    s = u[
        (u["jurisdiction_id"] == row["jurisdiction_id"])
        & (u["indicator_id"] == row["indicator_id"])
        & (u["year"] <= up_to)
    ]
    return s.sort_values("year")


# ------------------------------------------------------------------ the per-row helpers they used


def _record(out: pd.DataFrame, i: int, row, verdict: dict) -> None:
    """Write one row's verdict (result columns, its sentences, and who holds the data when undecided)."""
    for key, value in verdict.items():
        if key in out.columns:
            out.iloc[i, out.columns.get_loc(key)] = value
    _say(out, i, verdict["zh"], verdict["en"])
    if verdict["status"] == "not_assessable":
        _settle(out, i, row)


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


def _top_k(row, n: int, rule: Mapping[str, float]) -> int:
    if pd.notna(row["target_value"]):
        return int(row["target_value"])
    return max(int(rule["min_k"]), math.ceil(rule["top_share"] * n))


def _k_text(row, k: int, n: int, rule) -> str:
    if pd.notna(row["target_value"]):
        return f"目标为前{k}名"
    return f"“前列”按前{rule['top_share']:.0%}且至少前{int(rule['min_k'])}名计,即前{k}名"
