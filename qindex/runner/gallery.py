"""``reports/index.html``: the gallery of every report, latest run first, with each run's dated history.

Every published run (:mod:`qindex.runner.publish`) keeps its earlier complete versions under
``reports/.runs/<run>/<run_id>/``; the gallery links the current version of each run and its earlier ones, so
a rerun never hides the report it replaced. It reads what each version recorded: ``data/run.json`` (title,
time, language) and, when the notebook wrote one, ``data/summary.json`` (place, period, data cut-off, status
counts; see :func:`qindex.reports.text.save_summary`). The page is static HTML with no script and nothing loaded
from the network, written atomically after every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import html
import json
import os
from pathlib import Path

from qindex import paths
from qindex.runner import publish
from qindex.schema import STATUS_ZH

#: Status words shown in the gallery, in the house order of the plan reports.
STATUS_ORDER = tuple(STATUS_ZH.values())


def versions(name: str) -> list[dict]:
    """Complete versions of run ``name``, newest first: run_id, folder, html, record, summary, current."""
    base = publish.store(name)
    current = publish.published(name)
    out = []
    for folder in base.iterdir() if base.is_dir() else []:
        if folder.is_symlink() or not folder.is_dir() or not (folder / publish.COMPLETE).is_file():
            continue
        if not publish.was_published(folder):
            continue  # killed after it was complete and before it was published: no reader saw it
        pages = sorted((folder / "report").glob("*.html"))
        if not pages:
            continue
        record = _read_json(folder / "data" / "run.json")
        out.append(
            {
                "run_id": folder.name,
                "folder": folder,
                "html": pages[0],
                "record": record,
                "summary": _read_json(folder / "data" / "summary.json"),
                "current": current is not None and folder.resolve() == current,
                "started": record.get("started", ""),
            }
        )
    return sorted(out, key=lambda v: (v["started"], v["run_id"]), reverse=True)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _local(stamp: str) -> str:
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return ""
    return f"{when.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m-%d %H:%M}"


def runs() -> list[tuple[str, list[dict]]]:
    """Every published run with its complete versions (:func:`versions`), the most recently run first."""
    out = []
    store = paths.REPORTS / ".runs"
    for base in sorted(store.iterdir()) if store.is_dir() else []:
        if base.is_dir() and not base.name.startswith((".", "_")):
            vs = versions(base.name)
            if vs:
                out.append((base.name, vs))
    out.sort(key=lambda r: r[1][0]["started"], reverse=True)
    return out


def latest(vs: list[dict]) -> dict:
    """The published version of a run (the newest complete one when none is marked current)."""
    return next((v for v in vs if v["current"]), vs[0])


def _in_reports(name: str, version: dict) -> str:
    """A version's page, relative to ``reports/``: the run's own link for the published one."""
    root = paths.REPORTS
    if version["current"] and (root / name).is_symlink():
        return f"{name}/{version['html'].name}"
    return os.path.relpath(version["html"], root)


def _title(version: dict, name: str) -> str:
    return str(version["summary"].get("title") or version["record"].get("title") or name)


def _sweeps(listed: list[tuple[str, list[dict]]]) -> dict[str, list[tuple[str, dict]]]:
    """Runs swept from one params file (its ``params_file`` in run.json), when there are several: {run name:
    [(name, latest version) of every run of that sweep, in name order]}."""
    by_file: dict[str, list[tuple[str, dict]]] = {}
    for name, vs in listed:
        v = latest(vs)
        params = v["record"].get("params_file")
        if params and v["record"].get("parameters") is not None:
            by_file.setdefault(params, []).append((name, v))
    out = {}
    for members in by_file.values():
        if len(members) > 1:
            members = sorted(members)
            for name, _ in members:
                out[name] = members
    return out


def _sweep_row(members: list[tuple[str, dict]], link) -> str:
    """One row for the runs of a sweep: the titles' common part, then each run's own part as its link."""
    e = html.escape
    titles = [_title(v, name) for name, v in members]
    n = min(len(t) for t in titles)
    same = next((k for k in range(n) if len({t[k] for t in titles}) > 1), n)
    common = titles[0][:same]
    cut = max(common.rfind("·"), common.rfind(" "))
    head = common[:cut] if cut > 0 else common
    links = "、".join(
        f'<a href="{e(link(name, v))}" title="{e(t)}">{e(t[len(head) :].lstrip("· ") or t)}</a>'
        for (name, v), t in zip(members, titles, strict=True)
    )
    first = members[0][1]["summary"]
    started = max(v["started"] for _, v in members)
    return (
        "<tr>"
        f'<td class="t">{e(head or titles[0])}·各单位报告（{len(members)}份）：{links}</td>'
        f"<td>{len(members)}份</td>"
        f"<td>{e(str(first.get('period', '')))}</td>"
        f"<td>{e(str(first.get('data_to', '')))}</td>"
        f"<td>{e(_local(started))}</td>"
        '<td class="s">见各报告</td>'
        '<td class="h">见各报告的运行记录</td>'
        "</tr>"
    )


def build(link=_in_reports, found=None, history: bool = True) -> str:
    """The gallery page as HTML text.

    ``link(name, version)`` gives the address of a version's page relative to the page (default: inside
    ``reports/``); ``found`` the runs to list (default :func:`runs`); ``history`` false leaves earlier versions
    out (a shared set of the latest reports only).
    """
    listed = runs() if found is None else found
    e = html.escape
    rows = []
    sweeps = _sweeps(listed)
    shown: set[str] = set()
    for name, vs in listed:
        group = sweeps.get(name)
        if group is not None:  # the runs of one sweep (a page per unit): one row, a link per run
            if group[0][0] not in shown:
                shown.add(group[0][0])
                rows.append(_sweep_row(group, link))
            continue
        latest_version = latest(vs)
        rec, summ = latest_version["record"], latest_version["summary"]
        link_to = link(name, latest_version)
        counts = summ.get("statuses") or {}
        status = "、".join(
            f"{k} {counts[k]}"
            for k in (*STATUS_ORDER, *(c for c in counts if c not in STATUS_ORDER))
            if counts.get(k)
        )
        older = " ".join(
            f'<a href="{e(link(name, v))}">{e(_local(v["started"]) or v["run_id"])}</a>'
            for v in (vs if history else ())
            if v is not latest_version
        )
        edition = " (English)" if rec.get("language") == "en" else ""
        rows.append(
            "<tr>"
            f'<td class="t"><a href="{e(link_to)}">{e(summ.get("title") or rec.get("title") or name)}</a>{e(edition)}</td>'
            f"<td>{e(summ.get('place', ''))}</td>"
            f"<td>{e(summ.get('period', ''))}</td>"
            f"<td>{e(str(summ.get('data_to', '')))}</td>"
            f"<td>{e(_local(latest_version['started']))}</td>"
            f'<td class="s">{e(status) or e(summ.get("headline", ""))}</td>'
            f'<td class="h">{older or "—"}</td>'
            "</tr>"
        )
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    kept = (
        f"每份报告保留最近 {publish.KEEP} 次生成的版本,“历史版本”按生成时间链接此前的版本。"
        if history
        else "只含各报告的最新版本。"
    )
    table = (
        "<table><thead><tr><th>报告</th><th>地区</th><th>规划期/年度</th><th>数据截至</th>"
        "<th>生成时间</th><th>目标状态(项)</th><th>历史版本</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        if rows
        else "<p>尚无报告。运行 <code>make report</code> 或 <code>qindex run --all</code> 生成。</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>质量强市监测评估报告目录</title>
<style>
body {{ font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", sans-serif; max-width: 1280px; margin: 2em auto;
  padding: 0 1em; color: #1f2328; line-height: 1.6; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #d0d7de; padding: 6px 8px; text-align: left; vertical-align: top;
  white-space: nowrap; }}
td.t, td.s, td.h {{ white-space: normal; }}
th {{ background: #f6f8fa; }}
.note {{ color: #57606a; font-size: 13px; }}
</style>
</head>
<body>
<h1>质量强市监测评估报告目录</h1>
<p class="note">共 {len(listed)} 份报告,最近生成的在前;{kept}本页更新于 {now:%Y-%m-%d %H:%M}(UTC+8)。</p>
{table}
</body>
</html>
"""


def write_index() -> Path:
    """Write ``reports/index.html`` atomically (one writer at a time); returns its path."""
    root = paths.REPORTS
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / ".runs" / ".gallery.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for stale in root.glob(
                ".index.*.tmp"
            ):  # left by a run killed while writing (we hold the lock)
                stale.unlink(missing_ok=True)
            page = build()
            target = root / "index.html"
            tmp = root / f".index.{os.getpid()}.tmp"
            tmp.write_text(page, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(lock, fcntl.LOCK_UN)
    return target
