"""What a report may say, and on what evidence: the rules every report applies, written once.

A report's statement is about a place, rests on a plan whose level is set against the report's place (本级 its
own, 上级 a place above, 下级 a place below), on data of a year, on a definition and on a source. The rules:

- **Levels.** Counts, verdicts, key figures and 存在问题 are about the place's own plans (本级); the targets of a
  higher-level plan are set for the whole area above and are compared with the place's data in a section of
  their own, never counted as the place's (:func:`plan_level`).
- **In force.** A plan counts in a report year from the year it was issued; one issued in the year's last month
  (a 12-31 opinion) counts from the next year (:func:`in_force`). A draft (征求意见稿, 起草说明, 草案) is named
  as a draft wherever it appears (:func:`plan_title`).
- **Data age.** A value is current in a report of year Y when it is of Y − :data:`DATA_AGE` or later (and, against
  a plan, not before its base year); an older value is context, shown with its year, never judged against a
  target and never drawn as 最新值 (:func:`is_current`).
- **Stage.** A plan's assessment is its 基期评估 when its data reach only the base year, its 中期评估 while the
  plan runs, its 终期评估 once the target year has passed (:func:`stage`).
- **Sources.** Every number cites its source; :class:`~qindex.sources.SourceList` numbers them per report.

The verdict rules themselves (已完成/未完成 only after the target year, three values for "持续…", later data
that contradict a verdict) live in :mod:`qindex.progress`, where every verdict is made.

Example
-------
>>> from qindex.catalog import load_catalog
>>> cat = load_catalog()
>>> plan_level("CN", "CN-ZJ-HZ", cat), plan_level("CN-ZJ-HZ", "CN-ZJ-HZ-GS", cat)
('上级', '上级')
>>> in_force(cat.plans.set_index("plan_id").loc[["national-2025", "zhejiang-2025"]], 2022).tolist()
[False, False]
"""

from __future__ import annotations

import re

import pandas as pd

from qindex.catalog import Catalog, ancestors, load_catalog
from qindex.progress import number_text

#: A value is current in a report of year Y from Y − DATA_AGE on. Why 2: annual statistics of Y appear in Y + 1
#: (统计公报 in spring, 生态环境状况公报 by June, 科技经费投入统计公报 in the autumn), so a report written in
#: Y + 1 has Y for most series and Y − 1 for the slowest; Y − 2 allows one missed publication. Older values
#: describe another period of the plan, not the present.
DATA_AGE = 2
#: A plan issued in this month or later counts from the next year (a 12-31 opinion did not shape that year).
LAST_MONTH = 12
#: Words that mark a plan text as a draft.
DRAFT_WORDS = ("征求意见稿", "起草说明", "草案", "送审稿")
LEVELS = ("本级", "上级", "下级", "其他")


def plan_level(plan_place: str, report_place: str, catalog: Catalog | None = None) -> str:
    """本级 (the report's place), 上级 (a place above it), 下级 (a place below it) or 其他."""
    if plan_place == report_place:
        return "本级"
    if plan_place in ancestors(report_place, catalog=catalog):
        return "上级"
    if report_place in ancestors(plan_place, catalog=catalog):
        return "下级"
    return "其他"


def is_draft(plan) -> bool:
    """Whether a plan (a row of plans.csv) is a draft: its title says 征求意见稿, 起草说明, 草案, or its English
    title says draft."""
    zh = str(getattr(plan, "title_zh", "") or "")
    en = str(getattr(plan, "title_en", "") or "")
    return any(w in zh for w in DRAFT_WORDS) or bool(re.search(r"\bdraft\b", en, re.I))


def plan_title(plan) -> str:
    """A plan's title as a reader sees it, with 《》 and, for a draft whose title does not say so, （草案）."""
    zh = str(plan.title_zh)
    mark = "" if any(w in zh for w in DRAFT_WORDS) or not is_draft(plan) else "(草案)"
    return f"《{zh}》{mark}"


def issued(plan) -> tuple[int | None, int | None]:
    """(year, month) of a plan's issue date as plans.csv gives it ("2023-02-06" or "2023"); month None when
    only the year is known."""
    m = re.match(r"(\d{4})(?:-(\d{1,2}))?", str(getattr(plan, "issued", "") or ""))
    if not m:
        return None, None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def first_year(plan) -> int:
    """The first year a plan counts in: its issue year, or the next when it was issued in December; the base
    year when the issue date is unknown."""
    year, month = issued(plan)
    if year is None:
        return int(plan.base_year)
    return year + 1 if month is not None and month >= LAST_MONTH else year


def in_force(plans: pd.DataFrame, year: int) -> pd.Series:
    """Per plan, whether it counts in ``year``: issued by then (:func:`first_year`) and not yet ended."""
    return pd.Series(
        [first_year(p) <= year <= int(p.target_year) for p in plans.itertuples()],
        index=plans.index,
        dtype=bool,
    )


