"""Charts for people who do not read code: Chinese labels that render, units on every axis, the target line
and target year visible, one colour per status across all charts.

Every chart function draws inside :func:`style`, which registers a CJK font and puts it in ``font.family``,
so that ``seaborn.set_theme()`` called anywhere before cannot bring back empty boxes.

Example
-------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> family = use_chinese_font()
>>> family in CJK_FAMILIES
True
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from qindex.catalog import DOMAINS_ZH, plan_name
from qindex.errors import FontError
from qindex.progress import STATUS_ORDER, STATUS_ZH

#: CJK families tried in order (the first is shipped by the ``noto-cjk-sans-otc`` wheel).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "SimHei",
)
#: One colour per status, in every chart.
STATUS_COLORS = {
    "achieved": "#1a9850",
    "met": "#006837",
    "ahead": "#91cf60",
    "behind": "#fdae61",
    "regressing": "#d73027",
    "missed": "#a50026",
    "baseline_only": "#9ecae1",
    "not_comparable": "#8c6bb1",
    "unconfirmed": "#b8860b",
    "not_assessable": "#bdbdbd",
    "not_scored": "#f0f0f0",
}
OFFICE_COLOR = "#e08214"
#: Projection models as a reader names them.
MODEL_ZH = {
    "linear": "线性",
    "loglinear": "对数线性",
    "logit": "logit变换",
    "holt": "霍尔特指数平滑",
}
OBSERVED_COLOR = "#2c7fb8"
TARGET_COLOR = "#d7301f"
PROJECTION_COLOR = "#756bb1"
SYNTHETIC_MARK = "示例数据(合成,非真实数据)"

_registered: str | None = None


def use_chinese_font(path: str | os.PathLike | None = None) -> str:
    """Register a font with Chinese glyphs and return its family name.

    Order: ``path`` or the ``QINDEX_CJK_FONT`` environment variable (a .ttf/.otf/.ttc file), the font shipped
    by the ``noto-cjk-sans-otc`` package, then fonts installed on the system (:data:`CJK_FAMILIES`).

    Raises
    ------
    FontError
        with install hints, when none is found: charts would show empty boxes instead of Chinese.
    """
    global _registered
    if _registered and path is None:
        return _registered
    candidates = [path or os.environ.get("QINDEX_CJK_FONT")]
    with contextlib.suppress(ImportError):
        import noto_cjk_sans_otc

        candidates.append(str(noto_cjk_sans_otc.FONT_PATH))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            font_manager.fontManager.addfont(str(candidate))
    available = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in available:
            _registered = family
            return family
    raise FontError(
        "no font with Chinese glyphs found; install one: `pip install noto-cjk-sans-otc` (part of "
        "`pip install -e .[notebooks]`), or `apt install fonts-noto-cjk`, or set QINDEX_CJK_FONT to a .ttf/.ttc file"
    )


def font_rc() -> dict:
    """rcParams that draw Latin text with DejaVu Sans and Chinese with the CJK font, glyph by glyph."""
    return {
        "font.family": ["DejaVu Sans", use_chinese_font()],
        "axes.unicode_minus": False,
        "figure.dpi": 110,
        "savefig.dpi": 110,
    }


@contextlib.contextmanager
def style():
    """House style for one chart: seaborn's whitegrid look with the CJK font set last, so it wins."""
    with sns.axes_style("whitegrid"), plt.rc_context(font_rc()):
        yield
    # the inline backend registers its own PNG formatter when it draws its first figure, after this module
    # registered the one that adds alt text: register again once the chart exists, so every chart carries it
    _register_alt_text()


def set_theme() -> str:
    """Apply the house style globally (for exploring in JupyterLab); returns the CJK family used."""
    sns.set_theme(style="whitegrid")
    mpl.rcParams.update(font_rc())
    return use_chinese_font()


def figure_alt(fig) -> str:
    """Alt text for a chart, in the language of its own labels: the title, then each panel's title and axis
    labels (screen readers and readers whose images are blocked get what the chart shows)."""
    parts = []
    sup = fig._suptitle.get_text().strip() if getattr(fig, "_suptitle", None) else ""
    if sup:
        parts.append(sup.replace("\n", " "))
    panels = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.has_data():
            continue
        bits = [ax.get_title().replace("\n", " ").strip()]
        for label in (ax.get_ylabel(), ax.get_xlabel()):
            if label.strip():
                bits.append(label.replace("\n", " ").strip())
        bits = [b for b in bits if b]
        if bits:
            panels.append("(" + ",".join(bits) + ")" if not bits[0] else ",".join(bits))
    if panels:
        parts.append(f"共 {len(panels)} 幅:" + ";".join(panels[:30]))
    return "图表:" + "。".join(parts) if parts else "图表"


