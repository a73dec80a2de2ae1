"""``build_index(data, framework)``: a pure function from data and a framework to every stage of the index.

Stages, in order (COINr's ``build_example_coin`` order): denominate → impute → screen → treat → normalise →
aggregate (level by level). Every stage is kept, imputed cells are flagged, and scores and ranks are returned
for every node, with each indicator's contribution to the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qindex.composite.aggregate import aggregate
from qindex.composite.framework import Framework, SpecError
from qindex.composite.normalise import normalise_column
from qindex.composite.treat import treat
from qindex.errors import Problem


@dataclass
class IndexResult:
    """Every stage of one build.

    ``stages`` maps stage name (denominated, imputed, screened, treated, normalised, aggregated) to a frame
    of units × codes. ``imputed_cells`` is a boolean frame (True where a value was imputed); ``screened_out``
    the units removed for low data availability with their availability; ``treatment`` one row per indicator.
    """

    framework: Framework
    stages: dict[str, pd.DataFrame]
    imputed_cells: pd.DataFrame
    availability: pd.Series
    screened_out: pd.DataFrame
    treatment: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def scores(self) -> pd.DataFrame:
        """Normalised indicators and aggregate scores, units × all node codes."""
        return self.stages["aggregated"]

    def ranks(self) -> pd.DataFrame:
        """Rank of each unit for every node (1 = best; ties share the smallest rank)."""
        return self.scores.rank(ascending=False, method="min")

    def table(self, level: int | None = None) -> pd.DataFrame:
        """Tidy results: ``unit, code, name, level, score, rank`` (optionally one level only)."""
        nodes = self.framework.nodes.set_index("code")
        s = self.scores.stack().rename("score").reset_index()
        s.columns = ["unit", "code", "score"]
        r = self.ranks().stack().rename("rank").reset_index()
        r.columns = ["unit", "code", "rank"]
        out = s.merge(r, on=["unit", "code"])
        out["name"] = out["code"].map(nodes["name"])
        out["level"] = out["code"].map(nodes["level"])
        if level is not None:
            out = out[out["level"] == level]
        return out[["unit", "code", "name", "level", "score", "rank"]].reset_index(drop=True)

    def effective_weights(self) -> pd.Series:
        """Weight of each node in the index: product of its weight share at every level above it."""
        return effective_weights(self.framework)

    def contributions(self) -> pd.DataFrame:
        """Each indicator's contribution to the top score, units × indicators (arithmetic means only).

        With arithmetic aggregation at every level the index equals the sum over indicators of
        effective weight × normalised value (for complete data), so the contributions add up to the index.
        """
        fw = self.framework
        if any(
            n["method"] != "amean" for n in fw.nodes.loc[fw.nodes.type == "aggregate", "aggregate"]
        ):
            raise SpecError(
                [
                    Problem(
                        "contributions",
                        None,
                        "aggregate",
                        "non-arithmetic",
                        "arithmetic means at every level",
                    )
                ]
            )
        w = self.effective_weights()
        x = self.stages["normalised"][fw.indicators]
        return x * w[fw.indicators]


def effective_weights(fw: Framework) -> pd.Series:
    nodes = fw.nodes.set_index("code")
    share = {}
    for code, row in nodes.iterrows():
        siblings = (
            nodes[nodes["parent"] == row["parent"]]
            if row["parent"] is not None
            else nodes.loc[[code]]
        )
        share[code] = float(row["weight"]) / float(siblings["weight"].astype(float).sum())
    out = {}
    for code in nodes.index:
        w, cur = 1.0, code
        while cur is not None:
            w *= share[cur]
            cur = nodes.at[cur, "parent"]
        out[code] = w
    return pd.Series(out)


def denominate(data: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Divide each indicator with a denominator by that column of ``data`` (e.g. GDP, population)."""
    out = data[fw.indicators].astype(float).copy()
    if not fw.steps.get("denominate", True):
        return out
    missing = []
    for row in fw.nodes[fw.nodes.type == "indicator"].itertuples():
        if row.denominator is not None and not (
            isinstance(row.denominator, float) and np.isnan(row.denominator)
        ):
            if row.denominator not in data.columns:
                missing.append(
                    Problem(
                        f"node '{row.code}'",
                        None,
                        "denominator",
                        row.denominator,
                        "a column of the data",
                    )
                )
                continue
            out[row.code] = out[row.code] / data[row.denominator].astype(float)
    if missing:
        raise SpecError(missing)
    return out


