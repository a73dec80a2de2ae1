"""Set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib

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
