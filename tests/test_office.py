"""The office's own data: a filled template checked, added and used by the plan report.

Expected numbers are typed by hand from the cells the tests write (a filled template is a hand-computed
example): what goes in must come back, converted only where the unit says so.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from qindex.cli import main
from qindex.errors import ObservationError
from qindex.observations import read_observations
from qindex.office import check, read_office
from qindex.panel import load_panel
from qindex.template import write_template
from tests.helpers import col_of, row_of


def test_office_check_lists_every_problem_with_sheet_row_and_column(tmp_path, office):
    path = write_template("hangzhou-2022", path=tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = row_of(ws, "manufacturing_product_pass_rate")
    ws.cell(r, col_of(ws, "2019")).value = "九十六"
    ws.cell(r, col_of(ws, "2020")).value = 130  # above the natural limit of 100 %
    es = wb["获奖与称号"]
    er = next(r for r in range(4, es.max_row + 1) if es.cell(r, 7).value == "dayu_awards")
    es.cell(er, 2).value = "某工程"
    es.cell(er, 3).value = dt.date(2021, 6, 30)  # no 已列全年份 given
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(ObservationError) as info:
        check([tmp_path / "bad.xlsx"])
    text = str(info.value)
    assert f"sheet '指标数据', row {r}, column '2019, cell G{r}': got '九十六'" in text
    assert f"row {r}, column '2020, cell H{r}': got '130 %'" in text
    assert "已列全年份" in text
    assert main(["office", "check", str(tmp_path / "bad.xlsx")]) == 1


def test_add_copies_unchanged_never_overwrites_and_changes_the_plan_report(tmp_path, office):
    from qindex.reports.plan import plan_report

    before = plan_report("hangzhou-2022", as_of=2022)
    path = write_template("hangzhou-2022", path=tmp_path / "杭州市_hangzhou-2022.xlsx")
    wb = load_workbook(path)
    ws = wb["指标数据"]
    r = row_of(ws, "manufacturing_product_pass_rate")
    for year, v in zip(range(2018, 2023), [95.1, 95.4, 95.9, "96.2%", "９６．６"], strict=True):
        ws.cell(r, col_of(ws, str(year))).value = v
    wb.save(path)
    assert main(["office", "add", str(path)]) == 0
    copied = office / path.name
    assert copied.read_bytes() == path.read_bytes()
    assert main(["office", "add", str(path)]) == 1  # the name is taken: nothing overwritten
    after = plan_report("hangzhou-2022", as_of=2022)
    a0 = before.assessment.set_index("target_id")
    a1 = after.assessment.set_index("target_id")
    target = a1[a1.indicator_id == "manufacturing_product_pass_rate"].index[0]
    assert a0.at[target, "status"] == "not_assessable"
    # hz22-14: 制造业产品质量合格率达到96% by 2022; the office's 2022 value 96.6 → 已完成
    assert a1.at[target, "status"] == "met"
    assert a1.at[target, "latest_value"] == pytest.approx(96.6)
    table = after.target_table().set_index("编号")
    assert table.at[target, "数据"] == "内部数据"
    annex = after.office_values()
    assert len(annex) == 5 and set(annex["工作表"]) == {"指标数据"}
    assert after.tables()["office_values"].shape[0] == 5


def test_table_without_place_column_uses_jurisdiction_and_suggestions_stay_in_level(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "指标名称,2021年,2022年,来源\n制造业产品质量合格率,93.5,94.1,区报表\n", encoding="utf-8"
    )
    got = read_observations(f, jurisdiction="杭州市拱墅区")
    assert set(got.jurisdiction_id) == {"CN-ZJ-HZ-GS"}  # parent + name is the district, not 杭州市
    f.write_text(
        # (空气质量优良率 itself is now an alias of the share: a near wording is not)
        "地区,指标,年份,数值,来源\n杭州市拱墅,空气质量良好率,2022,88.2,x\n",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError) as info:
        read_observations(f)
    text = str(info.value)
    assert "did you mean '杭州市'" not in text
    assert "空气质量优良天数'" not in text  # a share is never suggested as a count of days
    assert "空气质量优良天数比例" in text


def test_synthetic_example_is_read_from_its_filled_template(tmp_path):
    from qindex.synthetic import example_panel, example_workbook, write_example_workbook

    made = write_example_workbook("gongshu-2025", path=tmp_path / "ex.xlsx")
    cat, shipped, _ = example_panel("gongshu-2025")
    regenerated = read_office([made], cat, origin="synthetic").observations
    key = ["indicator_id", "year"]
    a = shipped.sort_values(key)[[*key, "value"]].reset_index(drop=True)
    b = regenerated.sort_values(key)[[*key, "value"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)  # the shipped workbook is what the generator writes
    assert (shipped.origin == "synthetic").all()
    assert example_workbook("gongshu-2025").parent.name == "example"


def test_office_files_lock_and_hidden_files_are_not_data(office):
    from qindex.office import office_files

    (office / "~$a.xlsx").write_bytes(b"lock")  # Excel's lock file while a workbook is open
    (office / ".b.csv").write_text("x", encoding="utf-8")
    (office / "README.md").write_text("x", encoding="utf-8")
    assert office_files() == []
    assert len(load_panel()) == len(load_panel(office=False))


def test_a_merged_year_header_or_a_file_without_values_is_a_problem_not_ok(tmp_path, office):
    """Reliability review N5: a year header merged over 2021 and 2022 left the 2022 values unread, and a file
    read as 0 values was "OK"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["地区", "拱墅区"])
    ws.append(["指标", "单位", "2021", None, "数据来源"])
    ws.merge_cells("C2:D2")
    ws.append(["制造业产品质量合格率", "%", 94.1, 94.6, "质量状况报告"])
    wb.save(tmp_path / "merged.xlsx")
    with pytest.raises(ObservationError) as info:
        check([tmp_path / "merged.xlsx"])
    assert [(p.line, p.column) for p in info.value.problems] == [(2, "column D")]
    empty = Workbook()
    empty.active.append(["地区", "拱墅区"])
    empty.active.append(["指标", "单位", "数据来源", "2021"])
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(ObservationError) as info:
        check([tmp_path / "empty.xlsx"])
    assert info.value.problems[0].value == "no value"


