"""Published observations: the shipped files, reading messy files, every validation error, conflicts."""

from __future__ import annotations

import csv
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qindex import paths
from qindex.catalog import load_catalog
from qindex.errors import ObservationError, QIndexError
from qindex.observations import FLAGS, read_observations, resolve_conflicts, year_ranges
from qindex.panel import load_panel, series

FIX = Path(__file__).parent / "fixtures" / "observations"
F = "tests/fixtures/observations/"

# ---------------------------------------------------------------- the shipped data


def test_shipped_values_match_the_shared_collection():
    # Independent check against the project's observations_sourced.csv (shared materials, beside a CI
    # checkout): every value stated there is in
    # data/raw/observations/ with the same year, value and address (units as given there).
    shared = paths.ROOT.parent / "shared" / "data" / "observations_sourced.csv"
    if not shared.is_file():
        pytest.skip("../shared/data not beside this checkout")
    with open(shared, encoding="utf-8") as f:
        # the one source that is a seed plan text names the copy a clone ships (data/raw/sources/)
        stated = {
            (
                r["year"],
                float(r["value"]),
                r["source"].replace("shared/seeds/", "data/raw/sources/"),
            )
            for r in csv.DictReader(f)
        }
    # observations_pass3.csv (15 values of the data audit): the source is shipped with its title appended
    with open(shared.with_name("observations_pass3.csv"), encoding="utf-8") as f:
        stated |= {
            (
                r["year"],
                float(r["value"]),
                f"{r['source']} ({r['source_title']})".replace(
                    "shared/seeds/", "data/raw/sources/"
                ),
            )
            for r in csv.DictReader(f)
        }
    raw = []
    for p in paths.OBSERVATIONS.glob("*.csv"):
        with open(p, encoding="utf-8") as f:
            raw += [r for r in csv.DictReader(f) if "derived" not in r["flag"]]
    assert {(r["year"], float(r["value"]), r["source"]) for r in raw} == stated


def test_derived_rows_carry_formula_and_recompute():
    # Hand check of two derived rows against the stated figures:
    # 全国 2023 制造业产品质量合格率 93.65 "较上年提高0.36个百分点" -> 2022 = 93.29;
    # 拱墅区 2022 数字经济占GDP 4.0 "较上年提升0.3个百分点" -> 2021 = 3.7.
    panel = load_panel()
    derived = panel[panel.flag.str.contains("derived")]
    assert (derived.note.str.startswith("derived: ")).all()
    got = derived.set_index(["jurisdiction_id", "indicator_id", "year"]).value
    assert got["CN", "manufacturing_product_pass_rate", 2022] == pytest.approx(93.29)
    assert got["CN-ZJ-HZ-GS", "digital_economy_share", 2021] == pytest.approx(3.7)


def test_shipped_conflicts_are_resolved_explicitly_and_recorded():
    panel = load_panel()
    resolved = panel[panel.resolution != ""]
    # 全国 农产品例行监测 2018: 97.5 (122 parameters) kept over 98.2 (94-parameter basis);
    # 全国 优良天数比例 2016: 78.8 (338 cities) kept over 74.2 (74 first-phase cities).
    assert set(zip(resolved.indicator_id, resolved.year, resolved.value, strict=True)) == {
        ("agri_product_pass_rate", 2018, 97.5),
        ("good_air_days_share", 2016, 78.8),
    }
    assert resolved.resolution.str.startswith("chosen by standard_definition over").all()
    assert sorted(r["value"] for r in panel.attrs["set_aside"]) == [74.2, 98.2]


def test_units_are_converted_to_the_indicator_unit():
    # 全国 全员劳动生产率 2023: 161,615 元/人 in the bulletin -> 16.1615 万元/人.
    s = series("CN", "labour_productivity").set_index("year")
    assert s.loc[2023, "value"] == pytest.approx(16.1615)
    assert s.loc[2023, "unit"] == "万元/人"


# ---------------------------------------------------------------- parsing cells


def test_year_ranges():
    assert year_ranges([2020, 2013, 2018, 2019]) == "2013, 2018–2020"


# ---------------------------------------------------------------- files as analysts get them


def test_gbk_file_with_chinese_names():
    got = read_observations(FIX / "ok_gbk.csv")
    assert got[["jurisdiction_id", "indicator_id", "year", "value"]].values.tolist() == [
        ["CN-ZJ-HZ", "manufacturing_product_pass_rate", 2022, 96.5]
    ]


def test_bom_file():
    assert read_observations(FIX / "ok_bom.csv").value.tolist() == [30.0, 29.3]


