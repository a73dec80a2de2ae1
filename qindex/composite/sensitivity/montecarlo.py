"""Monte Carlo uncertainty analysis: sample the assumptions N times and report, per unit, the nominal, median,
5th and 95th percentile rank, and per replication the mean absolute rank shift from the nominal ranks, in chunks
in this process or on a Dask cluster, equal bit for bit either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qindex.composite.framework import Framework
from qindex.composite.sensitivity.engine import (
    BLOCK,
    Engine,
    chunk_on_worker,
    chunk_ranks,
    describe,
    forget,
    positive,
    rank_scores,
)
from qindex.composite.sensitivity.study import Study
from qindex.parallel import one_blas_thread


@dataclass
class UncertaintyResult:
    """What :func:`uncertainty` found: rank statistics per unit, and what each replication drew."""

    rank_stats: pd.DataFrame  # unit: nominal_rank, median_rank, q05_rank, q95_rank, mean_rank
    replications: (
        pd.DataFrame
    )  # one row per replication: the sampled assumptions and mean_abs_rank_shift
    ranks: np.ndarray | None  # replications × units (None when not kept: see uncertainty())
    note: str = ""


#: Replications per chunk in this process (whole blocks): bounds the memory of a chunk's ranks.
LOCAL_CHUNK = 16 * BLOCK


#: Full rank matrices (replications × units) are kept up to this many cells unless asked for.
KEEP_RANKS_CELLS = 25_000_000


class Tally:
    """Per unit, how often each rank occurred: exact medians, quantiles and means over any number of
    replications without holding them all."""

    def __init__(self, n_units: int):
        self.counts = np.zeros((n_units, n_units + 1), dtype=np.int64)

    def add(self, ranks: np.ndarray) -> None:
        k = self.counts.shape[1]
        flat = (np.arange(ranks.shape[1], dtype=np.int64)[None, :] * k + ranks).ravel()
        # counted in place: no units × ranks array per chunk (4× faster than a bincount of that size)
        np.add.at(self.counts.reshape(-1), flat, 1)

    def stats(self) -> dict[str, np.ndarray]:
        """As ``np.nanmedian``, ``np.nanquantile`` (linear) and ``np.nanmean`` over the ranks (0 = none)."""
        c = self.counts[:, 1:]
        m = c.sum(axis=1)
        cum = np.cumsum(c, axis=1)
        values = np.arange(1, c.shape[1] + 1, dtype=float)

        def order_stat(k: np.ndarray) -> np.ndarray:
            # the k-th smallest rank (0-based) of each unit
            idx = np.array(
                [np.searchsorted(row, kk, side="right") for row, kk in zip(cum, k, strict=True)],
                dtype=int,
            )
            return values[np.minimum(idx, len(values) - 1)]

        def quantile(q: float) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                h = q * (m - 1)
            lo = np.floor(np.nan_to_num(h)).astype(int)
            frac = np.nan_to_num(h) - lo
            a, b = order_stat(lo), order_stat(np.minimum(lo + 1, np.maximum(m - 1, 0)))
            out = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)
            return np.where(m > 0, out, np.nan)

        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(m > 0, (c * values).sum(axis=1) / m, np.nan)
        return {
            "median_rank": quantile(0.5),
            "q05_rank": quantile(0.05),
            "q95_rank": quantile(0.95),
            "mean_rank": mean,
        }


@dataclass
class Replicated:
    eng: Engine
    shift: np.ndarray  # per replication
    tally: Tally  # over the rows ``tally_rows`` (all by default)
    ranks: np.ndarray | None  # replications × units (NaN = no rank), when kept


def replicate(
    data,
    framework,
    study,
    u: np.ndarray,
    client=None,
    chunk: int | None = None,
    keep_ranks: bool | None = None,
    tally_rows: int | None = None,
) -> Replicated:
    """Ranks for factor rows ``u``: in this process, or in chunks on the Dask cluster of ``client``
    (``distributed.Client``). ``chunk`` (replications per task, rounded up to whole blocks of
    :data:`BLOCK`) defaults to an even share per worker. The results are the same, bit for bit, whatever the
    chunking and wherever it runs. ``keep_ranks``: keep the full rank matrix (default: when it has at most
    :data:`KEEP_RANKS_CELLS` cells); ``tally_rows``: the rank statistics count only the first rows (the A and
    B matrices of a Saltelli design)."""
    eng = Engine(data, framework, study)
    nominal = rank_scores(eng.nominal.scores[framework.top].to_numpy())
    n, n_units = len(u), len(eng.units)
    keep = n * n_units <= KEEP_RANKS_CELLS if keep_ranks is None else keep_ranks
    tally_rows = n if tally_rows is None else tally_rows
    if chunk is None:
        workers = len(client.scheduler_info()["workers"]) if client is not None else 1
        # on a cluster an even share, four per worker; here chunks that bound the memory of the ranks
        chunk = -(-n // max(workers * 4, 1)) if client is not None else LOCAL_CHUNK
    chunk = max(BLOCK, -(-int(chunk) // BLOCK) * BLOCK)
    starts = list(range(0, n, chunk))
    shift = np.zeros(n)
    tally = Tally(n_units)
    kept = np.full((n, n_units), np.nan) if keep else None

    nominal_int = np.nan_to_num(nominal).astype(np.int32)  # 0: no nominal rank

    def take(start: int, ranks: np.ndarray) -> None:
        stop = start + len(ranks)
        # mean |rank - nominal rank| over units ranked in both; integer sums, so exact
        both = (ranks > 0) & (nominal_int > 0)
        total = np.where(both, np.abs(ranks.astype(np.int32) - nominal_int), 0).sum(
            axis=1, dtype=np.int64
        )
        count = both.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shift[start:stop] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        if start < tally_rows:
            tally.add(ranks[: max(0, min(stop, tally_rows) - start)])
        if kept is not None:
            kept[start:stop] = np.where(ranks > 0, ranks, np.nan)

    if client is None:
        with one_blas_thread():
            for start in starts:
                take(start, chunk_ranks(eng, study, u[start : start + chunk]))
    else:
        import secrets

        from distributed import as_completed

        token = f"qindex-ua-{secrets.token_hex(8)}"
        shared = client.scatter([data, framework, study], broadcast=True)
        futures = {
            client.submit(
                chunk_on_worker,
                token,
                *shared,
                u[start : start + chunk],
                key=f"{token}-{start}",
                pure=False,
            ): start
            for start in starts
        }
        try:
            for future in as_completed(futures):
                take(futures[future], future.result())
        finally:
            client.run(forget, token)
    return Replicated(eng, shift, tally, kept)


def run_replications(
    data, framework, study, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Engine]:
    """Ranks (replications × units) and mean absolute rank shifts for factor rows ``u`` (in this process)."""
    rep = replicate(data, framework, study, u, keep_ranks=True)
    return rep.ranks, rep.shift, rep.eng


def rank_stats(eng, tally: Tally) -> pd.DataFrame:
    nominal = rank_scores(eng.nominal.scores[eng.fw.top].to_numpy())
    return pd.DataFrame({"nominal_rank": nominal, **tally.stats()}, index=eng.units)


def uncertainty(
    data: pd.DataFrame,
    framework: Framework,
    study: Study,
    n: int = 500,
    client=None,
    chunk: int | None = None,
    keep_ranks: bool | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis with ``n`` replications (reproducible with the study's seed).

    Parameters
    ----------
    data : units × indicators (one cross-section); ``framework`` the index; ``study`` the uncertain
        assumptions (:func:`~qindex.composite.sensitivity.load_study`).
    n : replications.

    Returns
    -------
    UncertaintyResult
        ``rank_stats`` (per unit: ``nominal_rank``, ``median_rank``, ``q05_rank``, ``q95_rank``,
        ``mean_rank``), ``replications`` (per replication: the assumptions drawn and ``mean_abs_rank_shift``),
        ``ranks`` (every replication's ranks, or ``None``) and ``note``.

    Example
    -------
    >>> from qindex.composite import framework_from_dict
    >>> from qindex.composite.sensitivity import load_study
    >>> fw = framework_from_dict({"indicators": [{"code": "a", "parent": "idx"},
    ...     {"code": "b", "parent": "idx", "direction": -1}], "aggregates": [{"code": "idx"}]})
    >>> data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 3, 4, 1, 2]}, index=list("pqrst"))
    >>> study = load_study({"assumptions": [{"name": "w", "kind": "weights", "noise": 0.25}]}, fw)
    >>> uncertainty(data, fw, study, n=64).rank_stats.nominal_rank.tolist()
    [5.0, 3.0, 3.0, 1.0, 1.0]

    ``client``: a ``distributed.Client`` to run the replications in chunks on its cluster; ``chunk``:
    replications per task. The result is the same for the same seed, whatever the chunking, with or without a
    cluster. ``ranks`` holds every replication's ranks when ``keep_ranks`` (default: up to
    :data:`KEEP_RANKS_CELLS` cells), else ``None``; the rank statistics are exact either way.
    """
    positive(n, "n")
    rng = np.random.default_rng(study.seed)
    u = rng.random((n, len(study.assumptions)))
    rep = replicate(data, framework, study, u, client=client, chunk=chunk, keep_ranks=keep_ranks)
    reps = pd.DataFrame([describe(study, row) for row in u])
    reps["mean_abs_rank_shift"] = rep.shift
    if not rep.tally.counts[:, 1:].any():
        note = "no unit has a finite index score: nothing to rank"
    elif rep.shift.any():
        note = ""
    else:
        note = (
            "no replication changed any rank: the assumptions studied do not matter for these data"
        )
    return UncertaintyResult(rank_stats(rep.eng, rep.tally), reps, rep.ranks, note)
