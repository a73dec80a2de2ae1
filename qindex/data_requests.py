"""The data-request list (数据需求清单): what the office has to supply, to whom to ask, and why.

One row per target a plan cannot yet judge on its own definition: the indicator and its definition (口径), the
years needed, why (no data, one point only, definition differs, base stock unknown, reading unconfirmed), the
department that holds it and the publication that would carry it. The department is the plan's own 责任单位
where the plan names one (``data/raw/tasks.csv``: the plan's task areas, each with its departments and a
verbatim quote); otherwise the indicator's ``data_holder`` in ``indicators.csv``, marked 建议 (a suggestion).

Example
-------
>>> table = requests_table("chengdu-2027")
>>> table.columns[:3].tolist()
['目标', '指标', '口径']
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import load_catalog
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
#: Why a target cannot be judged, as the request list says it (code → Chinese).
REASONS_ZH = {
    "no_data": "无数据",
    "one_point": "只有一个年份的数据,无法判断进展",
    "definition": "现有数据口径与目标不一致",
    "unconfirmed": "现有数据口径待确认",
    "base_stock": "缺基期存量或逐年新增数",
    "rank": "缺公布的排名(名次、参评总数、发布机构)",
    "reading": "目标含义需质量强市办确认",
}


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
    problems: list[Problem] = []
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
    if problems:
        raise CatalogError(problems)
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


def _reason(r) -> str:
    note = str(r.note or "")
    if r.status == "not_comparable":
        return "definition"
    if r.status == "unconfirmed":
        return "reading" if "两种理解" in note or "确认" in note else "unconfirmed"
    if r.status == "baseline_only":
        return "one_point"
    if r.target_type == "rank":
        return "rank"
    if r.target_type == "cumulative":
        return "base_stock" if r.n_points else "no_data"
    if r.n_points and r.n_points >= 1:
        return "one_point"
    return "no_data"


def _years(r, as_of: int) -> str:
    last = int(min(r.target_year, as_of)) if pd.notna(r.target_year) else as_of
    base = int(r.base_year) if pd.notna(r.base_year) else last
    return f"{base}–{last}" if base < last else str(last)


def requests_table(plan_id: str, as_of: int | None = None, assessment: pd.DataFrame | None = None):
    """The data-request list of one plan (Chinese headers), one row per target without a scored verdict
    (qualitative targets excluded: no figure can settle them)."""
    from qindex.progress import SCORED_STATUSES

    if assessment is None:
        from qindex.report import plan_report

        assessment = plan_report(plan_id, as_of=as_of).assessment
    a = assessment[~assessment.status.isin(SCORED_STATUSES) & (assessment.status != "not_scored")]
    cat = load_catalog()
    ind = cat.indicators.set_index("indicator_id")
    quotes = cat.targets.set_index("target_id").quote
    base_years = cat.targets.set_index("target_id").base_year
    rows = []
    for r in a.itertuples():
        dept, pub, basis = department(r.indicator_id, r.target_id, plan_id)
        code = _reason(r)
        if pd.isna(r.base_year):  # no data: the years from the plan's base year are needed
            r = r._replace(base_year=pd.to_numeric(base_years.get(r.target_id), errors="coerce"))
        rows.append(
            {
                "目标": str(quotes.get(r.target_id, r.name_zh)),
                "指标": r.name_zh,
                "口径": str(ind.definition.get(r.indicator_id, "")) if r.indicator_id else "",
                "单位": r.unit,
                "需要年份": _years(r, int(as_of) if as_of else int(r.target_year)),
                "原因": REASONS_ZH[code],
                "说明": r.note,
                "提供单位": dept,
                "依据": basis,
                "可能的公开出处": pub,
                "reason_code": code,
                "target_id": r.target_id,
                "indicator_id": r.indicator_id,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "目标",
            "指标",
            "口径",
            "单位",
            "需要年份",
            "原因",
            "说明",
            "提供单位",
            "依据",
            "可能的公开出处",
            "reason_code",
            "target_id",
            "indicator_id",
        ],
    )


def reader_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The request list as a report shows it: without the codes and the long 口径/说明 texts."""
    return table.drop(columns=["reason_code", "target_id", "indicator_id", "口径", "说明"])


def write_requests(plan_id: str, path: Path | str | None = None, as_of: int | None = None) -> Path:
    """Write the data-request list as XLSX (default ``data/processed/requests/<plan_id>.xlsx``), atomically."""
    from qindex.template import write_workbook

    table = requests_table(plan_id, as_of=as_of)
    cat = load_catalog()
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    out = Path(path) if path else paths.DATA_PROCESSED / "requests" / f"{plan_id}.xlsx"
    visible = table.drop(columns=["reason_code", "target_id", "indicator_id"])
    title = f"{plan.title_zh}:数据需求清单({len(visible)}项)"
    return write_workbook(out, [("数据需求清单", title, visible, {})])
