"""The vectorised cumulative, rank and trend rules give what the per-target rules gave.

The reference is the per-target code as it stood before the rules were vectorised (``tests/reference_rules.py``:
each target decided on its own rows, in plain Python). Both run through :func:`qindex.progress.assess`, on the
shipped data at every as-of year and on generated panels with every case each rule distinguishes
(:func:`qindex.synthetic.synthetic_rule_panel`); every result column must agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qindex import progress
from qindex.catalog import load_catalog
from qindex.panel import load_panel
from qindex.synthetic import synthetic_rule_panel
from tests import reference_rules as ref

REFERENCE = {
    "cumulative": ref.cumulative_rule,
    "rank": ref.rank_rule,
    "trend": ref.trend_rule,
}


def _reference_rules():
    return [
        (types, REFERENCE.get(types[0], rule)) if len(types) == 1 else (types, rule)
        for types, rule in progress.RULES
    ]


def both(monkeypatch, *args, **kwargs):
    new = progress.assess(*args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(progress, "RULES", _reference_rules())
        old = progress.assess(*args, **kwargs)
    return new, old


def same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns)
    for col in new.columns:
        a, b = new[col], old[col]
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-12, equal_nan=True, err_msg=col
            )
        else:
            bad = a.astype(str) != b.astype(str)
            assert not bad.any(), (
                col,
                new.loc[bad, "target_id"].head().tolist(),
                a[bad].head().tolist(),
                b[bad].head().tolist(),
            )


@pytest.mark.parametrize("as_of", [2016, 2020, 2022, 2024, None])
def test_shipped_data_every_plan(monkeypatch, as_of):
    cat = load_catalog()
    tg = cat.targets[cat.targets["target_type"].isin(["cumulative", "rank", "trend"])]
    assert len(tg) > 20
    new, old = both(monkeypatch, load_panel(), tg, as_of=as_of)
    same(new, old)


@pytest.mark.parametrize("kind", ["cumulative", "rank", "trend"])
@pytest.mark.parametrize("as_of", [2018, None])
def test_generated_panels(monkeypatch, kind, as_of):
    cat, panel, tg, rankings = synthetic_rule_panel(kind, n_units=60, n_indicators=6, seed=3)
    # min_peers 9: some provinces of the generated panel (8–9 places) have too few places to rank
    new, old = both(
        monkeypatch, panel, tg, as_of=as_of, catalog=cat, rankings=rankings, min_peers=9
    )
    # every case of the rule is exercised, not only the easy ones
    assert new["status"].nunique() >= 3
    same(new, old)
