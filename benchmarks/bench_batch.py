"""Benchmark: a batch of plan reports, one after another and on a local Dask cluster (run on demand, not in CI).

    python benchmarks/bench_batch.py [--places 200] [--workers 2] [--modes serial,cluster]

Each place is a fictional district generated with its own seed (``synthetic: true, example_seed: N``) and
assessed against the Gongshu plan's targets: the full plan report, rendered to HTML. The runs go to a
temporary project folder (``QINDEX_ROOT``) whose notebooks and data are links to this checkout, so nothing
here is written into reports/.

Prints, per mode: wall time, reports per minute, parallel efficiency (cluster throughput / (workers × serial
throughput)), the peak resident memory of each worker process with its kernels, and where one report's time
goes (from the ``timings_s`` of every run.json): kernel start and papermill, the first cell that imports and
assesses, the other cells, the run record, the HTML export. Then a projection for 32 workers × 3,000 reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent


def project(tmp: Path, places: int) -> Path:
    root = tmp / "project"
    (root / "data").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    (root / "data" / "raw").symlink_to(REPO / "data" / "raw")
    (root / "params").mkdir()
    seeds = ", ".join(str(1000 + k) for k in range(places))
    (root / "params" / "place.yaml").write_text(
        "notebook: plan_progress.ipynb\n"
        "title: '【示例数据】生成的虚构地区 {example_seed} × 拱墅区方案目标'\n"
        "parameters:\n  plan_id: gongshu-2025\n  as_of: 2024\n  synthetic: true\n"
        f"  example_seed: [{seeds}]\n",
        encoding="utf-8",
    )
    return root


class PeakMemory(threading.Thread):
    """Every 0.5 s: the resident memory of each top-level worker process (or this process) plus its
    children (the kernels); keeps the peak of each."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(root_pid)
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()

    def groups(self) -> list[psutil.Process]:
        """The worker processes (children of the batch that are not kernels), or the batch itself when
        it runs the reports one after another (its children are then the kernels)."""
        workers = [c for c in self.root.children() if "ipykernel" not in " ".join(c.cmdline())]
        return workers or [self.root]

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                for g in self.groups():
                    rss = g.memory_info().rss + sum(
                        c.memory_info().rss for c in g.children(recursive=True)
                    )
                    self.peaks[g.pid] = max(self.peaks.get(g.pid, 0), rss)
            except psutil.Error:
                pass
            time.sleep(0.5)


def batch(root: Path, workers: int, allow_modified: bool) -> tuple[float, int, list[dict], dict]:
    env = {**os.environ, "QINDEX_ROOT": str(root), "QINDEX_DATA_RAW": str(REPO / "data" / "raw")}
    cmd = [
        sys.executable,
        "-m",
        "qindex.cli",
        "run",
        str(root / "params" / "place.yaml"),
        "--workers",
        str(workers),
        "--no-progress",
    ]
    if allow_modified:
        cmd.append("--allow-modified")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watch = PeakMemory(proc.pid)
    watch.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    watch.stop.set()
    ok = out.count(" ok place-")
    if proc.returncode != 0:
        print(out[-3000:])
    timings = []
    for rec in (root / "reports" / ".runs").glob("place-*/*/data/run.json"):
        data = json.loads(rec.read_text(encoding="utf-8"))
        if "timings_s" in data:
            timings.append(data["timings_s"])
    return wall, ok, timings, watch.peaks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--places", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", default="serial,cluster")
    ap.add_argument(
        "--allow-modified", action="store_true", help="pass on to qindex run (notebook edits)"
    )
    args = ap.parse_args()
    results = {}
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(dir=REPO.parent) as tmp:
            root = project(Path(tmp), args.places)
            workers = 1 if mode == "serial" else args.workers
            wall, ok, timings, peaks = batch(root, workers, args.allow_modified)
        rate = ok / wall * 60
        results[mode] = rate
        print(
            f"{mode}: {ok}/{args.places} reports in {wall:.0f} s = {rate:.1f} reports/min "
            f"({workers} worker{'s' if workers > 1 else ''})"
        )
        mem = sorted(peaks.values(), reverse=True)[:workers]
        print(
            "  peak memory per worker (with its kernels): "
            + ", ".join(f"{m / 2**20:,.0f} MB" for m in mem)
        )
        if timings:
            keys = list(timings[0])
            mean = {k: sum(t[k] for t in timings) / len(timings) for k in keys}
            print("  per report (mean s): " + ", ".join(f"{k} {v:.2f}" for k, v in mean.items()))
    if "serial" in results and "cluster" in results:
        eff = results["cluster"] / (args.workers * results["serial"])
        print(f"parallel efficiency on {args.workers} workers: {eff:.0%}")
        per_worker = results["cluster"] / args.workers
        minutes = 3000 / (32 * per_worker)  # the per-worker rate measured with all workers busy
        print(
            f"projection: 32 workers at {per_worker:.1f} reports/min each -> 3,000 reports in "
            f"{minutes:.0f} min (assumes the scheduler and the shared file system keep up)"
        )


if __name__ == "__main__":
    main()
