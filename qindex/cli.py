"""The ``qindex`` command: ``validate``, ``targets``."""

from __future__ import annotations

import argparse
import sys

from qindex.errors import QIndexError

TARGET_COLUMNS = [
    "target_id",
    "name_zh",
    "target_type",
    "comparator",
    "target_value",
    "unit",
    "target_year",
    "scope",
]


def _validate(args: argparse.Namespace) -> int:
    from qindex.catalog import load_catalog

    cat = load_catalog()
    print(
        f"catalogue OK: {len(cat.plans)} plans, {len(cat.targets)} targets, "
        f"{len(cat.indicators)} indicators, {len(cat.jurisdictions)} jurisdictions"
    )
    return 0


def _targets(args: argparse.Namespace) -> int:
    from qindex.catalog import targets
    from qindex.report import format_table

    frame = targets(args.plan)
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    for plan_id, group in frame.groupby("plan_id", sort=False):
        print(f"\n{plan_id}: {len(group)} targets")
        print(format_table(group[TARGET_COLUMNS]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qindex", description="Quality-strong-city plan targets, progress and indices."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check every file under data/raw/ (exit 1 on problems)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("targets", help="print the target catalogue")
    p.add_argument("--plan", help="only this plan id, e.g. gongshu-2025")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.set_defaults(func=_targets)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QIndexError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `qindex targets | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
