"""Committed notebooks: stripped of outputs, one parameters cell, every parameter annotated and explained."""

from __future__ import annotations

import json

import pytest

from qindex import paths
from qindex.runner import notebook_parameters

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_carries_no_outputs(nb):
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_with_typed_documented_parameters(nb):
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    declared = notebook_parameters(nb)
    assert "output_dir" in declared
    for name, p in declared.items():
        assert p["inferred_type_name"] in ("str", "int", "float", "bool"), name
        assert p["help"], f"{name} needs a # help comment"
