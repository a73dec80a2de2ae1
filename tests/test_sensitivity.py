"""Uncertainty and sensitivity analysis: the fast engine against a plain rebuild loop, Sobol' indices against
analytic values, reproducibility and validation of study specs."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qindex.composite import SpecError, framework_from_dict, framework_from_imeta
from qindex.composite.sensitivity import (
    drop_one,
    load_study,
    reference_ranks,
    run_replications,
    saltelli_design,
    sensitivity,
    sobol_indices,
    uncertainty,
)

ASEM = Path(__file__).parent / "fixtures" / "composite" / "asem"
STEPS = {
    "impute": {"method": "group_mean", "group": "EurAsia_group"},
    "screen": {"min_availability": 0.9, "basis": "imputed"},
    "treat": {"method": "winsorise_log"},
    "normalise": {"method": "minmax", "lower": 1, "upper": 100},
    "aggregate": {"method": "amean"},
}
ALL_KINDS = {
    "seed": 7,
    "assumptions": [
        {"name": "weights", "kind": "weights", "level": 2, "noise": 0.25, "sets": 50},
        {
            "name": "normalisation",
            "kind": "normalise",
            "alternatives": [
                {"method": "minmax", "lower": 1, "upper": 100},
                {"method": "zscore", "mean": 10, "sd": 2},
            ],
        },
        {
            "name": "aggregation",
            "kind": "aggregate",
            "level": 3,
            "alternatives": [{"method": "amean"}, {"method": "gmean"}],
        },
        {
            "name": "imputation",
            "kind": "impute",
            "alternatives": [
                {"method": "group_mean", "group": "EurAsia_group"},
                {"method": "mean"},
            ],
        },
        {
            "name": "treatment",
            "kind": "treat",
            "alternatives": [{"method": "winsorise_log"}, {"method": "none"}],
        },
        {"name": "exclude", "kind": "exclude"},
    ],
}


@pytest.fixture(scope="module")
def asem():
    data = pd.read_csv(ASEM / "ASEM_iData.csv").set_index("uCode")
    fw = framework_from_imeta(pd.read_csv(ASEM / "ASEM_iMeta.csv"), steps=STEPS)
    return data, fw


def test_fast_engine_equals_a_plain_rebuild_for_every_kind_of_assumption(asem):
    data, fw = asem
    study = load_study(ALL_KINDS, fw)
    u = np.random.default_rng(3).random((15, len(study.assumptions)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices of an excluded indicator
        ranks, _, _ = run_replications(data, fw, study, u)
        for i, row in enumerate(u):
            assert np.array_equal(ranks[i], reference_ranks(data, fw, study, row)), i


def test_uncertainty_rank_statistics_and_reproducibility(asem):
    data, fw = asem
    study = load_study(ALL_KINDS, fw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = uncertainty(data, fw, study, n=60)
        b = uncertainty(data, fw, study, n=60)
    assert a.rank_stats.equals(b.rank_stats) and a.replications.equals(b.replications)
    s = a.rank_stats
    assert (s.q05_rank <= s.median_rank).all() and (s.median_rank <= s.q95_rank).all()
    assert s.loc["CHE", "nominal_rank"] == 1  # the nominal index: CHE first (COINr example)
    assert list(a.replications.columns) == [*study.names, "mean_abs_rank_shift"]
    assert (
        a.replications.mean_abs_rank_shift >= 0
    ).all() and a.replications.mean_abs_rank_shift.max() > 0


def test_sensitivity_runs_the_saltelli_design(asem):
    data, fw = asem
    study = load_study({"seed": 1, "assumptions": ALL_KINDS["assumptions"][:3]}, fw)
    sa = sensitivity(data, fw, study, n=32, n_boot=100)
    assert len(sa.uncertainty.replications) == 32 * (3 + 2)  # N·(d + 2)
    assert list(sa.indices.assumption) == ["weights", "normalisation", "aggregation"]
    assert (sa.indices.total >= 0).all()


def test_ishigami_indices_within_bootstrap_intervals():
    # Ishigami (a = 7, b = 0.1), inputs uniform on [-π, π]; analytic first-order S = (0.3139, 0.4424, 0),
    # total ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008, Global Sensitivity Analysis, §4.8).
    def f(u):
        x = -np.pi + 2 * np.pi * u
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    n = 8192
    a, b, ab = saltelli_design(3, n, seed=11)
    idx = sobol_indices(f(a), f(b), np.array([f(m) for m in ab]), n_boot=300, level=0.99, seed=2)
    for i, (s1, st) in enumerate([(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)]):
        assert idx.first_order_low[i] <= s1 <= idx.first_order_high[i], (i, idx.iloc[i].to_dict())
        assert idx.total_low[i] <= st <= idx.total_high[i], (i, idx.iloc[i].to_dict())


def test_linear_model_indices():
    # y = 1·x1 + 2·x2 + 3·x3, independent uniforms: S_i = ST_i = a_i² / Σ a_j² = 1/14, 4/14, 9/14
    n = 4096
    a, b, ab = saltelli_design(3, n, seed=5)
    f = lambda u: u @ np.array([1.0, 2.0, 3.0])  # noqa: E731
    idx = sobol_indices(f(a), f(b), np.array([f(m) for m in ab]), n_boot=300, level=0.99)
    expected = np.array([1, 4, 9]) / 14
    assert np.all(idx.first_order_low <= expected) and np.all(expected <= idx.first_order_high)
    assert np.all(idx.total_low <= expected) and np.all(expected <= idx.total_high)


def test_nothing_uncertain_gives_zero_indices_and_a_note(asem):
    data, fw = asem
    study = load_study(
        {
            "assumptions": [
                {
                    "name": "one way",
                    "kind": "normalise",
                    "alternatives": [{"method": "minmax", "lower": 1, "upper": 100}],
                }
            ]
        },
        fw,
    )
    sa = sensitivity(data, fw, study, n=16, n_boot=50)
    assert (sa.indices[["first_order", "total"]] == 0).all().all()
    assert "no output variance" in sa.note


def test_drop_one_indicator(asem):
    data, fw = asem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = drop_one(data, fw)
    assert d.shape == (51, 49)
    assert d.abs().to_numpy().max() > 0


# ---------------------------------------------------------------- validation

SMALL = framework_from_dict(
    {
        "indicators": [
            {"code": "a", "parent": "p"},
            {"code": "b", "parent": "p"},
            {"code": "c", "parent": "q"},
        ],
        "aggregates": [
            {"code": "p", "parent": "idx"},
            {"code": "q", "parent": "idx"},
            {"code": "idx"},
        ],
    }
)


def errors(spec):
    with pytest.raises(SpecError) as info:
        load_study(spec, SMALL)
    return [str(p) for p in info.value.problems]


def test_a_step_the_index_does_not_use_is_an_error():
    # COINr skips such a step silently (its issue #60); here it is an error.
    msgs = errors(
        {"assumptions": [{"name": "imp", "kind": "impute", "alternatives": [{"method": "mean"}]}]}
    )
    assert msgs == [
        "assumption 'imp', column 'kind': got 'impute'; expected a step the index uses (its impute step is 'none'; declare it in the framework first)"
    ]


def test_unknown_kind_level_method_and_indicator():
    msgs = errors(
        {
            "assumptions": [
                {"name": "w", "kind": "weight"},
                {
                    "name": "agg",
                    "kind": "aggregate",
                    "level": 5,
                    "alternatives": [{"method": "median"}],
                },
                {"name": "x", "kind": "exclude", "indicators": ["d"]},
            ]
        }
    )
    assert any(
        "assumption 'w', column 'kind': got 'weight'" in m and "did you mean 'weights'" in m
        for m in msgs
    )
    assert any("assumption 'agg', column 'level': got 5" in m for m in msgs)
    assert any("assumption 'agg', column 'alternatives': got 'median'" in m for m in msgs)
    assert any("assumption 'x', column 'indicators': got 'd'" in m for m in msgs)


def goalpost_framework():

    return framework_from_dict(
        {
            "name": "gp",
            "steps": {"aggregate": {"method": "amean"}},
            "indicators": [
                {
                    "code": "a",
                    "parent": "p",
                    "normalise": {"method": "goalposts", "lower": 85, "upper": 96},
                },
                {
                    "code": "b",
                    "parent": "p",
                    "normalise": {"method": "goalposts", "lower": 60, "upper": 90},
                },
                {
                    "code": "c",
                    "parent": "q",
                    "direction": -1,
                    "normalise": {"method": "goalposts", "lower": 75, "upper": 35},
                },
            ],
            "aggregates": [
                {"code": "p", "name": "P", "parent": "index"},
                {"code": "q", "name": "Q", "parent": "index"},
                {"code": "index", "name": "Index"},
            ],
        }
    )


def test_goalpost_floors_are_an_assumption_the_engine_varies():
    # The floors of the city index have no source (audit §1.4): the study varies them. The fast engine must
    # give the same ranks as a plain rebuild with the changed goalposts, replication by replication.
    fw = goalpost_framework()
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {"a": rng.uniform(86, 97, 12), "b": rng.uniform(62, 92, 12), "c": rng.uniform(30, 70, 12)},
        index=[f"u{i}" for i in range(12)],
    )
    study = load_study(
        {
            "seed": 3,
            "assumptions": [
                {
                    "name": "floors",
                    "kind": "goalposts",
                    "alternatives": [{}, {"a": 70, "b": 40, "c": 100}, {"a": 90, "b": 75, "c": 60}],
                },
                {"name": "w", "kind": "weights", "level": 2, "noise": 0.3, "sets": 20},
            ],
        },
        fw,
    )
    u = np.random.default_rng(4).random((12, 2))
    ranks, _, _ = run_replications(data, fw, study, u)
    for i, row in enumerate(u):
        assert np.array_equal(ranks[i], reference_ranks(data, fw, study, row)), i
    # a floor closer to the upper goalpost spreads the scores: the rankings do change across floors
    assert len({tuple(r) for r in ranks}) > 1


def test_goalpost_alternatives_are_validated():
    fw = goalpost_framework()
    with pytest.raises(SpecError) as e:
        load_study(
            {
                "assumptions": [
                    {
                        "name": "f",
                        "kind": "goalposts",
                        "alternatives": [{"a": 96, "zz": 1, "b": "x"}],
                    }
                ]
            },
            fw,
        )
    m = str(e.value)
    assert "a lower goalpost ≠ the upper one" in m and "column 'b'" in m and "'zz'" in m


@pytest.mark.parametrize(
    ("study", "expected"),
    [
        (
            {"assumptions": [{"name": "w", "kind": "weights", "noise": "lots"}]},
            "column 'noise': got 'lots'",
        ),
        ({"assumptions": [{"name": "w", "kind": "weights", "sets": 0}]}, "column 'sets': got 0"),
        (
            {"seed": "abc", "assumptions": [{"name": "x", "kind": "exclude"}]},
            "column 'seed': got 'abc'",
        ),
        ({"assumptions": "weights"}, "expected a list of assumptions"),
        ({"assumptions": ["weights"]}, "expected a mapping with name and kind"),
        ([1, 2], "expected a mapping with assumptions"),
        (
            {"assumptions": [{"name": "x", "kind": "exclude", "indicators": 5}]},
            "'all' or a list of codes",
        ),
        (
            {
                "assumptions": [
                    {"name": "w", "kind": "weights"},
                    {"name": "w", "kind": "weights", "level": 1},
                ]
            },
            "column 'name': got 'w'; expected a unique name",
        ),
    ],
)
def test_study_specs_of_the_wrong_type_are_spec_errors(study, expected):
    # Reliability review D9/D10: these crashed with TypeError/ValueError or were silently misread.
    with pytest.raises(SpecError, match=re.escape(expected)):
        load_study(study, goalpost_framework())


def test_replication_counts_must_be_positive_and_nan_scores_are_never_ranked():
    fw = goalpost_framework()
    data = pd.DataFrame(
        {"a": [90.0, 95.0, np.nan], "b": [70.0, 80.0, np.nan], "c": [40.0, 50.0, np.nan]},
        index=["u1", "u2", "u3"],
    )
    study = load_study({"assumptions": [{"name": "w", "kind": "weights", "level": 2}]}, fw)
    with pytest.raises(SpecError, match="a whole number of replications"):
        uncertainty(data, fw, study, n=0)
    ua = uncertainty(data, fw, study, n=20)
    # u3 has no data, so no score: it has no rank (it used to be ranked, last or tied first)
    assert np.isnan(ua.rank_stats.loc["u3", "nominal_rank"]) and np.isnan(ua.ranks[:, 2]).all()
    assert set(ua.rank_stats.loc[["u1", "u2"], "nominal_rank"]) == {1.0, 2.0}


def test_unknown_parameters_of_an_alternative_are_refused():
    with pytest.raises(SpecError, match=r"parameters of minmax: \['lower', 'upper'\]"):
        load_study(
            {
                "assumptions": [
                    {
                        "name": "n",
                        "kind": "normalise",
                        "alternatives": [{"method": "minmax", "low": 1}],
                    }
                ]
            },
            goalpost_framework(),
        )


def test_data_driven_weights_refuse_what_they_cannot_weigh():
    from qindex.composite.weights import entropy, pca

    for bad in (
        [[1.0, 2.0]],
        [[1.0, 2.0], [1.0, 3.0]],
        [[1.0, -2.0], [2.0, 3.0]],
        [[1.0, np.nan], [2.0, 3.0]],
    ):
        with pytest.raises(SpecError):
            entropy(bad)  # one unit; a constant column; a negative value; a missing value
    with pytest.raises(SpecError, match="a constant column"):
        pca([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])


def test_a_study_that_would_feed_zero_to_a_geometric_mean_is_refused_before_any_replication():
    # reliability review 2, N13: a zscore alternative under a gmean index raised ValueError inside a replication
    gm = framework_from_dict(
        {
            "steps": {"normalise": {"method": "minmax", "lower": 1, "upper": 100}},
            "indicators": [{"code": "a", "parent": "idx"}, {"code": "b", "parent": "idx"}],
            "aggregates": [{"code": "idx", "aggregate": {"method": "gmean"}}],
        }
    )
    with pytest.raises(SpecError) as info:
        load_study(
            {
                "assumptions": [
                    {"name": "n", "kind": "normalise", "alternatives": [{"method": "zscore"}]}
                ]
            },
            gm,
        )
    assert [p.column for p in info.value.problems] == ["normalise"]
    assert "gmean of indicators at idx" in info.value.problems[0].expected


def test_a_sobol_design_on_too_few_rows_is_refused_not_read_as_no_sensitivity():
    # reliability review 2, N13: sensitivity(n=1) said "nothing studied changes the ranks"
    data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 3, 4, 1, 2]}, index=list("pqrst"))
    fw = framework_from_dict(
        {
            "indicators": [{"code": "a", "parent": "idx"}, {"code": "b", "parent": "idx"}],
            "aggregates": [{"code": "idx"}],
        }
    )
    study = load_study({"assumptions": [{"name": "w", "kind": "weights", "noise": 0.25}]}, fw)
    with pytest.raises(SpecError, match="replications ≥ 8"):
        sensitivity(data, fw, study, n=1)


def test_replications_run_on_one_blas_thread_whatever_the_environment_says(asem, monkeypatch):
    # The replication loop makes many small matrix products; BLAS threads on top of chunks and workers only
    # fight each other (issue 30). Inside the loop the limit is one thread; outside it nothing is changed.
    from threadpoolctl import threadpool_info, threadpool_limits

    from qindex.composite.sensitivity import engine

    data, fw = asem
    study = load_study(ALL_KINDS, fw)
    seen = []
    real = engine.chunk_ranks

    def spy(*args):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return real(*args)

    monkeypatch.setattr("qindex.composite.sensitivity.montecarlo.chunk_ranks", spy)
    u = np.random.default_rng(5).random((130, len(study.assumptions)))
    with warnings.catch_warnings(), threadpool_limits(limits=2, user_api="blas"):
        warnings.simplefilter("ignore", RuntimeWarning)
        two = run_replications(data, fw, study, u)[0]
        after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert seen and set(seen) == {1}
    assert after and set(after) == {2}  # restored
    monkeypatch.setattr("qindex.composite.sensitivity.montecarlo.chunk_ranks", real)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", RuntimeWarning)
        one = run_replications(data, fw, study, u)[0]
    np.testing.assert_array_equal(one, two)
