"""`qindex extract`: each reading rule on sentences written for this test (not taken from the seeds), the text
forms plans come in, the draft's check, and recall/precision on the five reviewed seed plans.

Expected rows come from the catalogue's reading rules in data/raw/README.md, applied by hand to each sentence.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random

import pandas as pd
import pytest

from qindex import extract, paths
from qindex.catalog import load_catalog
from qindex.errors import CatalogError
from qindex.extract import (
    ExtractError,
    check_draft,
    draft,
    extract_text,
    read_plan_text,
    score,
    write_draft,
)


def rows(text, **kw):
    kw.setdefault("plan_id", "t-2026")
    kw.setdefault("base_year", 2022)
    return [
        (r.target_type, r.comparator, r.target_value, r.target_year)
        for r in extract_text(text, **kw)
        if r.target_type != "qualitative"
    ]


# ------------------------------------------------------------------------------------------ one rule each

RULES = [
    # "达到X%以上" → level ≥
    ("到2026年，消费品质量合格率达到95%以上。", [("level", ">=", 95.0, 2026)]),
    ("到2026年，规上工业企业新产品产值率稳定在40%以上。", [("level", ">=", 40.0, 2026)]),
    # lower-is-better with 达到/控制在 → ≤
    ("到2026年，细颗粒物(PM2.5)年均浓度达到28微克/立方米。", [("level", "<=", 28.0, 2026)]),
    ("到2026年，PM2.5平均浓度控制在30微克/立方米以内。", [("level", "<=", 30.0, 2026)]),
    # growth
    ("到2026年，规模以上工业增加值年均增长6%以上。", [("growth", ">=", 6.0, 2026)]),
    ("到2026年，单位地区生产总值能耗较2020年下降14.5%。", [("growth", "<=", -14.5, 2026)]),
    # cumulative, the verb carried along the list
    (
        "到2026年，新增国家级专精特新企业50家以上、省级质量标杆企业20家。",
        [("cumulative", ">=", 50.0, 2026), ("cumulative", ">=", 20.0, 2026)],
    ),
    ("到2026年，培育区域公用品牌8个。", [("cumulative", ">=", 8.0, 2026)]),
    # a stock
    ("到2026年，全市知名品牌共150个。", [("level", ">=", 150.0, 2026)]),
    # no occurrence, full coverage
    ("到2026年，不发生重大质量安全事故。", [("level", "==", 0.0, 2026)]),
    ("到2026年，实现农村生活垃圾分类处理全覆盖。", [("level", "==", 100.0, 2026)]),
    # ranks
    (
        "到2026年，消费品质量合格率位居全国前列，企业标准领跑者数量保持全省第一。",
        [("rank", "<=", None, 2026), ("rank", "<=", 1.0, 2026)],
    ),
    ("到2026年，区域质量竞争力进入全国前10位。", [("rank", "<=", 10.0, 2026)]),
    ("到2026年，争创全国智能制造第一城。", [("rank", "<=", 1.0, 2026)]),
    # trends, only of measurable things
    ("到2026年，PM2.5年均浓度持续下降。", [("trend", "<=", None, 2026)]),
    ("到2026年，农业标准化生产普及率稳步提升。", [("trend", ">=", None, 2026)]),
    ("到2026年，质量文化氛围不断提升。", []),
    # several figures, 分别; one figure for several names, 均
    (
        "到2026年，食品、药品抽检合格率分别达到98.5%、99%以上。",
        [("level", ">=", 98.5, 2026), ("level", ">=", 99.0, 2026)],
    ),
    (
        "到2026年，农产品抽检合格率和食品抽检合格率均达到98%以上。",
        [("level", ">=", 98.0, 2026), ("level", ">=", 98.0, 2026)],
    ),
    # breakthrough
    ("到2026年，力争实现中国质量奖零的突破。", [("cumulative", ">=", 1.0, 2026)]),
    # a threshold before a procedure
    ("完成自评估，达到600分以上后申请验收。", [("procedural", ">=", 600.0, 2026)]),
    # approximate figure
    ("到2026年，研发投入强度达到3.5%左右。", [("level", "==", 3.5, 2026)]),
]


@pytest.mark.parametrize(("text", "expected"), RULES)
def test_reading_rule(text, expected):
    assert rows(text, target_year=2026) == expected


def test_not_targets_dates_document_numbers_articles_list_counts():
    text = (
        "根据《某市质量发展规划（2021—2025年）》和某政发〔2023〕12号文件，重点推进五项任务，"
        "从6个方面提出21条措施。本方案自2023年5月1日起施行，第3条另有规定的除外。"
    )
    assert rows(text, target_year=2026) == []


def test_target_year_carries_over_until_a_new_year_and_facts_are_not_targets():
    text = (
        "2022年，全市制造业产品质量合格率达到93.2%。\n\n"
        "到2025年，制造业产品质量合格率达到95%。\n\n"
        "服务质量满意度达到86分以上。\n"
        "到2027年，服务质量满意度达到88分以上。"
    )
    assert rows(text) == [
        ("level", ">=", 95.0, 2025),
        ("level", ">=", 86.0, 2025),  # carried over the paragraph break
        ("level", ">=", 88.0, 2027),
    ]


def test_an_outlook_year_holds_for_its_sentence_only():
    text = (
        "到2025年，制造业产品质量合格率达到95%。到2035年，质量强市建设取得决定性进展。"
        "服务质量满意度达到86分以上。"
    )
    out = extract_text(text, plan_id="t", base_year=2022)
    assert [(r.target_type, r.target_year) for r in out] == [
        ("level", 2025),
        ("qualitative", 2035),
        ("level", 2025),
    ]


def test_background_section_figures_are_facts():
    text = (
        "一、发展基础\n全市制造业产品质量合格率达到93%，服务质量满意度达到82分。\n"
        "二、主要目标\n到2025年，制造业产品质量合格率达到95%。"
    )
    assert rows(text) == [("level", ">=", 95.0, 2025)]


def test_full_width_forms_and_odd_line_breaks_quote_the_original_verbatim():
    text = "到２０２６年，服务质量满意度达到８５分以上；\n工程质量一次验收合格\n率达到１００％。"
    out = extract_text(text, plan_id="t", base_year=2022)
    assert [(r.target_type, r.comparator, r.target_value, r.target_year) for r in out] == [
        ("level", ">=", 85.0, 2026),
        ("level", ">=", 100.0, 2026),
    ]
    assert out[1].quote == "工程质量一次验收合格\n率达到１００％"
    assert all(r.quote in text for r in out)
    assert out[1].indicator_id == "project_first_acceptance_rate"


def test_indicator_matched_by_name_and_unit_or_proposed():
    out = extract_text(
        "到2026年，制造业产品质量合格率达到95%，新认证区域公用品牌100个以上。", plan_id="t"
    )
    assert out[0].indicator_id == "manufacturing_product_pass_rate"
    assert out[1].indicator_id == ""  # no such indicator: draft() proposes one
    assert all(0 < r.confidence <= 1 and r.why for r in out)


# ------------------------------------------------------------------------------------ files and the check


def test_reads_gb18030_and_utf8_with_bom(tmp_path):
    text = "到2026年，制造业产品质量合格率达到95%。"
    (tmp_path / "a.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "b.txt").write_bytes("\ufeff".encode() + text.encode("utf-8"))
    assert read_plan_text(tmp_path / "a.txt") == read_plan_text(tmp_path / "b.txt") == text
    (tmp_path / "c.txt").write_bytes(text.encode("utf-16"))
    with pytest.raises(ExtractError, match=r"c\.txt: expected a UTF-8 or GB18030 text"):
        read_plan_text(tmp_path / "c.txt")


def test_draft_write_and_check_a_new_plan(tmp_path):
    plan = tmp_path / "示例规划.txt"
    plan.write_bytes(
        "某区质量强区建设实施方案\n二、主要目标\n到2026年，制造业产品质量合格率达到95%以上，"
        "培育区域公用品牌8个，PM2.5年均浓度持续下降。".encode("gb18030")
    )
    parts = draft(plan, plan_id="example-2026", place="拱墅区", base_year=2023)
    targets, new, plan_row = parts.targets, parts.indicators, parts.plan
    assert list(targets.target_type) == ["level", "cumulative", "trend"]
    assert plan_row.title_zh.iloc[0] == "某区质量强区建设实施方案"
    assert (
        plan_row.target_year.iloc[0] == "2026" and plan_row.jurisdiction_id.iloc[0] == "CN-ZJ-HZ-GS"
    )
    assert list(new.name_zh) == ["区域公用品牌"]
    out = write_draft(parts, tmp_path / "draft.csv")
    assert [p.name for p in out] == [
        "draft.csv",
        "draft.indicators.csv",
        "draft.plan.csv",
        "draft.skipped.csv",
    ]
    assert check_draft(tmp_path / "draft.csv") == 3


def test_check_lists_every_problem_of_a_reviewed_draft(tmp_path):
    plan = tmp_path / "p.txt"
    plan.write_text(
        "到2026年，制造业产品质量合格率达到95%以上，PM2.5年均浓度持续下降。", encoding="utf-8"
    )
    write_draft(draft(plan, plan_id="x-2026", place="CN", base_year=2023), tmp_path / "d.csv")
    with open(tmp_path / "d.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    table[0]["quote"] = "制造业产品合格率达到95%"  # not the plan's words
    table[1]["comparator"] = ">="  # PM2.5 falls
    table[1]["target_year"] = "2030"  # after the plan
    with open(tmp_path / "d.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    with pytest.raises(CatalogError) as err:
        check_draft(tmp_path / "d.csv")
    text = str(err.value)
    assert "d.csv, line 2, column 'quote'" in text
    assert "d.csv, line 3, column 'comparator'" in text and "direction -1" in text
    assert "d.csv, line 3, column 'target_year'" in text
    assert len(err.value.problems) == 3


# ----------------------------------------------------------------------------- the reviewed seed plans

# Measured on 2026-12-03 with this rule set: 94 of the 98 reviewed rows found, 97 drafted (recall 0.959,
# precision 0.969; before the rules of issue 29: 92 of 98, 95 drafted, 0.939 and 0.968); every level, growth,
# cumulative, procedural and rank row found. The floors keep those figures: one row lost in either fails.
FLOORS = {"recall": 0.95, "precision": 0.965, "numeric_recall": 1.0}


def test_drafts_reproduce_the_reviewed_catalogue_of_the_seeds():
    cat = load_catalog()
    seeds = cat.plans[cat.plans.source_file.str.match(r"\d{3}_")]
    drafted = pd.concat(
        [
            draft(paths.SOURCES / p.source_file, plan_id=p.plan_id, place=p.jurisdiction_id)[0]
            for p in seeds.itertuples()
        ]
    )
    reviewed = cat.targets[cat.targets.plan_id.isin(seeds.plan_id)]
    s = score(drafted, reviewed)
    total = s[["reviewed", "drafted", "found"]].sum()
    assert total.reviewed == 98
    assert total.found / total.reviewed >= FLOORS["recall"]
    assert total.found / total.drafted >= FLOORS["precision"]
    numeric = s[s.target_type.isin(["level", "growth", "cumulative", "rank"])].sum(
        numeric_only=True
    )
    assert numeric.found / numeric.reviewed >= FLOORS["numeric_recall"]
    # every drafted quote is the plan's own words
    for p in seeds.itertuples():
        text = (paths.SOURCES / p.source_file).read_text(encoding="utf-8")
        mine = drafted[drafted.plan_id == p.plan_id]
        assert all(q in text for q in mine.quote)


def test_score_counts_each_row_once():
    reviewed = pd.DataFrame(
        {
            "plan_id": ["p", "p"],
            "target_value": [98.0, 98.0],
            "comparator": [">=", ">="],
            "target_year": [2025, 2025],
            "target_type": ["level", "level"],
        }
    )
    drafted = reviewed.iloc[:1].assign(target_value="98")
    s = score(drafted, reviewed)
    assert s[["reviewed", "drafted", "found"]].iloc[0].tolist() == [2, 1, 1]


# ------------------------------------------------------------------------ inputs that must not hurt a run


def test_a_fifo_a_huge_text_and_a_plan_id_that_is_a_path_are_refused(tmp_path):
    # reliability review N11 (a FIFO blocked; ../../../x wrote into the project root) and N7 (no size cap)
    fifo = tmp_path / "plan.txt"
    os.mkfifo(fifo)
    with pytest.raises(ExtractError, match="not a regular file"):
        extract.read_plan_text(fifo)
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"9%" * (extract.MAX_TEXT_BYTES // 2 + 1))
    with pytest.raises(ExtractError, match="at most 2 MB"):
        extract.read_plan_text(huge)
    ok = tmp_path / "ok.txt"
    ok.write_text("到2025年,制造业产品质量合格率达到95%。", encoding="utf-8")
    for bad in ("../../../escape", "/tmp/abs", "a/b", "..", "Zhejiang-2025"):
        with pytest.raises(ExtractError, match="--plan-id"):
            extract.draft(ok, plan_id=bad, place="CN-ZJ-HZ")
    targets = extract.draft(ok, plan_id="zz-2025", place="CN-ZJ-HZ")[0]
    assert targets.target_value.tolist() == ["95"]  # as the draft's CSV writes it


# --------------------------------------------------------------------- seeded fuzz: plan texts (review 2, §2.2)

FRAGMENTS = [
    "到2025年,",
    "到2027年底,",
    "2024年起每年",
    "制造业产品质量合格率达到95%以上",
    "服务质量满意度达到82分",
    "PM2.5年均浓度下降到30微克/立方米",
    "新增“浙江制造”标准50项",
    "全省第一",
    "位居全国前列",
    "《质量强国建设纲要》",
    "〔2023〕12号",
    "《未闭合的书名",
    "9%",
    "1,234.5",
    "(一)",
    "二、主要目标\n",
    "。",
    "，",
    ";",
    "\n",
    "\u3000",
    "、",
    "分别达到90%、95%",
    "较2020年下降10%",
    "持续改善",
    "x" * 50,
]


def _fuzz_text(rng) -> str:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 60))]
    if rng.random() < 0.2:  # a long run of one fragment, as the review's scaling cases
        parts.append(rng.choice(FRAGMENTS) * rng.randint(50, 400))
    return "".join(parts)


def test_seeded_plan_texts_draft_or_fail_cleanly_and_quote_only_what_the_text_says(tmp_path):
    rng = random.Random(20261203)
    outcomes = []
    for i in range(80):
        text = _fuzz_text(rng)
        f = tmp_path / f"plan{i}.txt"
        f.write_text(text, encoding="utf-8")
        parts = extract.draft(f, plan_id="fuzz-2025", place="CN-ZJ-HZ")
        targets = parts.targets
        read = extract.read_plan_text(f)
        # every quote is the plan's own words, and every value a number
        assert all(q in read for q in targets.quote), i
        assert pd.to_numeric(targets.target_value, errors="coerce").notna().sum() <= len(targets)
        outcomes.append(len(targets))
        # the check of what extract wrote passes or lists problems; it never fails otherwise (issue 29)
        if i % 8 == 0:
            written = extract.write_draft(parts, tmp_path / f"draft{i}.csv")
            with contextlib.suppress(CatalogError, extract.ValidationError):
                extract.check_draft(written[0])
    assert sum(outcomes) > 0 and min(outcomes) == 0  # texts with and without targets were generated


# --------------------------------------------------------------- wording the rules did not read (issue 29)
# Every sentence below is written for this test, after the kinds of wording the unseen plans use; none is
# taken from a plan text. Expected rows follow data/raw/README.md, "How the plan texts were read".

NEW_RULES = [
    # relative to a benchmark: another place's level, or another indicator of the place
    ("到2026年，出口商品遭境外通报比率低于全国平均水平。", [("relative", "<", None, 2026)]),
    ("到2026年，区域质量竞争力指数高于全省平均水平。", [("relative", ">", None, 2026)]),
    ("到2026年，质量建设投入增幅不低于地区生产总值增长幅度。", [("relative", ">=", None, 2026)]),
    # one figure for several named subjects
    (
        "到2026年，新建住宅工程、公共建筑工程、市政基础设施工程质量安全监督覆盖率达到100%。",
        [("level", ">=", 100.0, 2026)] * 3,
    ),
    # a score without a unit
    ("到2026年，服务质量满意度达到75以上。", [("level", ">=", 75.0, 2026)]),
    ("到2026年，公共服务质量满意度测评得分不低于80。", [("level", ">=", 80.0, 2026)]),
    # trends worded as improvement
    ("到2026年，全市地表水水质持续改善。", [("trend", ">=", None, 2026)]),
    ("到2026年，全区空气质量明显提升。", [("trend", ">=", None, 2026)]),
    # an amount of work (a flow over the period), not a standing level
    ("到2026年，全市新开工装配式建筑面积达5000平方米以上。", [("cumulative", ">=", 5000.0, 2026)]),
    ("到2026年，完成老旧小区改造投资12亿元。", [("cumulative", ">=", 12.0, 2026)]),
]


@pytest.mark.parametrize(("text", "expected"), NEW_RULES)
def test_new_reading_rule(text, expected):
    assert rows(text, target_year=2026) == expected


def test_relative_rows_name_their_benchmark():
    out = extract_text(
        "到2026年，出口商品遭境外通报比率低于全国平均水平，质量建设投入增幅不低于地区生产总值增长幅度。",
        plan_id="t-2026",
        base_year=2022,
    )
    assert [(r.benchmark_scope, r.benchmark_subject) for r in out] == [
        ("national", ""),
        ("", "地区生产总值增长幅度"),
    ]
    assert out[0].subject == "出口商品遭境外通报比率"
    assert out[1].subject == "质量建设投入增幅"


def test_one_figure_for_several_subjects_gives_each_its_full_name():
    out = extract_text(
        "到2026年，新建住宅工程、公共建筑工程、市政基础设施工程质量安全监督覆盖率达到100%。",
        plan_id="t-2026",
    )
    # (the leading verb 新建 is dropped from a subject, as in every row; the quote keeps the words)
    assert [r.subject for r in out] == [
        "住宅工程质量安全监督覆盖率",
        "公共建筑工程质量安全监督覆盖率",
        "市政基础设施工程质量安全监督覆盖率",
    ]


def test_goal_sentences_without_a_figure_are_qualitative_goals_of_the_paragraph_year():
    text = (
        "二、主要目标\n到2026年，制造业产品质量合格率达到95%以上。"
        "争取全面完成国家质量强市示范城市创建工作。达到省级质量强区建设考核要求。\n"
        "三、重点任务\n加强质量基础设施建设。"
    )
    out = extract_text(text, plan_id="t-2026", base_year=2022)
    assert [(r.target_type, r.target_year) for r in out] == [
        ("level", 2026),
        ("qualitative", 2026),
        ("qualitative", 2026),
    ]
    assert out[1].quote == "争取全面完成国家质量强市示范城市创建工作"


def test_a_year_that_starts_a_recurring_task_is_not_the_target_year():
    # "2024年起每年组织…" opens a task, not a goal: the paragraph's 到2026年 holds for every figure
    text = (
        "二、主要目标\n到2026年，制造业产品质量合格率达到95%以上，"
        "2024年起每年组织质量提升活动不少于10场，入库企业不少于50家。"
    )
    out = extract_text(text, plan_id="t-2026", base_year=2023)
    assert {r.target_year for r in out} == {2026}
    assert len(out) == 3


def test_an_indicator_of_another_kind_is_not_matched():
    # 规模以上工业增加值 (a total) is not 规模以上工业亩均增加值 (per mu): no match, a new indicator proposed
    out = extract_text("到2026年，规模以上工业增加值年均增长7%。", plan_id="t-2026")
    assert out[0].target_type == "growth" and out[0].indicator_id == ""
    assert out[0].confidence < 0.9 and any("亩均" in w for w in out[0].why)


def test_check_does_not_crash_on_a_draft_without_a_base_year_and_says_what_is_missing(tmp_path):
    plan = tmp_path / "p.txt"
    plan.write_text("二、主要目标\n到2026年，制造业产品质量合格率达到95%以上。", encoding="utf-8")
    write_draft(draft(plan, plan_id="y-2026", place="CN-ZJ-HZ-GS"), tmp_path / "d.csv")
    with pytest.raises(CatalogError) as err:
        check_draft(tmp_path / "d.csv")
    text = str(err.value)
    assert "d.plan.csv" in text and "'base_year'" in text
    assert "Traceback" not in text


def test_check_flags_a_target_year_the_plan_sets_no_goal_for(tmp_path):
    plan = tmp_path / "p.txt"
    plan.write_text(
        "二、主要目标\n到2026年，制造业产品质量合格率达到95%以上，服务质量满意度达到85分以上。",
        encoding="utf-8",
    )
    write_draft(draft(plan, plan_id="z-2026", place="CN", base_year=2023), tmp_path / "d.csv")
    with open(tmp_path / "d.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    table[1]["target_year"] = "2024"  # as a task sentence "2024年起…" once made it
    with open(tmp_path / "d.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    with pytest.raises(CatalogError) as err:
        check_draft(tmp_path / "d.csv")
    assert [str(p) for p in err.value.problems] == [
        "d.csv, line 3, column 'target_year': got '2024'; expected a year the plan sets goals for "
        "(到2026年); the plan's goal sentences name no other"
    ]


def test_a_place_not_in_the_catalogue_gets_a_way_to_add_it(tmp_path):
    plan = tmp_path / "p.txt"
    plan.write_text("二、主要目标\n到2026年，制造业产品质量合格率达到95%以上。", encoding="utf-8")
    with pytest.raises(ExtractError) as err:
        draft(plan, plan_id="yh-2026", place="余杭区")
    assert "--new-place 余杭区 --parent" in str(err.value)
    parts = draft(plan, plan_id="yh-2026", new_place="余杭区", parent="CN-ZJ-HZ", base_year=2023)
    out = write_draft(parts, tmp_path / "d.csv")
    assert [p.name for p in out][-1] == "d.jurisdictions.csv"
    place = pd.read_csv(tmp_path / "d.jurisdictions.csv", dtype=str).iloc[0]
    assert (place.name_zh, place.parent_id, place.level) == ("余杭区", "CN-ZJ-HZ", "district")
    assert parts[2].jurisdiction_id.iloc[0] == place.jurisdiction_id
    assert check_draft(tmp_path / "d.csv") == 1
