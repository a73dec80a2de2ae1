"""Rendering: the executed notebook becomes the report people read. The run record is added as a collapsed
附录 (run id, notebook state, every parameter with its default, SHA-256 of every input, versions, the lock), the
code is hidden, and the page is checked to load nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import html as htmllib
import html.parser as htmllib_parser
import re
from pathlib import Path

from qindex.errors import RunError
from qindex.runner.params import LANGUAGES, RunSpec
from qindex.runner.provenance import NOTEBOOK_STATES

#: Headings and labels of the run record (附录), per edition.
RECORD_TEXT = {
    "zh": {
        "heading": "附录 运行信息",
        "lead": "本报告由 qindex 按下列参数从下列数据自动生成;以下信息供核查和复现,阅读报告无需查看。",
        "summary": "展开运行记录(运行编号、参数、数据文件及其 SHA-256 校验值、软件版本)",
        "run": "运行",
        "run_id": "运行编号",
        "time": "运行时间",
        "notebook": "笔记本",
        "state": "笔记本状态",
        "commit": "代码版本(git)",
        "params": "参数(含默认值)",
        "param": "参数",
        "value": "取值",
        "from": "来自",
        "help": "说明",
        "given": "参数文件",
        "default": "默认值",
        "files": "输入文件",
        "file": "文件",
        "office": "其中内部数据文件",
        "versions": "软件版本",
        "package": "软件包",
        "version": "版本",
        "none": "无",
        "lock": "软件环境",
        "lock_ok": "与锁定文件 {file} 一致(SHA-256 {hash}…)",
        "lock_off": "与锁定文件 {file}(SHA-256 {hash}…)有 {n} 个软件包版本不同:{which}",
    },
    "en": {
        "heading": "Appendix: run record",
        "lead": "qindex generated this report from the data and parameters below; the record is for checking "
        "and reproducing the report, not needed to read it.",
        "summary": "Show the run record (run id, parameters, data files with SHA-256, software versions)",
        "run": "Run",
        "run_id": "Run id",
        "time": "Run time",
        "notebook": "Notebook",
        "state": "Notebook state",
        "commit": "Code version (git)",
        "params": "Parameters (defaults included)",
        "param": "Parameter",
        "value": "Value",
        "from": "From",
        "help": "Meaning",
        "given": "params file",
        "default": "default",
        "files": "Input files",
        "file": "File",
        "office": "of which office files",
        "versions": "Software versions",
        "package": "Package",
        "version": "Version",
        "none": "none",
        "lock": "Software environment",
        "lock_ok": "as locked in {file} (SHA-256 {hash}…)",
        "lock_off": "{n} packages differ from the lock {file} (SHA-256 {hash}…): {which}",
    },
}


STATE_EN = {
    "committed": "as committed",
    "saved": "as committed (outputs and metadata saved by JupyterLab do not change a run)",
    "ran-committed": "with uncommitted changes; the committed version ran",
    "modified": "with uncommitted changes (run with --allow-modified)",
    "untracked": "not committed (run with --allow-modified)",
    "unknown": "cannot tell (not a git checkout)",
}


def record_cell(spec: RunSpec, record: dict):
    """The run record as the report's last section: a collapsed block, so that readers see the report and
    checkers find everything (the ids, parameters and hashes belong here and nowhere else)."""
    import nbformat

    t = RECORD_TEXT[spec.language]
    e = htmllib.escape
    started = dt.datetime.fromisoformat(record["started"]).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    state = record["notebook_state"]
    state_text = NOTEBOOK_STATES[state] if spec.language == "zh" else STATE_EN[state]

    def table(head, rows):
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    params = [
        (
            k,
            v,
            t["given"] if k in spec.parameters else t["default"],
            spec.declared.get(k, {}).get("help", ""),
        )
        for k, v in record["effective_parameters"].items()
    ]
    office = record.get("office_files") or []
    facts = [
        (t["run"], spec.name),
        (t["run_id"], record["run_id"]),
        (t["time"], f"{started:%Y-%m-%d %H:%M} (UTC+8)"),
        (t["notebook"], record["notebook"]),
        (t["state"], state_text),
        (t["commit"], record.get("git_commit") or t["none"]),
        (t["office"], ", ".join(office) or t["none"]),
        (t["lock"], _lock_text(record, t)),
    ]
    body = (
        f"<p>{e(t['lead'])}</p>"
        f'<details class="qindex-run-record" id="qindex-run-record"><summary>{e(t["summary"])}</summary>'
        + table(("", ""), facts)
        + f"<h4>{e(t['params'])}</h4>"
        + table((t["param"], t["value"], t["from"], t["help"]), params)
        + f"<h4>{e(t['files'])}</h4>"
        + table((t["file"], "SHA-256"), sorted(record["inputs_sha256"].items()))
        + f"<h4>{e(t['versions'])}</h4>"
        + table(
            (t["package"], t["version"]),
            [("python", record["python"]), *((k, v or "") for k, v in record["packages"].items())],
        )
        + "</details>"
    )
    cell = nbformat.v4.new_markdown_cell(f"## {t['heading']}\n\n{body}")
    cell.metadata["tags"] = ["qindex-run-record"]
    return cell


def _lock_text(record: dict, t: dict) -> str:
    if not record.get("lock_sha256"):
        return t["none"]
    off = record.get("lock_mismatches") or {}
    fmt = {"file": record["lock_file"], "hash": record["lock_sha256"][:12], "n": len(off)}
    if not off:
        return t["lock_ok"].format(**fmt)
    which = ", ".join(
        f"{k} {v['installed'] or '—'}≠{v['locked']}" for k, v in sorted(off.items())[:5]
    ) + (" …" if len(off) > 5 else "")
    return t["lock_off"].format(which=which, **fmt)


def render_html(nb, title: str, language: str = "zh") -> str:
    """Self-contained HTML for readers: no code, no prompts, parameters cells and the other edition's cells
    removed, images inline with alt text, ``lang`` set, nothing loaded from the network (see
    ``qindex/templates/qindex_html``)."""
    alt = "图表" if language == "zh" else "chart"
    body, _ = _exporter(language).from_notebook_node(
        nb, resources={"metadata": {"name": title}, "figure_alt": alt}
    )
    return body


def prepare(language: str = "zh") -> None:
    """Build the exporter of ``language`` and compile its templates now (a run does it while its kernel
    starts), so that the run's own export does not pay for it."""
    import nbformat

    render_html(nbformat.v4.new_notebook(), "", language)


