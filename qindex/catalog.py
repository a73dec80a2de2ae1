"""The target catalogue: jurisdictions, indicators, plans and targets, loaded and validated.

Every check collects its problems; one :class:`~qindex.errors.CatalogError` lists them all.

Example
-------
>>> from qindex.catalog import targets
>>> len(targets("gongshu-2025"))
17
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from qindex import paths
from qindex.checks import Problems, closest
from qindex.errors import CatalogError, Problem
from qindex.schema import REQUIRED
from qindex.tables import parse_float, parse_int, read_text_table

LEVELS = ("national", "region", "province", "city", "district")
DOMAINS = (
    "product",
    "engineering",
    "service",
    "environment",
    "industry",
    "brand",
    "infrastructure",
    "governance",
)
TARGET_TYPES = (
    "level",
    "growth",
    "cumulative",
    "rank",
    "trend",
    "relative",
    "procedural",
    "qualitative",
)
#: Target types that are listed and never scored.
UNSCORED_TYPES = ("procedural", "qualitative")
COMPARATORS = (">=", "<=", "==")
#: A relative target compares two series: "不低于" (>=), "高于" (>), "不高于" (<=), "低于" (<).
RELATIVE_COMPARATORS = (">=", ">", "<=", "<")
#: The columns that name a relative target's benchmark: another place (全国/全省平均), another indicator of
#: the same place (GDP growth), or both.
BENCHMARK_COLUMNS = ("benchmark_jurisdiction_id", "benchmark_indicator_id")
#: Target types whose target value is a number on the indicator's own scale.
NUMERIC_TYPES = ("level", "growth", "cumulative")
#: Chinese labels for reports.
TARGET_TYPES_ZH = {
    "level": "水平",
    "growth": "增速",
    "cumulative": "累计",
    "rank": "排名",
    "trend": "趋势",
    "relative": "相对",
    "procedural": "程序性",
    "qualitative": "定性",
}
#: Whom a rank target is judged among (``targets.scope``): empty means the indicator's own level nationally.
SCOPES = ("", "national", "province", "peer_tier")
#: Caveats a target row may carry (``targets.caveat``, several joined with ";").
CAVEATS = {
    "definition_differs": "the plan's wording defines the target differently from the indicator's series: "
    "observations are context only, the target is 口径不一致 (not_comparable)",
    "definition_unconfirmed": "whether the series matches the plan's definition is not confirmed: 待核实 (unconfirmed)",
    "stock_or_addition": "the figure can be read as a stock or as additions over the plan period: both readings "
    "are assessed and shown; they must agree for a verdict",
}
DOMAINS_ZH = {
    "product": "产品质量",
    "engineering": "工程质量",
    "service": "服务质量",
    "environment": "环境质量",
    "industry": "产业质量效益",
    "brand": "品牌建设",
    "infrastructure": "质量基础",
    "governance": "质量治理",
}

#: The columns each file must have (:data:`qindex.schema.REQUIRED`).
COLUMNS = REQUIRED


@dataclass(frozen=True)
class Catalog:
    """The four validated frames (their columns: :mod:`qindex.schema` and ``data/raw/README.md``)."""

    jurisdictions: pd.DataFrame
    indicators: pd.DataFrame
    plans: pd.DataFrame
    targets: pd.DataFrame


def load_catalog(raw_dir: Path | str | None = None) -> Catalog:
    """Load and validate the catalogue in ``raw_dir`` (default ``data/raw/``).

    Parameters
    ----------
    raw_dir : folder holding ``jurisdictions.csv``, ``indicators.csv``, ``plans.csv``, ``targets.csv``
        and ``sources/`` with the plan texts.

    Returns
    -------
    Catalog
        ``jurisdictions`` (jurisdiction_id, name_zh, name_en, level, parent_id),
        ``indicators`` (indicator_id, name_zh, name_en, unit, direction ±1, domain, lower_limit,
        upper_limit, definition), ``plans`` (plan_id, jurisdiction_id, title_zh, issued, base_year,
        target_year, source_file, …) and ``targets`` (target_id, plan_id, indicator_id, target_type,
        comparator, target_value, target_year, base_year, base_value, scope, quote, source_file, note).

    Raises
    ------
    CatalogError
        listing every problem with its file, line, column, value and what was expected.

    Example
    -------
    >>> load_catalog().plans.plan_id.tolist()[:2]
    ['hangzhou-2015', 'hangzhou-2022']
    """
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    return _load_catalog_cached(raw.resolve())


def read_catalog(raw: Path) -> Catalog:
    """Read and validate the catalogue in the folder ``raw``, every time (:func:`load_catalog` keeps the last
    few it read); a :class:`~qindex.errors.CatalogError` lists every problem."""
    problems = Problems()
    frames = {
        name: read_text_table(raw / f"{name}.csv", cols, problems, f"{name}.csv")
        for name, cols in COLUMNS.items()
    }
    checker = _Checker(raw, problems)
    jur = checker.jurisdictions(frames["jurisdictions"])
    ind = checker.indicators(frames["indicators"])
    plans = checker.plans(frames["plans"], jur)
    tgt = checker.targets(frames["targets"], plans, ind, set(jur.jurisdiction_id))
    problems.raise_if_any(CatalogError)
    return Catalog(jur, ind, plans, tgt)


_load_catalog_cached = lru_cache(maxsize=8)(read_catalog)


def targets(
    plan_id: str | None = None,
    raw_dir: Path | str | None = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """The targets of one plan (or of all plans), joined with indicator names, unit and direction.

    Parameters
    ----------
    plan_id : a plan id (``None``: every plan).
    raw_dir : the folder of the catalogue (default ``data/raw/``); ignored when ``catalog`` is given.
    catalog : an already loaded catalogue.

    Returns
    -------
    DataFrame
        the ``targets`` columns plus ``jurisdiction_id``, ``name_zh``, ``name_en``, ``unit``,
        ``direction`` and ``domain`` of the indicator.

    Example
    -------
    >>> int(targets("chengdu-2027").target_type.value_counts()["rank"])
    3
    """
    cat = catalog or load_catalog(raw_dir)
    t = cat.targets
    if plan_id is not None:
        if plan_id not in set(cat.plans.plan_id):
            raise CatalogError(
                [
                    Problem(
                        "plan id",
                        None,
                        "plan_id",
                        plan_id,
                        f"one of {sorted(cat.plans.plan_id)}{closest(plan_id, cat.plans.plan_id)}",
                    )
                ]
            )
        t = t[t.plan_id == plan_id]
    ind = cat.indicators[["indicator_id", "name_zh", "name_en", "unit", "direction", "domain"]]
    out = t.merge(ind, on="indicator_id", how="left").merge(
        cat.plans[["plan_id", "jurisdiction_id"]], on="plan_id", how="left"
    )
    return out.reset_index(drop=True)


def ancestors(
    jurisdiction_id: str, raw_dir: Path | str | None = None, catalog: Catalog | None = None
) -> list[str]:
    """The places above ``jurisdiction_id``, nearest first (拱墅区 → 杭州市, 浙江省, 全国), in ``catalog`` (default
    the shipped one)."""
    cat = catalog if catalog is not None else load_catalog(raw_dir)
    parents = cat.jurisdictions.set_index("jurisdiction_id")["parent_id"]
    chain, cur = [], parents.get(jurisdiction_id, "")
    while isinstance(cur, str) and cur:
        chain.append(cur)
        cur = parents.get(cur, "")
    return chain


class _Checker:
    """Checks for each table; appends to a shared problem list and returns typed frames."""

    def __init__(self, raw: Path, problems: list[Problem]):
        self.raw = raw
        self.problems = problems

    def add(self, table: str, line, column, value, expected: str) -> None:
        self.problems.append(Problem(f"{table}.csv", line, column, value, expected))

    def unique(self, frame: pd.DataFrame, table: str, key: str) -> None:
        seen: dict[str, int] = {}
        for value, line in zip(frame[key], frame["source_line"], strict=True):
            if value == "":
                self.add(table, line, key, value, "a non-empty id")
            elif value in seen:
                what = "id" if key.endswith("_id") else "name"
                self.add(
                    table, line, key, value, f"a unique {what} (already on line {seen[value]})"
                )
            else:
                seen[value] = line

    def member(self, frame, table, column, allowed, *, blank_ok=False) -> None:
        allowed = list(allowed)
        for value, line in zip(frame[column], frame["source_line"], strict=True):
            if value == "" and blank_ok:
                continue
            if value not in allowed:
                hint = closest(value, allowed) if len(allowed) > 12 else ""
                shown = allowed if len(allowed) <= 12 else f"a known {column}"
                self.add(table, line, column, value, f"one of {shown}{hint}")

    def number(self, frame, table, column, *, whole=False, blank_ok=False) -> pd.Series:
        parse = parse_int if whole else parse_float
        out = []
        for value, line in zip(frame[column], frame["source_line"], strict=True):
            if value == "":
                if not blank_ok:
                    self.add(table, line, column, value, "a number")
                out.append(None)
                continue
            parsed = parse(value)
            if parsed is None:
                self.add(table, line, column, value, "a whole number" if whole else "a number")
            out.append(parsed)
        if whole:
            return pd.Series(pd.array(out, dtype="Int64"), index=frame.index)
        return pd.Series(
            [float("nan") if v is None else v for v in out], index=frame.index, dtype=float
        )

    def jurisdictions(self, f: pd.DataFrame) -> pd.DataFrame:
        t = "jurisdictions"
        self.unique(f, t, "jurisdiction_id")
        self.unique(f, t, "name_zh")  # files name places in Chinese: one name, one place
        self.member(f, t, "level", LEVELS)
        self.member(f, t, "parent_id", set(f.jurisdiction_id), blank_ok=True)
        parent = dict(zip(f.jurisdiction_id, f.parent_id, strict=True))
        for j, line in zip(f.jurisdiction_id, f.source_line, strict=True):
            seen, k = {j}, parent.get(j, "")
            while k:
                if k in seen:
                    self.add(
                        t, line, "parent_id", parent[j], "a chain of parents that ends (no cycle)"
                    )
                    break
                seen.add(k)
                k = parent.get(k, "")
        return f.drop(columns="source_line").reset_index(drop=True)

    def indicators(self, f: pd.DataFrame) -> pd.DataFrame:
        t = "indicators"
        self.unique(f, t, "indicator_id")
        self.unique(f, t, "name_zh")  # files name indicators in Chinese: one name, one indicator
        self.member(f, t, "direction", ["1", "-1"])
        self.member(f, t, "domain", DOMAINS)
        lo = self.number(f, t, "lower_limit", blank_ok=True)
        hi = self.number(f, t, "upper_limit", blank_ok=True)
        for line, a, b in zip(f["source_line"], lo, hi, strict=True):
            if pd.notna(a) and pd.notna(b) and a >= b:
                self.add(t, line, "upper_limit", b, f"a number above lower_limit {a}")
        self._aliases(f, t)
        if (
            "definition_zh" in f.columns
        ):  # readers of the template and the request list read Chinese
            for line, k, zh in zip(f.source_line, f.indicator_id, f.definition_zh, strict=True):
                if not str(zh).strip():
                    self.add(
                        t, line, "definition_zh", "", f"the Chinese definition (口径) of '{k}'"
                    )
        out = f.drop(columns="source_line").copy()
        out["direction"] = pd.to_numeric(f["direction"], errors="coerce").astype("Int64")
        out["lower_limit"], out["upper_limit"] = lo, hi
        return out.reset_index(drop=True)

    def _aliases(self, f: pd.DataFrame, t: str) -> None:
        """Other wordings of an indicator (``aliases``, ";"-joined: the plans' and the bureaus' names): none may
        be another indicator's name or alias, or an office file's row could mean either."""
        if "aliases" not in f.columns:
            return
        owner = {
            name: (k, line)
            for k, name, line in zip(f.indicator_id, f.name_zh, f.source_line, strict=True)
        }
        for k, aliases, line in zip(f.indicator_id, f.aliases, f.source_line, strict=True):
            for alias in filter(None, (a.strip() for a in str(aliases).split(";"))):
                other = owner.get(alias)
                if other is not None and other[0] != k:
                    self.add(
                        t,
                        line,
                        "aliases",
                        alias,
                        f"a wording no other indicator has ('{other[0]}' on line {other[1]} has it)",
                    )
                else:
                    owner[alias] = (k, line)

    def plans(self, f: pd.DataFrame, jur: pd.DataFrame) -> pd.DataFrame:
        t = "plans"
        self.unique(f, t, "plan_id")
        self.member(f, t, "jurisdiction_id", set(jur.jurisdiction_id))
        base = self.number(f, t, "base_year", whole=True)
        year = self.number(f, t, "target_year", whole=True)
        for line, b, y in zip(f["source_line"], base, year, strict=True):
            if pd.notna(b) and pd.notna(y) and b >= y:
                self.add(t, line, "target_year", y, f"a year after base_year {b}")
        for line, src in zip(f["source_line"], f["source_file"], strict=True):
            if Path(src).name != src or not (self.raw / "sources" / src).is_file():
                self.add(t, line, "source_file", src, "a file in data/raw/sources/")
        out = f.drop(columns="source_line").copy()
        out["base_year"], out["target_year"] = base, year
        return out.reset_index(drop=True)

    def targets(
        self, f: pd.DataFrame, plans: pd.DataFrame, ind: pd.DataFrame, jur_ids: set
    ) -> pd.DataFrame:
        t = "targets"
        self.unique(f, t, "target_id")
        self.member(f, t, "plan_id", set(plans.plan_id))
        self.member(f, t, "target_type", TARGET_TYPES)
        value = self.number(f, t, "target_value", blank_ok=True)
        year = self.number(f, t, "target_year", whole=True)
        base_year = self.number(f, t, "base_year", whole=True, blank_ok=True)
        base_value = self.number(f, t, "base_value", blank_ok=True)
        # duplicates are already reported; look-ups use the first row of each id
        ind_by_id = ind.drop_duplicates("indicator_id").set_index("indicator_id")
        plan_by_id = plans.drop_duplicates("plan_id").set_index("plan_id")
        texts: dict[str, str | None] = {}
        for i, row in enumerate(f.itertuples(index=False)):
            line, typ = row.source_line, row.target_type
            # indicator: required except for qualitative goals
            known = row.indicator_id in ind_by_id.index
            if row.indicator_id == "" and typ != "qualitative":
                self.add(
                    t,
                    line,
                    "indicator_id",
                    "",
                    "an indicator id (only qualitative goals may omit it)",
                )
            elif row.indicator_id != "" and not known:
                self.add(
                    t,
                    line,
                    "indicator_id",
                    row.indicator_id,
                    f"an id from indicators.csv{closest(row.indicator_id, ind_by_id.index)}",
                )
            # benchmark: a relative target names one, no other target does
            bench = {c: getattr(row, c, "") for c in BENCHMARK_COLUMNS}
            if typ == "relative":
                self._benchmark(t, line, row, bench, jur_ids, ind_by_id)
            else:
                for col, v in bench.items():
                    if v:
                        self.add(t, line, col, v, "empty unless target_type is relative")
            # comparator
            if typ == "relative":
                if row.comparator not in RELATIVE_COMPARATORS:
                    self.add(
                        t,
                        line,
                        "comparator",
                        row.comparator,
                        f"one of {list(RELATIVE_COMPARATORS)} for a relative target",
                    )
            elif typ == "qualitative":
                if row.comparator != "":
                    self.add(t, line, "comparator", row.comparator, "empty for a qualitative goal")
            elif row.comparator not in COMPARATORS:
                self.add(t, line, "comparator", row.comparator, f"one of {list(COMPARATORS)}")
            elif (
                known
                and typ in ("level", "trend")
                and pd.notna(direction := ind_by_id.at[row.indicator_id, "direction"])
            ):
                wanted = ">=" if direction == 1 else "<="
                if row.comparator not in (wanted, "=="):
                    self.add(
                        t,
                        line,
                        "comparator",
                        row.comparator,
                        f"'{wanted}' because indicator '{row.indicator_id}' has direction "
                        f"{direction:+d}",
                    )
            # value
            v = value.iloc[i]
            if typ in NUMERIC_TYPES and pd.isna(v) and row.target_value == "":
                self.add(t, line, "target_value", "", f"a number for a {typ} target")
            if typ in ("trend", "relative", "qualitative") and row.target_value != "":
                self.add(t, line, "target_value", row.target_value, f"empty for a {typ} target")
            if typ == "rank" and pd.notna(v) and (v < 1 or v != int(v)):
                self.add(t, line, "target_value", row.target_value, "a rank: a whole number >= 1")
            if typ == "level" and known and pd.notna(v):
                lo = ind_by_id.at[row.indicator_id, "lower_limit"]
                hi = ind_by_id.at[row.indicator_id, "upper_limit"]
                if (pd.notna(lo) and v < lo) or (pd.notna(hi) and v > hi):
                    self.add(
                        t,
                        line,
                        "target_value",
                        row.target_value,
                        f"a value within the natural limits [{lo}, {hi}] of '{row.indicator_id}'",
                    )
            # years and provenance, against the plan
            if row.plan_id in plan_by_id.index:
                plan = plan_by_id.loc[row.plan_id]
                y = year.iloc[i]
                # a qualitative outlook ("到2035年") may look beyond the plan period
                last = 2100 if typ == "qualitative" else plan.target_year
                # a plan without its years is reported once, in plans.csv; its targets cannot be placed
                known = pd.notna(plan.base_year) and pd.notna(last)
                if known and pd.notna(y) and not (plan.base_year < y <= last):
                    self.add(
                        t,
                        line,
                        "target_year",
                        y,
                        f"a year within plan '{row.plan_id}' "
                        f"({plan.base_year + 1}–{plan.target_year})",
                    )
                if row.source_file != plan.source_file:
                    self.add(
                        t,
                        line,
                        "source_file",
                        row.source_file,
                        f"the plan's source '{plan.source_file}'",
                    )
            scope = getattr(row, "scope", "")
            if scope not in SCOPES:
                self.add(t, line, "scope", scope, f"one of {list(SCOPES)}")
            for caveat in filter(None, getattr(row, "caveat", "").split(";")):
                if caveat not in CAVEATS:
                    self.add(t, line, "caveat", caveat, f"one of {sorted(CAVEATS)}")
            if row.quote == "":
                self.add(t, line, "quote", "", "the plan's exact words")
            else:
                text = texts.setdefault(row.source_file, self._source_text(row.source_file))
                if text is not None and row.quote not in text:
                    self.add(
                        t,
                        line,
                        "quote",
                        row.quote,
                        f"words found verbatim in sources/{row.source_file}",
                    )
                elif text is None:
                    self.add(t, line, "source_file", row.source_file, "a file in data/raw/sources/")
        # two rows that set the same target differently contradict each other
        key = ["plan_id", "indicator_id", "target_type", "comparator", "target_year"]
        key += [c for c in ("scope",) if c in f.columns]
        first: dict[tuple, tuple] = {}
        for i, row in enumerate(f.itertuples(index=False)):
            if not row.indicator_id or row.target_type in UNSCORED_TYPES:
                continue
            k = tuple(getattr(row, c) for c in key)
            v = value.iloc[i]
            if k in first and not (pd.isna(v) and pd.isna(first[k][1])) and v != first[k][1]:
                self.add(
                    t,
                    row.source_line,
                    "target_value",
                    row.target_value,
                    f"the same value as line {first[k][0]}, which sets the same target",
                )
            first.setdefault(k, (row.source_line, v))
        out = f.drop(columns="source_line").copy()
        out["target_value"], out["target_year"] = value, year
        out["base_year"], out["base_value"] = base_year, base_value
        for opt in ("scope", "note", "caveat", *BENCHMARK_COLUMNS):
            if opt not in out.columns:
                out[opt] = ""
        return out.reset_index(drop=True)

    def _benchmark(self, t, line, row, bench, jur_ids, ind_by_id) -> None:
        """A relative target's benchmark: a known place and/or a known indicator in the target's unit."""
        place, other = bench["benchmark_jurisdiction_id"], bench["benchmark_indicator_id"]
        if not place and not other:
            self.add(
                t,
                line,
                "benchmark_jurisdiction_id",
                "",
                "the place compared with (e.g. CN for 全国平均) or a benchmark_indicator_id",
            )
        if place and place not in jur_ids:
            self.add(
                t,
                line,
                "benchmark_jurisdiction_id",
                place,
                f"an id from jurisdictions.csv{closest(place, sorted(jur_ids))}",
            )
        if other and other not in ind_by_id.index:
            self.add(
                t,
                line,
                "benchmark_indicator_id",
                other,
                f"an id from indicators.csv{closest(other, ind_by_id.index)}",
            )
        elif other and row.indicator_id in ind_by_id.index:
            mine, theirs = ind_by_id.at[row.indicator_id, "unit"], ind_by_id.at[other, "unit"]
            if mine != theirs:
                self.add(
                    t,
                    line,
                    "benchmark_indicator_id",
                    other,
                    f"an indicator in the target's unit ({mine}; '{other}' is in {theirs})",
                )

    def _source_text(self, name: str) -> str | None:
        path = self.raw / "sources" / name
        if not name or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            self.add("plans", None, "source_file", name, f"a readable UTF-8 plan text ({exc})")
            return ""


def zh_definition(indicator) -> str:
    """An indicator's definition (口径) for Chinese readers: ``definition_zh``, else the English one."""
    zh = str(getattr(indicator, "definition_zh", "") or "")
    return zh if zh and zh != "nan" else str(getattr(indicator, "definition", "") or "")


def plan_name(plan_id: str, catalog: Catalog | None = None) -> str:
    """A plan as readers name it: its place and period, e.g. "杭州市 2018–2022年"."""
    cat = catalog or load_catalog()
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    place = cat.jurisdictions.set_index("jurisdiction_id").name_zh.get(plan.jurisdiction_id, "")
    return f"{place} {int(plan.base_year)}–{int(plan.target_year)}年"