def impute(x: pd.DataFrame, spec: dict, data: pd.DataFrame) -> pd.DataFrame:
    """Fill missing values column by column: mean, median, group mean/median (``group`` column of ``data``);
    for panels (index unit × year) ``latest`` (last earlier value) or ``linear`` (interpolation within a unit,
    the nearest value at the ends)."""
    method = spec.get("method", "none")
    if method == "none":
        return x.copy()
    if method == "mean":
        return x.fillna(x.mean())
    if method == "median":
        return x.fillna(x.median())
    if method in ("group_mean", "group_median"):
        group = spec.get("group")
        if group not in data.columns:
            raise SpecError([Problem("steps.impute", None, "group", group, "a column of the data")])
        how = "mean" if method == "group_mean" else "median"
        return x.fillna(x.groupby(data[group]).transform(how))
    if method in ("latest", "linear"):
        unit = x.index.get_level_values(0)
        gap = spec.get("max_gap")  # at most this many years filled from one value (None: no limit)
        if method == "latest":
            return x.groupby(unit).ffill(limit=gap)
        return x.groupby(unit).transform(
            lambda s: s.interpolate(limit_direction="both", limit=gap, limit_area="inside")
        )
    raise SpecError(
        [
            Problem(
                "steps.impute",
                None,
                "method",
                method,
                "mean, median, group_mean, group_median, latest, linear or none",
            )
        ]
    )


def build_index(data: pd.DataFrame, framework: Framework) -> IndexResult:
    """Build the index: every stage, flags and results. ``data`` is units × columns (indicators, groups,
    denominators); for a panel, index the rows by (unit, year): normalisation then runs over all years
    together so that scores compare across time.

    Parameters
    ----------
    data : units × columns, or (unit, year) × columns for a panel.
    framework : a validated :class:`~qindex.composite.framework.Framework`.

    Returns
    -------
    IndexResult
        ``scores`` (units × every node: normalised indicators and aggregate scores, the index among them),
        ``stages`` (``denominated``, ``imputed``, ``screened``, ``treated``, ``normalised``, ``aggregated``),
        ``imputed_cells`` (True where a value was imputed), ``availability``, ``screened_out`` (units removed
        for low data availability), ``treatment`` (one row per indicator) and ``framework``.

    Example
    -------
    >>> from qindex.composite import framework_from_dict
    >>> fw = framework_from_dict({"indicators": [{"code": "a", "parent": "idx"},
    ...     {"code": "b", "parent": "idx", "direction": -1}], "aggregates": [{"code": "idx"}]})
    >>> data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 3, 4, 1, 2]}, index=list("pqrst"))
    >>> build_index(data, fw).scores["idx"].round(1).tolist()  # min-max 0-100, b reversed, mean of the two
    [0.0, 37.5, 37.5, 87.5, 87.5]
    """
    fw = framework
    indicators = fw.indicators  # a property that filters the node table: read it once
    check_data(data, fw, indicators, whole=True)
    notes: list[str] = []
    stages: dict[str, pd.DataFrame] = {}
    x = denominate(data, fw)
    stages["denominated"] = x
    availability = x.notna().mean(axis=1)
    imputed = impute(x, fw.steps.get("impute", {}), data)
    imputed_cells = x.isna() & imputed.notna()
    stages["imputed"] = imputed

    screened, screened_out, note = screen_units(imputed, availability, fw)
    notes += [note] if note else []
    stages["screened"] = screened

    specs = dict(zip(fw.nodes["code"], fw.nodes["treat"], strict=True))
    treated, treatment = treat(screened, {c: specs[c] for c in indicators})
    stages["treated"] = treated
    columns = normalise_columns(treated, fw, indicators)
    norm = pd.DataFrame(columns, index=treated.index, columns=indicators, dtype=float)
    stages["normalised"] = norm
    scores = aggregate_columns(columns, fw, treated.index)
    stages["aggregated"] = scores
    notes += unscored_note(scores, fw)
    return IndexResult(
        fw, stages, imputed_cells.loc[screened.index], availability, screened_out, treatment, notes
    )


