"""The target catalogue: integrity of the shipped data and every validation error on small broken files."""

from __future__ import annotations

import re

import pytest

from qindex import paths
from qindex.catalog import load_catalog, targets
from qindex.errors import CatalogError
from tests.conftest import read_csv, write_csv

# ---------------------------------------------------------------- the shipped catalogue


def test_shipped_catalogue_validates():
    cat = load_catalog()
    assert set(cat.plans.plan_id) == {
        "hangzhou-2015",
        "hangzhou-2022",
        "gongshu-2025",
        "hangzhou-2025",
        "chengdu-2027",
        # higher-level plans (issue 15), excerpts in data/raw/sources/README.md
        "national-2025",
        "zhejiang-2025",
        "sichuan-2027",
        # the provincial plan above hangzhou-2022 (issue 25)
        "zhejiang-2022",
    }


def test_every_quote_occurs_verbatim_in_its_plan_text():
    # Independent of the loader: read the plan texts directly.
    t = load_catalog().targets
    for row in t.itertuples():
        text = (paths.SOURCES / row.source_file).read_text(encoding="utf-8")
        assert row.quote in text, f"{row.target_id}: {row.quote!r}"


def test_plan_texts_are_the_shared_seeds_unchanged():
    shared = paths.ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds not beside this checkout")
    seeds = sorted(shared.glob("*.txt"))
    assert len(seeds) == 5
    for src in seeds:
        assert (paths.SOURCES / src.name).read_bytes() == src.read_bytes()


# Counts read off the plan texts by hand (see data/raw/README.md for the reading rules):
# Gongshu's "主要目标" paragraph lists 14 numeric targets plus one trend (关键工序数控化率显著提高);
# Chengdu's "主要目标" has 3 numeric (94 %, 100 %, 91), 3 rank (位居/保持全国前列), 1 trend (稳步提升).
EXPECTED_NUMERIC = {
    "gongshu-2025": 14,
    "chengdu-2027": 3,
    "hangzhou-2025": 0,
}


@pytest.mark.parametrize(("plan_id", "expected"), EXPECTED_NUMERIC.items())
def test_numeric_targets_per_plan(plan_id, expected):
    t = targets(plan_id)
    assert t.target_type.isin(["level", "growth", "cumulative"]).sum() == expected


def test_about_65_numeric_targets_in_the_seed_plans():
    t = load_catalog().targets
    t = t[~t.plan_id.isin(["national-2025", "zhejiang-2025", "sichuan-2027"])]
    n = t.target_type.isin(["level", "growth", "cumulative"]).sum()
    assert 60 <= n <= 75


# Read off the excerpts by hand: the national 主要目标 has 4 figures (86, 98 twice, 94); Zhejiang's item 1 has 4
# (92, 15, 3.3, 22); Sichuan's 主要目标 has 10 (88, 99, 98, 95, 新突破 ≥ 1, 30, 100, 3, 2, 5); the 2018 Zhejiang
# 总体目标 up to its cut has 4 (全覆盖 100, 100, 35, 300).
@pytest.mark.parametrize(
    ("plan_id", "expected"),
    [("national-2025", 4), ("zhejiang-2025", 4), ("sichuan-2027", 10), ("zhejiang-2022", 4)],
)
def test_numeric_targets_of_the_higher_level_plans(plan_id, expected):
    t = targets(plan_id)
    assert t.target_type.isin(["level", "growth", "cumulative"]).sum() == expected


def test_every_percentage_figure_of_the_gongshu_goals_is_catalogued():
    # Independent check: every "X%" / "X分" / "X件" / "X万元/人" figure in the goal paragraph is a target value.
    text = (paths.SOURCES / "001_af42d5fcc580f694.txt").read_text(encoding="utf-8")
    goals = text[text.index("规模以上数字经济") : text.index("持续强化质量安全保障能力")]
    figures = {float(x) for x in re.findall(r"(\d+(?:\.\d+)?)(?:%|分|件|万元/人|以上)", goals)}
    figures -= {2025.0}
    assert figures == set(targets("gongshu-2025").target_value.dropna())


