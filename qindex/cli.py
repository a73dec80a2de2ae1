"""The ``qindex`` command: ``validate``, ``targets``, ``coverage``, ``run``, ``template``, ``office``,
``requests``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from qindex import paths
from qindex.errors import QIndexError

#: Written before CSV on standard output.
BOM = "\ufeff"

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
    from qindex.panel import load_panel
    from qindex.rankings import load_implications, load_rankings

    cat = load_catalog()
    panel = load_panel()
    _log(
        f"catalogue OK: {len(cat.plans)} plans, {len(cat.targets)} targets, "
        f"{len(cat.indicators)} indicators, {len(cat.jurisdictions)} jurisdictions"
    )
    resolved = (panel.resolution != "").sum()
    from qindex.office import office_dir, office_files
    from qindex.precedence import precedence_log

    origins = panel.origin.value_counts()
    _log(
        f"observations OK: {len(panel)} values ("
        + ", ".join(f"{k} {v}" for k, v in origins.items())
        + f"), {panel.indicator_id.nunique()} indicators, "
        f"{panel.jurisdiction_id.nunique()} jurisdictions, {resolved} conflicts resolved "
        f"({len(panel.attrs['set_aside'])} values set aside by rule)"
    )
    office = office_files()
    _log(f"office files in {office_dir()}: {len(office)}")
    log = precedence_log(panel)
    for r in log.itertuples():
        _log(
            f"  {r.jurisdiction_id} {r.indicator_id} {r.year}: {r.kept_value:g} ({r.kept_origin}) "
            f"kept, {r.other_value:g} ({r.other_origin}) set aside: {r.rule}"
        )
    ranks, implications = load_rankings(), load_implications()
    _log(f"rankings OK: {len(ranks)} published ranks; implications OK: {len(implications)} rules")
    from qindex.errors import ObservationError
    from qindex.sources import UNCONFIRMED, check_citations, citations

    problems = check_citations()
    if problems:
        raise ObservationError(problems)
    cited = citations()
    unconfirmed = sum(1 for c in cited.values() if c["source_title"].startswith(UNCONFIRMED))
    reposts = sum(1 for c in cited.values() if c["repost"] == "yes")
    _log(
        f"sources OK: {len(cited)} addresses, each naming its publication ({unconfirmed} "
        f"{UNCONFIRMED}, {reposts} read on a repost)"
    )
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from qindex.catalog import load_catalog
    from qindex.panel import coverage
    from qindex.reports.text import format_table

    table = coverage()
    names = load_catalog().indicators.set_index("indicator_id").name_zh
    table.insert(0, "name_zh", names.reindex(table.index).to_numpy())
    if args.format == "csv":
        sys.stdout.write(BOM)  # Excel on Chinese Windows reads UTF-8 only with it
        table.to_csv(sys.stdout, lineterminator="\n")
    else:
        print(format_table(table.reset_index(), max_width=36))
    return 0


def _targets(args: argparse.Namespace) -> int:
    from qindex.catalog import targets
    from qindex.reports.text import format_table

    frame = targets(args.plan)
    if args.format == "csv":
        sys.stdout.write(BOM)  # Excel on Chinese Windows reads UTF-8 only with it
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    for plan_id, group in frame.groupby("plan_id", sort=False):
        print(f"\n{plan_id}: {len(group)} targets")
        print(format_table(group[TARGET_COLUMNS]))
    return 0


def _run(args: argparse.Namespace) -> int:
    from qindex.runner import params_files

    files = params_files() if args.all else [Path(p) for p in args.params]
    if not files:
        print("error: name one or more params files, or --all", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print("error: --workers is a whole number ≥ 1 (1: one run after another)", file=sys.stderr)
        return 2
    # runs in this process, one after another: their first kernel starts (and imports) now, while the params,
    # the notebooks and the data are checked; nothing runs on it before they are
    here = args.scheduler is None and (args.workers == 1 or len(files) == 1)
    from qindex.runner.pool import KernelPool

    with KernelPool(size=1) if here else contextlib.nullcontext() as pool:
        if pool is not None:
            pool.start()
        return _run_checked(args, files, pool)


def _run_checked(args: argparse.Namespace, files: list[Path], pool) -> int:
    from qindex.runner import ParamsError, RunError, check_committed, load_specs

    specs, invalid = [], []
    for f in files:
        try:
            found = load_specs(f)  # a sweep gives one run per value
        except ParamsError as exc:
            invalid.append(str(exc))
            continue
        for spec in found:
            if args.cell_timeout:
                spec.cell_timeout = args.cell_timeout
            specs.append(spec)
    names = [s.name for s in specs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        invalid.append(f"two params files give the run name '{name}'; each run needs its own name")
    if invalid:
        print("error: " + "\n".join(invalid), file=sys.stderr)
        print("nothing was run.", file=sys.stderr)
        return 2
    for spec in specs:  # a notebook changed since its commit runs as committed: say so, once each
        try:
            warning = check_committed(spec, args.allow_modified).warning
        except RunError:
            continue  # a notebook git does not know: that run fails alone, with its reason
        if warning:
            _log(f"warning: {warning}", err=True)
    from qindex.panel import load_panel

    load_panel()  # a data problem (a conflict no rule settles) stops every run before any kernel starts
    from qindex.runner import gallery
    from qindex.runner.batch import run_batch

    workers = args.workers
    if args.scheduler is None and len(specs) == 1:
        workers = 1  # one run: no cluster to start
    where = (
        f"on the Dask cluster at {args.scheduler}"
        if args.scheduler
        else "one after another"
        if workers == 1
        else f"on a local Dask cluster of {workers or os.cpu_count()} workers"
    )
    _log(f"{len(specs)} run(s) to do, {where}")

    def report(o) -> None:
        if o.ok:
            _log(f"ok {o.name}: {o.html} ({o.seconds:.1f} s)")
        else:
            _log(f"FAILED {o.error}", err=True)

    outcomes = run_batch(
        specs,
        workers=workers,
        scheduler=args.scheduler,
        allow_modified=args.allow_modified,
        log=report,
        progress_bar=False if args.no_progress else None,
        pool=pool if workers == 1 else None,
    )
    index = gallery.write_index() if any(o.ok for o in outcomes) else paths.REPORTS / "index.html"
    failed = [o for o in outcomes if not o.ok]
    _log(
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed; gallery: {paths.relative(index)}"
    )
    for o in failed:  # the summary repeats every failure, so that it is not lost in a long log
        _log(f"  failed {o.name}: {o.error}", err=True)
    if (
        args.share or args.share_zip
    ):  # the shared copy follows what is published, failed runs or not
        from qindex.runner.share import share

        shared = share(to=args.share, zip_file=args.share_zip)
        _log(f"shared {shared.reports} report(s), {shared.versions} version(s): {shared.where}")
    return 1 if failed else 0


def _share(args: argparse.Namespace) -> int:
    from qindex.runner.share import share

    shared = share(
        to=args.to,
        zip_file=args.zip,
        latest_only=args.latest_only,
        with_data=args.with_data,
        with_notebooks=args.with_notebooks,
    )
    print(
        f"{shared.reports} report(s), {shared.versions} version(s), {len(shared.files)} files: "
        f"{shared.where} (open index.html)"
    )
    return 0


def _log(text: str, err: bool = False) -> None:
    """A dated log line (scheduled runs append to one log file), in the reports' time zone (UTC+8)."""
    import datetime as dt

    stamp = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
    print(f"{stamp} {text}", file=sys.stderr if err else sys.stdout, flush=True)


