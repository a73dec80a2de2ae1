"""Run parameterised notebooks: validate the params file, execute with papermill, render HTML, record
provenance; a failed run keeps its notebook for debugging and leaves no partial results.

A params file (``params/<run>.yaml``)::

    notebook: plan_progress.ipynb        # in notebooks/
    title: 杭州市质量提升行动(2018–2022)目标进展
    cell_timeout: 600                    # seconds per cell (optional)
    parameters:
      plan_id: hangzhou-2022
      as_of: 0

Outputs of run ``<run>``: ``reports/<run>/<notebook>.ipynb`` and ``.html``; ``data/processed/<run>/*.csv``
and ``run.json``. Both paths are links to the published version (:mod:`qindex.publish`): report and data
are published together by one rename, and earlier versions stay in ``reports/.runs/<run>/``. Parameters are read with every scalar as text and converted by the type annotated in the
notebook's parameters cell, so the YAML 1.1 traps (``010`` read as octal 8, ``yes`` as true, ``1e-3`` as a
string) cannot slip through.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import html as htmllib
import itertools
import json
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import yaml

from qindex import gallery as _gallery
from qindex import paths, publish
from qindex.catalog import load_catalog
from qindex.checks import closest
from qindex.errors import Problem, QIndexError, ValidationError
from qindex.office import office_files
from qindex.trend import MODELS

TOP_KEYS = {"notebook", "title", "parameters", "cell_timeout", "framework", "study"}
#: Report editions: the ``language`` parameter.
LANGUAGES = {"zh": "zh-CN", "en": "en"}
#: Parameters the runner sets itself.
RESERVED = {"output_dir"}
DEFAULT_CELL_TIMEOUT = 600
PACKAGES = (
    "qindex",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
)


class ParamsError(ValidationError):
    """A params file is invalid; nothing was executed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the run parameters")


class RunError(QIndexError):
    """A notebook failed while running."""


@dataclass
class RunSpec:
    """A validated params file."""

    name: str
    params_file: Path
    notebook: Path
    title: str
    parameters: dict
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    declared: dict = field(default_factory=dict)

    @property
    def effective(self) -> dict:
        """Every parameter the notebook runs with: its declared defaults, then the params file's values
        (``output_dir`` left out: the runner sets it)."""
        out = {}
        for key, info in self.declared.items():
            if key in RESERVED:
                continue
            try:
                out[key] = ast.literal_eval(str(info.get("default")))
            except (ValueError, SyntaxError):
                out[key] = info.get("default")
        return {**out, **self.parameters}

    @property
    def language(self) -> str:
        """The edition: ``zh`` (default) or ``en`` (the ``language`` parameter of notebooks that have one)."""
        return str(self.effective.get("language", "zh"))


# ---------------------------------------------------------------- validation


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters cell of ``notebook``: ``{name: {inferred_type_name, default, help}}``."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


