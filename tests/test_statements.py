"""What a report may say (issue 24): levels, plans in force, data age, premature and thin verdicts, later data that
contradict a verdict, counts that add up, the index's availability rule. On the shipped data and on panels made here.

Expected values come from the shipped files named in each test (data/raw/plans.csv, observations/*.csv) or from the
small panels built in the test.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from qindex.catalog import load_catalog, targets
from qindex.city_index import quality_index
from qindex.panel import load_panel
from qindex.plan_assessment import assess_plan
from qindex.progress import assess
from qindex.reports.annual import annual_report
from qindex.reports.plan import plan_report
from qindex.statements import (
    DATA_AGE,
    count_text,
    in_force,
    is_current,
    is_draft,
    plan_level,
    plan_title,
    stage,
    status_counts,
)


@pytest.fixture(scope="module")
def hangzhou():
    return annual_report("CN-ZJ-HZ", 2024, replications=20)


def test_levels_and_plans_in_force():
    cat = load_catalog()
    assert plan_level("CN-ZJ-HZ", "CN-ZJ-HZ", cat) == "本级"
    assert plan_level("CN", "CN-ZJ-HZ-GS", cat) == "上级"
    assert plan_level("CN-ZJ-HZ-GS", "CN-ZJ-HZ", cat) == "下级"
    assert plan_level("CN-SC-CD", "CN-ZJ-HZ", cat) == "其他"
    plans = cat.plans.set_index("plan_id")
    # plans.csv: the 纲要 issued 2023-02-06, the Zhejiang opinion 2022-12-31 (counts from 2023), Gongshu's draft 2023
    ids = ["national-2025", "zhejiang-2025", "gongshu-2025", "hangzhou-2022"]
    assert in_force(plans.loc[ids], 2022).tolist() == [False, False, False, True]
    assert in_force(plans.loc[ids], 2023).tolist() == [True, True, True, False]
    # drafts are named as drafts: Gongshu's 征求意见稿 says so; Chengdu's title does not, its English title does
    assert is_draft(plans.loc["gongshu-2025"]) and is_draft(plans.loc["chengdu-2027"])
    assert plan_title(plans.loc["chengdu-2027"]).endswith("（2023-2027年）》(草案)")
    assert not is_draft(plans.loc["national-2025"])


def test_data_age_and_stage():
    assert DATA_AGE == 2
    assert is_current(2022, 2024) and not is_current(2021, 2024) and not is_current(2025, 2024)
    assert not is_current(2022, 2024, since=2023)  # before the plan's base year
    assert stage(2022, 2025, 2022, 2022) == "基期评估"
    assert stage(2022, 2025, 2024, None) == "基期评估"
    assert stage(2022, 2025, 2024, 2023) == "中期评估"
    assert stage(2018, 2022, 2024, 2021) == "终期评估"


def test_a_higher_level_plan_with_national_data_is_never_counted_as_the_places_own(hangzhou):
    # annual-hangzhou 2024: the 纲要's targets are judged on national data; the city's own plan in force is the
    # 2025 drafting note with 2 targets (data/raw/targets.csv hz25-01, hz25-02)
    own = hangzhou.own_assessment()
    assert set(own.plan_id) == {"hangzhou-2025"} and len(own) == 2
    text = hangzhou.overall_text()
    assert "目标共2项" in text and "不计入本地目标数" in text
    assert (
        not hangzhou.problems()
        .指标.isin(["制造业质量竞争力指数", "农产品质量安全监测合格率"])
        .any()
    )
    assert hangzhou.summary()["statuses"] == {"无法评估": 1, "不评分": 1}


def test_a_2017_value_in_a_2024_report_is_context_not_a_verdict(hangzhou):
    # observations/hangzhou.csv: 全社会R&D经费投入强度 3.15 % for 2017, the latest Hangzhou value
    t = hangzhou.higher_plan_table().set_index("指标")
    row = t.loc["全社会R&D经费投入强度"]
    assert row.年份 == 2017 and "仅作背景,不作判断" in row.对照 and "未达到" not in row.对照
    # the national 食品抽检合格率 target carries definition_unconfirmed: listed without a verdict, marked ▽
    assert t.loc["食品安全评价性抽检合格率", "对照"].endswith("▽")


def test_a_2025_target_is_not_missed_as_of_2024_because_other_series_reach_2025():
    # the shipped panel has 2025 national values of series that are no target of the 纲要 (PM2.5, patents);
    # as_of 0 must resolve to the latest year of the plan's own series, 2024, where na25-08 (制造业产品质量合格率
    # ≥94 by 2025; 93.93 in 2024, 93.29 in 2022) is on its way, not missed
    panel = load_panel()
    extra = panel[panel.jurisdiction_id == "CN"].head(1).assign(year=2025, indicator_id="pm25")
    pa = assess_plan("national-2025", as_of=0, panel=pd.concat([panel, extra], ignore_index=True))
    assert pa.as_of == 2024
    status = pa.assessment.set_index("target_id").status
    assert status["na25-08"] == "ahead" and status["na25-05"] == "behind"
    assert not status.isin(["met", "missed"]).any()


def test_a_trend_needs_three_values():
    cat = load_catalog()
    tg = targets("national-2025", catalog=cat)
    tg = tg[
        tg.target_id == "na25-03"
    ]  # "产业质量竞争力持续增强": the MQCI, 85.21 (2023) and 85.6 (2024)
    panel = pd.DataFrame(
        {
            "jurisdiction_id": "CN",
            "indicator_id": tg.indicator_id.iloc[0],
            "year": [2023, 2024],
            "value": [85.21, 85.6],
            "unit": "指数",
            "source": "test",
            "flag": "",
        }
    )
    a = assess(panel, tg, as_of=2024, catalog=cat).iloc[0]
    assert a.status == "not_assessable" and "至少3个年份" in a.note and "只有2个" in a.note
    three = pd.concat([panel, panel.head(1).assign(year=2022, value=84.9)], ignore_index=True)
    assert assess(three, tg, as_of=2024, catalog=cat).iloc[0].status == "achieved"


def test_later_data_that_contradict_a_verdict_are_named_and_hold_it():
    # hz22-30 PM2.5 持续下降 by 2022: 40 (2018) … 28 (2021), no 2022 value; 30 in 2024 (observations/hangzhou.csv)
    a = assess_plan("hangzhou-2022", as_of=2024).assessment.set_index("target_id")
    assert a.at["hz22-30", "status"] == "unconfirmed"
    assert (
        "原判断已完成(据2021年数据)" in a.at["hz22-30", "note"]
        and "2024年30" in a.at["hz22-30", "note"]
    )
    # hz22-31 PM2.5 ≤35: 28 in 2021, and 30 in 2024 also meets it: nothing contradicts the verdict
    assert a.at["hz22-31", "status"] == "met"


def test_counts_add_up_and_name_every_group():
    a = assess_plan("hangzhou-2022", as_of=2024).assessment
    counts = status_counts(a)
    assert sum(n for _, n in counts) == len(a) == 41
    labels = dict(counts)
    assert labels["已完成(据目标年之前数据)"] >= 1  # hz22-31, judged on 2021
    text = count_text(a)
    assert text.startswith("共41项:") and all(f"{k}{n}项" in text for k, n in counts)


def test_titles_carry_the_stage_the_data_allow():
    assert "终期评估（数据截至2022年）" in plan_report("hangzhou-2022").title
    assert "基期评估（数据截至2022年）" in plan_report("gongshu-2025").title
    assert "基期评估（截至2022年尚无可评价的数据）" in plan_report("chengdu-2027").title


def test_an_index_place_year_without_current_data_gets_no_score():
    # a place with values of 2020 only: in 2021 and 2022 they could be carried forward (max 3 years), but it has
    # no indicator with data of those years itself (0 % < 25 %): no score, so no point in the chart either
    panel = load_panel()
    # 6 of the framework's 20 indicators (params/quality_index.yaml): 30 % ≥ 25 % in 2020
    codes = [
        "pm25",
        "good_air_days_share",
        "digital_economy_share",
        "rnd_intensity_gdp",
        "surface_water_class3_share",
        "manufacturing_product_pass_rate",
    ]
    fake = pd.DataFrame(
        {
            "jurisdiction_id": "CN-ZJ",
            "indicator_id": codes,
            "year": 2020,
            "value": [30.0, 90.0, 10.0, 2.5, 90.0, 93.0],
            "unit": ["µg/m³", "%", "%", "%", "%", "%"],
            "source": "test",
            "flag": "",
        }
    )
    others = panel[panel.jurisdiction_id != "CN-ZJ"]
    scores = quality_index(pd.concat([others, fake], ignore_index=True)).scores["index"]
    zj = scores[scores.index.get_level_values(0) == "CN-ZJ"].dropna()
    assert zj.index.get_level_values(1).tolist() == [2020]


def test_same_year_comparators_in_a_plan_report_cite_their_sources():
    # hangzhou-2022's PM2.5 card: 浙江省 24 µg/m³ in 2021 (observations/zhejiang.csv), now with its source number
    r = plan_report("hangzhou-2022")
    m = re.search(r"浙江省 24µg/m³\[(\d+)\]", r.front())
    assert m, "the comparator cites its source"
    row = r.source_table().set_index("编号").loc[int(m.group(1))]
    assert "生态环境" in row.来源 or "浙江" in row.来源
