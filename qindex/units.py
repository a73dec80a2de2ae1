"""Units as written in Chinese statistical tables, and conversion to an indicator's unit."""

from __future__ import annotations

import re
import unicodedata

#: Spellings of one unit, mapped to the spelling used in ``indicators.csv``.
SYNONYMS = {
    "percent": "%",
    "pct": "%",
    "百分比": "%",
    "百分点": "%",  # a level written in percentage points is a percent
    "千分比": "‰",
    "permille": "‰",
    "points": "分",
    "point": "分",
    "score": "分",
    "index": "指数",
    "ug/m3": "µg/m³",
    "μg/m3": "µg/m³",
    "µg/m3": "µg/m³",
    "μg/m³": "µg/m³",
    "微克/立方米": "µg/m³",
    "微克每立方米": "µg/m³",
    "家(次)": "家",
    "day": "天",
    "days": "天",
}
#: Scale prefixes of money and counts.
PREFIXES = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2}
#: Families of units that convert into each other by a factor (value in unit × factor = value in base).
RATIOS = {"%": ("share", 1.0), "‰": ("share", 0.1)}


def canonical(unit: str) -> str:
    """The unit written the way ``indicators.csv`` writes it ("µg/m3" → "µg/m³", "points" → "分")."""
    text = unicodedata.normalize("NFKC", str(unit)).strip()
    text = text.replace("（", "(").replace("）", ")")
    text = re.sub(r"\s+", "", text)
    # NFKC turns "µ" (micro sign) into "μ" (Greek mu); both mean micro.
    text = text.replace("μ", "µ")
    return SYNONYMS.get(text.lower(), SYNONYMS.get(text, text))


def _split_prefix(unit: str) -> tuple[float, str]:
    for prefix, factor in PREFIXES.items():
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return factor, unit[len(prefix) :]
    return 1.0, unit


def conversion_factor(given: str, wanted: str) -> float | None:
    """Factor ``f`` such that a value in ``given`` times ``f`` is in ``wanted``; ``None`` if they do not convert.

    Example
    -------
    >>> conversion_factor("元/人", "万元/人")
    0.0001
    >>> conversion_factor("‰", "%")
    0.1
    """
    g, w = canonical(given), canonical(wanted)
    if g == w:
        return 1.0
    if g in RATIOS and w in RATIOS:
        return RATIOS[g][1] / RATIOS[w][1]
    gf, gbase = _split_prefix(g)
    wf, wbase = _split_prefix(w)
    if gbase == wbase and gbase.startswith(("元", "个", "人", "件", "项", "家", "吨", "平方米")):
        return gf / wf
    return None
