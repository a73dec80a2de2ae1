"""The project's own index: 城市质量竞争力指数 over the shipped panel (framework in params/quality_index.yaml)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.composite.build import IndexResult, build_index
from qindex.composite.framework import Framework, load_framework

FRAMEWORK_FILE = paths.PARAMS / "quality_index.yaml"


def panel_to_wide(panel: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Long observations → (unit, year) × indicators, every year from the first to the last in the panel,
    leaving out values flagged as another definition."""
    from qindex.observations import on_definition

    usable = on_definition(panel[panel["indicator_id"].isin(indicators)])
    wide = usable.pivot_table(
        index=["jurisdiction_id", "year"], columns="indicator_id", values="value", aggfunc="first"
    )
    units = sorted(usable["jurisdiction_id"].unique())
    years = range(int(usable["year"].min()), int(usable["year"].max()) + 1)
    full = pd.MultiIndex.from_product([units, years], names=["jurisdiction_id", "year"])
    return wide.reindex(index=full, columns=indicators)


def quality_index(
    panel: pd.DataFrame | None = None, framework: Framework | Path | str | None = None
) -> IndexResult:
    """Build the index for every place and year of the panel (default: the shipped observations).

    Scores compare across years (goalposts, not sample min/max). ``result.imputed_cells`` flags every value
    carried forward from an earlier year; ``result.screened_out`` lists place-years below the availability
    threshold.
    """
    from qindex.panel import load_panel

    panel = load_panel() if panel is None else panel
    fw = (
        framework
        if isinstance(framework, Framework)
        else load_framework(framework or FRAMEWORK_FILE)
    )
    data = panel_to_wide(panel, fw.indicators)
    return build_index(data, fw)


def cross_section(result: IndexResult, year: int) -> tuple[pd.DataFrame, Framework]:
    """The data of one year after carrying values forward (as used for that year's scores), with a framework
    that does not impute again: the input for an uncertainty analysis of that year's ranking."""
    imputed = result.stages["imputed"]
    data = imputed.xs(year, level="year")
    fw = result.framework.with_changes(
        steps={"impute": {"method": "none"}, "screen": result.framework.steps["screen"]}
    )
    return data, fw


def load_study_spec(path: Path | str | None = None) -> dict:
    """The ``study`` section of params/quality_index.yaml (the uncertain assumptions of the index)."""
    import yaml

    spec = yaml.safe_load(Path(path or FRAMEWORK_FILE).read_text(encoding="utf-8"))
    return spec.get("study", {})


