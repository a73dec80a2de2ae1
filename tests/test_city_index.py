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
    # 杭州 2021 PM2.5 28 µg/m³ on goalposts 75 -> 35: (28 − 75)/(35 − 75) = 1.175, truncated to 100
    assert norm.loc[("CN-ZJ-HZ", 2021), "pm25"] == 100.0
