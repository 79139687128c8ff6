"""Units of measure as people read them: a Chinese and an English label and the decimals shown.

The goal model states each indicator's unit of measure as a short code (``per 100 residents``,
``t CO2/person``); pages, exports and reports name it in the reader's language and round values
of it to the same number of decimals (:mod:`zhicheng.views.numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """A unit of measure: its labels and how many decimals its values are shown with."""

    zh: str
    en: str
    decimals: int

    def label(self, lang: str) -> str:
        """The label in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh


#: Decimals of a value whose unit of measure is not listed.
DEFAULT_DECIMALS = 2
#: Decimals of scores [points, 0–100].
SCORE_DECIMALS = 1

MEASURES: dict[str, Measure] = {
    "%": Measure("%", "%", 1),
    "% vs path": Measure("%（相对目标路径）", "% vs path", 1),
    "per 100 residents": Measure("每百人", "per 100 residents", 1),
    "per 10k residents": Measure("每万人", "per 10k residents", 1),
    "per 100k residents": Measure("每十万人", "per 100k residents", 1),
    "per million residents": Measure("每百万人", "per million residents", 1),
    "per 1000 students": Measure("每千名学生", "per 1,000 students", 1),
    "per 100 km²": Measure("每百平方千米", "per 100 km²", 1),
    "PFLOPS per 10k residents": Measure("PFLOPS/万人", "PFLOPS per 10k residents", 3),
    "CNY/person": Measure("元/人", "CNY/person", 0),
    "kWh/person": Measure("千瓦时/人", "kWh/person", 0),
    "t CO2/person": Measure("吨CO₂/人", "t CO₂/person", 2),
    "t CO2/10^4 CNY": Measure("吨CO₂/万元", "t CO₂/10⁴ CNY", 2),
    "tce/10^4 CNY": Measure("吨标准煤/万元", "tce/10⁴ CNY", 3),
    "µg/m³": Measure("微克/立方米", "µg/m³", 0),
    "score 0-100": Measure("分（0–100）", "score 0–100", 1),
    "ratio": Measure("比值", "ratio", 2),
    "h": Measure("小时", "h", 1),
    "min": Measure("分钟", "min", 0),
    "days": Measure("天", "days", 1),
    "level": Measure("级", "level", 0),
    "count": Measure("个", "count", 0),
}


def measure(unit: str | None) -> Measure | None:
    """The unit of measure ``unit`` (None when there is none); an unlisted one keeps its code."""
    if not unit:
        return None
    return MEASURES.get(unit) or Measure(unit, unit, DEFAULT_DECIMALS)


def unit_label(unit: str | None, lang: str) -> str | None:
    """The unit of measure's label in ``lang`` (None when the value has no unit)."""
    found = measure(unit)
    return found.label(lang) if found else None


def decimals(unit: str | None) -> int:
    """How many decimals values of ``unit`` are shown with."""
    found = measure(unit)
    return found.decimals if found else DEFAULT_DECIMALS


def public(lang: str) -> dict[str, dict[str, object]]:
    """Every listed unit of measure with its label in ``lang`` and its decimals (for the pages)."""
    return {code: {"label": m.label(lang), "decimals": m.decimals} for code, m in MEASURES.items()}
