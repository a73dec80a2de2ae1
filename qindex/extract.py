"""Draft a plan's target catalogue from its text (``qindex extract``).

The reading rules are the catalogue's own (``data/raw/README.md``, "How the plan texts were read"); each is a
function of the words around a figure, written for the wording Chinese plans use, not for one plan:

- "达到X%以上", "X以上", "稳定在X%以上" → ``level``, ``>=``; "控制在X以内", "X以下" → ``<=``; a lower-is-better
  indicator with "达到/控制在X" → ``<=``; "X左右" → ``==`` (an approximate figure, flagged).
- "年均增长X%" → ``growth``, ``>=``; "较20XX年下降X%" → ``growth`` with base year 20XX and value −X (a total
  change: the note says to convert it to a yearly rate before scoring).
- "新增/培育/建成/创建/制定/新认证X个(家/项)" → ``cumulative``; the verb carries over to the figures that follow
  it in the same sentence ("新增A 70个以上、B 400个以上"). A count with no such verb ("名牌产品480个以上", "共900个")
  is a stock: ``level``. "零突破/新突破" → ``cumulative`` ≥ 1.
- "不发生…" → ``level`` = 0; "实现全覆盖" → ``level`` = 100 %.
- "位居/保持/走在全国前列", "全国领先" → ``rank`` (value empty, scope national); "全省第一" → ``rank`` ≤ 1,
  scope province; "全国同等城市领先" → scope peer_tier; "前N位" → ``rank`` ≤ N; "…第一城" → ``rank`` ≤ 1.
- "持续下降" → ``trend`` ``<=``; "持续/稳步提升", "不断/显著提高", "明显增强" → ``trend`` ``>=``, only where what
  rises is measurable (a known indicator, or a name ending in 率/指数/度/比例/占比/比重/浓度/竞争力).
- "达到X分以上后" (a threshold before a procedure) → ``procedural``.
- A goal sentence that opens with "到20XX年" and carries no figure → one ``qualitative`` row.
- "A、B分别达到X、Y" gives one row per pair; "A、B达到X" (均达到) one row per measurable name.
- Target years come from "到20XX年", "20XX年底前", "20XX年X月前" and carry over sentences and paragraphs until a new
  year appears. A bare past year ("2022年，全市…", "截至2022年底") starts a statement of fact: its figures are not
  targets. Figures under a heading such as 现实基础 / 发展成效 / 形势背景 are facts too.
- Not targets: years, dates, document numbers (〔2023〕12号), article and list numbers (第3条, "1."), counts of
  tasks ("6个方面"), durations ("5年"), numbers inside names (PM2.5, 5G).

Every row carries ``quote`` (the shortest exact span of the text that carries its figure, verbatim, so the
catalogue check finds it), a ``confidence`` in [0, 1] and ``why`` (the rules applied and the doubts), so a reviewer
checks the doubtful rows first. Indicators are matched to ``indicators.csv`` by name and unit, or proposed as new
rows. Nothing here uses the network or a model: it is rules over the text, in this module.

Example
-------
>>> rows = extract_text("到2025年，制造业产品质量合格率达到94%以上。", plan_id="x-2025")
>>> [(r.target_type, r.comparator, r.target_value, r.target_year) for r in rows]
[('level', '>=', 94.0, 2025)]
"""

from __future__ import annotations

import bisect
import csv
import difflib
import re
import shutil
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from qindex import paths
from qindex.catalog import TARGET_TYPES, load_catalog, read_catalog
from qindex.checks import Problems, closest
from qindex.errors import CatalogError, ExtractError, Problem, ValidationError
from qindex.schema import FILE_COLUMNS, REQUIRED
from qindex.store import atomic_write

#: The columns of ``targets.csv``, in its order (:data:`qindex.schema.FILE_COLUMNS`).
TARGETS_FILE_COLUMNS = FILE_COLUMNS["targets"]
#: The draft's columns: those of ``targets.csv``, then the reviewer's aids.
DRAFT_COLUMNS = [*TARGETS_FILE_COLUMNS, "subject", "unit", "confidence", "why"]
#: Columns of the proposed-indicator file: those of ``indicators.csv``.
INDICATOR_COLUMNS = FILE_COLUMNS["indicators"]
ENCODINGS = ("utf-8-sig", "gb18030")


# ----------------------------------------------------------------------------------------------- the text


#: Characters before and after a figure that its reading looks at (a real clause is far shorter).
CONTEXT = 300
#: The largest plan text read (a plan is tens of KB; its annexes a few hundred).
MAX_TEXT_BYTES = 2 * 2**20
#: What a plan id may be: it names the draft's files and goes into plans.csv.
PLAN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def read_plan_text(path: Path | str) -> str:
    """The text of a plan file, decoded as UTF-8 (with or without BOM) or, failing that, GB18030.

    Raises
    ------
    ExtractError
        naming the file and the first byte that neither encoding reads.
    """
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block, a folder is no text
            raise ExtractError(f"{path}: expected a plan text file (this is not a regular file)")
        if info.st_size > MAX_TEXT_BYTES:
            raise ExtractError(
                f"{path}: expected a plan text of at most {MAX_TEXT_BYTES // 2**20} MB "
                f"(this one has {info.st_size / 2**20:.1f} MB; plan texts are tens of KB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{path}: cannot read the plan text ({exc.strerror or exc})") from exc
    errors = []
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason} at byte {exc.start}")
            continue
        if "\x00" in text:
            errors.append(f"{enc}: NUL characters (a binary file, or UTF-16)")
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise ExtractError(f"{path}: expected a UTF-8 or GB18030 text ({'; '.join(errors)})")


#: Full-width forms that carry meaning in the rules, mapped one character to one.
_WIDE = {0x3000: " ", 0xFE6A: "%", 0x2030: "‰"}
_HEADING = re.compile(
    r"^(?:(?P<l1>[一二三四五六七八九十]+[、.．])|(?P<l2>[(（][一二三四五六七八九十]+[)）])"
    r"|(?P<l3>\d{1,2}[.、．](?!\d))|(?P<l4>[(（]\d{1,2}[)）])|(?P<ch>第[一二三四五六七八九十]+[章节部分]))"
)
_HEADING_WORDS = re.compile(
    r"目标|要求|任务|措施|保障|原则|思想|意见|方案|基础|背景|成效|形势|内容|说明"
)


def _wide(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return _WIDE.get(code, ch)


@dataclass
class _View:
    """The text as the rules read it: full-width forms folded, whitespace dropped, line breaks inside a sentence
    joined. ``pos[i]`` is the index in the original text of character ``i``, so that every quote is an exact
    span of the original.
    """

    orig: str
    norm: str
    pos: list[int]

    def quote(self, start: int, end: int) -> str:
        return self.orig[self.pos[start] : self.pos[end - 1] + 1]


def _view(text: str) -> _View:
    lines = text.split("\n")
    out: list[str] = []
    pos: list[int] = []
    offset = 0
    for k, line in enumerate(lines):
        for j, ch in enumerate(line):
            c = _wide(ch)
            if c.isspace():
                continue
            out.append(c)
            pos.append(offset + j)
        offset += len(line) + 1
        if k + 1 < len(lines) and out and out[-1] != "\n":
            nxt = lines[k + 1].strip()
            here = line.strip()
            sentence_end = out[-1] in "。;!?:"
            heading_next = not nxt or _HEADING.match("".join(_wide(c) for c in nxt[:6]))
            heading_here = (
                len(here) <= 20
                and "," not in here
                and "，" not in here
                and (_HEADING_WORDS.search(here) or _HEADING.match(here))
            )
            if sentence_end or heading_next or heading_here or not here:
                out.append("\n")
                pos.append(offset - 1)
    return _View(text, "".join(out), pos)


# ------------------------------------------------------------------------------------- years and sections

_RANGE = re.compile(r"(?:19|20)\d\d(?:年)?\s*[-—–~～至到]\s*(?:19|20)\d\d年?")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)年(?:(\d{1,2})月)?(底|末)?(前|以前)?")
# a title or a document number, bounded: an unclosed bracket must not make every later one rescan the text
_BRACKETED = re.compile(r"《[^》《]{0,200}》|〔[^〕〔]{0,40}〕|\[[^\]\[]{0,40}\]")