class IndexReport:
    """Everything the quality-index notebook shows for one year, computed by the library."""

    def __init__(
        self,
        year: int = 0,
        units: str = "",
        replications: int = 200,
        framework_file: str = "",
        sa_n: int = 64,
    ):
        import warnings

        from qindex.catalog import load_catalog
        from qindex.composite.analysis import availability
        from qindex.composite.build import effective_weights
        from qindex.composite.sensitivity import load_study, sensitivity, uncertainty

        path = paths.ROOT / framework_file if framework_file else FRAMEWORK_FILE
        self.result = quality_index(framework=load_framework(path))
        fw = self.result.framework
        scores = self.result.scores
        years = scores.index.get_level_values("year")
        counts = pd.Series(years).value_counts()
        # default year: the latest year in which the most places have an index score
        self.year = int(year) if year else int(counts[counts == counts.max()].index.max())
        wanted = [u.strip() for u in units.split(",") if u.strip()]
        jur = load_catalog().jurisdictions.set_index("jurisdiction_id")["name_zh"]
        ind = load_catalog().indicators.set_index("indicator_id")["name_zh"]
        nodes = fw.nodes.set_index("code")["name"]
        own_names = {c: n for c, n in nodes.items() if n != c}  # names given in the framework win
        self.names = {**jur.to_dict(), **ind.to_dict(), **own_names}
        self.pillars = fw.nodes.loc[fw.nodes.level == 2, "code"].tolist()
        self.top = fw.top
        self.weights = effective_weights(fw)
        year_scores = scores.xs(self.year, level="year") if self.year in years else scores.iloc[0:0]
        if wanted:
            year_scores = year_scores.loc[[u for u in wanted if u in year_scores.index]]
        self.year_scores = year_scores
        self.over_time = scores[self.top]
        data, fw_year = cross_section(self.result, self.year)
        data = data.loc[year_scores.index] if len(year_scores) else data
        study = load_study(load_study_spec(path), fw_year)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.ua = uncertainty(data, fw_year, study, n=replications)
            self.sa = sensitivity(data, fw_year, study, n=sa_n, n_boot=300)
        self.availability = availability(self.result)
        self.normalised = self.result.stages["normalised"]
        self.imputed = self.result.imputed_cells

    def comparability(self) -> pd.DataFrame:
        """Per place scored in the year: level, share of indicators with data of the year itself (before any
        value is carried forward), the pillars it is scored on, its comparison group and whether it can be
        ranked. See :func:`comparable_groups`."""
        from qindex.catalog import load_catalog

        levels = load_catalog().jurisdictions.set_index("jurisdiction_id")["level"]
        avail = self.availability.xs(self.year, level="year")["availability"]
        return comparable_groups(self.year_scores, self.pillars, avail, levels)

    @property
    def ranked(self) -> bool:
        return bool(self.comparability()["rankable"].any())

    def rank_note(self) -> str:
        """One sentence: which places are ranked, or why none is."""
        return rank_sentence(self.comparability(), self.names)

    def front(self) -> str:
        """The first screen: title, year, places, and what can and cannot be said (HTML)."""
        import html

        from qindex.report import zh_punct

        n = len(self.year_scores)
        breaks = self.basket_breaks()
        text = (
            f"{self.year}年共{n}个地区有指数得分("
            + "、".join(self.names.get(u, u) for u in self.year_scores.index)
            + ")。"
            + self.rank_note()
            + (
                f"各地纳入指数的指标历年有变化({len(breaks)}处),变化前后的得分不可直接比较。"
                if len(breaks)
                else ""
            )
        )
        return (
            (
                f"<h1>城市质量竞争力指数({self.year}年)</h1>"
                f"<p>年份:{self.year}年 · 地区:{n}个 · 支柱:{len(self.pillars)}个</p>"
                f'<h2>总体说明</h2><p class="qindex-summary">{html.escape(zh_punct(text))}</p>'
            )
            .replace("(", "（")
            .replace(")", "）")
            .replace(":", "：")
        )

    def summary(self) -> dict:
        counts = {
            "有得分地区": len(self.year_scores),
            "参加排名": int(self.comparability()["rankable"].sum()),
        }
        return {
            "title": f"城市质量竞争力指数（{self.year}年）",
            "place": "、".join(self.names.get(u, u) for u in self.year_scores.index),
            "period": f"{self.year}年",
            "data_to": self.year,
            "statuses": counts,
        }

    def method_text(self) -> str:
        from qindex.report import zh_punct

        return zh_punct(
            "按合成指标方法计算:各指标用目标值法标准化到0–100(上限为规划目标值,下限见框架文件说明),"
            "同一支柱内算术平均,支柱等权平均为总指数。缺失值沿用最近3年内的往年值并标明;"
            "含沿用值的数据少于25%的地区不计入指数。排名只在同层级(城市与城市)、支柱相同、当年本身有数据的指标"
            f"至少{100 * MIN_CURRENT:.0f}%的地区之间进行,且可比地区至少{MIN_RANKED}个;"
            "不确定性分析扰动权重、标准化下限和指标取舍,敏感性分析给出各项假设对排名的一阶和总效应(Sobol指数),"
            "两者只在有排名时报告。"
        )

    def basket_breaks(self) -> pd.DataFrame:
        """Per place, the years in which the set of indicators behind its score changed from the year before
        (scores on either side of a break are not comparable)."""
        n = self.normalised
        rows = []
        for unit, g in n.groupby(level=0):
            prev = None
            for (_, year), row in g.sort_index().iterrows():
                basket = frozenset(row.dropna().index)
                if prev is not None and basket != prev:
                    added = sorted(basket - prev)
                    gone = sorted(prev - basket)
                    rows.append(
                        {
                            "地区": self.names.get(unit, unit),
                            "年份": int(year),
                            "新增指标": "、".join(self.names.get(c, c) for c in added),
                            "减少指标": "、".join(self.names.get(c, c) for c in gone),
                        }
                    )
                prev = basket
        return pd.DataFrame(rows, columns=["地区", "年份", "新增指标", "减少指标"])

    def scores_table(self) -> pd.DataFrame:
        """Scores by place for the year, with coverage; a rank only within a group of at least
        :data:`MIN_RANKED` places of one level scored on the same pillars with enough data of the year."""
        c = self.comparability()
        s = self.year_scores[[*self.pillars, self.top]].round(1)
        s.insert(0, "当年有数据指标占比(%)", (100 * c["availability"]).round(0).astype("Int64"))
        s.insert(0, "层级", c["level_zh"])
        if c["rankable"].any():
            s.insert(0, "组内排名", c["rank"])
        s.insert(0, "地区", [self.names.get(u, u) for u in s.index])
        return s.rename(columns=self.names).reset_index(drop=True)

    def availability_table(self) -> pd.DataFrame:
        """Per place in the year: share of indicators with data of the year, values carried forward, whether it
        enters the index (screened on values including those carried forward) and whether it is ranked."""
        a = self.availability.xs(self.year, level="year").copy()
        a["availability"] = (100 * a["availability"]).round(0).astype("Int64")
        c = self.comparability()
        a["in_index"] = ~a["screened_out"]
        a["ranked"] = [bool(c["rankable"].get(u, False)) for u in a.index]
        a["reason"] = [c["reason"].get(u, "未进入指数") for u in a.index]
        a.insert(0, "地区", [self.names.get(u, u) for u in a.index])
        a = a.reset_index(drop=True).drop(columns="screened_out")
        from qindex.report import zh_punct

        a["reason"] = a["reason"].map(zh_punct)
        return a.rename(
            columns={
                "availability": "当年有数据指标占比(%)",
                "n_imputed": "沿用往年值个数",
                "in_index": "计入指数得分",
                "ranked": "参加排名",
                "reason": "不排名的原因",
            }
        )

    def imputed_table(self) -> pd.DataFrame:
        """The cells of the year that carry an earlier year's value."""
        cells = self.imputed.xs(self.year, level="year")
        rows = [
            (self.names.get(u, u), self.names.get(c, c))
            for u in cells.index
            for c in cells.columns
            if cells.at[u, c]
        ]
        return pd.DataFrame(rows, columns=["地区", "沿用往年值的指标"])


