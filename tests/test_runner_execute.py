"""Executing a run: a failed run keeps its notebook and leaves the published results whole, a killed run never
mixes two runs, a notebook changed since git is refused unless allowed."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import matplotlib
import pytest

from qindex import cli, paths
from tests.helpers import notebook, write_params

matplotlib.use("Agg")


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


# ---------------------------------------------------------------- faults: kill the runner at every point

SMALL = notebook(
    'output_dir: str = ""  # set by the runner\nmarker: str = ""  # touched when the cell runs',
    (
        "import pathlib, time\n"
        "if marker:\n"
        "    pathlib.Path(marker).touch()\n"
        "    time.sleep(3)\n"
        "if output_dir:\n"
        "    (pathlib.Path(output_dir) / 'table.csv').write_text('a\\n1\\n')\n"
        "print('done')"
    ),
)


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
    # reliability review 2, N10: a version killed after it was complete and before the switch was never
    # published; it is removed, not kept and listed as history
    leftovers = [
        p.name
        for p in store.iterdir()
        if p.name not in ("current", "lock")
        and not ((p / "COMPLETE").is_file() and (p / "PUBLISHED").is_file())
    ]
    assert leftovers == []
    versions = [p for p in store.iterdir() if p.is_dir() and not p.is_symlink()]
    gallery = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert sorted(re.findall(r"\.runs/small/([^/]+)/report", gallery)) == sorted(
        p.name for p in versions if p.resolve() != (store / "current").resolve()
    )
    assert not (tmp_path / "reports" / "_failed").exists()
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["small"]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        ".runs",
        "index.html",
        "small",
    ]


def test_sigterm_during_a_run_cleans_up_like_ctrl_c(tmp_path):
    """Reliability review 2, N10: SIGTERM left the unfinished version and its notebook until the next run."""
    import subprocess

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "small.ipynb").write_text(json.dumps(SMALL), encoding="utf-8")
    slow = write_params(
        tmp_path,
        f"notebook: small.ipynb\ntitle: 小例\nparameters:\n  marker: {tmp_path / 'cell-started'}\n",
        name="small.yaml",
    )
    script = Path(__file__).parent / "fixtures" / "runs" / "kill_run.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(slow), "term"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 128 + 15, done.stderr[-500:]
    store = tmp_path / "reports" / ".runs" / "small"
    assert [p.name for p in store.iterdir() if p.name != "lock"] == []  # nothing left to recover


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


def test_an_office_file_added_while_a_run_reads_fails_the_run_instead_of_its_record(
    sandbox, monkeypatch, capsys
):
    """Reliability review 2, N6: a file added by `office add` during a run was recorded as an input of a run
    that had not read it. Now the inputs are hashed before the run and again after: a change fails the run."""
    office = sandbox / "office"
    office.mkdir()
    monkeypatch.setenv("QINDEX_OFFICE", str(office))
    monkeypatch.setattr(paths, "NOTEBOOKS", sandbox / "notebooks")
    late = office / "late.xlsx"
    _one_cell_notebook(sandbox, f"import pathlib\npathlib.Path({str(late)!r}).write_bytes(b'PK')")
    params = write_params(sandbox, "notebook: fault.ipynb\n", name="fault.yaml")
    assert cli.main(["run", str(params), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "its inputs changed while it ran" in err and "late.xlsx added" in err
    assert not (sandbox / "processed" / "fault").exists()  # nothing published


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


def test_a_read_only_reports_folder_is_one_message_not_a_traceback(sandbox, capsys):
    # Reliability review D9: a read-only data/processed gave "OSError: Read-only file system". As root a
    # chmod does not stop writes, so reports/ is a file here: the run cannot create its folder.
    (sandbox / "reports").write_text("not a folder", encoding="utf-8")
    code = cli.main(["run", str(paths.PARAMS / "gongshu-2025.yaml"), "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert re.match(r"\d{4}-\d\d-\d\dT\S+ FAILED run gongshu-2025", err) and "Traceback" not in err


# ---------------------------------------------------------------- scheduled runs and the gallery


def test_a_scheduled_run_executes_the_notebook_as_committed_whatever_jupyterlab_saved(
    tmp_path, sandbox, capsys
):
    """Issue 26: JupyterLab's autosave (kernelspec, language_info, outputs, counts) stopped every scheduled
    run. Now what Lab saves never blocks or changes a run; changed cell sources run as committed, with one dated
    warning, unless --allow-modified; one notebook's state never stops the runs of others."""
    import subprocess

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    nbfile = repo / "notebooks" / "small.ipynb"
    nbfile.write_text(json.dumps(SMALL), encoding="utf-8")
    other = repo / "notebooks" / "other.ipynb"
    other.write_text(json.dumps(SMALL), encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "notebook"], check=True)
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "NOTEBOOKS", repo / "notebooks")
    try:
        params = write_params(tmp_path, "notebook: small.ipynb\ntitle: 小例\n", name="small.yaml")
        others = write_params(tmp_path, "notebook: other.ipynb\ntitle: 另例\n", name="other.yaml")
        from qindex.runner import notebook_state

        assert notebook_state(nbfile) == "committed"
        # what JupyterLab writes on autosave: kernelspec and language_info, outputs and execution counts
        saved = json.loads(json.dumps(SMALL))
        saved["metadata"]["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
        }
        saved["metadata"]["language_info"] = {"name": "python", "version": "3.11.7"}
        saved["cells"][1]["execution_count"] = 7
        saved["cells"][1]["outputs"] = [
            {"output_type": "stream", "name": "stdout", "text": "done\n"}
        ]
        nbfile.write_text(json.dumps(saved, indent=1), encoding="utf-8")
        assert notebook_state(nbfile) == "saved"
        assert cli.main(["run", str(params), "--no-progress"]) == 0
        assert "warning" not in capsys.readouterr().err
        record = json.loads((sandbox / "processed" / "small" / "run.json").read_text("utf-8"))
        assert record["notebook_state"] == "saved" and record["allow_modified"] is False

        changed = json.loads(json.dumps(SMALL))
        changed["cells"][1]["source"] = "x = 2"  # writes no table.csv
        nbfile.write_text(json.dumps(changed), encoding="utf-8")
        assert notebook_state(nbfile) == "modified"
        assert cli.main(["run", str(params), str(others), "--no-progress", "--workers", "1"]) == 0
        err = capsys.readouterr().err
        warnings = [line for line in err.splitlines() if "warning:" in line]
        assert len(warnings) == 1 and re.match(r"^\d{4}-\d\d-\d\dT", warnings[0])
        assert "the committed version runs" in warnings[0] and "--allow-modified" in warnings[0]
        # the committed cell ran: it writes table.csv; the changed one would not
        assert (sandbox / "processed" / "small" / "table.csv").read_text() == "a\n1\n"
        assert (sandbox / "processed" / "other" / "table.csv").is_file()  # the other run went on
        record = json.loads((sandbox / "processed" / "small" / "run.json").read_text("utf-8"))
        assert record["notebook_state"] == "ran-committed" and record["ran_committed"] is True
        html = (sandbox / "reports" / "small" / "small.html").read_text(encoding="utf-8")
        assert "运行的是已提交的版本" in html

        assert cli.main(["run", str(params), "--no-progress", "--allow-modified"]) == 0
        out = capsys.readouterr().out
        assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* ok small", out, re.M)
        record = json.loads((sandbox / "processed" / "small" / "run.json").read_text("utf-8"))
        assert record["notebook_state"] == "modified" and record["allow_modified"] is True
        assert "有未提交的修改" in (sandbox / "reports" / "small" / "small.html").read_text("utf-8")

        # a notebook git does not know fails its own run only
        (repo / "notebooks" / "new.ipynb").write_text(json.dumps(SMALL), encoding="utf-8")
        new = write_params(tmp_path, "notebook: new.ipynb\n", name="new.yaml")
        assert cli.main(["run", str(new), str(others), "--no-progress", "--workers", "1"]) == 1
        captured = capsys.readouterr()
        assert "new.ipynb is not committed" in captured.err
        assert "1 passed, 1 failed" in captured.out
    finally:
        mp.undo()


