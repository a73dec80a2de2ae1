"""The qindex command, run as a user runs it."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

from tests.conftest import read_csv, write_csv


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "qindex.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        cwd="/",  # works from any folder
    )


def test_validate_ok():
    out = run("validate")
    assert out.returncode == 0, out.stderr
    assert "catalogue OK" in out.stdout


def test_targets_for_gongshu_lists_its_targets():
    out = run("targets", "--plan", "gongshu-2025")
    assert out.returncode == 0, out.stderr
    assert "gongshu-2025: 17 targets" in out.stdout  # 14 numeric, 1 trend, 2 qualitative (audit O6)
    for name in ("制造业质量竞争力指数", "服务质量满意度", "每万人口高价值发明专利拥有量"):
        assert name in out.stdout
    assert sum(line.startswith("gs25-") for line in out.stdout.splitlines()) == 17


def test_targets_csv_is_machine_readable():
    out = run("targets", "--format", "csv")
    # a BOM first, so that Excel on Chinese Windows reads the UTF-8 (issue 26); a CSV reader that knows
    # utf-8-sig reads the rest as it was
    assert out.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.stdout.removeprefix("\ufeff"))))
    # 84 + the 14 omissions of the data audit (O1-O7) + 32 of the higher-level plans (issue 15) + the 8 of
    # zhejiang-2022 (issue 25)
    assert len(rows) == 138
    assert {"target_id", "quote", "name_zh", "unit"} <= set(rows[0])


def test_validate_reports_problems_and_exits_1(mini_raw):
    rows = read_csv(mini_raw / "targets.csv")
    rows[1][5] = "x"
    write_csv(mini_raw / "targets.csv", rows)
    out = run("validate", env={"QINDEX_DATA_RAW": str(mini_raw)})
    assert out.returncode == 1
    assert "targets.csv, line 2, column 'target_value': got 'x'; expected a number" in out.stderr
    assert "Traceback" not in out.stderr
