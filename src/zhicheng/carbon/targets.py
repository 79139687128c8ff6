"""Target paths per unit and the gap between a unit's trajectory and its path.

- an **intensity** target (CO2 per unit GDP ``reduction`` below the base year by the target year)
  gives the geometric path ``I(y) = I(base) · (1 − reduction)^((y − base)/(target − base))`` for
  base ≤ y ≤ target: the same yearly rate every year;
- a **cap** (at most ``cap`` Mt CO2 from the target year on) gives the straight line from the
  base-year emissions to the cap, flat afterwards; a **peak** target (peak by year Y) is the cap
  equal to the base-year emissions from Y on.

The gap is the unit's value minus the path's in the latest year both have (and relative to the
path); the **years needed at the recent rate** are ``ln(goal / current) / ln(1 + r)`` with ``r``
the unit's compound yearly rate of change over the last 5 years and ``goal`` the path's end value
(0 when already met; none when the unit moves away from the goal).

Official intensity targets are defined at constant prices; the GDP the store holds is nominal, so
paths built from it are labelled current prices (``prices``) and are not the official metric.

References
----------
National targets: see ``catalogue/targets.yaml`` (12th–14th Five-Year Plans; China's 2021 NDC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zhicheng.carbon.catalogue import Target

#: Years of the recent rate.
RECENT_YEARS = 5


def intensity_path(base_value: float, base_year: int, target_year: int, reduction: float, years: np.ndarray) -> np.ndarray:
    """The geometric intensity path [unit of ``base_value``] for ``years`` (NaN outside base…target).

    References
    ----------
    The path implied by a five-year-plan target "CO2 per unit GDP −x %" (equal yearly rate).
    """
    years = np.asarray(years, dtype=float)
    span = target_year - base_year
    frac = (years - base_year) / span
    out = base_value * (1.0 - reduction) ** frac
    return np.where((years >= base_year) & (years <= target_year), out, np.nan)


def cap_path(base_value: float, base_year: int, target_year: int, cap: float, years: np.ndarray) -> np.ndarray:
    """The straight path from ``base_value`` in ``base_year`` to ``cap`` in ``target_year``, flat after [Mt CO2]."""
    years = np.asarray(years, dtype=float)
    span = max(target_year - base_year, 1)
    out = base_value + (cap - base_value) * np.clip((years - base_year) / span, 0.0, 1.0)
    return np.where(years >= base_year, out, np.nan)


@dataclass(frozen=True)
class Assessment:
    """A unit against one target: the path, the gap and the years needed at the recent rate."""

    target_id: str
    metric: str
    prices: str | None
    base_year: int
    target_year: int
    base_value: float | None
    goal_value: float | None
    path: dict[int, float]
    latest_year: int | None
    latest_value: float | None
    path_value: float | None
    gap: float | None
    gap_share: float | None
    recent_rate: float | None
    years_needed: float | None
    on_track: bool | None
    note: str = ""


def recent_rate(series: pd.Series, years: int = RECENT_YEARS) -> float | None:
    """Compound yearly rate of change over the last ``years`` years of ``series`` (index = year).

    ``(v_last / v_first)^(1/(y_last − y_first)) − 1`` [fraction per year].
    """
    s = series.dropna()
    s = s[s > 0]
    if len(s) < 2:
        return None
    last = int(s.index.max())
    window = s[s.index >= last - years]
    first = int(window.index.min())
    if first == last:
        return None
    return float((window.loc[last] / window.loc[first]) ** (1.0 / (last - first)) - 1.0)


def years_needed(current: float, goal: float, rate: float | None) -> float | None:
    """Years to go from ``current`` to ``goal`` at the yearly ``rate`` (0 when met, None when moving away)."""
    if current <= goal:
        return 0.0
    if rate is None or rate >= 0 or goal <= 0:
        return None
    return math.log(goal / current) / math.log(1.0 + rate)


def assess(target: Target, series: pd.Series, *, metric: str, prices: str | None = None) -> Assessment:
    """A unit's ``series`` (index = year; intensity for intensity targets, Mt CO2 for caps) against ``target``."""
    s = series.dropna().sort_index()
    years = np.arange(target.base_year, target.target_year + 1)
    base = s.get(target.base_year)
    note = ""
    if base is None or not np.isfinite(base):
        return Assessment(target.id, metric, prices, target.base_year, target.target_year, None, None, {}, None, None,
                          None, None, None, recent_rate(s), None, None, f"no value for the base year {target.base_year}")
    if target.kind == "intensity":
        path = intensity_path(float(base), target.base_year, target.target_year, float(target.reduction or 0), years)
    else:
        cap = float(target.cap_mt if target.cap_mt is not None else base)
        path = cap_path(float(base), target.base_year, target.target_year, cap, years)
    path_map = {int(y): float(v) for y, v in zip(years, path, strict=True) if np.isfinite(v)}
    goal = path_map.get(target.target_year)
    common = [y for y in s.index if int(y) in path_map]
    rate = recent_rate(s)
    if not common:
        return Assessment(target.id, metric, prices, target.base_year, target.target_year, float(base), goal, path_map,
                          None, None, None, None, None, rate, None, None, "no value within the target period")
    latest = int(max(common))
    value = float(s.loc[latest])
    on_path = path_map[latest]
    current = float(s.iloc[-1])
    needed = years_needed(current, goal, rate) if goal is not None else None
    if latest < target.target_year:
        note = f"values end in {latest}, before the target year {target.target_year}"
    return Assessment(target.id, metric, prices, target.base_year, target.target_year, float(base), goal, path_map,
                      latest, value, on_path, value - on_path, value / on_path - 1.0, rate, needed, value <= on_path, note)