def _png_with_alt(fig):
    """The PNG the notebook shows for a figure, with its alt text as output metadata (read by the report
    template)."""
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight"), {"alt": figure_alt(fig)}


def _register_alt_text() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebooks extra
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, _png_with_alt)


_register_alt_text()


def unit_label(unit: str) -> str:
    return f"单位:{unit}" if unit else "无单位"


def status_counts(assessment: pd.DataFrame, title: str = "目标进展状态", synthetic: bool = False):
    """Horizontal bar chart of the number of targets per status (Chinese labels, status colours)."""
    counts = assessment["status"].value_counts().reindex(STATUS_ORDER, fill_value=0)
    counts = counts[counts > 0]
    with style():
        fig, ax = plt.subplots(figsize=(7, max(2.6, 0.8 + 0.45 * len(counts))))
        labels = [STATUS_ZH[s] for s in counts.index]
        ax.barh(labels, counts.to_numpy(), color=[STATUS_COLORS[s] for s in counts.index])
        for y, v in enumerate(counts.to_numpy()):
            ax.text(v, y, f" {v}", va="center")
        ax.invert_yaxis()
        ax.set_xlabel("目标数(个)")
        ax.set_title(_title(title, synthetic))
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        fig.tight_layout()
    plt.close(fig)  # shown where the caller displays it, once
    return fig


def domain_summary(
    assessment: pd.DataFrame, title: str = "各领域目标进展", synthetic: bool = False
):
    """Stacked bars: targets per domain (Chinese names), split by status."""
    table = pd.crosstab(assessment["domain"].map(DOMAINS_ZH).fillna("未分类"), assessment["status"])
    return _status_stack(table, _title(title, synthetic))


