"""Benchmark: what a report costs against its floors, measured side by side (run on demand, not in CI).

    python benchmarks/bench_runs.py [--reports 20] [--rounds 3]

Goals (issue #30):

- a batch of plan reports, one after another (``qindex run --workers 1``): per report at most 1.5x the
  warm-kernel floor, i.e. the same notebook re-run on a kernel kept between runs (cells and HTML export);
- a single cold ``qindex run``: at most 1.2x a fresh process that runs, through papermill, a notebook that only
  imports what the report notebooks import, and exports it to HTML. The report's own cells come on top of that
  floor; the benchmark prints them (from the run's ``timings_s``) and what is left beyond floor and cells.

The batch is the Gongshu plan report of fictional districts (``synthetic: true, example_seed: N``); the single
run is ``params/gongshu-2025.yaml`` (the real plan report, as in the issue). Both run in
a temporary project folder (``QINDEX_ROOT``) whose notebooks and data link to this checkout. Every figure is
the best of ``--rounds``, the rounds interleaved so that a change of load hits each measurement alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAMS = (
    "notebook: plan_progress.ipynb\ntitle: '【示例数据】虚构地区 {example_seed}'\nparameters:\n"
)
PARAMS += "  plan_id: gongshu-2025\n  as_of: 2024\n  synthetic: true\n  example_seed: [%s]\n"


def project(tmp: Path, reports: int) -> Path:
    root = tmp / "project"
    (root / "data").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    (root / "data" / "raw").symlink_to(REPO / "data" / "raw")
    (root / "params").mkdir()
    seeds = ", ".join(str(1000 + k) for k in range(reports))
    (root / "params" / "batch.yaml").write_text(PARAMS % seeds, encoding="utf-8")
    # the single run is the real Gongshu plan report, as in the issue
    single = (REPO / "params" / "gongshu-2025.yaml").read_text(encoding="utf-8")
    (root / "params" / "single.yaml").write_text(single, encoding="utf-8")
    return root


def env_for(root: Path) -> dict:
    return {**os.environ, "QINDEX_ROOT": str(root), "QINDEX_DATA_RAW": str(REPO / "data" / "raw")}


def timed_process(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return wall


def qindex_run(root: Path, params: str) -> float:
    cmd = [sys.executable, "-m", "qindex.cli", "run", str(root / "params" / params)]
    return timed_process([*cmd, "--workers", "1", "--no-progress"], env_for(root))


def cells_of(root: Path, run: str) -> float:
    """Seconds the kernel spent in the cells of the published run ``run`` (its ``timings_s``)."""
    t = json.loads((root / "data" / "processed" / run / "run.json").read_text(encoding="utf-8"))
    return t["timings_s"]["first_cell"] + t["timings_s"]["other_cells"]


#: A fresh process: papermill runs a notebook that only imports what the report notebooks import, and
#: nbconvert exports it to HTML. The floor of a cold run (with the runner's own import saving, so that the
#: floor is the best such a process can do).
IMPORTS_ONLY = textwrap.dedent(
    """
    import sys
    sys.modules.setdefault("rfc3987_syntax", None)  # as the runner does: no IRI grammar at import
    import nbformat, papermill
    from nbconvert import HTMLExporter
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "from IPython.display import HTML, Markdown, display\\n"
        "from qindex import plots\\n"
        "from qindex.reports.plan import METHOD_TEXT, METHOD_TEXT_EN, plan_report\\n"
        "from qindex.reports.text import save_summary, save_tables, show"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = sys.argv[1]
    nbformat.write(nb, path + "/imports.ipynb")
    out = papermill.execute_notebook(path + "/imports.ipynb", path + "/out.ipynb", progress_bar=False,
                                     kernel_name=sys.argv[2])
    HTMLExporter().from_notebook_node(out)
    """
)


def imports_only(tmp: Path) -> float:
    from qindex.runner.pool import default_kernel

    cmd = [sys.executable, "-c", IMPORTS_ONLY, str(tmp), default_kernel()]
    return timed_process(cmd, dict(os.environ))


def warm_floor(root: Path, n: int) -> float:
    """Seconds per run of the plan notebook re-run on one kept kernel: its cells and the HTML export."""
    import papermill

    from qindex.runner.pool import KernelPool, shutdown
    from qindex.runner.render import render_html

    with KernelPool(size=0) as pool:
        km = pool.take()
    try:
        best = float("inf")
        for k in range(n + 1):  # the first run warms the kernel (imports, caches)
            out = root / "floor" / str(k)
            out.mkdir(parents=True)
            params = {"plan_id": "gongshu-2025", "as_of": 2024, "synthetic": True}
            params |= {"example_seed": 1000 + k, "output_dir": str(out)}
            t0 = time.perf_counter()
            nb = papermill.execute_notebook(
                str(REPO / "notebooks" / "plan_progress.ipynb"),
                str(out / "run.ipynb"),
                parameters=params,
                km=km,
                progress_bar=False,
                cwd=str(REPO / "notebooks"),
            )
            render_html(nb, "floor", "zh")
            if k:
                best = min(best, time.perf_counter() - t0)
        return best
    finally:
        shutdown(km)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    best = {"floor": float("inf"), "batch": float("inf"), "imports": float("inf")}
    best["single"] = best["cells"] = float("inf")
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=REPO.parent) as tmp:
            root = project(Path(tmp), args.reports)
            best["floor"] = min(best["floor"], warm_floor(root, 3))
            best["batch"] = min(best["batch"], qindex_run(root, "batch.yaml") / args.reports)
            best["imports"] = min(best["imports"], imports_only(Path(tmp)))
            single = qindex_run(root, "single.yaml")
            if single < best["single"]:
                best["single"], best["cells"] = single, cells_of(root, "single")
    load = os.getloadavg()[0]
    print(
        f"reports: best of {args.rounds} rounds; load average {load:.2f} on {os.cpu_count()} cores"
    )
    ratio = best["batch"] / best["floor"]
    print(
        f"batch of {args.reports} plan reports, one after another: {best['batch']:.2f} s per report; "
        f"warm-kernel floor {best['floor']:.2f} s; ratio {ratio:.2f} (goal <= 1.5: "
        f"{'met' if ratio <= 1.5 else 'NOT met'})"
    )
    ratio = best["single"] / best["imports"]
    print(
        f"single cold qindex run: {best['single']:.2f} s; a notebook that only imports "
        f"{best['imports']:.2f} s; ratio {ratio:.2f} (goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})"
    )
    rest = best["single"] - best["imports"] - best["cells"]
    print(
        f"  of which the report's own cells {best['cells']:.2f} s; beyond floor and cells {rest:.2f} s"
    )
    print(json.dumps({k: round(v, 3) for k, v in best.items()}))


if __name__ == "__main__":
    main()
