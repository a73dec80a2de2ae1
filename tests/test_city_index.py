"""The project's own index over the panel: who is ranked among whom, and the gaps it shows."""

from __future__ import annotations


def test_comparable_groups_rank_only_groups_of_five_same_level_places():
    """Hand-made case: 6 cities on the same pillars (ranked 1..6 by score), a 7th city on other pillars and
    a province, and a city with 10 % data of its own year: only the 6 are ranked."""
    import pandas as pd

    from qindex.city_index import comparable_groups

    units = [f"c{i}" for i in range(1, 7)] + ["c7", "p1", "c8"]
    scores = pd.DataFrame(
        {
            "a": [90, 80, 70, 60, 50, 40, 30, 20, 10],
            "b": [1, 1, 1, 1, 1, 1, None, 1, 1],
            "index": [90, 80, 70, 60, 50, 40, 30, 20, 10],
        },
        index=units,
    )
    levels = pd.Series({**{u: "city" for u in units}, "p1": "province"})
    avail = pd.Series(1.0, index=units)
    avail["c8"] = 0.10
    c = comparable_groups(scores, ["a", "b"], avail, levels)
    assert c.rankable.to_dict() == {u: u in units[:6] for u in units}
    assert c.loc[units[:6], "rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert "少于25%" in c.at["c8", "reason"] and "只有1个" in c.at["c7", "reason"]


def test_quality_index_on_the_shipped_panel_shows_its_gaps():
    from qindex.city_index import quality_index

    r = quality_index()
    fw = r.framework
    assert set(fw.nodes.loc[fw.nodes.level == 2, "name"]) == {
        "产品质量",
        "工程质量",
        "服务质量",
        "环境质量",
        "产业质量效益",
        "质量基础与品牌",
    }
    # goalposts truncate: every normalised score is within 0–100
    norm = r.stages["normalised"]
    assert ((norm >= 0) & (norm <= 100) | norm.isna()).all().all()
    # carried-forward values are flagged, and never for more than 3 years (max_gap)
    assert r.imputed_cells.to_numpy().sum() > 0
    # place-years below 25 % availability are listed, not silently dropped
    assert len(r.screened_out) > 0 and (r.screened_out["availability"] < 0.25).all()
    assert r.notes and "see screened_out" in r.notes[0]
    # 杭州 2022 (25 % of the indicators with data of 2022 itself): PM2.5 carries 2021's 28 µg/m³ forward; on
    # goalposts 75 -> 35: (28 − 75)/(35 − 75) = 1.175, truncated to 100
    assert norm.loc[("CN-ZJ-HZ", 2022), "pm25"] == 100.0
    assert r.imputed_cells.loc[("CN-ZJ-HZ", 2022), "pm25"]
    # 杭州 2021 has less than 25 % of its indicators with data of 2021 itself: no score (issue 24)
    assert ("CN-ZJ-HZ", 2021) not in norm.index


def test_a_score_resting_on_the_offices_own_values_is_marked_in_the_body():
    # Issue 26: 拱墅区 entered the 2023 index on its internal file alone (35 % of the indicators) and the body
    # marked nothing. Here the shipped panel plus seven office values of 拱墅区 for 2023 (made for this test,
    # 7 of the framework's 20 indicators): the first screen names them and the scores table marks the place ◆.
    from dataclasses import fields

    import pandas as pd

    from qindex.city_index import IndexStudy, index_study
    from qindex.panel import load_panel
    from qindex.reports.index import IndexReport

    values = {
        "manufacturing_product_pass_rate": (95.1, "%"),
        "pm25": (29.0, "µg/m³"),
        "good_air_days_share": (88.0, "%"),
        "surface_water_class3_share": (100.0, "%"),
        "digital_economy_share": (4.2, "%"),
        "rnd_intensity_gdp": (3.0, "%"),
        "new_product_output_rate": (40.0, "%"),
    }
    panel = load_panel()
    extra = pd.DataFrame(
        {
            "jurisdiction_id": "CN-ZJ-HZ-GS",
            "indicator_id": list(values),
            "year": 2023,
            "value": [v for v, _ in values.values()],
            "unit": [u for _, u in values.values()],
            "source": "内部数据(拱墅区填报表.xlsx)",
            "flag": "",
            "origin": "office",
        }
    )
    study = index_study(
        2023, replications=20, sa_n=8, panel=pd.concat([panel, extra], ignore_index=True)
    )
    report = IndexReport(**{f.name: getattr(study, f.name) for f in fields(IndexStudy)})
    assert "CN-ZJ-HZ-GS" in report.year_scores.index
    assert "拱墅区◆（7项：" in report.front()  # the first screen is in full-width punctuation
    row = report.scores_table().set_index("地区").loc["拱墅区◆"]
    assert row["内部数据指标数"] == 7
    # 杭州市 has no indicator with data of 2023 itself: no score that year, so no row (issue 24)
    assert "杭州市" not in set(report.scores_table()["地区"])
    # a panel without office values marks nothing
    plain = index_study(2023, replications=20, sa_n=8, panel=panel)
    assert (
        IndexReport(**{f.name: getattr(plain, f.name) for f in fields(IndexStudy)}).internal_note()
        == ""
    )