@dataclass(frozen=True)
class _YearMark:
    at: int
    year: int | None  # None: a statement of fact starts here
    words: str


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted and merged where they overlap, so that one binary search finds the span holding a place."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _year_marks(norm: str, base_year: int | None) -> list[_YearMark]:
    """Where the target year changes: 到20XX年 (a target), 截至20XX年 or a bare past year (a fact)."""
    skip = _merged(
        [m.span() for m in _RANGE.finditer(norm)] + [m.span() for m in _BRACKETED.finditer(norm)]
    )
    starts = [a for a, _ in skip]
    found = []
    for m in _YEAR.finditer(norm):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and m.start() < skip[i][1]:  # inside a range of years or a title
            continue
        year, month, _end, before = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        lead = norm[max(0, m.start() - 3) : m.start()]
        tail = norm[m.end() : m.end() + 4]
        if re.search(r"较$|比$|与$|同$", lead):
            continue  # 较2020年下降: a base year, read by the growth rule
        if month and not before and re.match(r"\d{1,2}日", tail):
            continue  # a date
        if not before and re.match(r"(?:起|开始|以来)", tail):
            continue  # "2024年起每年…" opens a task or a period: not a goal year, not a fact
        if re.search(r"(到|至|力争|争取|在)$", lead) or before:
            found.append(_YearMark(m.start(), year, m.group(0)))
        elif re.search(r"(截至|截止|截止到)$", lead):
            found.append(_YearMark(m.start(), None, m.group(0)))
        else:
            found.append(_YearMark(m.start(), -year, m.group(0)))  # bare: decided below
    targets = [f.year for f in found if f.year and f.year > 0]
    latest = max(targets) if targets else None
    out = []
    for f in found:
        if f.year is not None and f.year < 0:
            year = -f.year
            past = (base_year is not None and year <= base_year) or (
                base_year is None and latest is not None and year < latest
            )
            out.append(_YearMark(f.at, None if past else year, f.words))
        else:
            out.append(f)
    return out


def _sections(norm: str) -> list[tuple[int, str]]:
    """(start, kind) of each section: ``goal`` (目标/指标), ``background`` (基础/背景/成效/现状), or ``other``."""
    marks: list[tuple[int, str]] = [(0, "other")]
    level_of = {"l1": 1, "ch": 1, "l2": 2, "l3": 3, "l4": 4}
    current = (0, "other")
    at = 0
    for line in norm.split("\n"):
        m = _HEADING.match(line)
        title = re.split(r"[。:;]", line, maxsplit=1)[0][:30]
        keyword = re.match(r"(主要目标|发展目标|总体目标|工作目标|目标任务)(?:[。:]|$)", line)
        if m or keyword:
            level = level_of[m.lastgroup] if m else 2
            kind = "other"
            if re.search(r"目标|指标", title):
                kind = "goal"
            elif re.search(r"现实基础|发展基础|工作基础|背景|成效|现状|回顾|形势|进展|成绩", title):
                kind = "background"
            if kind != "other":
                current = (level, kind)
                marks.append((at, kind))
            elif level <= current[0] or current[0] == 0:
                current = (level, "other")
                marks.append((at, "other"))
        at += len(line) + 1
    return marks


def _at(marks: list[tuple[int, str]], where: int) -> tuple[int, str]:
    """The last (start, kind) mark at or before ``where`` (marks start at 0)."""
    return [m for m in marks if m[0] <= where][-1]


# ------------------------------------------------------------------------------------------------ figures

_UNITS = (
    "万元/人·年|万元/人年|万元/人|万元/亩|元/人|微克/立方米|μg/m3|µg/m³|ug/m3|个百分点|百分点|万平方米|平方米"
    "|亿元|万元|万人|%|‰|家|个月|个|项|件|座|所|条|名|次|场|批|张|户|人|分|天|倍|公里|吨|位|年|月|日|号|岁|元"
)
_FIGURE = re.compile(
    r"(?<![\dA-Za-z.])(\d+(?:\.\d+)?)(?![\d.]*[A-Za-z])\s*(" + _UNITS + r")?"
    r"(及以上|以上|及以下|以下|以内|左右|多)?"
)
_COUNT_UNITS = {
    "家",
    "个",
    "项",
    "件",
    "座",
    "所",
    "条",
    "名",
    "次",
    "场",
    "批",
    "张",
    "户",
    "人",
    "位",
}
_LIST_NOUNS = re.compile(
    r"^(?:大)?(?:方面|领域|任务|重点任务|环节|措施|部分|阶段|步|类|重点|方向|原则|体系|中心建设)"
)
_CUMULATIVE = re.compile(
    r"(新增|新培育|培育|新建|建成|建设|创建|打造|制定|制\(修\)订|制修订|修订|新认证|认证|新获|获得|引进|"
    r"主导制定|参与制定|形成|累计|争创|评选|新评|增加|落地|实施)"
)
#: An amount of work done (an area built, money spent) is a flow over the plan period, not a standing level.
_AMOUNT_UNITS = {"平方米", "万平方米", "公里", "吨", "亿元", "万元"}
_FLOW = re.compile(r"(新开工|新建|建成|完成|改造|新增|累计)")
_STOCK = re.compile(r"(共|总数|总量|拥有|保有|总计|合计)")
_GE_AFTER = ("以上", "及以上", "多")
_LE_AFTER = ("以下", "及以下", "以内")
_GE_BEFORE = re.compile(r"(不低于|不少于|超过|高于|突破|保持在|稳定在)$")
_LE_BEFORE = re.compile(
    r"(不超过|不高于|低于|控制在|降至|降到|下降到|降低到|减少到|压减到|压缩到|减至)$"
)
_GROWTH = re.compile(r"年均(?:增长|增速|提高|递增|增幅|提升)(?:达到|达|保持在|在)?$")
_VERSUS = re.compile(
    r"(?:较|比)((?:19|20)\d\d)年(?:末|底)?(?:累计)?(下降|降低|减少|提高|增长|提升|上升)(?:了)?$"
)
_VERBS = re.compile(
    r"(?:分别|均|都|全部)?(?:保持在|稳定在|控制在|提高到|提升到|增至|增长到|降至|降到|下降到|"
    r"降低到|减少到|不低于|不少于|不超过|超过|突破|达到|达|为|在)$"
)
_LEAD = re.compile(
    r"^(?:——|—|-|•|·|\d{1,3}[.、](?!\d)|[(（]\d{1,2}[)）]|(?:力争|争取|确保)?(?:到|至)?(?:19|20)\d\d年(?:底|末)?(?:前)?|通过\d+年(?:发展|努力)?|其中|同时|并且?|且|"
    r"以及|和|及|全市|全区|全省|全县|全国|我市|我区|我省|我县|力争|争取|确保|努力|基本|进一步)+"
)
_SUFFIX_MEASURABLE = re.compile(
    r"(率|指数|满意度|度|比例|占比|比重|浓度|强度|生产率|竞争力|贡献率|拥有量|数量)$"
)
_TREND = re.compile(
    r"(持续|不断|稳步|逐年|逐步|进一步|显著|明显|大幅|全面|加快|有效|稳定)"
    r"(下降|降低|减少|提升|提高|增强|增长|上升|改善|增加|扩大)$"
)
_RANK = re.compile(
    r"(位居|保持|走在|进入|居于|居|位于|位列|处于|稳居|跻身|争创|争当|继续|领跑)?"
    r"((?:全国|全省|全球|国内|省内|全市|同类城市|同等城市|副省级城市|长三角)(?:、(?:全国|全省))?)"
    r"(同等城市|同类城市|副省级城市)?"
    r"(前列|前茅|领先|第一方阵|第一|前(\d+)(?:位|名)?)"
)
#: What a plan says "持续改善/明显提升" of and is measured by a standard series (水质: the share of sections
#: at grade III or better; 空气质量: the share of good days): a trend target, though the name has no 率.
_IMPROVES = re.compile(r"(?:水质|空气质量|环境质量|声环境质量)$")
#: "低于全国平均水平", "高于全省平均水平": a target relative to another place's level.
_RELATIVE_PLACE = re.compile(
    r"(不低于|不高于|高于|低于|快于|优于|好于|超过)(?:同期)?(全国|全省|全市|国内|省内)(?:同期)?(?:的)?"
    r"(?:平均)?(?:水平|值|均值)"
)
#: "增幅不低于地区生产总值增长幅度": a target relative to another indicator of the place (a growth rate).
_RELATIVE_GROWTH = re.compile(
    r"(不低于|高于|快于|超过)(?:同期)?((?:GDP|地区生产总值|经济|财政收入|一般公共预算收入|财政支出)(?:的)?"
    r"(?:增长|增速|增幅)(?:幅度|速度)?)"
)
_RELATIVE_WORDS = {
    "不低于": ">=",
    "不高于": "<=",
    "高于": ">",
    "快于": ">",
    "优于": ">",
    "好于": ">",
    "超过": ">",
    "低于": "<",
}
_BENCHMARK_SCOPES = {"全国": "national", "国内": "national", "全省": "province", "省内": "province"}
_BENCHMARK_SCOPES["全市"] = "city"
#: A goal sentence without a figure: completing, passing or reaching what an assessment or a title asks.
_GOAL_SENTENCE = re.compile(
    r"^(?:争取|力争|确保|努力)?(?:全面|基本|顺利|如期)?(?:完成|达到|通过|建成|创成|成功创建|获得)"
    r".{2,40}?(?:工作|要求|验收|目标|城市|称号|示范区|示范市|示范县|考核)"
)
_FIRST_CITY = re.compile(r"争创(.{1,12}?)第一城")
_BREAKTHROUGH = re.compile(r"(零突破|零的突破|(?<!创)新突破)")
_NONE_OCCUR = re.compile(r"(?:不发生|杜绝|无)(重特大|重大|较大)?(.{2,16}?(?:事故|事件|问题))")
_FULL_COVER = re.compile(r"实现(.{2,24}?)全覆盖|(.{2,24}?)实现全覆盖")
_SCOPES = {"全国": "national", "国内": "national", "全省": "province", "省内": "province"}


