"""Benchmark: a full index build on synthetic data (run on demand, not in CI).

    python benchmarks/bench_composite.py [--units 3000] [--indicators 100]

3,000 units x 100 indicators in three levels (indicators -> 10 pillars -> index), with 5 % missing values
and skewed columns: group-mean imputation, COINr's outlier treatment, min-max normalisation, arithmetic
aggregation. Goal (issue #5): under 2 s on 2 cores and under 2 GB.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from qindex.composite import build_index, framework_from_dict


def synthetic(n_units: int, n_ind: int, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(
        0, rng.uniform(0.2, 1.2, n_ind), (n_units, n_ind)
    )  # some columns strongly skewed
    x[rng.random(x.shape) < 0.05] = np.nan
    cols = [f"i{k:03d}" for k in range(n_ind)]
    data = pd.DataFrame(x, columns=cols, index=[f"SYN-{u:05d}" for u in range(n_units)])
    data["group"] = rng.choice(["a", "b", "c"], n_units)
    n_pillars = max(n_ind // 10, 1)
    spec = {
        "name": "synthetic benchmark index",
        "steps": {
            "impute": {"method": "group_mean", "group": "group"},
            "treat": {"method": "winsorise_log", "winmax": 5, "skew": 2, "kurt": 3.5},
        },
        "indicators": [
            {"code": c, "parent": f"p{k % n_pillars}", "direction": 1 if k % 3 else -1}
            for k, c in enumerate(cols)
        ],
        "aggregates": [{"code": f"p{p}", "parent": "index"} for p in range(n_pillars)]
        + [{"code": "index"}],
    }
    return data, spec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data, spec = synthetic(args.units, args.indicators)
    fw = framework_from_dict(spec)
    build_index(data.head(200), fw)  # warm-up
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = build_index(data, fw)
        times.append(time.perf_counter() - t0)
    treated = int((result.treatment["n_winsorised"] > 0).sum())
    logged = int(result.treatment["log"].sum())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.units:,} units x {args.indicators} indicators, 3 levels; {treated} winsorised, {logged} log-transformed"
    )
    print(
        f"full build: best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s over {args.repeat} runs"
    )
    print(f"peak memory: {peak:,.0f} MB")
    print(
        f"goal < 2 s: {'met' if min(times) < 2 else 'NOT met'}; goal < 2 GB: {'met' if peak < 2048 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
