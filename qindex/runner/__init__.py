"""Runs: a params file becomes a published report.

The steps, one module each: :mod:`~qindex.runner.params` (read and validate ``params/<run>.yaml`` into
:class:`RunSpec`), :mod:`~qindex.runner.execute` (run the notebook on a fresh kernel: :func:`run`),
:mod:`~qindex.runner.render` (the HTML people read, with its run record), :mod:`~qindex.runner.provenance`
(what the run was made from: ``run.json``), :mod:`~qindex.runner.publish` (report and data published together,
atomically), :mod:`~qindex.runner.gallery` (the page listing every report) and :mod:`~qindex.runner.batch`
(many runs at once on a Dask cluster).

Example
-------
>>> [s.name for s in load_specs(paths.PARAMS / "gongshu-2025.yaml")]
['gongshu-2025']
"""

import sys

# nbformat validates notebooks with jsonschema, whose format checkers build the IRI grammar of rfc3987_syntax
# when jsonschema is imported: 0.8–1.9 s of every run's start-up, for a check (the "iri" string format) that
# the notebook schema never makes. Marked absent before nbformat is first imported, jsonschema leaves that one
# checker out (it imports each optional checker under ``suppress(ImportError)``); nothing qindex runs checks
# IRIs. A process that imported it already keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from qindex import paths  # noqa: E402
from qindex.errors import ParamsError, RunError  # noqa: E402
from qindex.runner.execute import RunResult, run  # noqa: E402
from qindex.runner.params import RunSpec, load_spec, load_specs, notebook_parameters, params_files  # noqa: E402
from qindex.runner.provenance import check_committed, lock_record, locked_versions, notebook_state  # noqa: E402

__all__ = [
    "ParamsError",
    "RunError",
    "RunResult",
    "RunSpec",
    "check_committed",
    "load_spec",
    "load_specs",
    "lock_record",
    "locked_versions",
    "notebook_parameters",
    "notebook_state",
    "params_files",
    "paths",
    "run",
]