class _ParamsLoader(yaml.BaseLoader):
    """YAML as text (every scalar a string), without aliases and without a key given twice.

    Aliases are refused because a few hundred bytes of nested aliases expand to gigabytes ("billion laughs");
    a repeated key is refused because YAML keeps the last one silently.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None, None, "no aliases (*name) in a params file", self.peek_event().start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"each key once ({', '.join(twice)} given twice)", node.start_mark
            )
        return super().construct_mapping(node, deep)


#: Problems listed at most for one params file.
MAX_PROBLEMS = 50
#: Kernel starts tried before a run fails (a port clash between kernels starting at once kills a start).
KERNEL_START_TRIES = 3
#: Failed notebooks are kept in reports/_failed/<run>/ (a run name cannot start with "_").
FAILED = "_failed"
#: What a run name may be: it names folders under reports/ and data/processed/.
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def load_specs(path: Path | str) -> list[RunSpec]:
    """Read and validate a params file against its notebook's parameters cell (no kernel is started): one
    run, or one per combination when parameters are given as lists (a sweep, e.g.
    ``jurisdiction_id: [CN-ZJ-HZ, CN-SC-CD]``), each named ``<file>-<value>``.

    Raises
    ------
    ParamsError
        listing every problem: unknown keys (with the closest name), wrong types, YAML 1.1 traps, ids that are
        not in the catalogue, values outside their range.
    """
    path = Path(path)
    label = paths.relative(path)
    problems: list[Problem] = []
    # the run name becomes a folder under reports/ and data/processed/: refuse anything but a plain name
    # before reading a byte ("..yaml" once made the run name "." and moved data/processed/ away)
    if not RUN_NAME.fullmatch(path.stem) or path.suffix.lower() not in (".yaml", ".yml"):
        raise ParamsError(
            [
                Problem(
                    label,
                    None,
                    "file name",
                    path.name,
                    "a name of letters, digits, '-' and '_' (starting with a letter or digit) ending in .yaml",
                )
            ]
        )

    def bad(key, value, expected):
        problems.append(Problem(label, None, key, value, expected))

    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_ParamsLoader)
    except FileNotFoundError:
        raise ParamsError([Problem(label, None, None, None, "an existing params file")]) from None
    except UnicodeDecodeError as exc:
        raise ParamsError(
            [Problem(label, None, None, None, f"UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:  # a folder, an unreadable file
        raise ParamsError(
            [Problem(label, None, None, None, f"a readable params file ({exc.strerror or exc})")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ParamsError(
            [Problem(label, line, None, None, f"valid YAML ({getattr(exc, 'problem', exc)})")]
        ) from None
    if isinstance(raw, dict) and not isinstance(raw.get("title", ""), str):
        raise ParamsError([Problem(label, None, "title", "(not text)", "a line of text")])
    if not isinstance(raw, dict):
        raise ParamsError(
            [
                Problem(
                    label,
                    None,
                    None,
                    type(raw).__name__,
                    "a mapping with keys notebook, title, parameters",
                )
            ]
        )
    for key in raw:
        if key not in TOP_KEYS:
            bad(key, key, f"one of {sorted(TOP_KEYS)}{closest(key, TOP_KEYS)}")
    nb_name = raw.get("notebook")
    notebook = paths.NOTEBOOKS / str(nb_name) if nb_name else None
    if not nb_name:
        bad("notebook", "", "the notebook to run, e.g. plan_progress.ipynb")
    elif notebook.resolve().parent != paths.NOTEBOOKS.resolve():
        bad("notebook", nb_name, "a notebook file directly in notebooks/ (no path)")
        notebook = None
    elif not notebook.is_file():
        bad(
            "notebook",
            nb_name,
            f"a notebook in notebooks/{closest(nb_name, [p.name for p in paths.NOTEBOOKS.glob('*.ipynb')])}",
        )
    timeout = DEFAULT_CELL_TIMEOUT
    if "cell_timeout" in raw:
        timeout = _convert("int", raw["cell_timeout"])
        if not isinstance(timeout, int) or timeout <= 0:
            bad("cell_timeout", raw["cell_timeout"], "a whole number of seconds > 0")
            timeout = DEFAULT_CELL_TIMEOUT
    given = raw.get("parameters") or {}
    if not isinstance(given, dict):
        bad("parameters", given, "a mapping of parameter names to values")
        given = {}
    params: dict = {}
    sweeps: dict[str, list] = {}
    declared: dict = {}
    if notebook is not None and notebook.is_file():
        declared = notebook_parameters(notebook)
        for key, text in given.items():
            if key in RESERVED:
                bad(f"parameters.{key}", text, "no value: the runner sets it")
            elif key not in declared:
                bad(
                    f"parameters.{key}",
                    key,
                    f"a parameter of {nb_name}: {sorted(set(declared) - RESERVED)}{closest(key, declared)}",
                )
            elif isinstance(text, list):  # a sweep: one run per value
                kind = declared[key]["inferred_type_name"]
                values = [_convert(kind, t) for t in text]
                wrong = [t for t, v in zip(text, values, strict=True) if isinstance(v, _Invalid)]
                if not text:
                    bad(f"parameters.{key}", "[]", "at least one value in a list (a sweep)")
                elif wrong:
                    bad(f"parameters.{key}", wrong[0], values[text.index(wrong[0])].expected)
                elif len(set(values)) < len(values):
                    bad(f"parameters.{key}", text, "each value of a sweep once")
                else:
                    sweeps[key] = values
            else:
                kind = declared[key]["inferred_type_name"]
                value = _convert(kind, text)
                if isinstance(value, _Invalid):
                    bad(f"parameters.{key}", text, value.expected)
                else:
                    params[key] = value
        combos = [dict(zip(sweeps, c, strict=True)) for c in itertools.product(*sweeps.values())]
        seen: set[str] = set()
        for combo in combos or [{}]:
            found: list[Problem] = []
            _check_domain({**params, **combo}, label, found)
            for p in found:  # a bad value in a sweep is named once, not once per combination
                if str(p) not in seen:
                    seen.add(str(p))
                    problems.append(p)
    if len(problems) > MAX_PROBLEMS:  # 100,000 unknown keys made a 16 MB message
        more = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem(label, None, None, None, f"… and {more} more problems"),
        ]
    title = str(raw.get("title") or path.stem)
    specs = []
    if not problems:
        for combo in combos or [{}]:
            name = "-".join([path.stem, *(_slug(v) for v in combo.values())])
            specs.append(
                RunSpec(
                    name,
                    path,
                    notebook,
                    _sweep_title(title, {**params, **combo}, combo, label, problems),
                    {**params, **combo},
                    timeout,
                    declared,
                )
            )
        names = [s.name for s in specs]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            bad("parameters", ", ".join(clash), "sweep values that give distinct run names")
    if problems:
        unique = list({str(p): p for p in problems}.values())  # a bad title once, not once per run
        raise ParamsError(unique[: MAX_PROBLEMS + 1])
    return specs


def load_spec(path: Path | str) -> RunSpec:
    """Read and validate a params file of one run (see :func:`load_specs` for files that sweep).

    Raises
    ------
    ParamsError
        as :func:`load_specs`; also when the file sweeps a parameter over several values (several runs).
    """
    specs = load_specs(path)
    if len(specs) > 1:
        raise ParamsError(
            [
                Problem(
                    paths.relative(path),
                    None,
                    "parameters",
                    f"{len(specs)} runs",
                    "one run (this file sweeps a parameter over a list: read it with load_specs)",
                )
            ]
        )
    return specs[0]


def _slug(value) -> str:
    """A sweep value as part of a run name (letters, digits, '-', '_')."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(value)).strip("_") or "x"


