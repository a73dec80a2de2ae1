"""Params files: what a run is. ``params/<run>.yaml`` names a notebook, a title and the values of the
notebook's parameters; :func:`load_specs` reads one into validated :class:`RunSpec` (a list in a value sweeps:
one run per value, or per combination), checking every key, type and id against the notebook's parameters cell
and the catalogue, and reporting every problem at once.

A params file::

    notebook: plan_progress.ipynb        # in notebooks/
    title: 杭州市质量提升行动(2018–2022)目标进展
    cell_timeout: 600                    # seconds per cell (optional)
    parameters:
      plan_id: hangzhou-2022
      as_of: 0

Parameters are read with every scalar as text and converted by the type annotated in the notebook's
parameters cell, so the YAML 1.1 traps (``010`` read as octal 8, ``yes`` as true, ``1e-3`` as a string) cannot
slip through.
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qindex import paths
from qindex.catalog import load_catalog
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, ParamsError, Problem, SchemeError
from qindex.schema import MODELS
from qindex.scheme import load_scheme, read_scores

TOP_KEYS = {"notebook", "title", "parameters", "cell_timeout", "framework", "study", "max_runs"}
#: The largest params file read (a real one is a few hundred bytes).
MAX_BYTES = 2**20
#: Runs one params file may sweep into without ``max_runs`` saying more are meant.
MAX_RUNS = 100
#: The longest title and run name (a run name becomes a folder name: at most 255 bytes on most disks).
MAX_TITLE, MAX_NAME = 200, 100


#: Report editions: the ``language`` parameter.
LANGUAGES = {"zh": "zh-CN", "en": "en"}


#: Parameters the runner sets itself.
RESERVED = {"output_dir"}


DEFAULT_CELL_TIMEOUT = 600


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
        keys = Counter(k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode))
        twice = sorted(k for k, n in keys.items() if n > 1)
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"each key once ({', '.join(twice)} given twice)", node.start_mark
            )
        return super().construct_mapping(node, deep)


#: Problems listed at most for one params file.
MAX_PROBLEMS = 50


#: What a run name may be: it names folders under reports/ and data/processed/.
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _read_mapping(path: Path, label: str) -> dict:
    """The params file as a mapping of text, or one :class:`ParamsError` (its name, size, encoding, YAML)."""
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

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ParamsError(
                [
                    Problem(
                        label,
                        None,
                        None,
                        f"{size:,} bytes",
                        f"a params file of at most {MAX_BYTES:,} bytes",
                    )
                ]
            )
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
    return raw


def _whole(raw: dict, key: str, default: int, expected: str, bad) -> int:
    """A whole number > 0 at the top level of a params file, or ``default`` (and a problem when it is not one)."""
    if key not in raw:
        return default
    value = _convert("int", raw[key])
    if not isinstance(value, int) or value <= 0:
        bad(key, raw[key], expected)
        return default
    return value


def _values(given: dict, declared: dict, nb_name: str, bad) -> tuple[dict, dict[str, list]]:
    """The given parameters converted by the notebook's annotated types: ``(values, sweeps)``."""
    params: dict = {}
    sweeps: dict[str, list] = {}
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
    return params, sweeps


def _specs(
    path, label, title, notebook, params, combos, timeout, declared, problems
) -> list[RunSpec]:
    """One run per combination of the swept values, each named ``<file>-<value>…`` and titled."""
    specs = []
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
    for name in names:
        if len(name) > MAX_NAME:
            problems.bad(
                None,
                "parameters",
                name[:40] + "…",
                f"a run name of at most {MAX_NAME} characters (the swept values make it: shorten them)",
            )
            break
    counted = Counter(names)
    clash = sorted(n for n, k in counted.items() if k > 1)
    if clash:
        problems.bad(
            None, "parameters", ", ".join(clash), "sweep values that give distinct run names"
        )
    return specs


