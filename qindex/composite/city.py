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
    from qindex.observations import load_panel

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

    def scores_table(self) -> pd.DataFrame:
        """Scores and ranks by level for the year, Chinese headers."""
        s = self.year_scores[[*self.pillars, self.top]].round(1)
        s.insert(
            0,
            "排名",
            self.year_scores[self.top].rank(ascending=False, method="min").astype("Int64"),
        )
        s.insert(0, "地区", [self.names.get(u, u) for u in s.index])
        return s.rename(columns=self.names).reset_index(drop=True)

    def availability_table(self) -> pd.DataFrame:
        """Per place in the year: share of indicators with data, values carried forward, screened out or not."""
        a = self.availability.xs(self.year, level="year").copy()
        a["availability"] = (100 * a["availability"]).round(0)
        a.insert(0, "地区", [self.names.get(u, u) for u in a.index])
        a = a.reset_index(drop=True)
        return a.rename(
            columns={
                "availability": "有数据指标占比(%)",
                "n_imputed": "沿用往年值个数",
                "screened_out": "数据不足未计入",
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
