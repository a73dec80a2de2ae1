"""Synthetic data (示例数据), made by seeded generators and never mixed with the real data.

Every id and name says it is synthetic: jurisdiction ids start with ``SYN-``, names with ``示例``, and every
observation's source is ``synthetic (seed N)``.

Example
-------
>>> cat, panel, tg = synthetic_panel(n_units=2, n_indicators=3, n_years=5, seed=1)
>>> panel.jurisdiction_id.unique().tolist()
['SYN-00000', 'SYN-00001']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from qindex import paths
from qindex.catalog import Catalog, load_catalog, targets
from qindex.errors import ObservationError, Problem
from qindex.office import read_office
from qindex.panel import load_panel
from qindex.scheme import load_scheme
from qindex.template import write_scheme_template, write_template

SOURCE = "synthetic (seed {seed})"


def synthetic_panel(
    n_units: int = 3000,
    n_indicators: int = 100,
    n_years: int = 12,
    seed: int = 0,
    first_year: int = 2013,
    first_unit: int = 0,
) -> tuple[Catalog, pd.DataFrame, pd.DataFrame]:
    """A large synthetic panel for benchmarks: units × indicators × years, one level target per series.

    Half of the indicators are rates bounded 0–100 (higher is better), half unbounded positive amounts
    (alternately higher and lower is better). Each series is a trend plus noise; each target asks for the
    series' own level plus a random step by the last year + 3. ``first_unit`` numbers the units from there,
    so that several calls (with their own seeds) make disjoint partitions of one large panel.

    Returns
    -------
    (Catalog, panel, targets)
        a catalogue holding the synthetic places, indicators and one plan per unit; the long panel
        (``jurisdiction_id, indicator_id, year, value, unit, source, flag``); the targets.
    """
    rng = np.random.default_rng(seed)
    numbers = range(first_unit, first_unit + n_units)
    units = [f"SYN-{i:05d}" for i in numbers]
    inds = [f"syn_indicator_{k:03d}" for k in range(n_indicators)]
    bounded = np.arange(n_indicators) % 2 == 0
    direction = np.where(bounded | (np.arange(n_indicators) % 4 == 1), 1, -1)
    years = np.arange(first_year, first_year + n_years)

    level0 = np.where(
        bounded,
        rng.uniform(60, 95, (n_units, n_indicators)),
        rng.lognormal(3, 0.5, (n_units, n_indicators)),
    )
    slope = rng.normal(0.01, 0.02, (n_units, n_indicators)) * level0
    noise = rng.normal(0, 0.01, (n_units, n_indicators, n_years)) * level0[..., None]
    t = (years - years[0])[None, None, :]
    values = level0[..., None] + slope[..., None] * t + noise
    values = np.where(bounded[None, :, None], np.clip(values, 0.5, 99.5), np.maximum(values, 0.01))

    uu, ii, yy = np.meshgrid(
        np.arange(n_units), np.arange(n_indicators), np.arange(n_years), indexing="ij"
    )
    panel = pd.DataFrame(
        {
            "jurisdiction_id": pd.Categorical.from_codes(uu.ravel(), units),
            "indicator_id": pd.Categorical.from_codes(ii.ravel(), inds),
            "year": years[yy.ravel()],
            "value": values.ravel(),
            "unit": np.where(bounded[ii.ravel()], "%", "万元"),
            "source": SOURCE.format(seed=seed),
            "flag": "",
        }
    )
    panel["jurisdiction_id"] = panel["jurisdiction_id"].astype(str)
    panel["indicator_id"] = panel["indicator_id"].astype(str)

    last = values[..., -1]
    step = rng.uniform(0.0, 0.1, (n_units, n_indicators)) * last * direction[None, :]
    target_value = np.where(bounded[None, :], np.clip(last + step, 1, 100), last + step)
    u2, i2 = np.meshgrid(np.arange(n_units), np.arange(n_indicators), indexing="ij")
    tg = pd.DataFrame(
        {
            "target_id": [
                f"syn-{first_unit + u:05d}-{k:03d}"
                for u, k in zip(u2.ravel(), i2.ravel(), strict=True)
            ],
            "plan_id": [f"syn-plan-{first_unit + u:05d}" for u in u2.ravel()],
            "jurisdiction_id": np.array(units)[u2.ravel()],
            "indicator_id": np.array(inds)[i2.ravel()],
            "target_type": "level",
            "comparator": np.where(direction[i2.ravel()] > 0, ">=", "<="),
            "target_value": target_value.ravel(),
            "target_year": int(years[-1] + 3),
        }
    )
    cat = Catalog(
        jurisdictions=pd.DataFrame(
            {
                "jurisdiction_id": units,
                "name_zh": [f"示例单位{i:05d}" for i in numbers],
                "name_en": [f"Synthetic unit {i}" for i in numbers],
                "level": "city",
                "parent_id": "",
            }
        ),
        indicators=pd.DataFrame(
            {
                "indicator_id": inds,
                "name_zh": [f"示例指标{k:03d}" for k in range(n_indicators)],
                "name_en": [f"Synthetic indicator {k}" for k in range(n_indicators)],
                "unit": np.where(bounded, "%", "万元"),
                "direction": direction,
                "domain": "product",
                "lower_limit": np.where(bounded, 0.0, 0.0),
                "upper_limit": np.where(bounded, 100.0, np.nan),
                "definition": "synthetic",
            }
        ),
        plans=pd.DataFrame(
            {
                "plan_id": [f"syn-plan-{u:05d}" for u in numbers],
                "jurisdiction_id": units,
                "title_zh": "示例方案(合成数据)",
                "issued": str(years[0]),
                "base_year": int(years[0]),
                "target_year": int(years[-1] + 3),
                "source_file": "",
            }
        ),
        targets=tg,
    )
    return cat, panel, tg


#: Target types :func:`synthetic_rule_panel` makes.
RULE_KINDS = ("level", "cumulative", "rank", "trend")


def synthetic_rule_panel(
    kind: str, n_units: int = 100, n_indicators: int = 10, n_years: int = 12, seed: int = 0
) -> tuple[Catalog, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`synthetic_panel` with every target of one type, and the cases each rule distinguishes.

    Used to check the rules against the per-target reference and to time them (``benchmarks/bench_rules.py``).
    A seeded ~10 % of values is dropped, so that series have gaps; 5 % of the series have no data and 5 % only
    their last year.

    - ``cumulative``: even indicators are stocks (flag ``cumulative``, made non-decreasing), odd ones annual
      flows; a fifth of the targets state a base value, a tenth carry the ``stock_or_addition`` caveat; the
      target asks for a seeded share of the additions the series makes.
    - ``rank``: top-k targets (k 1–10, a third "前列" without k), a quarter of them with a published rank
      in the returned rankings, a fifth of scope ``province`` (units fall into 7 provinces), a few ``peer_tier``.
    - ``trend``: "持续上升/下降" in the indicator's direction; a fifth state a base value.

    Returns
    -------
    (Catalog, panel, targets, rankings)
        ``rankings`` is empty except for ``rank``.
    """
    from dataclasses import replace

    if kind not in RULE_KINDS:
        raise ValueError(f"kind must be one of {RULE_KINDS}, got {kind!r}")
    cat, panel, tg = synthetic_panel(n_units, n_indicators, n_years, seed=seed)
    rng = np.random.default_rng(seed + 1)
    series = panel.groupby(["jurisdiction_id", "indicator_id"], sort=False).ngroup().to_numpy()
    fate = rng.random(series.max() + 1)[series]  # < 0.05: no data; < 0.10: the last year only
    last_year = panel["year"].to_numpy() == panel["year"].max()
    keep = (rng.random(len(panel)) > 0.1) & (fate >= 0.05) & ((fate >= 0.10) | last_year)
    panel = panel[keep].reset_index(drop=True)
    n = len(tg)
    tg = tg.assign(target_type=kind, scope="", caveat="")
    rankings = pd.DataFrame(columns=["jurisdiction_id", "indicator_id", "year", "rank", "n_ranked"])
    if kind == "cumulative":
        ind_no = panel["indicator_id"].str[-3:].astype(int).to_numpy()
        stock = ind_no % 2 == 0
        panel["flag"] = np.where(stock, "cumulative", "")
        panel = panel.sort_values(["jurisdiction_id", "indicator_id", "year"], kind="stable")
        running = panel.groupby(["jurisdiction_id", "indicator_id"])["value"].cummax()
        panel["value"] = np.where(stock, running, panel["value"]).round(1)
        panel = panel.reset_index(drop=True)
        totals = panel.groupby(["jurisdiction_id", "indicator_id"])["value"].agg(
            ["min", "max", "sum"]
        )
        key = pd.MultiIndex.from_frame(tg[["jurisdiction_id", "indicator_id"]])
        t_stock = tg["indicator_id"].str[-3:].astype(int).to_numpy() % 2 == 0
        made = np.where(
            t_stock,
            totals["max"].reindex(key).to_numpy() - totals["min"].reindex(key).to_numpy(),
            totals["sum"].reindex(key).to_numpy(),
        )
        tg["target_value"] = np.round(
            np.nan_to_num(made, nan=10.0) * rng.uniform(0.5, 1.5, n) + 1, 0
        )
        tg["comparator"] = ">="
        stated = rng.random(n) < 0.2
        tg["base_value"] = np.where(stated, np.round(rng.uniform(0, 50, n), 0), np.nan)
        tg["base_year"] = np.where(stated, float(panel["year"].min()), np.nan)
        tg["caveat"] = np.where(rng.random(n) < 0.1, "stock_or_addition", "")
        tg["target_year"] = int(panel["year"].max()) - rng.integers(-3, 4, n)
    elif kind == "rank":
        tg["target_value"] = np.where(rng.random(n) < 0.33, np.nan, rng.integers(1, 11, n))
        tg["comparator"] = "<="
        tg["scope"] = rng.choice(
            ["", "national", "province", "peer_tier"], n, p=[0.4, 0.35, 0.2, 0.05]
        )
        tg["target_year"] = int(panel["year"].max()) - rng.integers(-3, 4, n)
        units = cat.jurisdictions["jurisdiction_id"].to_numpy()
        parents = np.array([f"SYN-PROVINCE-{i % 7}" for i in range(len(units))])
        cat = replace(cat, jurisdictions=cat.jurisdictions.assign(parent_id=parents))
        published = tg[rng.random(n) < 0.25]
        years = panel["year"].unique()
        rows = published.loc[published.index.repeat(2)].reset_index(drop=True)
        rankings = pd.DataFrame(
            {
                "jurisdiction_id": rows["jurisdiction_id"],
                "indicator_id": rows["indicator_id"],
                "year": rng.choice(years, len(rows)),
                "rank": rng.integers(1, 30, len(rows)),
                "n_ranked": 30,
                "scope": rows["scope"].replace("", "national"),
                "ranking": "示例排名",
                "publisher": "示例发布机构",
                "source": SOURCE.format(seed=seed),
                "quote": "",
                "flag": "",
                "note": "",
            }
        ).drop_duplicates(["jurisdiction_id", "indicator_id", "scope", "year"])
        for col in ("year", "rank", "n_ranked"):
            rankings[col] = rankings[col].astype("Int64")
    elif kind == "trend":
        tg["target_value"] = np.nan
        panel["value"] = panel["value"].round(1)
        stated = rng.random(n) < 0.2
        tg["base_value"] = np.where(stated, np.round(rng.uniform(1, 90, n), 1), np.nan)
        tg["base_year"] = np.where(stated, float(panel["year"].min()), np.nan)
        tg["target_year"] = int(panel["year"].max()) - rng.integers(-3, 4, n)
    tg["target_year"] = tg["target_year"].astype(int)
    cat = replace(cat, targets=tg)
    return cat, panel, tg, rankings.reset_index(drop=True)