def _sweep_title(title: str, params: dict, combo: dict, label: str, problems: list) -> str:
    """The title of one run of a sweep: ``{key}`` placeholders filled (``{place}``: the Chinese name of the
    run's place, from ``jurisdiction_id`` or the plan's place); a swept value the title does not name is
    added at its end, so that no two reports of a sweep carry the same title."""
    if not combo and "{" not in title:
        return title
    cat = load_catalog()
    names = cat.jurisdictions.set_index("jurisdiction_id").name_zh
    plan_place = cat.plans.set_index("plan_id").jurisdiction_id
    place_id = params.get("jurisdiction_id") or plan_place.get(params.get("plan_id"), None)
    fields = {k: str(v) for k, v in params.items()}
    fields["place"] = str(names.get(place_id, place_id or ""))
    try:
        out = title.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        problems.append(
            Problem(
                label,
                None,
                "title",
                title,
                f"placeholders among {{place}} and the parameters {sorted(params)} ({exc!r} is not one)",
            )
        )
        return title
    missing = []
    for key, value in combo.items():
        if "{" + key + "}" in title or (
            key in ("jurisdiction_id", "plan_id") and "{place}" in title
        ):
            continue
        missing.append(fields["place"] if key in ("jurisdiction_id", "plan_id") else str(value))
    return f"{out}({'、'.join(missing)})" if missing else out


class _Invalid:
    def __init__(self, expected: str):
        self.expected = expected


def _convert(kind: str, text):
    """Convert YAML text to the annotated type, refusing what YAML 1.1 would have misread."""
    if isinstance(text, list | dict):
        return _Invalid(f"a single {kind} value")
    s = str(text).strip()
    if kind == "int":
        if re.fullmatch(r"-?(0|[1-9][0-9]*)", s):
            return int(s)
        if re.fullmatch(r"-?0[0-9]+", s):
            return _Invalid(
                f"a whole number without leading zeros (YAML 1.1 would read {s} as octal {int(s, 8)})"
            )
        return _Invalid("a whole number")
    if kind == "float":
        try:
            return float(s)
        except ValueError:
            return _Invalid("a number, e.g. 0.95 or 1e-3")
    if kind == "bool":
        if s.lower() in ("true", "false"):
            return s.lower() == "true"
        return _Invalid("true or false (yes/no/on/off are YAML 1.1 spellings and ambiguous)")
    if kind == "str":
        return s
    return _Invalid(
        f"a value of a type the runner knows (the notebook says {kind!r}; annotate it as str, int, float or bool)"
    )


