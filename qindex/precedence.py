"""Precedence: one value per place, indicator and year when the office and a publication both give one.

``data/raw/precedence.yaml`` says which origin wins between the office's own data and published figures (by
default the office for its own places, the publication for comparators), and settles two different values of one
origin by a rule written there. Two identical values become one row that keeps both sources. Every pair settled
is listed (:func:`precedence_log`): in the report's 数据附录 and in the run's ``precedence.csv``.

Example
-------
>>> load_precedence().between == {"own_places": "office", "comparators": "published"}
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from qindex import paths
from qindex.catalog import Catalog, load_catalog
from qindex.checks import Problems, closest
from qindex.errors import ObservationError, Problem
from qindex.observations import (
    ORIGINS,
    RULES,
    empty_frame,
    off_definition_flag,
    place_names,
    resolve_conflicts,
)

#: Flags that change what a value means: identical numbers with different such flags are not one value.
MEANING_FLAGS = ("lower_bound", "cumulative")
#: Flags that put a value second when two values of one origin differ.
_QUALITY_FLAGS = ("provisional", "derived", "low_confidence")
#: The precedence file.
PRECEDENCE_FILE = "precedence.yaml"


#: Origin groups for precedence: derived values are computed from published ones.
GROUP = {"published": "published", "derived": "published", "office": "office"}


#: Order in which one of several identical values is shown first (a value anyone can check leads).
SHOWN_FIRST = {"published": 0, "derived": 1, "office": 2, "synthetic": 3}


@dataclass(frozen=True)
class Precedence:
    """The rule of ``data/raw/precedence.yaml``.

    ``own_places``: the office's own places (ids); ``between``: which origin wins a difference between an
    office and a published value, for ``own_places`` and for ``comparators``; ``within``: the rules, in order,
    for a difference between two values of the same origin (see :data:`qindex.observations.RULES`).
    """

    own_places: tuple[str, ...]
    between: dict = field(default_factory=dict)
    within: dict = field(default_factory=dict)
    file: str = PRECEDENCE_FILE

    def winner(self, jurisdiction_id: str) -> str:
        return self.between["own_places" if jurisdiction_id in self.own_places else "comparators"]


def load_precedence(
    raw_dir: Path | str | None = None, catalog: Catalog | None = None
) -> Precedence:
    """Read and check ``precedence.yaml`` (every problem at once, naming the key)."""
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    path = raw / PRECEDENCE_FILE
    label = paths.relative(path)
    if not path.is_file():
        raise ObservationError(
            [Problem(label, None, None, None, "the precedence rules (see data/raw/README.md)")]
        )
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ObservationError([Problem(label, None, None, None, f"valid YAML ({exc})")]) from None
    cat = catalog or load_catalog(raw)
    problems = Problems()
    if not isinstance(spec, dict):
        raise ObservationError([Problem(label, None, None, None, "a mapping of keys")])
    for key in spec:
        if key not in ("own_places", "between_origins", "within_origin"):
            hint = closest(key, ["own_places", "between_origins", "within_origin"])
            problems.append(Problem(label, None, str(key), None, f"a known key{hint}"))
    names = place_names(cat)
    ids = set(cat.jurisdictions.jurisdiction_id)
    own = []
    places = spec.get("own_places") or []
    if not isinstance(places, list):
        problems.append(Problem(label, None, "own_places", places, "a list of place ids or names"))
        places = []
    for p in places:
        j = p if p in ids else names.get(str(p))
        if j is None:
            problems.append(
                Problem(
                    label, None, "own_places", p, f"a place of jurisdictions.csv{closest(p, ids)}"
                )
            )
        else:
            own.append(j)
    between = {"own_places": "office", "comparators": "published"}
    given = spec.get("between_origins") or {}
    if not isinstance(given, dict):
        problems.append(Problem(label, None, "between_origins", given, "a mapping"))
        given = {}
    for k, v in given.items():
        if k not in between:
            problems.append(
                Problem(label, None, f"between_origins.{k}", None, "own_places or comparators")
            )
        elif v not in ("office", "published"):
            problems.append(Problem(label, None, f"between_origins.{k}", v, "office or published"))
        else:
            between[k] = v
    within = {"published": (), "office": ()}
    given = spec.get("within_origin") or {}
    if not isinstance(given, dict):
        problems.append(Problem(label, None, "within_origin", given, "a mapping"))
        given = {}
    for k, v in given.items():
        if k not in within:
            problems.append(Problem(label, None, f"within_origin.{k}", None, "published or office"))
            continue
        rules = v or []
        if not isinstance(rules, list) or any(r not in RULES for r in rules):
            problems.append(
                Problem(label, None, f"within_origin.{k}", v, f"a list of rules from {list(RULES)}")
            )
            continue
        within[k] = tuple(rules)
    problems.raise_if_any(ObservationError)
    return Precedence(tuple(own), between, within, label)


def combine(published: pd.DataFrame, office: pd.DataFrame, precedence: Precedence) -> pd.DataFrame:
    """One value per place, indicator and year, from the published and the office values.

    1. Identical values are one observation: the one anyone can check (published, then derived, then office)
       is kept and the other sources go to ``other_sources``.
    2. Different values of the same origin are settled by ``precedence.within`` (e.g. ``standard_definition``
       for the published figures); a difference left over is an error naming the rule to add.
    3. A difference between an office and a published value is settled by ``precedence.between``: by default
       the office wins for its own places and the published figure for comparators.

    Returns
    -------
    DataFrame
        the panel (columns :data:`qindex.observations.COLUMNS` + ``resolution``); ``attrs["set_aside"]``
        lists the rows not used and ``attrs["precedence"]`` every pair decided in step 2 or 3 and every
        confirmation of step 1 (see :func:`precedence_log`).
    """
    frames = [f for f in (published, office) if len(f)]
    both = pd.concat(frames, ignore_index=True) if frames else empty_frame()
    both = both.drop(columns=["resolution"], errors="ignore")
    log: list[dict] = []
    both = _merge_identical(both, log)
    kept, set_aside = [], []
    groups = both.origin.map(GROUP).fillna(both.origin)
    for group in ("published", "office"):
        part = both[groups == group]
        if part.empty:
            continue
        rules = precedence.within.get(group, ())
        hint = f"(add a rule to within_origin.{group} in {precedence.file}; rules: {list(RULES)})"
        done = resolve_conflicts(part.reset_index(drop=True), rules, hint=hint)
        for r in done.attrs["set_aside"]:
            keep = done[
                (done.jurisdiction_id == r["jurisdiction_id"])
                & (done.indicator_id == r["indicator_id"])
                & (done.year == r["year"])
            ].iloc[0]
            log.append(_pair(keep, r, f"within_origin.{group}: {' then '.join(rules)}"))
        set_aside += done.attrs["set_aside"]
        kept.append(done)
    other = both[~groups.isin(["published", "office"])]
    if len(other):
        kept.append(other.assign(resolution=""))
    panel = pd.concat(kept, ignore_index=True) if kept else empty_frame().assign(resolution="")
    key = ["jurisdiction_id", "indicator_id", "year"]
    n = panel.groupby(key)["value"].transform("size")
    drop = []
    for _, g in panel[n > 1].groupby(key):
        win = precedence.winner(g.jurisdiction_id.iloc[0])
        winners = g[g.origin.map(GROUP) == win]
        losers = g.drop(index=winners.index)
        rule = (
            f"between_origins.own_places: {win}"
            if g.jurisdiction_id.iloc[0] in precedence.own_places
            else f"between_origins.comparators: {win}"
        )
        keep = winners.iloc[0]
        for _, r in losers.iterrows():
            log.append(_pair(keep, r.to_dict(), rule))
            set_aside.append(r.to_dict())
        panel.loc[winners.index, "resolution"] = f"chosen by {rule} over " + "; ".join(
            f"{r.value:g} ({ORIGINS.get(r.origin, r.origin)}, {r.source})"
            for r in losers.itertuples()
        )
        drop += list(losers.index)
    panel = panel.drop(index=drop)
    panel = panel.sort_values(key).reset_index(drop=True)
    panel.attrs["set_aside"] = set_aside
    panel.attrs["precedence"] = log
    return panel


def _merge_identical(frame: pd.DataFrame, log: list[dict]) -> pd.DataFrame:
    """Rows with the same place, indicator, year, value and meaning → one row with ``other_sources``."""
    if frame.empty:
        return frame
    meaning = frame.flag.fillna("").map(
        lambda f: ";".join(
            sorted(x for x in f.split(";") if x in MEANING_FLAGS or off_definition_flag(x))
        )
    )
    key = [frame.jurisdiction_id, frame.indicator_id, frame.year, frame.value.round(9), meaning]
    size = frame.groupby(key)["value"].transform("size")
    if (size == 1).all():
        return frame
    rank = frame.origin.map(SHOWN_FIRST).fillna(9) * 10 + frame.flag.fillna("").map(
        lambda f: sum(q in f.split(";") for q in _QUALITY_FLAGS)
    )
    drop = []
    for _, g in frame[size > 1].groupby(key):
        order = rank.loc[g.index].sort_values(kind="stable").index
        first, rest = order[0], order[1:]
        shown = [_where(frame.loc[i]) for i in rest]
        frame.at[first, "other_sources"] = "; ".join(
            filter(None, [frame.at[first, "other_sources"], *shown])
        )
        for i in rest:
            log.append(
                _pair(frame.loc[first], frame.loc[i].to_dict(), "identical: one value, two sources")
            )
        drop += list(rest)
    return frame.drop(index=drop)


def _where(row) -> str:
    origin = ORIGINS.get(row["origin"], row["origin"])
    place = f", {row['sheet']} {row['cell']}".rstrip() if row.get("cell") else ""
    return f"{origin}: {row['source']}{place}"


def _pair(keep, other: dict, rule: str) -> dict:
    return {
        "jurisdiction_id": keep["jurisdiction_id"],
        "indicator_id": keep["indicator_id"],
        "year": int(keep["year"]),
        "kept_value": float(keep["value"]),
        "kept_origin": keep["origin"],
        "kept_source": _where(keep),
        "other_value": float(other["value"]),
        "other_origin": other["origin"],
        "other_source": _where(other),
        "rule": rule,
    }


PRECEDENCE_COLUMNS = [
    "jurisdiction_id",
    "indicator_id",
    "year",
    "kept_value",
    "kept_origin",
    "kept_source",
    "other_value",
    "other_origin",
    "other_source",
    "rule",
]


def precedence_log(panel: pd.DataFrame) -> pd.DataFrame:
    """Every pair of values for one place, indicator and year that the panel settled: both values, both
    origins, both sources and the rule (``identical``, ``within_origin.*`` or ``between_origins.*``)."""
    log = panel.attrs.get("precedence", [])
    return pd.DataFrame(log, columns=PRECEDENCE_COLUMNS)
