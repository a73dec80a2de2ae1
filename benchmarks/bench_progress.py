"""Benchmark: assess() with the linear model over 300,000 synthetic targets (run on demand, not in CI).

    python benchmarks/bench_progress.py [--units 3000] [--indicators 100] [--years 12] [--sample 300]

Goal (issue #4): under 5 s on 2 cores, and at least 50x faster than a loop calling statsmodels OLS per
series. The loop is timed on a random sample of series and scaled to all of them.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import statsmodels.api as sm

from qindex.progress import assess
from qindex.synthetic import synthetic_panel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=100)
    ap.add_argument("--years", type=int, default=12)
    ap.add_argument(
        "--sample", type=int, default=300, help="series timed with the statsmodels loop"
    )
    args = ap.parse_args()

    t0 = time.perf_counter()
    cat, panel, targets = synthetic_panel(args.units, args.indicators, args.years, seed=0)
    t_gen = time.perf_counter() - t0
    print(
        f"synthetic panel: {len(panel):,} values, {len(targets):,} targets ({t_gen:.1f} s to generate)"
    )

    assess(panel.head(10_000), targets.head(1000), model="linear", catalog=cat)  # warm-up
    t0 = time.perf_counter()
    result = assess(panel, targets, model="linear", catalog=cat)
    t_assess = time.perf_counter() - t0
    assert len(result) == len(targets)
    print(f"assess (linear, vectorised): {t_assess:.2f} s for {len(targets):,} targets")

    rng = np.random.default_rng(1)
    sample = rng.choice(
        targets.index.to_numpy(), size=min(args.sample, len(targets)), replace=False
    )
    groups = panel.groupby(["jurisdiction_id", "indicator_id"])
    t0 = time.perf_counter()
    for i in sample:
        row = targets.loc[i]
        s = groups.get_group((row.jurisdiction_id, row.indicator_id))
        fit = sm.OLS(s["value"].to_numpy(), sm.add_constant(s["year"].to_numpy(float))).fit()
        fit.get_prediction(np.array([[1.0, row.target_year]])).summary_frame(alpha=0.05)
    t_loop = (time.perf_counter() - t0) / len(sample) * len(targets)
    print(
        f"statsmodels OLS loop: {t_loop:.1f} s (timed on {len(sample)} series, scaled to {len(targets):,})"
    )
    print(f"speed-up: {t_loop / t_assess:.0f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB; cores: {os.cpu_count()}")
    print(
        f"goal < 5 s: {'met' if t_assess < 5 else 'NOT met'}; goal >= 50x: {'met' if t_loop / t_assess >= 50 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
