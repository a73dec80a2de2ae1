"""Many runs at once, on a Dask cluster: the one engine for parallel work in qindex.

``qindex run --all`` (or a list of params files) hands each run to a ``dask.distributed`` worker. Each run is
the same :func:`qindex.runner.run` as a single run: it renders atomically, publishes report and data together,
and a failure leaves the published results as they were. A failed run does not stop the others; the batch ends
with one summary (:class:`Outcome` per run) and the gallery is written once, by the process that started the
batch.

Where the work runs:

- ``workers=1`` and no scheduler: in this process, one run after another (no cluster is started);
- no scheduler: a ``LocalCluster`` on this machine, one single-threaded worker process per core (or ``workers``),
  listening on loopback only;
- ``scheduler="tcp://host:8786"``: an existing cluster. Its workers must see the same project folder (the
  checkout on a shared file system, or ``QINDEX_ROOT`` pointing at it from a wheel install) and run the same
  locked environment. :func:`check_workers` verifies both before any run starts and names the worker that
  does not.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from qindex import paths
from qindex.checks import Problems
from qindex.errors import ClusterError, QIndexError
from qindex.parallel import client
from qindex.runner import lock_record, run
from qindex.runner.pool import KernelPool


@dataclass
class Outcome:
    """What became of one run of a batch."""

    name: str
    ok: bool
    seconds: float
    html: str = ""  # the published report, relative to the project
    error: str = ""  # why it failed (the runner's message: notebook, cell, error)
    worker: str = ""  # where it ran ("local" in this process)


def _worker_facts(token: str) -> dict:
    """Run on each worker: what it needs to render reports exactly as the client would."""
    lock = lock_record()
    return {
        "root": str(paths.ROOT),
        "notebooks": paths.NOTEBOOKS.is_dir(),
        "data_raw": paths.DATA_RAW.is_dir(),
        "sees_reports": (paths.REPORTS / f".qindex-cluster-{token}").is_file(),
        "lock_sha256": lock["lock_sha256"],
        "lock_mismatches": sorted(lock["lock_mismatches"]),
    }


def check_workers(c) -> int:
    """Every worker has the project (notebooks, data/raw), writes to the same reports/ folder as this process
    and runs the locked environment of this process; otherwise a :class:`ClusterError` naming each worker and
    what it lacks. Returns the number of workers."""
    token = secrets.token_hex(8)
    marker = paths.REPORTS / f".qindex-cluster-{token}"
    paths.REPORTS.mkdir(parents=True, exist_ok=True)
    marker.write_text("a batch is checking that its workers see this folder\n", encoding="utf-8")
    try:
        facts = c.run(_worker_facts, token)
    finally:
        marker.unlink(missing_ok=True)
    if not facts:
        raise ClusterError("the Dask cluster has no workers: start some with `dask worker ADDRESS`")
    mine = lock_record()["lock_sha256"]
    problems = Problems()
    for address, f in sorted(facts.items()):
        lacks = []
        if not f["notebooks"] or not f["data_raw"]:
            lacks.append(
                f"no notebooks/ or data/raw/ under its project folder {f['root']} (set QINDEX_ROOT)"
            )
        if not f["sees_reports"]:
            lacks.append(
                f"it does not see this batch's reports folder {paths.REPORTS} (put the project on a "
                "shared file system and point QINDEX_ROOT at it)"
            )
        if f["lock_sha256"] != mine or f["lock_mismatches"]:
            off = ", ".join(f["lock_mismatches"][:5]) or "another lock file"
            lacks.append(
                f"its environment is not the locked one of this project ({off}); install "
                "requirements.lock there"
            )
        if lacks:
            problems.append(f"worker {address}: " + "; ".join(lacks))
    if problems:
        raise ClusterError("the cluster cannot render these reports:\n  " + "\n  ".join(problems))
    return len(facts)


def _render(
    spec,
    allow_modified: bool,
    where: str,
    progress_bar: bool | None = False,
    pool: KernelPool | None = None,
) -> Outcome:
    """One run, with every failure turned into an :class:`Outcome` (runs on a worker or locally)."""
    started = time.perf_counter()
    try:
        # the paths a spec carries are the client's: use this worker's project folder
        spec = replace(
            spec,
            notebook=paths.NOTEBOOKS / spec.notebook.name,
            params_file=paths.ROOT / spec.params_file,
        )
        result = run(
            spec,
            progress_bar=progress_bar,
            allow_modified=allow_modified,
            gallery=False,
            pool=pool,
        )
    except Exception as exc:
        if isinstance(exc, QIndexError):  # RunError and the rest: the runner's own message
            error = str(exc)
        elif isinstance(exc, OSError):  # e.g. a read-only reports/ before the run could start
            error = f"run {spec.name}: {exc}; the published results were not changed."
        else:
            error = f"run {spec.name}: {type(exc).__name__}: {exc}; the published results were not changed."
        return Outcome(spec.name, False, time.perf_counter() - started, error=error, worker=where)
    try:  # the published link, not the version folder it points to
        html = str(result.html.relative_to(paths.ROOT))
    except ValueError:
        html = str(result.html)
    return Outcome(spec.name, True, result.seconds, html=html, worker=where)


#: This worker's kernels started ahead (one pool per worker process, kept between the runs it is given and
#: closed by :func:`_close_worker_pool` when the batch ends).
_WORKER_POOL: list[KernelPool] = []


def _render_on_worker(spec, allow_modified: bool) -> Outcome:
    from distributed import get_worker

    if not _WORKER_POOL:
        _WORKER_POOL.append(KernelPool())
    return _render(spec, allow_modified, get_worker().address, pool=_WORKER_POOL[0])


def _close_worker_pool() -> None:
    while _WORKER_POOL:
        _WORKER_POOL.pop().close()


def _portable(spec):
    """The spec with its params file relative to the project, so that a worker resolves it in its own
    project folder."""
    try:
        rel = Path(spec.params_file).resolve().relative_to(paths.ROOT)
    except ValueError:
        rel = Path(spec.params_file).resolve()  # outside the project: workers need the same path
    return replace(spec, params_file=rel)


def run_batch(
    specs: list,
    workers: int | None = None,
    scheduler: str | None = None,
    allow_modified: bool = False,
    log: Callable[[Outcome], None] | None = None,
    progress_bar: bool | None = False,
    pool: KernelPool | None = None,
) -> list[Outcome]:
    """Render every run of ``specs`` (validated :class:`qindex.runner.RunSpec`) and return one
    :class:`Outcome` each, in the order given. ``log`` is called as each run ends. The gallery is not
    written here: the caller writes it once (:func:`qindex.runner.gallery.write_index`). ``progress_bar``: papermill's
    cell progress bar, shown only when runs go one after another (``None``: when stderr is a terminal).
    ``pool``: the :class:`~qindex.runner.pool.KernelPool` of runs one after another (default one of its own,
    closed at the end; a pool passed in is left to its owner)."""
    specs = [_portable(s) for s in specs]
    outcomes: dict[str, Outcome] = {}
    if scheduler is None and workers == 1:
        # one kernel warms while the previous run executes
        with KernelPool(size=1) if pool is None else contextlib.nullcontext(pool) as pool:
            for i, spec in enumerate(specs):
                if i == len(specs) - 1:
                    pool.size = 0  # the last run: no kernel started that no run would use
                outcomes[spec.name] = _render(spec, allow_modified, "local", progress_bar, pool)
                if log:
                    log(outcomes[spec.name])
        return [outcomes[s.name] for s in specs]
    from distributed import as_completed

    with client(workers, scheduler) as c:
        check_workers(c)
        futures = {
            c.submit(
                _render_on_worker,
                spec,
                allow_modified,
                key=f"qindex-run-{spec.name}-{secrets.token_hex(4)}",
                pure=False,
                retries=0,
            ): spec
            for spec in specs
        }
        for future in as_completed(futures):
            spec = futures[future]
            try:
                outcome = future.result()
            except (
                Exception
            ) as exc:  # the worker died (memory limit, killed): this run failed, not the batch
                outcome = Outcome(
                    spec.name,
                    False,
                    0.0,
                    error=f"run {spec.name}: its worker was lost ({type(exc).__name__}: {exc}); "
                    "the published results were not changed.",
                )
            outcomes[spec.name] = outcome
            if log:
                log(outcome)
        c.run(_close_worker_pool)
    return [outcomes[s.name] for s in specs]


__all__ = ["ClusterError", "Outcome", "check_workers", "run_batch"]
