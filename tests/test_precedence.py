"""Precedence: which value stands when the office and a publication both give one, and every pair listed."""

from __future__ import annotations

import pandas as pd
import pytest

from qindex.catalog import load_catalog
from qindex.cli import main
from qindex.errors import ObservationError
from qindex.panel import load_panel
from qindex.precedence import combine, load_precedence, precedence_log


def test_precedence_office_wins_for_own_place_published_for_comparators(office):
    cat = load_catalog()
    published = load_panel(office=False)
    gs = published[(published.jurisdiction_id == "CN-ZJ-HZ-GS") & (published.year == 2022)].iloc[
        [0]
    ]
    hz = published[published.jurisdiction_id == "CN-ZJ-HZ"].iloc[[0]]
    own = pd.concat([gs.assign(value=4.1), hz.assign(value=hz.value + 1)]).assign(
        origin="office", source="内部数据(x.xlsx)", file="x.xlsx", other_sources=""
    )
    rule = load_precedence(catalog=cat)
    rule = rule.__class__(("CN-ZJ-HZ-GS",), rule.between, rule.within)
    merged = combine(published, own, rule)
    key = ["jurisdiction_id", "indicator_id", "year"]
    got = merged.set_index(key).value
    assert got.loc[tuple(gs[key].iloc[0])] == pytest.approx(4.1)  # own place: office
    assert got.loc[tuple(hz[key].iloc[0])] == pytest.approx(
        hz.value.iloc[0]
    )  # comparator: published
    log = precedence_log(merged)
    between = log[log.rule.str.startswith("between")]
    assert sorted(between.rule) == [
        "between_origins.comparators: published",
        "between_origins.own_places: office",
    ]
    assert len(merged) == len(published)


def test_identical_values_from_two_sources_are_one_row_with_both_sources(office):
    published = load_panel(office=False)
    row = published[published.origin == "published"].iloc[[0]]
    own = row.assign(origin="office", source="内部数据(x.xlsx)", file="x.xlsx")
    merged = combine(published, own, load_precedence())
    assert len(merged) == len(published)
    key = ["jurisdiction_id", "indicator_id", "year"]
    kept = merged.set_index(key).loc[tuple(row[key].iloc[0])]
    assert kept.origin == "published" and "内部数据(x.xlsx)" in kept.other_sources


def test_two_office_values_without_a_rule_name_the_rule_to_add(tmp_path, office):
    for name, v in (("a.csv", 93.0), ("b.csv", 94.0)):
        (office / name).write_text(
            f"地区,指标,年份,数值\n杭州市,制造业产品质量合格率,2020,{v}\n", encoding="utf-8"
        )
    with pytest.raises(
        ObservationError, match=r"within_origin\.office in data/raw/precedence\.yaml"
    ):
        load_panel()
    assert main(["validate"]) == 1


def test_an_identical_office_value_is_listed_in_the_report_and_its_precedence_csv(office):
    # Issue 26 (L21): 拱墅区 数字经济占GDP 2022 is published as 4.0; the office file says 4.0 too. The panel
    # merges them into one value with two sources, and the plan report's annex and precedence.csv list the pair
    # (they were empty: the report's panel lost what the panel had settled).
    from qindex.reports.plan import plan_report

    (office / "same.csv").write_text(
        "地区,拱墅区\n指标,单位,2022\n数字经济核心产业增加值占GDP比重,%,4.0\n", encoding="utf-8"
    )
    r = plan_report("gongshu-2025")
    pairs = r.precedence()
    assert pairs[["指标", "年份", "规则"]].values.tolist() == [
        ["数字经济核心产业增加值占GDP比重", 2022, "两个来源数值相同,合为一个"]
    ]
    assert pairs.at[0, "采用值来源"].startswith(
        "公开发布:《2022年拱墅区国民经济和社会发展统计公报》"
    )
    table = r.tables()["precedence"]
    assert (
        (table.jurisdiction_id == "CN-ZJ-HZ-GS") & (table.rule.str.startswith("identical"))
    ).any()