def test_the_runner_starts_without_what_a_run_does_not_use():
    # Issue 30: a run paid 1.5–1.9 s to import the IRI grammar of rfc3987_syntax (pulled in by jsonschema's
    # format checkers through nbformat) and 0.3 s for scipy.stats (through the gallery and the params check).
    # Neither is used by the runner; notebooks are still validated against their schema.
    import subprocess

    code = (
        "import sys, qindex.runner, papermill, nbconvert, nbformat\n"
        "nb = nbformat.read('notebooks/plan_progress.ipynb', as_version=4)\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.v4.new_notebook()\n"
        "bad.cells.append(nbformat.from_dict({'cell_type': 'code', 'id': 'a', 'source': '', 'metadata': {}}))\n"
        "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('invalid refused')\n"
        "print(sorted(m for m in ('rfc3987_syntax', 'scipy.stats', 'lark') if sys.modules.get(m)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["invalid refused", "[]"]


def test_the_log_of_a_scheduled_batch_is_dated_lines_only(tmp_path):
    # Issue 26: a cron log carried the kernel's "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."
    # when a run's kernel was stopped. The batch runs in a process of its own, as cron starts it, on a copy of
    # the project (its reports go there); every line it writes, its kernels' included, is a dated line.
    import os
    import subprocess

    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "notebooks").symlink_to(paths.NOTEBOOKS)
    (root / "data" / "raw").symlink_to(paths.DATA_RAW)
    (root / "params").mkdir()
    for name in ("gongshu-2025", "hangzhou-2015"):
        (root / "params" / f"{name}.yaml").write_text(
            (paths.PARAMS / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    env = {**os.environ, "QINDEX_ROOT": str(root), "QINDEX_DATA_RAW": str(paths.DATA_RAW)}
    out = subprocess.run(
        [sys.executable, "-m", "qindex.cli", "run", "--all", "--workers", "1", "--allow-modified"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert out.returncode == 0, lines[-5:]
    assert len(lines) >= 4
    undated = [
        line for line in lines if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 ", line)
    ]
    assert undated == []
    assert not any("KeyboardInterrupt" in line or "ERROR" in line for line in lines)


def test_a_notebook_saved_by_a_real_jupyterlab_is_saved_not_modified(tmp_path):
    # Issue 26: opening a notebook in JupyterLab (and Ctrl+S) rewrote its metadata, and the whole scheduled batch
    # refused to run. The fixture is a file a real JupyterLab saved (tests/fixtures/lab_saved/README.md): in a
    # git checkout whose HEAD holds the original, the runner reads it as "saved" (it runs the committed cells,
    # with no warning and nothing refused).
    import shutil
    import subprocess

    from qindex.runner.provenance import cell_sources, committed_notebook, notebook_state

    fixtures = paths.ROOT / "tests" / "fixtures" / "lab_saved"
    repo = tmp_path / "repo"
    repo.mkdir()
    nb = repo / "plan_progress.ipynb"
    shutil.copy(fixtures / "original.ipynb", nb)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "original"], check=True)
    shutil.copy(fixtures / "saved_by_lab.ipynb", nb)
    assert nb.read_bytes() != (fixtures / "original.ipynb").read_bytes()  # Lab did change the file
    assert notebook_state(nb) == "saved"
    assert cell_sources(committed_notebook(nb)) == cell_sources(nb.read_text(encoding="utf-8"))


def test_the_lock_holders_clean_up_leaves_a_waiting_runs_pid_file(sandbox):
    # CI, 2026-12-03: of two runs of one name started at once, the lock holder's clean-up removed the waiting
    # run's pid file, and the waiting run failed with "No such file or directory: .lock.<pid>.tmp -> lock"
    # (1 in 12 under load). A live waiter's file stays; a dead process's goes; a waiter whose file went anyway
    # writes it again.
    import os
    import subprocess

    from qindex.runner import publish

    base = publish.store("small")
    base.mkdir(parents=True)
    live = base / f".lock.{os.getpid()}.tmp"
    live.write_text(str(os.getpid()), encoding="utf-8")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = base / f".lock.{int(gone.stdout)}.tmp"
    dead.write_text(gone.stdout.strip(), encoding="utf-8")
    removed = publish.recover("small")
    assert live.is_file() and not dead.exists() and removed == [dead.name]
    live.unlink()
    with publish.run_lock("small"):  # takes the lock though nothing else runs
        assert (base / "lock").read_text() == str(os.getpid())
    assert not (base / "lock").exists()