@dataclass
class Row:
    """One drafted target."""

    plan_id: str
    target_type: str
    comparator: str
    target_value: float | None
    target_year: int | None
    quote: str
    subject: str
    unit: str = ""
    base_year: int | None = None
    scope: str = ""
    note: str = ""
    indicator_id: str = ""
    benchmark_scope: str = ""  # a relative target against another place: national, province or city
    benchmark_subject: str = (
        ""  # ... or against another indicator of the place ("地区生产总值增长幅度")
    )
    confidence: float = 0.9
    why: list[str] = field(default_factory=list)
    at: int = 0

    def doubt(self, amount: float, reason: str) -> None:
        self.confidence = max(0.05, round(self.confidence - amount, 2))
        self.why.append(reason)


@dataclass
class Skipped:
    """A figure the rules read as not a target, and why."""

    quote: str
    reason: str
    at: int


def _spans(norm: str, start: int, end: int, separators: str) -> list[tuple[int, int]]:
    """(start, end) of the non-empty pieces of ``norm[start:end]`` between ``separators``."""
    out, s = [], start
    for i in range(start, end):
        if norm[i] in separators:
            if i > s:
                out.append((s, i))
            s = i + 1
    if end > s:
        out.append((s, end))
    return out


def _clauses(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """The comma-separated clauses of one sentence."""
    return _spans(norm, start, end, ",:")


def _sentences(norm: str) -> list[tuple[int, int]]:
    return _spans(norm, 0, len(norm), "。;!?\n")


def _clean_subject(text: str) -> str:
    text = _LEAD.sub("", text)
    text = re.sub(
        r"(?:年均(?:增长|增速|提高|递增|增幅|提升)|(?:较|比)(?:19|20)\d\d年(?:末|底)?(?:累计)?"
        r"(?:下降|降低|减少|提高|增长|提升|上升)|(?:共|总数|总量|总计|合计)(?:达到|达)?)(?:达到|达)?$",
        "",
        text,
    )
    text = re.sub(r"(?:分别|均|都|全部)$", "", _VERBS.sub("", text))
    text = re.sub(r"^(?:实现|推动|推进|力争|确保|使|让)", "", text)
    return text.strip("、和及与“”\"' ")


class _Extractor:
    def __init__(
        self,
        view: _View,
        plan_id: str,
        base_year: int | None,
        default_year: int | None,
        indicators: pd.DataFrame,
    ):
        self.v = view
        self.plan_id = plan_id
        self.base_year = base_year
        self.years = _year_marks(view.norm, base_year)
        self.sections = _sections(view.norm)
        targets = [m.year for m in self.years if m.year]
        if default_year is None and targets:
            counts = Counter(targets)
            default_year = max(
                counts, key=lambda y: (counts[y], -y)
            )  # a tie: the nearer year, not an outlook
        self.default_year = default_year
        self.matcher = _IndicatorMatcher(indicators)
        self.rows: list[Row] = []
        self.skipped: list[Skipped] = []
        self._first: dict[
            tuple, Row
        ] = {}  # each target's first row, so a repeat is found in one look-up

    # -- context
    def year_at(self, where: int, sentence_start: int = 0) -> tuple[int | None, str]:
        """The target year at ``where``. A year beyond the plan's own ("到2035年" in a 2025 plan) is an outlook:
        it holds for its own sentence only."""
        marks = [m for m in self.years if m.at <= where]
        while (
            marks
            and marks[-1].year
            and self.default_year
            and marks[-1].year > self.default_year
            and marks[-1].at < sentence_start
        ):
            marks.pop()
        mark = marks[-1] if marks else None
        if mark is None:
            if self.default_year is None:
                return None, "年份:文中未写明目标年"
            return self.default_year, f"年份:此前未写明,取方案目标年{self.default_year}"
        if mark.year is None:
            return None, f"年份:{mark.words}为现状"
        return mark.year, f"年份:{mark.words}"

    def section_at(self, where: int) -> str:
        return _at(self.sections, where)[1]

    # -- the pass
    def run(self) -> None:
        n = self.v.norm
        for s, e in _sentences(n):
            self.sentence(s, e)
        self.rows.sort(key=lambda r: r.at)

    def sentence(self, s: int, e: int) -> None:
        n = self.v.norm
        rows_before = len(self.rows)
        section = self.section_at(s)
        clauses = _clauses(n, s, e)
        carried_verb: str | None = None
        figures_seen = False
        prev_subject = ""
        plain = 0  # clauses that say something and gave no row
        for ci, (cs, ce) in enumerate(clauses):
            text = n[cs:ce]
            clause_rows = len(self.rows)
            figs = [m for m in _FIGURE.finditer(text)]
            kept = []
            for m in figs:
                reason = self._not_a_target(text, m, cs)
                if reason:
                    self.skipped.append(
                        Skipped(self.v.quote(cs + m.start(), cs + m.end()), reason, cs)
                    )
                else:
                    kept.append(m)
            # the year where the figure (or, without one, the clause's last word) stands
            year, year_why = self.year_at(cs + (kept[0].start() if kept else len(text) - 1), s)
            fact = year is None and "现状" in year_why
            if kept and (section == "background" or fact):
                for m in kept:
                    why = "现实基础/背景部分的数字" if section == "background" else year_why
                    self.skipped.append(Skipped(self.v.quote(cs, cs + m.end()), why, cs))
                figures_seen = True
                continue
            if kept:
                figures_seen = True
                carried_verb = self.figures(
                    text,
                    cs,
                    ce,
                    kept,
                    year,
                    year_why,
                    section,
                    carried_verb,
                    prev_subject,
                    clauses[ci - 1] if ci else None,
                )
            else:
                self.words(text, cs, ce, year, year_why, section, prev_subject)
            cut = kept[0].start() if kept else len(text)
            trend = _TREND.search(text[:cut])
            subj = _clean_subject(text[: trend.start() if trend else cut])
            prev_subject = subj or prev_subject
            if len(self.rows) == clause_rows and _clean_subject(text):
                plain += 1
        if not figures_seen and (len(self.rows) == rows_before or plain >= 2):
            self.qualitative(s, e, section)

    def _not_a_target(self, text: str, m: re.Match, cs: int) -> str:
        value, unit = m.group(1), m.group(2) or ""
        before = text[max(0, m.start() - CONTEXT) : m.start()]  # bounded, as in figures()
        after = text[m.end() : m.end() + CONTEXT]
        if unit in ("年", "月", "个月", "日", "岁"):
            return "时间或年限,非目标"
        if unit == "号" or re.match(r"\d*号", after):
            return "文号,非目标"
        if re.match(r"^(?:19|20)\d\d$", value) and not unit:
            return "年份,非目标"
        if before.endswith("第"):
            return "序号,非目标"
        if re.search(r"[〔\[《]", before) and not re.search(r"[〕\]》]", before):
            return "文号或书名中的数字,非目标"
        if m.start() == 0 and re.match(r"[.、)）]", after):
            return "列表编号,非目标"
        if re.search(r"[(（]$", before) and re.match(r"[)）]", after):
            return "列表编号,非目标"
        if unit in _COUNT_UNITS and _LIST_NOUNS.match(after):
            return "列举数(几个方面/任务),非目标"
        if re.match(r"^[+＋]", after) or before.endswith("+"):
            return "名称中的数字(如1+N),非目标"
        # a score without a unit ("满意度达到75以上"): what precedes names a score, and a verb or a bound
        # frames the figure
        indexed = (
            r"(指数|得分|分值|评分|价值|水平|满意度|测评)(?:分别|均)?"
            r"(?:达到|达|为|在|保持在|稳定在|提高到|提升到|不低于|不少于|超过)?$"
        )
        if not unit and not re.search(indexed, before) and not re.search(r"指数|分", before[-12:]):
            return "无单位的数字,非目标"
        return ""

    def figures(
        self, text, cs, ce, figs, year, year_why, section, carried_verb, prev_subject, prev_clause
    ):
        """The rows of one clause that holds figures; returns the cumulative verb carried to the next clause."""
        n = self.v.norm
        respectively = "分别" in text[: figs[0].start()] or (len(figs) > 1 and "分别" in text)
        head = text[max(0, figs[0].start() - CONTEXT) : figs[0].start()]
        subjects = [head]
        if respectively and len(figs) > 1:
            head_clean = re.sub(r"(分别|均).*$", "", head)
            parts = [p for p in re.split(r"、|和|及|与", _LEAD.sub("", head_clean)) if p]
            if len(parts) == len(figs) and len(parts) > 1:
                last = parts[-1]
                for i, part in enumerate(parts[:-1]):
                    # "食品、药品抽检合格率分别达到…": the shared tail belongs to each name
                    if not _SUFFIX_MEASURABLE.search(part) and len(part) < len(last):
                        parts[i] = part + last[len(part) :]
            subjects = parts if len(parts) == len(figs) else [head]
        for k, m in enumerate(figs):
            value, unit, after_word = float(m.group(1)), m.group(2) or "", m.group(3) or ""
            # what a figure's reading looks at lies close to it: a bounded window keeps the work per figure
            # constant (a clause of thousands of figures without punctuation was quadratic)
            prefix = text[max(0, m.start() - CONTEXT) : m.start()]
            rest = text[m.end() : m.end() + CONTEXT]
            why = [year_why]
            # the quote: from the clause start (or the previous figure) to this figure
            marker = re.match(r"\d{1,3}[.、](?!\d)|[(（]\d{1,2}[)）]", text)
            qs = cs + (marker.end() if marker else 0)
            if respectively and len(figs) > 1 and len(subjects) == len(figs):
                subj_raw = subjects[k]
            elif len(figs) > 1 and k > 0:
                qs = cs + figs[k - 1].end()
                subj_raw = text[figs[k - 1].end() : m.start()]
            else:
                subj_raw = prefix
            # a count names its object after the number ("建成5个国家级服务业标准化试点")
            tail_obj = re.split(r"[、,和]", rest, maxsplit=1)[0] if unit in _COUNT_UNITS else ""
            subject = _clean_subject(
                re.sub(_CUMULATIVE.pattern + r"$", "", _clean_subject(subj_raw))
            )
            while _CUMULATIVE.match(subject):  # 新培育获得…: every leading verb
                subject = _clean_subject(_CUMULATIVE.sub("", subject, count=1))
            qe = cs + m.end()
            if tail_obj and not _STOCK.search(prefix) and (not subject or len(subject) < 2):
                subject = _clean_subject(tail_obj)
                qe = cs + m.end() + len(tail_obj)
            if not subject and prev_subject and prev_clause is not None:
                subject, qs = prev_subject, prev_clause[0]
                why.append("主语承前一分句")
            # type and comparator
            typ, comp, val, base, note = "level", "", value, None, ""
            growth = _GROWTH.search(prefix)
            versus = _VERSUS.search(prefix)
            top = re.search(r"(全国|全省|国内|省内)(同类城市|同等城市)?前$", prefix)
            if top and unit in ("位", "名", ""):
                typ, comp = "rank", "<="
                subject = _clean_subject(
                    re.sub(
                        r"(位居|保持|进入|居于|位于|位列|跻身|稳居)?" + top.group(0) + "$",
                        "",
                        prefix,
                    )
                )
                row_scope = "peer_tier" if top.group(2) else _SCOPES[top.group(1)]
                why.append(f"规则:{top.group(0)}{m.group(1)}{unit}→排名≤{m.group(1)}")
            elif rest.startswith("后"):
                typ, comp = "procedural", ">="
                why.append("规则:达到X后(申报前的门槛)→程序性")
            elif versus:
                base = int(versus.group(1))
                down = versus.group(2) in ("下降", "降低", "减少")
                typ, comp, val = "growth", "<=" if down else ">=", -value if down else value
                note = (
                    f"较{base}年{'下降' if down else '提高'}{m.group(1)}{unit}: a total change since "
                    f"{base}, not a yearly rate; convert to %/yr before scoring"
                )
                why.append(
                    f"规则:较{base}年{versus.group(2)}X→增速,基年{base}(累计变化,需折算为年均)"
                )
            elif growth:
                typ, comp = "growth", ">="
                why.append("规则:年均增长X%→增速")
            elif unit in ("个百分点", "百分点"):
                typ, comp = "growth", "<=" if re.search(r"下降|降低|减少", prefix) else ">="
                val = -value if comp == "<=" else value
                note = "percentage points: a change in points, not a yearly rate; set the level from the base value"
                why.append("规则:提高X个百分点→变化量(需按基期值换算)")
            elif unit in _AMOUNT_UNITS and (flow := _FLOW.search(prefix)):
                typ = "cumulative"
                why.append(f"规则:{flow.group(1)}…X{unit}→工作量(规划期累计),非存量水平")
            elif unit in _COUNT_UNITS:
                verb = _CUMULATIVE.search(prefix)
                if _STOCK.search(prefix) and not re.search(r"新增|新培育|新建|新认证", prefix):
                    typ = "level"
                    why.append("规则:共X个(存量)→水平")
                elif verb:
                    typ, carried_verb = "cumulative", verb.group(1)
                    why.append(f"规则:{verb.group(1)}X{unit}→累计")
                elif carried_verb:
                    typ = "cumulative"
                    why.append(f"规则:承前“{carried_verb}”→累计")
                else:
                    typ = "level"
                    why.append(f"规则:X{unit}以上,无新增/培育等动词→存量水平(请核对)")
            if "每年" in prefix:
                note = (
                    note + "; " if note else ""
                ) + "每年: a yearly figure; the period total is X × years"
            # comparator
            if not comp:
                before = re.sub(r"(?:分别|均)$", "", prefix)
                if after_word in _GE_AFTER or _GE_BEFORE.search(before):
                    comp = ">="
                    why.append(f"比较:“{after_word or _GE_BEFORE.search(before).group(1)}”→≥")
                elif after_word in _LE_AFTER or _LE_BEFORE.search(before):
                    comp = "<="
                    why.append(f"比较:“{after_word or _LE_BEFORE.search(before).group(1)}”→≤")
                elif after_word == "左右":
                    comp = "=="
                    why.append("比较:“左右”为约数→=(请核对)")
            while qs < qe and n[qs] in "、,和及与":
                qs += 1
            row = Row(
                self.plan_id,
                typ,
                comp,
                val,
                year,
                self.v.quote(qs, qe),
                subject,
                unit="" if typ == "rank" else unit,
                base_year=base if base is not None else self.base_year,
                note=note,
                why=why,
                scope=row_scope if typ == "rank" else "",
                at=cs + m.start(),
            )
            if after_word == "左右":
                row.doubt(0.2, "约数")
            if typ == "growth" and unit in ("个百分点", "百分点"):
                row.doubt(0.3, "百分点变化")
            if versus:
                row.doubt(0.2, "累计变化")
            if "承前" in "".join(why) and typ == "cumulative":
                row.doubt(0.1, "动词承前")
            if "每年" in prefix:
                row.doubt(0.3, "每年数")
            if respectively and len(figs) > 1 and len(subjects) != len(figs):
                row.doubt(0.3, "“分别”前后个数不一致")
            self.finish(row, section)
            # one figure for several measurable names: "A、B达到95%以上"
            if len(figs) == 1 and typ == "level" and not respectively:
                parts = [p for p in re.split(r"、|和(?!Ⅲ)", subject) if p]
                if len(parts) > 1 and not all(_SUFFIX_MEASURABLE.search(p) for p in parts):
                    # "A工程、B工程、C工程质量安全监督覆盖率达到100%": each name with the shared tail
                    parts = _share_tail(parts) or parts
                if (
                    len(parts) > 1
                    and all(_SUFFIX_MEASURABLE.search(p) for p in parts)
                    and not self.matcher.joint(subject, unit)
                ):
                    self.drop(row)
                    for p in parts:
                        twin = Row(
                            **{
                                **row.__dict__,
                                "subject": p,
                                "why": [*row.why, "一句多指标同一目标值"],
                                "indicator_id": "",
                            }
                        )
                        self.finish(twin, section)
        return carried_verb

    def words(self, text, cs, ce, year, year_why, section, prev_subject):
        """Targets without figures: ranks, trends, breakthroughs, zero events, full coverage."""
        if year is None and "现状" in year_why:
            return
        if section == "background":
            return
        stripped = _LEAD.sub("", text)
        lead = len(text) - len(stripped)

        def row(typ, comp, value, subject, start, end, why, scope="", unit=""):
            subject = _clean_subject(subject)
            parts = [p for p in re.split(r"、|和(?!Ⅲ)", subject) if p]
            if (
                len(parts) < 2
                or not all(_SUFFIX_MEASURABLE.search(p) for p in parts)
                or self.matcher.joint(subject, unit)  # one indicator names them together
            ):
                parts = [subject]
            for p in parts:
                r = Row(
                    self.plan_id,
                    typ,
                    comp,
                    value,
                    year,
                    self.v.quote(cs + start, cs + end),
                    p,
                    unit=unit,
                    base_year=self.base_year,
                    scope=scope,
                    why=[year_why, why] + (["一句多指标"] if len(parts) > 1 else []),
                    at=cs + start,
                )
                self.finish(r, section)
            return r

        m = _RELATIVE_PLACE.search(stripped) or _RELATIVE_GROWTH.search(stripped)
        if m and _clean_subject(stripped[: m.start()]):
            place = m.re is _RELATIVE_PLACE
            r = row(
                "relative",
                _RELATIVE_WORDS[m.group(1)],
                None,
                stripped[: m.start()],
                lead,
                lead + m.end(),
                f"规则:{m.group(0)}→相对目标(与"
                + ("其他地区同一指标" if place else "本地另一指标")
                + "比较)",
            )
            if place:
                r.benchmark_scope = _BENCHMARK_SCOPES[m.group(2)]
            else:
                r.benchmark_subject = m.group(2)
            r.doubt(0.1, "相对目标:比较基准请核对")
            return
        m = _FIRST_CITY.search(text)
        if m:
            r = row(
                "rank",
                "<=",
                1.0,
                m.group(1),
                m.start(),
                m.end(),
                "规则:争创…第一城→排名第1(争创)",
                scope="national",
            )
            r.note = "争创 (an aspiration)"
            return
        for m in _RANK.finditer(text):
            scopes_text, tier, top, k = m.group(2), m.group(3), m.group(4), m.group(5)
            subject = text[: m.start()]
            if not _clean_subject(subject) and prev_subject:
                subject = prev_subject
            start = lead if _clean_subject(text[: m.start()]) else m.start()
            if top == "第一":
                value = 1.0
            elif k:
                value = float(k)
            else:
                value = None
            for word in scopes_text.split("、"):
                scope = "peer_tier" if tier else _SCOPES.get(word, "")
                r = row(
                    "rank",
                    "<=",
                    value,
                    subject,
                    start,
                    m.end(),
                    f"规则:{m.group(0)}→排名" + ("(前列:前k由评估参数定)" if value is None else ""),
                    scope=scope,
                )
                if word in ("全球", "全市", "长三角", "副省级城市") and not tier:
                    r.doubt(0.3, f"范围“{word}”不在 national/province/peer_tier 中")
            return
        m = _BREAKTHROUGH.search(text)
        if m:
            subject = re.sub(r"(力争|争取)?(实现|取得)?$", "", text[: m.start()])
            subject = re.sub(r"^(争创|获得|实现)", "", _clean_subject(subject))
            row("cumulative", ">=", 1.0, subject, lead, m.end(), f"规则:{m.group(1)}→累计≥1")
            return
        m = _NONE_OCCUR.search(text)
        if m:
            row(
                "level",
                "==",
                0.0,
                (m.group(1) or "") + m.group(2),
                m.start(),
                m.end(),
                "规则:不发生…→=0",
                unit="起",
            )
            return
        m = _FULL_COVER.search(text)
        if m and _clean_subject(m.group(1) or m.group(2)):
            row(
                "level",
                "==",
                100.0,
                m.group(1) or m.group(2),
                m.start(),
                m.end(),
                "规则:实现全覆盖→=100%",
                unit="%",
            )
            return
        m = _TREND.search(stripped)
        if m:
            subject = stripped[: m.start()]
            known = self.matcher.match(_clean_subject(subject), "")
            name = _clean_subject(subject)
            if known[0] or _SUFFIX_MEASURABLE.search(name) or _IMPROVES.search(name):
                down = m.group(2) in ("下降", "降低", "减少")
                r = row(
                    "trend",
                    "<=" if down else ">=",
                    None,
                    subject,
                    lead,
                    len(text),
                    f"规则:{m.group(0)}→趋势({'下降' if down else '上升'})",
                )
                if not known[0]:
                    r.doubt(0.2, "可计量性待核对")

    def qualitative(self, s: int, e: int, section: str) -> None:
        """A goal sentence that opens with 到20XX年 and holds no figure: one qualitative row."""
        n = self.v.norm
        m = re.match(
            r"(?:力争|争取)?(?:(?:到|至)((?:19|20)\d\d)年(?:\d{1,2}月)?(?:底|末)?(?:前)?|((?:19|20)\d\d)年"
            r"(?:\d{1,2}月)?(?:底|末)?前)[,:]?",
            n[s:e],
        )
        year = None
        if m:
            year = int(m.group(1) or m.group(2))
            why = f"年份:{m.group(0).rstrip(',:')}"
        elif section == "goal" and _GOAL_SENTENCE.match(n[s:e]):
            # "争取全面完成…创建工作", "达到…考核要求": a goal of the paragraph's year, without a figure
            year, why = self.year_at(s, s)
            if year is None:
                return
        if year is None or section == "background":
            return
        clauses = _clauses(n, s, e)
        end = clauses[min(len(clauses), 5) - 1][1]
        r = Row(
            self.plan_id,
            "qualitative",
            "",
            None,
            year,
            self.v.quote(s, end),
            "",
            base_year=self.base_year,
            why=[
                why,
                "规则:目标部分无数字的目标句→定性"
                if not m
                else "规则:到20XX年+无数字的目标句→定性",
            ],
            at=s,
        )
        r.doubt(0.3, "定性目标:请核对是否列入")
        self.rows.append(r)

    def finish(self, row: Row, section: str) -> None:
        if row.target_year is None:
            row.doubt(0.4, "无目标年")
        elif "取方案目标年" in row.why[0]:
            row.doubt(0.15, "目标年由方案推定")
        if section == "goal":
            row.why.append("位置:目标部分")
        else:
            row.doubt(0.1, "位置:目标部分之外")
        ind, score, why = self.matcher.match(
            row.subject, "" if row.target_type == "growth" else row.unit
        )
        row.indicator_id = ind
        row.why.append(why)
        if not ind:
            row.doubt(0.1, "新指标")
        elif score < 0.85:
            row.doubt(0.1, "指标名近似")
        if row.comparator == "" and row.target_type != "qualitative":
            direction = self.matcher.direction(ind, row.subject, row.quote)
            row.comparator = "<=" if direction < 0 else ">="
            row.why.append(
                "比较:未写以上/以下,按指标方向" + ("(低为好)→≤" if direction < 0 else "→≥")
            )
            row.doubt(0.05, "比较符推定")
        same = _same_target(row)
        earlier = self._first.get(same) if same[0] else None
        if earlier is not None:
            self.skipped.append(Skipped(row.quote, f"重复:与“{earlier.quote}”同一目标", row.at))
            return
        self.rows.append(row)
        if same[0]:
            self._first[same] = row

    def drop(self, row: Row) -> None:
        """Take back a row :meth:`finish` kept (it is split into several)."""
        if self.rows and self.rows[-1] is row:
            self.rows.pop()
        else:
            self.rows.remove(row)
        same = _same_target(row)
        if self._first.get(same) is row:
            del self._first[same]


def _share_tail(parts: list[str]) -> list[str] | None:
    """Names listed before one measurable name share its tail: ["新建住宅工程", "公共建筑工程",
    "市政基础设施工程质量安全监督覆盖率"] → each "…工程质量安全监督覆盖率". The tail starts after the ending the
    listed names share ("工程"; "品" of 食品、药品抽检合格率); None when the list does not read that way."""
    *heads, last = parts
    if not _SUFFIX_MEASURABLE.search(last) or any(_SUFFIX_MEASURABLE.search(h) for h in heads):
        return None
    if any(len(h) > 12 for h in heads):
        return None
    ending = heads[0]
    for h in heads[1:]:  # the ending every listed name shares
        while ending and not h.endswith(ending):
            ending = ending[1:]
    for k in range(len(ending), 0, -1):
        at = last.find(ending[-k:])
        if at > 0:
            tail = last[at + k :]
            if tail and _SUFFIX_MEASURABLE.search(tail) and len(tail) >= 2:
                return [h + tail for h in heads] + [last]
            return None
    return None


def _same_target(row: Row) -> tuple:
    """What makes two rows one target: the indicator (or the subject), type, comparator, value, year, scope."""
    return (
        row.indicator_id or row.subject,
        row.target_type,
        row.comparator,
        row.target_value,
        row.target_year,
        row.scope,
    )


# ------------------------------------------------------------------------------------------- indicators

_LOWER_BETTER = re.compile(
    r"浓度|能耗|消耗|事故|死亡|排放|投诉|不合格率|发生率|下降|PM2\.?5|故障|损失率|延误"
)


#: Words that make a measure of another kind from the same name: per unit of land, per person, per unit of GDP,
#: a share or a growth rate. An indicator matches a plan's wording only when both carry the same ones.
_KIND_WORDS = ("亩均", "人均", "单位", "每万人", "万人", "占比", "比重", "增速", "增幅", "增长率")


def _kind(name: str) -> set[str]:
    return {w for w in _KIND_WORDS if w in name}


def _key(name: str) -> str:
    name = name.replace("规模以上", "规上").replace("“", "").replace("”", "").replace('"', "")
    return re.sub(r"[()（）\s]", "", name)


class _IndicatorMatcher:
    """Match a plan's wording to ``indicators.csv`` by name (character similarity) and unit."""

    def __init__(self, indicators: pd.DataFrame):
        self.ind = indicators.reset_index(drop=True)
        self.keys = [_key(n) for n in self.ind["name_zh"]]
        self.proposed: dict[str, dict] = {}

    def match(self, subject: str, unit: str) -> tuple[str, float, str]:
        if not subject:
            return "", 0.0, "指标:无主语"
        key = _key(subject)
        best, best_score = None, 0.0
        other_kind, other_score = "", 0.0
        for i, k in enumerate(self.keys):
            if not _units_agree(unit, str(self.ind.at[i, "unit"])):
                continue
            differs = _kind(k) ^ _kind(key)
            if (
                differs
            ):  # 亩均增加值 is not 增加值: a per-unit measure, a share or a rate of another kind
                near = difflib.SequenceMatcher(None, key, k, autojunk=False).ratio()
                if near >= 0.72 and near > other_score:
                    words = "、".join(sorted(differs))
                    other_kind = f"{self.ind.at[i, 'name_zh']},口径词“{words}”不同"
                    other_score = near
                continue
            score = difflib.SequenceMatcher(None, key, k, autojunk=False).ratio()
            if len(k) >= 4 and k in key:
                score = max(score, 0.8 + 0.2 * min(len(k), len(key)) / max(len(k), len(key)))
            if score > best_score:
                best, best_score = i, score
        if best is not None and best_score >= 0.72:
            name = self.ind.at[best, "name_zh"]
            how = "名称相同" if best_score >= 0.999 else f"名称近似{best_score:.2f}"
            return str(self.ind.at[best, "indicator_id"]), best_score, f"指标:{how}({name})"
        if other_kind:
            return "", best_score, f"指标:未匹配(近似{other_kind}),建议新增“{subject}”"
        return "", best_score, f"指标:未匹配,建议新增“{subject}”"

    def joint(self, subject: str, unit: str) -> bool:
        """Whether ``subject`` is one indicator whose own name joins two things ("A和B")."""
        ind, score, _ = self.match(subject, unit)
        if not ind or score < 0.85:
            return False
        name = str(self.ind.loc[self.ind.indicator_id == ind, "name_zh"].iloc[0])
        return bool(re.search(r"、|和", name))

    def direction(self, indicator_id: str, subject: str, quote: str) -> int:
        if indicator_id:
            d = self.ind.loc[self.ind.indicator_id == indicator_id, "direction"]
            if len(d) and pd.notna(d.iloc[0]):
                return int(d.iloc[0])
        return -1 if _LOWER_BETTER.search(subject) else 1


_COUNTS = {"个", "家", "项", "件", "座", "所", "条", "名", "次", "场", "批", "张", "户", "位"}


_UNIT_OUT = {
    "微克/立方米": "µg/m³",
    "μg/m3": "µg/m³",
    "ug/m3": "µg/m³",
    "万元/人·年": "万元/人",
    "万元/人年": "万元/人",
    "个百分点": "%",
    "百分点": "%",
}


def _units_agree(fig: str, ind: str) -> bool:
    fig = _UNIT_OUT.get(fig, fig)  # 个百分点 agrees with a % indicator
    if not fig:
        return True
    if fig in _COUNTS:
        return ind in _COUNTS or ind.startswith(fig + "/")  # 件 of 件/万人
    if fig == "分":
        return ind in ("分", "指数")
    return fig == ind


def _domain(subject: str) -> str:
    rules = [
        ("environment", r"空气|水质|断面|PM|细颗粒物|环境|生态|排放|碳"),
        ("engineering", r"工程|建筑|验收|施工|住宅"),
        ("service", r"服务|满意度|老字号"),
        ("brand", r"品牌|名牌|名品|质量奖|品字标|商标"),
        ("infrastructure", r"标准|计量|检验|检测|认证|质检|实验室|测试"),
        ("product", r"产品|农产品|食品|药品|合格率|抽检"),
        ("governance", r"经费|预算|事故|监管|信用"),
    ]
    for domain, pattern in rules:
        if re.search(pattern, subject):
            return domain
    return "industry"


# ------------------------------------------------------------------------------------------ the public API


def extract_text(
    text: str,
    *,
    plan_id: str,
    base_year: int | None = None,
    target_year: int | None = None,
    source_file: str = "",
    indicators: pd.DataFrame | None = None,
) -> list[Row]:
    """Draft target rows from a plan text (see the module docstring for the rules).

    ``target_year`` is the year a figure gets when no "到20XX年" precedes it (default: the plan's most
    frequent target year in the text). ``indicators`` defaults to the catalogue's ``indicators.csv``.
    """
    rows, _skipped, _new = _extract(text, plan_id, base_year, target_year, indicators)
    return rows


def _extract(text, plan_id, base_year, target_year, indicators):
    if indicators is None:
        indicators = load_catalog().indicators
    ex = _Extractor(_view(text), plan_id, base_year, target_year, indicators)
    ex.run()
    return ex.rows, ex.skipped, ex.matcher


class Draft(NamedTuple):
    """A drafted plan: its target rows, the indicators and the place it proposes, the plan row and the
    figures read as not targets (each written to a file of its own by :func:`write_draft`)."""

    targets: pd.DataFrame
    indicators: pd.DataFrame
    plan: pd.DataFrame
    skipped: pd.DataFrame
    jurisdictions: pd.DataFrame


#: The level below each level: a new place under ``--parent``.
CHILD_LEVEL = {"national": "province", "province": "city", "city": "district"}


def draft(
    path: Path | str,
    *,
    plan_id: str,
    place: str | None = None,
    base_year: int | None = None,
    raw_dir: Path | str | None = None,
    new_place: str | None = None,
    parent: str | None = None,
) -> Draft:
    """The draft of one plan text (:class:`Draft`).

    ``place`` is a jurisdiction id or its Chinese name. A place not yet in ``jurisdictions.csv`` is given as
    ``new_place`` (its Chinese name) with its ``parent`` (an id): the draft proposes its row, with an id made
    from the parent's and the plan id's first part (``CN-ZJ-HZ`` + ``yh-2026`` → ``CN-ZJ-HZ-YH``) and the level
    below the parent's. The plan's base and target year come from ``plans.csv`` when ``plan_id`` is already
    there, else from ``base_year`` and the text.
    """
    path = Path(path)
    if not PLAN_ID.fullmatch(str(plan_id)):
        raise ExtractError(
            f"--plan-id {plan_id!r}: expected lower-case letters, digits, '-' and '_' (starting with a letter "
            "or digit, at most 64), e.g. zhejiang-2025: the id names the draft's files"
        )
    text = read_plan_text(path)
    cat = load_catalog(raw_dir)
    jur = cat.jurisdictions
    new_jur = pd.DataFrame(columns=FILE_COLUMNS["jurisdictions"])
    if new_place:
        new_jur = _new_place(new_place, parent, plan_id, jur)
        place_id = str(new_jur.jurisdiction_id.iloc[0])
        jur = pd.concat([jur, new_jur], ignore_index=True)
    else:
        hit = jur[(jur.jurisdiction_id == place) | (jur.name_zh == place)]
        if hit.empty:
            raise ExtractError(
                f"--place {place!r}: expected a jurisdiction id or name from jurisdictions.csv"
                f"{closest(str(place), list(jur.jurisdiction_id) + list(jur.name_zh))}. A place not there "
                f"yet: --new-place {place} --parent ID (the id of the city or province above it; the "
                "draft proposes its row in draft.jurisdictions.csv, checked and added with the draft)"
            )
        place_id = str(hit.jurisdiction_id.iloc[0])
    known = cat.plans[cat.plans.plan_id == plan_id]
    plan_target = int(known.target_year.iloc[0]) if len(known) else None
    if base_year is None and len(known):
        base_year = int(known.base_year.iloc[0])
    source_file = path.name
    rows, skipped, matcher = _extract(text, plan_id, base_year, plan_target, cat.indicators)
    years = Counter(r.target_year for r in rows if r.target_year and r.target_type != "qualitative")
    target_year = plan_target or (max(years, key=lambda y: (years[y], -y)) if years else None)
    proposals: dict[str, dict] = {}
    records = []
    for i, r in enumerate(rows, start=1):
        ind = r.indicator_id
        if not ind and r.target_type != "qualitative" and r.subject:
            key = _key(r.subject)
            same_name = cat.indicators[[_key(n) == key for n in cat.indicators.name_zh]]
            if len(same_name):
                ind = str(same_name.indicator_id.iloc[0])
                r.why.append(f"指标:名称相同但单位不同({same_name.unit.iloc[0]}),请核对")
                r.confidence = max(0.05, round(r.confidence - 0.1, 2))
            if not ind and key not in proposals:
                unit = _UNIT_OUT.get(r.unit, r.unit) or _unit_of_name(r.subject)
                proposals[key] = _proposal(r.subject, unit, r.quote, plan_id, proposals, matcher)
            if not ind:
                ind = proposals[key]["indicator_id"]
                r.why.append(f"建议新指标 {ind}")
        bench_place, bench_ind = "", ""
        if r.target_type == "relative":
            bench_place, bench_ind = _benchmark(r, place_id, jur, matcher, proposals, plan_id)
        value = "" if r.target_value is None else f"{r.target_value:g}"
        records.append(
            {
                "target_id": f"{plan_id}-{i:02d}",
                "plan_id": plan_id,
                "indicator_id": ind,
                "target_type": r.target_type,
                "comparator": r.comparator,
                "target_value": value,
                "target_year": "" if r.target_year is None else str(r.target_year),
                "base_year": "" if r.base_year is None else str(r.base_year),
                "base_value": "",
                "scope": r.scope,
                "quote": r.quote,
                "source_file": source_file,
                "note": r.note,
                "caveat": "",
                "benchmark_jurisdiction_id": bench_place,
                "benchmark_indicator_id": bench_ind,
                "subject": r.subject,
                "unit": _UNIT_OUT.get(r.unit, r.unit),
                "confidence": f"{r.confidence:.2f}",
                "why": "; ".join(r.why),
            }
        )
    targets = pd.DataFrame.from_records(records, columns=DRAFT_COLUMNS)
    new = pd.DataFrame.from_records(list(proposals.values()), columns=INDICATOR_COLUMNS)
    title = ""
    for line in [x.strip() for x in text.split("\n") if x.strip()][:4]:
        title += line
        if re.search(r"(意见|方案|规划|纲要|计划|办法|通知|说明)(?:[(（][^)）]*[)）])?$", title):
            break
    title = title[:120]
    plan = pd.DataFrame(
        [
            {
                "plan_id": plan_id,
                "jurisdiction_id": place_id,
                "title_zh": str(known.title_zh.iloc[0]) if len(known) else title,
                "title_en": str(known.title_en.iloc[0])
                if len(known) and "title_en" in known
                else "",
                "issued": str(known.issued.iloc[0]) if len(known) else "",
                "base_year": "" if base_year is None else str(base_year),
                "target_year": "" if target_year is None else str(target_year),
                "source_file": source_file,
                "source_path": str(path.resolve()),
            }
        ]
    )
    skip = pd.DataFrame(
        [{"quote": s.quote, "reason": s.reason} for s in sorted(skipped, key=lambda s: s.at)],
        columns=["quote", "reason"],
    )
    return Draft(targets, new, plan, skip, new_jur)


def _unit_of_name(name: str) -> str:
    """The unit a name implies when the figure gives none: a rate, share or growth in %, an index."""
    if re.search(r"(?:率|比重|占比|比例|增幅|增速|增长)$", name):
        return "%"
    return "指数" if "指数" in name else ""


def _proposal(name: str, unit: str, quote: str, plan_id: str, proposals: dict, matcher) -> dict:
    """A proposed row of ``indicators.csv`` for a name no indicator matches."""
    return {
        "indicator_id": f"new_{re.sub(r'[^0-9a-z]+', '_', plan_id.lower())}_{len(proposals) + 1:02d}",
        "name_zh": name,
        "name_en": "",
        "unit": unit,
        "direction": str(matcher.direction("", name, quote)),
        "domain": _domain(name),
        "lower_limit": "0" if unit in ("%", "‰") or unit in _COUNTS else "",
        "upper_limit": "100" if unit == "%" else "",
        "definition": f"proposed by qindex extract from: {quote}",
        "definition_zh": f"由 qindex extract 据方案原文“{quote}”提出,口径待定",
        "data_holder": "",
    }


def _new_place(name: str, parent: str | None, plan_id: str, jur: pd.DataFrame) -> pd.DataFrame:
    """The proposed row of a place not yet in ``jurisdictions.csv`` (see :func:`draft`)."""
    up = jur[jur.jurisdiction_id == parent] if parent else jur.iloc[:0]
    if up.empty:
        raise ExtractError(
            f"--parent {parent!r}: expected the id of the place above {name} in jurisdictions.csv"
            f"{closest(str(parent or ''), list(jur.jurisdiction_id))}"
        )
    if (jur.name_zh == name).any():
        known = jur[jur.name_zh == name].jurisdiction_id.iloc[0]
        raise ExtractError(
            f"--new-place {name!r}: already in jurisdictions.csv as {known}; use --place"
        )
    level = CHILD_LEVEL.get(str(up.level.iloc[0]))
    if level is None:
        raise ExtractError(f"--parent {parent!r}: a {up.level.iloc[0]} has no places below it here")
    suffix = re.sub(r"[^0-9A-Za-z]+", "", plan_id.split("-")[0]).upper() or "NEW"
    new_id = f"{parent}-{suffix}"
    if new_id in set(jur.jurisdiction_id):
        raise ExtractError(
            f"--new-place {name!r}: the id {new_id} is taken; choose another --plan-id"
        )
    row = {"jurisdiction_id": new_id, "name_zh": name, "name_en": "", "level": level}
    return pd.DataFrame([{**row, "parent_id": parent}], columns=FILE_COLUMNS["jurisdictions"])


def _benchmark(
    r: Row, place_id: str, jur, matcher, proposals: dict, plan_id: str
) -> tuple[str, str]:
    """A relative row's benchmark as ids: the place above (全国 → the national row, 全省/全市 → the province
    or city that holds the plan's place), or the indicator named (matched, else proposed)."""
    if r.benchmark_scope:
        parents = jur.set_index("jurisdiction_id")
        here = place_id
        while here in parents.index and parents.at[here, "level"] != r.benchmark_scope:
            here = parents.at[here, "parent_id"]
        if here in parents.index:
            return str(here), ""
        r.doubt(0.3, f"比较基准:{place_id}之上没有{r.benchmark_scope}一级的地区")
        return "", ""
    ind, score, why = matcher.match(r.benchmark_subject, "")
    if ind and score >= 0.85:
        r.why.append("比较基准" + why)
        return "", ind
    key = _key(r.benchmark_subject)
    if key not in proposals:
        proposals[key] = _proposal(r.benchmark_subject, "%", r.quote, plan_id, proposals, matcher)
    r.why.append(f"比较基准:建议新指标 {proposals[key]['indicator_id']}")
    return "", proposals[key]["indicator_id"]


def sibling(draft_path: Path | str, kind: str) -> Path:
    """``draft.csv`` → ``draft.indicators.csv`` / ``draft.plan.csv`` / ``draft.skipped.csv`` /
    ``draft.jurisdictions.csv``."""
    p = Path(draft_path)
    return p.with_name(f"{p.stem}.{kind}{p.suffix or '.csv'}")


def write_draft(parts, output: Path | str) -> list[Path]:
    """Write the draft and its companions atomically (UTF-8 with BOM, for Excel): proposed indicators, the
    plan row, the skipped figures, and the proposed place when the draft has one."""
    targets, new, plan, skipped, places = parts
    out = Path(output)
    written = []
    files = [
        (targets, out),
        (new, sibling(out, "indicators")),
        (plan, sibling(out, "plan")),
        (skipped, sibling(out, "skipped")),
    ]
    if len(places):
        files.append((places, sibling(out, "jurisdictions")))
    for frame, path in files:
        written.append(
            atomic_write(
                path, lambda tmp, f=frame: f.to_csv(tmp, index=False, encoding="utf-8-sig")
            )
        )
    return written


# ------------------------------------------------------------------------------------------------- check


def check_draft(draft_path: Path | str, raw_dir: Path | str | None = None) -> int:
    """Run the catalogue's validation on a draft, with every problem at once.

    The draft's rows replace ``targets.csv``; its plan row (``draft.plan.csv``) is added to or replaces the
    plan in ``plans.csv``; proposed indicators (``draft.indicators.csv``) are added to ``indicators.csv``; the
    plan text is taken from ``data/raw/sources/`` or from ``source_path`` in the plan row. Returns the number
    of rows checked.

    Raises
    ------
    CatalogError
        listing every problem, with lines numbered as in the draft file.
    ExtractError
        when the draft or a companion cannot be read.
    """
    draft_path = Path(draft_path)
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    problems = Problems()
    rows = _read_rows(draft_path, REQUIRED["targets"], problems)
    plan_rows = _read_rows(sibling(draft_path, "plan"), [], problems, required=False)
    new_ind = _read_rows(sibling(draft_path, "indicators"), [], problems, required=False)
    new_jur = _read_rows(sibling(draft_path, "jurisdictions"), [], problems, required=False)
    if problems:
        raise ValidationError(problems, f"draft {draft_path.name}")
    for i, r in enumerate(rows, start=2):
        if r.get("target_type") not in TARGET_TYPES:
            continue
        c = r.get("confidence", "")
        if c:
            try:
                ok = 0 <= float(c) <= 1
            except ValueError:
                ok = False
            if not ok:
                problems.append(Problem(draft_path.name, i, "confidence", c, "a number in [0, 1]"))
    with tempfile.TemporaryDirectory(prefix="qindex-check-") as tmp:
        tmp = Path(tmp)
        for name in ("jurisdictions", "indicators", "plans"):
            shutil.copy(raw / f"{name}.csv", tmp / f"{name}.csv")
        shutil.copytree(raw / "sources", tmp / "sources")
        if new_ind:
            _append(tmp / "indicators.csv", new_ind)
        if new_jur:
            _append(tmp / "jurisdictions.csv", new_jur)
        if plan_rows:
            _replace_plans(tmp / "plans.csv", plan_rows)
            for p in plan_rows:
                src, where = p.get("source_file", ""), p.get("source_path", "")
                if (
                    src
                    and not (tmp / "sources" / src).is_file()
                    and where
                    and Path(where).is_file()
                ):
                    (tmp / "sources" / src).write_text(read_plan_text(where), encoding="utf-8")
        for p in plan_rows:
            text = tmp / "sources" / p.get("source_file", "")
            if p.get("source_file") and text.is_file():
                _goal_years(draft_path.name, rows, text.read_text(encoding="utf-8"), problems, p)
        cols = TARGETS_FILE_COLUMNS
        with open(tmp / "targets.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in rows:
                w.writerow([r.get(c, "") for c in cols])
        # the draft's own rows sit at the end of each merged file: a problem there names the draft's file
        ends = {
            f"{name}.csv": (
                _line_count(tmp / f"{name}.csv"),
                len(added),
                sibling(draft_path, kind).name,
            )
            for name, kind, added in (
                ("plans", "plan", plan_rows),
                ("indicators", "indicators", new_ind),
                ("jurisdictions", "jurisdictions", new_jur),
            )
        }
        try:
            read_catalog(tmp.resolve())
        except CatalogError as exc:
            for p in exc.problems:
                file, line = p.file, p.line
                if file == "targets.csv":
                    file = draft_path.name
                elif file in ends and line and line > ends[file][0] - ends[file][1]:
                    total, added, own = ends[file]
                    file, line = own, line - (total - added) + 1
                problems.append(Problem(file, line, p.column, p.value, p.expected))
    problems.raise_if_any(CatalogError)
    return len(rows)


def _line_count(path: Path) -> int:
    """Lines of a CSV file as an editor numbers them (the header is line 1)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f))


def _goal_years(name: str, rows: list[dict], text: str, problems: Problems, plan: dict) -> None:
    """A draft row's target year must be one the plan's goal sentences name (到20XX年, 20XX年底前): a year
    read from a task ("2024年起每年…") or carried from the wrong paragraph is plausible and wrong."""
    norm = _view(text).norm
    goals = sorted(
        {
            m.year
            for m in _year_marks(norm, None)
            if m.year
            and re.search(r"(?:^|[到至取在])\d{4}年|前$", norm[max(0, m.at - 1) : m.at] + m.words)
        }
    )
    if not goals:
        return
    said = "、".join(f"到{y}年" for y in goals)
    first = int(plan["base_year"]) + 1 if str(plan.get("base_year", "")).isdigit() else 0
    last = int(plan["target_year"]) if str(plan.get("target_year", "")).isdigit() else 9999
    for i, r in enumerate(rows, start=2):
        y = r.get("target_year", "")
        if not y.isdigit() or not first <= int(y) <= last:
            continue  # outside the plan period: the catalogue's check says so
        if int(y) not in goals and r.get("target_type") != "qualitative":
            problems.append(
                Problem(
                    name,
                    i,
                    "target_year",
                    y,
                    f"a year the plan sets goals for ({said}); the plan's goal sentences name no other",
                )
            )


def _read_rows(path: Path, columns: list[str], problems: list[Problem], required: bool = True):
    if not path.is_file():
        if required:
            problems.append(Problem(path.name, None, None, None, "the draft file to exist"))
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error, OSError) as exc:
        raise ExtractError(f"{path}: expected a UTF-8 CSV ({exc})") from exc
    for col in columns:
        if col not in header:
            problems.append(
                Problem(path.name, 1, col, None, f"a column named '{col}' in the header")
            )
    return [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in rows]


def _append(path: Path, rows: list[dict]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    with open(path, "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([r.get(c, "") for c in header])


def _replace_plans(path: Path, plan_rows: list[dict]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader]
    ids = {p.get("plan_id") for p in plan_rows}
    rows = [r for r in rows if r.get("plan_id") not in ids] + plan_rows
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(c, "") for c in header])


# ----------------------------------------------------------------------------------------------- scoring


def score(draft_rows: pd.DataFrame, reviewed: pd.DataFrame) -> pd.DataFrame:
    """Recall and precision of a draft against reviewed rows, per plan and per target type.

    A reviewed row is found when a draft row agrees on plan, value, comparator, target year and type; each row
    is matched at most once.
    """

    def key(r) -> tuple:
        v = r["target_value"]
        v = "" if v in ("", None) or (isinstance(v, float) and pd.isna(v)) else f"{float(v):g}"
        y = r["target_year"]
        y = "" if y in ("", None) or (isinstance(y, float) and pd.isna(y)) else str(int(float(y)))
        return (str(r["plan_id"]), v, str(r["comparator"] or ""), y, str(r["target_type"]))

    out = []
    for (plan, typ), _ in (
        pd.concat([reviewed[["plan_id", "target_type"]], draft_rows[["plan_id", "target_type"]]])
        .drop_duplicates()
        .groupby(["plan_id", "target_type"])
    ):
        d = Counter(
            key(r) for _, r in draft_rows.iterrows() if r.plan_id == plan and r.target_type == typ
        )
        g = Counter(
            key(r) for _, r in reviewed.iterrows() if r.plan_id == plan and r.target_type == typ
        )
        hit = sum((d & g).values())
        out.append(
            {
                "plan_id": plan,
                "target_type": typ,
                "reviewed": sum(g.values()),
                "drafted": sum(d.values()),
                "found": hit,
            }
        )
    return pd.DataFrame(out)
