"""What a reader needs to trace a number: the publication, its publisher, its date and a link.

An observation's ``source`` is an address, sometimes followed by what is known of the original in brackets
(``https://… (repost of 市场监管总局《2020年全国公共服务质量监测情况通报》)``), or a citation without an address
(``国家统计局《2023年国民经济和社会发展统计公报》; text reproduced …``). :func:`describe` reads that into
title, publisher, date and link, and says whether the page is the publisher's own, a news outlet's, or a copy
on a site that reprints others' articles (转载). Nothing is invented: a title that the source line does not
give is "标题未登记", and a reprint whose original is not known says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

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

    def text(self, language: str = "zh") -> str:
        """One line for a reader: 《标题》,发布者,日期 — or for a copy: 转载网站 … (原始出处 …)."""
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
    """Read one ``source`` field (see the module docstring)."""
    source = (source or "").strip()
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
