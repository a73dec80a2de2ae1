"""Departments: who holds each figure. The plans' task areas (``data/raw/tasks.csv``: each with its 责任单位
and a verbatim quote) and the indicators' default holders (``indicators.csv``, ``data_holder``).

Example
-------
>>> split_holder("市场监管局(年度质量状况报告、监督抽查通报)")
('市场监管局', '年度质量状况报告、监督抽查通报')
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import load_catalog
from qindex.checks import Problems
from qindex.errors import CatalogError, Problem
from qindex.tables import read_text_table

TASK_COLUMNS = [
    "plan_id",
    "task_id",
    "task_zh",
    "departments",
    "quote",
    "source_file",
    "target_ids",
]


def load_tasks(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """The plans' task areas with their 责任单位 (``data/raw/tasks.csv``), checked: known plan, quote verbatim in
    the plan text, target ids of that plan. Empty when the file is absent."""
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    return _load_tasks(raw.resolve()).copy()


@lru_cache(maxsize=4)
def _load_tasks(raw: Path) -> pd.DataFrame:
    path = raw / "tasks.csv"
    if not path.is_file():
        return pd.DataFrame(columns=TASK_COLUMNS)
    cat = load_catalog(raw)
    problems = Problems()
    f = read_text_table(path, TASK_COLUMNS, problems, "tasks.csv")
    plans = set(cat.plans.plan_id)
    tids = cat.targets.set_index("target_id").plan_id
    texts: dict[str, str] = {}
    for row in f.itertuples(index=False):
        line = row.source_line
        if row.plan_id not in plans:
            problems.append(
                Problem("tasks.csv", line, "plan_id", row.plan_id, "a plan of plans.csv")
            )
        src = raw / "sources" / row.source_file
        if row.source_file not in texts:
            texts[row.source_file] = (
                src.read_text(encoding="utf-8")
                if src.is_file() and src.parent == raw / "sources"
                else ""
            )
        if not row.quote or row.quote not in texts[row.source_file]:
            problems.append(
                Problem(
                    "tasks.csv",
                    line,
                    "quote",
                    row.quote[:30],
                    f"a verbatim span of sources/{row.source_file}",
                )
            )
        if row.departments and row.departments not in row.quote:
            problems.append(
                Problem(
                    "tasks.csv", line, "departments", row.departments, "the departments as quoted"
                )
            )
        for t in filter(None, row.target_ids.split(";")):
            if tids.get(t) != row.plan_id:
                problems.append(
                    Problem("tasks.csv", line, "target_ids", t, f"a target of {row.plan_id}")
                )
    problems.raise_if_any(CatalogError)
    return f.drop(columns="source_line").reset_index(drop=True)


def department(indicator_id: str, target_id: str, plan_id: str) -> tuple[str, str, str]:
    """(department, publication, basis) for a target: the plan's 责任单位 when a task area names it, else the
    indicator's default holder, marked as a suggestion."""
    tasks = load_tasks()
    hit = tasks[
        (tasks.plan_id == plan_id) & tasks.target_ids.str.split(";").map(lambda x: target_id in x)
    ]
    holder = ""
    if indicator_id:
        ind = load_catalog().indicators.set_index("indicator_id")
        holder = str(ind.data_holder.get(indicator_id, "") or "")
    dept, pub = split_holder(holder)
    if len(hit):
        row = hit.iloc[0]
        return row.departments, pub, f"方案明确:{row.task_zh}"
    return (f"{dept}(建议)" if dept else ""), pub, "建议(方案未列责任单位)"


def split_holder(holder: str) -> tuple[str, str]:
    """ "市场监管局(年度质量状况报告、监督抽查通报)" → ("市场监管局", "年度质量状况报告、监督抽查通报")."""
    m = re.fullmatch(r"([^(（]*)[(（](.*)[)）]\s*", holder or "")
    if m:
        return m.group(1).strip(), m.group(2).strip()
    return (holder or "").strip(), ""