def is_current(value_year, report_year: int, since: int | None = None) -> bool:
    """Whether a value of ``value_year`` is current in a report of ``report_year`` (:data:`DATA_AGE`), and not
    before ``since`` (a plan's base year) when given."""
    if value_year is None or pd.isna(value_year):
        return False
    y = int(value_year)
    return report_year - DATA_AGE <= y <= report_year and (since is None or y >= since)


def stage(base_year: int, target_year: int, as_of: int, data_to: int | None) -> str:
    """基期评估 / 中期评估 / 终期评估 from the data actually present: 终期 once the assessment year reaches the
    target year, 基期 while the plan's data reach only its base year (or there are none), else 中期."""
    if as_of >= target_year or (data_to is not None and data_to >= target_year):
        return "终期评估"
    if data_to is None or data_to <= base_year:
        return "基期评估"
    return "中期评估"


#: The groups a count of targets is told in, in the order a report names them; every status is in one, so the
#: counts add up to the number of targets.
COUNT_GROUPS = (
    ("已完成", ("met",), False),
    ("已完成(据目标年之前数据)", ("met",), True),
    ("已达标", ("achieved",), None),
    ("快于序时进度", ("ahead",), None),
    ("滞后于序时进度", ("behind",), None),
    ("未有进展或倒退", ("regressing",), None),
    ("未完成", ("missed",), False),
    ("未完成(据目标年之前数据)", ("missed",), True),
    ("仅有基期值", ("baseline_only",), None),
    ("口径不一致", ("not_comparable",), None),
    ("待核实", ("unconfirmed",), None),
    ("无法评估", ("not_assessable",), None),
    ("不评分", ("not_scored",), None),
)


def status_counts(assessment: pd.DataFrame) -> list[tuple[str, int]]:
    """Targets counted by :data:`COUNT_GROUPS` (met/missed on a year before the target year apart from those
    judged on the target year itself), the groups with at least one target, adding up to all targets."""
    a = assessment
    if a.empty:
        return []
    early = (a["judged_year"].astype(float) < a["target_year"].astype(float)).to_numpy()
    out = []
    for label, statuses, on_early in COUNT_GROUPS:
        mask = a["status"].isin(statuses).to_numpy().copy()
        if on_early is not None:
            mask &= early if on_early else ~early
        if mask.sum():
            out.append((label, int(mask.sum())))
    assert sum(n for _, n in out) == len(a), "every status is in one count group"
    return out


def count_text(assessment: pd.DataFrame) -> str:
    """ "共N项:已完成a项、…、不评分z项" with every group named, so the parts add up to N."""
    counts = status_counts(assessment)
    return f"共{len(assessment)}项:" + "、".join(f"{label}{n}项" for label, n in counts)


def reason(row) -> str:
    """Why a target is where it is, in numbers (a row of an assessment): its latest value and year against the
    target, and its progress against the time elapsed ("" when there is no value)."""
    if pd.isna(row.latest_value):
        return ""
    unit = row.unit if isinstance(row.unit, str) else ""
    head = f"{int(row.latest_year)}年{number_text(float(row.latest_value))}{unit}"
    if pd.notna(row.target_value):
        cmp = {">=": "≥", "<=": "≤"}.get(row.comparator, row.comparator)
        head += f",目标{cmp}{number_text(float(row.target_value))}{unit}({int(row.target_year)}年)"
    if pd.notna(row.progress_ratio) and pd.notna(row.elapsed_share):
        head += f";进度{100 * row.progress_ratio:.0f}%,序时进度{100 * row.elapsed_share:.0f}%"
    if pd.notna(row.base_value) and row.status == "regressing":
        head += f";基期({int(row.base_year)}年){number_text(float(row.base_value))}{unit}"
    return head


def comparators(
    panel: pd.DataFrame,
    jurisdiction_id: str,
    indicator_id: str,
    year: int,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """The same indicator in the same year for the province(s) above a place and for the country, with their
    sources: ``jurisdiction_id, name_zh, value, unit, source``, nearest first (only where the panel has one)."""
    cat = catalog or load_catalog()
    j = cat.jurisdictions.set_index("jurisdiction_id")
    chain = [
        p
        for p in ancestors(jurisdiction_id, catalog=cat)
        if j.level.get(p) in ("province", "national")
    ]
    rows = []
    for pid in dict.fromkeys([*chain, "CN"]):
        if pid == jurisdiction_id:
            continue
        v = panel[
            (panel.jurisdiction_id == pid)
            & (panel.indicator_id == indicator_id)
            & (panel.year == year)
        ]
        if len(v):
            r = v.iloc[0]
            rows.append(
                {
                    "jurisdiction_id": pid,
                    "name_zh": str(j.name_zh.get(pid, pid)),
                    "value": float(r.value),
                    "unit": r.unit if isinstance(r.unit, str) else "",
                    "source": str(r.source),
                }
            )
    return pd.DataFrame(rows, columns=["jurisdiction_id", "name_zh", "value", "unit", "source"])


__all__ = [
    "DATA_AGE",
    "LEVELS",
    "comparators",
    "count_text",
    "first_year",
    "in_force",
    "is_current",
    "is_draft",
    "plan_level",
    "plan_title",
    "reason",
    "stage",
    "status_counts",
]