def _template(args: argparse.Namespace) -> int:
    from qindex.scheme import load_scheme
    from qindex.template import parse_years, write_scheme_template, write_template

    if (args.plan_id is None) == (args.scheme is None):
        print(
            "error: give a plan id, or --scheme FILE for a 考核 workbook (one of the two)",
            file=sys.stderr,
        )
        return 2
    years = parse_years(args.years) if args.years else None
    if args.scheme:
        out = write_scheme_template(load_scheme(args.scheme), years=years, path=args.output)
        print(f"考核 workbook written: {out}")
        print(
            f"fill it, then: qindex office check FILE --scheme {args.scheme}; qindex office add FILE --scheme {args.scheme}"
        )
        return 0
    out = write_template(args.plan_id, years=years, path=args.output)
    print(f"template written: {out}")
    print("fill it, then: qindex office check FILE; qindex office add FILE")
    return 0


def _check_kaohe(files, scheme_file: str) -> list[str]:
    """Check 考核 workbooks against their scheme; one line per file of what was read."""
    from qindex.errors import ObservationError, Problem
    from qindex.scheme import load_scheme, read_scores

    scheme = load_scheme(scheme_file)
    lines, problems = [], []
    for f in files:
        try:
            d = read_scores(f, scheme)
        except ObservationError as exc:
            problems += exc.problems
            continue
        if d.empty:  # "OK" for a file nothing could be read from would hide a silent loss
            problems.append(
                Problem(
                    str(f), None, None, "no value", "values in the 考核数据 sheet: none was found"
                )
            )
            continue
        silent = sorted(set(scheme.unit_ids) - set(d[d.year == scheme.year].unit_id))
        if silent:
            lines.append(
                f"note: no {scheme.year} value for {', '.join(silent)}: every item of theirs scores 0 (未报送)"
            )
        years = "、".join(str(y) for y in sorted(d.year.unique()))
        lines.append(
            f"{f}: {len(d)} values for {d.unit_id.nunique()} of {len(scheme.units)} units, "
            f"{d.column.nunique()} of {len(scheme.columns)} columns, years {years or '—'}"
        )
    if problems:
        raise ObservationError(problems)
    return lines


