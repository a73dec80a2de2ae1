"""Where a run's results live, and the one step that publishes them.

Every run writes into a new version folder, ``reports/.runs/<run>/<run_id>/`` with ``report/`` (HTML and
executed notebook) and ``data/`` (result tables and ``run.json``). Readers use two fixed links that both go
through one pointer:

- ``reports/<run>`` → ``.runs/<run>/current/report``
- ``data/processed/<run>`` → ``…/reports/.runs/<run>/current/data``
- ``reports/.runs/<run>/current`` → ``<run_id>``

Publishing is one ``os.replace`` of ``current``: at any instant the report and the data that readers see belong
to the same run, and the previous version stays whole until the switch. Earlier versions are kept as history
(the newest :data:`KEEP` complete ones).

A version is complete once it holds the file ``COMPLETE`` (written after everything else, before the switch).
:func:`recover`, run under the run's lock at the start of every run, removes what killed runs left behind:
incomplete versions, temporary links and folders, never the published version. :func:`run_lock` serialises two
runs of the same name with a lock file holding the holder's pid; a lock whose process is gone is taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from qindex import paths
from qindex.errors import PublishError
from qindex.store import guard

#: Complete versions kept per run (the published one included).
KEEP = 10
COMPLETE = "COMPLETE"
#: Written into a version once readers could see it (after the switch of ``current``, and into the version it
#: replaces): a complete version without it was never published and is neither listed nor kept.
PUBLISHED = "PUBLISHED"


def store(name: str) -> Path:
    """The folder holding every version of run ``name``."""
    return paths.REPORTS / ".runs" / name


def new_version(name: str) -> tuple[str, Path]:
    """A new, empty version folder with ``report/`` and ``data/``: ``(run_id, folder)``."""
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
    folder = store(name) / run_id
    _guard(name)
    (folder / "report").mkdir(parents=True)
    (folder / "data").mkdir()
    return run_id, folder


def publish(name: str, folder: Path) -> None:
    """Mark ``folder`` complete and make it the published version of run ``name`` in one step."""
    base = store(name)
    if folder.parent != base or not (folder / "report").is_dir() or not (folder / "data").is_dir():
        raise PublishError(f"{folder} is not a version folder of run {name}")
    (folder / COMPLETE).write_text(folder.name, encoding="utf-8")
    _fixed_link(paths.REPORTS / name, Path(".runs") / name / "current" / "report")
    _fixed_link(
        paths.DATA_PROCESSED / name,
        Path(os.path.relpath(base / "current" / "data", paths.DATA_PROCESSED)),
    )
    # what readers have seen keeps its mark (all of a store from before versions were marked): decided for
    # every version first, since the first mark written ends a store's "before marks"
    seen = [v for v in _versions(base) if v != folder and was_published(v)]
    for old in seen:
        (old / PUBLISHED).write_text(old.name, encoding="utf-8")
    tmp = base / f".current.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.name)
    os.replace(tmp, base / "current")  # the commit point
    (folder / PUBLISHED).write_text(folder.name, encoding="utf-8")
    _prune(base)


def published(name: str) -> Path | None:
    """The published version folder of run ``name``, or ``None``."""
    current = store(name) / "current"
    return current.resolve() if current.is_symlink() and current.resolve().is_dir() else None


def _versions(base: Path) -> list[Path]:
    """The complete version folders of a run's store."""
    if not base.is_dir():
        return []
    return [
        v for v in base.iterdir() if v.is_dir() and not v.is_symlink() and (v / COMPLETE).is_file()
    ]


def was_published(folder: Path) -> bool:
    """Whether readers could have seen a complete version: it is marked, it is ``current``, or it is in a store
    from before versions were marked (where every complete one was published)."""
    base = folder.parent
    current = base / "current"
    if (folder / PUBLISHED).is_file() or (
        current.is_symlink() and current.resolve() == folder.resolve()
    ):
        return True
    return not any((v / PUBLISHED).is_file() for v in _versions(base))


def recover(name: str) -> list[str]:
    """Remove what killed runs of ``name`` left behind (call under :func:`run_lock`); returns what went."""
    removed = []
    for folder in (paths.REPORTS, paths.DATA_PROCESSED):  # links half made by a killed first run
        for link in folder.glob(f".{name}.*.link") if folder.is_dir() else []:
            link.unlink(missing_ok=True)
            removed.append(link.name)
    base = store(name)
    if not base.is_dir():
        return removed
    keep = published(name)
    for entry in base.iterdir():
        if entry.name in ("current", "lock") or (keep is not None and entry.resolve() == keep):
            continue
        waiting = re.fullmatch(r"\.lock\.(\d+)\.tmp", entry.name)
        if waiting and _pid_alive(int(waiting.group(1))):  # a run of this name waiting for the lock
            continue
        if entry.is_symlink() or entry.is_file():  # a temporary pointer
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
        elif not (entry / COMPLETE).is_file() or not was_published(entry):
            # unfinished, or finished but killed before it was published: no reader ever saw it
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


@contextlib.contextmanager
def run_lock(name: str, poll: float = 0.5) -> Iterator[None]:
    """Hold the lock of run ``name``; wait while another live process holds it, take over a stale one."""
    base = store(name)
    _guard(name)
    base.mkdir(parents=True, exist_ok=True)
    lock = base / "lock"
    mine = base / f".lock.{os.getpid()}.tmp"
    mine.write_text(str(os.getpid()), encoding="utf-8")
    try:
        while True:
            try:
                os.link(mine, lock)  # creates the lock with the pid already in it, or fails
                break
            except (
                FileNotFoundError
            ):  # our pid file went (a run of this name cleaned up): write it again
                mine.write_text(str(os.getpid()), encoding="utf-8")
                continue
            except FileExistsError:
                if _holder_alive(lock):
                    time.sleep(poll)
                    continue
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
    finally:
        mine.unlink(missing_ok=True)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            if lock.read_text().strip() == str(os.getpid()):
                lock.unlink()


def _guard(name: str) -> None:
    """The runner's own writes go through the data/raw guard too (a ``reports`` link into data/raw)."""
    for place in (store(name) / "lock", paths.DATA_PROCESSED / name, paths.REPORTS / name):
        guard(place)


def _holder_alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip() or "0")
    except (FileNotFoundError, ValueError):
        return False
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fixed_link(path: Path, target: Path) -> None:
    """Make ``path`` a symlink to ``target`` (once; results of the old layout are moved into the store)."""
    if path.is_symlink():
        if os.readlink(path) == str(target):
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():  # a folder written before versioned runs: keep it beside the versions
        stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
        legacy = store(path.name) / f"00000000-legacy-{path.parent.name}-{stamp}"
        legacy.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, legacy)
        (legacy / COMPLETE).write_text("legacy", encoding="utf-8")
    path.symlink_to(target)


def _prune(base: Path) -> None:
    keep = (base / "current").resolve()
    versions = sorted(
        (
            p
            for p in base.iterdir()
            if p.is_dir() and not p.is_symlink() and (p / COMPLETE).is_file()
        ),
        key=lambda p: p.name,
    )
    for old in versions[:-KEEP]:
        if old.resolve() != keep:
            shutil.rmtree(old, ignore_errors=True)