# ---------------------------------------------------------------- seeded fuzz: office workbooks (review 2, §2.1)


def _book(path: Path, build) -> Path:
    """An office workbook for 拱墅区: 制造业产品质量合格率 2021 = 94.1, 2022 = 94.6, and what ``build`` adds."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["地区", "拱墅区"])
    ws.append(["指标", "单位", "数据来源", "2021", "2022"])
    ws.append(["制造业产品质量合格率", "%", "质量状况报告", 94.1, 94.6])
    build(wb, ws)
    wb.save(path)
    return path


#: Structural changes an office file arrives with, and whether the values must still read exactly.
MUTATIONS = {
    "nothing": (lambda wb, ws: None, True),
    "a second value sheet": (
        lambda wb, ws: wb.create_sheet("二").append(["指标", "单位", "数据来源", "2020"]),
        True,
    ),
    "an instructions sheet": (
        lambda wb, ws: wb.create_sheet("填报说明").append(["说明", "x"]),
        True,
    ),
    "a hidden sheet": (
        lambda wb, ws: setattr(wb.create_sheet("旧"), "sheet_state", "hidden"),
        False,
    ),
    "a hidden row": (lambda wb, ws: setattr(ws.row_dimensions[3], "hidden", True), False),
    "a formula": (lambda wb, ws: ws.cell(3, 5, "=94+0.6"), False),
    "a merged year header": (lambda wb, ws: ws.merge_cells("D2:E2"), False),
    "a stray far cell": (lambda wb, ws: ws.cell(1_048_576, 16_384, 1), False),
    "a total row": (lambda wb, ws: ws.append(["合计", "", "", 1, 2]), True),
    "a note row": (lambda wb, ws: ws.append(["注:数据为初步数"]), True),
    "an empty column": (lambda wb, ws: ws.insert_cols(3), True),
    "text in a value cell": (lambda wb, ws: ws.cell(3, 4, "九十四"), False),
    "a percent cell": (
        lambda wb, ws: (ws.cell(3, 4, 0.941), setattr(ws.cell(3, 4), "number_format", "0.0%")),
        True,
    ),
    "a date in a value cell": (lambda wb, ws: ws.cell(3, 4, dt.date(2021, 1, 1)), False),
}


def _fuzz_case(rng, folder: Path, i: int) -> tuple[str, str]:
    """One seeded case: (what, outcome) with outcome exact / clean / wrong / traceback."""
    picked = rng.sample(sorted(MUTATIONS), k=rng.randint(1, 3))
    exact = all(MUTATIONS[m][1] for m in picked)

    def build(wb, ws):  # the inserted column last: the others name cells by where the values stand
        for m in sorted(picked, key=lambda m: m == "an empty column"):
            MUTATIONS[m][0](wb, ws)

    path = _book(folder / f"case{i}.xlsx", build)
    try:
        data = read_office([path])
    except ObservationError as exc:
        named = all(str(path.name) in p.file or path.name in str(p.file) for p in exc.problems)
        return "+".join(picked), "clean" if named else "wrong"
    except Exception as exc:  # a traceback a user would see
        return "+".join(picked), f"traceback {type(exc).__name__}"
    got = sorted(zip(data.observations.year, data.observations.value, strict=True))
    if exact and got == [(2021, 94.1), (2022, 94.6)]:
        return "+".join(picked), "exact"
    return "+".join(picked), "wrong"  # read without a word, or read differently


def test_seeded_office_workbooks_load_exactly_or_fail_with_one_clear_error(tmp_path, office):
    rng = random.Random(20261203)
    outcomes = [_fuzz_case(rng, tmp_path, i) for i in range(60)]
    bad = [(what, out) for what, out in outcomes if out not in ("exact", "clean")]
    assert bad == []
    assert {out for _, out in outcomes} == {"exact", "clean"}  # both kinds were generated


# ------------------------------------------------------------------ office files as offices send them (issue 26)


def test_bureau_names_with_units_abbreviations_and_the_plans_wording_are_read(tmp_path):
    # a bureau's own table: units after the names, 规上 for 规模以上, the plan's wording (例行监测) and the
    # bureau's (空气质量优良率); each maps to its indicator (aliases in indicators.csv)
    f = tmp_path / "bureau.csv"
    f.write_text(
        "地区,拱墅区\n指标,单位,2021,2022\n"
        "制造业产品质量合格率(%),%,94,95\n"
        "空气质量优良率（%）,,80,81\n"
        "农产品质量安全例行监测合格率,%,97,98\n"
        "规上工业企业研发投入强度,%,2,2.1\n",
        encoding="utf-8",
    )
    got = read_office([f]).observations
    assert sorted(got.indicator_id.unique()) == [
        "agri_product_pass_rate",
        "good_air_days_share",
        "industrial_rnd_intensity",
        "manufacturing_product_pass_rate",
    ]


def test_a_unit_that_does_not_fit_the_indicator_is_not_stripped_and_each_name_is_one_problem(
    tmp_path,
):
    f = tmp_path / "bureau.csv"
    f.write_text(
        "地区,拱墅区\n指标,单位,2021,2022,2023,2024\n"
        "制造业产品质量合格率(件),,94,95,95,96\n"  # a count unit on a share: not this indicator
        "不存在的指标,%,1,2,3,4\n",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError) as err:
        read_office([f])
    lines = [(p.line, p.value) for p in err.value.problems]
    # one problem per name, not one per year column (4 each before)
    assert lines == [(3, "制造业产品质量合格率(件)"), (4, "不存在的指标")]


def test_an_alias_two_indicators_share_is_refused(shipped_raw_copy):
    from qindex.catalog import read_catalog
    from qindex.errors import CatalogError

    path = shipped_raw_copy / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("空气质量优良率;", "空气质量优良率;制造业产品质量合格率;"), encoding="utf-8"
    )
    with pytest.raises(CatalogError) as err:
        read_catalog(shipped_raw_copy)
    assert (
        "column 'aliases': got '制造业产品质量合格率'; expected a wording no other indicator has"
        in str(err.value)
    )


def test_add_with_place_records_it_and_the_copy_is_readable_by_the_group(tmp_path, office):
    # a district's own table without a 地区 cell: `office add --place` (issue 26; it used to be ignored)
    import os
    import stat

    from qindex.office import add, added_places, office_files

    f = tmp_path / "拱墅区报表.csv"
    f.write_text("指标,2021,2022\n制造业产品质量合格率,94,95\n", encoding="utf-8")
    with pytest.raises(ObservationError):
        add([f])  # no place: it cannot be read
    old = os.umask(0o022)  # a usual office machine's; the copy must not be narrower than it allows
    try:
        (copied,) = add([f], jurisdiction="拱墅区")
    finally:
        os.umask(old)
    assert added_places() == {"拱墅区报表.csv": "拱墅区"}
    assert stat.S_IMODE(copied.stat().st_mode) == 0o644  # as files the office saves, not 0600
    got = read_office(office_files()).observations
    assert set(got.jurisdiction_id) == {"CN-ZJ-HZ-GS"} and len(got) == 2


def test_a_monthly_revision_replaces_its_file_keeps_the_old_one_and_is_logged(tmp_path, office):
    # Issue 26: `office add` refused a revised file of the same name, and a revised copy beside the old one
    # stopped every run. --replace puts it in place, keeps the old one in .history/ and logs the change; the
    # plan report's 内部数据 annex says when the file was replaced.
    from qindex.office import add, office_files, replacements
    from qindex.reports.plan import plan_report

    f = tmp_path / "拱墅区报表.csv"
    f.write_text("地区,拱墅区\n指标,2022\n制造业产品质量合格率,94\n", encoding="utf-8")
    add([f])
    f.write_text("地区,拱墅区\n指标,2022\n制造业产品质量合格率,94.6\n", encoding="utf-8")
    with pytest.raises(ObservationError, match="qindex office add --replace"):
        add([f])
    add([f], replace=True)
    assert [p.name for p in office_files()] == ["拱墅区报表.csv"]
    assert read_office(office_files()).observations.value.tolist() == [94.6]
    log = replacements()
    assert log.file.tolist() == ["拱墅区报表.csv"] and log.old_sha256[0] != log.new_sha256[0]
    kept = office / ".history" / log.kept_as[0]
    assert "94\n" in kept.read_text(encoding="utf-8")  # the old file, unchanged
    annex = plan_report("gongshu-2025").office_values()
    assert annex["文件替换记录"].str.endswith("替换,原文件保存在历史记录中").all()
