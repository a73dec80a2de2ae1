"""Benchmark: every rule type at 10,000 and 100,000 targets against the level rule (run on demand, not in CI).

    python benchmarks/bench_rules.py [--sizes 10000 100000] [--repeat 3] [--reference 2000]

Goal (issue #30): cumulative, rank and trend linear in the number of targets, and at most 3× the level rule's
time per target. Each size is one panel of :func:`qindex.synthetic.synthetic_rule_panel` (1,000 units × k
indicators, 12 years) with every target of one type; the level rule on the same panel is the floor, timed in
the same run. ``--reference N`` also times the per-target rules they replaced (``tests/reference_rules.py``)
at N targets, to show where they stood.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from qindex import progress
from qindex.synthetic import synthetic_rule_panel


def timed(kind: str, n_targets: int, repeat: int, rules=None) -> float:
    units = 1000 if n_targets >= 1000 else n_targets
    cat, panel, tg, rankings = synthetic_rule_panel(kind, units, max(n_targets // units, 1), seed=0)
    best = float("inf")
    saved = progress.RULES
    try:
        if rules is not None:
            progress.RULES = rules
        for _ in range(repeat):
            t0 = time.perf_counter()
            progress.assess(panel, tg, catalog=cat, rankings=rankings, model="linear")
            best = min(best, time.perf_counter() - t0)
    finally:
        progress.RULES = saved
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--reference", type=int, default=0, help="also time the per-target rules at N targets"
    )
    args = ap.parse_args()
    print(
        f"rules: best of {args.repeat}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"{'targets':>8} {'rule':>11} {'s':>8} {'µs/target':>10} {'level floor µs':>15} {'ratio':>6}"
    )
    per = {}
    for n in args.sizes:
        floor = timed("level", n, args.repeat) / n * 1e6
        for kind in ("cumulative", "rank", "trend"):
            s = timed(kind, n, args.repeat)
            per[kind, n] = s / n * 1e6
            print(
                f"{n:>8,} {kind:>11} {s:>8.2f} {per[kind, n]:>10.1f} {floor:>15.1f} {per[kind, n] / floor:>6.2f}"
            )
    if len(args.sizes) > 1:
        a, b = min(args.sizes), max(args.sizes)
        for kind in ("cumulative", "rank", "trend"):
            print(
                f"{kind}: time per target at {b:,} ÷ at {a:,} = {per[kind, b] / per[kind, a]:.2f} (1 = linear)"
            )
    if args.reference:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests import reference_rules as ref

        old = {"cumulative": ref.cumulative_rule, "rank": ref.rank_rule, "trend": ref.trend_rule}
        for kind, rule in old.items():
            rules = [(t, rule if t == (kind,) else r) for t, r in progress.RULES]
            s = timed(kind, args.reference, 1, rules)
            print(
                f"per-target {kind} at {args.reference:,}: {s:.2f} s ({s / args.reference * 1e6:.0f} µs/target)"
            )


if __name__ == "__main__":
    main()
