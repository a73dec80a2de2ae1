"""质量工作考核: the scheme as data, the workbook, the scoring rules, the robustness study, the errors.

The worked example below is computed by hand in the comments; the expected numbers come from those comments,
not from the code.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from qindex import cli, paths
from qindex.composite.sensitivity import uncertainty
from qindex.errors import ObservationError, ParamsError, SchemeError
from qindex.runner import load_specs
from qindex.scheme import load_scheme, read_scores, scheme_from_dict
from qindex.scorecard import composite_inputs, robustness, scheme_study, score
from qindex.synthetic import KAOHE_SCHEME, KAOHE_WORKBOOK
from qindex.template import write_scheme_template

#: A small scheme with every rule kind, a deduction that bars grade A, two capped bonuses under a total cap,
#: and a veto.
SMALL = {
    "name": "测试市2024年度质量工作考核细则",
    "year": 2024,
    "units": [
        {"id": "a", "name": "甲区"},
        {"id": "b", "name": "乙区"},
        {"id": "c", "name": "丙县"},
    ],
    "parts": [
        {
            "name": "目标完成",
            "points": 60,
            "items": [
                {
                    "id": "i1",
                    "name": "合格率",
                    "unit": "%",
                    "points": 20,
                    "rule": "threshold",
                    "target": 94,
                },
                {
                    "id": "i2",
                    "name": "新产品产值率",
                    "unit": "%",
                    "points": 20,
                    "rule": "pro_rata",
                    "target": "assigned",
                },
                {
                    "id": "i3",
                    "name": "新增标准",
                    "unit": "项",
                    "points": 10,
                    "rule": "rank",
                    "step": 4,
                },
                {
                    "id": "i4",
                    "name": "品字标企业",
                    "unit": "家",
                    "points": 10,
                    "rule": "count",
                    "per": 2,
                },
            ],
        },
        {
            "name": "措施落实",
            "points": 40,
            "items": [
                {
                    "id": "i5",
                    "name": "投诉量",
                    "unit": "件/万人",
                    "points": 20,
                    "rule": "pro_rata",
                    "target": 2,
                    "floor": 6,
                    "direction": -1,
                },
                {"id": "i6", "name": "工作机制", "points": 20, "rule": "score"},
            ],
        },
    ],
    "deductions": [{"id": "k1", "name": "较大质量安全事故", "per": 5, "cap": 8}],
    "bonuses": [
        {"id": "j1", "name": "中国质量奖", "per": 3, "cap": 3},
        {"id": "j2", "name": "省政府质量奖", "per": 2, "cap": 4},
    ],
    "bonus_cap": 5,
    "veto": [{"id": "v1", "name": "区域性质量安全事件"}],
    "grades": [
        {"grade": "A", "min": 90, "unless": ["k1"]},
        {"grade": "B", "min": 80},
        {"grade": "C", "min": 60},
        {"grade": "D", "min": 0},
    ],
    "assigned": {"i2": {"a": 40, "b": 30, "c": 20}},
}

#: The units' 2024 values (a does not report i4: 未报送).
VALUES = {
    "a": {"i1": 95, "i2": 36, "i3": 12, "i5": 3, "i6": 17, "j1": 1, "j2": 2},
    "b": {"i1": 93.9, "i2": 33, "i3": 15, "i4": 7, "i5": 1.5, "i6": 19.5, "j1": 1, "v1": 1},
    "c": {"i1": 96, "i2": 20, "i3": 12, "i4": 5, "i5": 2, "i6": 20, "k1": 1},
}


def _data(values=VALUES, year=2024) -> pd.DataFrame:
    rows = [
        {"unit_id": u, "column": c, "year": year, "value": float(v), "source": "测试", "cell": ""}
        for u, cols in values.items()
        for c, v in cols.items()
    ]
    return pd.DataFrame(rows)


def test_the_worked_example_matches_the_hand_computed_points_totals_grades_and_ranks():
    card = score(scheme_from_dict(SMALL), _data())
    pts = card.items.pivot(index="unit_id", columns="item_id", values="points")
    # i1 threshold 94, 20 points: a 95 met → 20; b 93.9 not met → 0; c 96 → 20
    # i2 pro rata on the assigned target, 20 points: a 36/40 = 0.9 → 18; b 33/30 capped at 1 → 20; c 20/20 → 20
    # i3 rank, 10 points, 4 lost per place: b 15 first → 10; a and c 12 tie second → 10 − 4 = 6 each
    # i4 count, 2 points per case up to 10: a not reported → 0; b 7·2 = 14 capped → 10; c 5·2 = 10
    # i5 pro rata, lower is better, target 2, floor 6: a (6 − 3)/(6 − 2) = 0.75 → 15; b (6 − 1.5)/4 > 1 → 20;
    #    c (6 − 2)/4 = 1 → 20
    # i6 points given: a 17, b 19.5, c 20
    expected = {
        "a": [20, 18, 6, 0, 15, 17],
        "b": [0, 20, 10, 10, 20, 19.5],
        "c": [20, 20, 6, 10, 20, 20],
    }
    for unit, row in expected.items():
        assert pts.loc[unit, ["i1", "i2", "i3", "i4", "i5", "i6"]].tolist() == pytest.approx(row)
    t = card.totals.set_index("unit_id")
    # base: a 76, b 79.5, c 96
    assert t.base.tolist() == pytest.approx([76, 79.5, 96])
    # bonuses: a j1 1·3 = 3 (cap 3) + j2 2·2 = 4 (cap 4) = 7 → total cap 5; b j1 3; c none
    assert t.bonuses.tolist() == pytest.approx([5, 3, 0])
    # deductions: c k1 1·5 = 5 (cap 8)
    assert t.deductions.tolist() == pytest.approx([0, 0, 5])
    # totals: a 76 + 5 = 81; b 79.5 + 3 = 82.5; c 96 − 5 = 91
    assert t.total.tolist() == pytest.approx([81, 82.5, 91])
    # grades: a 81 → B; b 82.5 would be B but has a veto → D; c 91 would be A but k1 bars A → B
    assert t.grade.tolist() == ["B", "D", "B"]
    # ranks by total: c 91 first, b 82.5 second, a 81 third
    assert t["rank"].tolist() == [3, 2, 1]
    assert t.missing.tolist() == [1, 0, 0]  # a's i4
    parts = card.parts
    # parts: a 20 + 18 + 6 + 0 = 44 and 15 + 17 = 32; b 40 and 39.5; c 56 and 40
    assert parts.loc["a"].tolist() == pytest.approx([44, 32])
    assert parts.loc["b"].tolist() == pytest.approx([40, 39.5])
    assert parts.loc["c"].tolist() == pytest.approx([56, 40])


def test_ties_share_the_higher_rank():
    values = {u: {**v, "j1": 0, "j2": 0, "k1": 0, "v1": 0} for u, v in VALUES.items()}
    values["a"] = {**values["c"], "i2": 40}  # a scores exactly as c (its own assigned target met)
    t = score(scheme_from_dict(SMALL), _data(values)).totals.set_index("unit_id")
    assert t.loc["a", "rank"] == t.loc["c", "rank"] == 1 and t.loc["b", "rank"] == 3


def test_the_composite_view_is_the_points_total_and_its_ranks_come_from_the_uncertainty_engine():
    # without deductions, bonuses or vetoes the robustness study ranks the engine's index itself: its rank
    # intervals must equal those of composite.sensitivity.uncertainty on the same data, study and seed
    values = {u: {k: v for k, v in cols.items() if k[0] == "i"} for u, cols in VALUES.items()}
    card = score(scheme_from_dict(SMALL), _data(values))
    r = robustness(card, replications=256, seed=7)
    assert r.nominal_matches
    data, fw = composite_inputs(card)
    ref = uncertainty(data, fw, scheme_study(card, seed=7), n=256).rank_stats
    got = r.table.set_index("unit_id")
    for q in ("q05_rank", "median_rank", "q95_rank"):
        assert got[q].tolist() == pytest.approx(ref[q].tolist()), q


def test_grade_stability_is_a_share_and_a_veto_holds_in_every_replication():
    card = score(scheme_from_dict(SMALL), _data())
    r = robustness(card, replications=128)
    t = r.table.set_index("unit_id")
    assert ((t.grade_share >= 0) & (t.grade_share <= 1)).all()
    assert t.loc["b", "grade_share"] == 1.0  # vetoed: D whatever the points
    assert (t.q05_rank <= t["rank"]).all() and (t["rank"] <= t.q95_rank).all()
    assert 0 < r.graded < 128  # the relative-scoring replications are left out of the grades
    # scoring alternatives with the scheme's weights: as the scheme says gives the nominal totals
    as_scheme = r.by_scoring[r.by_scoring.scoring == "方案规定"].set_index("unit_id")
    assert as_scheme.total.tolist() == pytest.approx(card.totals.total.tolist())
    # every threshold item pro rata: b's i1 (93.9 of 94) earns 20·93.9/94 = 19.98 → 82.5 + 19.98
    pro = r.by_scoring[r.by_scoring.scoring == "达标项也按比例"].set_index("unit_id")
    assert pro.loc["b", "total"] == pytest.approx(82.5 + 20 * 93.9 / 94)


def test_the_template_round_trips_through_a_workbook(tmp_path):
    scheme = scheme_from_dict(SMALL, "small.yaml")
    fill = {(u, c, 2024): float(v) for u, cols in VALUES.items() for c, v in cols.items()}
    book = write_scheme_template(scheme, path=tmp_path / "k.xlsx", fill=fill)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["填报说明", "考核数据", "考核细则"]
    d = read_scores(book, scheme)
    assert len(d) == len(fill)
    got = {(r.unit_id, r.column, r.year): r.value for r in d.itertuples()}
    assert got == fill
    card = score(scheme, d)
    assert card.totals.total.tolist() == pytest.approx([81, 82.5, 91])


def test_a_bad_key_and_points_that_do_not_add_up_are_named(tmp_path):
    bad = {**SMALL, "parts": [dict(p) for p in SMALL["parts"]]}
    bad["parts"][0] = {**bad["parts"][0], "points": 55}  # its items add up to 60
    bad["parts"][1] = {
        **bad["parts"][1],
        "items": [{**bad["parts"][1]["items"][0], "pionts": 20}, bad["parts"][1]["items"][1]],
    }
    with pytest.raises(SchemeError) as e:
        scheme_from_dict(bad, "scheme.yaml")
    text = str(e.value)
    assert "parts[2].items[1].pionts" in text and "did you mean 'points'" in text
    assert "parts[1].points" in text and "20 + 20 + 10 + 10 = 60" in text
    assert "parts whose points add up to the total (100)" in text


def test_a_workbook_missing_a_unit_is_one_error_naming_it(tmp_path):
    scheme = scheme_from_dict(SMALL, "small.yaml")
    fill = {(u, c, 2024): float(v) for u, cols in VALUES.items() for c, v in cols.items()}
    book = write_scheme_template(scheme, path=tmp_path / "k.xlsx", fill=fill)
    wb = openpyxl.load_workbook(book)
    ws = wb["考核数据"]
    ws.delete_rows(7)  # 丙县's row
    ws.cell(5, 4).value = "九十五"  # 甲区's i1 2024: not a number
    wb.save(book)
    with pytest.raises(ObservationError) as e:
        read_scores(book, scheme)
    text = str(e.value)
    assert "2 problem(s)" in text
    assert "丙县 has none" in text
    assert "row 5, column 'i1 2024': got '九十五'" in text


def test_a_run_of_a_bad_scheme_or_a_unit_it_does_not_assess_stops_before_any_kernel(
    tmp_path, capsys
):
    scheme = tmp_path / "bad.yaml"
    scheme.write_text(
        KAOHE_SCHEME.read_text(encoding="utf-8").replace("rule: score", "rule: scroe", 1),
        encoding="utf-8",
    )
    # a params file names project files: the bad scheme is copied into the project
    inside = tmp_path / "kaohe-bad.yaml"
    local = paths.DATA_PROCESSED / "test-kaohe" / "bad.yaml"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(scheme.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        inside.write_text(
            "notebook: kaohe_unit.ipynb\nparameters:\n"
            f"  scheme_file: {paths.relative(local)}\n"
            f"  data_file: {paths.relative(KAOHE_WORKBOOK)}\n  unit_id: S99\n",
            encoding="utf-8",
        )
        with pytest.raises(ParamsError) as e:
            load_specs(inside)
        assert "parts[3].items[1].rule" in str(e.value) and "'scroe'" in str(e.value)
        local.write_text(KAOHE_SCHEME.read_text(encoding="utf-8"), encoding="utf-8")
        with pytest.raises(ParamsError) as e:
            load_specs(inside)
        assert "parameters.unit_id" in str(e.value) and "S99" in str(e.value)
    finally:
        local.unlink(missing_ok=True)


def test_the_shipped_example_is_marked_synthetic_and_scores_13_units():
    scheme = load_scheme(KAOHE_SCHEME)
    assert scheme.synthetic and "示例" in scheme.name and len(scheme.units) == 13
    assert all(n.startswith("示例") for n in scheme.units.name_zh)
    card = score(scheme, read_scores(KAOHE_WORKBOOK, scheme))
    t = card.totals
    assert len(t) == 13 and t.grade.isin(["A", "B", "C", "D"]).all()
    assert t.vetoed.sum() == 1 and t.loc[t.vetoed, "grade"].eq("D").all()
    assert set(card.data.source) == {"示例数据(合成,非真实数据;seed 2024)"}


def test_template_and_office_commands_for_a_scheme(tmp_path, monkeypatch, capsys):
    out = tmp_path / "k.xlsx"
    assert cli.main(["template", "--scheme", str(KAOHE_SCHEME), "-o", str(out)]) == 0
    assert cli.main(["office", "check", str(out), "--scheme", str(KAOHE_SCHEME)]) == 1  # empty
    assert "none was found" in capsys.readouterr().err
    assert cli.main(["office", "check", str(KAOHE_WORKBOOK), "--scheme", str(KAOHE_SCHEME)]) == 0
    assert "441 values for 13 of 13 units" in capsys.readouterr().out
    office = tmp_path / "office"
    monkeypatch.setenv("QINDEX_OFFICE", str(office))
    assert cli.main(["office", "add", str(KAOHE_WORKBOOK), "--scheme", str(KAOHE_SCHEME)]) == 0
    assert (office / "kaohe" / KAOHE_WORKBOOK.name).read_bytes() == KAOHE_WORKBOOK.read_bytes()
    assert not list(office.glob("*.xlsx"))  # never read as a values file of the panel


def test_a_unit_page_says_what_would_raise_its_grade():
    from qindex.reports.scorecard import ScorecardReport

    card = score(scheme_from_dict(SMALL), _data())
    r = ScorecardReport(card, robustness(card, replications=64), "small.yaml", "small.xlsx")
    # a: 81, B; A needs 90: 9 points short; its largest losses are i4 (10, not reported) then i5 (5)
    text = r.unit("a").raise_text()
    assert "还差9分" in text and "i4 品字标企业按时报送数据（可得10分）" in text
    assert "一票否决" in r.unit("b").raise_text()
    assert "不能评为A级" in r.unit("c").raise_text()  # 91 points, barred by k1
    counts = r.grade_counts()
    assert sum(counts.values()) == 3 and counts == {"A": 0, "B": 2, "C": 0, "D": 1}
    assert np.isclose(r.league_table()["总分"].sum(), 81 + 82.5 + 91)


def test_grades_of_many_totals_at_once_equal_grade_of_one_by_one():
    from qindex.scorecard import grade_matrix

    s = scheme_from_dict(SMALL)
    rng = np.random.default_rng(5)
    totals = rng.uniform(50, 100, (200, 3))
    totals[:5] = [[90.0, 80.0, 60.0]] * 5  # the boundaries themselves
    vetoed = np.array([False, True, False])
    deducted = {"c": {"k1"}}
    got = grade_matrix(s, totals, vetoed, deducted)
    want = [
        [
            s.grade_of(x, bool(vetoed[j]), deducted.get(u, set()))
            for j, (u, x) in enumerate(zip("abc", row, strict=True))
        ]
        for row in totals
    ]
    assert got.tolist() == want
