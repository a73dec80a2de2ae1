"""The panel: published and office values settled into one row per place, indicator and year; its queries."""

from __future__ import annotations

import pytest

from qindex.errors import ObservationError
from qindex.panel import coverage, load_panel, series


def test_shipped_observations_validate_and_every_value_has_a_source():
    panel = load_panel()
    assert len(panel) > 150
    assert (panel.source != "").all()
    assert (panel.quote != "").all()


def test_series_and_coverage():
    s = series("CN-ZJ-HZ", "pm25")
    assert s.year.tolist() == [2013, 2017, 2018, 2019, 2020, 2021, 2024]
    assert coverage().loc["pm25", "CN-ZJ-HZ"] == "2013, 2017–2021, 2024"
    assert series("CN-ZJ-HZ-GS", "pm25").empty


def test_series_unknown_id_suggests():
    with pytest.raises(ObservationError, match="did you mean 'pm25'"):
        series("CN", "pm2.5")


def test_load_panel_returns_a_copy():
    a = load_panel()
    a.loc[0, "value"] = -1
    assert load_panel().loc[0, "value"] != -1
