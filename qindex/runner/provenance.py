"""Provenance: what a run was made from. The notebook's state in git, the SHA-256 of every input, the versions
of the packages that matter, the lock file and any package off it, and the git commit; all in ``run.json``.
"""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
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


def input_hashes(spec: RunSpec) -> dict[str, str]:
    """SHA-256 of every input of a run: ``data/raw/``, the office's files, the notebook and the params file."""
    inputs = {}
    for p in sorted({*paths.DATA_RAW.rglob("*"), *office_files()}):
        if p.is_file():
            inputs[paths.relative(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    for p in (spec.notebook, spec.params_file):
        inputs[paths.relative(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
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
