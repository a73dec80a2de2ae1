"""``build_index`` over data in partitions of whole places, in this process or on a Dask cluster.

Each stage of an index is either a rule for a row (denominate, impute within a place over the years, screen,
aggregate) or a rule for a column (impute by the mean, median or group mean of the column, treat outliers,
normalise). Row rules run on each partition where it is; column rules run on one block of columns at a time,
gathered from every partition, so that no process holds more than one partition or one block of columns
(times every unit). On a cluster the intermediate stages stay on the workers (Dask futures) and only the
column blocks move.

The result equals ``build_index(pd.concat(parts), framework)`` exactly (the same functions on the same values
in the same order; tested), with every stage when ``keep_stages`` (the default), or only the scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from qindex.composite.build import (
    IndexResult,
    aggregate_columns,
    check_data,
    denominate,
    impute,
    normalise_columns,
    screen_note,
    screen_units,
    unscored_note,
)
from qindex.composite.framework import Framework, SpecError
from qindex.composite.treat import treat
from qindex.errors import Problem
from qindex.parallel import executor

#: Imputations that are a rule for the rows of one place (a partition holds every row of its places).
ROW_IMPUTATIONS = ("none", "latest", "linear")


def _rows_first(part: pd.DataFrame, fw: Framework, indicators: list[str], spec: dict) -> dict:
    check_data(part, fw, indicators, whole=False)
    x = denominate(part, fw)
    out = {"x": x, "availability": x.notna().mean(axis=1)}
    if spec.get("method", "none") in ROW_IMPUTATIONS:
        out["imputed"] = impute(x, spec, part)
    return out


def _slice(state: dict, key: str, cols: list[str], part: pd.DataFrame | None, group: str | None):
    frame = state[key][cols]
    if group is not None:
        frame = frame.assign(**{"\0group": part[group]})
    return frame


def _impute_block(slices: list[pd.DataFrame], spec: dict, cols: list[str]) -> list[pd.DataFrame]:
    whole = pd.concat(slices)
    data = whole.rename(columns={"\0group": spec.get("group")}) if "\0group" in whole else whole
    done = impute(whole[cols], spec, data)
    return _split(done, slices)


def _piece(block, k: int, *where):
    """Partition ``k``'s share of a column block (run where the block is: only the share moves)."""
    for i in where:
        block = block[i]
    return block[k]


def _with_imputed(state: dict, pieces: list) -> dict:
    return {**state, "imputed": pd.concat(pieces, axis=1)}


def _screen(state: dict, fw: Framework) -> dict:
    screened, out, note = screen_units(state["imputed"], state["availability"], fw)
    return {**state, "screened": screened, "screened_out": out, "note": note}


def _treat_normalise_block(slices: list[pd.DataFrame], fw: Framework, cols: list[str]):
    whole = pd.concat(slices)
    specs = dict(zip(fw.nodes["code"], fw.nodes["treat"], strict=True))
    treated, records = treat(whole, {c: specs[c] for c in cols})
    norm = pd.DataFrame(normalise_columns(treated, fw, cols), index=whole.index, columns=cols)
    return _split(treated, slices), _split(norm, slices), records


def _split(frame: pd.DataFrame, slices: list[pd.DataFrame]) -> list[pd.DataFrame]:
    out, start = [], 0
    for s in slices:
        out.append(frame.iloc[start : start + len(s)])
        start += len(s)
    return out


def _finish(state: dict, treated: list, norm: list, fw: Framework, indicators: list[str]) -> dict:
    treated = pd.concat(treated, axis=1)[indicators]
    norm = pd.concat(norm, axis=1)[indicators]
    columns = {c: norm[c].to_numpy() for c in indicators}
    scores = aggregate_columns(columns, fw, norm.index)
    return {**state, "treated": treated, "normalised": norm, "aggregated": scores}


def _records(blocks: list) -> pd.DataFrame:
    return pd.concat([b[2] for b in blocks])


def _pick(state: dict, keys: tuple[str, ...]) -> dict:
    return {k: state[k] for k in keys}


