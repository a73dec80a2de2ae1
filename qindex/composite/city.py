"""The project's own index: 城市质量竞争力指数 over the shipped panel (framework in params/quality_index.yaml)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.composite.build import IndexResult, build_index
from qindex.composite.framework import Framework, load_framework

FRAMEWORK_FILE = paths.PARAMS / "quality_index.yaml"
#: Observations not on the indicator's own definition are left out, as in the progress assessment.
EXCLUDED_FLAGS = ("definition_change",)


def panel_to_wide(panel: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Long observations → (unit, year) × indicators, every year from the first to the last in the panel,
    leaving out values flagged as another definition."""
    usable = panel[panel["indicator_id"].isin(indicators)]
    if "flag" in usable.columns:
        usable = usable[~usable["flag"].fillna("").str.contains("|".join(EXCLUDED_FLAGS))]
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
