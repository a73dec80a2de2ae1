"""Published rankings and bound inferences: two small inputs the assessment reads beside the observations.

``data/raw/rankings.csv`` holds published ranks as observations: a rank target ("位居全国前列", "保持全省第一")
is judged on the rank a ranking actually published, not on a rank recomputed from the few places in the panel.
Each row: ``jurisdiction_id, indicator_id, year, rank, n_ranked, scope, ranking, publisher, source, quote,
flag, note``. ``scope`` says among whom: ``national``, ``province`` or ``peer_tier`` (as ``targets.scope``).

``data/raw/implications.csv`` lists where one series bounds another (audit rule R5): the share of sections at
class III or better on a *superset* of sections that is 100 % implies 100 % on every subset, and 0 % implies
0 %. Nothing follows between the bounds. Each row: ``from_jurisdiction_id, from_indicator_id,
to_jurisdiction_id, to_indicator_id, relation`` (``subset``: the "to" series covers a subset of what the
"from" series covers) and ``reason``.

Example
-------
>>> r = load_rankings().iloc[0]
>>> r.jurisdiction_id, int(r["rank"]), int(r.n_ranked)
('CN-SC-CD', 1, 110)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.checks import Problems, closest
from qindex.errors import CatalogError, Problem
from qindex.observations import FLAGS
from qindex.sheets import YEAR_RANGE
from qindex.tables import parse_int, read_text_table

RANKING_COLUMNS = [
    "jurisdiction_id",
    "indicator_id",
    "year",
    "rank",
    "n_ranked",
    "scope",
    "ranking",
    "publisher",
    "source",
    "quote",
    "flag",
    "note",
]
RANK_SCOPES = ("national", "province", "peer_tier")
IMPLICATION_COLUMNS = [
    "from_jurisdiction_id",
    "from_indicator_id",
    "to_jurisdiction_id",
    "to_indicator_id",
    "relation",
    "reason",
]
RELATIONS = ("subset",)


def load_rankings(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """Published ranks (``data/raw/rankings.csv``), validated; an empty frame when the file is absent.

    Returns
    -------
    DataFrame
        the columns of :data:`RANKING_COLUMNS`; ``year``, ``rank`` and ``n_ranked`` are integers.

    Raises
    ------
    CatalogError
        every problem at once: unknown ids, a rank that is not a whole number from 1 to ``n_ranked``, an
        unknown scope or flag, a missing source.
    """
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    return _load_rankings(raw.resolve()).copy()


@lru_cache(maxsize=4)
def _load_rankings(raw: Path) -> pd.DataFrame:
    path = raw / "rankings.csv"
    if not path.is_file():
        return _typed(pd.DataFrame({c: pd.Series(dtype=object) for c in RANKING_COLUMNS}))
    cat = load_catalog(raw)
    problems = Problems()
    f = read_text_table(path, RANKING_COLUMNS, problems, "rankings.csv")
    _known_ids(f, "jurisdiction_id", "indicator_id", cat, problems, "rankings.csv")
    for row in f.itertuples(index=False):
        line = row.source_line
        year, rank, n = parse_int(row.year), parse_int(row.rank), parse_int(row.n_ranked)
        if year is None or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            problems.append(Problem("rankings.csv", line, "year", row.year, "a year 1949–2100"))
        if n is None or n < 1:
            problems.append(
                Problem("rankings.csv", line, "n_ranked", row.n_ranked, "a whole number ≥ 1")
            )
        if rank is None or rank < 1 or (n is not None and rank > n):
            problems.append(
                Problem("rankings.csv", line, "rank", row.rank, "a whole number from 1 to n_ranked")
            )
        if row.scope not in RANK_SCOPES:
            problems.append(
                Problem("rankings.csv", line, "scope", row.scope, f"one of {list(RANK_SCOPES)}")
            )
        for flag in filter(None, row.flag.split(";")):
            if flag not in FLAGS:
                problems.append(
                    Problem("rankings.csv", line, "flag", flag, f"one of {sorted(FLAGS)}")
                )
        for col in ("ranking", "publisher", "source"):
            if not getattr(row, col):
                problems.append(Problem("rankings.csv", line, col, "", f"the {col} of the rank"))
    problems.raise_if_any(CatalogError)
    return _typed(f.drop(columns="source_line"))


def _typed(f: pd.DataFrame) -> pd.DataFrame:
    out = f.copy()
    for col in ("year", "rank", "n_ranked"):
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    return out.reset_index(drop=True)


def load_implications(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """Bound inferences between series (``data/raw/implications.csv``), validated; empty when absent."""
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    return _load_implications(raw.resolve()).copy()


@lru_cache(maxsize=4)
def _load_implications(raw: Path) -> pd.DataFrame:
    path = raw / "implications.csv"
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in IMPLICATION_COLUMNS})
    cat = load_catalog(raw)
    problems = Problems()
    f = read_text_table(path, IMPLICATION_COLUMNS, problems, "implications.csv")
    for side in ("from", "to"):
        _known_ids(
            f, f"{side}_jurisdiction_id", f"{side}_indicator_id", cat, problems, "implications.csv"
        )
    limits = cat.indicators.set_index("indicator_id")[["lower_limit", "upper_limit"]]
    for row in f.itertuples(index=False):
        if row.relation not in RELATIONS:
            problems.append(
                Problem(
                    "implications.csv", row.source_line, "relation", row.relation, str(RELATIONS)
                )
            )
        for col in ("from_indicator_id", "to_indicator_id"):
            iid = getattr(row, col)
            if iid in limits.index and limits.loc[iid].isna().any():
                problems.append(
                    Problem(
                        "implications.csv",
                        row.source_line,
                        col,
                        iid,
                        "an indicator with both natural limits (inference holds only at the bounds)",
                    )
                )
    problems.raise_if_any(CatalogError)
    return f.drop(columns="source_line").reset_index(drop=True)


def _known_ids(f, jcol, icol, cat: Catalog, problems, label) -> None:
    jur, ind = set(cat.jurisdictions.jurisdiction_id), set(cat.indicators.indicator_id)
    for row in f.itertuples(index=False):
        j, i = getattr(row, jcol), getattr(row, icol)
        if j not in jur:
            problems.append(
                Problem(label, row.source_line, jcol, j, f"a known place id{closest(j, jur)}")
            )
        if i not in ind:
            problems.append(
                Problem(label, row.source_line, icol, i, f"a known indicator id{closest(i, ind)}")
            )


def infer_at_bounds(
    panel: pd.DataFrame, implications: pd.DataFrame, catalog: Catalog
) -> pd.DataFrame:
    """Observations that follow from ``implications`` at the natural bounds, flagged ``inferred``.

    A "from" value equal to its indicator's upper (lower) limit gives the "to" series the "to" indicator's
    upper (lower) limit in the same year. A year where the "to" series has its own value is left alone.

    Returns
    -------
    DataFrame
        new rows with the panel's columns; ``flag`` ``inferred``, ``note`` naming the series and the reason.
    """
    if implications.empty or panel.empty:
        return panel.iloc[0:0].assign(flag=pd.Series(dtype=object))
    ind = catalog.indicators.set_index("indicator_id")
    names = catalog.jurisdictions.set_index("jurisdiction_id")["name_zh"]
    have = set(zip(panel["jurisdiction_id"], panel["indicator_id"], panel["year"], strict=True))
    rows = []
    for imp in implications.itertuples(index=False):
        src = panel[
            (panel["jurisdiction_id"] == imp.from_jurisdiction_id)
            & (panel["indicator_id"] == imp.from_indicator_id)
        ]
        lo, hi = (
            ind.at[imp.from_indicator_id, "lower_limit"],
            ind.at[imp.from_indicator_id, "upper_limit"],
        )
        to_lo, to_hi = (
            ind.at[imp.to_indicator_id, "lower_limit"],
            ind.at[imp.to_indicator_id, "upper_limit"],
        )
        for obs in src.itertuples(index=False):
            if obs.value not in (lo, hi):
                continue
            key = (imp.to_jurisdiction_id, imp.to_indicator_id, obs.year)
            if key in have:
                continue
            have.add(key)
            value = to_hi if obs.value == hi else to_lo
            unit = ind.at[imp.to_indicator_id, "unit"]
            rows.append(
                {
                    "jurisdiction_id": imp.to_jurisdiction_id,
                    "indicator_id": imp.to_indicator_id,
                    "year": obs.year,
                    "value": float(value),
                    "unit": ind.at[imp.to_indicator_id, "unit"],
                    "source": getattr(obs, "source", ""),
                    "quote": getattr(obs, "quote", ""),
                    "flag": "inferred",
                    "note": (
                        f"推断: {names.get(imp.from_jurisdiction_id, imp.from_jurisdiction_id)}"
                        f"{ind.at[imp.from_indicator_id, 'name_zh']} {obs.year}年为{obs.value:g}{unit}"
                        f",其范围包含本指标({imp.reason}),故本指标同为{value:g}{unit}"
                    ),
                }
            )
    out = pd.DataFrame(rows, columns=list(panel.columns))
    return out
