"""A 考核 scheme (考核细则): the annual, scored assessment of a city's districts or departments, as data.

The national 《质量工作考核办法》 (国务院办公厅, 国办发〔2013〕47号) is the model provinces and cities copy: 100
points over the quality of products, engineering and services (目标完成情况 and 措施落实情况), grades A ≥ 90,
B 80–89, C 60–79, D ≤ 59, and a regional or systemic quality-safety incident makes the result D whatever the
points. A scheme file (YAML) holds:

- ``units``: the assessed units (考核对象), each ``{id, name, kind}``;
- ``parts``: groups of items (考核指标), each ``{name, points, items}``; each item ``{id, name, points, rule,
  …}`` with one scoring rule (:data:`RULES`);
- ``deductions`` (扣分项) and ``bonuses`` (加分项): ``{id, name, per, cap}`` (points per case, at most ``cap``);
  ``bonus_cap``: at most this many bonus points in all;
- ``veto`` (一票否决): ``{id, name}``; a unit with a case gets the lowest grade whatever its points;
- ``grades``: ``{grade, min, unless}``, highest first; ``unless``: deduction ids that bar the grade (the unit
  gets the next one down);
- ``assigned``: the targets each unit was assigned (the city's plan broken down per unit), per item whose
  ``target`` is ``assigned``;
- ``missing``: what an empty cell scores (``zero``: 未报送的不得分, the rule of every 细则 we read);
- ``basis``: the published schemes this one follows, cited.

:func:`load_scheme` reads and validates one, naming every bad key with its path (``parts[1].items[2].rule``).

Example
-------
>>> s = load_scheme(paths.DATA_RAW / "example" / "kaohe" / "scheme.yaml")
>>> s.total, len(s.units), [p.name for p in s.parts]
(100.0, 13, ['质量工作成效', '质量安全水平', '质量工作机制'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from qindex import paths
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, Problem, SchemeError
from qindex.sheets import column_letter, normalise_text, parse_value, read_sheets

#: Scoring rules of an item: what its points are for.
RULES = {
    "threshold": "达标得满分，未达标不得分",
    "pro_rata": "按完成比例得分",
    "rank": "按名次得分：第1名得满分，每后退一名扣{step:g}分",
    "count": "按数量得分：每{unit}得{per:g}分，以分值为限",
    "score": "评审打分（0至分值）",
}
#: The keys each part of a scheme may hold.
TOP_KEYS = {
    "name",
    "year",
    "total",
    "synthetic",
    "basis",
    "units",
    "parts",
    "deductions",
    "bonuses",
    "bonus_cap",
    "veto",
    "grades",
    "assigned",
    "missing",
}
UNIT_KEYS = {"id", "name", "kind"}
PART_KEYS = {"name", "points", "items"}
ITEM_KEYS = {
    "id",
    "name",
    "points",
    "rule",
    "unit",
    "target",
    "floor",
    "direction",
    "step",
    "per",
    "holder",
    "note",
}
#: The keys each rule needs, and may have.
RULE_KEYS = {
    "threshold": ({"target"}, {"direction", "floor"}),
    "pro_rata": ({"target"}, {"direction", "floor"}),
    "rank": ({"step"}, {"direction"}),
    "count": ({"per"}, set()),
    "score": (set(), set()),
}
ADJUSTMENT_KEYS = {"id", "name", "per", "cap", "holder"}
VETO_KEYS = {"id", "name", "holder"}
GRADE_KEYS = {"grade", "min", "unless"}
MISSING = {"zero": "未报送的该项不得分"}
#: Points are compared with this tolerance (a half point written as 0.5 adds up exactly; 1/3 does not).
EPS = 1e-9


@dataclass(frozen=True)
class Item:
    """One scored item (考核指标)."""

    id: str
    name: str
    part: str
    points: float
    rule: str
    unit: str = ""
    target: float | None = None  # None: the unit's assigned target
    floor: float | None = None
    direction: int = 1
    step: float = 0.0
    per: float = 0.0
    holder: str = ""
    note: str = ""

    @property
    def assigned(self) -> bool:
        return self.rule in ("threshold", "pro_rata") and self.target is None

    def rule_zh(self) -> str:
        """The rule as a 细则 states it."""
        text = RULES[self.rule].format(step=self.step, per=self.per, unit=self.unit or "项")
        if self.rule in ("threshold", "pro_rata"):
            goal = "分解到各单位的目标" if self.assigned else f"{self.target:g}{self.unit}"
            better = "不高于" if self.direction < 0 else "达到"
            text = f"{better}{goal}得满分" + (
                "" if self.rule == "threshold" else "，未达到的按比例得分"
            )
            if self.rule == "threshold":
                text += "，未达到不得分"
            if self.floor is not None:
                text += (
                    f"（{'高于' if self.direction < 0 else '低于'}{self.floor:g}{self.unit}不得分）"
                )
        return text


@dataclass(frozen=True)
class Adjustment:
    """A deduction (扣分项) or bonus (加分项): ``per`` points per case, at most ``cap``."""

    id: str
    name: str
    kind: str  # deduction or bonus
    per: float
    cap: float
    holder: str = ""


@dataclass(frozen=True)
class Veto:
    id: str
    name: str
    holder: str = ""


@dataclass(frozen=True)
class Grade:
    grade: str
    min: float
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    name: str
    points: float


@dataclass
class Scheme:
    """A validated 考核 scheme (see the module's docstring)."""

    name: str
    year: int
    total: float
    units: pd.DataFrame  # unit_id, name_zh, kind
    parts: list[Part]
    items: list[Item]
    deductions: list[Adjustment]
    bonuses: list[Adjustment]
    bonus_cap: float | None
    vetoes: list[Veto]
    grades: list[Grade]
    assigned: dict[str, dict[str, float]] = field(default_factory=dict)
    missing: str = "zero"
    basis: list[str] = field(default_factory=list)
    synthetic: bool = False
    file: str = ""

    @property
    def unit_ids(self) -> list[str]:
        return self.units.unit_id.tolist()

    @property
    def columns(self) -> list[str]:
        """Every id the data must hold a column for: items, deductions, bonuses, vetoes."""
        return [
            *(i.id for i in self.items),
            *(a.id for a in self.deductions),
            *(a.id for a in self.bonuses),
            *(v.id for v in self.vetoes),
        ]

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def grade_of(self, points: float, vetoed: bool, deducted: set[str]) -> str:
        """The grade of a total: the highest whose minimum it reaches and no ``unless`` case bars; the lowest
        on a veto."""
        if vetoed:
            return self.grades[-1].grade
        for g in self.grades:
            if points >= g.min - EPS and not (set(g.unless) & deducted):
                return g.grade
        return self.grades[-1].grade

    def grades_text(self) -> str:
        """The grade rules as a 细则 states them, e.g. "A级(90分及以上,且无K1)"."""
        out = []
        for k, g in enumerate(self.grades):
            upper = self.grades[k - 1].min if k else None
            span = f"{g.min:g}分及以上" if upper is None else f"{g.min:g}分及以上、不足{upper:g}分"
            if k == len(self.grades) - 1:
                span = f"{upper:g}分以下" if upper is not None else "任何分数"
            bar = (
                f"，且无{'、'.join(self.adjustment_name(u) for u in g.unless)}" if g.unless else ""
            )
            out.append(f"{g.grade}级（{span}{bar}）")
        return "、".join(out)

    def adjustment_name(self, adj_id: str) -> str:
        for a in [*self.deductions, *self.bonuses, *self.vetoes]:
            if a.id == adj_id:
                return a.name
        return adj_id


def load_scheme(path: Path | str) -> Scheme:
    """Read and validate a scheme file (YAML): every problem at once, each naming its key.

    Raises
    ------
    SchemeError
        an unknown or missing key, a rule without what it needs, items whose points do not add up to their
        part's (or parts to the total), grades out of order, an assigned target for a unit not assessed or
        missing for one that is.
    """
    path = Path(path)
    label = paths.relative(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemeError([Problem(label, None, None, None, "a scheme file (YAML)")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SchemeError(
            [Problem(label, None, None, None, f"a YAML file in UTF-8 ({type(exc).__name__})")]
        ) from None
    return scheme_from_dict(raw, label)


def _keys(problems: Problems, where: str, raw: dict, allowed: set, required: set) -> None:
    for key in raw:
        if key not in allowed:
            problems.bad(
                None,
                f"{where}{key}",
                key,
                f"a key among {sorted(allowed)}{closest(str(key), allowed)}",
            )
    for key in sorted(required - set(raw)):
        problems.bad(None, f"{where}{key}", None, f"the key '{key}'")


def _number(problems: Problems, where: str, value, minimum: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.bad(None, where, value, "a number")
        return None
    if minimum is not None and value < minimum:
        problems.bad(None, where, value, f"a number ≥ {minimum:g}")
        return None
    return float(value)


def _text(problems: Problems, where: str, value) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        problems.bad(None, where, value, "a non-empty text")
        return ""
    return str(value).strip()


def _list(problems: Problems, where: str, value) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.bad(None, where, value, "a list")
        return []
    return value


def _entries(p: Problems, key: str, value, allowed: set, required: set, shape: str):
    """``(where, mapping)`` of each entry of a list of mappings, its keys checked; an entry that is no mapping
    is a problem (``shape``: what it should hold)."""
    for k, entry in enumerate(_list(p, key, value)):
        if not isinstance(entry, dict):
            p.bad(None, f"{key}[{k + 1}]", entry, f"a mapping {shape}")
            continue
        where = f"{key}[{k + 1}]."
        _keys(p, where, entry, allowed, required)
        yield where, entry


def scheme_from_dict(raw, label: str = "scheme") -> Scheme:
    """Validate a scheme given as a mapping (see :func:`load_scheme`)."""
    p = Problems(label)
    if not isinstance(raw, dict):
        raise SchemeError(
            [Problem(label, None, None, type(raw).__name__, "a mapping of scheme keys")]
        )
    _keys(p, "", raw, TOP_KEYS, {"name", "year", "units", "parts", "grades"})
    name = _text(p, "name", raw.get("name", "x"))
    year = raw.get("year", 2000)
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
        p.bad(None, "year", year, "the assessment year, e.g. 2024")
        year = 2000
    total = _number(p, "total", raw.get("total", 100), minimum=1) or 100.0
    synthetic = raw.get("synthetic", False)
    if not isinstance(synthetic, bool):
        p.bad(None, "synthetic", synthetic, "true or false")
        synthetic = False
    basis = [str(b) for b in _list(p, "basis", raw.get("basis"))]

    units = []
    for where, u in _entries(
        p, "units", raw.get("units"), UNIT_KEYS, {"id", "name"}, "{id, name, kind}"
    ):
        units.append(
            {
                "unit_id": _text(p, where + "id", u.get("id", "x")),
                "name_zh": _text(p, where + "name", u.get("name", "x")),
                "kind": str(u.get("kind", "")),
            }
        )
    unit_frame = pd.DataFrame(units, columns=["unit_id", "name_zh", "kind"])
    for col in ("unit_id", "name_zh"):
        for dup in sorted(set(unit_frame[col][unit_frame[col].duplicated()])):
            p.bad(None, f"units.{'id' if col == 'unit_id' else 'name'}", dup, "each unit once")
    if "units" in raw and len(units) < 2:
        p.bad(None, "units", len(units), "at least two units (a 考核 compares units)")

    ids: set[str] = set()

    def new_id(where: str, value) -> str:
        text = _text(p, where, value)
        if text in ids:
            p.bad(None, where, text, "an id used once in the scheme")
        ids.add(text)
        return text

    parts, items = [], []
    for where, part in _entries(
        p, "parts", raw.get("parts"), PART_KEYS, PART_KEYS, "{name, points, items}"
    ):
        pname = _text(p, where + "name", part.get("name", "x"))
        ppoints = _number(p, where + "points", part.get("points", 0), minimum=0)
        own = []
        for at, it in _entries(
            p,
            where + "items",
            part.get("items"),
            ITEM_KEYS,
            {"id", "name", "points", "rule"},
            "{id, name, points, rule, …}",
        ):
            item = _item(p, at, it, pname, new_id)
            if item is not None:
                own.append(item)
        if ppoints is not None and own:
            added = sum(i.points for i in own)
            if abs(added - ppoints) > EPS:
                p.bad(
                    None,
                    where + "points",
                    ppoints,
                    f"the sum of its items' points ({' + '.join(f'{i.points:g}' for i in own)} = {added:g})",
                )
        if "items" in part and not own and isinstance(part.get("items"), list):
            p.bad(None, where + "items", [], "at least one item")
        parts.append(Part(pname, ppoints or 0.0))
        items += own
    if parts and abs(sum(x.points for x in parts) - total) > EPS:
        p.bad(
            None,
            "parts",
            " + ".join(f"{x.points:g}" for x in parts) + f" = {sum(x.points for x in parts):g}",
            f"parts whose points add up to the total ({total:g})",
        )

    def adjustments(key: str, kind: str) -> list[Adjustment]:
        out = []
        for where, a in _entries(
            p,
            key,
            raw.get(key),
            ADJUSTMENT_KEYS,
            {"id", "name", "per", "cap"},
            "{id, name, per, cap}",
        ):
            per = _number(p, where + "per", a.get("per", 0), minimum=0) or 0.0
            cap = _number(p, where + "cap", a.get("cap", 0), minimum=0) or 0.0
            if per > cap + EPS:
                p.bad(None, where + "cap", cap, f"a cap of at least one case's points ({per:g})")
            out.append(
                Adjustment(
                    new_id(where + "id", a.get("id", "x")),
                    _text(p, where + "name", a.get("name", "x")),
                    kind,
                    per,
                    cap,
                    str(a.get("holder", "")),
                )
            )
        return out

    deductions = adjustments("deductions", "deduction")
    bonuses = adjustments("bonuses", "bonus")
    bonus_cap = raw.get("bonus_cap")
    if bonus_cap is not None:
        bonus_cap = _number(p, "bonus_cap", bonus_cap, minimum=0)
    vetoes = []
    for where, v in _entries(p, "veto", raw.get("veto"), VETO_KEYS, {"id", "name"}, "{id, name}"):
        vetoes.append(
            Veto(
                new_id(where + "id", v.get("id", "x")),
                _text(p, where + "name", v.get("name", "x")),
                str(v.get("holder", "")),
            )
        )

    grades = []
    for where, g in _entries(
        p, "grades", raw.get("grades"), GRADE_KEYS, {"grade", "min"}, "{grade, min}"
    ):
        unless = g.get("unless") or []
        if not isinstance(unless, list):
            p.bad(None, where + "unless", unless, "a list of deduction ids")
            unless = []
        for u in unless:
            if u not in {d.id for d in deductions}:
                p.bad(
                    None,
                    where + "unless",
                    u,
                    f"a deduction id{closest(str(u), [d.id for d in deductions])}",
                )
        grades.append(
            Grade(
                _text(p, where + "grade", g.get("grade", "x")),
                _number(p, where + "min", g.get("min", 0), minimum=0) or 0.0,
                tuple(str(u) for u in unless),
            )
        )
    mins = [g.min for g in grades]
    if grades and (mins != sorted(mins, reverse=True) or len(set(mins)) < len(mins)):
        p.bad(
            None, "grades", mins, "grades from the highest minimum to the lowest, each minimum once"
        )
    if grades and grades[-1].min != 0:
        p.bad(
            None, "grades", grades[-1].min, "a lowest grade with min 0 (every total gets a grade)"
        )
    if grades and grades[-1].unless:
        p.bad(None, "grades", grades[-1].grade, "a lowest grade without 'unless'")

    assigned = _assigned(p, raw.get("assigned"), items, set(unit_frame.unit_id))
    missing = raw.get("missing", "zero")
    p.one_of(None, "missing", missing, list(MISSING))
    p.raise_if_any(SchemeError)
    return Scheme(
        name=name,
        year=year,
        total=total,
        units=unit_frame,
        parts=parts,
        items=items,
        deductions=deductions,
        bonuses=bonuses,
        bonus_cap=bonus_cap,
        vetoes=vetoes,
        grades=grades,
        assigned=assigned,
        missing=missing,
        basis=basis,
        synthetic=synthetic,
        file=label,
    )


def _item(p: Problems, where: str, it: dict, part: str, new_id) -> Item | None:
    """One item (its keys already checked by :func:`_entries`), or None when its rule is unknown."""
    rule = it.get("rule")
    if not p.one_of(None, where + "rule", rule, list(RULES)):
        return None
    needed, optional = RULE_KEYS[rule]
    general = {"id", "name", "points", "rule", "unit", "holder", "note"}
    for key in it:
        if key in ITEM_KEYS and key not in general | needed | optional:
            p.bad(
                None,
                where + key,
                it[key],
                f"no '{key}' for a {rule} rule (it takes {sorted(needed | optional) or 'none'})",
            )
    for key in sorted(needed - set(it)):
        p.bad(None, where + key, None, f"the key '{key}' (a {rule} rule needs it)")
    points = _number(p, where + "points", it.get("points", 0), minimum=0) or 0.0
    target = it.get("target")
    if target == "assigned":
        target = None
    elif target is not None:
        target = _number(p, where + "target", target)
    floor = it.get("floor")
    if floor is not None:
        floor = _number(p, where + "floor", floor)
    direction = it.get("direction", 1)
    if direction not in (1, -1) or isinstance(direction, bool):
        p.bad(None, where + "direction", direction, "1 (higher is better) or -1 (lower is better)")
        direction = 1
    if target is not None and floor is not None and (target - floor) * direction <= 0:
        p.bad(
            None,
            where + "floor",
            floor,
            f"a floor on the worse side of the target {target:g} ({'above' if direction < 0 else 'below'} it)",
        )
    if (
        rule in ("threshold", "pro_rata")
        and direction < 0
        and target is not None
        and target <= 0
        and floor is None
    ):
        p.bad(
            None,
            where + "target",
            target,
            "a positive target, or a floor (a ratio to 0 means nothing)",
        )
    step = _number(p, where + "step", it.get("step", 0), minimum=0) or 0.0
    per = _number(p, where + "per", it.get("per", 0), minimum=0) or 0.0
    if rule == "rank" and "step" in it and step == 0:
        p.bad(None, where + "step", 0, "points lost per place, > 0")
    if rule == "count" and "per" in it and per == 0:
        p.bad(None, where + "per", 0, "points per case, > 0")
    return Item(
        id=new_id(where + "id", it.get("id", "x")),
        name=_text(p, where + "name", it.get("name", "x")),
        part=part,
        points=points,
        rule=rule,
        unit=str(it.get("unit", "")),
        target=target,
        floor=floor,
        direction=direction,
        step=step,
        per=per,
        holder=str(it.get("holder", "")),
        note=str(it.get("note", "")),
    )


def _assigned(p: Problems, raw, items: list[Item], units: set[str]) -> dict[str, dict[str, float]]:
    wanted = {i.id for i in items if i.assigned}
    raw = raw or {}
    if not isinstance(raw, dict):
        p.bad(None, "assigned", raw, "a mapping item id → {unit id: target}")
        return {}
    out: dict[str, dict[str, float]] = {}
    for item_id, per_unit in raw.items():
        if item_id not in wanted:
            p.bad(
                None,
                f"assigned.{item_id}",
                item_id,
                f"an item whose target is 'assigned'{closest(str(item_id), wanted) or f' (those are {sorted(wanted)})'}",
            )
            continue
        if not isinstance(per_unit, dict):
            p.bad(None, f"assigned.{item_id}", per_unit, "a mapping unit id → target")
            continue
        out[item_id] = {}
        for unit, value in per_unit.items():
            if unit not in units:
                p.bad(
                    None,
                    f"assigned.{item_id}.{unit}",
                    unit,
                    f"a unit of the scheme{closest(str(unit), units)}",
                )
                continue
            v = _number(p, f"assigned.{item_id}.{unit}", value)
            if v is not None:
                out[item_id][str(unit)] = v
        for unit in sorted(units - set(per_unit)):
            p.bad(None, f"assigned.{item_id}.{unit}", None, "a target for every unit")
    for item_id in sorted(wanted - set(raw)):
        p.bad(
            None,
            f"assigned.{item_id}",
            None,
            "the target assigned to each unit (the item's target is 'assigned')",
        )
    return out


# ---------------------------------------------------------------- the data: a filled 考核 workbook

#: The sheet of the 考核 workbook that holds the data, and the hidden row of column keys.
DATA_SHEET = "考核数据"
KEY_UNIT, KEY_NAME, KEY_SOURCE, KEY_NOTE = "unit_id", "unit_name", "source", "note"
#: Columns of :func:`read_scores`.
SCORE_COLUMNS = ["unit_id", "column", "year", "value", "source", "cell"]


def key(column: str, year: int) -> str:
    """The hidden key of a data column: ``A1@2024``."""
    return f"{column}@{year}"


def read_scores(path: Path | str, scheme: Scheme) -> pd.DataFrame:
    """Read and validate a filled 考核 workbook against its scheme: every problem at once.

    Returns
    -------
    DataFrame
        one row per filled cell: ``unit_id, column`` (an item, deduction, bonus or veto id), ``year``,
        ``value``, ``source`` (the row's 数据来源, or 内部数据(file name)), ``cell`` (sheet and cell).

    Raises
    ------
    ObservationError
        a workbook without the template's key row, a unit of the scheme without a row, a unit the scheme does
        not assess, a column of the scheme missing for its year, a value that is not a number, a points value
        outside 0–the item's points, a count that is not a whole number ≥ 0.
    """
    path = Path(path)
    label = paths.relative(path)
    problems = Problems(label)
    grids = [g for g in read_sheets(path, problems) if g.sheet == DATA_SHEET or not g.excel]
    problems.raise_if_any(ObservationError)
    if not grids:
        problems.bad(
            None,
            None,
            None,
            f"a sheet named '{DATA_SHEET}' (the 考核 template: qindex template --scheme)",
        )
        problems.raise_if_any(ObservationError)
    grid = grids[0]
    where = f"{label}, sheet '{grid.sheet}'" if grid.sheet else label
    header = next(
        (i for i, row in enumerate(grid.rows[:10]) if KEY_UNIT in [normalise_text(c) for c in row]),
        None,
    )
    if header is None:
        problems.bad(
            None,
            None,
            None,
            f"the template's key row (row 4: unit_id, A1@{scheme.year}, …): write the workbook with "
            f"qindex template --scheme {scheme.file} and fill it without deleting rows 1–3",
            file=where,
        )
        problems.raise_if_any(ObservationError)
    keys = [normalise_text(c) for c in grid.rows[header]]
    at = {k: j for j, k in enumerate(keys) if k}
    columns: dict[int, tuple[str, int]] = {}
    known = set(scheme.columns)
    for j, k in enumerate(keys):
        if "@" not in k:
            continue
        col, _, year = k.partition("@")
        if col not in known or not year.isdigit():
            problems.bad(
                header + 1,
                column_letter(j),
                k,
                f"a column of the scheme '{scheme.name}'{closest(col, known)} (is this workbook for another scheme?)",
                file=where,
            )
            continue
        columns[j] = (col, int(year))
    for col in scheme.columns:
        if key(col, scheme.year) not in at:
            problems.bad(
                header + 1,
                None,
                key(col, scheme.year),
                "a column for every item of the scheme in its year",
                file=where,
            )
    units = dict(zip(scheme.units.unit_id, scheme.units.name_zh, strict=True))
    seen: dict[str, int] = {}
    rows = []
    kinds = _column_kinds(scheme)
    for i in range(header + 1, len(grid.rows)):
        row = grid.rows[i]
        unit = normalise_text(row[at[KEY_UNIT]]) if at[KEY_UNIT] < len(row) else ""
        if not unit:
            continue
        line = i + 1
        if unit not in units:
            if any(
                j < len(row) and normalise_text(row[j]) for j in columns
            ):  # a data row, not the template's year or label row
                problems.bad(
                    line,
                    "单位编号",
                    unit,
                    f"a unit of the scheme{closest(unit, units)}",
                    file=where,
                )
            continue
        if unit in seen:
            problems.bad(
                line, "单位编号", unit, f"each unit once (also on row {seen[unit]})", file=where
            )
            continue
        seen[unit] = line
        source = (
            normalise_text(row[at[KEY_SOURCE]])
            if KEY_SOURCE in at and at[KEY_SOURCE] < len(row)
            else ""
        )
        for j, (col, year) in columns.items():
            cell = row[j] if j < len(row) else None
            value, _, ok = parse_value(cell)
            name = f"{col} {year}"
            if not ok:
                kind, points = kinds[col]
                if kind == "yesno" and normalise_text(cell) in ("是", "否", "有", "无"):
                    value = 1.0 if normalise_text(cell) in ("是", "有") else 0.0
                else:
                    problems.bad(
                        line, name, normalise_text(cell), "a number (or empty: 未报送)", file=where
                    )
                    continue
            if value is None:
                continue
            kind, points = kinds[col]
            if kind == "points" and not -EPS <= value <= points + EPS:
                problems.bad(
                    line, name, value, f"points between 0 and the item's {points:g}", file=where
                )
                continue
            if kind in ("count", "yesno") and (value < 0 or value != int(value)):
                problems.bad(line, name, value, "a count of cases, a whole number ≥ 0", file=where)
                continue
            rows.append(
                {
                    "unit_id": unit,
                    "column": col,
                    "year": year,
                    "value": value,
                    "source": source or f"内部数据({path.name})",
                    "cell": f"{grid.sheet}!{column_letter(j)}{line}",
                }
            )
    for unit in units:
        if unit not in seen:
            problems.bad(
                None,
                "单位编号",
                unit,
                f"a row for every unit the scheme assesses ({units[unit]} has none)",
                file=where,
            )
    problems.raise_if_any(ObservationError)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _column_kinds(scheme: Scheme) -> dict[str, tuple[str, float]]:
    """What each column holds: a measured value, points given (评审打分), a count, or a yes/no case count."""
    out = {}
    for i in scheme.items:
        out[i.id] = (
            "points" if i.rule == "score" else "count" if i.rule == "count" else "value",
            i.points,
        )
    for a in [*scheme.deductions, *scheme.bonuses]:
        out[a.id] = ("count", a.cap)
    for v in scheme.vetoes:
        out[v.id] = ("yesno", 0.0)
    return out


__all__ = [
    "DATA_SHEET",
    "RULES",
    "Adjustment",
    "Grade",
    "Item",
    "Part",
    "Scheme",
    "Veto",
    "load_scheme",
    "read_scores",
    "scheme_from_dict",
]
