"""The data-request list (数据需求清单): what the office has to supply, to whom to ask, and why.

One row per target a plan cannot yet judge on its own definition: the indicator and its definition (口径), the
years needed, why (no data, one point only, definition differs, base stock unknown, reading unconfirmed), the
department that holds it and the publication that would carry it. The department is the plan's own 责任单位
where the plan names one (``data/raw/tasks.csv``: the plan's task areas, each with its departments and a
verbatim quote); otherwise the indicator's ``data_holder`` in ``indicators.csv``, marked 建议 (a suggestion).

Example
-------
>>> from qindex.plan_assessment import assess_plan
>>> table = requests_table("chengdu-2027", assess_plan("chengdu-2027").assessment)
>>> table.columns[:3].tolist()
['目标', '指标', '口径']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.departments import department
from qindex.plan_assessment import assess_plan
from qindex.progress import SCORED_STATUSES
from qindex.template import write_workbook

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


def requests_table(
    plan_id: str,
    assessment: pd.DataFrame,
    as_of: int | None = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """The data-request list of one plan (Chinese headers), one row per target without a scored verdict
    (qualitative targets excluded: no figure can settle them).

    Parameters
    ----------
    plan_id : the plan.
    assessment : its assessment (:func:`qindex.plan_assessment.assess_plan`), one row per target.
    as_of : the assessment year (the years asked for end there).
    catalog : the catalogue the assessment used (default: the shipped one).

    Returns
    -------
    DataFrame
        目标, 指标, 口径, 单位, 需要年份, 原因, 说明, 提供单位, 依据, 可能的公开出处, and ``reason_code``,
        ``target_id``, ``indicator_id``.
    """
    a = assessment[~assessment.status.isin(SCORED_STATUSES) & (assessment.status != "not_scored")]
    cat = catalog or load_catalog()
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
    table = requests_table(plan_id, assess_plan(plan_id, as_of=as_of).assessment, as_of=as_of)
    cat = load_catalog()
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    out = Path(path) if path else paths.DATA_PROCESSED / "requests" / f"{plan_id}.xlsx"
    visible = table.drop(columns=["reason_code", "target_id", "indicator_id"])
    title = f"{plan.title_zh}:数据需求清单({len(visible)}项)"
    return write_workbook(out, [("数据需求清单", title, visible, {})])