def test_encoding_named_by_the_caller():
    assert len(read_observations(FIX / "ok_gbk.csv", encoding="gbk")) == 1


def test_messy_values_thousands_fullwidth_missing_and_units():
    got = read_observations(FIX / "ok_messy_values.csv").set_index("indicator_id")
    assert got.loc["labour_productivity", "value"] == pytest.approx(16.1615)  # 161,615 元/人
    assert got.loc["manufacturing_product_pass_rate", "value"] == 93.93  # ９３．９３％ in 2024
    assert got.loc["quality_budget_share", "value"] == pytest.approx(1.2)  # 0.12 % = 1.2 ‰
    assert len(got) == 3  # "—" and "…" are missing, not rows


def test_wide_excel_with_merged_header_rows():
    got = read_observations(FIX / "ok_wide_merged.xlsx")
    assert got[["jurisdiction_id", "indicator_id", "year", "value"]].values.tolist() == [
        ["CN", "manufacturing_product_pass_rate", 2022, 93.29],
        ["CN", "manufacturing_product_pass_rate", 2023, 93.65],
        ["CN", "pm25", 2022, 29.0],
        ["CN", "pm25", 2023, 30.0],
        ["CN-ZJ", "manufacturing_quality_competitiveness_index", 2023, 88.2],
    ]
    assert got.file.iloc[0] == F + "ok_wide_merged.xlsx, sheet '主要指标'"
    assert got.line.tolist() == [4, 4, 5, 5, 6]


def test_source_given_by_the_caller():
    got = read_observations(FIX / "bad_no_source_column.csv", source="市统计局 2023 公报")
    assert got.source.tolist() == ["市统计局 2023 公报"]


