"""Execution: one run of a params file. The notebook is executed with papermill on a fresh kernel, rendered
to HTML with its run record, and published with its data by one rename (:mod:`qindex.runner.publish`); a failed
run keeps its notebook for debugging under ``reports/_failed/`` and leaves the published results unchanged.

Outputs of run ``<run>``: ``reports/<run>/<run>.ipynb`` and ``.html``; ``data/processed/<run>/*.csv`` and
``run.json``. Both paths are links to the published version: report and data are published together, and
earlier versions stay in ``reports/.runs/<run>/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from qindex import paths
from qindex.errors import RunError
from qindex.runner import gallery as gallery_page
from qindex.runner import publish
from qindex.runner.params import RunSpec
from qindex.runner.pool import KERNEL_ARGUMENTS, KernelPool, default_kernel, shutdown
from qindex.runner.provenance import changed_inputs, check_committed, input_hashes, provenance
from qindex.runner.render import check_offline, prepare, record_cell, render_html

# ---------------------------------------------------------------- validation


#: Kernel starts tried before a run fails (a port clash between kernels starting at once kills a start).
KERNEL_START_TRIES = 3
#: Failed notebooks are kept in reports/_failed/<run>/ (a run name cannot start with "_").
FAILED = "_failed"


# ---------------------------------------------------------------- execution


@dataclass
class RunResult:
    name: str
    html: Path
    notebook: Path
    processed: Path
    seconds: float


@contextlib.contextmanager
def _terminate_raises():
    """While a run executes, SIGTERM (a scheduler stopping the job, ``kill``) raises ``SystemExit`` like Ctrl-C
    raises ``KeyboardInterrupt``, so that the run's clean-up runs; Python's default simply exits. Only the main
    thread can set a handler (a Dask worker's runs keep the worker's own)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(
    spec: RunSpec,
    progress_bar: bool | None = None,
    kernel: str | None = None,
    allow_modified: bool = False,
    gallery: bool = True,
    pool: KernelPool | None = None,
) -> RunResult:
    """Execute one validated run; see the module docstring for what is written where.

    Parameters
    ----------
    spec : one :class:`~qindex.runner.params.RunSpec` of :func:`~qindex.runner.params.load_specs`.
    progress_bar : papermill's progress bar (default: when the output is a terminal).
    kernel : the Jupyter kernel (default: this environment's).
    allow_modified : run a notebook that differs from git's (recorded in the report and ``run.json``).
    gallery : rewrite ``reports/index.html`` after publishing (a batch writes it once at its end).
    pool : a :class:`~qindex.runner.pool.KernelPool` to take the run's kernel from (a batch's: started
        ahead, past the common imports); default a kernel started for this run.

    Returns
    -------
    RunResult
        ``name``, ``html`` and ``notebook`` (the published report), ``processed`` (its tables and
        ``run.json``), ``seconds``.

    Example
    -------
    >>> from qindex.runner import load_specs
    >>> result = run(load_specs(paths.PARAMS / "gongshu-2025.yaml")[0])  # doctest: +SKIP
    >>> result.html  # doctest: +SKIP
    PosixPath('.../reports/gongshu-2025/gongshu-2025.html')

    Raises
    ------
    RunError
        naming the notebook, the failing cell and the error; the executed notebook is kept under
        ``reports/_failed/<run>/`` and the published report and data are left as they were. Also raised,
        before anything runs, when the notebook has uncommitted changes and ``allow_modified`` is false: a
        scheduled run executes the notebook as committed.

    The run writes into a new version folder and publishes report and data together in one step
    (:mod:`qindex.runner.publish`); runs of the same name wait for each other. The gallery ``reports/index.html``
    is rewritten after the run is published, unless ``gallery`` is false (a batch writes it once at its end).
    """
    import papermill

    source = check_committed(spec, allow_modified)
    started = dt.datetime.now(dt.UTC)
    with publish.run_lock(spec.name):
        publish.recover(spec.name)
        try:
            run_id, folder = publish.new_version(spec.name)
        except OSError as exc:  # a read-only or full disk: nothing was started
            raise RunError(
                f"run {spec.name}: cannot create its folder under {paths.relative(paths.REPORTS)} "
                f"({exc.strerror or exc}); the published results were not changed."
            ) from None
        try:
            with _terminate_raises():
                result = _execute(
                    spec, folder, run_id, started, progress_bar, kernel, papermill, source, pool
                )
        except BaseException:
            # nothing of this run is published: remove it whole (Ctrl-C and SIGTERM included)
            shutil.rmtree(folder, ignore_errors=True)
            raise
    if gallery:
        gallery_page.write_index()
    return result


