"""Set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from qindex import paths


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def _split(req: str) -> tuple[str, str]:
    name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", req).groups()
    return name.lower(), spec.replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    conda = dict(_split(d) for d in deps if isinstance(d, str) and d not in ("pip",))
    conda.pop("python")
    pip_section = deps[-1]["pip"]
    assert pip_section[-1] == "-e ."
    conda.update(_split(d) for d in pip_section[:-1])  # packages not on conda-forge
    assert conda == _pyproject_requirements()


def test_lock_pins_every_requirement_within_its_range():
    """requirements.lock (``make lock``) pins every package pyproject.toml asks for, at a version its range
    admits, with hashes: a change to pyproject.toml without a refreshed lock fails here."""
    from packaging.specifiers import SpecifierSet

    from qindex.runner import locked_versions

    lock_text = (paths.ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = locked_versions()
    assert len(pins) > 50  # the whole environment, not only the direct requirements
    for name, spec in _pyproject_requirements().items():
        key = re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()
        assert key in pins, f"{name} is not in requirements.lock: run make lock"
        assert pins[key] in SpecifierSet(spec), f"{name}=={pins[key]} is outside {spec}"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock_text.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_run_record_names_the_lock_and_what_differs(tmp_path):
    from qindex.runner import lock_record

    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "pyyaml==0.0.1 \\\n    --hash=sha256:00\nno-such-package-qx==1.0\n", encoding="utf-8"
    )
    rec = lock_record(lock)
    assert len(rec["lock_sha256"]) == 64
    assert rec["lock_mismatches"]["pyyaml"]["locked"] == "0.0.1"
    assert rec["lock_mismatches"]["pyyaml"]["installed"]  # PyYAML is installed, at another version
    assert rec["lock_mismatches"]["no-such-package-qx"] == {"locked": "1.0", "installed": None}


def test_every_data_file_of_the_package_is_declared_package_data():
    """A wheel (a cluster worker's install) carries only what pyproject.toml declares: every non-Python file
    under qindex/ must match a package-data pattern of its package, or reports cannot render from a wheel."""
    import fnmatch

    declared = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["package-data"]
    package = paths.ROOT / "qindex"
    missing = []
    for f in package.rglob("*"):
        if not f.is_file() or f.suffix in (".py", ".pyc") or "__pycache__" in f.parts:
            continue
        rel = f.relative_to(paths.ROOT)
        covered = any(
            fnmatch.fnmatch(
                str(rel.relative_to(Path(*pkg.split("."))))
                if rel.is_relative_to(Path(*pkg.split(".")))
                else "",
                pattern,
            )
            for pkg, patterns in declared.items()
            for pattern in patterns
        )
        if not covered:
            missing.append(str(rel))
    assert missing == []


def test_nothing_a_clone_ships_points_to_the_shared_materials_beside_it():
    # Issue 26: a clone has no ../shared; README, docstrings and data must not send a reader there. Tests may
    # name it when they compare with it (and skip when it is absent).
    import subprocess

    from qindex import paths

    shipped = subprocess.run(
        ["git", "ls-files"], cwd=paths.ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in shipped:
        if name.startswith("tests/") and name.endswith(".py"):
            continue
        path = paths.ROOT / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "../shared" in text or "shared/seeds" in text:
            found.append(name)
    assert found == []
