"""Writing outputs: atomically (temporary file, then rename), never under data/raw/."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.errors import WriteError


def atomic_write(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    A failure inside ``write`` leaves ``path`` as it was (absent or the previous version) and removes the
    temporary file. Refuses any path inside ``data/raw/``, which is read-only input.
    """
    path = Path(path)
    guard(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600; outputs are for sharing
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return path


def guard(path: Path | str) -> None:
    """Refuse a path that is, or whose folder is, inside a ``data/raw/``: the configured one
    (``QINDEX_DATA_RAW``) and the project's own. The folder is checked as well as the target, so that a symlink
    in ``data/raw/`` pointing elsewhere cannot be replaced through its folder.
    """
    path = Path(path)
    roots = {paths.DATA_RAW.resolve(), (paths.ROOT / "data" / "raw").resolve()}
    for place in (path.resolve(), path.absolute().parent.resolve()):
        for raw in roots:
            if place == raw or raw in place.parents:
                raise WriteError(
                    f"{path}: refusing to write inside data/raw/ (inputs are read-only)"
                )


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` as UTF-8 with BOM (so Excel shows Chinese), atomically."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
