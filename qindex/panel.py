"""The panel: every value the analyses use, one row per place, indicator and year.

It stands above both readers: the published files (:mod:`qindex.observations`) and the office's own files
(:mod:`qindex.office`), settled against each other by ``data/raw/precedence.yaml``. :func:`load_panel` is what
every report and analysis starts from; :func:`series` and :func:`coverage` are the two questions an analyst asks
of it first.

Example
-------
>>> series("CN", "manufacturing_product_pass_rate").year.tolist()[:2]
[2017, 2020]
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.catalog import load_catalog
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, Problem
from qindex.observations import empty_frame, load_published, year_ranges
from qindex.office import office_dir, office_files, read_office
from qindex.precedence import PRECEDENCE_FILE, combine, load_precedence


def load_panel(raw_dir: Path | str | None = None, office: bool = True) -> pd.DataFrame:
    """The validated panel: the published observations (``data/raw/observations/``) and, unless
    ``office=False``, the office's own files (``data/raw/office/``), settled by ``data/raw/precedence.yaml``.

    Parameters
    ----------
    raw_dir : the folder of the raw data (default ``data/raw/``).
    office : read the office's own files too (default); ``False``: published figures only.

    Returns
    -------
    DataFrame
        columns as :func:`read_observations` plus ``resolution``, one row per place, indicator and year,
        sorted. ``origin`` says where each value comes from (published, derived, office); ``other_sources``
        lists the other sources of an identical value. ``attrs["set_aside"]`` holds the values not used and
        ``attrs["precedence"]`` every pair settled (:func:`qindex.precedence.precedence_log`). Inputs are never
        written; the frame is a copy each call.

    Raises
    ------
    ObservationError
        a problem in any file, or two values of one origin that no rule of precedence.yaml settles.

    Example
    -------
    >>> load_panel().columns[:4].tolist()
    ['jurisdiction_id', 'indicator_id', 'year', 'value']
    """
    raw = (Path(raw_dir) if raw_dir is not None else paths.DATA_RAW).resolve()
    folder = office_dir().resolve() if office else None
    stamp = paths.file_stamp(
        raw / "observations", raw / PRECEDENCE_FILE, *([folder] if folder else [])
    )
    panel = _load_panel_cached(raw, folder, stamp)
    out = panel.copy()
    out.attrs["set_aside"] = [dict(r) for r in panel.attrs["set_aside"]]
    out.attrs["precedence"] = [dict(r) for r in panel.attrs["precedence"]]
    return out


@lru_cache(maxsize=4)
def _load_panel_cached(raw: Path, office: Path | None, stamp) -> pd.DataFrame:
    cat = load_catalog(raw)
    published = load_published(raw)
    own = (
        read_office(office_files(office), cat).observations if office is not None else empty_frame()
    )
    return combine(published, own, load_precedence(raw, cat))


def series(
    jurisdiction_id: str, indicator_id: str, panel: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One place's series of one indicator.

    Parameters
    ----------
    jurisdiction_id : a place of ``jurisdictions.csv`` (``CN``, ``CN-ZJ-HZ`` …).
    indicator_id : an indicator of ``indicators.csv``.
    panel : the panel to read (default :func:`load_panel`).

    Returns
    -------
    DataFrame
        sorted by year: ``year``, ``value`` (in the indicator's unit), ``unit``, ``flag``, ``note``, ``source``.
        A known pair without data gives an empty frame.

    Raises
    ------
    ObservationError
        an id that is not in the catalogue, with the closest id.

    Example
    -------
    >>> series("CN", "manufacturing_product_pass_rate").year.tolist()[:2]
    [2017, 2020]
    """
    panel = load_panel() if panel is None else panel
    cat = load_catalog()
    problems = Problems()
    if jurisdiction_id not in set(cat.jurisdictions.jurisdiction_id):
        problems.append(
            Problem(
                "series",
                None,
                "jurisdiction_id",
                jurisdiction_id,
                f"a known id{closest(jurisdiction_id, cat.jurisdictions.jurisdiction_id)}",
            )
        )
    if indicator_id not in set(cat.indicators.indicator_id):
        problems.append(
            Problem(
                "series",
                None,
                "indicator_id",
                indicator_id,
                f"a known id{closest(indicator_id, cat.indicators.indicator_id)}",
            )
        )
    problems.raise_if_any(ObservationError)
    sel = panel[(panel.jurisdiction_id == jurisdiction_id) & (panel.indicator_id == indicator_id)]
    return (
        sel[["year", "value", "unit", "flag", "note", "source"]]
        .sort_values("year")
        .reset_index(drop=True)
    )


def coverage(panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicator × jurisdiction table of the years covered (compact ranges; empty where none).

    Parameters
    ----------
    panel : the panel (default :func:`load_panel`).

    Returns
    -------
    DataFrame
        index ``indicator_id``, one column per jurisdiction id that has data, cells like "2013, 2018–2021".

    Example
    -------
    >>> coverage().loc["manufacturing_product_pass_rate", "CN"]
    '2017, 2020, 2022–2024'
    """
    panel = load_panel() if panel is None else panel
    table = (
        panel.groupby(["indicator_id", "jurisdiction_id"])["year"]
        .apply(year_ranges)
        .unstack(fill_value="")
    )
    order = [j for j in load_catalog().jurisdictions.jurisdiction_id if j in table.columns]
    return table[order]
