"""`qindex extract` on the reliability review's pathological inputs: is the work linear in the text's size?

Each input is one short unit repeated to 10 KB and to 1 MB (the largest plan text read is 2 MB). The figure is
the 1 MB time; its floor is 100 × the 10 KB time measured in the same run (linear growth); the ratio says how
far from linear (1.0: linear). The review measured > 120 s at 1 MB for four of them (at least quadratic).

    .venv/bin/python benchmarks/bench_extract.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from qindex import extract

UNITS = {
    "到2025年": "到2025年",
    "9%": "9%",
    "到2025年达到95%": "到2025年达到95%",
    "《": "《",
    "a target clause": "制造业产品质量合格率达到95%，",
    "digits": "1",
}


def seconds(text: str, folder: Path) -> float:
    f = folder / "plan.txt"
    f.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    extract.draft(f, plan_id="bench-2025", place="CN-ZJ-HZ")
    return time.perf_counter() - started


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print(f"{'input':18s} {'10 KB':>8s} {'1 MB':>9s} {'floor':>9s} {'ratio':>6s}")
    for name, unit in UNITS.items():
        size = len(unit.encode("utf-8"))
        small = seconds(unit * (10_000 // size), folder)
        large = seconds(unit * (1_000_000 // size), folder)
        floor = 100 * small
        print(f"{name:18s} {small:7.3f}s {large:8.2f}s {floor:8.2f}s {large / floor:6.2f}")


if __name__ == "__main__":
    main()
