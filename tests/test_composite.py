"""Composite index: reproduces COINr's ASEM example at every stage, the UNDP HDI 1990–2021, and the published
AHP, entropy and TOPSIS examples; validates frameworks."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qindex.composite import SpecError, build_index, framework_from_dict, framework_from_imeta
from qindex.composite.aggregate import copeland, genmean
from qindex.composite.analysis import (
    availability,
    correlations,
    cronbach_alpha,
    descendants,
    pca_variance,
    strengths_weaknesses,
)
from qindex.composite.mcda import topsis
from qindex.composite.normalise import efficacy, goalposts, ratio2targ
from qindex.composite.weights import ahp, entropy, pca

FIX = Path(__file__).parent / "fixtures" / "composite"
ASEM = FIX / "asem"

# COINr's build_example_coin(): Denominate -> Impute(i_mean_grp by EurAsia_group) -> Screen(byNA, 0.9, on the
# imputed set) -> Treat(defaults) -> Normalise(min-max 0-100) -> Aggregate(a_amean).
ASEM_STEPS = {
    "impute": {"method": "group_mean", "group": "EurAsia_group"},
    "screen": {"min_availability": 0.9, "basis": "imputed"},
    "treat": {"method": "winsorise_log", "winmax": 5, "skew": 2, "kurt": 3.5},
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "amean"},
}


@pytest.fixture(scope="module")
def asem():
    data = pd.read_csv(ASEM / "ASEM_iData.csv").set_index("uCode")
    fw = framework_from_imeta(pd.read_csv(ASEM / "ASEM_iMeta.csv"), steps=ASEM_STEPS)
    return data, fw, build_index(data, fw)


def coinr(name):
    return pd.read_csv(ASEM / f"coinr_{name}.csv").set_index("uCode")


@pytest.mark.parametrize(
    ("stage", "reference"),
    [
        ("denominated", "Denominated"),
        ("imputed", "Imputed"),
        ("screened", "Screened"),
        ("treated", "Treated"),
        ("normalised", "Normalised"),
        ("aggregated", "Aggregated"),
    ],
)
def test_asem_every_stage_matches_coinr(asem, stage, reference):
    _, _, result = asem
    ref = coinr(reference)
    got = result.stages[stage].reindex(index=ref.index, columns=ref.columns)
    assert got.shape == ref.shape and got.notna().equals(ref.notna())
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-9)


def test_asem_winsorised_points_match_coinr(asem):
    _, _, result = asem
    ref = (
        pd.read_csv(ASEM / "coinr_Treated_details.csv")
        .set_index("iCode")["winsorise.nwin"]
        .fillna(0)
    )
    assert (result.treatment["n_winsorised"].reindex(ref.index) == ref).all()


def test_asem_effective_weights_match_coinr(asem):
    _, _, result = asem
    ref = pd.read_csv(ASEM / "coinr_effective_weights.csv").set_index("iCode")["EffWeight"]
    np.testing.assert_allclose(result.effective_weights().reindex(ref.index), ref, atol=1e-12)


@pytest.mark.parametrize(
    ("variant", "normalise", "aggregate"),
    [
        ("zscore10_2_amean", {"method": "zscore", "mean": 10, "sd": 2}, {"method": "amean"}),
        ("minmax1_100_gmean", {"method": "minmax", "lower": 1, "upper": 100}, {"method": "gmean"}),
        ("rank_amean", {"method": "rank"}, {"method": "amean"}),
        ("prank_amean", {"method": "prank"}, {"method": "amean"}),
    ],
)
def test_asem_method_variants_match_coinr(asem, variant, normalise, aggregate):
    data, fw, _ = asem
    result = build_index(
        data, fw.with_changes(steps={"normalise": normalise, "aggregate": aggregate})
    )
    ref = coinr(f"variant_{variant}")
    got = result.scores.reindex(index=ref.index, columns=ref.columns)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-9)


def test_asem_top_three_and_contributions(asem):
    _, _, result = asem
    top = result.table(level=4).sort_values("rank").head(3)
    assert top.unit.tolist() == [
        "CHE",
        "NLD",
        "DNK",
    ]  # composite.md §2.6: 68.38372, 64.81952, 64.80408
    assert top.score.round(5).tolist() == [68.38372, 64.81952, 64.80408]
    # with arithmetic means and complete data, indicator contributions add up to the index
    np.testing.assert_allclose(
        result.contributions().sum(axis=1), result.scores["Index"], atol=1e-9
    )


def test_asem_cronbach_alpha(asem):
    _, _, result = asem
    # composite.md §2.6: Cronbach's alpha of the Conn indicators (normalised) = 0.8806 (COINr get_cronbach)
    assert cronbach_alpha(
        result.stages["normalised"][descendants(result, "Conn")]
    ) == pytest.approx(0.8806, abs=5e-5)


def test_analysis_outputs(asem):
    _, _, result = asem
    c = correlations(result, level=2)
    assert {"sibling", "other", "parent"} <= set(c.relation)
    v = pca_variance(result)
    assert v.sum() == pytest.approx(1.0) and v.is_monotonic_decreasing
    a = availability(result)
    assert a.n_imputed.sum() == 65  # the 65 missing values of the denominated set, all imputed
    sw = strengths_weaknesses(result, n=2)
    assert len(sw) == 51 * 4


def test_hdi_1990_2021_all_published_values():
    # UNDP: LEI = (LE − 20)/65, EI = mean(EYS/18, MYS/15), II = (ln GNIpc − ln 100)/(ln 75000 − ln 100),
    # each capped at 1; HDI = geometric mean; published at 3 decimals (round half up).
    h = pd.read_csv(FIX / "hdi" / "hdr2122_hdi_components_long.csv").dropna(
        subset=["le", "eys", "mys", "gnipc", "hdi_published"]
    )
    h["ln_gnipc"] = np.log(h["gnipc"])
    data = h.set_index(["iso3", "year"])
    gp = lambda lo, hi: {"method": "goalposts", "lower": lo, "upper": hi, "scale": 1}  # noqa: E731
    fw = framework_from_dict(
        {
            "name": "HDI",
            "indicators": [
                {"code": "le", "parent": "health", "normalise": gp(20, 85)},
                {"code": "eys", "parent": "education", "normalise": gp(0, 18)},
                {"code": "mys", "parent": "education", "normalise": gp(0, 15)},
                {
                    "code": "ln_gnipc",
                    "parent": "income",
                    "normalise": gp(float(np.log(100)), float(np.log(75000))),
                },
            ],
            "aggregates": [
                {"code": "health", "parent": "hdi"},
                {"code": "education", "parent": "hdi"},
                {"code": "income", "parent": "hdi"},
                {"code": "hdi", "aggregate": {"method": "gmean"}},
            ],
        }
    )
    hdi = build_index(data, fw).scores["hdi"]
    rounded = hdi.map(
        lambda v: float(Decimal(repr(v)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
    )
    assert len(rounded) == 5923
    assert (rounded == data["hdi_published"]).all()


# ---------------------------------------------------------------- weights and MCDA, published examples


def test_ahp_saaty_2008_drinks():
    # Saaty (2008), relative consumption of drinks: w = [.177 .019 .042 .116 .190 .129 .327], CR = 0.022
    a = np.array(
        [
            [1, 9, 5, 2, 1, 1, 1 / 2],
            [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
            [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
            [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
            [1, 9, 4, 2, 1, 2, 1 / 2],
            [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
            [2, 9, 9, 3, 2, 3, 1],
        ]
    )
    r = ahp(a)
    assert np.round(r.weights, 3).tolist() == [0.177, 0.019, 0.042, 0.116, 0.19, 0.129, 0.327]
    assert r.lambda_max == pytest.approx(7.1766, abs=5e-5)
    assert round(r.cr, 3) == 0.022 and r.consistent
    assert ahp(a, ri_table="saaty2005").ri == 1.35


def test_ahp_refuses_a_non_reciprocal_matrix():
    with pytest.raises(SpecError, match="reciprocal"):
        ahp([[1, 2], [2, 1]])
    # reliability review 2, N13: a zero entry was a ValueError from deep in numpy's comparison
    with pytest.raises(SpecError, match="positive, finite entries"):
        ahp([[1, 0], [0, 1]])


def test_entropy_xu_2004_and_zavadskas_podvezko_2016():
    xu = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
    assert np.round(entropy(xu), 4).tolist() == [0.4630, 0.3992, 0.1378, 0.0]
    zp = [[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]]
    assert np.round(entropy(zp), 4).tolist() == [0.1146, 0.1981, 0.4185, 0.2689]


def test_topsis_tzeng_huang_2011():
    c = topsis([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], [0.3, 0.4, 0.3])
    assert np.round(c, 4).tolist() == [0.5037, 0.6581, 0.7482, 0.3340]


def test_pca_weights_sum_to_one():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(50, 1))
    x = base + rng.normal(scale=0.3, size=(50, 4))
    w, share = pca(x)
    assert w.sum() == pytest.approx(1.0) and 0.5 < share <= 1


def test_normalisers_by_hand():
    # 功效系数: 60 + 40·(93 − 85)/(96 − 85) = 89.0909…; truncated at 60 and 100
    assert efficacy(np.array([93.0, 80.0, 99.0]), 85, 96).round(4).tolist() == [
        89.0909,
        60.0,
        100.0,
    ]
    # goalposts for lower-is-better PM2.5 (worst 75, best 35): 45 -> 75 %
    assert goalposts(np.array([45.0]), 75, 35, scale=100).tolist() == [75.0]
    assert ratio2targ(np.array([40.0]), 35, direction=-1).tolist() == [
        0.875
    ]  # CN-2 completion rate


def test_generalised_mean_and_copeland():
    v = np.array([[1.0, 4.0], [2.0, 2.0]])
    assert genmean(v, [1, 1], p=1).tolist() == [2.5, 2.0]
    assert genmean(v, [1, 1], p=0) == pytest.approx([2.0, 2.0])
    # unit 0 beats unit 1 on child 2, loses on child 1: equal weights -> tie -> both 0
    assert copeland(v, [1, 1]).tolist() == [0.0, 0.0]
    assert copeland(v, [1, 3]).tolist() == [1.0, -1.0]


def test_weights_renormalised_over_missing_children():
    fw = framework_from_dict(
        {
            "steps": {"normalise": {"method": "none"}},
            "indicators": [
                {"code": "a", "parent": "i", "weight": 1},
                {"code": "b", "parent": "i", "weight": 3},
            ],
            "aggregates": [{"code": "i"}],
        }
    )
    data = pd.DataFrame({"a": [10.0, 10.0], "b": [20.0, np.nan]}, index=["u1", "u2"])
    assert build_index(data, fw).scores["i"].tolist() == [17.5, 10.0]


# ---------------------------------------------------------------- framework validation


def problems(spec):
    with pytest.raises(SpecError) as info:
        framework_from_dict(spec)
    return [str(p) for p in info.value.problems]


BASE = {
    "indicators": [{"code": "a", "parent": "p"}, {"code": "b", "parent": "p"}],
    "aggregates": [{"code": "p", "parent": "idx"}, {"code": "idx"}],
}


def test_valid_framework_levels():
    fw = framework_from_dict(BASE)
    assert fw.nodes.set_index("code").level.to_dict() == {"a": 1, "b": 1, "p": 2, "idx": 3}


def test_unknown_parent_names_the_node():
    spec = {**BASE, "indicators": [{"code": "a", "parent": "pp"}, {"code": "b", "parent": "p"}]}
    assert problems(spec) == [
        "node 'a', column 'parent': got 'pp'; expected a node defined in the framework (did you mean 'p'?)"
    ]


def test_cycle_is_refused():
    spec = {
        **BASE,
        "aggregates": [{"code": "p", "parent": "q"}, {"code": "q", "parent": "p"}, {"code": "idx"}],
    }
    msgs = problems(spec)
    assert any("expected no cycle (cycle: p → q → p)" in m for m in msgs)


def test_orphan_aggregate_is_refused():
    spec = {**BASE, "aggregates": [*BASE["aggregates"], {"code": "empty", "parent": "idx"}]}
    assert problems(spec) == [
        "node 'empty', column 'type': got 'aggregate'; expected children (an aggregate with no indicators under it is an orphan)"
    ]


def test_non_positive_weight_is_refused():
    spec = {
        **BASE,
        "indicators": [{"code": "a", "parent": "p", "weight": 0}, {"code": "b", "parent": "p"}],
    }
    assert problems(spec) == ["node 'a', column 'weight': got 0; expected a weight > 0"]


def test_unknown_method_and_parameter():
    spec = {
        **BASE,
        "indicators": [
            {"code": "a", "parent": "p", "normalise": {"method": "minmx"}},
            {"code": "b", "parent": "p", "normalise": {"method": "zscore", "centre": 0}},
        ],
    }
    msgs = problems(spec)
    assert any(
        "node 'a', column 'normalise': got 'minmx'" in m and "did you mean 'minmax'" in m
        for m in msgs
    )
    assert any("node 'b', column 'normalise': got ['centre']" in m for m in msgs)


def test_geometric_mean_over_a_range_containing_zero_is_refused():
    spec = {
        **BASE,
        "aggregates": [
            {"code": "p", "parent": "idx", "aggregate": {"method": "gmean"}},
            {"code": "idx"},
        ],
    }
    msgs = problems(spec)
    assert len(msgs) == 2 and all("positive inputs" in m for m in msgs)


def test_unknown_indicator_in_data():
    fw = framework_from_dict(BASE)
    with pytest.raises(
        SpecError, match="node 'b', column 'code': got 'b'; expected a column of the data"
    ):
        build_index(pd.DataFrame({"a": [1.0, 2.0]}), fw)


def test_unknown_step_key():
    assert problems({**BASE, "steps": {"normalize": {"method": "minmax"}}})[0].startswith(
        "framework, column 'steps.normalize'"
    )


# ---------------------------------------------------------------- the project's own index


def test_screen_key_typo_is_an_error_not_ignored():
    # YAML 1.1 reads `on:` as the boolean true; such a key must not vanish silently
    spec = {**BASE, "steps": {"screen": {"min_availability": 0.5, True: "imputed"}}}
    msgs = problems(spec)
    assert any("steps.screen, column 'True'" in m for m in msgs)


def test_carry_forward_respects_max_gap():
    from qindex.composite.build import impute

    idx = pd.MultiIndex.from_product([["u"], range(2015, 2021)], names=["unit", "year"])
    x = pd.DataFrame({"a": [1.0, np.nan, np.nan, np.nan, np.nan, 2.0]}, index=idx)
    got = impute(x, {"method": "latest", "max_gap": 2}, x)["a"].tolist()
    assert got[:3] == [1.0, 1.0, 1.0] and np.isnan(got[3]) and np.isnan(got[4]) and got[5] == 2.0


# ---------------------------------------------------------------- reliability review D10


def _two_indicator_framework(a_norm=None, weight=None):
    node = {
        "code": "a",
        "parent": "index",
        "normalise": a_norm or {"method": "minmax", "lower": 0, "upper": 100},
    }
    if weight is not None:
        node["weight"] = weight
    return {
        "name": "t",
        "indicators": [node, {"code": "b", "parent": "index"}],
        "aggregates": [{"code": "index", "name": "I"}],
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            _two_indicator_framework(weight=float("nan")),
            "column 'weight': got nan; expected a finite weight",
        ),
        (_two_indicator_framework(weight=float("inf")), "expected a finite weight"),
        (
            _two_indicator_framework({"method": "minmax", "lower": 100, "upper": 1}),
            "a number above lower",
        ),
        (
            _two_indicator_framework({"method": "minmax", "lower": "x", "upper": 100}),
            "column 'normalise.lower': got 'x'; expected a finite number",
        ),
        (
            _two_indicator_framework({"method": "goalposts", "lower": 50, "upper": 50}),
            "a goalpost ≠ the lower one",
        ),
        (_two_indicator_framework({"method": "ratio2targ", "target": 0}), "a target ≠ 0"),
        (
            _two_indicator_framework({"method": "efficacy", "unacceptable": 5, "satisfactory": 5}),
            "a value ≠ unacceptable",
        ),
    ],
)
def test_nonsense_framework_parameters_are_refused(spec, expected):
    with pytest.raises(SpecError, match=re.escape(expected)):
        framework_from_dict(spec)


def test_min_availability_outside_0_1_and_non_finite_data_are_refused():
    spec = _two_indicator_framework()
    spec["steps"] = {"screen": {"min_availability": 1.5}}
    with pytest.raises(SpecError, match="a share from 0 to 1"):
        framework_from_dict(spec)
    fw = framework_from_dict(_two_indicator_framework())
    data = pd.DataFrame({"a": [1.0, np.inf], "b": [2.0, 3.0]}, index=["x", "y"])
    with pytest.raises(SpecError, match="expected finite numbers"):
        build_index(data, fw)
    with pytest.raises(SpecError, match="expected numbers"):
        build_index(pd.DataFrame({"a": ["1", "2"], "b": [2.0, 3.0]}), fw)


def test_a_geometric_mean_over_pillars_that_reach_zero_is_a_spec_error():
    # Reliability review D9: the framework check looks only at direct indicator children, so a gmean over
    # z-scored pillars crashed with ValueError deep in the aggregation.
    fw = framework_from_dict(
        {
            "name": "t",
            "steps": {"normalise": {"method": "zscore", "mean": 0, "sd": 1}},
            "indicators": [{"code": "a", "parent": "p"}, {"code": "b", "parent": "q"}],
            "aggregates": [
                {"code": "p", "name": "P", "parent": "index"},
                {"code": "q", "name": "Q", "parent": "index"},
                {"code": "index", "name": "I", "aggregate": {"method": "gmean"}},
            ],
        }
    )
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
    with pytest.raises(SpecError, match="node 'index', column 'aggregate': got 'gmean'"):
        build_index(data, fw)


def test_units_without_a_score_get_a_note_and_no_rank():
    fw = framework_from_dict(_two_indicator_framework())
    r = build_index(pd.DataFrame({"a": [50.0, np.nan], "b": [60.0, np.nan]}, index=["x", "y"]), fw)
    assert np.isnan(r.ranks().loc["y", "index"]) and r.ranks().loc["x", "index"] == 1
    assert any("1 unit(s) have no index score and are not ranked: y" in n for n in r.notes)


def test_dist2targ_at_the_worst_value_and_empty_data_are_spec_errors():
    fw = framework_from_dict(_two_indicator_framework({"method": "dist2targ", "target": 10}))
    with pytest.raises(SpecError, match="the target 10 equals the worst value"):
        build_index(pd.DataFrame({"a": [10.0, 20.0], "b": [1.0, 2.0]}, index=["x", "y"]), fw)
    with pytest.raises(SpecError, match="at least one unit"):
        build_index(pd.DataFrame({"a": [], "b": []}, dtype=float), fw)