def build_index_partitioned(
    parts: Sequence[pd.DataFrame],
    framework: Framework,
    client=None,
    block: int = 16,
    keep_stages: bool = True,
) -> IndexResult:
    """Build the index of ``pd.concat(parts)`` partition by partition and block of columns by block.

    Parameters
    ----------
    parts : data frames of whole places (for a panel indexed by unit × year, every year of a place in one
        part), or Dask futures of them (``client.scatter``), so that a cluster holds data no one process could.
    client : a ``distributed.Client``; ``None`` runs every task in this process.
    block : indicators per column task.
    keep_stages : return every stage (as ``build_index`` does); else only the aggregated scores
        (``stages["aggregated"]``), the treatment records and the notes.
    """
    fw = framework
    ex = executor(client)

    def sub(fn, *args):
        return ex.submit(fn, *args, pure=False)

    indicators = fw.indicators
    spec = fw.steps.get("impute", {}) or {}
    method = spec.get("method", "none")
    if not len(parts):
        raise SpecError([Problem("data", None, None, "0 partitions", "at least one partition")])
    blocks = [indicators[i : i + block] for i in range(0, len(indicators), block)]
    states = [sub(_rows_first, p, fw, indicators, spec) for p in parts]
    if method not in ROW_IMPUTATIONS:
        group = spec.get("group") if method in ("group_mean", "group_median") else None
        if group is not None:
            has_group = ex.gather([sub(lambda p, g: g in p.columns, p, group) for p in parts])
            if not all(has_group):
                raise SpecError(
                    [Problem("steps.impute", None, "group", group, "a column of the data")]
                )
        done = [
            sub(
                _impute_block,
                [sub(_slice, s, "x", cols, p, group) for s, p in zip(states, parts, strict=True)],
                spec,
                cols,
            )
            for cols in blocks
        ]
        states = [
            sub(_with_imputed, s, [sub(_piece, b, k) for b in done]) for k, s in enumerate(states)
        ]
    states = [sub(_screen, s, fw) for s in states]
    done = [
        sub(
            _treat_normalise_block,
            [sub(_slice, s, "screened", cols, None, None) for s in states],
            fw,
            cols,
        )
        for cols in blocks
    ]
    states = [
        sub(
            _finish,
            s,
            [sub(_piece, b, k, 0) for b in done],
            [sub(_piece, b, k, 1) for b in done],
            fw,
            indicators,
        )
        for k, s in enumerate(states)
    ]
    treatment = ex.gather(sub(_records, done))
    keys = (
        ("x", "imputed", "screened", "treated", "normalised", "aggregated")
        if keep_stages
        else ("aggregated",)
    )
    got = ex.gather(
        [sub(_pick, s, (*keys, "availability", "screened_out", "note")) for s in states]
    )
    scores = pd.concat([g["aggregated"] for g in got])
    if len(scores) == 0 and not sum(len(g["availability"]) for g in got):
        raise SpecError(
            [Problem("data", None, None, "0 units", "at least one unit (a row) to score")]
        )
    availability = pd.concat([g["availability"] for g in got])
    screened_out = pd.concat([g["screened_out"] for g in got])
    note = screen_note(
        list(screened_out.index), fw
    )  # one note for the whole, as build_index writes it
    notes = [note] if note else []
    notes += unscored_note(scores, fw)
    stages: dict[str, pd.DataFrame] = {"aggregated": scores}
    imputed_cells = pd.DataFrame()
    if keep_stages:
        names = {"x": "denominated", "imputed": "imputed", "screened": "screened"}
        for key, name in names.items():
            stages[name] = pd.concat([g[key] for g in got])
        stages["treated"] = pd.concat([g["treated"] for g in got])
        stages["normalised"] = pd.concat([g["normalised"] for g in got])
        stages["aggregated"] = scores
        x, imputed = stages["denominated"], stages["imputed"]
        imputed_cells = (x.isna() & imputed.notna()).loc[stages["screened"].index]
        order = ["denominated", "imputed", "screened", "treated", "normalised", "aggregated"]
        stages = {k: stages[k] for k in order}
    return IndexResult(fw, stages, imputed_cells, availability, screened_out, treatment, notes)


__all__ = ["build_index_partitioned"]
