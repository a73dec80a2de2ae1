"""Runs: params validation before any kernel starts, rendered HTML for every params file, failure guarantees."""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
from pathlib import Path

import matplotlib
import nbformat
import pytest

from qindex import cli, paths
from qindex.runner import ParamsError, load_spec, params_files, run

matplotlib.use("Agg")


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Reports and processed outputs go to a temporary folder, never into the checkout."""
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    return tmp_path


def write_params(tmp_path, text, name="case.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- validation before any kernel


def problems(path):
    with pytest.raises(ParamsError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def test_every_shipped_params_file_is_valid():
    files = params_files()
    names = {f.stem for f in files}
    assert {
        "hangzhou-2015",
        "hangzhou-2022",
        "gongshu-2025",
        "hangzhou-2025",
        "chengdu-2027",
    } <= names
    for f in files:
        load_spec(f)


def test_unknown_parameter_with_suggestion(tmp_path):
    p = write_params(tmp_path, "notebook: plan_progress.ipynb\nparameters:\n  plan: gongshu-2025\n")
    (msg,) = problems(p)
    assert "column 'parameters.plan': got 'plan'" in msg and "(did you mean 'plan_id'?)" in msg


def test_yaml_11_traps_are_refused(tmp_path):
    text = "notebook: plan_progress.ipynb\nparameters:\n  as_of: 02022\n  synthetic: yes\n"
    msgs = problems(write_params(tmp_path, text))
    assert any(
        "parameters.as_of': got '02022'; expected a whole number without leading zeros" in m
        for m in msgs
    )
    assert any("parameters.synthetic': got 'yes'; expected true or false" in m for m in msgs)


def test_scientific_notation_is_a_number_not_a_string(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e-1 as the string "1e-1"; the runner converts by the annotated type.
    spec = load_spec(
        write_params(tmp_path, "notebook: plan_progress.ipynb\nparameters:\n  level: 9.5e-1\n")
    )
    assert spec.parameters["level"] == 0.95


def test_ids_and_ranges_are_checked_against_the_catalogue(tmp_path):
    text = "notebook: plan_progress.ipynb\nparameters:\n  plan_id: gongshu-2024\n  model: quadratic\n  level: 95\n"
    msgs = problems(write_params(tmp_path, text))
    assert any("(did you mean 'gongshu-2025'?)" in m for m in msgs)
    assert any("parameters.model': got 'quadratic'" in m for m in msgs)
    assert any("parameters.level': got 95" in m for m in msgs)


def test_unknown_top_level_key_and_missing_notebook(tmp_path):
    msgs = problems(write_params(tmp_path, "notebok: plan_progress.ipynb\n"))
    assert any("got 'notebok'" in m and "did you mean 'notebook'" in m for m in msgs)
    assert any("column 'notebook': got an empty value" in m for m in msgs)


def test_output_dir_is_reserved(tmp_path):
    msgs = problems(
        write_params(tmp_path, "notebook: plan_progress.ipynb\nparameters:\n  output_dir: /tmp\n")
    )
    assert msgs == [
        f"{tmp_path}/case.yaml, column 'parameters.output_dir': got '/tmp'; expected no value: the runner sets it"
    ]


def test_cli_exits_2_and_runs_nothing_on_invalid_params(tmp_path, sandbox, capsys):
    bad = write_params(tmp_path, "notebook: plan_progress.ipynb\nparameters:\n  as_of: 010\n")
    good = paths.PARAMS / "gongshu-2025.yaml"
    started = time.perf_counter()
    code = cli.main(["run", str(good), str(bad), "--no-progress"])
    assert code == 2
    assert time.perf_counter() - started < 10  # no kernel was started
    err = capsys.readouterr().err
    assert "YAML 1.1 would read 010 as octal 8" in err and "nothing was run" in err
    assert not (sandbox / "reports").exists()


@pytest.mark.parametrize(
    "name", ["..yaml", ".yaml", "...yaml", ".hidden.yaml", "a b.yaml", "plan.txt"]
)
def test_unsafe_run_names_are_refused_before_anything_is_read(tmp_path, sandbox, capsys, name):
    # Reliability review D1: "..yaml" gave the run name "." and moved all of data/processed/ away.
    f = write_params(tmp_path, "notebook: plan_progress.ipynb\n", name=name)
    assert cli.main(["run", str(f), "--no-progress"]) == 2
    assert "a name of letters, digits" in capsys.readouterr().err
    assert not (sandbox / "reports").exists() and not (sandbox / "processed").exists()


def test_yaml_aliases_and_repeated_keys_are_refused(tmp_path):
    # Reliability review D8: a 381-byte "billion laughs" title took over 90 s and 2.3 GB; D12: a repeated
    # key silently kept the last value.
    laughs = "title: [&a [lol, lol, lol], &b [*a, *a, *a], &c [*b, *b, *b]]\nnotebook: plan_progress.ipynb\n"
    assert "no aliases" in problems(write_params(tmp_path, laughs))[0]
    twice = "notebook: plan_progress.ipynb\nparameters:\n  plan_id: gongshu-2025\n  plan_id: chengdu-2027\n"
    assert "plan_id given twice" in problems(write_params(tmp_path, twice, name="twice.yaml"))[0]


def test_a_notebook_outside_notebooks_is_refused(tmp_path):
    f = write_params(tmp_path, "notebook: ../tests/x.ipynb\n")
    assert any("a notebook file directly in notebooks/" in p for p in problems(f))


def test_two_params_files_with_one_run_name_are_refused(tmp_path, sandbox, capsys):
    (tmp_path / "b").mkdir()
    one = write_params(tmp_path, "notebook: plan_progress.ipynb\n", name="same.yaml")
    two = write_params(tmp_path / "b", "notebook: plan_progress.ipynb\n", name="same.yaml")
    assert cli.main(["run", str(one), str(two), "--no-progress"]) == 2
    assert "two params files give the run name 'same'" in capsys.readouterr().err


# ---------------------------------------------------------------- rendering every params file


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
            # allow_modified: the suite also runs in a working copy with notebook edits (CI runs a clean clone)
            results[f.stem] = run(load_spec(f), progress_bar=False, allow_modified=True)
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
    "plan_comparison": ["共同指标", "目标与最新值", "进取程度"],
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
        "四、外部评价与排名",
        "五、存在问题",
        "六、数据需求",
        "附录",
        "在实施规划的指标表",
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
    assert results[name].html.name == f"{name}.html"  # named after its run
    body = re.sub(
        r"<(script|style)\b.*?</\1>", "", html, flags=re.S
    )  # drop the template's own code
    assert "Traceback" not in body and "Error" not in body
    assert "vnd.jupyter.stderr" not in body  # no warnings printed into a report for readers
    assert "jp-CodeMirrorEditor" not in body and "jp-InputPrompt" not in body  # no code, no prompts
    assert "plan_report(" not in html and "injected-parameters" not in html
    assert "qindex-table" in html  # tables rendered
    kind = load_spec(paths.PARAMS / f"{name}.yaml").notebook.stem
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


def test_comparable_groups_rank_only_groups_of_five_same_level_places():
    """Hand-made case: 6 cities on the same pillars (ranked 1..6 by score), a 7th city on other pillars and
    a province, and a city with 10 % data of its own year: only the 6 are ranked."""
    import pandas as pd

    from qindex.city_index import comparable_groups

    units = [f"c{i}" for i in range(1, 7)] + ["c7", "p1", "c8"]
    scores = pd.DataFrame(
        {
            "a": [90, 80, 70, 60, 50, 40, 30, 20, 10],
            "b": [1, 1, 1, 1, 1, 1, None, 1, 1],
            "index": [90, 80, 70, 60, 50, 40, 30, 20, 10],
        },
        index=units,
    )
    levels = pd.Series({**{u: "city" for u in units}, "p1": "province"})
    avail = pd.Series(1.0, index=units)
    avail["c8"] = 0.10
    c = comparable_groups(scores, ["a", "b"], avail, levels)
    assert c.rankable.to_dict() == {u: u in units[:6] for u in units}
    assert c.loc[units[:6], "rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert "少于25%" in c.at["c8", "reason"] and "只有1个" in c.at["c7", "reason"]


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


# ---------------------------------------------------------------- failure


FAILING = {
    "cells": [
        {
            "id": "cell1",
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": 'output_dir: str = ""  # set by the runner',
            "outputs": [],
            "execution_count": None,
        },
        {
            "id": "cell2",
            "cell_type": "code",
            "metadata": {},
            "source": "from pathlib import Path\nif output_dir:\n    (Path(output_dir) / 'half.csv').write_text('partial')",
            "outputs": [],
            "execution_count": None,
        },
        {
            "id": "cell3",
            "cell_type": "code",
            "metadata": {},
            "source": "raise ValueError('indicator pm25 has no data')",
            "outputs": [],
            "execution_count": None,
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_failed_run(sandbox, monkeypatch, capsys):
    nbdir = sandbox / "notebooks"
    nbdir.mkdir()
    (nbdir / "broken.ipynb").write_text(json.dumps(FAILING), encoding="utf-8")
    monkeypatch.setattr(paths, "NOTEBOOKS", nbdir)
    params = write_params(
        sandbox, "notebook: broken.ipynb\ntitle: 失败示例\n", name="broken-run.yaml"
    )
    # an earlier good run, published
    from qindex.runner import publish

    _, folder = publish.new_version("broken-run")
    (folder / "data" / "assessment.csv").write_text("from an earlier good run", encoding="utf-8")
    (folder / "report" / "broken.html").write_text("earlier report", encoding="utf-8")
    publish.publish("broken-run", folder)
    previous = sandbox / "processed" / "broken-run"

    code = cli.main(["run", str(params), "--no-progress"])

    assert code == 1
    err = capsys.readouterr().err
    assert "run broken-run failed: notebook broken.ipynb, cell" in err
    assert "ValueError: indicator pm25 has no data" in err
    kept = sandbox / "reports" / "_failed" / "broken-run" / "broken.ipynb"
    assert kept.is_file()
    assert "indicator pm25 has no data" in kept.read_text(encoding="utf-8")
    # no partial results: the earlier good run is still the published one, the failed version is gone
    assert [p.name for p in previous.iterdir()] == ["assessment.csv"]
    assert (previous / "assessment.csv").read_text(encoding="utf-8") == "from an earlier good run"
    report = sandbox / "reports" / "broken-run" / "broken.html"
    assert report.read_text(encoding="utf-8") == "earlier report"
    assert sorted(p.name for p in publish.store("broken-run").iterdir()) == sorted(
        ["current", folder.name]
    )


# ---------------------------------------------------------------- charts


def test_charts_have_no_missing_glyphs_even_after_seaborn_set_theme():
    import seaborn as sns

    from qindex import plots
    from qindex.reports.plan import plan_report

    sns.set_theme()  # resets fonts; qindex charts must still render Chinese
    r = plan_report("gongshu-2025", synthetic=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes a failure
        figs = [
            plots.status_counts(r.assessment, synthetic=True),
            plots.domain_summary(r.assessment, synthetic=True),
            plots.target_panels(r.assessment, r.panel, r.plan, r.projections, synthetic=True),
        ]
        for f in figs:
            f.canvas.draw()
    for f in figs:
        for ax in f.axes:
            if ax.get_visible() and ax.get_ylabel():
                assert (
                    ax.get_ylabel().startswith(("单位", "无单位"))
                    or ax.get_xlabel() == "目标数(个)"
                )


# ---------------------------------------------------------------- faults: kill the runner at every point

SMALL = {
    "cells": [
        {
            "cell_type": "code",
            "id": "params",
            "metadata": {"tags": ["parameters"]},
            "source": 'output_dir: str = ""  # set by the runner\nmarker: str = ""  # touched when the cell runs',
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "id": "work",
            "metadata": {},
            "source": (
                "import pathlib, time\n"
                "if marker:\n"
                "    pathlib.Path(marker).touch()\n"
                "    time.sleep(3)\n"
                "if output_dir:\n"
                "    (pathlib.Path(output_dir) / 'table.csv').write_text('a\\n1\\n')\n"
                "print('done')"
            ),
            "outputs": [],
            "execution_count": None,
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _published_pair(sandbox):
    """(run id in the report, run id in the data) as a reader finds them."""
    html = (sandbox / "reports" / "small" / "small.html").read_text(encoding="utf-8")
    record = json.loads((sandbox / "processed" / "small" / "run.json").read_text(encoding="utf-8"))
    assert (sandbox / "processed" / "small" / "table.csv").read_text() == "a\n1\n"
    return re.search(r"\d{8}T\d{12}Z-\d+", html).group(0), record["run_id"]


def test_killing_a_run_at_any_point_never_loses_or_mixes_results(tmp_path):
    """SIGKILL at kernel start, in a cell, and before every rename or symlink the run makes (reliability
    review D6/D7): the earlier report and data stay complete and from one run; the next run leaves nothing."""
    import subprocess

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "small.ipynb").write_text(json.dumps(SMALL), encoding="utf-8")
    params = write_params(tmp_path, "notebook: small.ipynb\ntitle: 小例\n", name="small.yaml")
    (tmp_path / "slow").mkdir()  # the same run name, with a cell that waits: to be killed mid-cell
    slow = write_params(
        tmp_path / "slow",
        f"notebook: small.ipynb\ntitle: 小例\nparameters:\n  marker: {tmp_path / 'cell-started'}\n",
        name="small.yaml",
    )
    script = Path(__file__).parent / "fixtures" / "runs" / "kill_run.py"

    def run_with(when, p=params):
        return subprocess.run(
            [sys.executable, str(script), str(tmp_path), str(p), when],
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert (
        run_with("none").returncode == 0
    )  # an earlier run, published (it also makes the fixed links)
    first = run_with("count")
    assert first.returncode == 0, first.stderr
    points = int(first.stdout.strip().splitlines()[-1])
    assert points >= 2  # the temporary pointer and the switch
    before = _published_pair(tmp_path)
    assert before[0] == before[1]
    kills = ["kernel", "cell", *map(str, range(1, points + 1))]
    for when in kills:
        killed = run_with(when, slow if when == "cell" else params)
        assert killed.returncode == -9, (when, killed.stderr[-500:])
        now = _published_pair(tmp_path)
        assert now[0] == now[1], when  # report and data from the same run
    # what a kill during a first run leaves: half-made fixed links
    (tmp_path / "reports" / ".small.999.link").symlink_to("nowhere")
    (tmp_path / "processed" / ".small.999.link").symlink_to("nowhere")
    last = run_with("none")
    assert last.returncode == 0, last.stderr
    rid, data_rid = _published_pair(tmp_path)
    assert rid == data_rid
    store = tmp_path / "reports" / ".runs" / "small"
    leftovers = [
        p.name for p in store.iterdir() if p.name != "current" and not (p / "COMPLETE").is_file()
    ]
    assert leftovers == []
    assert not (tmp_path / "reports" / "_failed").exists()
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["small"]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        ".runs",
        "index.html",
        "small",
    ]


def _one_cell_notebook(sandbox, source):
    nb = json.loads(json.dumps(SMALL))
    nb["cells"][1]["source"] = source
    (sandbox / "notebooks").mkdir(exist_ok=True)
    (sandbox / "notebooks" / "fault.ipynb").write_text(json.dumps(nb), encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "timeout", "what"),
    [
        ("import os\nos._exit(1)", 600, "DeadKernelError"),
        ("import time\ntime.sleep(60)", 2, "Timeout"),
    ],
)
def test_kernel_death_and_cell_timeout_are_failed_runs(
    sandbox, monkeypatch, capsys, source, timeout, what
):
    # Like a failing cell: exit 1, one message naming the notebook and the cell, the notebook kept in
    # reports/_failed/, the published results unchanged.
    from qindex.runner import publish

    monkeypatch.setattr(paths, "NOTEBOOKS", sandbox / "notebooks")
    _one_cell_notebook(sandbox, source)
    _, folder = publish.new_version("fault")
    (folder / "data" / "table.csv").write_text("earlier", encoding="utf-8")
    publish.publish("fault", folder)
    params = write_params(
        sandbox, f"notebook: fault.ipynb\ncell_timeout: {timeout}\n", name="fault.yaml"
    )
    assert cli.main(["run", str(params), "--no-progress"]) == 1
    err = capsys.readouterr().err
    # cell 3 of the kept notebook: papermill inserts the injected-parameters cell before it
    assert "run fault failed: notebook fault.ipynb, cell 3" in err and what in err
    assert (sandbox / "reports" / "_failed" / "fault" / "fault.ipynb").is_file()
    assert (sandbox / "processed" / "fault" / "table.csv").read_text(encoding="utf-8") == "earlier"


def test_two_runs_of_one_name_at_once_both_publish_whole(tmp_path):
    import subprocess

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "small.ipynb").write_text(json.dumps(SMALL), encoding="utf-8")
    params = write_params(tmp_path, "notebook: small.ipynb\n", name="small.yaml")
    script = Path(__file__).parent / "fixtures" / "runs" / "kill_run.py"
    cmd = [sys.executable, str(script), str(tmp_path), str(params), "none"]
    procs = [subprocess.Popen(cmd, stderr=subprocess.DEVNULL) for _ in range(2)]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    rid, data_rid = _published_pair(tmp_path)
    assert rid == data_rid
    store = tmp_path / "reports" / ".runs" / "small"
    versions = [p for p in store.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len([v for v in versions if (v / "COMPLETE").is_file()]) == 2  # serialised, both whole
    assert not (tmp_path / "reports" / ".runs" / "small" / "lock").exists()


def test_a_kernel_that_dies_at_start_is_started_again(sandbox, monkeypatch):
    # Reliability review: on a loaded machine kernels died with "Address already in use" while another
    # kernel was starting. A start that ran no cell is tried again; the run then succeeds.
    import papermill

    real, calls = papermill.execute_notebook, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info: Address already in use")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    monkeypatch.setattr(paths, "NOTEBOOKS", sandbox / "notebooks")
    _one_cell_notebook(sandbox, "print('ok')")
    params = write_params(sandbox, "notebook: fault.ipynb\n", name="retry.yaml")
    assert cli.main(["run", str(params), "--no-progress"]) == 0
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("framework_file: params/nope.yaml", "a framework YAML file inside the project"),
        ("framework_file: ../../../../etc/passwd", "a framework YAML file inside the project"),
        ("replications: 0", "a whole number ≥ 1"),
        ("replications: -5", "a whole number ≥ 1"),
        ("units: XX,CN-ZJ-HZ", "got 'XX'; expected ids from jurisdictions.csv"),
    ],
)
def test_index_params_are_checked_before_a_kernel_starts(tmp_path, line, expected):
    # Reliability review D12: these reached a kernel (exit 1) or ran on every place (exit 0).
    f = write_params(tmp_path, f"notebook: quality_index.ipynb\nparameters:\n  {line}\n")
    assert any(expected in p for p in problems(f)), problems(f)


def test_params_files_that_cannot_be_read_are_params_errors(tmp_path):
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("notebook: plan_progress.ipynb\ntitle: 杭州\n".encode("gb18030"))
    assert "expected UTF-8 text" in problems(gbk)[0]
    (tmp_path / "folder.yaml").mkdir()
    assert "a readable params file" in problems(tmp_path / "folder.yaml")[0]


def test_a_read_only_reports_folder_is_one_message_not_a_traceback(sandbox, capsys):
    # Reliability review D9: a read-only data/processed gave "OSError: Read-only file system". As root a
    # chmod does not stop writes, so reports/ is a file here: the run cannot create its folder.
    (sandbox / "reports").write_text("not a folder", encoding="utf-8")
    code = cli.main(["run", str(paths.PARAMS / "gongshu-2025.yaml"), "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert re.match(r"\d{4}-\d\d-\d\dT\S+ FAILED run gongshu-2025", err) and "Traceback" not in err


def test_a_params_file_with_many_unknown_keys_gives_a_short_message(tmp_path):
    keys = "".join(f"  k{i}: 1\n" for i in range(2000))
    found = problems(write_params(tmp_path, f"notebook: plan_progress.ipynb\nparameters:\n{keys}"))
    assert len(found) == 51 and "… and 1950 more problems" in found[-1]


# ---------------------------------------------------------------- scheduled runs and the gallery


def test_gallery_lists_every_run_latest_first_with_history(rendered):
    """reports/index.html: Chinese, every run with title, place and status counts, links that resolve, and a
    rerun keeps the earlier version reachable from the gallery."""
    tmp, results = rendered
    index = tmp / "reports" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<script" not in page
    for name in results:
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


def test_a_notebook_with_uncommitted_changes_is_refused_unless_allowed(tmp_path, sandbox, capsys):
    """A change saved in JupyterLab must not silently change the scheduled reports (newcomer trial):
    `qindex run` refuses, `--allow-modified` runs and records it."""
    import subprocess

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    nbfile = repo / "notebooks" / "small.ipynb"
    nbfile.write_text(json.dumps(SMALL), encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "notebook"], check=True)
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "NOTEBOOKS", repo / "notebooks")
    try:
        params = write_params(tmp_path, "notebook: small.ipynb\ntitle: 小例\n", name="small.yaml")
        from qindex.runner import notebook_state

        assert notebook_state(nbfile) == "committed"
        changed = json.loads(json.dumps(SMALL))
        changed["cells"][1]["source"] = "x = 2"
        nbfile.write_text(json.dumps(changed), encoding="utf-8")
        assert notebook_state(nbfile) == "modified"
        assert cli.main(["run", str(params), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "has uncommitted changes" in err and "--allow-modified" in err
        assert not (sandbox / "reports" / "small").exists()
        assert cli.main(["run", str(params), "--no-progress", "--allow-modified"]) == 0
        out = capsys.readouterr().out
        assert re.search(
            r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* ok small", out, re.M
        )  # dated log lines
        record = json.loads((sandbox / "processed" / "small" / "run.json").read_text("utf-8"))
        assert record["notebook_state"] == "modified" and record["allow_modified"] is True
        html = (sandbox / "reports" / "small" / "small.html").read_text(encoding="utf-8")
        assert "有未提交的修改" in html
    finally:
        mp.undo()


# ---------------------------------------------------------------- sweeps


def test_a_sweep_expands_into_one_run_per_combination(tmp_path):
    from qindex.runner import load_specs

    p = write_params(
        tmp_path,
        "notebook: annual_report.ipynb\ntitle: '{place}{year}年质量发展状况年度报告'\n"
        "parameters:\n  jurisdiction_id: [CN-ZJ-HZ, CN-SC-CD]\n  year: [2023, 2024]\n  replications: 50\n",
        name="annual-sweep.yaml",
    )
    specs = load_specs(p)
    assert [(s.name, s.title, s.parameters) for s in specs] == [
        (
            "annual-sweep-CN-ZJ-HZ-2023",
            "杭州市2023年质量发展状况年度报告",
            {"replications": 50, "jurisdiction_id": "CN-ZJ-HZ", "year": 2023},
        ),
        (
            "annual-sweep-CN-ZJ-HZ-2024",
            "杭州市2024年质量发展状况年度报告",
            {"replications": 50, "jurisdiction_id": "CN-ZJ-HZ", "year": 2024},
        ),
        (
            "annual-sweep-CN-SC-CD-2023",
            "成都市2023年质量发展状况年度报告",
            {"replications": 50, "jurisdiction_id": "CN-SC-CD", "year": 2023},
        ),
        (
            "annual-sweep-CN-SC-CD-2024",
            "成都市2024年质量发展状况年度报告",
            {"replications": 50, "jurisdiction_id": "CN-SC-CD", "year": 2024},
        ),
    ]
    # one file, one run: load_spec; several runs: load_specs
    with pytest.raises(ParamsError, match="this file sweeps a parameter over a list"):
        load_spec(p)


def test_a_title_that_does_not_name_the_swept_value_gets_it_added(tmp_path):
    from qindex.runner import load_specs

    p = write_params(
        tmp_path,
        "notebook: plan_progress.ipynb\ntitle: 方案目标进展\nparameters:\n  plan_id: [hangzhou-2025, chengdu-2027]\n",
        name="plans.yaml",
    )
    assert [(s.name, s.title) for s in load_specs(p)] == [
        ("plans-hangzhou-2025", "方案目标进展(杭州市)"),
        ("plans-chengdu-2027", "方案目标进展(成都市)"),
    ]


def test_bad_sweep_values_are_named_once_before_any_kernel(tmp_path):
    text = (
        "notebook: annual_report.ipynb\nparameters:\n"
        "  jurisdiction_id: [CN-ZJ-HZ, CN-XX]\n  year: [2024, 02024]\n  replications: []\n"
    )
    msgs = problems(write_params(tmp_path, text))
    assert len(msgs) == 3, msgs
    assert any(
        "parameters.year': got '02024'; expected a whole number without leading" in m for m in msgs
    )
    assert any("parameters.jurisdiction_id': got 'CN-XX'; expected an id from" in m for m in msgs)
    assert any("parameters.replications': got '[]'; expected at least one value" in m for m in msgs)
    text = "notebook: annual_report.ipynb\nparameters:\n  year: [2024, 2024]\n"
    (msg,) = problems(write_params(tmp_path, text, name="twice.yaml"))
    assert "each value of a sweep once" in msg
    text = "notebook: annual_report.ipynb\ntitle: '{town}'\nparameters:\n  year: [2023, 2024]\n"
    (msg,) = problems(write_params(tmp_path, text, name="title.yaml"))
    assert "column 'title'" in msg and "placeholders among {place}" in msg
