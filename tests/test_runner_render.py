"""Every params file rendered: reports for people (Chinese first, self-contained, no code), their results, provenance and the gallery."""

from __future__ import annotations

import json
import re
import warnings

import nbformat
import pytest

from qindex import paths
from qindex.observations import COLUMNS
from qindex.runner import load_spec, load_specs, params_files, run
from qindex.sources import CITATION_COLUMNS


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Run every params file once (module scope: about 20 s in all)."""
    tmp = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "REPORTS", tmp / "reports")
    mp.setattr(paths, "DATA_PROCESSED", tmp / "processed")
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for f in params_files():
            # allow_modified: the suite also runs in a working copy with notebook edits (CI runs a clean clone);
            # a sweep (the 考核 unit pages) by its first run: the whole sweep runs on Dask in test_dask
            spec = load_specs(f)[0]
            results[f.stem] = run(spec, progress_bar=False, allow_modified=True)
    yield tmp, results
    mp.undo()


#: What each kind of report must show: its sections, in the structure of real 质量发展状况报告 / 中期评估.
SECTIONS = {
    "plan_progress": [
        "总体评价",
        "一、目标完成情况",
        "基期值",
        "序时进度",
        "责任单位",
        "二、各指标走势",
        "三、分领域情况",
        "四、重点任务与责任单位",
        "五、存在问题",
        "六、数据需求",
        "附录",
        "数据来源",
        "方法说明",
    ],
    "quality_index": [
        "总体说明",
        "一、各地得分与数据覆盖",
        "二、得分及支柱贡献",
        "三、指数走势",
        "四、排名的不确定性与敏感性",
        "五、指标相关性",
        "附录",
        "数据可得性与沿用值",
    ],
    "plan_comparison": ["总体判断", "共同指标", "目标与最新值", "进取程度", "数据来源"],
    "kaohe": [
        "一、考核结果",
        "名次区间",
        "等级不变的比例",
        "二、失分分析",
        "三、各部分得分分布",
        "四、计分方式对结果的影响",
        "五、扣分、加分和一票否决",
        "考核细则",
        "数据来源与方案依据",
        "方法说明",
    ],
    "kaohe_unit": [
        "一、各部分得分与全部单位中位数",
        "二、失分最多的指标",
        "三、怎样提高等级",
        "逐项得分",
        "方法说明",
    ],
    "annual_report": [
        "一、总体情况",
        "二、分领域情况",
        "产品质量",
        "工程质量",
        "服务质量",
        "环境质量",
        "产业质量效益",
        "质量基础与品牌",
        "三、规划目标进展",
        "四、对照上级方案",
        "五、存在问题",
        "六、下一年度工作重点",
        "附录",
        "外部评价与排名",
        "数据需求",
        "本级在实施规划的指标表",
        "数据来源",
        "方法说明",
    ],
}


def visible_text(html: str) -> str:
    """What a reader sees, without the collapsed run record (which names ids, parameters and hashes)."""
    body = html.split("<body", 1)[1]
    body = re.sub(r'<details class="qindex-run-record".*?</details>', "", body, flags=re.S)
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("name", [f.stem for f in params_files()])
def test_rendered_html_is_a_report_for_people(rendered, name):
    _, results = rendered
    html = results[name].html.read_text(encoding="utf-8")
    spec = load_specs(paths.PARAMS / f"{name}.yaml")[0]
    assert (
        results[name].html.name == f"{spec.name}.html"
    )  # named after its run (a sweep's: its first)
    body = re.sub(
        r"<(script|style)\b.*?</\1>", "", html, flags=re.S
    )  # drop the template's own code
    assert "Traceback" not in body and "Error" not in body
    assert "vnd.jupyter.stderr" not in body  # no warnings printed into a report for readers
    assert "jp-CodeMirrorEditor" not in body and "jp-InputPrompt" not in body  # no code, no prompts
    assert "plan_report(" not in html and "injected-parameters" not in html
    assert "qindex-table" in html  # tables rendered
    kind = load_specs(paths.PARAMS / f"{name}.yaml")[0].notebook.stem
    for section in SECTIONS[kind]:
        assert section in html, section
    assert "data:image/png;base64," in html  # charts embedded
    # the run record is the last section, collapsed; the first screen is the report itself
    assert "附录 运行信息" in html and 'class="qindex-run-record"' in html
    assert html.index('class="qindex-run-record"') > html.index('class="qindex-table"')
    assert len(re.findall(r"[\u4e00-\u9fff]", html)) > 200  # Chinese as characters, not \u escapes
    assert "\\u" not in html.split("<body", 1)[1][:20000]


@pytest.mark.parametrize("name", [f.stem for f in params_files()])
def test_chinese_edition_is_chinese_self_contained_and_names_things(rendered, name):
    """lang="zh-CN" with a CJK font stack; nothing loaded from the network (no script at all); no English
    doubled headings; no catalogue id in the visible text; every chart has Chinese alt text."""
    from qindex.catalog import load_catalog
    from qindex.runner.render import network_references

    _, results = rendered
    html = results[name].html.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert "Noto Sans CJK SC" in html and "Microsoft YaHei" in html  # the page names CJK fonts
    assert network_references(html) == []
    assert "<script" not in html and "cdnjs" not in html and "MathJax" not in html
    text = visible_text(html)
    assert not re.search(r"[\u4e00-\u9fff]+ · [A-Z][a-z]+", text)  # no "总体进展 · Headline"
    cat = load_catalog()
    ids = {
        *cat.targets.target_id,
        *cat.plans.plan_id,
        *cat.indicators.indicator_id,
        *(j for j in cat.jurisdictions.jurisdiction_id if "-" in j),
    }
    found = sorted(i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
    assert found == [], found
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert alts and all(re.search(r"[\u4e00-\u9fff]", a) for a in alts), alts[:3]
    assert all(a.startswith("图表:") and len(a) > 6 for a in alts), alts[:3]  # what the chart shows
    assert "No description has been provided" not in html


def test_no_rank_among_fewer_than_five_comparable_places(rendered):
    """The shipped data have 3 places with an index score in 2023, of 3 levels: no rank anywhere, one
    sentence why, in the index report and in the annual reports (reader review defect 2)."""
    _, results = rendered
    for name in ("quality_index", "annual-hangzhou", "annual-gongshu", "annual-chengdu"):
        text = visible_text(results[name].html.read_text(encoding="utf-8"))
        assert "排名 1" not in text and "组内排名" not in text, name
        assert not re.search(r"第\s*1\s*名\s*/\s*[234]\b", text), name
    text = visible_text(results["quality_index"].html.read_text(encoding="utf-8"))
    assert "没有一组达到5个可比地区" in text and "不排名" in text
    assert "排名的不确定性与敏感性分析从略" in text


def test_synthetic_example_is_marked_in_title_tables_and_charts(rendered):
    _, results = rendered
    html = results["example-gongshu-2025"].html.read_text(encoding="utf-8")
    assert html.count("示例数据") >= 3
    assert "<title>【示例数据】" in html
    table = (results["example-gongshu-2025"].processed / "target_table_zh.csv").read_text(
        encoding="utf-8-sig"
    )
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows and all(r["数据"] == "示例(合成)" for r in rows)


def test_results_and_provenance_are_written(rendered):
    _, results = rendered
    out = results["hangzhou-2022"].processed
    assert {p.name for p in out.iterdir()} == {
        "assessment.csv",
        "summary_by_domain.csv",
        "target_table_zh.csv",
        "office_values.csv",  # empty here: the suite reads no office files
        "precedence.csv",
        "data_requests.csv",
        "summary.json",
        "run.json",
    }
    assert (out / "assessment.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # utf-8-sig for Excel
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["parameters"] == {
        "plan_id": "hangzhou-2022",
        "as_of": 0,
        "model": "linear",
        "level": 0.95,
    }
    # every effective parameter, defaults included (reader review: the annex records what ran)
    assert record["effective_parameters"] == {
        "plan_id": "hangzhou-2022",
        "as_of": 0,
        "model": "linear",
        "level": 0.95,
        "synthetic": False,
        "example_seed": 0,
        "language": "zh",
    }
    assert record["notebook_state"] in ("committed", "modified")
    # the locked environment (make installs requirements.lock) and where the time went
    assert len(record["lock_sha256"]) == 64 and record["lock_file"] == "requirements.lock"
    assert record["lock_mismatches"] == {}
    t = record["timings_s"]
    assert set(t) == {
        "papermill",
        "first_cell",
        "other_cells",
        "kernel_start_and_papermill",
        "run_record",
        "html_export",
    }
    assert t["first_cell"] > 0 and t["papermill"] >= t["first_cell"] + t["other_cells"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["place"] == "杭州市" and sum(summary["statuses"].values()) > 30
    assert "data/raw/targets.csv" in record["inputs_sha256"]
    assert len(record["inputs_sha256"]["data/raw/targets.csv"]) == 64
    assert record["packages"]["pandas"] and record["started"] <= record["finished"]
    assert "git_commit" in record


def test_executed_notebook_keeps_results(rendered):
    _, results = rendered
    nb = nbformat.read(results["hangzhou-2022"].notebook, as_version=4)
    assert "qindex-run-record" in nb.cells[-1].metadata.get("tags", [])
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_gallery_lists_every_run_latest_first_with_history(rendered):
    """reports/index.html: Chinese, every run with title, place and status counts, links that resolve, and a
    rerun keeps the earlier version reachable from the gallery."""
    tmp, results = rendered
    index = tmp / "reports" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<script" not in page
    for result in results.values():
        name = result.html.stem  # the run's name (a sweep's first run: its own name)
        link = f'href="{name}/{name}.html"'
        assert link in page, name
        assert (tmp / "reports" / name / f"{name}.html").is_file()
    assert "杭州市" in page and "无法评估" in page  # place and status counts from summary.json
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "REPORTS", tmp / "reports")
    mp.setattr(paths, "DATA_PROCESSED", tmp / "processed")
    try:
        run(load_spec(paths.PARAMS / "hangzhou-2025.yaml"), progress_bar=False, allow_modified=True)
    finally:
        mp.undo()
    page = index.read_text(encoding="utf-8")
    older = re.findall(r'href="(\.runs/hangzhou-2025/[^"]+\.html)"', page)
    assert (
        len(older) == 1 and (tmp / "reports" / older[0]).is_file()
    )  # the replaced report, still there
    rows = re.findall(r'<td class="t"><a href="([^"/]+)/', page)
    assert rows[0] == "hangzhou-2025"  # latest first


# ---------------------------------------------------------------- text from files people send is text


PAYLOAD = "<img src=x onerror=alert('{}')>"


def test_html_in_every_text_field_of_an_office_file_and_the_observations_stays_text(
    shipped_raw_copy, tmp_path, monkeypatch
):
    """Reliability review N1: an office file's name, its 数据来源 and 备注 cells, and the source, quote and note of
    published observations all reach the report; every one is shown as text, none as live markup."""
    from openpyxl import Workbook

    from qindex.runner.render import live_markup

    obs = shipped_raw_copy / "observations" / "gongshu.csv"
    rows = obs.read_text(encoding="utf-8").splitlines()
    # the layout the payload row follows: the reader's columns with the citation columns after the source
    assert rows[0].split(",") == [*COLUMNS[:6], *CITATION_COLUMNS, *COLUMNS[6:9]]
    payload_row = ",".join(
        [
            "CN-ZJ-HZ-GS",
            "digital_economy_share",
            "2020",
            "3.4",
            "%",
            '"' + PAYLOAD.format("obs-source") + ' http://example.org/a"',
            '"' + PAYLOAD.format("obs-title") + '"',
            '"' + PAYLOAD.format("obs-publisher") + '"',
            "2021",
            "yes",
            '"' + PAYLOAD.format("obs-quote") + ' 占GDP比重3.4%"',
            "",
            '"' + PAYLOAD.format("obs-note") + '"',
        ]
    )
    obs.write_text("\n".join([*rows, payload_row]) + "\n", encoding="utf-8")
    office = tmp_path / "office"
    office.mkdir()
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["地区", "拱墅区"])
    ws.append(["指标", "单位", "数据来源", "备注", "2021", "2022"])
    ws.append(
        [
            "制造业产品质量合格率",
            "%",
            PAYLOAD.format("office-source"),
            PAYLOAD.format("office-note"),
            94.1,
            94.6,
        ]
    )
    wb.save(office / (PAYLOAD.format("file-name") + ".xlsx"))
    monkeypatch.setenv("QINDEX_DATA_RAW", str(shipped_raw_copy))
    monkeypatch.setenv("QINDEX_OFFICE", str(office))
    monkeypatch.setattr(paths, "DATA_RAW", shipped_raw_copy)
    monkeypatch.setattr(paths, "OBSERVATIONS", shipped_raw_copy / "observations")
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    params = tmp_path / "payload.yaml"
    params.write_text(
        "notebook: plan_progress.ipynb\n"
        f'title: "{PAYLOAD.format("params-title")}"\n'
        "parameters:\n  plan_id: gongshu-2025\n",
        encoding="utf-8",
    )
    result = run(
        load_spec(params), progress_bar=False, allow_modified=True
    )  # refused if any were live
    page = result.html.read_text(encoding="utf-8")
    assert live_markup(page) == []
    # the observation's source is cited by its publication (title and publisher), as text
    for where in ("obs-title", "obs-publisher", "office-source", "file-name", "params-title"):
        assert html_text(PAYLOAD.format(where)) in page, where


def html_text(text: str) -> str:
    """How text looks in the page's source once escaped (quotes may or may not be escaped)."""
    return text.replace("<", "&lt;").replace(">", "&gt;").split("alert")[0]