#: The fictional district of the synthetic example.
EXAMPLE_JURISDICTION = "SYN-DISTRICT"


def synthetic_plan_example(plan_id: str = "gongshu-2025", seed: int = 2025, last_year: int = 2024):
    """A fictional district (示例区) with full series for one real plan's level and trend targets.

    The plan's targets are copied to a plan ``example-<plan_id>`` of the fictional district; each series runs
    from six years before the plan's base year to ``last_year``, with a seeded mix of targets already met,
    on schedule, behind and falling back, so that every part of a report has something to show. Nothing here
    is real: ids start with ``SYN-`` / ``example-``, names say 示例 and every source says synthetic.

    Returns
    -------
    (Catalog, panel, targets)
    """
    from dataclasses import replace

    cat = load_catalog()
    plan = cat.plans.set_index("plan_id").loc[plan_id]
    rng = np.random.default_rng(seed)
    ex_plan = f"example-{plan_id}"
    tg = targets(plan_id)
    tg = tg[tg["target_type"].isin(["level", "trend"])].copy()
    tg["target_id"] = "example-" + tg["target_id"]
    tg["plan_id"] = ex_plan
    tg["jurisdiction_id"] = EXAMPLE_JURISDICTION
    # the generated series are on each target's own definition: the real plan's caveats do not apply
    tg["caveat"], tg["note"] = "", ""
    years = np.arange(int(plan.base_year) - 6, last_year + 1)
    ind = cat.indicators.set_index("indicator_id")
    rows = []
    fates = rng.choice(
        ["met", "ahead", "behind", "regressing"], size=len(tg), p=[0.3, 0.3, 0.25, 0.15]
    )
    for (_, t), fate in zip(tg.iterrows(), fates, strict=True):
        meta = ind.loc[t.indicator_id]
        d = float(meta.direction)
        hi = meta.upper_limit if pd.notna(meta.upper_limit) else np.inf
        target = t.target_value if pd.notna(t.target_value) else rng.uniform(40, 80)
        span = max(abs(target) * 0.08, 0.5)
        share = {"met": 1.15, "ahead": 0.85, "behind": 0.35, "regressing": -0.3}[fate]
        base = target - d * span
        path = base + d * span * share * np.clip(
            (years - plan.base_year) / (last_year - plan.base_year), -1, None
        )
        noise = rng.normal(0, span * 0.04, len(years))
        values = np.clip(path + noise, 0.0, hi)
        if hi == 100 and target >= 100:
            values = np.minimum(values, 100.0)
        rows += [
            {
                "jurisdiction_id": EXAMPLE_JURISDICTION,
                "indicator_id": t.indicator_id,
                "year": int(y),
                "value": float(v),
                "unit": meta.unit,
                "source": SOURCE.format(seed=seed),
                "quote": "",
                "flag": "",
                "note": "synthetic example",
            }
            for y, v in zip(years, values, strict=True)
        ]
    panel = pd.DataFrame(rows).drop_duplicates(["jurisdiction_id", "indicator_id", "year"])
    jur = pd.concat(
        [
            cat.jurisdictions,
            pd.DataFrame(
                [
                    {
                        "jurisdiction_id": EXAMPLE_JURISDICTION,
                        "name_zh": "示例区(虚构)",
                        "name_en": "Example district (fictional)",
                        "level": "district",
                        "parent_id": "",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    plans = pd.concat(
        [
            cat.plans,
            pd.DataFrame(
                [
                    {
                        **plan.to_dict(),
                        "plan_id": ex_plan,
                        "jurisdiction_id": EXAMPLE_JURISDICTION,
                        "title_zh": f"【示例数据(合成,非真实数据)】{plan.title_zh}",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    return replace(cat, jurisdictions=jur, plans=plans), panel, tg.reset_index(drop=True)


#: The example district's filled template: the synthetic example goes through the same path as office data.
EXAMPLE_DIR = "example"


def example_workbook(plan_id: str = "gongshu-2025") -> Path:
    """Where the filled example template of ``plan_id`` is shipped (``data/raw/example/``)."""
    return paths.DATA_RAW / EXAMPLE_DIR / f"示例数据_{plan_id}.xlsx"


def write_example_workbook(plan_id: str = "gongshu-2025", path: Path | str | None = None) -> Path:
    """Fill the plan's template for the fictional district with the generated series (rounded to two
    decimals, as an office types them) and write it. ``path`` defaults to a file under data/processed/;
    copy it to :func:`example_workbook` to ship it (``python -m qindex.synthetic``)."""
    from dataclasses import replace

    cat, panel, tg = synthetic_plan_example(plan_id)
    cat = replace(cat, targets=pd.concat([cat.targets, tg[cat.targets.columns]], ignore_index=True))
    fill = panel.assign(value=panel.value.round(2))
    years = sorted(panel.year.unique().tolist())
    out = (
        Path(path) if path else paths.DATA_PROCESSED / "templates" / example_workbook(plan_id).name
    )
    return write_template(
        f"example-{plan_id}", years=[int(y) for y in years], path=out, catalog=cat, fill=fill
    )


def example_panel(plan_id: str = "gongshu-2025"):
    """(Catalog, panel, targets) of the synthetic example, the panel read from its filled template with
    ``origin = synthetic``, exactly as the office's files are read."""
    cat, _, tg = synthetic_plan_example(plan_id)
    book = example_workbook(plan_id)
    if not book.is_file():
        raise ObservationError(
            [
                Problem(
                    str(book),
                    None,
                    None,
                    None,
                    f"the filled example template (python -m qindex.synthetic {plan_id})",
                )
            ]
        )
    data = read_office([book], cat, origin="synthetic")
    return cat, data.observations, tg


def annual_example(plan_id: str = "gongshu-2025"):
    """(Catalog, panel) of the synthetic annual report: the fictional 示例区 with the values of its filled example
    template (read as office data are) and its own plan ``example-<plan_id>``, placed under 杭州市 so that the
    plans above it and the same-year provincial and national values are the real, published ones, each cited
    with its source. The fictional place never enters the quality index."""
    from dataclasses import replace

    cat, obs, tg = example_panel(plan_id)
    jur = cat.jurisdictions.copy()
    jur.loc[jur.jurisdiction_id == EXAMPLE_JURISDICTION, "parent_id"] = "CN-ZJ-HZ"
    cat = replace(
        cat,
        jurisdictions=jur,
        targets=pd.concat([cat.targets, tg[cat.targets.columns]], ignore_index=True),
    )
    return cat, pd.concat([load_panel(), obs], ignore_index=True)


# ---------------------------------------------------------------- the 考核 example: a fictional city of 13 units

#: The example 考核 scheme and its filled workbook (``data/raw/example/kaohe/``).
KAOHE_DIR = paths.DATA_RAW / EXAMPLE_DIR / "kaohe"
KAOHE_SCHEME = KAOHE_DIR / "scheme.yaml"
KAOHE_WORKBOOK = KAOHE_DIR / "示例数据_考核.xlsx"


def kaohe_example_values(scheme, seed: int = 2024) -> dict:
    """Generated 考核 data of the example scheme's units for its year and the year before:
    ``{(unit_id, column, year): value}``. Each unit has a latent quality level; measured items follow it with
    noise, review scores (评审打分) too. One unit reports no complaint rate (未报送), one had a 较大质量安全事故,
    one a regional incident (一票否决), one a 中国质量奖 nomination: every rule of the scheme shows."""
    rng = np.random.default_rng(seed)
    units = scheme.unit_ids
    q = rng.normal(0, 1, len(units))
    out = {}
    for k, u in enumerate(units):
        for year, lag in ((scheme.year, 0.0), (scheme.year - 1, 0.3)):
            z = q[k] - lag

            def noise(s):
                return rng.normal(0, s)

            v = {
                "A1": min(99.5, 94.6 + 1.0 * z + noise(0.5)),
                "A2": scheme.assigned["A2"][u] * (0.93 + 0.06 * z + noise(0.04)),
                "A3": float(rng.poisson(max(0.5, 8 + 3 * z))),
                "A4": float(rng.poisson(max(0.5, 5.5 + 2 * z))),
                "A5": min(100.0, 98.7 + 0.8 * z + noise(0.4)),
                "A6": 83 + 2.5 * z + noise(1.2),
                "B1": min(99.9, 97.9 + 0.5 * z + noise(0.3)),
                "B2": max(0.5, 2.4 - 0.6 * z + noise(0.3)),
                "B3": 100.0 if z + noise(0.5) > -0.8 else round(96 + 2 * rng.random(), 1),
                **{
                    c: float(np.clip(np.round(2 * (8.2 + 0.9 * z + noise(0.5))) / 2, 0, 10))
                    for c in ("C1", "C2", "C3")
                },
                "K1": 0.0,
                "K2": float(rng.random() < 0.15),
                "J1": 0.0,
                "J2": float(rng.poisson(0.4)),
                "V1": 0.0,
            }
            for col, value in v.items():
                out[(u, col, year)] = round(float(value), 2)
    out[(units[11], "K1", scheme.year)] = 1.0  # 示例石桥县: a 较大质量安全事故, no grade A
    out[(units[10], "V1", scheme.year)] = 1.0  # 示例青山县: a regional incident, grade D
    out[(units[7], "J1", scheme.year)] = 1.0  # 示例高新区: a 中国质量奖提名奖
    del out[(units[12], "B2", scheme.year)]  # 示例云溪市 did not report its complaint rate
    return out


def write_kaohe_example(path: Path | str | None = None) -> Path:
    """Fill the example scheme's workbook (``qindex template --scheme``) with :func:`kaohe_example_values`, as
    an office would, and write it (default a file under data/processed/; ``python -m qindex.synthetic kaohe``
    copies it to :data:`KAOHE_WORKBOOK`)."""
    scheme = load_scheme(KAOHE_SCHEME)
    out = Path(path) if path else paths.DATA_PROCESSED / "templates" / KAOHE_WORKBOOK.name
    sources = {u: "示例数据(合成,非真实数据;seed 2024)" for u in scheme.unit_ids}
    return write_scheme_template(
        scheme, path=out, fill=kaohe_example_values(scheme), sources=sources
    )


if (
    __name__ == "__main__"
):  # python -m qindex.synthetic [plan_id | kaohe]: regenerate a shipped example
    import shutil
    import sys

    plan = sys.argv[1] if len(sys.argv) > 1 else "gongshu-2025"
    if plan == "kaohe":
        made = write_kaohe_example()
        shutil.copyfile(made, KAOHE_WORKBOOK)
        print(f"written {KAOHE_WORKBOOK}")
        sys.exit(0)
    made = write_example_workbook(plan)
    example_workbook(plan).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made, example_workbook(plan))
    print(f"written {example_workbook(plan)}")
