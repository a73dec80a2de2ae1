"""The project's own index: 城市质量竞争力指数 over the panel (framework in ``params/quality_index.yaml``).

The computation under the index report (:mod:`qindex.reports.index` only presents it): the panel made wide,
the composite pipeline of :mod:`qindex.composite` run over every place and year, who can be ranked among whom
(:func:`comparable_groups`), and the uncertainty and sensitivity of one year's ranks (:func:`index_study`).

Example
-------
>>> result = quality_index()
>>> result.scores.index.names
FrozenList(['jurisdiction_id', 'year'])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.composite.analysis import availability
from qindex.composite.build import IndexResult, build_index, effective_weights
from qindex.composite.framework import Framework, load_framework
from qindex.composite.sensitivity import load_study, sensitivity, uncertainty
from qindex.observations import on_definition
from qindex.panel import load_panel

FRAMEWORK_FILE = paths.PARAMS / "quality_index.yaml"


def panel_to_wide(panel: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Long observations → (unit, year) × indicators, every year from the first to the last in the panel,
    leaving out values flagged as another definition."""
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
    """Build the index for every place and year of the panel.

    Scores compare across years (goalposts, not sample min/max).

    Parameters
    ----------
    panel : the observations (default :func:`qindex.panel.load_panel`); values on another definition are left
        out.
    framework : a framework or its YAML file (default ``params/quality_index.yaml``).

    Returns
    -------
    IndexResult
        as :func:`qindex.composite.build_index`, rows (``jurisdiction_id``, ``year``): ``scores``,
        ``imputed_cells`` (every value carried forward from an earlier year), ``screened_out`` (place-years
        below the availability threshold) and every stage.

    Example
    -------
    >>> list(quality_index().scores.index.names)
    ['jurisdiction_id', 'year']
    """
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
    spec = yaml.safe_load(Path(path or FRAMEWORK_FILE).read_text(encoding="utf-8"))
    return spec.get("study", {})


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


@dataclass
class IndexStudy:
    """The index of one year with everything a report says of it.

    Attributes
    ----------
    result : the :class:`~qindex.composite.build.IndexResult` over every place and year.
    year : the year studied; ``year_scores`` its scores (place × pillars and the index), ``over_time`` the
        index of every place-year.
    names : display names of places, indicators and framework nodes; ``pillars``, ``top``, ``weights`` the
        framework's pillars, top node and effective weights.
    ua, sa : the rank uncertainty (:func:`qindex.composite.sensitivity.uncertainty`) and sensitivity of the year.
    availability : per place-year, the share of indicators with data of the year and values carried forward;
        ``normalised`` and ``imputed`` the normalised values and the carried-forward cells.
    levels : each place's level (``jurisdictions.csv``), for the comparability rule.
    internal : per place, the indicators whose value of the year is the office's own (内部数据, not published):
        marked wherever the place's score is shown.
    """

    result: IndexResult
    year: int
    names: dict
    pillars: list
    top: str
    weights: pd.Series
    year_scores: pd.DataFrame
    over_time: pd.Series
    ua: object
    sa: object
    availability: pd.DataFrame
    normalised: pd.DataFrame
    imputed: pd.DataFrame
    levels: pd.Series
    internal: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    def comparability(self) -> pd.DataFrame:
        """Per place scored in the year: level, share of indicators with data of the year itself, the pillars
        it is scored on, its comparison group and whether it can be ranked (:func:`comparable_groups`)."""
        avail = self.availability.xs(self.year, level="year")["availability"]
        return comparable_groups(self.year_scores, self.pillars, avail, self.levels)

    def ranks(self) -> pd.Series:
        """Each place's rank in the year within its comparison group, as the reports give it; ``<NA>`` for a
        place that cannot be ranked (``comparability().reason`` says why). The composite toolkit's
        ``IndexResult.ranks()`` ranks every unit it is given, comparable or not."""
        return self.comparability()["rank"].rename("rank")


