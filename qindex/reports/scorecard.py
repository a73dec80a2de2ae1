"""The 质量工作考核 report: the city's league table with grades and rank intervals, where units lost points, each
part's spread across units, and a one-page report per unit (:meth:`ScorecardReport.unit`).

Everything is computed in :mod:`qindex.scorecard`; this module turns it into tables and sentences.

Example
-------
>>> r = scorecard_report("data/raw/example/kaohe/scheme.yaml",
...                      "data/raw/example/kaohe/示例数据_考核.xlsx", replications=64)
>>> r.league_table().columns[:4].tolist()
['名次', '单位', '总分', '等级']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qindex import paths
from qindex.progress import number_text
from qindex.reports.text import zh_punct
from qindex.scheme import Item
from qindex.scorecard import Robustness, Scorecard, load, robustness

#: A grade "holds" when it is the same in at least this share of the replications.
STABLE = 0.9


@dataclass
class ScorecardReport:
    """A 考核 scheme scored on its data, with the robustness of every rank and grade."""

    card: Scorecard
    robust: Robustness
    scheme_file: str
    data_file: str

    @property
    def scheme(self):
        return self.card.scheme

    @property
    def title(self) -> str:
        """The result's title from the scheme's name: 《…考核细则(示例数据)》 → 【示例数据】…考核结果."""
        base = re.sub(r"[（(][^()（）]*[)）]$", "", self.scheme.name)
        base = re.sub(r"(细则|办法|方案|实施细则)$", "", base)
        mark = "【示例数据】" if self.scheme.synthetic else ""
        return f"{mark}{base}结果"

    @property
    def names(self) -> dict:
        return dict(zip(self.scheme.units.unit_id, self.scheme.units.name_zh, strict=True))

    # ------------------------------------------------------------ the city's report

    def grade_counts(self) -> dict[str, int]:
        counts = self.card.totals.grade.value_counts()
        return {g.grade: int(counts.get(g.grade, 0)) for g in self.scheme.grades}

    def overview_text(self) -> str:
        """The verdict paragraph: grades counted (adding up to the units), the top and bottom, what the
        robustness study says about them."""
        t = self.card.totals.sort_values(["rank", "unit_id"])
        s = self.scheme
        n = len(t)
        counts = self.grade_counts()
        grades = "、".join(f"{g}级{k}个" for g, k in counts.items())
        vetoed = t[t.vetoed]
        veto = (
            f"(其中{'、'.join(vetoed.name_zh)}因一票否决定为{s.grades[-1].grade}级)"
            if len(vetoed)
            else ""
        )
        top, bottom = t.iloc[0], t.iloc[-1]
        rob = self.robust.table.set_index("unit_id")
        stable = int((rob.grade_share >= STABLE).sum())
        wide = rob[(rob.q95_rank - rob.q05_rank) >= 3]
        parts = [
            f"{s.year}年度考核{n}个单位:{grades}{veto},合计{sum(counts.values())}个。",
            f"总分最高的是{top.name_zh}({number_text(top.total)}分,{top.grade}级),最低的是{bottom.name_zh}({number_text(bottom.total)}分,{bottom.grade}级);"
            f"全部单位总分的中位数为{number_text(t.total.median())}分。",
            f"在计分假设变动(分值权重±{int(100 * 0.2)}%、达标制与按比例计分互换、按单位间相对位置计分)的{self.robust.replications}次重复计算中,"
            f"{stable}个单位的等级在至少{int(STABLE * 100)}%的情形下不变(等级只在按分值计分的{self.robust.graded}次中判断);"
            + (
                f"{len(wide)}个单位的名次区间跨3位以上({'、'.join(wide.name_zh)}),其名次不宜单独作为奖惩依据。"
                if len(wide)
                else "没有单位的名次区间跨3位以上。"
            ),
        ]
        missing = t[t.missing > 0]
        if len(missing):
            parts.append(
                "未报送数据的指标按“未报送的该项不得分”计:"
                + "、".join(f"{r.name_zh}{r.missing}项" for r in missing.itertuples())
                + "。"
            )
        return zh_punct("".join(parts))

    def league_table(self) -> pd.DataFrame:
        """The 考核结果 table: rank, unit, total, grade, rank interval, grade stability, base points,
        deductions, bonuses, veto and items not reported."""
        t = self.card.totals
        rob = self.robust.table.set_index("unit_id")
        out = pd.DataFrame(
            {
                "名次": t["rank"],
                "单位": t.name_zh,
                "总分": t.total.round(2),
                "等级": t.grade,
                "名次区间(5%–95%)": [
                    _interval(rob.at[u, "q05_rank"], rob.at[u, "q95_rank"]) for u in t.unit_id
                ],
                "等级不变的比例": [f"{rob.at[u, 'grade_share']:.0%}" for u in t.unit_id],
                "基础分": t.base.round(2),
                "扣分": (0.0 - t.deductions).round(2) + 0.0,
                "加分": t.bonuses.round(2),
                "一票否决": np.where(t.vetoed, "是", ""),
                "未报送项": t.missing,
            }
        )
        return out.sort_values(["名次", "单位"]).reset_index(drop=True)

    def scoring_table(self) -> pd.DataFrame:
        """Each unit's total and grade under each scoring alternative (weights as the scheme sets them): whose
        grade rests on the pro-rata or threshold rule."""
        b = self.robust.by_scoring
        order = self.card.totals.sort_values(["rank", "unit_id"]).unit_id
        out = pd.DataFrame({"单位": [self.names[u] for u in order]})
        for method, g in b.groupby("scoring", sort=False):
            g = g.set_index("unit_id").loc[order]
            if (g.grade != "").any():
                out[method] = [
                    f"{number_text(x)}分 {gr}级" for x, gr in zip(g.total, g.grade, strict=True)
                ]
            else:
                out[f"{method}(名次)"] = (
                    pd.Series(g.total.to_numpy())
                    .rank(ascending=False, method="min")
                    .astype(int)
                    .to_numpy()
                )
        return out

    def losses_table(self) -> pd.DataFrame:
        """Points lost per unit and item (分值 − 得分), items as columns with their points, units in rank
        order; the items no unit lost points on are left out (named under the table)."""
        it = self.card.items.assign(lost=lambda d: d.points_max - d.points)
        wide = it.pivot_table(index="unit_id", columns="item_id", values="lost", aggfunc="sum")
        cols = [i for i in self.scheme.items if wide[i.id].max() > 1e-9]
        order = self.card.totals.sort_values(["rank", "unit_id"]).unit_id
        out = pd.DataFrame({"单位": [self.names[u] for u in order]})
        for i in cols:  # ids as headers (the names are in item_losses): 12 columns fit the page
            out[f"{i.id}({number_text(i.points)}分)"] = wide.loc[order, i.id].round(2).to_numpy()
        out["合计失分"] = wide.loc[order].sum(axis=1).round(2).to_numpy()
        return out

    def full_marks_items(self) -> list[str]:
        it = self.card.items.assign(lost=lambda d: d.points_max - d.points)
        lost = it.groupby("item_id").lost.max()
        return [f"{i.id} {i.name}" for i in self.scheme.items if lost[i.id] <= 1e-9]

    def item_losses(self) -> pd.DataFrame:
        """Per item: points, units at full points, points lost in all, and the rule: where the city loses most."""
        it = self.card.items.assign(lost=lambda d: d.points_max - d.points)
        rows = []
        for i in self.scheme.items:
            g = it[it.item_id == i.id]
            rows.append(
                {
                    "指标": f"{i.id} {i.name}",
                    "部分": i.part,
                    "分值": i.points,
                    "得满分单位数": int((g.lost <= 1e-9).sum()),
                    "平均得分": round(g.points.mean(), 2),
                    "全部单位失分合计": round(g.lost.sum(), 2),
                    "计分规则": i.rule_zh(),
                }
            )
        return (
            pd.DataFrame(rows)
            .sort_values("全部单位失分合计", ascending=False)
            .reset_index(drop=True)
        )

    def part_shares(self) -> pd.DataFrame:
        """Units × parts: the score as a share of the part's points (%)."""
        points = {p.name: p.points for p in self.scheme.parts}
        return self.card.parts.div(pd.Series(points)) * 100

    def part_table(self) -> pd.DataFrame:
        """Per part: points, lowest, median, highest score across the units, and who is lowest."""
        parts = self.card.parts
        rows = []
        for p in self.scheme.parts:
            col = parts[p.name]
            low = col.idxmin()
            rows.append(
                {
                    "部分": p.name,
                    "分值": p.points,
                    "最低分": round(col.min(), 2),
                    "中位数": round(col.median(), 2),
                    "最高分": round(col.max(), 2),
                    "得分率中位数": f"{col.median() / p.points:.0%}",
                    "最低的单位": self.names[low],
                }
            )
        return pd.DataFrame(rows)

    def adjustments_table(self) -> pd.DataFrame:
        a = self.card.adjustments
        return pd.DataFrame(
            {
                "单位": [self.names[u] for u in a.unit_id],
                "类别": a.kind,
                "事项": a.name,
                "件数": a.cases,
                "分数": a.points.round(2),
            }
        )

    def rules_table(self) -> pd.DataFrame:
        s = self.scheme
        rows = [
            {
                "编号": i.id,
                "部分": i.part,
                "考核指标": i.name,
                "分值": i.points,
                "计分规则": i.rule_zh(),
                "数据提供": i.holder,
            }
            for i in s.items
        ]
        for a in s.deductions:
            rows.append(
                {
                    "编号": a.id,
                    "部分": "扣分项",
                    "考核指标": a.name,
                    "分值": -a.cap,
                    "计分规则": f"每件扣{number_text(a.per)}分，最多扣{number_text(a.cap)}分",
                    "数据提供": a.holder,
                }
            )
        for a in s.bonuses:
            rows.append(
                {
                    "编号": a.id,
                    "部分": "加分项",
                    "考核指标": a.name,
                    "分值": a.cap,
                    "计分规则": f"每件加{number_text(a.per)}分，最多加{number_text(a.cap)}分",
                    "数据提供": a.holder,
                }
            )
        for v in s.vetoes:
            rows.append(
                {
                    "编号": v.id,
                    "部分": "一票否决",
                    "考核指标": v.name,
                    "分值": np.nan,
                    "计分规则": f"考核结果为{s.grades[-1].grade}级",
                    "数据提供": v.holder,
                }
            )
        return pd.DataFrame(rows)

    def sources_table(self) -> pd.DataFrame:
        """Where the numbers come from: the data file, the source each unit's row names, the scheme."""
        d = self.card.data
        here = d[d.year == self.card.year]
        src = here.groupby("unit_id").source.first()
        return pd.DataFrame(
            {
                "单位": [self.names[u] for u in self.scheme.unit_ids],
                "数据来源": [src.get(u, "") for u in self.scheme.unit_ids],
                "数据文件": Path(self.data_file).name,
                "工作表": "考核数据",
            }
        )

    def method_text(self) -> str:
        s = self.scheme
        r = self.robust
        return zh_punct(
            f"计分:按《{s.name}》逐项计分,基础分满分{number_text(s.total)}分,加分最多{number_text(s.bonus_cap or 0)}分;"
            f"等级:{s.grades_text()};发生一票否决事项的,等级为{s.grades[-1].grade}级。"
            "名次按总分从高到低排列,总分相同的并列。"
            f"名次区间和等级稳定性:把考核方案写成综合指数(每个指标按其计分规则归一化为得分率,以分值为权重加权平均),"
            f"名义指数即基础分(复核:{'一致' if r.nominal_matches else '不一致'});再用指数的不确定性分析重复计算{r.replications}次,"
            f"每次随机改变指标和部分的分值(±20%,各100组)和计分方式(方案规定、达标项也按比例、按比例项也按达标、按单位间相对位置,各占四分之一),"
            f"扣分、加分和一票否决按实际计入。名次区间是各单位名次的第5至第95百分位(全部重复计算);等级不变的比例是等级与名义结果相同的重复计算所占比例,"
            f"只在计分仍按分值的{r.graded}次中计算(按单位间相对位置计分时得分不再是方案的分数,不能套用等级分数线);总分区间同此"
            f"(计算用时{r.seconds:.2f}秒)。"
        )

    def summary(self, unit_id: str | None = None) -> dict:
        """What the gallery shows: title, place (the scheme's units, or one unit), year, grades counted."""
        place = "、".join(self.scheme.units.kind.drop_duplicates()) or "考核对象"
        out = {
            "title": self.title,
            "place": f"{len(self.scheme.units)}个{place}",
            "period": f"{self.scheme.year}年度",
            "data_to": self.card.year,
            "statuses": {f"{g}级": k for g, k in self.grade_counts().items() if k},
        }
        if unit_id is not None:
            row = self.unit(unit_id).row
            out.update(
                title=f"{self.title}·{row.name_zh}",
                place=row.name_zh,
                statuses={},
                headline=f"{row.grade}级,{number_text(row.total)}分,第{int(row['rank'])}名",
            )
        return out

    # ------------------------------------------------------------ one unit

    def unit(self, unit_id: str) -> UnitPage:
        if unit_id not in self.names:
            raise KeyError(f"{unit_id}: not a unit of {self.scheme.file} ({', '.join(self.names)})")
        return UnitPage(self, unit_id)