def target_panels(
    assessment: pd.DataFrame,
    panel: pd.DataFrame,
    plan: pd.Series,
    projections: dict[str, pd.DataFrame] | None = None,
    ncols: int = 3,
    synthetic: bool = False,
    as_of: int | None = None,
):
    """Small multiples, one panel per assessable level target (values up to ``as_of``: a chart shows no more
    than the assessment it illustrates).

    Each panel shows the observed values (points and line), the target as a horizontal line up to the target
    year (marked), the plan period shaded, and, where given, the projection to the target year with its
    prediction band. ``projections`` maps target_id to a frame with ``year, value, lower, upper``.
    Returns ``None`` when no target has data.
    """
    rows = assessment[(assessment["target_type"] == "level") & assessment["latest_value"].notna()]
    if rows.empty:
        return None
    ncols = min(ncols, len(rows))
    nrows = math.ceil(len(rows) / ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), squeeze=False)
        for ax, (_, t) in zip(axes.ravel(), rows.iterrows(), strict=False):
            s = panel[
                (panel.jurisdiction_id == t.jurisdiction_id)
                & (panel.indicator_id == t.indicator_id)
                & (panel.year <= (as_of if as_of else panel.year.max()))
            ].sort_values("year")
            ax.axvspan(plan.base_year, plan.target_year, color="#f0f0f0", zorder=0, label="规划期")
            inferred = s["flag"].fillna("").str.contains("inferred") if "flag" in s else s.year < 0
            office = s["origin"].eq("office") if "origin" in s else s.year < 0
            doubtful = (
                s["flag"].fillna("").str.contains("low_confidence|provisional")
                if "flag" in s
                else s.year < 0
            ) & ~inferred
            ax.plot(s.year, s.value, "-", color=OBSERVED_COLOR, zorder=2)
            ax.plot(
                s.year[~inferred & ~office & ~doubtful],
                s.value[~inferred & ~office & ~doubtful],
                "o",
                color=OBSERVED_COLOR,
                ms=4,
                label="实际值",
            )
            if (
                doubtful.any()
            ):  # low confidence or provisional: drawn apart, as the table marks them
                ax.plot(
                    s.year[doubtful],
                    s.value[doubtful],
                    "D",
                    mfc="none",
                    color=OBSERVED_COLOR,
                    ms=5,
                    label="实际值(可信度低或初步数据)",
                )
            if office.any():
                ax.plot(
                    s.year[office & ~inferred],
                    s.value[office & ~inferred],
                    "s",
                    color=OFFICE_COLOR,
                    ms=5,
                    zorder=3,
                    label="实际值(内部数据)",
                )
            if inferred.any():
                ax.plot(
                    s.year[inferred],
                    s.value[inferred],
                    "o",
                    mfc="white",
                    color=OBSERVED_COLOR,
                    ms=6,
                    label="推断值(由较大范围指标的上/下限推出)",
                )
            first = min(s.year.min(), plan.base_year)
            ax.hlines(
                t.target_value,
                first,
                t.target_year,
                colors=TARGET_COLOR,
                linestyles="--",
                label="目标值(至目标年)",
            )
            ax.plot([t.target_year], [t.target_value], marker="*", color=TARGET_COLOR, ms=11)
            ax.annotate(
                f"{int(t.target_year)}年目标",
                (t.target_year, t.target_value),
                textcoords="offset points",
                xytext=(-4, 7),
                ha="right",
                fontsize=8,
                color=TARGET_COLOR,
            )
            proj = (projections or {}).get(t.target_id)
            if proj is not None and not proj.empty:
                ax.plot(
                    proj.year,
                    proj.value,
                    ":",
                    color=PROJECTION_COLOR,
                    label=f"趋势外推({MODEL_ZH.get(t.model, t.model)})",
                )
                ax.fill_between(
                    proj.year,
                    proj.lower,
                    proj.upper,
                    color=PROJECTION_COLOR,
                    alpha=0.18,
                    label="预测区间",
                )
            ax.set_title(
                f"{_wrap(t.name_zh, 16)}\n[{t.status_zh}]",
                fontsize=10,
                color=STATUS_COLORS.get(t.status, "black"),
            )
            ax.set_xlabel("年份")
            ax.set_ylabel(unit_label(t.unit))
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=6, integer=True))
        for ax in axes.ravel()[len(rows) :]:
            ax.set_visible(False)
        legend: dict = {}
        for ax in axes.ravel()[: len(rows)]:
            for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, h)
        handles, labels = list(legend.values()), list(legend)
        fig.legend(
            handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False
        )
        fig.suptitle(_title(f"{plan.title_zh}:各指标实际值、目标与趋势", synthetic), fontsize=11)
        fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    plt.close(fig)  # shown where the caller displays it, once
    return fig


def _plan_label(plan_id: str) -> str:
    return plan_name(plan_id)


def _title(title: str, synthetic: bool) -> str:
    if synthetic and not title.startswith("【示例数据"):
        return f"【{SYNTHETIC_MARK}】{title}"
    return title


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


# ---------------------------------------------------------------- index charts


def index_ranking(
    scores: pd.DataFrame,
    pillars: list[str],
    weights: pd.Series,
    names: dict,
    index_code: str,
    title: str,
    ranked: bool = True,
):
    """Units' index scores, each bar split into pillar contributions (weight share of the pillars with data ×
    pillar score, so the parts add up to the index). Sorted by score only when ``ranked``; otherwise in the
    order given (the scores table's), so that the chart does not read as a ranking."""
    s = scores.sort_values(index_code, ascending=True) if ranked else scores.iloc[::-1]
    p = s[pillars]
    w = weights.reindex(pillars).to_numpy()
    share = np.where(p.notna(), w, 0.0)
    share = share / share.sum(axis=1, keepdims=True)
    contrib = p.fillna(0).to_numpy() * share
    palette = sns.color_palette("Set2", len(pillars))
    with style():
        fig, ax = plt.subplots(figsize=(8, max(2.6, 0.9 + 0.5 * len(s))))
        left = np.zeros(len(s))
        for j, code in enumerate(pillars):
            ax.barh(
                [names.get(u, u) for u in s.index],
                contrib[:, j],
                left=left,
                color=palette[j],
                label=names.get(code, code),
            )
            left += contrib[:, j]
        for y, v in enumerate(s[index_code].to_numpy()):
            ax.text(v, y, f" {v:.1f}", va="center", fontsize=9)
        ax.set_xlabel("指数得分(0–100,100 = 达到规划目标)")
        ax.set_xlim(0, 110)
        # the legend gets its own strip under the axis label (a fixed offset overlapped it with few bars)
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        ax.set_title(title)
        fig.tight_layout(rect=(0, min(0.4, 0.5 / fig.get_figheight()), 1, 1))
    plt.close(fig)
    return fig