def _check_domain(params: dict, label: str, problems: list[Problem]) -> None:

    cat = load_catalog()
    plans = set(cat.plans.plan_id)
    places = set(cat.jurisdictions.jurisdiction_id)
    if "plan_id" in params and params["plan_id"] not in plans:
        problems.append(
            Problem(
                label,
                None,
                "parameters.plan_id",
                params["plan_id"],
                f"a plan id from plans.csv{closest(params['plan_id'], plans)}",
            )
        )
    if "jurisdiction_id" in params and params["jurisdiction_id"] not in places:
        problems.append(
            Problem(
                label,
                None,
                "parameters.jurisdiction_id",
                params["jurisdiction_id"],
                f"an id from jurisdictions.csv{closest(params['jurisdiction_id'], places)}",
            )
        )
    if "language" in params and params["language"] not in LANGUAGES:
        problems.append(
            Problem(
                label,
                None,
                "parameters.language",
                params["language"],
                f"one of {list(LANGUAGES)} (zh: 中文版, the default; en: English edition)",
            )
        )
    if "model" in params and params["model"] not in MODELS:
        problems.append(
            Problem(label, None, "parameters.model", params["model"], f"one of {list(MODELS)}")
        )
    if "level" in params and not 0 < params["level"] < 1:
        problems.append(
            Problem(
                label,
                None,
                "parameters.level",
                params["level"],
                "a coverage between 0 and 1, e.g. 0.95",
            )
        )
    for key in ("as_of", "year"):
        if key in params and params[key] != 0 and not 1949 <= params[key] <= 2100:
            problems.append(
                Problem(
                    label,
                    None,
                    f"parameters.{key}",
                    params[key],
                    "a year between 1949 and 2100, or 0 for the latest",
                )
            )
    for key in ("replications", "sa_n"):
        if key in params and params[key] < 1:
            problems.append(
                Problem(label, None, f"parameters.{key}", params[key], "a whole number ≥ 1")
            )
    if "units" in params:
        for unit in filter(None, (u.strip() for u in params["units"].split(","))):
            if unit not in places:
                problems.append(
                    Problem(
                        label,
                        None,
                        "parameters.units",
                        unit,
                        f"ids from jurisdictions.csv, comma-separated{closest(unit, places)}",
                    )
                )
    if params.get("framework_file"):
        framework = (paths.ROOT / params["framework_file"]).resolve()
        if paths.ROOT.resolve() not in framework.parents or not framework.is_file():
            problems.append(
                Problem(
                    label,
                    None,
                    "parameters.framework_file",
                    params["framework_file"],
                    "a framework YAML file inside the project, e.g. params/quality_index.yaml",
                )
            )


# ---------------------------------------------------------------- execution


@dataclass
class RunResult:
    name: str
    html: Path
    notebook: Path
    processed: Path
    seconds: float


def run(
    spec: RunSpec,
    progress_bar: bool | None = None,
    kernel: str | None = None,
    allow_modified: bool = False,
    gallery: bool = True,
) -> RunResult:
    """Execute one validated run; see the module docstring for what is written where.

    Raises
    ------
    RunError
        naming the notebook, the failing cell and the error; the executed notebook is kept under
        ``reports/_failed/<run>/`` and the published report and data are left as they were. Also raised,
        before anything runs, when the notebook has uncommitted changes and ``allow_modified`` is false: a
        scheduled run executes the notebook as committed.

    The run writes into a new version folder and publishes report and data together in one step
    (:mod:`qindex.publish`); runs of the same name wait for each other. The gallery ``reports/index.html``
    is rewritten after the run is published, unless ``gallery`` is false (a batch writes it once at its end).
    """
    import papermill

    state = check_committed(spec, allow_modified)
    started = dt.datetime.now(dt.UTC)
    with publish.run_lock(spec.name):
        publish.recover(spec.name)
        try:
            run_id, folder = publish.new_version(spec.name)
        except OSError as exc:  # a read-only or full disk: nothing was started
            raise RunError(
                f"run {spec.name}: cannot create its folder under {paths.relative(paths.REPORTS)} "
                f"({exc.strerror or exc}); the published results were not changed."
            ) from None
        try:
            result = _execute(spec, folder, run_id, started, progress_bar, kernel, papermill, state)
        except BaseException:
            # nothing of this run is published: remove it whole (Ctrl-C and SIGTERM included)
            shutil.rmtree(folder, ignore_errors=True)
            raise
    if gallery:
        _gallery.write_index()
    return result


