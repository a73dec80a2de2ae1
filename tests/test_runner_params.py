"""Params files: every problem found before any kernel starts, and sweeps."""

from __future__ import annotations

import json
import random
import time

import pytest

from qindex import cli, paths
from qindex.runner import ParamsError, load_spec, load_specs, params_files
from tests.helpers import problems, write_params


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
        assert load_specs(f)  # a sweep (the 考核 unit pages) gives several runs
    assert len(load_specs(paths.PARAMS / "example-kaohe-units.yaml")) == 13


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


def test_a_params_file_with_many_unknown_keys_gives_a_short_message(tmp_path):
    keys = "".join(f"  k{i}: 1\n" for i in range(2000))
    found = problems(write_params(tmp_path, f"notebook: plan_progress.ipynb\nparameters:\n{keys}"))
    assert len(found) == 51 and "… and 1950 more problems" in found[-1]


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


# ---------------------------------------------------------------- bounded work (reliability review 2: N4, N8)


def test_a_params_file_with_many_keys_is_answered_at_once_and_a_huge_one_is_refused(tmp_path):
    # N4: the duplicate-key check counted each key in the whole list (quadratic: 20,000 keys took 13 s, 100,000
    # no answer in 180 s); 60,000 keys fill most of the 1 MB a params file may hold
    keys = "".join(f"  k{i}: {i}\n" for i in range(60_000))
    f = write_params(tmp_path, f"notebook: plan_progress.ipynb\nparameters:\n{keys}")
    msgs = problems(f)
    assert len(msgs) == 51 and msgs[-1].endswith("and 59950 more problems")
    big = write_params(
        tmp_path, "notebook: plan_progress.ipynb\n#" + "x" * 2**20 + "\n", "big.yaml"
    )
    assert problems(big)[0].endswith(
        "big.yaml: got '1,048,608 bytes'; expected a params file of at most 1,048,576 bytes"
    )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("{level.__class__.__mro__}", "as plain names ({level.__class__.__mro__} is not one)"),
        ("{level:>300000000}", "as plain names ({level:>300000000} is not one)"),
        ("{level!r}", "as plain names ({level!r} is not one)"),
        ("{nope}", "as plain names ({nope} is not one)"),
    ],
)
def test_sweep_titles_take_plain_placeholders_only(tmp_path, title, expected):
    # N8: attribute access through str.format gave a traceback; a width of 300,000,000 made 300 MB titles
    f = write_params(
        tmp_path,
        f'notebook: plan_progress.ipynb\ntitle: "{title}"\nparameters:\n  plan_id: gongshu-2025\n'
        "  level: [0.9, 0.8]\n",
    )
    assert problems(f)[0].endswith(expected)


def test_a_sweep_is_capped_unless_the_file_says_more_runs_are_meant(tmp_path):
    seeds = ", ".join(str(i) for i in range(1, 202))
    text = f"notebook: plan_progress.ipynb\nparameters:\n  synthetic: true\n  example_seed: [{seeds}]\n"
    msgs = problems(write_params(tmp_path, text))
    assert len(msgs) == 1 and msgs[0].endswith(
        "case.yaml, column 'parameters': got '201 runs'; expected a sweep of at most 100 runs "
        "(max_runs: N in the params file says more are meant)"
    )
    specs = load_specs(write_params(tmp_path, "max_runs: 300\n" + text, "many.yaml"))
    assert len(specs) == 201
    long = write_params(
        tmp_path,
        "notebook: plan_progress.ipynb\nparameters:\n  synthetic: true\n  example_seed: ["
        + "9" * 120
        + ", 1]\n",
        "long.yaml",
    )
    assert "a run name of at most 100 characters" in problems(long)[0]


# ---------------------------------------------------------------- seeded fuzz: sweeps (review 2, §2.3)

VALUES = [
    "0.9",
    "0.90",
    "linear",
    " linear",
    "01",
    "1e-3",
    "yes",
    "[]",
    "abc",
    "9" * 300,
    "拱墅",
    "{a: 1}",
]
TITLES = [
    "{place}{level}",
    "{level.__class__}",
    "{level[0]}",
    "{level:>99999}",
    "{level!r}",
    "{",
    "}",
    "{{literal}}",
    "{nope}",
    "<img src=x onerror=alert(1)>",
    "报告" * 150,
    "",
]


def test_seeded_sweeps_give_bounded_runs_or_one_params_error(tmp_path):
    rng = random.Random(20261203)
    outcomes = {"runs": 0, "refused": 0}
    for i in range(120):
        levels = [rng.choice(VALUES) for _ in range(rng.randint(0, 4))]
        seeds = [str(rng.randint(0, 10 ** rng.randint(1, 120))) for _ in range(rng.randint(1, 3))]
        title = rng.choice(TITLES)
        text = (
            f"notebook: plan_progress.ipynb\ntitle: {json.dumps(title, ensure_ascii=False)}\nparameters:\n"
            f"  plan_id: gongshu-2025\n  synthetic: true\n"
            f"  level: [{', '.join(levels)}]\n  example_seed: [{', '.join(seeds)}]\n"
        )
        f = write_params(tmp_path, text, name=f"s{i}.yaml")
        try:
            specs = load_specs(f)
        except ParamsError:
            outcomes["refused"] += 1
            continue
        outcomes["runs"] += 1
        assert 1 <= len(specs) <= 100
        assert all(len(s.name) <= 100 and len(s.title) <= 200 for s in specs)
        assert len({s.name for s in specs}) == len(specs)
    assert outcomes["runs"] > 0 and outcomes["refused"] > 0