def load_specs(path: Path | str) -> list[RunSpec]:
    """Read and validate a params file against its notebook's parameters cell (no kernel is started): one
    run, or one per combination when parameters are given as lists (a sweep, e.g.
    ``jurisdiction_id: [CN-ZJ-HZ, CN-SC-CD]``), each named ``<file>-<value>``.

    Parameters
    ----------
    path : ``params/<run>.yaml``.

    Returns
    -------
    list of RunSpec
        each with ``name``, ``params_file``, ``notebook``, ``title``, ``parameters`` (converted by the
        notebook's annotated types), ``cell_timeout`` and ``declared`` (the notebook's parameters cell).

    Example
    -------
    >>> from qindex import paths
    >>> [s.name for s in load_specs(paths.PARAMS / "gongshu-2025.yaml")]
    ['gongshu-2025']

    Raises
    ------
    ParamsError
        listing every problem: unknown keys (with the closest name), wrong types, YAML 1.1 traps, ids that are
        not in the catalogue, values outside their range.
    """
    path = Path(path)
    label = paths.relative(path)
    raw = _read_mapping(path, label)
    problems = Problems(label)

    def bad(key, value, expected):
        problems.bad(None, key, value, expected)

    for key in raw:
        if key not in TOP_KEYS:
            problems.one_of(None, key, key, sorted(TOP_KEYS))
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
    max_runs = _whole(raw, "max_runs", MAX_RUNS, "a whole number of runs > 0", bad)
    timeout = _whole(
        raw, "cell_timeout", DEFAULT_CELL_TIMEOUT, "a whole number of seconds > 0", bad
    )
    given = raw.get("parameters") or {}
    if not isinstance(given, dict):
        bad("parameters", given, "a mapping of parameter names to values")
        given = {}
    params: dict = {}
    sweeps: dict[str, list] = {}
    declared: dict = {}
    if notebook is not None and notebook.is_file():
        declared = notebook_parameters(notebook)
        params, sweeps = _values(given, declared, nb_name, bad)
        n_runs = math.prod(len(v) for v in sweeps.values())
        if n_runs > max_runs:
            bad(
                "parameters",
                f"{n_runs:,} runs",
                f"a sweep of at most {max_runs} runs (max_runs: N in the params file says more are meant)",
            )
            sweeps = {}
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
    specs = (
        _specs(
            path,
            label,
            str(raw.get("title") or path.stem),
            notebook,
            params,
            combos,
            timeout,
            declared,
            problems,
        )
        if not problems
        else []
    )
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
    allowed = {"place", *params}
    try:
        fields_used = [f[1:] for f in string.Formatter().parse(title) if f[1] is not None]
    except ValueError as exc:  # an unmatched brace
        fields_used = [(f"{exc}", "", None)]
    for field_name, spec, conversion in fields_used:
        if field_name not in allowed or spec or conversion:
            problems.append(
                Problem(
                    label,
                    None,
                    "title",
                    title[:80],
                    f"placeholders among {{place}} and the parameters {sorted(params)}, as plain names "
                    f"({{{field_name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} is not one)",
                )
            )
            return title[:MAX_TITLE]
    cat = load_catalog()
    names = cat.jurisdictions.set_index("jurisdiction_id").name_zh
    plan_place = cat.plans.set_index("plan_id").jurisdiction_id
    place_id = params.get("jurisdiction_id") or plan_place.get(params.get("plan_id"), None)
    fields = {k: str(v) for k, v in params.items()}
    fields["place"] = str(names.get(place_id, place_id or ""))
    if "unit_id" in params and params.get("scheme_file"):  # a 考核 unit: its name in the scheme
        _, scheme = _checked_scheme({"scheme_file": params["scheme_file"]})
        if scheme is not None:
            units = dict(zip(scheme.units.unit_id, scheme.units.name_zh, strict=True))
            fields["place"] = units.get(params["unit_id"], params["unit_id"])
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
            key in ("jurisdiction_id", "plan_id", "unit_id") and "{place}" in title
        ):
            continue
        missing.append(
            fields["place"] if key in ("jurisdiction_id", "plan_id", "unit_id") else str(value)
        )
    out = f"{out}({'、'.join(missing)})" if missing else out
    if len(out) > MAX_TITLE:
        problems.append(
            Problem(
                label, None, "title", out[:40] + "…", f"a title of at most {MAX_TITLE} characters"
            )
        )
        return out[:MAX_TITLE]
    return out


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
    found = Problems(label)

    cat = load_catalog()
    plans = set(cat.plans.plan_id)
    places = set(cat.jurisdictions.jurisdiction_id)
    if "plan_id" in params and params["plan_id"] not in plans:
        found.bad(
            None,
            "parameters.plan_id",
            params["plan_id"],
            f"a plan id from plans.csv{closest(params['plan_id'], plans)}",
        )
    if (
        "jurisdiction_id" in params
        and params["jurisdiction_id"] not in places
        and not params.get("synthetic")
    ):
        found.bad(
            None,
            "parameters.jurisdiction_id",
            params["jurisdiction_id"],
            f"an id from jurisdictions.csv{closest(params['jurisdiction_id'], places)}",
        )
    if "language" in params and params["language"] not in LANGUAGES:
        found.bad(
            None,
            "parameters.language",
            params["language"],
            f"one of {list(LANGUAGES)} (zh: 中文版, the default; en: English edition)",
        )
    if "model" in params and params["model"] not in MODELS:
        found.bad(None, "parameters.model", params["model"], f"one of {list(MODELS)}")
    if "level" in params and not 0 < params["level"] < 1:
        found.bad(
            None, "parameters.level", params["level"], "a coverage between 0 and 1, e.g. 0.95"
        )
    for key in ("as_of", "year"):
        if key in params and params[key] != 0 and not 1949 <= params[key] <= 2100:
            found.bad(
                None,
                f"parameters.{key}",
                params[key],
                "a year between 1949 and 2100, or 0 for the latest",
            )
    for key in ("replications", "sa_n"):
        if key in params and params[key] < 1:
            found.bad(None, f"parameters.{key}", params[key], "a whole number ≥ 1")
    if "units" in params:
        for unit in filter(None, (u.strip() for u in params["units"].split(","))):
            if unit not in places:
                found.bad(
                    None,
                    "parameters.units",
                    unit,
                    f"ids from jurisdictions.csv, comma-separated{closest(unit, places)}",
                )
    for problem in _scheme_problems(params):
        found.append(problem)
    if params.get("framework_file"):
        framework = (paths.ROOT / params["framework_file"]).resolve()
        if paths.ROOT.resolve() not in framework.parents or not framework.is_file():
            found.bad(
                None,
                "parameters.framework_file",
                params["framework_file"],
                "a framework YAML file inside the project, e.g. params/quality_index.yaml",
            )
    problems.extend(found)