#: What :func:`notebook_state` may say about the notebook a run executes.
NOTEBOOK_STATES = {
    "committed": "与版本库中已提交的版本一致",
    "modified": "有未提交的修改(以 --allow-modified 运行)",
    "untracked": "未纳入版本库(以 --allow-modified 运行)",
    "unknown": "无法确认(不在 git 版本库中)",
}


def notebook_state(notebook: Path) -> str:
    """``committed``, ``modified`` (uncommitted changes), ``untracked`` or ``unknown`` (no git checkout)."""
    folder, name = Path(notebook).resolve().parent, Path(notebook).name
    status = _git("status", "--porcelain", "--", name, cwd=folder)
    if status is None:
        return "unknown"
    if status:
        return "untracked" if status.startswith("??") else "modified"
    tracked = _git("ls-files", "--error-unmatch", "--", name, cwd=folder)
    return "committed" if tracked is not None else "unknown"  # an ignored file: unknown


def check_committed(spec: RunSpec, allow_modified: bool = False) -> str:
    """The notebook's state; a :class:`RunError` when it has uncommitted changes and that is not allowed."""
    state = notebook_state(spec.notebook)
    if state in ("modified", "untracked") and not allow_modified:
        what = "has uncommitted changes" if state == "modified" else "is not committed"
        raise RunError(
            f"run {spec.name}: {paths.relative(spec.notebook)} {what} (git status). A run executes the "
            "notebook as committed, so that a change saved in JupyterLab cannot silently change the "
            f"scheduled reports. Commit the change, or drop it with `git checkout -- {paths.relative(spec.notebook)}`, "
            "or run with --allow-modified (recorded in the report's 附录 and in run.json). Nothing was run."
        )
    return state


