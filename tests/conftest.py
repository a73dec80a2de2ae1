"""Shared fixtures: a small valid catalogue written to a temporary folder, to break one thing at a time."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from qindex import paths
from qindex.schema import REQUIRED

SOURCE_TEXT = "示例方案。到2025年,制造业产品质量合格率达到94%,PM2.5浓度达到35微克/立方米,服务质量满意度持续提升。"


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def mini_raw(tmp_path: Path) -> Path:
    """A minimal valid catalogue: one plan, three targets, two indicators."""
    raw = tmp_path / "raw"
    (raw / "sources").mkdir(parents=True)
    (raw / "sources" / "plan.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    write_csv(
        raw / "jurisdictions.csv",
        [
            REQUIRED["jurisdictions"],
            ["CN", "全国", "China", "national", ""],
            ["CN-X", "示例市", "Example city", "city", "CN"],
        ],
    )
    write_csv(
        raw / "indicators.csv",
        [
            REQUIRED["indicators"],
            ["pass_rate", "合格率", "Pass rate", "%", "1", "product", "0", "100", "d"],
            ["pm25", "PM2.5", "PM2.5", "µg/m³", "-1", "environment", "0", "", "d"],
            ["satisfaction", "满意度", "Satisfaction", "分", "1", "service", "0", "100", "d"],
        ],
    )
    write_csv(
        raw / "plans.csv",
        [
            REQUIRED["plans"],
            ["demo-2025", "CN-X", "示例方案", "2023", "2022", "2025", "plan.txt"],
        ],
    )
    header = REQUIRED["targets"]
    write_csv(
        raw / "targets.csv",
        [
            header,
            [
                "t1",
                "demo-2025",
                "pass_rate",
                "level",
                ">=",
                "94",
                "2025",
                "2022",
                "",
                "制造业产品质量合格率达到94%",
                "plan.txt",
            ],
            [
                "t2",
                "demo-2025",
                "pm25",
                "level",
                "<=",
                "35",
                "2025",
                "2022",
                "",
                "PM2.5浓度达到35微克/立方米",
                "plan.txt",
            ],
            [
                "t3",
                "demo-2025",
                "satisfaction",
                "trend",
                ">=",
                "",
                "2025",
                "2022",
                "",
                "服务质量满意度持续提升",
                "plan.txt",
            ],
        ],
    )
    return raw


@pytest.fixture
def shipped_raw_copy(tmp_path: Path) -> Path:
    """A copy of the shipped data/raw/, for tests that must not touch the real one."""
    dest = tmp_path / "raw_copy"
    shutil.copytree(paths.DATA_RAW, dest)
    for p in dest.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    return dest


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(autouse=True, scope="session")
def data_raw_is_never_written():
    """No test may write under data/raw/: its files are hashed before and after the whole session."""
    before = _tree_digest(paths.DATA_RAW)
    yield
    assert _tree_digest(paths.DATA_RAW) == before, "a test changed data/raw/"


@pytest.fixture(autouse=True)
def _no_office_data(tmp_path_factory, monkeypatch):
    """Tests never read the office's own files in data/raw/office/: they check the shipped data, so an office
    that has added its statistics still gets a green suite. Tests of office data point QINDEX_OFFICE at their
    own folder. The variable reaches the kernels of notebook runs too."""
    monkeypatch.setenv("QINDEX_OFFICE", str(tmp_path_factory.mktemp("office-empty")))


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Reports and processed outputs go to a temporary folder, never into the checkout."""
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    return tmp_path


@pytest.fixture
def office(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "office"
    folder.mkdir()
    monkeypatch.setenv("QINDEX_OFFICE", str(folder))
    return folder