def screen_units(
    imputed: pd.DataFrame, availability: pd.Series, fw: Framework
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The units kept by the ``screen`` step (a row-wise rule), those removed, and the note saying so."""
    screen = fw.steps.get("screen", {}) or {}
    threshold = float(screen.get("min_availability", 0.0))
    basis = availability if screen.get("basis", "raw") == "raw" else imputed.notna().mean(axis=1)
    keep = basis >= threshold
    screened_out = pd.DataFrame({"availability": basis[~keep]})
    return imputed[keep], screened_out, screen_note(list(screened_out.index), fw)


def screen_note(gone: list, fw: Framework) -> str:
    """The note naming the units the ``screen`` step removed ("" when none)."""
    if not gone:
        return ""
    threshold = float((fw.steps.get("screen", {}) or {}).get("min_availability", 0.0))
    shown = ", ".join(map(str, gone[:5])) + (" …" if len(gone) > 5 else "")
    return f"{len(gone)} unit(s) below {threshold:.0%} data availability removed (see screened_out): {shown}"


def normalise_columns(treated: pd.DataFrame, fw: Framework, codes: list[str]) -> dict:
    """Each indicator of ``codes`` normalised by its spec (a column-wise rule): ``{code: array}``."""
    nodes = fw.nodes.set_index("code")
    columns: dict[str, np.ndarray] = {}  # built as arrays, framed once (a column at a time costs)
    for code in codes:
        spec = nodes.at[code, "normalise"]
        try:
            columns[code] = normalise_column(
                treated[code].to_numpy(), spec, direction=float(nodes.at[code, "direction"])
            )
        except ValueError as exc:
            raise SpecError(
                [
                    Problem(
                        f"node '{code}'",
                        None,
                        "normalise",
                        spec.get("method"),
                        f"a usable spec ({exc})",
                    )
                ]
            ) from None
    return columns


def aggregate_columns(columns: dict, fw: Framework, index: pd.Index) -> pd.DataFrame:
    """Normalised indicators (``{code: array}``) aggregated level by level (a row-wise rule): units × every
    node code."""
    columns = dict(columns)
    nodes = fw.nodes.set_index("code")
    kids_of = {
        parent: group.tolist() for parent, group in fw.nodes.groupby("parent", sort=False)["code"]
    }
    weight = nodes["weight"].astype(float)
    for level in range(2, fw.n_levels + 1):
        for code in nodes.index[nodes["level"] == level]:
            kids = kids_of.get(code, [])
            w = weight.loc[kids].to_numpy()
            spec = nodes.at[code, "aggregate"]
            try:
                columns[code] = aggregate(np.column_stack([columns[k] for k in kids]), w, spec)
            except ValueError as exc:  # e.g. a geometric mean over scores that reach 0
                raise SpecError(
                    [
                        Problem(
                            f"node '{code}'",
                            None,
                            "aggregate",
                            spec.get("method"),
                            f"inputs it can take ({exc})",
                        )
                    ]
                ) from None
    return pd.DataFrame(columns, index=index, dtype=float)


def unscored_note(scores: pd.DataFrame, fw: Framework) -> list[str]:
    unscored = scores.index[~np.isfinite(scores[fw.top].to_numpy(dtype=float))]
    if not len(unscored):
        return []
    # e.g. no data, or a z-score over one unit: no score, hence no rank
    shown = ", ".join(map(str, unscored[:10])) + (" …" if len(unscored) > 10 else "")
    return [f"{len(unscored)} unit(s) have no index score and are not ranked: {shown}"]


def check_data(
    data: pd.DataFrame, fw: Framework, indicators: list[str], whole: bool = True
) -> None:
    """Every indicator a column of numbers or NaN (no inf); at least one unit when ``data`` is the whole."""
    missing = [c for c in indicators if c not in data.columns]
    if missing:
        raise SpecError(
            [
                Problem(
                    f"node '{c}'", None, "code", c, "a column of the data (an indicator with data)"
                )
                for c in missing
            ]
        )
    bad = []
    if whole and len(data) == 0:
        bad.append(Problem("data", None, None, "0 units", "at least one unit (a row) to score"))
    for c in indicators:
        col = data[c]
        if not pd.api.types.is_numeric_dtype(col):
            bad.append(
                Problem(f"node '{c}'", None, "data", str(col.dtype), "numbers (or NaN for missing)")
            )
        elif np.isinf(col.to_numpy(dtype=float)).any():
            bad.append(
                Problem(f"node '{c}'", None, "data", "inf", "finite numbers (or NaN for missing)")
            )
    if bad:
        raise SpecError(bad)