def test_rank_target_carries_the_rank_the_text_gives():
    t = targets("hangzhou-2022").set_index("target_id")
    first_in_province = t[t.quote.str.contains("保持全省第一")].iloc[0]
    assert first_in_province.target_type == "rank"
    assert first_in_province.target_value == 1
    assert first_in_province.scope == "province"


def test_lower_is_better_level_targets_use_at_most():
    t = targets()
    lower = t[(t.direction == -1) & (t.target_type == "level")]
    assert len(lower) >= 1
    assert (lower.comparator == "<=").all()


def test_one_indicator_id_for_one_concept_across_plans():
    t = targets()
    pass_rate = t[t.indicator_id == "manufacturing_product_pass_rate"]
    # gongshu 94, hangzhou-2022 96; national 94 and Sichuan 95 (the 2023 higher-level plans)
    assert sorted(zip(pass_rate.plan_id, pass_rate.target_value, strict=True)) == [
        ("gongshu-2025", 94.0),
        ("hangzhou-2022", 96.0),
        ("national-2025", 94.0),
        ("sichuan-2027", 95.0),
    ]
    assert set(t[t.indicator_id == "service_quality_satisfaction"].target_value.dropna()) == {
        85,
        90,
    }


def test_every_indicator_has_unit_direction_and_limits_where_rates():
    ind = load_catalog().indicators
    assert ind.direction.isin([1, -1]).all()
    rates = ind[ind.unit == "%"]
    assert (rates.lower_limit == 0).all() and (rates.upper_limit == 100).all()


def test_targets_filter_unknown_plan_suggests_closest():
    with pytest.raises(CatalogError, match="did you mean 'gongshu-2025'"):
        targets("gongshu-2024")


# ---------------------------------------------------------------- validation errors


def _break(raw, table, line, column, value):
    """Set one cell (``line`` as numbered in an editor, header = 1) of ``raw/table.csv``."""
    rows = read_csv(raw / f"{table}.csv")
    rows[line - 1][rows[0].index(column)] = value
    write_csv(raw / f"{table}.csv", rows)


def _problems(raw):
    with pytest.raises(CatalogError) as info:
        load_catalog(raw)
    return [str(p) for p in info.value.problems]


def test_mini_catalogue_is_valid(mini_raw):
    assert len(load_catalog(mini_raw).targets) == 3


def test_unknown_indicator_is_reported_with_suggestion(mini_raw):
    _break(mini_raw, "targets", 2, "indicator_id", "pass_rat")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'indicator_id': got 'pass_rat'; "
        "expected an id from indicators.csv (did you mean 'pass_rate'?)"
    ]


def test_unknown_plan_and_jurisdiction(mini_raw):
    _break(mini_raw, "targets", 3, "plan_id", "nope-2025")
    _break(mini_raw, "plans", 2, "jurisdiction_id", "CN-Y")
    problems = _problems(mini_raw)
    assert any("plans.csv, line 2, column 'jurisdiction_id': got 'CN-Y'" in p for p in problems)
    assert any("targets.csv, line 3, column 'plan_id': got 'nope-2025'" in p for p in problems)


def test_duplicate_key(mini_raw):
    _break(mini_raw, "targets", 3, "target_id", "t1")
    assert _problems(mini_raw) == [
        "targets.csv, line 3, column 'target_id': got 't1'; expected a unique id (already on line 2)"
    ]


def test_comparator_contradicting_direction(mini_raw):
    _break(mini_raw, "targets", 3, "comparator", ">=")
    assert _problems(mini_raw) == [
        "targets.csv, line 3, column 'comparator': got '>='; "
        "expected '<=' because indicator 'pm25' has direction -1"
    ]


def test_non_numeric_target_value(mini_raw):
    _break(mini_raw, "targets", 2, "target_value", "94%")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'target_value': got '94%'; expected a number"
    ]


def test_target_value_outside_natural_limits(mini_raw):
    _break(mini_raw, "targets", 2, "target_value", "101")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'target_value': got '101'; "
        "expected a value within the natural limits [0.0, 100.0] of 'pass_rate'"
    ]


