"""Benchmark: assess() over a panel larger than one process should hold, in partitions of whole places (run on
demand, not in CI).

    python benchmarks/bench_progress_partitioned.py [--places 30000] [--indicators 100] [--years 12]
        [--partitions 30] [--workers 2] [--folder DIR]

The panel (places × indicators × years observations, one level target per series: 3,000,000 series by
default) is generated partition by partition with ``synthetic_panel(first_unit=…)`` and written as CSV files,
never whole in memory. Then ``assess_partitioned`` runs one task per file on a LocalCluster, writing each result
to disk. Prints the generation and assessment time, series per second, and the peak resident memory of this
process and of each worker.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from qindex.catalog import Catalog
from qindex.progress_partitioned import assess_partitioned
from qindex.store import write_csv
from qindex.synthetic import synthetic_panel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--places", type=int, default=30_000)
    ap.add_argument("--indicators", type=int, default=100)
    ap.add_argument("--years", type=int, default=12)
    ap.add_argument("--partitions", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--folder", help="where the partitions go (default: a temporary folder)")
    args = ap.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp(prefix="qindex-bench-"))
    per = -(-args.places // args.partitions)

    t0 = time.perf_counter()
    files, cats, targets = [], [], []
    for k in range(args.partitions):
        n = min(per, args.places - k * per)
        if n <= 0:
            break
        cat, panel, tg = synthetic_panel(n, args.indicators, args.years, seed=k, first_unit=k * per)
        files.append(write_csv(panel, folder / f"part-{k:05d}.csv"))
        cats.append(cat)
        targets.append(tg)
        del panel
    cat = Catalog(
        jurisdictions=pd.concat([c.jurisdictions for c in cats], ignore_index=True),
        indicators=cats[0].indicators,
        plans=pd.concat([c.plans for c in cats], ignore_index=True),
        targets=pd.concat(targets, ignore_index=True),
    )
    targets = cat.targets
    t_gen = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in files) / 2**30
    print(
        f"{args.places:,} places x {args.indicators} indicators x {args.years} years: "
        f"{len(targets):,} series in {len(files)} CSV partitions ({size:.1f} GB), {t_gen:.0f} s to generate"
    )

    from qindex.parallel import client as dask_client

    with dask_client(args.workers, memory_limit=0) as client:
        pids = list(client.run(os.getpid).values())
        peaks = dict.fromkeys(pids, 0)
        out = folder / "results"
        import threading

        stop = threading.Event()

        def watch():
            while not stop.is_set():
                for p in pids:
                    with contextlib.suppress(psutil.Error):
                        peaks[p] = max(peaks[p], psutil.Process(p).memory_info().rss)
                time.sleep(0.5)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        t0 = time.perf_counter()
        counts = assess_partitioned(
            files,
            targets,
            catalog=cat,
            rankings=pd.DataFrame(),
            implications=pd.DataFrame(),
            model="linear",
            client=client,
            out_dir=out,
        )
        took = time.perf_counter() - t0
        stop.set()
    print(
        f"assess_partitioned on {args.workers} workers: {took:.0f} s, {len(targets) / took:,.0f} series/s"
    )
    print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"results written: {len(list(out.glob('*.csv')))} files")
    print(
        "peak memory: this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; workers "
        + ", ".join(f"{v / 2**20:,.0f} MB" for v in peaks.values())
    )
    if not args.folder:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