def _inside(name: str) -> Path | None:
    """A project file named by a parameter, or None when it is outside the project or not a file."""
    # lexically (".." removed, symlinks kept): data/raw may be a link to a shared folder
    path = Path(os.path.normpath(paths.ROOT / name))
    if Path(os.path.normpath(paths.ROOT)) not in path.parents or not path.is_file():
        return None
    return path


#: The schemes and 考核 workbooks checked for this process, by (path, size, mtime): a sweep over 13 units
#: checks its files once, not 13 times.
_SCHEME_CHECKS: dict = {}


def _scheme_problems(params: dict) -> list[Problem]:
    """A 考核 run's scheme, its data file and its unit, checked before any kernel starts: the scheme's own
    problems, the workbook's (a unit without a row, a bad value), a unit the scheme does not assess."""
    return _checked_scheme(params)[0]


def _checked_scheme(params: dict) -> tuple[list[Problem], object]:
    """(problems, the scheme or None) of a run's ``scheme_file``, ``data_file`` and ``unit_id``."""
    if "scheme_file" not in params:
        return [], None
    out = []
    scheme_path = _inside(params["scheme_file"])
    if scheme_path is None:
        return [
            Problem(
                "params",
                None,
                "parameters.scheme_file",
                params["scheme_file"],
                "a 考核 scheme (YAML) inside the project, e.g. data/raw/example/kaohe/scheme.yaml",
            )
        ], None
    data_path = _inside(params.get("data_file", "")) if params.get("data_file") else None
    if "data_file" in params and data_path is None:
        out.append(
            Problem(
                "params",
                None,
                "parameters.data_file",
                params["data_file"],
                "the filled 考核 workbook inside the project (qindex template --scheme writes it)",
            )
        )
    key = tuple(
        (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in (scheme_path, data_path) if p
    )
    if key not in _SCHEME_CHECKS:
        found, scheme = [], None
        try:
            scheme = load_scheme(scheme_path)
            if data_path is not None:
                read_scores(data_path, scheme)
        except (SchemeError, ObservationError) as exc:
            found = exc.problems
        _SCHEME_CHECKS[key] = (found, scheme)
    found, scheme = _SCHEME_CHECKS[key]
    out += found
    unit = params.get("unit_id")
    if scheme is not None and unit is not None and unit not in scheme.unit_ids:
        out.append(
            Problem(
                "params",
                None,
                "parameters.unit_id",
                unit,
                f"a unit of {scheme.file}{closest(unit, scheme.unit_ids)}",
            )
        )
    return out, scheme


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
