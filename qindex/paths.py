"""Project folders, resolved from the package location and never from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the project: the checkout (the folder holding ``pyproject.toml``), or ``QINDEX_ROOT`` when the
#: package is installed as a wheel (e.g. on cluster workers) and the data, notebooks, params and reports live in
#: a project folder elsewhere, typically on a shared file system.
ROOT = (
    Path(os.environ["QINDEX_ROOT"]).resolve()
    if os.environ.get("QINDEX_ROOT")
    else Path(__file__).resolve().parent.parent
)
#: Read-only inputs. ``QINDEX_DATA_RAW`` points a run at another copy (used by tests).
DATA_RAW = Path(os.environ.get("QINDEX_DATA_RAW", ROOT / "data" / "raw"))
#: Plan texts, the provenance of every target.
SOURCES = DATA_RAW / "sources"
#: Published observations, one CSV per topic.
OBSERVATIONS = DATA_RAW / "observations"
#: Outputs of runs.
DATA_PROCESSED = ROOT / "data" / "processed"
#: Executed notebooks and HTML.
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params"


def relative(path) -> str:
    """A path as shown to people: relative to the project root when inside it, else as given."""
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except (ValueError, OSError, RuntimeError):  # outside the project, or a link that loops
        return str(path)


def file_stamp(*places: Path) -> tuple:
    """Names, sizes and times of the files in ``places``: a new or changed file reloads the cache."""
    out = []
    for place in places:
        items = sorted(place.iterdir()) if place.is_dir() else [place]
        for p in items:
            try:
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((str(p), -1, -1))
    return tuple(out)