def index_over_time(scores: pd.Series, names: dict, title: str, breaks: dict | None = None):
    """Index score over time, one colour per unit (``scores`` indexed by unit and year). A line joins only
    consecutive years with a score and no basket change between them (``breaks``: per unit, the years whose
    basket differs from the year before); across a gap or a break the points stand alone."""
    breaks = breaks or {}
    palette = sns.color_palette("tab10", 10)
    with style():
        fig, ax = plt.subplots(figsize=(8, 3.8))
        for k, (unit, s) in enumerate(scores.dropna().groupby(level=0)):
            years = s.index.get_level_values(1).to_numpy()
            values = s.to_numpy()
            cut = np.flatnonzero(
                (np.diff(years) != 1) | np.isin(years[1:], list(breaks.get(unit, ())))
            )
            color = palette[k % 10]
            for j, (ys, vs) in enumerate(
                zip(np.split(years, cut + 1), np.split(values, cut + 1), strict=True)
            ):
                ax.plot(
                    ys, vs, "-o", ms=4, color=color, label=names.get(unit, unit) if j == 0 else None
                )
        ax.set_xlabel("年份")
        ax.set_ylabel("指数得分(0–100)")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=8, integer=True))
        ax.legend(fontsize=8, ncol=2)
        ax.set_title(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


def rank_uncertainty(rank_stats: pd.DataFrame, names: dict, title: str):
    """Nominal and median rank with the 5–95 % range of ranks over the replications (rank 1 at the top)."""
    r = rank_stats.sort_values("nominal_rank")
    labels = [names.get(u, u) for u in r.index]
    y = np.arange(len(r))
    with style():
        fig, ax = plt.subplots(figsize=(7, max(2.6, 0.9 + 0.45 * len(r))))
        ax.hlines(y, r["q05_rank"], r["q95_rank"], color="#9ecae1", lw=6, label="5–95% 排名区间")
        ax.plot(r["median_rank"], y, "o", color=OBSERVED_COLOR, label="中位排名")
        ax.plot(r["nominal_rank"], y, "x", color=TARGET_COLOR, ms=9, label="名义排名")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel("排名(1 = 最好)")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


def sensitivity_bars(indices: pd.DataFrame, title: str):
    """First-order and total Sobol' indices per assumption, with their bootstrap intervals."""
    y = np.arange(len(indices))
    with style():
        fig, ax = plt.subplots(figsize=(7, max(2.6, 0.9 + 0.6 * len(indices))))
        for offset, col, color, label in (
            (-0.18, "first_order", OBSERVED_COLOR, "一阶指数"),
            (0.18, "total", PROJECTION_COLOR, "总效应指数"),
        ):
            v = indices[col].clip(lower=0).to_numpy()
            lo = np.clip(v - indices[f"{col}_low"].clip(lower=0).to_numpy(), 0, None)
            hi = np.clip(indices[f"{col}_high"].to_numpy() - v, 0, None)
            ax.barh(y + offset, v, height=0.34, color=color, xerr=[lo, hi], label=label, capsize=3)
        ax.set_yticks(y, indices["assumption"])
        ax.invert_yaxis()
        ax.set_xlabel("对排名平均变动的方差贡献(Sobol 指数,0–1)")
        ax.set_xlim(0, max(1.0, float(indices[["first_order_high", "total_high"]].max().max())))
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


def correlation_heatmap(frame: pd.DataFrame, names: dict, title: str, min_periods: int = 3):
    """Pearson correlations between indicators (pairs with fewer than ``min_periods`` common values blank)."""
    c = frame.corr(min_periods=min_periods)
    c = c.dropna(how="all").dropna(axis=1, how="all")
    labels = [names.get(k, k) for k in c.columns]
    with style():
        fig, ax = plt.subplots(figsize=(1.2 + 0.42 * len(c), 1.0 + 0.38 * len(c)))
        sns.heatmap(
            c,
            vmin=-1,
            vmax=1,
            cmap="RdBu_r",
            annot=len(c) <= 14,
            fmt=".2f",
            annot_kws={"size": 7},
            xticklabels=labels,
            yticklabels=labels,
            cbar_kws={"label": "相关系数(无单位)"},
            ax=ax,
        )
        ax.set_title(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------- comparison and annual report charts


def targets_vs_latest(comparison: pd.DataFrame, title: str):
    """For each shared concept: each plan's target (marker) and the latest value of its place (dot), with the
    national comparator (grey line)."""
    concepts = comparison["concept"].unique().tolist()
    ncols = min(3, len(concepts))
    nrows = math.ceil(len(concepts) / ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 2.9 * nrows), squeeze=False)
        for ax, concept in zip(axes.ravel(), concepts, strict=False):
            c = comparison[comparison.concept == concept]
            y = np.arange(len(c))
            ax.plot(c["target_value"], y, "*", color=TARGET_COLOR, ms=11, label="目标值")
            ax.plot(c["latest_value"], y, "o", color=OBSERVED_COLOR, label="最新值")
            nat = c["national_value"].dropna()
            if len(nat):
                ax.axvline(nat.iloc[0], color="#969696", ls=":", label="全国(基期前后)")
            ax.set_yticks(
                y,
                [_plan_label(p) for p in c.plan_id],
                fontsize=8,
            )
            ax.set_xlabel(unit_label(c["unit"].iloc[0]))
            ax.set_title(_wrap(c["name_zh"].iloc[0], 16), fontsize=10)
            ax.margins(x=0.15, y=0.25)
        for ax in axes.ravel()[len(concepts) :]:
            ax.set_visible(False)
        legend: dict = {}
        for ax in axes.ravel()[: len(concepts)]:
            for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, h)
        handles, labels = list(legend.values()), list(legend)
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.suptitle(title, fontsize=11)
        fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    plt.close(fig)
    return fig


