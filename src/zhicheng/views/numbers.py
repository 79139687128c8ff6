"""The one rule by which numbers people read are rounded, in the pages, the exports and the reports.

A value is rounded once, from its exact binary value, half away from zero, to the decimals of its
unit of measure (:mod:`zhicheng.views.measures`; scores to one decimal). The cockpit's
``format.js`` applies the same rule (JavaScript's ``Number.prototype.toFixed``), so a chart's label
and the table beside it never disagree (never 48.0 beside 47.9) and no float noise is shown.
"""

from __future__ import annotations

import math

from zhicheng.numfmt import round_to
from zhicheng.views.measures import SCORE_DECIMALS, decimals


def rounded(value: float | None, places: int) -> float | None:
    """``value`` rounded to ``places`` decimals, half away from zero on its exact binary value.

    Parameters
    ----------
    value
        Any finite number (None passes through).
    places
        Decimals kept (0 or more).

    References
    ----------
    ECMA-262, 15th ed., §21.1.3.3 ``Number.prototype.toFixed`` (the browser's rule, matched here
    by :func:`zhicheng.numfmt.round_to`, the one implementation).
    """
    if value is None or not math.isfinite(value):
        return None
    return round_to(value, places)


def text(value: float | None, places: int, lang: str = "zh") -> str:
    """``value`` as text with ``places`` decimals and digit grouping; ``—`` when there is none."""
    r = rounded(value, places)
    if r is None:
        return "—"
    return f"{r:,.{places}f}"


def score(value: float | None) -> float | None:
    """A score [points] rounded as the pages show it (one decimal)."""
    return rounded(value, SCORE_DECIMALS)


def amount(value: float | None, unit: str | None) -> float | None:
    """A raw value rounded to the decimals of its unit of measure."""
    return rounded(value, decimals(unit))