def test_target_year_outside_plan(mini_raw):
    _break(mini_raw, "targets", 2, "target_year", "2030")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'target_year': got 2030; "
        "expected a year within plan 'demo-2025' (2023–2025)"
    ]


def test_quote_not_in_plan_text(mini_raw):
    _break(mini_raw, "targets", 2, "quote", "制造业产品质量合格率达到95%")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'quote': got '制造业产品质量合格率达到95%'; "
        "expected words found verbatim in sources/plan.txt"
    ]


def test_missing_column(mini_raw):
    rows = [r[:-1] for r in read_csv(mini_raw / "indicators.csv")]  # drop 'definition'
    write_csv(mini_raw / "indicators.csv", rows)
    assert _problems(mini_raw) == [
        "indicators.csv, line 1, column 'definition'; expected a column named 'definition' in the header"
    ]


def test_bad_direction_and_domain(mini_raw):
    _break(mini_raw, "indicators", 2, "direction", "+")
    _break(mini_raw, "indicators", 3, "domain", "air")
    problems = _problems(mini_raw)
    assert (
        problems[0]
        == "indicators.csv, line 2, column 'direction': got '+'; expected one of ['1', '-1']"
    )
    assert problems[1].startswith(
        "indicators.csv, line 3, column 'domain': got 'air'; expected one of"
    )


def test_all_problems_are_reported_at_once(mini_raw):
    _break(mini_raw, "targets", 2, "target_value", "abc")
    _break(mini_raw, "targets", 3, "target_type", "levl")
    _break(mini_raw, "jurisdictions", 3, "level", "town")
    assert len(_problems(mini_raw)) == 3


def test_qualitative_goal_may_omit_indicator_but_others_may_not(mini_raw):
    _break(mini_raw, "targets", 2, "indicator_id", "")
    assert _problems(mini_raw) == [
        "targets.csv, line 2, column 'indicator_id': got an empty value; "
        "expected an indicator id (only qualitative goals may omit it)"
    ]


# ---------------------------------------------------------------- reliability review D11


def test_duplicate_chinese_indicator_names_are_refused(mini_raw):
    # Files name indicators in Chinese: two ids with one name would file values under the wrong one.
    _break(mini_raw, "indicators", 3, "name_zh", "合格率")
    assert _problems(mini_raw) == [
        "indicators.csv, line 3, column 'name_zh': got '合格率'; expected a unique name (already on line 2)"
    ]


def test_a_parent_cycle_is_refused(mini_raw):
    _break(
        mini_raw, "jurisdictions", 2, "parent_id", "CN-X"
    )  # 全国's parent is 示例市, whose parent is 全国
    assert any("a chain of parents that ends (no cycle)" in p for p in _problems(mini_raw))


def test_a_plan_text_outside_sources_is_refused(mini_raw):
    _break(mini_raw, "plans", 2, "source_file", "../plan.txt")
    assert any("column 'source_file': got '../plan.txt'" in p for p in _problems(mini_raw))


def test_nan_target_value_is_refused(mini_raw):
    _break(mini_raw, "targets", 2, "target_value", "nan")
    assert "targets.csv, line 2, column 'target_value': got 'nan'; expected a number" in _problems(
        mini_raw
    )


def test_two_rows_setting_one_target_differently_are_refused(mini_raw):
    _break(mini_raw, "targets", 3, "indicator_id", "pass_rate")
    _break(mini_raw, "targets", 3, "comparator", ">=")
    _break(mini_raw, "targets", 3, "target_value", "95")
    assert any(
        "line 3, column 'target_value': got '95'; expected the same value as line 2" in p
        for p in _problems(mini_raw)
    )


def test_catalogue_crashes_of_the_reliability_review_are_problems(mini_raw):
    # D9: a duplicate indicator id crashed ("truth value of a Series is ambiguous") without naming the
    # duplicate; a duplicated header column, targets.csv as a folder and a plan text in GBK crashed too.
    rows = read_csv(mini_raw / "indicators.csv")
    rows.append(list(rows[1]))
    rows[-1][1] = "另一个名称"
    write_csv(mini_raw / "indicators.csv", rows)
    assert any(
        "column 'indicator_id': got 'pass_rate'; expected a unique id" in p
        for p in _problems(mini_raw)
    )