@functools.cache
def _exporter(language: str):
    """One exporter per edition, kept for the process: its templates are compiled once, not once per run
    (an exporter holds no state from one notebook to the next)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    other = {"zh": "lang-en", "en": "lang-zh"}[language]
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {
        "injected-parameters",
        "parameters",
        "remove-cell",
        "notebook-intro",
        other,
    }
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    exporter = HTMLExporter(
        config=c,
        template_name="qindex_html",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
    )
    exporter.language_code = LANGUAGES[language]
    return exporter


#: What would make a browser go to the network while opening a report.
NETWORK = re.compile(
    r"<script\b|<link\b[^>]*\bhref=[\"']?(?:https?:)?//|\bsrc=[\"']?(?:https?:)?//|"
    r"@import|url\(\s*[\"']?(?:https?:)?//",
    re.I,
)


def network_references(page: str) -> list[str]:
    """Scripts and anything loaded from the network (links a reader clicks are not loads)."""
    return [m.group(0) for m in NETWORK.finditer(page)]


class _LiveMarkup(htmllib_parser.HTMLParser):
    """Collects what would run in a reader's browser: event-handler attributes and ``javascript:`` addresses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            address = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.lower().startswith("on") or address.startswith(("javascript:", "vbscript:")):
                self.found.append(f"<{tag} {name}={(value or '')[:40]!r}>")


def live_markup(page: str) -> list[str]:
    """Event handlers (``onerror=`` …) and ``javascript:`` addresses in the page's tags (escaped text is not
    markup and is not counted)."""
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    return parser.found


def check_offline(page: str, name: str) -> None:
    """Refuse a page that would load anything from the network or run anything in the reader's browser."""
    found = network_references(page)
    if found:
        raise RunError(
            f"run {name}: the rendered HTML would load {found[:3]} (scripts or network resources); reports "
            "must open offline. The published results were not changed."
        )
    live = live_markup(page)
    if live:
        raise RunError(
            f"run {name}: the rendered HTML holds markup that would run in a reader's browser {live[:3]} "
            "(text from an input reached the page unescaped). The published results were not changed."
        )