def ambition_chart(ambition: pd.DataFrame, title: str):
    """Median ambition per plan (target relative to the national value), in per cent."""
    a = ambition.sort_values("ambition")
    with style():
        fig, ax = plt.subplots(figsize=(7, max(2.4, 0.9 + 0.45 * len(a))))
        colors = [STATUS_COLORS["behind"] if v < 0 else OBSERVED_COLOR for v in a["ambition"]]
        ax.barh([_plan_label(p) for p in a["plan_id"]], 100 * a["ambition"], color=colors)
        for y, (v, n) in enumerate(zip(a["ambition"], a["n_targets"], strict=True)):
            ax.text(100 * v, y, f" {100 * v:+.1f}%(n={n})", va="center", fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("目标相对全国基期值的改进幅度(%,按指标方向)")
        ax.set_title(title)
        ax.margins(x=0.25)
        fig.tight_layout()
    plt.close(fig)
    return fig


def plan_status(assessment: pd.DataFrame, title: str, catalog=None):
    """Stacked bars: targets per plan by status (plans named from ``catalog``, default the shipped one)."""
    table = pd.crosstab(assessment["plan_id"], assessment["status"])
    table.index = [plan_name(p, catalog) for p in table.index]  # names, not ids, on the axis
    return _status_stack(table, title)


def _status_stack(table: pd.DataFrame, title: str):
    """Horizontal stacked bars of target counts by status (house colours and order), one bar per row."""
    table = table.reindex(columns=[s for s in STATUS_ORDER if s in table.columns])
    with style():
        fig, ax = plt.subplots(figsize=(8, max(2.8, 0.9 + 0.45 * len(table))))
        left = np.zeros(len(table))
        for status in table.columns:
            ax.barh(
                table.index,
                table[status],
                left=left,
                color=STATUS_COLORS[status],
                label=STATUS_ZH[status],
            )
            left += table[status].to_numpy()
        ax.invert_yaxis()
        ax.set_xlabel("目标数(个)")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.legend(loc="lower right", fontsize=8, frameon=True)
        ax.set_title(title)
        fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------- 考核 charts

#: Grade colours: A best (green) to the lowest (red), in the scheme's order.
GRADE_COLORS = ["#1a9850", "#91cf60", "#fdae61", "#d73027", "#a50026"]


def kaohe_league(table: pd.DataFrame, grades: list, title: str, synthetic: bool = False):
    """The 考核 league: each unit's total (bar, coloured by grade, in rank order) with the 5–95 % range of its
    total over the replications of the robustness study, and the grade boundaries as dashed lines."""
    t = table.sort_values(["rank", "unit_id"])
    colors = {g.grade: GRADE_COLORS[min(k, len(GRADE_COLORS) - 1)] for k, g in enumerate(grades)}
    y = np.arange(len(t))
    with style():
        fig, ax = plt.subplots(figsize=(8, max(3.0, 1.2 + 0.42 * len(t))))
        ax.barh(y, t["total"], color=[colors[g] for g in t["grade"]], height=0.6)
        ax.hlines(
            y,
            t["total_q05"],
            t["total_q95"],
            color="#555555",
            lw=1.5,
            label="5–95% 区间(计分假设变动)",
        )
        for g in grades[:-1]:
            ax.axvline(g.min, color="#777777", ls="--", lw=0.8)
            ax.text(
                g.min, -0.9, f"{g.grade}级 {g.min:g}分", fontsize=8, ha="center", color="#555555"
            )
        for yy, (v, g) in enumerate(zip(t["total"], t["grade"], strict=True)):
            ax.text(max(v, 0) + 1, yy, f"{v:.1f} {g}", va="center", fontsize=8)
        ax.set_yticks(y, [f"{int(r)}. {n}" for r, n in zip(t["rank"], t["name_zh"], strict=True)])
        ax.invert_yaxis()
        ax.set_ylim(len(t) - 0.4, -1.3)
        ax.set_xlim(0, max(110, float(t["total_q95"].max()) + 8))
        ax.set_xlabel("考核总分(分)")
        handles = [mpl.patches.Patch(color=colors[g.grade], label=f"{g.grade}级") for g in grades]
        handles.append(mpl.lines.Line2D([], [], color="#555555", lw=1.5, label="5–95% 区间"))
        ax.legend(handles=handles, fontsize=8, loc="lower right", frameon=True)
        ax.set_title(_title(title, synthetic))
        fig.tight_layout()
    plt.close(fig)
    return fig


def kaohe_parts(shares: pd.DataFrame, names: dict, title: str, synthetic: bool = False):
    """Each part's score as a share of its points (%), one dot per unit, with the median marked."""
    long = (
        shares.rename(index=names)
        .reset_index(names="单位")
        .melt(id_vars="单位", var_name="部分", value_name="得分率")
    )
    with style():
        fig, ax = plt.subplots(figsize=(8, 1.4 + 0.9 * shares.shape[1]))
        sns.stripplot(
            data=long, x="得分率", y="部分", ax=ax, color=OBSERVED_COLOR, size=6, jitter=0.15
        )
        med = shares.median()
        ax.scatter(
            med.to_numpy(),
            np.arange(len(med)),
            marker="|",
            s=600,
            color=TARGET_COLOR,
            label="中位数",
            zorder=3,
        )
        ax.set_xlim(-2, 102)
        ax.set_xlabel("得分率(该部分得分 ÷ 分值,%)")
        ax.set_ylabel("")
        ax.legend(fontsize=8, loc="lower left")
        ax.set_title(_title(title, synthetic))
        fig.tight_layout()
    plt.close(fig)
    return fig


def kaohe_unit(unit: pd.Series, median: pd.Series, title: str, synthetic: bool = False):
    """One unit's score rate per part beside the median of all units (%)."""
    y = np.arange(len(unit))
    with style():
        fig, ax = plt.subplots(figsize=(7, 1.4 + 0.7 * len(unit)))
        ax.barh(y - 0.18, unit.to_numpy(), height=0.34, color=OBSERVED_COLOR, label="本单位")
        ax.barh(y + 0.18, median.to_numpy(), height=0.34, color="#bbbbbb", label="全部单位中位数")
        for yy, v in enumerate(unit.to_numpy()):
            ax.text(v + 1, yy - 0.18, f"{v:.0f}%", va="center", fontsize=8)
        ax.set_yticks(y, unit.index)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("得分率(该部分得分 ÷ 分值,%)")
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title(_title(title, synthetic))
        fig.tight_layout()
    plt.close(fig)
    return fig


def _fonts_on_import() -> None:
    """The house theme on ``import qindex.plots``: seaborn's whitegrid style, and Chinese text that renders in
    any chart drawn after it (an analyst's own seaborn chart included). Sizes stay matplotlib's (the reports'
    charts are drawn exactly as before); :func:`set_theme` also applies seaborn's sizes. A machine without a
    CJK font gets the :class:`FontError` with its install hints when a chart is drawn, not at import."""
    sns.set_style("whitegrid")
    try:
        mpl.rcParams["font.family"] = ["DejaVu Sans", use_chinese_font()]
        mpl.rcParams["axes.unicode_minus"] = False
    except FontError:
        pass


_fonts_on_import()
