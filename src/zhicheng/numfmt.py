"""The one number formatter for what people read: the cockpit's rules, in Python.

The cockpit (``cockpit/static/js/format.js``) shows a score [0–100 points] with one decimal, a raw
indicator value with at most two decimals grouped in the page's language, and a share as a whole
percent; an absent number is a dash. The reports and the spreadsheets for people use these
functions so that a number reads the same everywhere. Precision is stated, never float noise
(``99.97648959184583`` reads ``100.0``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: Decimals of a score, an attainment or a lift [points] (cockpit ``score``).
SCORE_DECIMALS = 1
#: At most this many decimals of a raw indicator value (cockpit ``amount``, ``maximumFractionDigits: 2``).
AMOUNT_DECIMALS = 2
#: Decimals of a share shown as a percent (cockpit ``percent``).
PERCENT_DECIMALS = 0
#: What an absent number reads as.
DASH = "—"


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas' NA and NaT (anything that is not a finite number or text)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaN-like values (numpy floats, pandas NA) are not equal to themselves
    except (TypeError, ValueError):
        return False


def _js_fixed(value: float, decimals: int) -> str:
    """``Number.prototype.toFixed``: the decimal expansion of the double, rounded half up in magnitude."""
    q = Decimal(1).scaleb(-decimals)
    exact = Decimal(value)  # the double's exact value, as JavaScript rounds it
    text = f"{abs(exact).quantize(q, rounding=ROUND_HALF_UP):f}"
    return ("-" + text) if exact < 0 else text  # toFixed keeps the sign of a negative that rounds to 0


def round_to(value: Any, decimals: int) -> float | None:
    """``value`` rounded to ``decimals`` as the formatter shows it (None when absent)."""
    if is_missing(value):
        return None
    return float(_js_fixed(float(value), decimals))


def score(value: Any) -> str:
    """A score, attainment or lift [points] with one decimal, or a dash (cockpit ``score``)."""
    return DASH if is_missing(value) else _js_fixed(float(value), SCORE_DECIMALS)


def amount(value: Any, lang: str = "zh", decimals: int = AMOUNT_DECIMALS) -> str:
    """A raw indicator value with exactly ``decimals`` decimals, thousands grouped (cockpit ``amount``).

    As ``format.js``: rounded once by ``toFixed`` (half up on the double's exact value), then
    written with ``Intl.NumberFormat``, which groups by three digits with a comma in both zh-CN and
    en-US and keeps the sign of a negative that rounds to zero (``-0.001`` → ``-0.00``).
    """
    if is_missing(value):
        return DASH
    fixed = _js_fixed(float(value), decimals)
    negative = fixed.startswith("-")
    whole, _, frac = fixed.lstrip("-").partition(".")
    text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return ("-" + text) if negative else text


def percent(share: Any) -> str:
    """A share [0–1] as a whole percent, ``62%`` (cockpit ``percent``)."""
    return DASH if is_missing(share) else f"{_js_fixed(float(share) * 100, PERCENT_DECIMALS)}%"


def integer(value: Any) -> str:
    """A count or a rank, or a dash."""
    return DASH if is_missing(value) else str(int(value))


def interval(bounds: Any) -> str:
    """A rank interval ``(low, high)`` as ``3–7``, or a dash."""
    if not bounds or any(is_missing(b) for b in bounds):
        return DASH
    return f"{int(bounds[0])}–{int(bounds[1])}"