def _execute(spec, folder, run_id, started, progress_bar, kernel, papermill, state) -> RunResult:
    from papermill.exceptions import PapermillExecutionError

    report_dir, data_dir = folder / "report", folder / "data"
    executed = report_dir / f".{spec.name}.running.ipynb"
    parameters = {**spec.parameters, "output_dir": str(data_dir)}
    clock = time.perf_counter()
    try:
        for attempt in range(1, KERNEL_START_TRIES + 1):
            try:
                papermill.execute_notebook(
                    str(spec.notebook),
                    str(executed),
                    parameters=parameters,
                    kernel_name=kernel or _kernel_name(),
                    cwd=str(paths.NOTEBOOKS),
                    progress_bar=sys.stderr.isatty() if progress_bar is None else progress_bar,
                    execution_timeout=spec.cell_timeout,
                    log_output=False,
                    # the kernel's own start-up warnings (e.g. "running over TCP without encryption", a
                    # loopback-only kernel) stay out of the log of scheduled runs; errors still show
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
                break
            except PapermillExecutionError:
                raise
            except Exception:
                # Two kernels starting at once on a busy machine can pick the same port ("Address already
                # in use") and die before running a cell: start again. A kernel that ran a cell is not retried.
                if attempt == KERNEL_START_TRIES or _cells_started(executed):
                    raise
                time.sleep(attempt)
    except PapermillExecutionError as exc:
        kept = _keep_failed(executed, spec)
        cell = _failed_cell_number(kept)
        raise RunError(
            f"run {spec.name} failed: notebook {spec.notebook.name}, cell {cell}: {exc.ename}: {exc.evalue}. "
            f"The failed notebook is kept at {paths.relative(kept)}; the published results were not changed."
        ) from None
    except Exception as exc:  # kernel died, timeout, missing kernel: same guarantees
        kept = _keep_failed(executed, spec) if executed.exists() else None
        where = f" The notebook so far is kept at {paths.relative(kept)}." if kept else ""
        cell = f", cell {_failed_cell_number(kept)}" if kept else ""
        raise RunError(
            f"run {spec.name} failed: notebook {spec.notebook.name}{cell}: {type(exc).__name__}: {exc}.{where}"
            " The published results were not changed."
        ) from None

    import nbformat

    try:
        executing = time.perf_counter() - clock
        nb = nbformat.read(executed, as_version=4)
        finished = dt.datetime.now(dt.UTC)
        outputs = sorted(p.name for p in data_dir.iterdir())
        clock = time.perf_counter()
        record = provenance(spec, started, finished, outputs=outputs, run_id=run_id, state=state)
        recording = time.perf_counter() - clock
        nb.cells.append(_record_cell(spec, record))
        nbformat.write(nb, str(report_dir / f"{spec.name}.ipynb"))
        clock = time.perf_counter()
        page = render_html(nb, spec.title, spec.language)
        rendering = time.perf_counter() - clock
        _check_offline(page, spec.name)
        (report_dir / f"{spec.name}.html").write_text(page, encoding="utf-8")
        executed.unlink()
        record["timings_s"] = _timings(nb, executing, recording, rendering)
        (data_dir / "run.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        publish.publish(spec.name, folder)
    except OSError as exc:  # a full disk, a read-only folder: nothing was published
        raise RunError(
            f"run {spec.name}: the results could not be written ({exc}); the published results were not changed."
        ) from None
    shutil.rmtree(paths.REPORTS / FAILED / spec.name, ignore_errors=True)
    return RunResult(
        spec.name,
        paths.REPORTS / spec.name / f"{spec.name}.html",
        paths.REPORTS / spec.name / f"{spec.name}.ipynb",
        paths.DATA_PROCESSED / spec.name,
        (finished - started).total_seconds(),
    )


def _timings(nb, executing: float, recording: float, rendering: float) -> dict:
    """Where a run's time went, in seconds: papermill in all; within it the kernel's cells (the first code
    cell, which imports the libraries, apart) and the rest (kernel start and papermill's own work); the run
    record (hashing the inputs) and the HTML export."""
    durations = [
        (
            float(c.metadata.get("papermill", {}).get("duration") or 0.0),
            bool({"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))),
        )
        for c in nb.cells
        if c.cell_type == "code"
    ]
    cells = sum(d for d, _ in durations)
    first = next((d for d, params in durations if not params), 0.0)
    return {
        "papermill": round(executing, 3),
        "first_cell": round(first, 3),
        "other_cells": round(cells - first, 3),
        "kernel_start_and_papermill": round(executing - cells, 3),
        "run_record": round(recording, 3),
        "html_export": round(rendering, 3),
    }


def _kernel_name() -> str:
    from jupyter_client.kernelspec import find_kernel_specs

    return "qindex" if "qindex" in find_kernel_specs() else "python3"


def _cells_started(executed: Path) -> bool:
    """Whether the kernel ran any cell of the notebook papermill was writing."""
    if not executed.exists():
        return False
    try:
        cells = json.loads(executed.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return False
    return any(c.get("metadata", {}).get("papermill", {}).get("start_time") for c in cells)


def _keep_failed(executed: Path, spec: RunSpec) -> Path:
    failed = paths.REPORTS / FAILED / spec.name
    failed.mkdir(parents=True, exist_ok=True)
    kept = failed / spec.notebook.name
    shutil.copyfile(executed, kept)
    return kept


def _failed_cell_number(notebook: Path) -> str:
    """The 1-based position of the failing code cell among the notebook's cells, as papermill marks it."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{i} (In [{cell.get('execution_count')}])"
    # a kernel that died or a cell past its timeout leaves no error output: the cell is the last one started
    started = [
        i
        for i, cell in enumerate(nb.cells, start=1)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return str(started[-1]) if started else "unknown"


#: Headings and labels of the run record (附录), per edition.
RECORD_TEXT = {
    "zh": {
        "heading": "附录 运行信息",
        "lead": "本报告由 qindex 按下列参数从下列数据自动生成;以下信息供核查和复现,阅读报告无需查看。",
        "summary": "展开运行记录(运行编号、参数、数据文件及其 SHA-256 校验值、软件版本)",
        "run": "运行",
        "run_id": "运行编号",
        "time": "运行时间",
        "notebook": "笔记本",
        "state": "笔记本状态",
        "commit": "代码版本(git)",
        "params": "参数(含默认值)",
        "param": "参数",
        "value": "取值",
        "from": "来自",
        "help": "说明",
        "given": "参数文件",
        "default": "默认值",
        "files": "输入文件",
        "file": "文件",
        "office": "其中内部数据文件",
        "versions": "软件版本",
        "package": "软件包",
        "version": "版本",
        "none": "无",
        "lock": "软件环境",
        "lock_ok": "与锁定文件 {file} 一致(SHA-256 {hash}…)",
        "lock_off": "与锁定文件 {file}(SHA-256 {hash}…)有 {n} 个软件包版本不同:{which}",
    },
    "en": {
        "heading": "Appendix: run record",
        "lead": "qindex generated this report from the data and parameters below; the record is for checking "
        "and reproducing the report, not needed to read it.",
        "summary": "Show the run record (run id, parameters, data files with SHA-256, software versions)",
        "run": "Run",
        "run_id": "Run id",
        "time": "Run time",
        "notebook": "Notebook",
        "state": "Notebook state",
        "commit": "Code version (git)",
        "params": "Parameters (defaults included)",
        "param": "Parameter",
        "value": "Value",
        "from": "From",
        "help": "Meaning",
        "given": "params file",
        "default": "default",
        "files": "Input files",
        "file": "File",
        "office": "of which office files",
        "versions": "Software versions",
        "package": "Package",
        "version": "Version",
        "none": "none",
        "lock": "Software environment",
        "lock_ok": "as locked in {file} (SHA-256 {hash}…)",
        "lock_off": "{n} packages differ from the lock {file} (SHA-256 {hash}…): {which}",
    },
}
STATE_EN = {
    "committed": "as committed",
    "modified": "with uncommitted changes (run with --allow-modified)",
    "untracked": "not committed (run with --allow-modified)",
    "unknown": "cannot tell (not a git checkout)",
}


def _record_cell(spec: RunSpec, record: dict):
    """The run record as the report's last section: a collapsed block, so that readers see the report and
    checkers find everything (the ids, parameters and hashes belong here and nowhere else)."""
    import nbformat

    t = RECORD_TEXT[spec.language]
    e = htmllib.escape
    started = dt.datetime.fromisoformat(record["started"]).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    state = record["notebook_state"]
    state_text = NOTEBOOK_STATES[state] if spec.language == "zh" else STATE_EN[state]

    def table(head, rows):
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    params = [
        (
            k,
            v,
            t["given"] if k in spec.parameters else t["default"],
            spec.declared.get(k, {}).get("help", ""),
        )
        for k, v in record["effective_parameters"].items()
    ]
    office = record.get("office_files") or []
    facts = [
        (t["run"], spec.name),
        (t["run_id"], record["run_id"]),
        (t["time"], f"{started:%Y-%m-%d %H:%M} (UTC+8)"),
        (t["notebook"], record["notebook"]),
        (t["state"], state_text),
        (t["commit"], record.get("git_commit") or t["none"]),
        (t["office"], ", ".join(office) or t["none"]),
        (t["lock"], _lock_text(record, t)),
    ]
    body = (
        f"<p>{e(t['lead'])}</p>"
        f'<details class="qindex-run-record" id="qindex-run-record"><summary>{e(t["summary"])}</summary>'
        + table(("", ""), facts)
        + f"<h4>{e(t['params'])}</h4>"
        + table((t["param"], t["value"], t["from"], t["help"]), params)
        + f"<h4>{e(t['files'])}</h4>"
        + table((t["file"], "SHA-256"), sorted(record["inputs_sha256"].items()))
        + f"<h4>{e(t['versions'])}</h4>"
        + table(
            (t["package"], t["version"]),
            [("python", record["python"]), *((k, v or "") for k, v in record["packages"].items())],
        )
        + "</details>"
    )
    cell = nbformat.v4.new_markdown_cell(f"## {t['heading']}\n\n{body}")
    cell.metadata["tags"] = ["qindex-run-record"]
    return cell


def _lock_text(record: dict, t: dict) -> str:
    if not record.get("lock_sha256"):
        return t["none"]
    off = record.get("lock_mismatches") or {}
    fmt = {"file": record["lock_file"], "hash": record["lock_sha256"][:12], "n": len(off)}
    if not off:
        return t["lock_ok"].format(**fmt)
    which = ", ".join(
        f"{k} {v['installed'] or '—'}≠{v['locked']}" for k, v in sorted(off.items())[:5]
    ) + (" …" if len(off) > 5 else "")
    return t["lock_off"].format(which=which, **fmt)


def render_html(nb, title: str, language: str = "zh") -> str:
    """Self-contained HTML for readers: no code, no prompts, parameters cells and the other edition's cells
    removed, images inline with alt text, ``lang`` set, nothing loaded from the network (see
    ``qindex/templates/qindex_html``)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    other = {"zh": "lang-en", "en": "lang-zh"}[language]
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {
        "injected-parameters",
        "parameters",
        "remove-cell",
        "notebook-intro",
        other,
    }
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    exporter = HTMLExporter(
        config=c,
        template_name="qindex_html",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
    )
    exporter.language_code = LANGUAGES[language]
    alt = "图表" if language == "zh" else "chart"
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title}, "figure_alt": alt}
    )
    return body


#: What would make a browser go to the network while opening a report.
NETWORK = re.compile(
    r"<script\b|<link\b[^>]*\bhref=[\"']?(?:https?:)?//|\bsrc=[\"']?(?:https?:)?//|"
    r"@import|url\(\s*[\"']?(?:https?:)?//",
    re.I,
)


def network_references(page: str) -> list[str]:
    """Scripts and anything loaded from the network (links a reader clicks are not loads)."""
    return [m.group(0) for m in NETWORK.finditer(page)]


def _check_offline(page: str, name: str) -> None:
    found = network_references(page)
    if found:
        raise RunError(
            f"run {name}: the rendered HTML would load {found[:3]} (scripts or network resources); reports "
            "must open offline. The published results were not changed."
        )


def provenance(
    spec: RunSpec, started, finished, outputs: list[str], run_id: str = "", state: str = "unknown"
) -> dict:
    """The run record: parameters (given and effective), SHA-256 of every input, package versions, git
    commit and notebook state, times."""
    inputs = {}

    office = office_files()
    for p in sorted({*paths.DATA_RAW.rglob("*"), *office}):
        if p.is_file():
            inputs[paths.relative(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    for p in (spec.notebook, spec.params_file):
        inputs[paths.relative(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "run": spec.name,
        "run_id": run_id,
        "title": spec.title,
        "language": spec.language,
        "notebook": paths.relative(spec.notebook),
        "notebook_state": state,
        "allow_modified": state in ("modified", "untracked"),
        "params_file": paths.relative(spec.params_file),
        "parameters": spec.parameters,
        "effective_parameters": spec.effective,
        "inputs_sha256": inputs,
        "office_files": [paths.relative(p) for p in office],
        "python": platform.python_version(),
        "packages": versions,
        **lock_record(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "outputs": outputs,
    }


#: The lock file of exact versions (``make lock`` refreshes it; ``make report``/``make test`` install it).
LOCK_FILE = "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def locked_versions(path: Path | None = None) -> dict[str, str]:
    """``{package: version}`` pinned by the lock file (names normalised as in PEP 503)."""
    text = (path or paths.ROOT / LOCK_FILE).read_text(encoding="utf-8")
    return {re.sub(r"[-_.]+", "-", m[1]).lower(): m[2] for m in _PIN.finditer(text)}


def lock_record(path: Path | None = None) -> dict:
    """The lock file's SHA-256 and every locked package whose installed version differs from its pin
    (``{name: {"locked": v, "installed": v or None}}``; empty when the environment is the locked one)."""
    lock = path or paths.ROOT / LOCK_FILE
    try:
        data = lock.read_bytes()
    except OSError:
        return {"lock_file": None, "lock_sha256": None, "lock_mismatches": {}}
    mismatches = {}
    for name, pinned in locked_versions(lock).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != pinned:
            mismatches[name] = {"locked": pinned, "installed": installed}
    return {
        "lock_file": paths.relative(lock),
        "lock_sha256": hashlib.sha256(data).hexdigest(),
        "lock_mismatches": mismatches,
    }


def _git(*args, cwd: Path | None = None) -> str | None:
    """Output of a git command run in ``cwd`` (the project by default); ``None`` when it fails."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd or paths.ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def params_files() -> list[Path]:
    """Every run file in params/, in name order: a file holding only an index ``framework`` (no
    ``notebook``) declares an index, not a run; every other file is a run and is validated as one."""
    runs = []
    for p in sorted(paths.PARAMS.glob("*.yaml")):
        try:
            raw = yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        except yaml.YAMLError:
            raw = None
        if isinstance(raw, dict) and "framework" in raw and "notebook" not in raw:
            continue
        runs.append(p)
    return runs
