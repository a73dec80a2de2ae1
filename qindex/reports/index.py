"""The index report: 城市质量竞争力指数 for one year, as the quality-index notebook shows it.

It presents an :class:`qindex.city_index.IndexStudy` (scores, comparability, uncertainty and sensitivity,
availability); :func:`index_report` computes one and wraps it.

Example
-------
>>> r = index_report(replications=20)
>>> r.scores_table().columns[0]
'地区'
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

import pandas as pd

from qindex.city_index import (
    MIN_CURRENT,
    MIN_RANKED,
    IndexStudy,
    index_study,
)
from qindex.observations import on_definition
from qindex.panel import load_panel
from qindex.progress import number_text
from qindex.reports.text import MARKS, sources_table, zh_punct
from qindex.sources import SourceList


def index_report(
    year: int = 0,
    units: str = "",
    replications: int = 200,
    framework_file: str = "",
    sa_n: int = 64,
) -> IndexReport:
    """The index report of one year: :func:`qindex.city_index.index_study` presented.

    Parameters
    ----------
    year : the year (0: the latest year in which the most places have a score).
    units : comma-separated place ids to show (empty: every place with a score).
    replications : Monte Carlo replications of the rank uncertainty; ``sa_n`` the Sobol base sample.
    framework_file : the framework, relative to the project (default ``params/quality_index.yaml``).

    Returns
    -------
    IndexReport
        the study's numbers (``year``, ``year_scores``, ``ua``, ``sa`` …) and the sections as methods:
        ``front()``, ``scores_table()`` (地区, 组内排名 where ranked, 层级, 当年有数据指标占比(%), the pillars and
        the index), ``availability_table()``, ``imputed_table()``, ``basket_breaks()``, ``method_text()``.

    Example
    -------
    >>> index_report(replications=20).year  # the latest year in which the most places have a score
    2022
    """
    study = index_study(year, units, replications, framework_file, sa_n)
    return IndexReport(**{f.name: getattr(study, f.name) for f in fields(IndexStudy)})


@dataclass
class IndexReport(IndexStudy):
    """Everything the quality-index notebook shows for one year: an :class:`~qindex.city_index.IndexStudy`
    (its fields are the report's numbers: ``year``, ``year_scores``, ``names``, ``pillars``, ``top``,
    ``weights``, ``over_time``, ``ua``, ``sa``, ``availability``, ``normalised``, ``imputed``, ``levels``) and
    the sections as methods."""

    @property
    def ranked(self) -> bool:
        return bool(self.comparability()["rankable"].any())

    def rank_note(self) -> str:
        """One sentence: which places are ranked, or why none is."""
        return rank_sentence(self.comparability(), self.names)

    def front(self) -> str:
        """The first screen: title, year, places, and what can and cannot be said (HTML)."""
        n = len(self.year_scores)
        breaks = self.basket_breaks()
        text = (
            f"{self.year}年共{n}个地区有指数得分("
            + "、".join(self.names.get(u, u) for u in self.year_scores.index)
            + ")。"
            + self.rank_note()
            + (
                f"各地纳入指数的指标历年有变化({len(breaks)}处),变化前后的得分不可直接比较。"
                if len(breaks)
                else ""
            )
        )
        text += self.internal_note()
        return (
            (
                f"<h1>城市质量竞争力指数({self.year}年)</h1>"
                f"<p>年份:{self.year}年 · 地区:{n}个 · 支柱:{len(self.pillars)}个</p>"
                f'<h2>总体说明</h2><p class="qindex-summary">{html.escape(zh_punct(text))}</p>'
            )
            .replace("(", "（")
            .replace(")", "）")
            .replace(":", "：")
        )

    def internal_marks(self) -> dict:
        """Per place scored in the year, the office's own values (内部数据) its score rests on: {place: names}."""
        return {
            u: [self.names.get(k, k) for k in self.internal.get(u, [])]
            for u in self.year_scores.index
            if len(self.internal.get(u, []))
        }

    def internal_note(self) -> str:
        """One sentence naming the places whose score uses 内部数据, and which values ("" when none)."""
        marks = self.internal_marks()
        if not marks:
            return ""
        mark, words, _ = MARKS["office"]
        parts = [
            f"{self.names.get(u, u)}{mark}({len(v)}项:{'、'.join(v)})" for u, v in marks.items()
        ]
        return f"{'、'.join(parts)}的得分使用了{words}的数值,与只用公开数据的地区不能等同看待。"

    def summary(self) -> dict:
        counts = {
            "有得分地区": len(self.year_scores),
            "参加排名": int(self.comparability()["rankable"].sum()),
        }
        return {
            "title": f"城市质量竞争力指数（{self.year}年）",
            "place": "、".join(self.names.get(u, u) for u in self.year_scores.index),
            "period": f"{self.year}年",
            "data_to": self.year,
            "statuses": counts,
        }

    def method_text(self) -> str:
        return zh_punct(
            "按合成指标方法计算:各指标用目标值法标准化到0–100(上限为规划目标值,下限见框架文件说明),"
            "同一支柱内算术平均,支柱等权平均为总指数。缺失值沿用最近3年内的往年值并标明;"
            "当年本身有数据的指标少于25%的地区当年不计入指数(不给得分,走势图中也没有该年的点)。排名只在同层级(城市与城市)、支柱相同、当年本身有数据的指标"
            f"至少{100 * MIN_CURRENT:.0f}%的地区之间进行,且可比地区至少{MIN_RANKED}个;"
            "不确定性分析扰动权重、标准化下限和指标取舍,敏感性分析给出各项假设对排名的一阶和总效应(Sobol指数),"
            "两者只在有排名时报告。"
        )

    def basket_breaks(self) -> pd.DataFrame:
        """Per place, the years in which the set of indicators behind its score changed from the year before
        (scores on either side of a break are not comparable)."""
        n = self.normalised
        rows = []
        for unit, g in n.groupby(level=0):
            prev = None
            for (_, year), row in g.sort_index().iterrows():
                basket = frozenset(row.dropna().index)
                if prev is not None and basket != prev:
                    added = sorted(basket - prev)
                    gone = sorted(prev - basket)
                    rows.append(
                        {
                            "地区": self.names.get(unit, unit),
                            "年份": int(year),
                            "新增指标": "、".join(self.names.get(c, c) for c in added),
                            "减少指标": "、".join(self.names.get(c, c) for c in gone),
                        }
                    )
                prev = basket
        return pd.DataFrame(rows, columns=["地区", "年份", "新增指标", "减少指标"])

    def scores_table(self) -> pd.DataFrame:
        """Scores by place for the year, with coverage; a rank only within a group of at least
        :data:`MIN_RANKED` places of one level scored on the same pillars with enough data of the year."""
        c = self.comparability()
        s = self.year_scores[[*self.pillars, self.top]].round(1)
        s.insert(0, "当年有数据指标占比(%)", (100 * c["availability"]).round(0).astype("Int64"))
        s.insert(0, "层级", c["level_zh"])
        if c["rankable"].any():
            s.insert(0, "组内排名", c["rank"])
        internal = self.internal_marks()
        mark = MARKS["office"][0]
        if internal:  # a column of zeros would only be noise for a reader
            s.insert(0, "内部数据指标数", [len(internal.get(u, [])) for u in s.index])
        s.insert(
            0, "地区", [self.names.get(u, u) + (mark if u in internal else "") for u in s.index]
        )
        return s.rename(columns=self.names).reset_index(drop=True)

    def availability_table(self) -> pd.DataFrame:
        """Per place in the year: share of indicators with data of the year, values carried forward, whether it
        enters the index (at least 25 % of its indicators with data of the year itself) and whether it is
        ranked."""
        a = self.availability.xs(self.year, level="year").copy()
        a["availability"] = (100 * a["availability"]).round(0).astype("Int64")
        c = self.comparability()
        a["in_index"] = ~a["screened_out"]
        a["ranked"] = [bool(c["rankable"].get(u, False)) for u in a.index]
        a["reason"] = [c["reason"].get(u, "未进入指数") for u in a.index]
        a.insert(0, "地区", [self.names.get(u, u) for u in a.index])
        a = a.reset_index(drop=True).drop(columns="screened_out")

        a["reason"] = a["reason"].map(zh_punct)
        return a.rename(
            columns={
                "availability": "当年有数据指标占比(%)",
                "n_imputed": "沿用往年值个数",
                "in_index": "计入指数得分",
                "ranked": "参加排名",
                "reason": "不排名的原因",
            }
        )

    def values_table(self) -> pd.DataFrame:
        """Every value the year's scores rest on, with its own year (a carried-forward value keeps the year it
        was published for) and its source number: 地区 | 指标 | 数值 | 数据年份 | 来源. Numbers cite
        :attr:`sources` (listed by :meth:`sources_table`)."""
        usable = on_definition(load_panel())
        # how far back a value may be carried: the framework's impute step (``latest``, ``max_gap``)
        carry = int(self.result.framework.steps.get("impute", {}).get("max_gap", 0))
        codes = [c for c in self.normalised.columns]
        rows = []
        for unit in self.year_scores.index:
            for code in codes:
                v = usable[
                    (usable.jurisdiction_id == unit)
                    & (usable.indicator_id == code)
                    & (usable.year <= self.year)
                    & (usable.year >= self.year - carry)
                ].sort_values("year")
                if v.empty:
                    continue
                last = v.iloc[-1]
                rows.append(
                    {
                        "地区": self.names.get(unit, unit),
                        "指标": self.names.get(code, code),
                        "数值": f"{number_text(float(last.value))}{last.unit if isinstance(last.unit, str) else ''}",
                        "数据年份": int(last.year),
                        "沿用": "是" if int(last.year) < self.year else "",
                        "来源": self.sources.cite(str(last.source)),
                    }
                )
        return pd.DataFrame(rows, columns=["地区", "指标", "数值", "数据年份", "沿用", "来源"])

    @property
    def sources(self) -> SourceList:
        if not hasattr(self, "_sources"):
            self._sources = SourceList()
        return self._sources

    def sources_table(self) -> pd.DataFrame:
        """The numbered sources of :meth:`values_table`."""
        return sources_table(self.sources)

    def over_time_breaks(self) -> dict:
        """Per place, the years whose score is not comparable with the year before (its indicator basket
        changed): the chart draws no line into them."""
        b = self.basket_breaks()
        inv = {v: k for k, v in self.names.items()}
        out: dict = {}
        for r in b.itertuples():
            out.setdefault(inv.get(r.地区, r.地区), set()).add(int(r.年份))
        return out

    def imputed_table(self) -> pd.DataFrame:
        """The cells of the year that carry an earlier year's value."""
        cells = self.imputed.xs(self.year, level="year")
        rows = [
            (self.names.get(u, u), self.names.get(c, c))
            for u in cells.index
            for c in cells.columns
            if cells.at[u, c]
        ]
        return pd.DataFrame(rows, columns=["地区", "沿用往年值的指标"])


def rank_sentence(c: pd.DataFrame, names: dict) -> str:
    """One sentence on the ranks of :func:`comparable_groups`."""
    if not len(c):
        return "本年度没有地区进入指数。"

    if c["rankable"].any():
        n = int(c["rankable"].sum())
        return zh_punct(
            (
                f"{n}个地区在同层级、同支柱的可比组内排名(每组至少{MIN_RANKED}个地区,当年有数据的指标至少"
                f"{100 * MIN_CURRENT:.0f}%);其余地区只列得分和数据覆盖,不排名。"
            )
            .replace(",", "，")
            .replace(";", "；")
            .replace("(", "（")
            .replace(")", "）")
        )
    parts = "；".join(f"{names.get(u, u)}:{r}" for u, r in c["reason"].items())
    return zh_punct(
        f"本年度只有{len(c)}个地区有指数得分,分属不同层级或支柱不同,没有一组达到{MIN_RANKED}个可比地区,"
        f"因此只列各地得分和数据覆盖,不排名({parts})。得分反映各地相对规划目标的位置,不同地区的得分不宜直接比较。"
    )