# Each malformed file and the exact error it must produce.
EXPECTED_ERRORS = {
    "bad_gbk_unknown_place.csv": [
        F + "bad_gbk_unknown_place.csv, line 2, column 'jurisdiction_id': got '杭州'; "
        "expected an id or name from jurisdictions.csv (did you mean '杭州市'?)"
    ],
    "bad_bom_101_percent.csv": [
        F + "bad_bom_101_percent.csv, line 2, column 'value': got '101 %'; "
        "expected a value within the natural limits [0, 100] of 'manufacturing_product_pass_rate'"
    ],
    "bad_permille_over_limit.csv": [
        F + "bad_permille_over_limit.csv, line 2, column 'value': got '1001 ‰ (= 100.1 %)'; "
        "expected a value within the natural limits [0, 100] of 'manufacturing_product_pass_rate'"
    ],
    "bad_unknown_indicator.csv": [
        F
        + "bad_unknown_indicator.csv, line 2, column 'indicator_id': got 'manufacturing_pass_rate'; "
        "expected an id or name from indicators.csv (did you mean 'manufacturing_product_pass_rate'?)"
    ],
    "bad_year.csv": [
        F
        + "bad_year.csv, line 2, column 'year': got '二〇二二'; expected a year between 1949 and 2100",
        F + "bad_year.csv, line 3, column 'year': got '22'; expected a year between 1949 and 2100",
    ],
    "bad_value.csv": [
        F
        + "bad_value.csv, line 2, column 'value': got '约29'; expected a number (or —, … for missing)"
    ],
    "bad_unit.csv": [
        F + "bad_unit.csv, line 2, column 'unit': got '斤'; "
        "expected a unit convertible to 'µg/m³', the unit of 'pm25'"
    ],
    "bad_sign_vs_unit.csv": [
        F + "bad_sign_vs_unit.csv, line 2, column 'value': got '93.3%'; "
        "expected no sign, or the unit '‰' of the unit column"
    ],
    "bad_no_source_column.csv": [
        F + "bad_no_source_column.csv, line 1, column 'source'; "
        "expected a source column (数据来源), or read_observations(..., source=...)"
    ],
    "bad_empty_source.csv": [
        F
        + "bad_empty_source.csv, line 2, column 'source': got an empty value; expected the source of the value"
    ],
    "bad_no_value_column.csv": [
        F
        + "bad_no_value_column.csv, line 1, column 'value'; expected a column 'value' (or 数值, 值), or years as columns"
    ],
    "bad_no_header.csv": [
        F + "bad_no_header.csv; expected a header row naming the columns "
        "(地区/jurisdiction, 指标/indicator, 年份/year, 数值/value …)"
    ],
    "bad_unknown_flag.csv": [
        F + "bad_unknown_flag.csv, line 2, column 'flag': got 'estimated'; expected one of "
        f"{sorted(FLAGS)} (did you mean 'derived'?)"
    ],
    "bad_duplicate_row.csv": [
        F + "bad_duplicate_row.csv, line 3, column 'value': got 29; "
        "expected no duplicate of line 2 (same place, indicator, year, value and source)"
    ],
    "bad_conflict.csv": [
        F
        + "bad_conflict.csv, line 3, column 'value': got 30; expected the same value as "
        + F
        + "bad_conflict.csv, line 2 (29) for CN/pm25/2022, or a resolution rule "
        "(read_observations(..., resolve=[...]); rules: ['standard_definition', 'latest_file', 'source_priority'])"
    ],
    "bad_undecodable.csv": [F + "bad_undecodable.csv; expected text in utf-8-sig or gb18030"],
    "bad_type.json": [F + "bad_type.json: got '.json'; expected a .csv or .xlsx file"],
    "bad_wide_merged.xlsx": [
        F + "bad_wide_merged.xlsx, sheet '主要指标', row 5, column '2023, cell E5': got 'abc'; "
        "expected a number (or —, … for missing)"
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_malformed_file_gives_its_exact_error(name):
    with pytest.raises(ObservationError) as info:
        read_observations(FIX / name)
    assert [str(p) for p in info.value.problems] == EXPECTED_ERRORS[name]


def test_every_bad_fixture_has_an_expected_error():
    bad = {p.name for p in FIX.iterdir() if p.name.startswith("bad_")}
    assert bad == set(EXPECTED_ERRORS)
    assert len(bad) >= 15


def test_folder_reports_problems_of_all_files_at_once(tmp_path):
    for name in ("bad_value.csv", "bad_unit.csv", "ok_bom.csv"):
        (tmp_path / name).write_bytes((FIX / name).read_bytes())
    with pytest.raises(ObservationError) as info:
        read_observations(tmp_path)
    assert len(info.value.problems) == 2


def test_missing_sheet_is_a_clear_error():
    with pytest.raises(ObservationError, match="sheet"):
        read_observations(FIX / "ok_wide_merged.xlsx", sheet="不存在")


# ---------------------------------------------------------------- conflicts


def test_conflict_resolved_by_source_priority_records_the_rule():
    frame = pd.concat(
        [
            read_observations(FIX / "ok_bom.csv"),
            read_observations(FIX / "ok_bom.csv").assign(
                value=31.0, source="https://example.org/news"
            ),
        ],
        ignore_index=True,
    )
    out = resolve_conflicts(frame, ["source_priority"], source_priority=["example.org/bulletin"])
    assert out.value.tolist() == [30.0, 29.3]
    assert out.resolution.iloc[0].startswith("chosen by source_priority over 31")
    assert len(out.attrs["set_aside"]) == 2


def test_unknown_resolution_rule_is_an_error():
    with pytest.raises(ObservationError, match="one of"):
        read_observations(FIX / "bad_conflict.csv", resolve=["newest"])


def test_rule_that_cannot_choose_leaves_the_conflict_an_error():
    # Both rows are in the same file, so "latest_file" cannot choose: still an error, never a silent pick.
    with pytest.raises(ObservationError, match="line 2 \\(29\\) for CN/pm25/2022"):
        read_observations(FIX / "bad_conflict.csv", resolve=["latest_file"])


def test_latest_file_rule_goes_by_the_date_each_file_states_not_by_its_name(tmp_path):
    # Issue 26: latest_file was "the file read last, by name", unclear for Chinese file names. It is now the
    # file whose 填报日期 is the latest; here the later revision has the name that sorts first.
    header, first, row_2024 = (FIX / "ok_bom.csv").read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "b_初报.csv").write_text(
        f"填报日期,2024-03-01\n{header}\n{first}\n{row_2024}\n", encoding="utf-8"
    )
    (tmp_path / "a_修订.csv").write_text(
        f"填报日期,2024年4月2日\n{header}\n{row_2024.replace('29.3', '29.5')}\n", encoding="utf-8"
    )
    got = read_observations(tmp_path, resolve=["latest_file"])
    assert got.set_index("year").value[2024] == 29.5
    assert set(got.stated) == {"2024-03-01", "2024-04-02"}
    # a file that states no date leaves the pair to a person, and the message says what is missing
    (tmp_path / "a_修订.csv").write_text(
        f"{header}\n{row_2024.replace('29.3', '29.5')}\n", encoding="utf-8"
    )
    with pytest.raises(ObservationError, match="latest_file needs the 填报日期 each file states"):
        read_observations(tmp_path, resolve=["latest_file"])


# ---------------------------------------------------------------- round trip (hypothesis)

CAT = load_catalog()
BOUNDED = CAT.indicators[CAT.indicators.upper_limit.notna() & CAT.indicators.lower_limit.notna()]
TEXT = st.text(
    alphabet=string.ascii_letters + "质量强市统计公报杭州成都拱墅年月", min_size=1, max_size=12
)


@st.composite
def frames(draw):
    n = draw(st.integers(1, 8))
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(CAT.jurisdictions.jurisdiction_id)),
                st.sampled_from(sorted(BOUNDED.indicator_id)),
                st.integers(1990, 2030),
            ),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    rows = []
    for j, k, y in keys:
        meta = BOUNDED.set_index("indicator_id").loc[k]
        v = draw(st.floats(meta.lower_limit, meta.upper_limit, allow_nan=False))
        rows.append(
            {
                "jurisdiction_id": j,
                "indicator_id": k,
                "year": y,
                "value": v,
                "unit": meta.unit,
                "source": draw(TEXT),
            }
        )
    return pd.DataFrame(rows)