def _office(args: argparse.Namespace) -> int:
    from qindex import office

    if args.scheme:  # 考核 workbooks: checked against their scheme, kept in data/raw/office/kaohe/
        if args.action == "check":
            for line in _check_kaohe(args.files, args.scheme):
                print(line)
            print(
                f"OK: {len(args.files)} file(s) can be added (qindex office add ... --scheme {args.scheme})"
            )
            return 0
        done = office.add(
            args.files,
            replace=args.replace,
            checker=lambda files: _check_kaohe(files, args.scheme),
            folder=office.office_dir() / office.KAOHE,
        )
        for p in done:
            print(f"added {p}")
        return 0
    if args.action == "check":
        result = office.check(args.files, jurisdiction=args.place)
        for line in result.summary():
            print(line)
        print(f"OK: {len(args.files)} file(s) can be added (qindex office add ...)")
        return 0
    done = office.add(args.files, jurisdiction=args.place, replace=args.replace)
    for p in done:
        print(f"added {p}")
    return 0


def _requests(args: argparse.Namespace) -> int:
    from qindex.reports.requests import write_requests

    out = write_requests(args.plan_id, path=args.output, as_of=args.as_of or None)
    print(f"data-request list written: {out}")
    return 0


def _extract(args: argparse.Namespace) -> int:
    from qindex import extract

    if args.check:
        if args.text:
            raise extract.ExtractError(
                "give either a plan text to draft or --check DRAFT, not both"
            )
        n = extract.check_draft(args.check)
        print(f"{args.check}: {n} rows pass the catalogue's checks")
        return 0
    if not (args.text and args.plan_id and (args.place or args.new_place)):
        raise extract.ExtractError(
            "qindex extract PLAN.txt --plan-id ID --place PLACE is needed "
            "(a place not in jurisdictions.csv yet: --new-place NAME --parent ID)"
        )
    parts = extract.draft(
        args.text,
        plan_id=args.plan_id,
        place=args.place,
        base_year=args.base_year,
        new_place=args.new_place,
        parent=args.parent,
    )
    out = (
        Path(args.output)
        if args.output
        else paths.DATA_PROCESSED / "drafts" / f"{args.plan_id}.csv"
    )
    written = extract.write_draft(parts, out)
    targets, new, skipped = parts.targets, parts.indicators, parts.skipped
    doubtful = int((targets.confidence.astype(float) < 0.6).sum())
    kinds = ", ".join(f"{k} {v}" for k, v in targets.target_type.value_counts().items())
    print(f"{out}: {len(targets)} draft targets ({kinds}); {doubtful} with confidence < 0.6")
    print(f"{written[1]}: {len(new)} proposed new indicators")
    print(f"{written[2]}: the plan row")
    print(f"{written[3]}: {len(skipped)} figures read as not targets, with the reason")
    if len(parts.jurisdictions):
        print(f"{written[4]}: the new place, to add to jurisdictions.csv with the draft")
    print(f"review, then: qindex extract --check {out}")
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
    p = sub.add_parser(
        "coverage", help="years covered by the shipped observations, per indicator and place"
    )
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.set_defaults(func=_coverage)
    p = sub.add_parser("run", help="run notebooks from params files and render HTML reports")
    p.add_argument("params", nargs="*", help="params/*.yaml files")
    p.add_argument("--all", action="store_true", help="every params file in params/")
    p.add_argument(
        "--cell-timeout",
        type=int,
        default=0,
        help="seconds per cell (default: the params file's, or 600)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--workers",
        type=int,
        help="Dask workers of the local cluster (default: one per core; 1: one run after another, no cluster)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need the project; see README)",
    )
    p.add_argument(
        "--allow-modified",
        action="store_true",
        help="run notebooks with uncommitted changes (refused otherwise; recorded in the report and run.json)",
    )
    share_to = p.add_mutually_exclusive_group()
    share_to.add_argument(
        "--share",
        metavar="DIR",
        help="then write the shared set of reports to DIR (as `qindex share --to DIR`)",
    )
    share_to.add_argument(
        "--share-zip",
        metavar="FILE",
        help="then write the shared set as a zip (`qindex share --zip`)",
    )
    p.set_defaults(func=_run)
    p = sub.add_parser(
        "share",
        help="copy the published reports as plain files to share (a folder or a zip; no links, no dot-folders)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--to", metavar="DIR", help="the folder (default data/processed/share)")
    where.add_argument("--zip", metavar="FILE", help="a zip file instead of a folder")
    p.add_argument(
        "--latest-only", action="store_true", help="the current version of each report only"
    )
    p.add_argument(
        "--with-data",
        action="store_true",
        help="add the result tables (CSV, UTF-8 with BOM) and run.json",
    )
    p.add_argument(
        "--with-notebooks", action="store_true", help="add the executed notebooks (.ipynb)"
    )
    p.set_defaults(func=_share)
    p = sub.add_parser("template", help="write the XLSX the office fills for a plan (数据填报表)")
    p.add_argument("plan_id", nargs="?", help="plan id, e.g. gongshu-2025 (see qindex targets)")
    p.add_argument(
        "--scheme",
        help="a 考核 scheme (YAML): write its workbook instead, a row per unit and a column per item and year",
    )
    p.add_argument(
        "--years",
        help="years as columns, e.g. 2019-2025 (default: base to target year; for --scheme its year and the one before)",
    )
    p.add_argument("-o", "--output", help="file (default data/processed/templates/<plan_id>.xlsx)")
    p.set_defaults(func=_template)
    p = sub.add_parser("office", help="check office files, or add them to data/raw/office/")
    p.add_argument("action", choices=("check", "add"))
    p.add_argument("files", nargs="+", help="XLSX or CSV files")
    p.add_argument("--place", help="the place of a table with no 地区 column or cell (id or name)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="add only: replace a file of the same name (the old one is kept in .history/, the change logged)",
    )
    p.add_argument(
        "--scheme",
        help="the files are 考核 workbooks of this scheme (YAML): checked against it, added to data/raw/office/kaohe/",
    )
    p.set_defaults(func=_office)
    p = sub.add_parser(
        "requests", help="write the data-request list of a plan (数据需求清单, XLSX)"
    )
    p.add_argument("plan_id")
    p.add_argument("-o", "--output", help="file (default data/processed/requests/<plan_id>.xlsx)")
    p.add_argument("--as-of", type=int, default=0, help="year of the assessment (default: latest)")
    p.set_defaults(func=_requests)
    p = sub.add_parser(
        "extract",
        help="draft a plan's target rows from its text (targets.csv columns, confidence, why), or --check a draft",
    )
    p.add_argument("text", nargs="?", help="the plan text, UTF-8 or GB18030")
    p.add_argument("--plan-id", help="id for the plan, e.g. zhejiang-2025")
    p.add_argument(
        "--place", help="the plan's place: a jurisdiction id or name (see jurisdictions.csv)"
    )
    p.add_argument(
        "--new-place",
        metavar="NAME",
        help="a place not yet in jurisdictions.csv (its Chinese name); give --parent too",
    )
    p.add_argument("--parent", metavar="ID", help="with --new-place: the id of the place above it")
    p.add_argument(
        "--base-year", type=int, help="the year before the plan period (default: plans.csv)"
    )
    p.add_argument(
        "-o", "--output", help="draft file (default data/processed/drafts/<plan_id>.csv)"
    )
    p.add_argument(
        "--check", metavar="DRAFT", help="run the catalogue's checks on a reviewed draft"
    )
    p.set_defaults(func=_extract)
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
