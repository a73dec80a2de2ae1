"""Benchmark: uncertainty analysis on synthetic data (run on demand, not in CI).

    python benchmarks/bench_uncertainty.py [--units 3000] [--indicators 100] [--replications 1000]
        [--workers 0] [--chunk 0]

3,000 units x 100 indicators in three levels; 1,000 replications over weight noise (±25 % on pillar
weights), two normalisations and two aggregations. Goal (issue #6): under 60 s on 2 cores, under 4 GB.
Goal (issue #14): under 1 ms per replication in one process. ``--workers N`` runs the replications in chunks
on a LocalCluster of N workers (``--chunk`` replications each; default an even share, four per worker) and
prints the peak memory of each worker; the rank matrix is not kept (the statistics come from rank counts).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_composite import synthetic

from qindex.composite import framework_from_dict
from qindex.composite.sensitivity import load_study, uncertainty


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=100)
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=0, help="0: in this process")
    ap.add_argument("--chunk", type=int, default=0)
    args = ap.parse_args()
    data, spec = synthetic(args.units, args.indicators)
    spec["steps"]["normalise"] = {"method": "minmax", "lower": 1, "upper": 100}
    fw = framework_from_dict(spec)
    study = load_study(
        {
            "seed": 1,
            "assumptions": [
                {"name": "weights", "kind": "weights", "level": 2, "noise": 0.25, "sets": 100},
                {
                    "name": "normalisation",
                    "kind": "normalise",
                    "alternatives": [
                        {"method": "minmax", "lower": 1, "upper": 100},
                        {"method": "prank"},
                    ],
                },
                {
                    "name": "aggregation",
                    "kind": "aggregate",
                    "level": 3,
                    "alternatives": [{"method": "amean"}, {"method": "gmean"}],
                },
            ],
        },
        fw,
    )
    workers_peak = ""
    if args.workers:
        from qindex.parallel import client as dask_client

        with dask_client(args.workers) as client:
            t0 = time.perf_counter()
            ua = uncertainty(
                data,
                fw,
                study,
                n=args.replications,
                client=client,
                chunk=args.chunk or None,
                keep_ranks=False,
            )
            took = time.perf_counter() - t0
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            workers_peak = "; workers " + ", ".join(f"{v:,.0f} MB" for v in rss.values())
    else:
        t0 = time.perf_counter()
        ua = uncertainty(data, fw, study, n=args.replications, keep_ranks=False)
        took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    where = f"LocalCluster of {args.workers} workers" if args.workers else "one process"
    print(
        f"{args.units:,} units x {args.indicators} indicators, {args.replications:,} replications, {where}"
    )
    print(
        f"total {took:.1f} s, {1000 * took / args.replications:.1f} ms per replication (includes the nominal build)"
    )
    print(
        f"mean |rank shift| over replications: {ua.replications['mean_abs_rank_shift'].mean():.1f}"
    )
    print(f"peak memory: this process {peak:,.0f} MB{workers_peak}")
    print(
        f"goal < 60 s: {'met' if took < 60 else 'NOT met'}; goal < 4 GB: {'met' if peak < 4096 else 'NOT met'}"
    )
    if not args.workers:
        print(
            f"goal < 1 ms per replication: {'met' if took / args.replications < 1e-3 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