def _interval(lo: float, hi: float) -> str:
    lo, hi = math.floor(lo), math.ceil(hi)
    return f"第{lo}名" if lo == hi else f"第{lo}–{hi}名"


@dataclass
class UnitPage:
    """One unit's page: its score by part against the median of all units, the items that cost it most, what
    would raise its grade."""

    report: ScorecardReport
    unit_id: str

    @property
    def name(self) -> str:
        return self.report.names[self.unit_id]

    @property
    def row(self) -> pd.Series:
        t = self.report.card.totals
        return t[t.unit_id == self.unit_id].iloc[0]

    def headline(self) -> str:
        r = self.row
        rob = self.report.robust.table.set_index("unit_id").loc[self.unit_id]
        n = len(self.report.card.totals)
        adj = []
        if r.deductions > 0:
            adj.append(f"扣{number_text(r.deductions)}分")
        if r.bonuses > 0:
            adj.append(f"加{number_text(r.bonuses)}分")
        held = (
            f"在计分假设变动的{self.report.robust.replications}次重复计算中,等级在{rob.grade_share:.0%}的情形下不变,"
            + (
                f"名次均为{_interval(rob.q05_rank, rob.q95_rank)}。"
                if math.floor(rob.q05_rank) == math.ceil(rob.q95_rank)
                else f"名次在{_interval(rob.q05_rank, rob.q95_rank)}之间。"
            )
        )
        return zh_punct(
            f"{self.name}{self.report.scheme.year}年度考核总分{number_text(r.total)}分(基础分{number_text(r.base)}分"
            + ("," + "、".join(adj) if adj else "")
            + f"),{r.grade}级,在{n}个单位中列第{int(r['rank'])}名。"
            + held
        )

    def parts_table(self) -> pd.DataFrame:
        parts = self.report.card.parts
        rows = []
        for p in self.report.scheme.parts:
            mine = parts.at[self.unit_id, p.name]
            med = parts[p.name].median()
            rows.append(
                {
                    "部分": p.name,
                    "分值": p.points,
                    "得分": round(mine, 2),
                    "得分率": f"{mine / p.points:.0%}",
                    "全部单位中位数": round(med, 2),
                    "与中位数之差": round(mine - med, 2),
                }
            )
        return pd.DataFrame(rows)

    def part_rates(self) -> tuple[pd.Series, pd.Series]:
        shares = self.report.part_shares()
        return shares.loc[self.unit_id], shares.median()

    def items_table(self) -> pd.DataFrame:
        """Every item of the unit: value, target, points, points lost, the rule and the cell it came from."""
        it = self.report.card.items
        it = it[it.unit_id == self.unit_id]
        d = self.report.card.data
        d = d[(d.unit_id == self.unit_id) & (d.year == self.report.card.year)].set_index("column")
        rows = []
        for r in it.itertuples():
            item = self.report.scheme.item(r.item_id)
            rows.append(
                {
                    "指标": f"{r.item_id} {r.item}",
                    "数值": "未报送"
                    if pd.isna(r.value)
                    else f"{r.value:g}{item.unit if item.rule != 'score' else '分'}",
                    "目标": "" if pd.isna(r.target) else f"{r.target:g}{item.unit}",
                    "分值": r.points_max,
                    "得分": round(r.points, 2),
                    "失分": round(r.points_max - r.points, 2),
                    "计分规则": r.rule,
                    "单元格": "" if r.item_id not in d.index else d.at[r.item_id, "cell"],
                }
            )
        return pd.DataFrame(rows)

    def source_text(self) -> str:
        """Where the unit's numbers come from: the source its row names, the file and sheet."""
        d = self.report.card.data
        d = d[(d.unit_id == self.unit_id) & (d.year == self.report.card.year)]
        sources = "、".join(dict.fromkeys(d.source)) or "无"
        return zh_punct(
            f"数据来源:{sources};数据文件{Path(self.report.data_file).name},“考核数据”表(单元格见上表)。"
        )

    def costly(self, n: int = 5) -> pd.DataFrame:
        t = self.items_table()
        return (
            t[t["失分"] > 1e-9].sort_values("失分", ascending=False).head(n).reset_index(drop=True)
        )

    def raise_text(self) -> str:
        """What would raise the unit's grade: the gap to the next grade and the items that would close it."""
        s = self.report.scheme
        r = self.row
        if r.vetoed:
            return zh_punct(
                f"{self.name}发生一票否决事项,本年度等级为{s.grades[-1].grade}级,与得分无关;"
                f"按得分应为{s.grade_of(r.total, False, self._deducted())}级。"
            )
        order = [g.grade for g in s.grades]
        k = order.index(r.grade)
        if k == 0:
            return zh_punct(
                f"{self.name}已是最高等级({r.grade}级);总分比{r.grade}级下限高{number_text(r.total - s.grades[0].min)}分。"
            )
        better = s.grades[k - 1]
        barred = set(better.unless) & self._deducted()
        if barred and r.total >= better.min:
            names = "、".join(s.adjustment_name(b) for b in sorted(barred))
            return zh_punct(
                f"{self.name}总分已达{better.grade}级下限({number_text(better.min)}分),但因{names}不能评为{better.grade}级。"
            )
        gap = better.min - r.total
        items = self.items_table()
        gains = items[items["失分"] > 1e-9].sort_values("失分", ascending=False)
        steps, got = [], 0.0
        for g in gains.itertuples():
            if got >= gap - 1e-9:
                break
            item = s.item(g.指标.split(" ")[0])
            steps.append(f"{g.指标}{self._how(item, g)}(可得{number_text(g.失分)}分)")
            got += g.失分
        text = f"距{better.grade}级下限({number_text(better.min)}分)还差{number_text(gap)}分。"
        if got >= gap - 1e-9:
            text += "失分最多的几项补足即可达到:" + ";".join(steps) + "。"
        else:
            text += f"即使全部失分项得满分也只能加{number_text(got)}分,本年度不能升级。"
        if barred:
            text += f"另外,{'、'.join(s.adjustment_name(b) for b in sorted(barred))}使本单位不能评为{better.grade}级。"
        return zh_punct(text)

    def _deducted(self) -> set[str]:
        a = self.report.card.adjustments
        return set(a[(a.unit_id == self.unit_id) & (a.kind == "扣分")].id)

    def _how(self, item: Item, g) -> str:
        if g.数值 == "未报送":
            return "按时报送数据"
        if item.rule in ("threshold", "pro_rata"):
            target = g.目标
            return f"达到{target}" if item.direction > 0 else f"降到{target}以下"
        if item.rule == "rank":
            return f"名次提前(每提前一名加{number_text(item.step)}分)"
        if item.rule == "count":
            return f"再增加{math.ceil(g.失分 / item.per)}{item.unit or '项'}"
        return "评审得分提高"

    def adjustments_table(self) -> pd.DataFrame:
        t = self.report.adjustments_table()
        return t[t["单位"] == self.name].drop(columns="单位").reset_index(drop=True)


def scorecard_report(
    scheme_file: str | Path, data_file: str | Path, replications: int = 1000, seed: int = 2024
) -> ScorecardReport:
    """The 考核 report of a scheme on its data (paths relative to the project, or absolute).

    Parameters
    ----------
    scheme_file, data_file : the scheme (YAML) and the filled 考核 workbook.
    replications : of the robustness study (rank intervals, grade stability).

    Returns
    -------
    ScorecardReport
        the scored scheme (``card``), the robustness study (``robust``) and the report's tables and texts.
    """
    card = load(scheme_file, data_file)
    return ScorecardReport(
        card,
        robustness(card, replications=replications, seed=seed),
        paths.relative(paths.ROOT / scheme_file),
        paths.relative(paths.ROOT / data_file),
    )


__all__ = ["ScorecardReport", "UnitPage", "scorecard_report"]
