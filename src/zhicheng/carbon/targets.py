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


def assess_many(wide: pd.DataFrame, target: Target, years: int = RECENT_YEARS) -> pd.DataFrame:
    """:func:`assess` for every row of ``wide`` (units × years) at once, without the path itself.

    Returns
    -------
    pandas.DataFrame
        Per unit: ``base_value``, ``goal_value``, ``latest_year`` (last year within the path with a
        value), ``latest_value``, ``path_value``, ``gap``, ``gap_share``, ``recent_rate`` [per year],
        ``years_needed`` (NaN when moving away from the goal or without a base value).
    """
    wide = wide.sort_index(axis=1)
    cols = np.asarray(wide.columns, dtype=int)
    vals = wide.to_numpy(dtype=float)
    out = pd.DataFrame(index=wide.index)
    if target.base_year not in cols:
        return out.assign(base_value=np.nan)
    base = vals[:, list(cols).index(target.base_year)]
    span = np.arange(target.base_year, target.target_year + 1)
    if target.kind == "intensity":
        rel = (1.0 - float(target.reduction or 0)) ** ((span - target.base_year) / (target.target_year - target.base_year))
        path = base[:, None] * rel[None, :]
        goal = base * rel[-1]
    else:
        cap = np.full_like(base, float(target.cap_mt)) if target.cap_mt is not None else base
        frac = np.clip((span - target.base_year) / max(target.target_year - target.base_year, 1), 0, 1)
        path = base[:, None] + (cap - base)[:, None] * frac[None, :]
        goal = cap
    inside = np.isin(cols, span)
    sub = vals[:, inside]
    sub_years = cols[inside]
    has = ~np.isnan(sub)
    any_ = has.any(axis=1)
    last = np.where(any_, has.shape[1] - 1 - np.argmax(has[:, ::-1], axis=1), 0)
    rows = np.arange(len(wide))
    latest_year = np.where(any_, sub_years[last] if len(sub_years) else 0, -1)
    latest_value = np.where(any_, sub[rows, last] if sub.size else np.nan, np.nan)
    path_value = np.where(any_, path[rows, np.clip(latest_year - target.base_year, 0, len(span) - 1)], np.nan)
    # Recent compound rate: the last value and the value `years` before it (or the earliest after that).
    has_all = ~np.isnan(vals) & (vals > 0)
    last_all = np.where(has_all.any(axis=1), len(cols) - 1 - np.argmax(has_all[:, ::-1], axis=1), 0)
    window = has_all & (cols[None, :] >= (cols[last_all] - years)[:, None])
    first_all = np.argmax(window, axis=1)
    dt = (cols[last_all] - cols[first_all]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(dt > 0, (vals[rows, last_all] / vals[rows, first_all]) ** (1.0 / dt) - 1.0, np.nan)
        current = vals[rows, last_all]
        needed = np.where(current <= goal, 0.0, np.where((rate < 0) & (goal > 0), np.log(goal / current) / np.log1p(rate), np.nan))
    out["base_value"] = base
    out["goal_value"] = goal
    out["latest_year"] = latest_year
    out["latest_value"] = latest_value
    out["path_value"] = path_value
    out["gap"] = latest_value - path_value
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gap_share"] = latest_value / path_value - 1.0
    out["recent_rate"] = rate
    out["years_needed"] = needed
    return out