def test_the_offline_check_refuses_live_markup_and_accepts_escaped_text():
    from qindex.runner.render import live_markup

    assert (
        live_markup('<p>&lt;img src=x onerror=alert(1)&gt;</p><a href="https://a.cn">a</a>') == []
    )
    assert (
        len(live_markup('<img src=x onerror="alert(1)"><a href=" JavaScript:alert(1)">x</a>')) == 2
    )
    assert live_markup('<a href="java&#x0A;script:alert(1)">x</a>') != []


#: Chinese characters: a text node holding one is drawn with a font that has Chinese glyphs.
CJK = r"[\u4e00-\u9fff]"
#: Families with Chinese glyphs (those the page's font stack names, and the CJK fonts a Linux machine has).
CJK_FONT = re.compile(
    r"CJK|Hei|YaHei|PingFang|Song|Han Sans|Noto Sans SC|WenQuanYi|SimSun|Droid Sans Fallback"
)


@pytest.fixture(scope="module")
def cjk_fonts(tmp_path_factory):
    """A reader's machine has a font with Chinese glyphs (Microsoft YaHei on the office's Windows PCs). CI has
    none installed, so Chromium is given the one the project installs for its charts (noto-cjk-sans-otc)
    through a fontconfig file, beside the system's fonts."""
    import noto_cjk_sans_otc

    conf = tmp_path_factory.mktemp("fonts") / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{noto_cjk_sans_otc.FONT_PATH.parent}</dir>"
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include></fontconfig>',
        encoding="utf-8",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("FONTCONFIG_FILE", str(conf))
    yield conf
    mp.undo()


