"""Small helpers the test files share: params files and notebooks written for a test, and the cells of an office
template."""

from __future__ import annotations

import pytest

from qindex.runner import ParamsError, load_spec


def write_params(tmp_path, text, name="case.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems(path):
    with pytest.raises(ParamsError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def row_of(ws, indicator_id: str) -> int:
    last = ws.max_column
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, last).value == indicator_id:
            return r
    raise AssertionError(f"{indicator_id} not in the template")


def col_of(ws, header: str) -> int:
    for c in range(1, ws.max_column + 1):
        if str(ws.cell(3, c).value) == header:
            return c
    raise AssertionError(header)


def notebook(parameters: str, source: str) -> dict:
    """A two-cell notebook for runner tests: a parameters cell and one code cell."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": "params",
                "metadata": {"tags": ["parameters"]},
                "source": parameters,
                "outputs": [],
                "execution_count": None,
            },
            {
                "cell_type": "code",
                "id": "work",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
