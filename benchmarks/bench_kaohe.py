"""Benchmark: the 考核 robustness study on the shipped 13-unit example, against its floor (run on demand).

    python benchmarks/bench_kaohe.py [--replications 1000 10000] [--rounds 3]

The study (:func:`qindex.scorecard.robustness`) draws weights and scoring rules, runs the composite engine on
every replication, ranks the totals and grades them. The floor is the engine alone: the same replications'
scores from :meth:`Engine.scores_many`, without ranking or grading. Best of ``--rounds``; the load average is
printed first.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from qindex.composite.sensitivity.engine import BLOCK, Engine, choice
from qindex.scheme import load_scheme, read_scores
from qindex.scorecard import composite_inputs, robustness, scheme_study, score
from qindex.synthetic import KAOHE_SCHEME, KAOHE_WORKBOOK


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    scheme = load_scheme(KAOHE_SCHEME)
    card = score(scheme, read_scores(KAOHE_WORKBOOK, scheme))
    data, fw = composite_inputs(card)
    study = scheme_study(card)
    for n in args.replications:
        full, floor = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            r = robustness(card, replications=n)
            full.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            eng = Engine(data, fw, study)
            u = np.random.default_rng(study.seed).random((n, len(study.assumptions)))
            choices = [choice(study, row) for row in u]
            for k in range(0, n, BLOCK):
                eng.scores_many(choices[k : k + BLOCK])
            floor.append(time.perf_counter() - t0)
        print(
            f"{n:>6} replications, {len(r.table)} units: {min(full):.2f} s "
            f"({1000 * min(full) / n:.3f} ms each); engine alone {min(floor):.2f} s "
            f"({min(full) / min(floor):.2f}x the floor)"
        )


if __name__ == "__main__":
    main()