def test_unreadable_catalogue_files_are_problems(mini_raw):
    rows = read_csv(mini_raw / "jurisdictions.csv")
    rows[0].append("name_zh")
    for r in rows[1:]:
        r.append("x")
    write_csv(mini_raw / "jurisdictions.csv", rows)
    (mini_raw / "targets.csv").unlink()
    (mini_raw / "targets.csv").mkdir()
    found = _problems(mini_raw)
    assert any(
        "jurisdictions.csv, line 1, column 'name_zh'" in p and "each column name once" in p
        for p in found
    )
    assert any(p.startswith("targets.csv") and "a readable CSV file" in p for p in found)


def test_a_plan_text_that_is_not_utf8_is_a_problem(mini_raw):
    (mini_raw / "sources" / "plan.txt").write_bytes("制造业产品质量合格率达到94%".encode("gb18030"))
    assert any("a readable UTF-8 plan text" in p for p in _problems(mini_raw))


# ------------------------------------------------------------------ relative targets (issue 29)


def _relative(raw, comparator="<", place="CN", indicator=""):
    """Line 2 becomes "合格率低于全国平均水平"-style: a relative target of the same indicator."""
    rows = read_csv(raw / "targets.csv")
    header, body = rows[0], rows[1:]
    if "benchmark_jurisdiction_id" not in header:
        header = [*header, "benchmark_jurisdiction_id", "benchmark_indicator_id"]
        body = [[*r, "", ""] for r in body]
    body[0][header.index("target_type")] = "relative"
    body[0][header.index("comparator")] = comparator
    body[0][header.index("target_value")] = ""
    body[0][header.index("benchmark_jurisdiction_id")] = place
    body[0][header.index("benchmark_indicator_id")] = indicator
    write_csv(raw / "targets.csv", [header, *body])


def test_a_relative_target_names_its_benchmark(mini_raw):
    _relative(mini_raw, ">", "CN")
    t = load_catalog(mini_raw).targets.set_index("target_id")
    assert t.loc["t1", "target_type"] == "relative"
    assert t.loc["t1", "benchmark_jurisdiction_id"] == "CN"
    assert t.loc["t2", "benchmark_jurisdiction_id"] == ""


def test_a_relative_target_without_a_benchmark_or_with_a_bad_one_is_refused(mini_raw):
    _relative(mini_raw, "==", "", "")
    problems = _problems(mini_raw)
    assert any(
        "line 2, column 'benchmark_jurisdiction_id': got an empty value; expected the place compared"
        in p
        for p in problems
    )
    assert any(
        "line 2, column 'comparator': got '=='; expected one of ['>=', '>', '<=', '<']" in p
        for p in problems
    )
    _relative(mini_raw, ">=", "CN-Z", "pm25")
    problems = _problems(mini_raw)
    assert any("'benchmark_jurisdiction_id': got 'CN-Z'" in p for p in problems)
    # a benchmark in another unit (µg/m³ against %) cannot be compared
    assert any("an indicator in the target's unit (%; 'pm25' is in µg/m³)" in p for p in problems)


def test_benchmark_columns_on_another_target_type_are_refused(mini_raw):
    _relative(mini_raw, ">", "CN")
    rows = read_csv(mini_raw / "targets.csv")
    rows[2][rows[0].index("benchmark_jurisdiction_id")] = "CN"
    write_csv(mini_raw / "targets.csv", rows)
    assert _problems(mini_raw) == [
        "targets.csv, line 3, column 'benchmark_jurisdiction_id': got 'CN'; "
        "expected empty unless target_type is relative"
    ]


def test_every_indicator_has_a_chinese_definition_for_its_readers():
    # Issue 26: the template's 口径说明 and the request list's 口径 were English; every indicator has a
    # definition_zh, and a row without one is refused.
    cat = load_catalog()
    assert cat.indicators.definition_zh.str.strip().ne("").all()
    assert cat.indicators.definition_zh.str.contains(r"[\u4e00-\u9fff]").all()
