"""Analysis of a built index: correlations within and between levels, Cronbach's alpha, PCA explained
variance, data availability, each unit's strongest and weakest indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qindex.composite.build import IndexResult


def cronbach_alpha(frame: pd.DataFrame) -> float:
    """α = k/(k − 1)·(1 − Σ var(item)/var(Σ items)), complete rows only (sample variances)."""
    x = frame.dropna()
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def descendants(result: IndexResult, code: str, level: int = 1) -> list[str]:
    """Codes at ``level`` under ``code``."""
    fw = result.framework
    nodes = fw.nodes.set_index("code")
    out = []
    for c in nodes.index:
        cur = c
        while cur is not None:
            if cur == code and nodes.at[c, "level"] == level:
                out.append(c)
                break
            cur = nodes.at[cur, "parent"]
    return out


def correlations(result: IndexResult, level: int = 1, with_parent: bool = True) -> pd.DataFrame:
    """Pearson correlations of the scores of one level; with ``with_parent``, each code with its parent too.

    Returns a long frame ``code, other, correlation, relation`` (relation: sibling, other or parent).
    """
    nodes = result.framework.nodes.set_index("code")
    codes = nodes.index[nodes["level"] == level].tolist()
    s = result.scores
    c = s[codes].corr()
    rows = []
    for a in codes:
        for b in codes:
            if a < b:
                rel = "sibling" if nodes.at[a, "parent"] == nodes.at[b, "parent"] else "other"
                rows.append({"code": a, "other": b, "correlation": c.at[a, b], "relation": rel})
        if with_parent and nodes.at[a, "parent"] is not None:
            p = nodes.at[a, "parent"]
            rows.append(
                {"code": a, "other": p, "correlation": s[a].corr(s[p]), "relation": "parent"}
            )
    return pd.DataFrame(rows)


def pca_variance(result: IndexResult, code: str | None = None) -> pd.Series:
    """Share of variance explained by each principal component of the normalised indicators (under ``code``)."""
    cols = descendants(result, code) if code else result.framework.indicators
    x = result.stages["normalised"][cols].dropna()
    z = (x - x.mean()) / x.std(ddof=1)
    values = np.linalg.eigvalsh(np.corrcoef(z.to_numpy(), rowvar=False))[::-1]
    return pd.Series(values / values.sum(), index=[f"PC{i + 1}" for i in range(len(values))])


def availability(result: IndexResult) -> pd.DataFrame:
    """Per unit: share of indicators with data before imputation, number imputed, screened out or not."""
    imputed = (
        result.imputed_cells.sum(axis=1).reindex(result.availability.index).fillna(0).astype(int)
    )
    return pd.DataFrame(
        {
            "availability": result.availability,
            "n_imputed": imputed,
            "screened_out": result.availability.index.isin(result.screened_out.index),
        }
    )


def strengths_weaknesses(result: IndexResult, n: int = 3) -> pd.DataFrame:
    """Each unit's ``n`` best and worst indicators by rank among units (``unit, kind, code, rank``)."""
    ranks = result.stages["normalised"].rank(ascending=False, method="min")
    rows = []
    for unit, r in ranks.iterrows():
        r = r.dropna().sort_values(kind="stable")
        rows += [
            {"unit": unit, "kind": "strength", "code": c, "rank": v} for c, v in r.head(n).items()
        ]
        rows += [
            {"unit": unit, "kind": "weakness", "code": c, "rank": v}
            for c, v in r.tail(n)[::-1].items()
        ]
    return pd.DataFrame(rows)
