"""Composite indicators the way the literature builds them (OECD/JRC Handbook 2008; COINr): a framework
declared as data, then denominate → impute → screen → treat → normalise → weight → aggregate, every stage kept.

Example
-------
>>> from qindex.composite import build_index, load_framework   # doctest: +SKIP
"""

from qindex.composite.build import IndexResult, build_index, effective_weights
from qindex.composite.framework import (
    Framework,
    SpecError,
    framework_from_dict,
    framework_from_imeta,
    load_framework,
)

__all__ = [
    "Framework",
    "IndexResult",
    "SpecError",
    "build_index",
    "effective_weights",
    "framework_from_dict",
    "framework_from_imeta",
    "load_framework",
]