COLS = ["jurisdiction_id", "indicator_id", "year", "value", "unit", "source"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames(), fmt=st.sampled_from(["utf-8", "gb18030", "utf-8-sig", "xlsx"]))
def test_round_trip_csv_and_xlsx(tmp_path_factory, frame, fmt):
    path = tmp_path_factory.mktemp("rt") / ("obs.xlsx" if fmt == "xlsx" else "obs.csv")
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding=fmt)
    got = read_observations(path)
    pd.testing.assert_frame_equal(got[COLS], frame[COLS], check_dtype=False)


# ---------------------------------------------------------------- writing


def test_errors_are_qindex_errors():
    assert issubclass(ObservationError, QIndexError)


def test_xlsx_text_null_is_text(tmp_path):
    # Reliability review: a source cell holding the text "NULL" was read as empty and the file rejected.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["jurisdiction_id", "indicator_id", "year", "value", "unit", "source"])
    ws.append(["CN", "pm25", 2020, 33, "µg/m³", "NULL"])
    wb.save(tmp_path / "obs.xlsx")
    got = read_observations(tmp_path / "obs.xlsx")
    assert got.loc[0, "source"] == "NULL" and got.loc[0, "value"] == 33


def test_audit_derived_rows_recompute():
    # Data audit §2.4, hand: 29.8 / (1 - 0.21) = 37.72; 25 / (1 - 0.194) = 31.02; 295 - 163 = 132.
    panel = load_panel().set_index(["jurisdiction_id", "indicator_id", "year"])
    assert panel.loc[("CN-ZJ-HZ", "pm25", 2019), "value"] == pytest.approx(29.8 / 0.79, abs=0.05)
    assert panel.loc[("CN-ZJ", "pm25", 2019), "value"] == pytest.approx(25 / 0.806, abs=0.05)
    assert panel.loc[("CN-SC-CD", "good_air_days", 2013), "value"] == 295 - 163


# ---------------------------------------------------------------- reliability review D2-D5


@pytest.mark.parametrize(
    "cell", ["inf", "-inf", "Infinity", "+nan", "-nan", "nan%", "1e400", "9 5", "1_000"]
)
def test_non_numbers_and_non_finite_values_are_refused(tmp_path, cell):
    # D2: these passed validation; one "inf" turned hz22-31 from met to missed.
    f = tmp_path / "o.csv"
    f.write_text(
        f"jurisdiction_id,indicator_id,year,value,unit,source\nCN,pm25,2020,{cell},µg/m³,b\n",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError, match=r"column 'value'.*expected a number"):
        read_observations(f)


def test_rows_with_the_wrong_number_of_fields_are_errors(tmp_path):
    # D3: an unquoted "1,234" shifted into an extra field was read as 1; a cut-off last row vanished.
    long = tmp_path / "long.csv"
    long.write_text(
        "jurisdiction_id,indicator_id,year,unit,source,value\nCN-ZJ-HZ,prefab_building_area,2021,万平方米,b,1,234\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ObservationError, match="line 2: got '7 fields'; expected 6 fields as in the header"
    ):
        read_observations(long)
    short = tmp_path / "short.csv"
    short.write_text(
        "jurisdiction_id,indicator_id,year,value,unit,source\nCN-ZJ-HZ,pm25,2020,29.8,µg/m³,b\nCN-ZJ-HZ,pm25,2021",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError, match="line 3: got '3 fields'"):
        read_observations(short)


def test_two_columns_with_the_same_meaning_are_an_error(tmp_path):
    # D4: a second 年份 column silently replaced every year.
    f = tmp_path / "d.csv"
    f.write_text(
        "jurisdiction_id,indicator_id,year,value,unit,source,年份\nCN-ZJ-HZ,pm25,2021,28,µg/m³,b,2000\n",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError, match=r"column '年份'.*one column for 'year'"):
        read_observations(f)


