"""Schema: the columns of the catalogue's CSV files and of an assessment, spelled once.

The catalogue (:mod:`qindex.catalog`) requires the :data:`REQUIRED` columns of each file and reads the others
when present; a file written by qindex (a draft of :mod:`qindex.extract`) has the :data:`FILE_COLUMNS`, in that
order; :func:`qindex.progress.assess` returns :data:`ASSESSMENT_COLUMNS` then :data:`ASSESSMENT_EXTRA`, and each of
its rules fills :data:`RULE_COLUMNS`.
``data/raw/README.md`` says what each column means.

Example
-------
>>> FILE_COLUMNS["targets"][:3]
['target_id', 'plan_id', 'indicator_id']
"""

from __future__ import annotations

#: Columns each catalogue file must have (the catalogue reads others, such as ``scope`` or ``note``, when present).
REQUIRED = {
    "jurisdictions": ["jurisdiction_id", "name_zh", "name_en", "level", "parent_id"],
    "indicators": [
        "indicator_id",
        "name_zh",
        "name_en",
        "unit",
        "direction",
        "domain",
        "lower_limit",
        "upper_limit",
        "definition",
    ],
    "plans": [
        "plan_id",
        "jurisdiction_id",
        "title_zh",
        "issued",
        "base_year",
        "target_year",
        "source_file",
    ],
    "targets": [
        "target_id",
        "plan_id",
        "indicator_id",
        "target_type",
        "comparator",
        "target_value",
        "target_year",
        "base_year",
        "base_value",
        "quote",
        "source_file",
    ],
}

#: Columns of the files as shipped, in their order: the required ones with the optional ones in place.
FILE_COLUMNS = {
    "jurisdictions": REQUIRED["jurisdictions"],
    "indicators": [*REQUIRED["indicators"], "definition_zh", "data_holder", "aliases"],
    "plans": [*REQUIRED["plans"][:3], "title_en", *REQUIRED["plans"][3:]],
    "targets": [
        *REQUIRED["targets"][: REQUIRED["targets"].index("quote")],
        "scope",
        *REQUIRED["targets"][REQUIRED["targets"].index("quote") :],
        "note",
        "caveat",
        # a relative target ("低于全国平均水平", "不低于GDP增幅"): what it is compared with
        "benchmark_jurisdiction_id",
        "benchmark_indicator_id",
    ],
}

#: Columns of an assessment (:func:`qindex.progress.assess`): the target, its evidence and its verdict.
ASSESSMENT_COLUMNS = [
    "target_id",
    "plan_id",
    "jurisdiction_id",
    *REQUIRED["targets"][2 : REQUIRED["targets"].index("quote")],
    "latest_year",
    "latest_value",
    "gap",
    "completion_ratio",
    "completion_capped",
    "progress_ratio",
    "elapsed_share",
    "status",
    "status_zh",
    "growth_ratio",
    "growth_category",
    "projected_value",
    "projected_lower",
    "projected_upper",
    "p_target_met",
    "model",
    "note",
]
#: Columns after :data:`ASSESSMENT_COLUMNS`, for reports.
ASSESSMENT_EXTRA = [
    "name_zh",
    "unit",
    "direction",
    "domain",
    "n_points",
    "latest_source",
    "rank",
    "n_peers",
    "ranking",
    "judged_year",
    "inferred",
    "base_stated",
    "fit_from",
    "fit_to",
    "note_en",
    "benchmark_zh",  # a relative target's benchmark in words (全国平均水平, 本地GDP增长); else empty
]
#: Columns each rule of :mod:`qindex.progress` fills (the rest come from the catalogue or the projection).
RULE_COLUMNS = [
    "base_year",
    "base_value",
    "latest_year",
    "latest_value",
    "gap",
    "completion_ratio",
    "progress_ratio",
    "elapsed_share",
    "status",
    "growth_ratio",
    "n_points",
    "latest_source",
    "rank",
    "n_peers",
    "ranking",
    "judged_year",
    "inferred",
    "note",
    "note_en",
]

#: The status of an assessed target in Chinese, in the order of tables and charts (``qindex.progress``
#: documents what each means). Here, with the columns, so that the gallery of reports reads it without
#: importing the assessment and its statistics.
STATUS_ZH = {
    "achieved": "已达标",
    "ahead": "快于序时进度",
    "behind": "滞后于序时进度",
    "regressing": "未有进展或倒退",
    "met": "已完成",
    "missed": "未完成",
    "baseline_only": "仅有基期值",
    "not_comparable": "口径不一致",
    "unconfirmed": "待核实",
    "not_assessable": "无法评估",
    "not_scored": "不评分",
}

#: Projection models of :func:`qindex.trend.project` (a run's ``model`` parameter is checked against them).
MODELS = ("linear", "loglinear", "logit", "holt")
