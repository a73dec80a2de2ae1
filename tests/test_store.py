"""Writing outputs: atomic, Excel-friendly, and never under data/raw/."""

from __future__ import annotations

import pandas as pd
import pytest

from qindex import paths
from qindex.store import WriteError, atomic_write, write_csv


def test_atomic_write_failure_leaves_previous_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")

    def half_then_fail(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_csv_is_excel_friendly(tmp_path):
    out = write_csv(pd.DataFrame({"指标": ["制造业产品质量合格率"]}), tmp_path / "x.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_writing_under_data_raw_is_refused():
    with pytest.raises(WriteError, match="read-only"):
        write_csv(pd.DataFrame({"a": [1]}), paths.DATA_RAW / "observations" / "x.csv")
    assert not (paths.DATA_RAW / "observations" / "x.csv").exists()


def test_data_raw_guard_cannot_be_bypassed(tmp_path, monkeypatch):
    # Reliability review D13: a symlink in data/raw, QINDEX_DATA_RAW pointing elsewhere, and the runner's
    # own writes all got round the guard.
    from qindex.runner import publish

    outside = tmp_path / "outside.csv"
    outside.write_text("kept", encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "link.csv").symlink_to(outside)
    monkeypatch.setattr(paths, "DATA_RAW", raw)
    with pytest.raises(WriteError, match="read-only"):  # the symlink would have been replaced
        write_csv(pd.DataFrame({"a": [1]}), raw / "link.csv")
    assert (raw / "link.csv").is_symlink() and outside.read_text(encoding="utf-8") == "kept"
    project_raw = paths.ROOT / "data" / "raw"
    with pytest.raises(
        WriteError, match="read-only"
    ):  # the project's data/raw, whatever is configured
        write_csv(pd.DataFrame({"a": [1]}), project_raw / "targets.csv")
    monkeypatch.setattr(paths, "REPORTS", raw / "reports")  # reports/ pointed into data/raw
    with pytest.raises(WriteError, match="read-only"), publish.run_lock("x"):
        pass
    assert not (raw / "reports").exists()