def test_integer_years_in_xlsx_are_range_checked(tmp_path):
    # D5: an int year cell skipped the 1949-2100 check.
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["jurisdiction_id", "indicator_id", "year", "value", "unit", "source"])
    wb.active.append(["CN-ZJ-HZ", "pm25", 99999, 28, "µg/m³", "b"])
    wb.save(tmp_path / "y.xlsx")
    with pytest.raises(
        ObservationError, match="got '99999'; expected a year between 1949 and 2100"
    ):
        read_observations(tmp_path / "y.xlsx")


def test_catalogue_numbers_must_be_finite():
    from qindex.tables import parse_float, parse_int

    assert parse_float("nan") is None and parse_float("inf") is None and parse_float("1_0") is None
    assert parse_int("2_022") is None and parse_float("94.5") == 94.5


# ---------------------------------------------------------------- seeded fuzz (reliability review §1)

FUZZ_BASE = (
    "jurisdiction_id,indicator_id,year,value,unit,source\n"
    "CN-ZJ-HZ,pm25,2020,29.8,µg/m³,bulletin\n"
    "CN-ZJ-HZ,pm25,2021,28,µg/m³,bulletin\n"
    "CN,manufacturing_product_pass_rate,2022,93.29,%,bulletin\n"
)


def _mutations(rng):
    base = FUZZ_BASE.encode()
    lines = FUZZ_BASE.splitlines()
    yield "truncate", base[: rng.randrange(1, len(base))]
    k = rng.randrange(len(base))
    yield "byte", base[:k] + bytes([rng.randrange(256)]) + base[k + 1 :]
    i = rng.randrange(1, len(lines))
    cells = lines[i].split(",")
    op = rng.choice(["drop", "extra", "dup_header", "weird_value", "long_field", "year"])
    if op == "drop":
        cells.pop(rng.randrange(len(cells)))
    elif op == "extra":
        cells.insert(rng.randrange(len(cells) + 1), str(rng.randrange(1000)))
    elif op == "weird_value":
        cells[3] = rng.choice(["inf", "-inf", "nan%", "+nan", "1e400", "9 5", "1_0", "NaN‰", "1,2"])
    elif op == "long_field":
        cells[5] = "x" * 200_000
    elif op == "year":
        cells[2] = str(rng.choice([0, -1, 1948, 2101, 99999, 20200]))
    out = lines[:]
    if op == "dup_header":
        out[0] = out[0] + ",年份"
        out[1:] = [line + ",2000" for line in out[1:]]
    else:
        out[i] = ",".join(cells)
    yield op, ("\n".join(out) + "\n").encode()


def test_fuzzed_observation_files_load_exactly_or_fail_cleanly(tmp_path):
    # Every malformed input ends in one ObservationError naming the file, or loads with finite values and
    # years in range, never more rows than the file has data lines, never a crash of another type.
    import random

    rng = random.Random(20241123)
    f = tmp_path / "fuzz.csv"
    seen = 0
    for _ in range(150):
        for op, data in _mutations(rng):
            f.write_bytes(data)
            seen += 1
            try:
                got = read_observations(f)
            except ObservationError as exc:
                assert "fuzz.csv" in str(exc), (op, data[:200])
                continue
            assert np.isfinite(got["value"]).all(), (op, data[:200])
            assert got["year"].between(1949, 2100).all(), (op, data[:200])
            assert len(got) <= data.count(b"\n"), (op, data[:200])
            if op in ("drop", "extra", "weird_value", "year", "long_field", "dup_header"):
                pytest.fail(f"{op} was accepted: {data[:200]!r}")
    assert seen == 450


def test_files_that_are_not_regular_files_are_problems_not_crashes(tmp_path):
    # Reliability review D9: a folder named x.csv, a dangling link, a link loop gave tracebacks; a FIFO
    # named *.csv blocked forever.
    import os

    folder = tmp_path / "obs"
    folder.mkdir()
    (folder / "dir.csv").mkdir()
    (folder / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (folder / "loop.csv").symlink_to(folder / "loop.csv")
    os.mkfifo(folder / "fifo.csv")
    (folder / "long.csv").write_text(
        "jurisdiction_id,indicator_id,year,value,unit,source\nCN,pm25,2020,30,µg/m³,"
        + "x" * 200_000
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ObservationError) as info:
        read_observations(folder)
    text = str(info.value)
    for name in ("dir.csv", "dangling.csv", "loop.csv", "fifo.csv", "long.csv"):
        assert name in text, name
