"""Every number leads to its publication (issue 25): the citation columns of data/raw/observations/, their check,
and how reports name a source."""

from __future__ import annotations

import csv
import shutil

from qindex import paths
from qindex.panel import load_panel
from qindex.sources import UNCONFIRMED, check_citations, citations, describe


def test_every_shipped_observation_names_its_publication_or_says_it_is_unconfirmed():
    assert check_citations() == []
    rows = []
    for f in sorted((paths.DATA_RAW / "observations").glob("*.csv")):
        with open(f, encoding="utf-8-sig", newline="") as handle:
            rows += list(csv.DictReader(handle))
    assert len(rows) == 181
    for r in rows:
        if r["source_title"].startswith(UNCONFIRMED):
            assert "low_confidence" in r["flag"].split(";")
        else:
            assert r["source_title"] and r["publisher"], r["source"]
        assert r["repost"] in ("yes", "no")


def test_the_check_names_file_line_and_what_is_expected(tmp_path):
    folder = tmp_path / "observations"
    shutil.copytree(paths.DATA_RAW / "observations", folder)
    f = folder / "gongshu.csv"
    with open(f, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    rows[0]["note"] = ""  # a derived row that no longer says what it is derived from
    rows[1]["publisher"] = ""  # a title without its publisher
    rows[1]["repost"] = "maybe"
    with open(f, "w", encoding="utf-8", newline="") as out:
        w = csv.DictWriter(out, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    got = [(p.line, p.column) for p in check_citations(folder)]
    assert got == [(2, "note"), (3, "publisher"), (3, "repost")]


def test_reports_cite_the_publication_first_and_mark_reposts():
    # the 2022 Gongshu bulletin, read on a repost site
    text = describe("http://bx2200.com/tjgongbao/huadong/7062.html").text("zh")
    assert (
        text
        == "《2022年拱墅区国民经济和社会发展统计公报》,杭州市拱墅区统计局,2023(转载于网站 bx2200.com)"
    )
    # a publisher's own page: no repost mark
    own = describe(
        "http://www.HANGzhou.gov.cn/art/2024/3/7/art_1229063387_1841053.html "
        "(杭州市人民政府办公厅关于2023年杭州市人民政府质量奖评审结果的通报(杭政办函〔2024〕10号))"
    ).text("zh")
    # (the publisher is not repeated when the title names it)
    assert own == (
        "杭州市人民政府办公厅关于2023年杭州市人民政府质量奖评审结果的通报(杭政办函〔2024〕10号),2024-03-07"
    )


def test_every_source_a_report_can_show_names_a_publication_not_only_a_host():
    cited = citations()
    for source in load_panel().source.unique():
        d = describe(source)
        if source in cited:
            assert d.registered and d.title and not d.text("zh").startswith("网站"), source
