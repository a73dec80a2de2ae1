"""Sharing: the published reports as a set that survives being copied, zipped or put on an intranet server.

``reports/`` reaches each report through a symbolic link and a hidden ``.runs/`` folder, which a copy to a
Windows share, many zip tools and e-mail attachments drop. :func:`share` writes the same reports as plain files
and folders with plain relative links, ASCII names only (they survive any zip tool and any code page; the
Chinese titles are inside the pages), nothing whose name starts with a dot and no link of any kind::

    index.html                          报告目录: every report with its place, period and history
    readme.txt                          what the set is, in Chinese, and when it was made
    <run>/<run>.html                    the current version of each report
    <run>/history/<run id>/<run>.html   its earlier versions (not with ``latest_only``)
    <run>/data/*.csv, run.json          its result tables (UTF-8 with BOM) and run record, with ``with_data``
    <run>/<run>.ipynb                   the executed notebook, with ``with_notebooks``

A folder is replaced whole (the new set is written beside it, then renamed into place), and only a folder that
an earlier :func:`share` wrote: any other non-empty folder is refused, never emptied. A zip is written
atomically, with the set under one folder named like the zip.

Example
-------
>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "reports"
>>> shared = share(to=target)  # doctest: +SKIP
>>> sorted(p.name for p in target.iterdir())[:2]  # doctest: +SKIP
['annual-chengdu', 'annual-gongshu']
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from qindex import paths
from qindex.errors import ShareError
from qindex.runner import gallery
from qindex.store import atomic_write, guard

#: First line of ``readme.txt``: how :func:`share` knows a folder it wrote before.
MARK = "qindex share"
#: The default place of a shared set.
DEFAULT_DIR = "share"


@dataclass
class SharedSet:
    """What :func:`share` wrote: where, how many reports and versions, and every file, relative to the set."""

    where: Path
    reports: int
    versions: int
    files: list[str] = field(default_factory=list)


def share(
    to: Path | str | None = None,
    zip_file: Path | str | None = None,
    latest_only: bool = False,
    with_data: bool = False,
    with_notebooks: bool = False,
) -> SharedSet:
    """Write the published reports as a self-contained set: to a folder, or as a zip.

    Parameters
    ----------
    to : the folder of the set (default ``data/processed/share``); replaced whole when an earlier share wrote it.
    zip_file : write a zip instead (the set under one folder named like the zip, e.g. ``reports.zip`` →
        ``reports/``).
    latest_only : the current version of each report only, without the earlier ones.
    with_data : add each version's result tables (CSV, UTF-8 with BOM) and ``run.json``.
    with_notebooks : add each version's executed notebook.

    Returns
    -------
    SharedSet
        ``where`` (the folder or the zip), ``reports`` and ``versions`` written, ``files`` (relative paths).

    Raises
    ------
    ShareError
        nothing is published yet, ``to`` is a non-empty folder that no earlier share wrote, or both ``to`` and
        ``zip_file`` are given.
    """
    if to is not None and zip_file is not None:
        raise ShareError("share to a folder or to a zip file, not both")
    found = gallery.runs()
    if not found:
        raise ShareError(
            f"nothing to share: no published report under {paths.relative(paths.REPORTS)} "
            "(run `make report` or `qindex run --all` first)"
        )
    with tempfile.TemporaryDirectory(prefix="qindex-share-") as tmp:
        staged = Path(tmp) / "set"
        files, n_versions = _stage(staged, found, latest_only, with_data, with_notebooks)
        if zip_file is not None:
            where = Path(zip_file)
            _write_zip(staged, where, files)
        else:
            where = Path(to) if to is not None else paths.DATA_PROCESSED / DEFAULT_DIR
            _replace_folder(staged, where)
    return SharedSet(where, len(found), n_versions, files)


def _stage(
    root: Path, found: list, latest_only: bool, with_data: bool, with_notebooks: bool
) -> tuple[list[str], int]:
    """Copy the chosen versions into ``root`` as plain files; write the gallery and the readme."""
    places: dict[tuple[str, str], str] = {}
    n = 0
    for name, vs in found:
        current = gallery.latest(vs)
        for v in vs:
            if latest_only and v is not current:
                continue
            folder = Path(name) if v is current else Path(name) / "history" / v["run_id"]
            places[(name, v["run_id"])] = (folder / v["html"].name).as_posix()
            _copy_version(v, root / folder, with_data, with_notebooks)
            n += 1

    def link(name: str, version: dict) -> str:
        return places[(name, version["run_id"])]

    page = gallery.build(link=link, found=found, history=not latest_only)
    (root / "index.html").write_text(page, encoding="utf-8")
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    (root / "readme.txt").write_text(
        f"{MARK}\n"
        "质量强市监测评估报告(共享副本)\n\n"
        "用浏览器打开 index.html(报告目录),点击报告名称阅读各报告;“历史版本”是此前生成的版本。\n"
        "各报告为独立的 HTML 文件,不需联网,可整个文件夹复制、压缩或放到内网服务器上。\n"
        f"{'各报告文件夹中的 data 为结果表(CSV)和运行记录。' if with_data else ''}\n"
        f"生成时间:{now:%Y-%m-%d %H:%M}(UTC+8)。\n",
        encoding="utf-8",
    )
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    _check_plain(root, files)
    return files, n


def _copy_version(version: dict, dest: Path, with_data: bool, with_notebooks: bool) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    html = version["html"]
    shutil.copyfile(html, dest / html.name)  # follows links: a plain file
    if with_notebooks:
        for nb in sorted(html.parent.glob("*.ipynb")):
            shutil.copyfile(nb, dest / nb.name)
    if with_data:
        data = version["folder"] / "data"
        (dest / "data").mkdir(exist_ok=True)
        for f in [*sorted(data.glob("*.csv")), data / "run.json"]:
            if f.is_file() and not f.name.startswith("."):
                shutil.copyfile(f, dest / "data" / f.name)


def _check_plain(root: Path, files: list[str]) -> None:
    """Every name plain ASCII without a leading dot, and nothing a link: what a zip or a share keeps."""
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink() or any(part.startswith(".") for part in p.relative_to(root).parts):
            raise ShareError(f"internal error: {rel} is a link or a dot-name in the shared set")
        if not rel.isascii():
            raise ShareError(f"internal error: {rel} is not an ASCII name")


def _replace_folder(staged: Path, target: Path) -> None:
    target = target.absolute()
    guard(target)
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir():
            raise ShareError(f"{target} is not a folder; name a folder to share to")
        readme = target / "readme.txt"
        ours = readme.is_file() and readme.read_text(encoding="utf-8").startswith(MARK)
        if any(target.iterdir()) and not ours:
            raise ShareError(
                f"{target} holds files that qindex share did not write; name an empty or new folder "
                "(nothing was changed)"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"{target.name}.new-", dir=target.parent))
    try:
        for item in staged.iterdir():
            shutil.move(str(item), fresh / item.name)
        os.chmod(fresh, 0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{target.name}.old-", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)  # the set readers see is whole before and after
            os.rename(fresh, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(fresh, target)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise


def _write_zip(staged: Path, zip_path: Path, files: list[str]) -> None:
    top = zip_path.stem or "reports"

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for rel in files:
                # zipfile sets the UTF-8 flag for a name that is not ASCII (a Chinese zip file name)
                z.write(staged / rel, f"{top}/{rel}")

    atomic_write(zip_path, write)


__all__ = ["ShareError", "SharedSet", "share"]
