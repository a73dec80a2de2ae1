"""Departments: the plans' task areas and their 责任单位, quoted verbatim."""

from __future__ import annotations

from pathlib import Path


def test_shipped_tasks_quote_the_plan_verbatim():
    from qindex.departments import load_tasks

    tasks = load_tasks()
    assert len(tasks) == 29 and set(tasks.plan_id) == {"chengdu-2027"}
    src = (Path(__file__).parents[1] / "data/raw/sources/004_dda534a2242f7dc0.txt").read_text(
        "utf-8"
    )
    assert all(q in src for q in tasks.quote)
