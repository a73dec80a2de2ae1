"""Uncertainty and sensitivity analysis of an index (OECD/JRC Handbook step 7; COINr ``get_sensitivity``).

One module per step, as SALib keeps spec, sampling and analysis apart: :mod:`.study` (the uncertain
assumptions, :func:`load_study`), :mod:`.engine` (the index rebuilt for many assumption sets at once),
:mod:`.montecarlo` (:func:`uncertainty`: rank intervals, in chunks here or on a Dask cluster) and :mod:`.sobol`
(:func:`sensitivity`: first-order and total Sobol indices; :func:`drop_one`).

Example
-------
>>> from qindex.composite import framework_from_dict
>>> import pandas as pd
>>> fw = framework_from_dict({"indicators": [{"code": "a", "parent": "idx"},
...     {"code": "b", "parent": "idx", "direction": -1}], "aggregates": [{"code": "idx"}]})
>>> data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 3, 4, 1, 2]}, index=list("pqrst"))
>>> study = load_study({"assumptions": [{"name": "w", "kind": "weights", "noise": 0.25}]}, fw)
>>> uncertainty(data, fw, study, n=64).rank_stats.columns[:2].tolist()
['nominal_rank', 'median_rank']
"""

from qindex.composite.sensitivity.montecarlo import (
    UncertaintyResult,
    replicate,
    run_replications,
    uncertainty,
)
from qindex.composite.sensitivity.sobol import (
    SensitivityResult,
    drop_one,
    reference_ranks,
    saltelli_design,
    sensitivity,
    sobol_indices,
)
from qindex.composite.sensitivity.study import Assumption, Study, load_study

__all__ = [
    "Assumption",
    "SensitivityResult",
    "Study",
    "UncertaintyResult",
    "drop_one",
    "load_study",
    "reference_ranks",
    "replicate",
    "run_replications",
    "saltelli_design",
    "sensitivity",
    "sobol_indices",
    "uncertainty",
]
