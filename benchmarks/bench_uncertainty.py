"""Benchmark: uncertainty analysis on synthetic data (run on demand, not in CI).

    python benchmarks/bench_uncertainty.py [--units 3000] [--indicators 100] [--replications 1000]
        [--workers 0] [--chunk 0]

3,000 units x 100 indicators in three levels; 1,000 replications over weight noise (±25 % on pillar
weights), two normalisations and two aggregations. Goal (issue #6): under 60 s on 2 cores, under 4 GB.
Goal (issue #14): under 1 ms per replication in one process. ``--workers N`` runs the replications in chunks
on a LocalCluster of N workers (``--chunk`` replications each; default an even share, four per worker) and
prints the peak memory of each worker; the rank matrix is not kept (the statistics come from rank counts).

Goal (issue #30): at most 0.5 ms per replication with the default study on 3,000 x 100 in one process, the
same whatever ``OPENBLAS_NUM_THREADS`` says. ``--threads`` runs the one-process case in a child process per
setting (unset, 1, 2), interleaved ``--rounds`` times (best of each), with wall and CPU time per replication,
beside the floor measured in the same run: one matrix-vector product (units x indicators by weights) and one
ranking of the units per replication.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
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
    ap.add_argument("--threads", action="store_true", help="compare OPENBLAS_NUM_THREADS settings")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        return compare_threads(args)
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
        t0, c0 = time.perf_counter(), time.process_time()
        ua = uncertainty(data, fw, study, n=args.replications, keep_ranks=False)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        if args.json:
            print(json.dumps({"wall": took, "cpu": cpu}))
            return
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


def floor(units: int, indicators: int, n: int) -> float:
    """Seconds per replication for one matrix-vector product and one ranking (best of three)."""
    rng = np.random.default_rng(0)
    x, w = rng.random((units, indicators)), rng.random((n, indicators))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(n):
            np.argsort(-(x @ w[i]))
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def compare_threads(args) -> None:
    cmd = [
        sys.executable,
        __file__,
        "--units",
        str(args.units),
        "--indicators",
        str(args.indicators),
    ]
    cmd += ["--replications", str(args.replications), "--json"]
    settings = {"unset": None, "1": "1", "2": "2"}
    best: dict = {}
    for _ in range(args.rounds):  # interleaved, so that a change of load hits every setting alike
        for name, value in settings.items():
            env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
            if value:
                env["OPENBLAS_NUM_THREADS"] = value
            out = json.loads(
                subprocess.run(cmd, env=env, capture_output=True, check=True, text=True).stdout
            )
            old = best.get(name, {"wall": float("inf"), "cpu": float("inf")})
            best[name] = {k: min(old[k], out[k]) for k in out}
    f = floor(args.units, args.indicators, min(args.replications, 2000))
    n = args.replications
    print(
        f"uncertainty: {args.units:,} units x {args.indicators}, {n:,} replications, one process; best of "
        f"{args.rounds}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(f"floor (matrix-vector product + ranking): {f * 1e3:.3f} ms per replication")
    for name, b in best.items():
        wall, cpu = b["wall"] / n * 1e3, b["cpu"] / n * 1e3
        print(
            f"OPENBLAS_NUM_THREADS={name:>5}: {wall:.3f} ms wall, {cpu:.3f} ms CPU per replication; "
            f"{wall / (f * 1e3):.1f}x the floor; goal <= 0.5 ms: {'met' if wall <= 0.5 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