def test_every_report_reads_in_a_browser_at_1280_px(rendered, cjk_fonts):
    """Issue 24: what readers stumbled on, in Debian's headless Chromium at 1280 px: a table wider than the
    page, Chinese drawn without a Chinese font (empty boxes), anything loaded from the network, a chart image
    that is missing or empty."""
    from tests.browser import Browser

    _, results = rendered
    problems = []
    with Browser(1280, 900) as b:
        for name, result in sorted(results.items()):
            b.requests.clear()
            b.open(result.html.as_uri())
            b.send("DOM.enable")
            b.send("CSS.enable")  # after the page loads: the agent follows the new document
            page = b.evaluate("document.documentElement.clientWidth")
            wide = b.evaluate(
                "[...document.querySelectorAll('table')].map(t => Math.ceil(t.getBoundingClientRect().right))"
                f".filter(r => r > {page})"
            )
            if wide:
                problems.append(
                    f"{name}: {len(wide)} table(s) wider than the page ({page} px): {wide[:3]}"
                )
            images = b.images()
            if not images or any(not i["complete"] or i["width"] < 50 for i in images):
                problems.append(f"{name}: chart images {images}")
            elsewhere = [u for u in b.requests if not u.startswith(("file://", "data:"))]
            if elsewhere:
                problems.append(f"{name}: loaded from the network: {elsewhere[:3]}")
            # the elements whose own text (a child text node) holds Chinese: the fonts Chromium drew it with
            tree = b.send("DOM.getDocument", depth=-1, pierce=False)["root"]
            elements, stack = [], [tree]
            while stack:
                node = stack.pop()
                if node.get("nodeName") in ("STYLE", "SCRIPT", "HEAD", "DETAILS"):
                    continue
                kids = node.get("children", [])
                if any(
                    k.get("nodeType") == 3 and re.search(CJK, k.get("nodeValue", "")) for k in kids
                ):
                    elements.append(node["nodeId"])
                stack.extend(kids)
            for node in elements[:300]:
                fonts = b.send("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
                if not any(CJK_FONT.search(f["familyName"]) for f in fonts):
                    html = b.send("DOM.getOuterHTML", nodeId=node)["outerHTML"][:80]
                    problems.append(f"{name}: Chinese drawn without a Chinese font: {html} {fonts}")
                    break
            assert len(elements) > 10, name
    assert problems == []