#: Fewest places of one level, scored on the same pillars with enough data of the year, that are ranked.
MIN_RANKED = 5
#: Share of the indicators with data of the year itself (not carried forward) a ranked place needs.
MIN_CURRENT = 0.25
LEVELS_ZH = {
    "national": "全国",
    "province": "省",
    "city": "城市",
    "district": "区县",
    "region": "区域",
}


def comparable_groups(
    scores: pd.DataFrame, pillars: list[str], availability: pd.Series, levels: pd.Series
) -> pd.DataFrame:
    """Who can be ranked among whom: places of one level (cities with cities), scored on the same pillars,
    each with at least :data:`MIN_CURRENT` of the indicators with data of the year itself; a group is ranked
    only with at least :data:`MIN_RANKED` places. Returns per place ``level, level_zh, availability, pillars,
    group, group_size, rankable, rank, reason``."""
    rows = []
    for unit in scores.index:
        have = tuple(p for p in pillars if pd.notna(scores.at[unit, p]))
        lvl = str(levels.get(unit, ""))
        rows.append(
            {
                "unit": unit,
                "level": lvl,
                "level_zh": LEVELS_ZH.get(lvl, lvl),
                "availability": float(availability.get(unit, 0.0)),
                "pillars": have,
            }
        )
    c = (
        pd.DataFrame(rows).set_index("unit")
        if rows
        else pd.DataFrame(columns=["level", "level_zh", "availability", "pillars"])
    )
    c["enough"] = c["availability"] >= MIN_CURRENT
    c["group"] = [f"{r.level}|{'+'.join(r.pillars)}" if r.enough else "" for r in c.itertuples()]
    sizes = c[c.enough].groupby("group").size()
    c["group_size"] = c["group"].map(sizes).fillna(0).astype(int)
    c["rankable"] = c["enough"] & (c["group_size"] >= MIN_RANKED)
    c["rank"] = pd.array([pd.NA] * len(c), dtype="Int64")
    for _g, idx in c[c.rankable].groupby("group").groups.items():
        top = scores.columns[-1]
        c.loc[idx, "rank"] = (
            scores.loc[idx, top].rank(ascending=False, method="min").astype("Int64")
        )
    c["reason"] = [
        ""
        if r.rankable
        else (
            f"当年有数据的指标仅占{100 * r.availability:.0f}%(少于{100 * MIN_CURRENT:.0f}%)"
            if not r.enough
            else f"同层级且支柱相同的可比地区只有{r.group_size}个(少于{MIN_RANKED}个)"
        )
        for r in c.itertuples()
    ]
    return c


def rank_sentence(c: pd.DataFrame, names: dict) -> str:
    """One sentence on the ranks of :func:`comparable_groups`."""
    if not len(c):
        return "本年度没有地区进入指数。"
    from qindex.report import zh_punct

    if c["rankable"].any():
        n = int(c["rankable"].sum())
        return zh_punct(
            (
                f"{n}个地区在同层级、同支柱的可比组内排名(每组至少{MIN_RANKED}个地区,当年有数据的指标至少"
                f"{100 * MIN_CURRENT:.0f}%);其余地区只列得分和数据覆盖,不排名。"
            )
            .replace(",", "，")
            .replace(";", "；")
            .replace("(", "（")
            .replace(")", "）")
        )
    parts = "；".join(f"{names.get(u, u)}:{r}" for u, r in c["reason"].items())
    return zh_punct(
        f"本年度只有{len(c)}个地区有指数得分,分属不同层级或支柱不同,没有一组达到{MIN_RANKED}个可比地区,"
        f"因此只列各地得分和数据覆盖,不排名({parts})。得分反映各地相对规划目标的位置,不同地区的得分不宜直接比较。"
    )
