"""What a reader needs to trace a number: the publication, its publisher, its date and a link.

An observation's ``source`` is an address, sometimes followed by what is known of the original in brackets
(``https://… (repost of 市场监管总局《2020年全国公共服务质量监测情况通报》)``), or a citation without an address
(``国家统计局《2023年国民经济和社会发展统计公报》; text reproduced …``). :func:`describe` reads that into
title, publisher, date and link, and says whether the page is the publisher's own, a news outlet's, or a copy
on a site that reprints others' articles (转载). Nothing is invented: a title that the source line does not
give is "标题未登记", and a reprint whose original is not known says so.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

from qindex import paths
from qindex.errors import Problem

#: Columns of ``data/raw/observations/*.csv`` that name the publication behind an address: its title, its
#: publisher, its date, and whether the address is a copy on another site (``repost``: yes/no).
CITATION_COLUMNS = ("source_title", "publisher", "published", "repost")
#: The title of a row whose original publication could not be identified (the row is flagged low_confidence).
UNCONFIRMED = "原始出处未能确认"

#: Hosts whose pages are the publisher's own (政府网站) or a news outlet's (媒体); anything else is a copy.
PUBLISHERS = {
    "www.gov.cn": ("中国政府网", "official"),
    "big5.www.gov.cn": ("中国政府网", "official"),
    "zjamr.zj.gov.cn": ("浙江省市场监督管理局", "official"),
    "sthjt.zj.gov.cn": ("浙江省生态环境厅", "official"),
    "www.hangzhou.gov.cn": ("杭州市人民政府", "official"),
    "eyxw.gov.cn": ("政府网站(eyxw.gov.cn)", "official"),
    "zjrb.zjol.com.cn": ("浙江日报", "media"),
    "zjnews.zjol.com.cn": ("浙江在线", "media"),
    "hangzhou.zjol.com.cn": ("浙江在线", "media"),
    "epmap.zjol.com.cn": ("浙江在线", "media"),
    "www.gongshunews.com": ("拱墅新闻网", "media"),
    "tidenews.com.cn": ("潮新闻", "media"),
    "thepaper.cn": ("澎湃新闻", "media"),
    "sc.cri.cn": ("国际在线四川频道", "media"),
    "cando.cditv.cn": ("成都广播电视台", "media"),
    "hkcd.com": ("香港商报", "media"),
    "www1.rmhb.com.cn": ("人民画报", "media"),
    "www.china5e.com": ("中国能源网", "media"),
    "wallstreetcn.com": ("华尔街见闻", "media"),
    "www.cmrnn.com.cn": ("中国市场监管新闻网", "media"),
    "szb.sxworker.com": ("山西工人报", "media"),
    "sz.scxxb.com.cn": ("四川科技报", "media"),
    "m.instrument.com.cn": ("仪器信息网", "media"),
    "www.chinatelecom.com.cn": ("中国电信", "official"),
    "m.apad.qq.com": ("腾讯网", "media"),
}
KIND_ZH = {
    "official": "发布机构网站",
    "media": "新闻媒体",
    "reprint": "转载网站",
    "citation": "出版物",
}

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(20\d\d|19\d\d)[-/](\d\d)[-/](\d\d)(?!\d)"),  # 2022-06/18, 2021/9/23 below
    re.compile(r"(?<!\d)(20\d\d|19\d\d)-(\d\d)/(\d\d)(?!\d)"),
    re.compile(r"/t?(20\d\d)(\d\d)(\d\d)[_/]"),
    re.compile(r"/(20\d\d)(\d\d)(\d\d)/"),
    re.compile(r"/(20\d\d)/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/(20\d\d)/(\d\d)(\d\d)/"),
)


@dataclass(frozen=True)
class Source:
    link: str  # the address, "" when the source has none
    host: str
    title: str  # 《…》 when the source line names it, else ""
    publisher: str
    date: str  # YYYY-MM-DD from the address, else ""
    kind: str  # official / media / reprint / citation
    original: str  # what is known of the original of a reprint, else ""
    registered: bool = (
        False  # title, publisher and date come from the observation's citation columns
    )

    def text(self, language: str = "zh") -> str:
        """One line for a reader: the publication first (《标题》,发布者,日期), then where it was read ("转载于
        网站"), or that its original is not known."""
        if self.registered:
            return self._cited(language)
        return self._parsed(language)

    def _cited(self, language: str) -> str:
        if language == "en":
            head = ", ".join(x for x in (self.title, self.publisher, self.date) if x)
            where = f"; reposted on {self.host}" if self.kind == "reprint" and self.host else ""
            return head + where
        publisher = "" if self.publisher and self.publisher in self.title else self.publisher
        head = ",".join(x for x in (self.title, publisher, self.date) if x)
        if self.kind == "reprint" and self.host:
            head += f"(转载于网站 {self.host})"
        return head

    def _parsed(self, language: str) -> str:
        date = (
            f",{self.date}"
            if self.date and language == "zh"
            else f", {self.date}"
            if self.date
            else ""
        )
        if language == "en":
            if self.kind == "reprint":
                orig = (
                    f" (reprint of {self.original})"
                    if self.original
                    else " (reprint; original not recorded)"
                )
                return f"{self.title or 'untitled'} on {self.host}{date}{orig}"
            return f"{self.title or 'title not recorded'}, {self.publisher}{date}"
        if self.kind == "reprint":
            orig = f"转载自{self.original}" if self.original else "转载,原始出处未登记"
            title = f"{self.title}," if self.title else ""
            return f"{title}网站 {self.host}{date}({orig})"
        title = self.title or "标题未登记"
        return f"{title},{self.publisher}{date}" if self.publisher else f"{title}{date}"


class SourceList:
    """The numbered sources of one report: :meth:`cite` gives a source its number the first time it is cited
    (the same source keeps its number), :meth:`rows` lists them in order.

    >>> s = SourceList()
    >>> s.cite("https://www.gov.cn/a.htm"), s.cite("https://www.gov.cn/a.htm"), s.cite("")
    ('[1]', '[1]', '')
    """

    def __init__(self):
        self.numbers: dict[str, int] = {}

    def cite(self, source: str) -> str:
        """``[n]`` for a source ("" for none)."""
        source = (source or "").strip()
        if not source:
            return ""
        if source not in self.numbers:
            self.numbers[source] = len(self.numbers) + 1
        return f"[{self.numbers[source]}]"

    def rows(self) -> list[tuple[int, Source]]:
        """(number, described source), in the order first cited."""
        return [(n, describe(s)) for s, n in self.numbers.items()]

    def __len__(self) -> int:
        return len(self.numbers)


def _date(link: str) -> str:
    for pattern in _DATE_PATTERNS:
        m = pattern.search(link)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    m = re.search(r"/(20\d\d)-(\d\d)/", link) or re.search(r"/(20\d\d)(\d\d)/", link)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{m.group(2)}"
    return ""


def _titles(text: str) -> list[str]:
    return re.findall(r"《[^》]{2,60}》", text)


def describe(source: str) -> Source:
    """Read one ``source`` field (see the module docstring). A source the observation files cite
    (:data:`CITATION_COLUMNS`) is described by its publication; any other is read from the field itself."""
    source = (source or "").strip()
    cited = citations().get(source)
    parsed = _describe(source)
    if cited is None:
        return parsed
    return replace(
        parsed,
        title=cited["source_title"],
        publisher=cited["publisher"],
        date=cited["published"] or parsed.date,
        kind="reprint" if cited["repost"] == "yes" else parsed.kind,
        registered=True,
    )


def citations(folder: Path | str | None = None) -> dict[str, dict]:
    """The publication behind each address of ``data/raw/observations/*.csv``: ``{source: {source_title,
    publisher, published, repost}}`` (the first row citing an address names it)."""
    return _citations(Path(folder or paths.DATA_RAW / "observations").resolve())


@functools.cache
def _citations(folder: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for f in sorted(folder.glob("*.csv")):
        with open(f, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("source_title") is not None:
                    out.setdefault(
                        (row.get("source") or "").strip(),
                        {c: (row.get(c) or "").strip() for c in CITATION_COLUMNS},
                    )
    return out


_DATE = re.compile(r"(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?")


def check_citations(folder: Path | str | None = None) -> list[Problem]:
    """Every row of the published observation files names its publication (:data:`CITATION_COLUMNS`):

    - a title and a publisher, or the title :data:`UNCONFIRMED` (with what is known after a colon) and the flag
      ``low_confidence``;
    - ``repost`` yes or no; ``published`` empty, YYYY, YYYY-MM or YYYY-MM-DD;
    - a ``derived`` row says in ``note`` how it comes from the row(s) it is computed from ("derived: …").
    """
    folder = Path(folder or paths.DATA_RAW / "observations")
    problems: list[Problem] = []
    for f in sorted(folder.glob("*.csv")):
        name = paths.relative(f)
        with open(f, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CITATION_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                problems += [Problem(name, 1, c, None, f"a column named '{c}'") for c in missing]
                continue
            for line, row in enumerate(reader, start=2):
                get = {k: (v or "").strip() for k, v in row.items() if k}
                flags = get.get("flag", "").split(";")
                title, publisher = get["source_title"], get["publisher"]
                if title.startswith(UNCONFIRMED):
                    if "low_confidence" not in flags:
                        problems.append(
                            Problem(
                                name,
                                line,
                                "flag",
                                get.get("flag", ""),
                                f"low_confidence, as the source title says {UNCONFIRMED}",
                            )
                        )
                elif not title or not publisher:
                    column = "source_title" if not title else "publisher"
                    problems.append(
                        Problem(
                            name,
                            line,
                            column,
                            "",
                            "the original publication's title and its publisher, or the title "
                            f"'{UNCONFIRMED}' (and the flag low_confidence)",
                        )
                    )
                if get["repost"] not in ("yes", "no"):
                    problems.append(Problem(name, line, "repost", get["repost"], "yes or no"))
                if get["published"] and not _DATE.fullmatch(get["published"]):
                    problems.append(
                        Problem(
                            name, line, "published", get["published"], "YYYY, YYYY-MM or YYYY-MM-DD"
                        )
                    )
                if "derived" in flags and not get.get("note", "").startswith("derived:"):
                    problems.append(
                        Problem(
                            name,
                            line,
                            "note",
                            get.get("note", ""),
                            "how the derived value comes from the row(s) it is computed from "
                            "('derived: …')",
                        )
                    )
    return problems


def _describe(source: str) -> Source:
    if not source:
        return Source("", "", "", "", "", "citation", "")
    first, _, rest = source.partition(" ")
    if not first.lower().startswith(("http://", "https://")):
        titles = _titles(source)
        publisher = re.sub(r"[\s;,；，]+$", "", source.split("《", 1)[0]) if titles else ""
        return Source(
            "", "", titles[0] if titles else source.split(";")[0], publisher, "", "citation", ""
        )
    host = urlparse(first).netloc.lower()
    extra = re.sub(r"^[(（]|[)）]$", "", rest.strip())
    publisher, kind = PUBLISHERS.get(host, ("", "reprint"))
    titles = _titles(extra)
    original = ""
    title = ""
    if kind == "reprint":
        original = re.sub(
            r"^(repost of|reprint of|consultancy repost of)\s*", "", extra, flags=re.I
        )
        original = re.sub(r",?\s*(consultancy )?repost$", "", original).strip()
    else:
        title = titles[0] if titles else ""
        if not title and extra:
            title = extra.split(":", 1)[-1].strip()
    return Source(first, host, title, publisher or host, _date(first), kind, original)
