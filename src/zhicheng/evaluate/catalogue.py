"""What intake needs to know about indicators: ids, units and plausible ranges, from a framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework


@dataclass(frozen=True)
class Catalogue:
    """The indicators values may be stored for, with each one's unit and plausible range."""

    ids: frozenset[str]
    unit: dict[str, str] = field(default_factory=dict)
    low: dict[str, float] = field(default_factory=dict)
    high: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_framework(cls, framework: Framework) -> Catalogue:
        """The catalogue of a goal-model ``Framework`` (its ``indicators()``)."""
        ids: set[str] = set()
        unit: dict[str, str] = {}
        low: dict[str, float] = {}
        high: dict[str, float] = {}
        for ind in framework.indicators():
            ids.add(ind.id)
            if getattr(ind, "unit", None):
                unit[ind.id] = str(ind.unit).strip()
            plausible = getattr(ind, "plausible", None)
            if plausible is not None:
                lo, hi = plausible
                if lo is not None:
                    low[ind.id] = float(lo)
                if hi is not None:
                    high[ind.id] = float(hi)
        return cls(frozenset(ids), unit, low, high)

    @classmethod
    def builtin(cls) -> Catalogue:
        """The built-in framework's catalogue."""
        from zhicheng.goals import builtin_framework

        return cls.from_framework(builtin_framework())

    def percent_ids(self) -> set[str]:
        """Indicators measured in per cent."""
        return {i for i, u in self.unit.items() if u in {"%", "％", "percent"}}
