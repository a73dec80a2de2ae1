"""Assessing panels too large for memory: partitions by place, in this process or on a Dask cluster.

A provincial office assessing every county holds tens of thousands of places × a hundred indicators × a
dozen years. :func:`assess_partitioned` takes the panel as partitions that each hold **whole places** (every
row of a place in one partition): CSV files (:func:`write_partitions` makes them; a worker reads its own) or
data frames. Each partition is assessed with :func:`qindex.progress.assess` on its own rows plus the few rows
that cross places:

- the series of rank targets' indicators at every place (a rank computed from the panel compares peers);
- the "from" series of the bound implications (one place's value at a limit implies another's).

The as-of year is the latest year of the whole panel unless given. The result is the one
:func:`~qindex.progress.assess` gives on the whole panel (tested on the shipped data and on a synthetic
panel), in the order of ``targets``; with ``out_dir`` each partition's result is written there instead
(atomically) and only the counts by status come back, so that nothing holds every result at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from qindex.catalog import load_catalog
from qindex.checks import Problems
from qindex.errors import PartitionError, Problem
from qindex.parallel import map_tasks
from qindex.progress import assess, known_implications
from qindex.rankings import load_implications, load_rankings
from qindex.store import write_csv

#: Columns of a partition file and their types (text columns keep "" for empty, never NaN).
NUMERIC = {"year": "int64", "value": "float64", "line": "int64"}


def write_partitions(panel: pd.DataFrame, folder: Path | str, n: int) -> list[Path]:
    """Split ``panel`` into ``n`` CSV files of whole places (places dealt round-robin in name order)."""
    folder = Path(folder)
    places = sorted(panel["jurisdiction_id"].unique())
    part_of = {p: i % n for i, p in enumerate(places)}
    which = panel["jurisdiction_id"].map(part_of)
    out = []
    for i in range(n):
        out.append(write_csv(panel[which == i], folder / f"part-{i:05d}.csv"))
    return out


def read_partition(part) -> pd.DataFrame:
    """A partition as a panel: a data frame as it is, or a CSV file read with fixed types."""
    if isinstance(part, pd.DataFrame):
        return part
    path = Path(part)
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        frame = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype={c: NUMERIC.get(c, "str") for c in head},
            keep_default_na=False,
            na_values={c: [""] for c in head if c in ("value",)},
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise PartitionError(
            [Problem(str(path), None, None, type(exc).__name__, f"a readable panel CSV ({exc})")]
        ) from None
    missing = [c for c in ("jurisdiction_id", "indicator_id", "year", "value") if c not in head]
    if missing:
        raise PartitionError(
            [Problem(str(path), 1, c, "(missing)", "a column of the panel") for c in missing]
        )
    return frame


def _crossing(frame: pd.DataFrame, rank_indicators: set, implied: set) -> pd.DataFrame:
    pairs = pd.MultiIndex.from_arrays([frame["jurisdiction_id"], frame["indicator_id"]])
    keep = frame["indicator_id"].isin(rank_indicators).to_numpy() | pairs.isin(list(implied))
    return frame[keep]


def _scan(part, rank_indicators: set, implied: set) -> tuple[set, int | None, pd.DataFrame]:
    """One pass over a partition: its places, its latest year, its rows that cross places."""
    frame = read_partition(part)
    latest = int(frame["year"].max()) if len(frame) else None
    return (
        set(frame["jurisdiction_id"].unique()),
        latest,
        _crossing(frame, rank_indicators, implied),
    )


def _assess_part(
    part, crossing: pd.DataFrame, targets: pd.DataFrame, kwargs: dict, out: str | None
):
    frame = read_partition(part) if part is not None else crossing.iloc[0:0]
    mine = set(frame["jurisdiction_id"].unique())
    others = crossing[~crossing["jurisdiction_id"].isin(mine)]
    panel = pd.concat([frame, others], ignore_index=True) if len(others) else frame
    result = assess(panel, targets, **kwargs)
    if out is None:
        return result

    write_csv(result, out)
    return result["status"].value_counts().to_dict()


def assess_partitioned(
    parts: Sequence,
    targets: pd.DataFrame,
    as_of: int | None = None,
    client=None,
    out_dir: Path | str | None = None,
    catalog=None,
    rankings: pd.DataFrame | None = None,
    implications: pd.DataFrame | None = None,
    **kwargs,
):
    """:func:`qindex.progress.assess` over a panel given as partitions of whole places.

    Parameters
    ----------
    parts : CSV files (read where the work runs: on a cluster, a path every worker sees) or data frames.
    targets : as for ``assess``; each target is assessed in the partition holding its place.
    as_of : as for ``assess``; default the latest year of the whole panel.
    client : a ``distributed.Client``: one task per partition on its cluster; ``None``: in this process.
    out_dir : write each partition's result to ``out_dir/result-NNNNN.csv`` and return the counts by status
        (a Series) instead of one data frame.
    catalog, rankings, implications, kwargs : as for ``assess``.

    Raises
    ------
    PartitionError
        when a place has rows in two partitions (its series would be cut in two), or a file cannot be read.
    """
    cat = catalog or load_catalog()
    rankings = load_rankings() if rankings is None else rankings
    implications = load_implications() if implications is None else implications
    known = known_implications(implications, cat)
    rank_indicators = set(targets.loc[targets["target_type"] == "rank", "indicator_id"])
    implied = (
        set(zip(known["from_jurisdiction_id"], known["from_indicator_id"], strict=True))
        if len(known)
        else set()
    )
    scans = map_tasks(client, _scan, list(parts), rank_indicators, implied)
    owner: dict = {}
    problems = Problems()
    for i, (places, _latest, _rows) in enumerate(scans):
        for p in sorted(places):
            if p in owner:
                problems.append(
                    Problem(
                        _label(parts[i]),
                        None,
                        "jurisdiction_id",
                        p,
                        f"each place in one partition (it is also in {_label(parts[owner[p]])})",
                    )
                )
            owner.setdefault(p, i)
    if problems:
        raise PartitionError(problems[:50])
    years = [latest for _p, latest, _r in scans if latest is not None]
    if as_of is None:
        if not years:
            raise PartitionError(
                [Problem("partitions", None, None, "no rows", "a panel with observations")]
            )
        as_of = max(years)
    crossing = pd.concat([r for _p, _l, r in scans], ignore_index=True)
    place_part = targets["jurisdiction_id"].map(owner)
    jobs = []
    for i, part in enumerate(parts):
        tg = targets[place_part == i]
        if len(tg):
            jobs.append((part, tg))
    unplaced = targets[
        place_part.isna()
    ]  # places without a row anywhere: assessed without their data
    if len(unplaced):
        jobs.append((None, unplaced))
    kw = {
        "as_of": as_of,
        "catalog": cat,
        "rankings": rankings,
        "implications": implications,
        **kwargs,
    }
    outs = (
        [str(Path(out_dir) / f"result-{k:05d}.csv") for k in range(len(jobs))]
        if out_dir
        else [None] * len(jobs)
    )
    if client is None:
        results = [
            _assess_part(part, crossing, tg, kw, out)
            for (part, tg), out in zip(jobs, outs, strict=True)
        ]
    else:
        # what every task shares goes to each worker once, not once per task: the rows that cross places
        # and the settings (the catalogue without its targets: each task brings its own)
        [shared, kw_f] = client.scatter(
            [crossing, {**kw, "catalog": replace(cat, targets=cat.targets.iloc[0:0])}],
            broadcast=True,
        )
        futures = [
            client.submit(_assess_part, part, shared, client.scatter(tg), kw_f, out, pure=False)
            for (part, tg), out in zip(jobs, outs, strict=True)
        ]
        results = client.gather(futures)
    if out_dir:
        counts = pd.Series(dtype="int64")
        for r in results:
            counts = counts.add(pd.Series(r, dtype="int64"), fill_value=0)
        return counts.astype("int64").sort_index()
    order = pd.Index(targets["target_id"])
    combined = pd.concat(results, ignore_index=True)
    return combined.set_index("target_id").loc[order].reset_index()[combined.columns]


def _label(part) -> str:
    return str(part) if not isinstance(part, pd.DataFrame) else f"partition of {len(part)} rows"


__all__ = ["PartitionError", "assess_partitioned", "read_partition", "write_partitions"]