def index_study(
    year: int = 0,
    units: str = "",
    replications: int = 200,
    framework_file: str = "",
    sa_n: int = 64,
    catalog: Catalog | None = None,
    panel: pd.DataFrame | None = None,
    weights: str = "",
) -> IndexStudy:
    """Build the index over the panel and study one year: scores, uncertainty and sensitivity of its ranks.

    Parameters
    ----------
    year : the year (0: the latest year in which the most places have an index score).
    units : comma-separated place ids to keep (empty: every place with a score).
    replications : Monte Carlo replications of the rank uncertainty; ``sa_n`` the Sobol base sample size.
    framework_file : the framework, relative to the project (default ``params/quality_index.yaml``).
    catalog, panel : the catalogue and panel to use (default: the shipped ones).
    weights : "" for the framework's weights, "equal" for every indicator and pillar weighing the same within
        its parent (to see how much the ranks depend on the weights).

    Returns
    -------
    IndexStudy
    """
    path = paths.ROOT / framework_file if framework_file else FRAMEWORK_FILE
    cat = catalog or load_catalog()
    panel = load_panel() if panel is None else panel
    fw = load_framework(path)
    if weights == "equal":
        fw = replace(fw, nodes=fw.nodes.assign(weight=1.0))
    elif weights:
        raise ValueError(f"weights: expected '' (the framework's) or 'equal', got {weights!r}")
    result = quality_index(panel, framework=fw)
    fw = result.framework
    scores = result.scores
    years = scores.index.get_level_values("year")
    counts = pd.Series(years).value_counts()
    # default year: the latest year in which the most places have an index score
    year = int(year) if year else int(counts[counts == counts.max()].index.max())
    wanted = [u.strip() for u in units.split(",") if u.strip()]
    jur = cat.jurisdictions.set_index("jurisdiction_id")["name_zh"]
    ind = cat.indicators.set_index("indicator_id")["name_zh"]
    nodes = fw.nodes.set_index("code")["name"]
    own_names = {c: n for c, n in nodes.items() if n != c}  # names given in the framework win
    year_scores = scores.xs(year, level="year") if year in years else scores.iloc[0:0]
    if wanted:
        year_scores = year_scores.loc[[u for u in wanted if u in year_scores.index]]
    data, fw_year = cross_section(result, year)
    data = data.loc[year_scores.index] if len(year_scores) else data
    study = load_study(load_study_spec(path), fw_year)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ua = uncertainty(data, fw_year, study, n=replications)
        sa = sensitivity(data, fw_year, study, n=sa_n, n_boot=300)
    return IndexStudy(
        result=result,
        year=year,
        names={**jur.to_dict(), **ind.to_dict(), **own_names},
        pillars=fw.nodes.loc[fw.nodes.level == 2, "code"].tolist(),
        top=fw.top,
        weights=effective_weights(fw),
        year_scores=year_scores,
        over_time=scores[fw.top],
        ua=ua,
        sa=sa,
        availability=availability(result),
        normalised=result.stages["normalised"],
        imputed=result.imputed_cells,
        levels=cat.jurisdictions.set_index("jurisdiction_id")["level"],
        internal=internal_values(panel, list(fw.indicators), year),
    )


def internal_values(panel: pd.DataFrame, indicators: list, year: int, window: int = 3) -> pd.Series:
    """Per place, the indicators whose value in ``year`` (or the value carried forward from at most
    ``window`` years before) is the office's own (内部数据): a list of ids, empty for none."""
    if "origin" not in panel.columns:
        return pd.Series(dtype=object)
    p = panel[panel.indicator_id.isin(indicators) & panel.year.between(year - window, year)]
    last = p.sort_values("year", kind="stable").groupby(["jurisdiction_id", "indicator_id"]).tail(1)
    office = last[last.origin == "office"]
    return office.groupby("jurisdiction_id")["indicator_id"].agg(lambda s: sorted(s))
