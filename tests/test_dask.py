"""Dask, the one engine for parallel work: batch runs on a LocalCluster of 2 workers (loopback only) and
uncertainty studies in chunks, equal bit for bit to the single-process engine."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qindex import cli, paths
from qindex.composite import framework_from_dict
from qindex.composite.sensitivity import load_study, sensitivity, uncertainty
from qindex.runner import gallery, load_specs
from qindex.runner.batch import ClusterError, check_workers, run_batch


def _cell(source: str, tags=()) -> dict:
    return {
        "cell_type": "code",
        "id": f"c{abs(hash(source)) % 10**8}",
        "metadata": {"tags": list(tags)},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


#: A notebook of the batch tests: writes its label and its process id, or fails on request.
BATCH_NB = {
    "cells": [
        _cell(
            'output_dir: str = ""  # set by the runner\n'
            'label: str = ""  # what the run writes\n'
            "fail: bool = False  # raise in the second cell",
            tags=["parameters"],
        ),
        _cell(
            "import os, pathlib\n"
            "if fail:\n"
            "    raise ValueError('故意失败 (a failure the test asks for)')\n"
            "pathlib.Path(output_dir, 'table.csv').write_text(f'label,pid\\n{label},{os.getppid()}\\n')\n"
            "print(label)"
        ),
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder of its own (QINDEX_ROOT): the test notebook, params, the shipped data/raw."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "batch.ipynb").write_text(json.dumps(BATCH_NB), encoding="utf-8")
    (root / "params").mkdir()
    (root / "data").mkdir()
    (root / "data" / "raw").symlink_to(paths.DATA_RAW)
    return root


@pytest.fixture(scope="module")
def cluster(project, tmp_path_factory):
    """A LocalCluster of 2 single-threaded worker processes on loopback; the workers read the project
    folder from QINDEX_ROOT, set before they start."""
    from distributed import Client, LocalCluster

    mp = pytest.MonkeyPatch()
    mp.setenv("QINDEX_ROOT", str(project))
    mp.setenv("QINDEX_DATA_RAW", str(paths.DATA_RAW))
    mp.setenv("QINDEX_OFFICE", str(tmp_path_factory.mktemp("office-empty")))
    lc = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(lc)
    yield lc, client
    client.close()
    lc.close()
    mp.undo()


@pytest.fixture
def at_project(project, monkeypatch):
    """This process sees the same project folder as the workers."""
    monkeypatch.setattr(paths, "ROOT", project)
    monkeypatch.setattr(paths, "REPORTS", project / "reports")
    monkeypatch.setattr(paths, "DATA_PROCESSED", project / "data" / "processed")
    monkeypatch.setattr(paths, "NOTEBOOKS", project / "notebooks")
    monkeypatch.setattr(paths, "PARAMS", project / "params")
    return project


def _params(project, name, text):
    p = project / "params" / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_batch_on_two_workers_renders_each_run_and_a_failure_stops_no_other(
    cluster, at_project, monkeypatch, capsys
):
    lc, _client = cluster
    sweep = _params(
        at_project,
        "batch.yaml",
        "notebook: batch.ipynb\ntitle: 批量测试 {label}\nparameters:\n  label: [a, b, c]\n",
    )
    broken = _params(
        at_project,
        "broken.yaml",
        "notebook: batch.ipynb\nparameters:\n  label: x\n  fail: true\n",
    )
    writes = []
    real = gallery.write_index
    monkeypatch.setattr(gallery, "write_index", lambda: writes.append(1) or real())
    code = cli.main(["run", str(sweep), str(broken), "--scheduler", lc.scheduler_address])
    out, err = capsys.readouterr()
    assert code == 1
    assert "4 run(s) to do, on the Dask cluster at tcp://127.0.0.1:" in out
    assert "3 passed, 1 failed" in out
    # the failure is named once as it happens and again in the summary, with notebook, cell and error
    found = re.findall(
        r"run broken failed: notebook batch\.ipynb, cell \d+ \(In \[\d\]\): ValueError: 故意失败",
        err,
    )
    assert len(found) == 2
    assert (at_project / "reports" / "_failed" / "broken" / "batch.ipynb").is_file()
    assert not (at_project / "reports" / "broken").exists()  # nothing published for it
    pids = set()
    for label in "abc":
        table = pd.read_csv(at_project / "data" / "processed" / f"batch-{label}" / "table.csv")
        assert table.label.tolist() == [label]
        pids.add(int(table.pid[0]))
        html = (at_project / "reports" / f"batch-{label}" / f"batch-{label}.html").read_text(
            encoding="utf-8"
        )
        assert f"<title>批量测试 {label}</title>" in html
    assert len(pids) == 2  # the kernels' parents: the two worker processes
    assert writes == [1]  # the gallery is written once, at the end
    index = (at_project / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f"批量测试 {label}" in index for label in "abc")


def test_one_after_another_without_a_cluster(at_project):
    p = _params(
        at_project,
        "serial.yaml",
        "notebook: batch.ipynb\ntitle: 逐个 {label}\nparameters:\n  label: [s1, s2]\n",
    )
    outcomes = run_batch(load_specs(p), workers=1)
    assert [(o.name, o.ok, o.worker) for o in outcomes] == [
        ("serial-s1", True, "local"),
        ("serial-s2", True, "local"),
    ]
    assert outcomes[0].html == "reports/serial-s1/serial-s1.html"


def test_workers_that_do_not_see_the_reports_folder_are_refused(cluster, at_project, monkeypatch):
    _lc, client = cluster
    monkeypatch.setattr(paths, "REPORTS", at_project / "elsewhere")
    with pytest.raises(ClusterError) as info:
        check_workers(client)
    msg = str(info.value)
    assert msg.count("worker tcp://127.0.0.1:") == 2
    assert "does not see this batch's reports folder" in msg and "QINDEX_ROOT" in msg


def test_an_unreachable_scheduler_is_one_message(at_project, capsys):
    p = _params(at_project, "one.yaml", "notebook: batch.ipynb\nparameters:\n  label: [u, v]\n")
    assert cli.main(["run", str(p), "--scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- uncertainty in chunks


def _index_and_study(n_units=240, n_ind=24, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0, 0.6, (n_units, n_ind))
    x[rng.random(x.shape) < 0.03] = np.nan
    x[5] = np.nan  # a unit with no data: no rank in any replication
    x[7] = x[8]  # two equal units: tied ranks
    cols = [f"i{k:02d}" for k in range(n_ind)]
    data = pd.DataFrame(x, columns=cols, index=[f"u{k:03d}" for k in range(n_units)])
    fw = framework_from_dict(
        {
            "name": "chunking test",
            "steps": {"normalise": {"method": "minmax", "lower": 1, "upper": 100}},
            "indicators": [
                {"code": c, "parent": f"p{k % 4}", "direction": 1 if k % 3 else -1}
                for k, c in enumerate(cols)
            ],
            "aggregates": [{"code": f"p{p}", "parent": "index"} for p in range(4)]
            + [{"code": "index"}],
        }
    )
    study = load_study(
        {
            "seed": 11,
            "assumptions": [
                {"name": "w", "kind": "weights", "noise": 0.3, "sets": 50},
                {
                    "name": "norm",
                    "kind": "normalise",
                    "alternatives": [
                        {"method": "minmax", "lower": 1, "upper": 100},
                        {"method": "minmax", "lower": 20, "upper": 100},
                    ],
                },
                {
                    "name": "agg",
                    "kind": "aggregate",
                    "alternatives": ["amean", "gmean"],
                },
                {"name": "drop", "kind": "exclude", "indicators": "all"},
            ],
        },
        fw,
    )
    return data, fw, study


def _same(a, b):
    pd.testing.assert_frame_equal(a.rank_stats, b.rank_stats, check_exact=True)
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    assert np.array_equal(a.ranks, b.ranks, equal_nan=True)


def test_uncertainty_on_the_cluster_equals_the_single_process_engine_whatever_the_chunking(cluster):
    _lc, client = cluster
    data, fw, study = _index_and_study()
    single = uncertainty(data, fw, study, n=700)
    _same(single, uncertainty(data, fw, study, n=700, chunk=64))  # chunks in this process
    _same(single, uncertainty(data, fw, study, n=700, client=client, chunk=100))
    _same(single, uncertainty(data, fw, study, n=700, client=client))  # an even share per worker
    # and the rank statistics are those numpy gives on the full rank matrix
    r = single.ranks
    assert np.isnan(r[:, 5]).all() and np.array_equal(r[:, 7], r[:, 8])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanquantile(r, [0.05, 0.5, 0.95], axis=0)
    stats = single.rank_stats
    assert np.array_equal(stats.q05_rank, expected[0], equal_nan=True)
    assert np.array_equal(stats.median_rank, expected[1], equal_nan=True)
    assert np.array_equal(stats.q95_rank, expected[2], equal_nan=True)


def test_sensitivity_on_the_cluster_equals_the_single_process_engine(cluster):
    _lc, client = cluster
    data, fw, study = _index_and_study(n_units=120, seed=5)
    single = sensitivity(data, fw, study, n=64, n_boot=50)
    spread = sensitivity(data, fw, study, n=64, n_boot=50, client=client, chunk=64)
    pd.testing.assert_frame_equal(single.indices, spread.indices, check_exact=True)
    _same(single.uncertainty, spread.uncertainty)


def test_rank_statistics_without_the_rank_matrix_are_the_same():
    data, fw, study = _index_and_study(n_units=90, seed=7)
    full = uncertainty(data, fw, study, n=200)
    lean = uncertainty(data, fw, study, n=200, keep_ranks=False)
    assert lean.ranks is None
    pd.testing.assert_frame_equal(full.rank_stats, lean.rank_stats, check_exact=True)
    pd.testing.assert_frame_equal(full.replications, lean.replications, check_exact=True)


# ---------------------------------------------------------------- panels in partitions of whole places


def _synthetic_with_ranks():
    """60 places × 8 indicators, level targets, and rank targets computed from the panel (their peers are in
    other partitions)."""
    from qindex.synthetic import synthetic_panel

    cat, panel, tg = synthetic_panel(n_units=60, n_indicators=8, n_years=10, seed=2)
    ranks = tg[tg["indicator_id"] == "syn_indicator_000"].head(6).copy()
    ranks["target_id"] = ranks["target_id"] + "-rank"
    ranks["target_type"], ranks["comparator"], ranks["target_value"] = "rank", "<=", np.nan
    ranks["scope"] = "national"
    tg = pd.concat([tg.assign(scope=""), ranks], ignore_index=True)
    return cat, panel, tg


def _parts(panel, n):
    places = sorted(panel["jurisdiction_id"].unique())
    return [panel[panel["jurisdiction_id"].isin(places[i::n])] for i in range(n)]


def test_a_partitioned_assessment_equals_the_in_memory_one():
    from qindex.catalog import targets
    from qindex.panel import load_panel
    from qindex.progress import assess
    from qindex.progress_partitioned import assess_partitioned

    cat, panel, tg = _synthetic_with_ranks()
    whole = assess(panel, tg, catalog=cat)
    ranked = whole[whole["target_type"] == "rank"]
    assert set(ranked["n_peers"]) == {60} and ranked["status"].isin(["achieved", "behind"]).all()
    pd.testing.assert_frame_equal(whole, assess_partitioned(_parts(panel, 4), tg, catalog=cat))
    # the shipped data: published ranks and the bound implications that cross places
    shipped, all_targets = load_panel(), targets()
    pd.testing.assert_frame_equal(
        assess(shipped, all_targets), assess_partitioned(_parts(shipped, 3), all_targets)
    )


def test_partitioned_files_on_the_cluster_equal_the_in_memory_assessment(cluster, tmp_path):
    from qindex.progress import assess
    from qindex.progress_partitioned import assess_partitioned, write_partitions

    _lc, client = cluster
    cat, panel, tg = _synthetic_with_ranks()
    whole = assess(panel, tg, catalog=cat)
    files = write_partitions(panel, tmp_path / "parts", 5)
    got = assess_partitioned(files, tg, catalog=cat, client=client)
    pd.testing.assert_frame_equal(whole, got)
    counts = assess_partitioned(files, tg, catalog=cat, client=client, out_dir=tmp_path / "out")
    assert counts.to_dict() == whole["status"].value_counts().sort_index().to_dict()
    written = pd.concat(
        [pd.read_csv(p, encoding="utf-8-sig") for p in sorted((tmp_path / "out").glob("*.csv"))]
    )
    assert sorted(written["target_id"]) == sorted(whole["target_id"])


def test_a_place_in_two_partitions_is_refused(tmp_path):
    from qindex.progress_partitioned import PartitionError, assess_partitioned

    cat, panel, tg = _synthetic_with_ranks()
    a, b = _parts(panel, 2)
    b = pd.concat([b, a[a["jurisdiction_id"] == "SYN-00000"].head(2)])
    with pytest.raises(PartitionError) as info:
        assess_partitioned([a, b], tg, catalog=cat)
    assert "'jurisdiction_id': got 'SYN-00000'; expected each place in one partition" in str(
        info.value
    )


# ---------------------------------------------------------------- an index built partition by partition


def _index_data(n_units=400, n_ind=30, seed=4, years=None):
    """Skewed columns with gaps, a group column, a unit with almost no data (screened out)."""
    rng = np.random.default_rng(seed)
    rows = n_units * (len(years) if years else 1)
    x = rng.lognormal(0, rng.uniform(0.2, 1.2, n_ind), (rows, n_ind))
    x[rng.random(x.shape) < 0.08] = np.nan
    cols = [f"i{k:02d}" for k in range(n_ind)]
    units = [f"u{k:04d}" for k in range(n_units)]
    index = (
        pd.MultiIndex.from_product([units, years], names=["unit", "year"])
        if years
        else pd.Index(units, name="unit")
    )
    data = pd.DataFrame(x, columns=cols, index=index)
    data.iloc[: (len(years) if years else 1), 1:] = np.nan  # the first unit: one indicator only
    data["group"] = rng.choice(["a", "b", "c"], rows)
    spec = {
        "name": "partition test",
        "steps": {
            "impute": {"method": "group_mean", "group": "group"},
            "screen": {"min_availability": 0.5},
            "treat": {"method": "winsorise_log", "winmax": 5, "skew": 2, "kurt": 3.5},
        },
        "indicators": [
            {"code": c, "parent": f"p{k % 5}", "direction": 1 if k % 3 else -1}
            for k, c in enumerate(cols)
        ],
        "aggregates": [{"code": f"p{p}", "parent": "index"} for p in range(5)]
        + [{"code": "index"}],
    }
    return data, spec


def _by_place(data, n):
    units = data.index.get_level_values(0).unique()
    return [data[data.index.get_level_values(0).isin(units[k::n])] for k in range(n)]


def _same_index(a, b):
    assert list(a.stages) == list(b.stages)
    for name in a.stages:
        pd.testing.assert_frame_equal(a.stages[name], b.stages[name], check_exact=True)
    pd.testing.assert_frame_equal(a.treatment, b.treatment, check_exact=True)
    pd.testing.assert_frame_equal(a.imputed_cells, b.imputed_cells)
    pd.testing.assert_series_equal(a.availability, b.availability)
    pd.testing.assert_frame_equal(a.screened_out, b.screened_out)
    assert a.notes == b.notes


def test_an_index_built_partition_by_partition_equals_the_in_memory_build(cluster):
    from qindex.composite import build_index
    from qindex.composite.build_partitioned import build_index_partitioned

    _lc, client = cluster
    data, spec = _index_data()
    fw = framework_from_dict(spec)
    parts = _by_place(data, 4)
    whole = build_index(pd.concat(parts), fw)
    assert whole.notes[0].startswith("1 unit(s) below 50% data availability removed")
    assert whole.treatment["n_winsorised"].sum() > 0  # the column rules do something here
    _same_index(whole, build_index_partitioned(parts, fw, block=7))
    # on the cluster, the parts held by the workers
    _same_index(whole, build_index_partitioned(client.scatter(parts), fw, client=client, block=7))
    lean = build_index_partitioned(parts, fw, keep_stages=False)
    pd.testing.assert_frame_equal(lean.scores, whole.scores, check_exact=True)


def test_a_panel_index_with_imputation_within_places_partitioned(cluster):
    from qindex.composite import build_index
    from qindex.composite.build_partitioned import build_index_partitioned

    _lc, client = cluster
    data, spec = _index_data(n_units=120, years=[2021, 2022, 2023], seed=6)
    spec["steps"]["impute"] = {"method": "latest"}
    fw = framework_from_dict(spec)
    parts = _by_place(data, 3)
    whole = build_index(pd.concat(parts), fw)
    _same_index(whole, build_index_partitioned(parts, fw, client=client, block=10))


#: A notebook that tells which kernel ran it and whether anything of an earlier run is left in it.
FRESH_NB = {
    **BATCH_NB,
    "cells": [
        _cell('output_dir: str = ""\nlabel: str = ""', tags=["parameters"]),
        _cell(
            "import os, pathlib, sys\n"
            "left = 'marker' in globals()\n"
            "marker = label\n"
            "pathlib.Path(output_dir, 'kernel.csv').write_text(\n"
            "    f'pid,left,warm\\n{os.getpid()},{left},{\"qindex.reports.plan\" in sys.modules}\\n')"
        ),
    ],
}


def test_a_batch_gives_every_run_a_fresh_kernel_started_ahead(at_project):
    # Issue 30: one after another, each run takes a kernel the pool started (and warmed) while the previous
    # run executed; no kernel runs two reports, nothing of one run is left for the next, the cells are
    # numbered from 1 as on a cold kernel, and no kernel outlives the batch.
    import psutil

    (at_project / "notebooks" / "fresh.ipynb").write_text(json.dumps(FRESH_NB), encoding="utf-8")
    p = _params(
        at_project,
        "fresh.yaml",
        "notebook: fresh.ipynb\ntitle: 新内核 {label}\nparameters:\n  label: [k1, k2, k3]\n",
    )
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    outcomes = run_batch(load_specs(p), workers=1)
    assert [o.ok for o in outcomes] == [True, True, True], [o.error for o in outcomes]
    rows = [
        pd.read_csv(at_project / "data" / "processed" / f"fresh-{k}" / "kernel.csv").iloc[0]
        for k in ("k1", "k2", "k3")
    ]
    assert len({r["pid"] for r in rows}) == 3  # three kernels
    assert not any(r["left"] for r in rows)  # no state from an earlier run
    assert all(r["warm"] for r in rows)  # each was past the common imports before its first cell
    for k in ("k1", "k2", "k3"):
        nb = json.loads(
            (at_project / "reports" / f"fresh-{k}" / f"fresh-{k}.ipynb").read_text(encoding="utf-8")
        )
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts[:3] == [1, 2, 3], counts
    after = {c.pid for c in psutil.Process().children(recursive=True)}
    assert after - before == set()  # no kernel left running


def test_a_pool_whose_kernel_cannot_start_fails_the_run_with_a_message(at_project):
    from qindex.errors import RunError
    from qindex.runner.pool import KernelPool

    with (
        KernelPool(kernel_name="no-such-kernel-for-qindex") as pool,
        pytest.raises(RunError) as info,
    ):
        pool.take()
    assert "the kernel 'no-such-kernel-for-qindex' could not be started" in str(info.value)


def test_the_kaohe_unit_pages_render_as_one_batch_on_the_cluster(cluster, at_project, capsys):
    """Issue 28: one page per 考核 unit, swept by a params file and rendered on the local Dask cluster."""
    import shutil

    lc, _client = cluster
    shipped = Path(__file__).resolve().parents[1] / "notebooks" / "kaohe_unit.ipynb"
    shutil.copy(shipped, at_project / "notebooks" / "kaohe_unit.ipynb")
    sweep = _params(
        at_project,
        "kaohe-units.yaml",
        "notebook: kaohe_unit.ipynb\ntitle: 【示例数据】考核·{place}\nparameters:\n"
        "  scheme_file: data/raw/example/kaohe/scheme.yaml\n"
        "  data_file: data/raw/example/kaohe/示例数据_考核.xlsx\n"
        "  unit_id: [S01, S11, S12]\n  replications: 200\n",
    )
    code = cli.main(
        [
            "run",
            str(sweep),
            "--scheduler",
            lc.scheduler_address,
            "--no-progress",
            "--allow-modified",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 passed, 0 failed" in out
    for unit, name, grade in (
        ("S01", "示例东城区", None),
        ("S11", "示例青山县", "D"),
        ("S12", "示例石桥县", None),
    ):
        html = (
            at_project / "reports" / f"kaohe-units-{unit}" / f"kaohe-units-{unit}.html"
        ).read_text(encoding="utf-8")
        assert f"<title>【示例数据】考核·{name}</title>" in html
        assert "三、怎样提高等级" in html
        if grade:
            assert "一票否决" in html
    # the gallery gives the sweep one row, a link per unit named by the unit
    index = (at_project / "reports" / "index.html").read_text(encoding="utf-8")
    assert "【示例数据】示例市2024年度质量工作考核结果·各单位报告（3份）：" in index
    assert '">示例青山县</a>' in index