def _execute(
    spec, folder, run_id, started, progress_bar, kernel, papermill, source, pool
) -> RunResult:
    from papermill.exceptions import PapermillExecutionError

    report_dir, data_dir = folder / "report", folder / "data"
    executed = report_dir / f".{spec.name}.running.ipynb"
    parameters = {**spec.parameters, "output_dir": str(data_dir)}
    state = source.state
    notebook = spec.notebook
    if source.text is not None:  # the notebook as committed, beside the version (removed with it)
        notebook = report_dir / f".{spec.name}.committed.ipynb"
        notebook.write_text(source.text, encoding="utf-8")
    inputs = input_hashes(spec, source.text)  # what the run reads: compared again when it ends
    clock = time.perf_counter()
    try:
        for attempt in range(1, KERNEL_START_TRIES + 1):
            # a kernel of the batch's pool, started ahead and used for this run only; else papermill starts one
            km = None
            try:
                if pool is not None:
                    prepare(
                        spec.language
                    )  # while the kernel starts: the export's templates compile
                    km = pool.take()
                papermill.execute_notebook(
                    str(notebook),
                    str(executed),
                    parameters=parameters,
                    kernel_name=kernel or default_kernel(),
                    cwd=str(paths.NOTEBOOKS),
                    progress_bar=sys.stderr.isatty() if progress_bar is None else progress_bar,
                    execution_timeout=spec.cell_timeout,
                    log_output=False,
                    extra_arguments=KERNEL_ARGUMENTS,
                    km=km,
                )
                break
            except PapermillExecutionError:
                raise
            except Exception:
                # Two kernels starting at once on a busy machine can pick the same port ("Address already
                # in use") and die before running a cell: start again. A kernel that ran a cell is not retried.
                if attempt == KERNEL_START_TRIES or _cells_started(executed):
                    raise
                time.sleep(attempt)
            finally:
                if km is not None:
                    shutdown(km)
    except PapermillExecutionError as exc:
        kept = _keep_failed(executed, spec)
        cell = _failed_cell_number(kept)
        raise RunError(
            f"run {spec.name} failed: notebook {spec.notebook.name}, cell {cell}: {exc.ename}: {exc.evalue}. "
            f"The failed notebook is kept at {paths.relative(kept)}; the published results were not changed."
        ) from None
    except Exception as exc:  # kernel died, timeout, missing kernel: same guarantees
        kept = _keep_failed(executed, spec) if executed.exists() else None
        where = f" The notebook so far is kept at {paths.relative(kept)}." if kept else ""
        cell = f", cell {_failed_cell_number(kept)}" if kept else ""
        raise RunError(
            f"run {spec.name} failed: notebook {spec.notebook.name}{cell}: {type(exc).__name__}: {exc}.{where}"
            " The published results were not changed."
        ) from None

    import nbformat

    try:
        executing = time.perf_counter() - clock
        nb = nbformat.read(executed, as_version=4)
        finished = dt.datetime.now(dt.UTC)
        outputs = sorted(p.name for p in data_dir.iterdir())
        clock = time.perf_counter()
        changed = changed_inputs(inputs, input_hashes(spec, source.text))
        if changed:  # the run may have read either version: its record could not say which
            raise RunError(
                f"run {spec.name}: its inputs changed while it ran ({'; '.join(changed[:5])}); run it "
                "again. The published results were not changed."
            )
        record = provenance(
            spec, started, finished, outputs=outputs, run_id=run_id, state=state, inputs=inputs
        )
        recording = time.perf_counter() - clock
        nb.cells.append(record_cell(spec, record))
        nbformat.write(nb, str(report_dir / f"{spec.name}.ipynb"))
        clock = time.perf_counter()
        page = render_html(nb, spec.title, spec.language)
        rendering = time.perf_counter() - clock
        check_offline(page, spec.name)
        (report_dir / f"{spec.name}.html").write_text(page, encoding="utf-8")
        executed.unlink()
        if notebook != spec.notebook:
            notebook.unlink()
        record["timings_s"] = _timings(nb, executing, recording, rendering)
        (data_dir / "run.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        publish.publish(spec.name, folder)
    except OSError as exc:  # a full disk, a read-only folder: nothing was published
        raise RunError(
            f"run {spec.name}: the results could not be written ({exc}); the published results were not changed."
        ) from None
    shutil.rmtree(paths.REPORTS / FAILED / spec.name, ignore_errors=True)
    return RunResult(
        spec.name,
        paths.REPORTS / spec.name / f"{spec.name}.html",
        paths.REPORTS / spec.name / f"{spec.name}.ipynb",
        paths.DATA_PROCESSED / spec.name,
        (finished - started).total_seconds(),
    )


def _timings(nb, executing: float, recording: float, rendering: float) -> dict:
    """Where a run's time went, in seconds: papermill in all; within it the kernel's cells (the first code
    cell, which imports the libraries, apart) and the rest (kernel start and papermill's own work); the run
    record (hashing the inputs) and the HTML export."""
    durations = [
        (
            float(c.metadata.get("papermill", {}).get("duration") or 0.0),
            bool({"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))),
        )
        for c in nb.cells
        if c.cell_type == "code"
    ]
    cells = sum(d for d, _ in durations)
    first = next((d for d, params in durations if not params), 0.0)
    return {
        "papermill": round(executing, 3),
        "first_cell": round(first, 3),
        "other_cells": round(cells - first, 3),
        "kernel_start_and_papermill": round(executing - cells, 3),
        "run_record": round(recording, 3),
        "html_export": round(rendering, 3),
    }


def _cells_started(executed: Path) -> bool:
    """Whether the kernel ran any cell of the notebook papermill was writing."""
    if not executed.exists():
        return False
    try:
        cells = json.loads(executed.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return False
    return any(c.get("metadata", {}).get("papermill", {}).get("start_time") for c in cells)


def _keep_failed(executed: Path, spec: RunSpec) -> Path:
    failed = paths.REPORTS / FAILED / spec.name
    failed.mkdir(parents=True, exist_ok=True)
    kept = failed / spec.notebook.name
    shutil.copyfile(executed, kept)
    return kept


def _failed_cell_number(notebook: Path) -> str:
    """The 1-based position of the failing code cell among the notebook's cells, as papermill marks it."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{i} (In [{cell.get('execution_count')}])"
    # a kernel that died or a cell past its timeout leaves no error output: the cell is the last one started
    started = [
        i
        for i, cell in enumerate(nb.cells, start=1)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return str(started[-1]) if started else "unknown"
