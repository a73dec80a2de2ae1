"""qindex: how far a quality-strong-city (质量强市) plan is from its targets, and how places compare.

The functions an analyst uses, by step. Each takes and returns frames (or a result object whose parts are
frames) and says in its docstring which columns it returns; ``help(qindex.assess)`` shows it.

==========  ===================================================================================================
step        functions
==========  ===================================================================================================
catalogue   :func:`load_catalog`, :func:`targets`
data        :func:`load_panel`, :func:`series`, :func:`coverage`, :func:`read_observations`
progress    :func:`assess`, :func:`summarise`, :func:`project`
index       :func:`load_framework`, :func:`build_index`, :func:`quality_index`, :func:`uncertainty`,
            :func:`sensitivity`
reports     :func:`plan_report`, :func:`annual_report`, :func:`comparison_report`, :func:`index_report`,
            :func:`show`, :func:`save_tables`
runs        :func:`load_specs`, :func:`run`
==========  ===================================================================================================

The names load on first use, so ``import qindex`` (and the ``qindex`` command) stays quick.

Example
-------
>>> import qindex
>>> a = qindex.assess(qindex.load_panel(), qindex.targets("hangzhou-2022"), as_of=2022)
>>> qindex.summarise(a, by=("plan_id",))[["n_targets", "n_scored"]].values.tolist()
[[41, 7]]
"""

from __future__ import annotations

import importlib

from qindex.errors import QIndexError

__version__ = "0.1.0"

#: Each public name, by step, and the module that defines it.
FACE = {
    "catalogue": {"load_catalog": "qindex.catalog", "targets": "qindex.catalog"},
    "data": {
        "load_panel": "qindex.panel",
        "series": "qindex.panel",
        "coverage": "qindex.panel",
        "read_observations": "qindex.observations",
    },
    "progress": {
        "assess": "qindex.progress",
        "summarise": "qindex.progress",
        "project": "qindex.trend",
    },
    "index": {
        "load_framework": "qindex.composite.framework",
        "build_index": "qindex.composite.build",
        "quality_index": "qindex.city_index",
        "uncertainty": "qindex.composite.sensitivity",
        "sensitivity": "qindex.composite.sensitivity",
    },
    "reports": {
        "plan_report": "qindex.reports.plan",
        "annual_report": "qindex.reports.annual",
        "comparison_report": "qindex.reports.compare",
        "index_report": "qindex.reports.index",
        "show": "qindex.reports.text",
        "save_tables": "qindex.reports.text",
    },
    "runs": {"load_specs": "qindex.runner", "run": "qindex.runner"},
}
_WHERE = {name: module for names in FACE.values() for name, module in names.items()}

__all__ = ["QIndexError", *_WHERE]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value  # the next look-up is a plain attribute
        return value
    raise AttributeError(f"module 'qindex' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "FACE", "__version__"])
