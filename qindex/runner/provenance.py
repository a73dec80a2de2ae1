"""Provenance: what a run was made from. The notebook's state in git, the SHA-256 of every input, the versions
of the packages that matter, the lock file and any package off it, and the git commit; all in ``run.json``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from qindex import paths
from qindex.errors import RunError
from qindex.office import office_files
from qindex.runner.params import RunSpec

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


#: What :func:`notebook_state` may say about the notebook a run executes.
NOTEBOOK_STATES = {
    "committed": "与版本库中已提交的版本一致",
    "saved": "与已提交的版本一致(JupyterLab 另存的输出和元数据不影响运行)",
    "ran-committed": "有未提交的修改;运行的是已提交的版本",
    "modified": "有未提交的修改(以 --allow-modified 运行)",
    "untracked": "未纳入版本库(以 --allow-modified 运行)",
    "unknown": "无法确认(不在 git 版本库中)",
}


def notebook_state(notebook: Path) -> str:
    """``committed``; ``saved`` (what JupyterLab saves changed, outputs, execution counts or metadata, but no
    cell's source); ``modified`` (a cell's source differs from git's); ``untracked``; or ``unknown`` (no git
    checkout)."""
    folder, name = Path(notebook).resolve().parent, Path(notebook).name
    status = _git("status", "--porcelain", "--", name, cwd=folder)
    if status is None:
        return "unknown"
    if status:
        if status.startswith("??"):
            return "untracked"
        committed = committed_notebook(notebook)
        same = committed is not None and cell_sources(committed) == cell_sources(
            Path(notebook).read_text(encoding="utf-8")
        )
        return "saved" if same else "modified"
    tracked = _git("ls-files", "--error-unmatch", "--", name, cwd=folder)
    return "committed" if tracked is not None else "unknown"  # an ignored file: unknown


def committed_notebook(notebook: Path) -> str | None:
    """The notebook as committed (``HEAD``), as text; ``None`` when git has no such file."""
    folder, name = Path(notebook).resolve().parent, Path(notebook).name
    return _git("show", f"HEAD:./{name}", cwd=folder)


def cell_sources(text: str) -> list[tuple[str, str]] | None:
    """What a run executes of a notebook: each cell's type and source (outputs, counts, metadata left out)."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return None
    return [
        (
            c.get("cell_type", ""),
            "".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", ""),
        )
        for c in cells
        if isinstance(c, dict)
    ]


@dataclass(frozen=True)
class Source:
    """What a run executes: the notebook's ``state``, the committed ``text`` to run instead of the working copy
    (``None``: the working copy), and a ``warning`` for the log ("" when there is nothing to say)."""

    state: str
    text: str | None
    warning: str = ""


def check_committed(spec: RunSpec, allow_modified: bool = False) -> Source:
    """What to execute for ``spec``: the notebook as committed, whatever JupyterLab saved.

    Outputs, execution counts and metadata never block or change a run (``saved``: the committed notebook
    runs). A notebook whose cell sources differ from git's runs as committed, with a warning, unless
    ``allow_modified`` (then the working copy runs, recorded as ``modified``). A notebook git does not know runs
    only with ``allow_modified``; otherwise a :class:`RunError` for this run alone.
    """
    state = notebook_state(spec.notebook)
    where = paths.relative(spec.notebook)
    if state == "saved":
        return Source("saved", committed_notebook(spec.notebook))
    if state == "modified" and not allow_modified:
        return Source(
            "ran-committed",
            committed_notebook(spec.notebook),
            f"run {spec.name}: {where} has changes not committed (git status); the committed version runs. "
            "Commit the change to schedule it, or run with --allow-modified to try it.",
        )
    if state == "untracked" and not allow_modified:
        raise RunError(
            f"run {spec.name}: {where} is not committed (git status). A scheduled run executes notebooks "
            "as committed: commit it, or run with --allow-modified (recorded in the report's 附录 and in "
            "run.json). This run was not started."
        )
    return Source(state, None)


def input_hashes(spec: RunSpec, notebook_text: str | None = None) -> dict[str, str]:
    """SHA-256 of every input of a run: ``data/raw/``, the office's files, the notebook (``notebook_text``:
    the committed text that runs instead of the working copy) and the params file."""
    inputs = {}
    for p in sorted({*paths.DATA_RAW.rglob("*"), *office_files()}):
        if p.is_file():
            inputs[paths.relative(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    notebook = (
        spec.notebook.read_bytes() if notebook_text is None else notebook_text.encode("utf-8")
    )
    inputs[paths.relative(spec.notebook)] = hashlib.sha256(notebook).hexdigest()
    inputs[paths.relative(spec.params_file)] = hashlib.sha256(
        spec.params_file.read_bytes()
    ).hexdigest()
    return inputs


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The inputs added, changed or removed between two :func:`input_hashes`, in words."""
    out = [f"{k} added" for k in sorted(after.keys() - before.keys())]
    out += [f"{k} removed" for k in sorted(before.keys() - after.keys())]
    out += [f"{k} changed" for k in sorted(before.keys() & after.keys()) if before[k] != after[k]]
    return out


def provenance(
    spec: RunSpec,
    started,
    finished,
    outputs: list[str],
    run_id: str = "",
    state: str = "unknown",
    inputs: dict[str, str] | None = None,
) -> dict:
    """The run record: parameters (given and effective), SHA-256 of every input (``inputs``: as hashed
    before the run, default now), package versions, git commit and notebook state, times."""
    inputs = input_hashes(spec) if inputs is None else inputs
    office = [paths.relative(p) for p in office_files() if paths.relative(p) in inputs]
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
        "ran_committed": state in ("saved", "ran-committed"),
        "params_file": paths.relative(spec.params_file),
        "parameters": spec.parameters,
        "effective_parameters": spec.effective,
        "inputs_sha256": inputs,
        "office_files": office,
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
