"""Peaking status of emission series: peaked, plateau or still rising, by one stated rule.

Rule (applied to every unit's yearly series at once):

1. smooth the series with a centred 3-year moving mean (the ends use the years they have), so a
   single unusual year neither makes nor hides a peak;
2. the **peak** is the maximum of the smoothed series: its year and the raw value of that year;
3. the **recent trend** is the least-squares slope of the raw values of the last 5 years,
   relative to their mean [% per year];
4. the verdict:
   - ``peaked`` — the smoothed peak is at least 3 years before the last year and the last smoothed
     value is at least 5 % below it;
   - ``rising`` (still rising) — otherwise, when the recent trend exceeds +1 % per year;
   - ``plateau`` — otherwise (within ±1 % per year, or falling from a peak too recent or too
     shallow to call).

References
----------
The criteria follow the peaking assessments of the Chinese provincial literature on CEADs data
(e.g. Guan, D. et al. 2021, Earth's Future 9:e2021EF002241, "peaked" as a sustained decline from
a maximum) with explicit, adjustable thresholds (:class:`PeakRule`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VERDICTS: dict[str, tuple[str, str]] = {
    "peaked": ("已达峰", "Peaked"),
    "plateau": ("平台期", "Plateau"),
    "rising": ("仍在上升", "Still rising"),
    "unknown": ("数据不足", "Too few data"),
}
#: Scores of the verdicts when peaking feeds the goal model (higher is better).
VERDICT_LEVEL = {"rising": 0.0, "plateau": 1.0, "peaked": 2.0}


@dataclass(frozen=True)
class PeakRule:
    """Thresholds of the peaking rule (see the module docstring)."""

    window: int = 3
    min_years_since: int = 3
    min_drop: float = 0.05
    trend_years: int = 5
    rising_trend: float = 0.01
    min_points: int = 5


def assess(wide: pd.DataFrame, rule: PeakRule | None = None) -> pd.DataFrame:
    """Peaking status of every row of ``wide`` (units × years, emissions [Mt CO2], NaN = no value).

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``status``, ``peak_year``, ``peak_value`` [Mt CO2], ``last_year``,
        ``last_value`` [Mt CO2], ``years_since_peak``, ``drop_from_peak`` [fraction of the smoothed
        peak], ``trend`` [fraction per year, last 5 years], ``points`` (years with a value).

    References
    ----------
    The rule stated in this module's docstring (:class:`PeakRule` gives its thresholds).
    """
    rule = rule or PeakRule()
    wide = wide.sort_index(axis=1)
    years = np.asarray(wide.columns, dtype=int)
    values = wide.to_numpy(dtype=float)
    smooth = np.array(wide.T.rolling(rule.window, center=True, min_periods=1).mean().T.to_numpy(dtype=float))
    smooth[np.isnan(values)] = np.nan
    has = ~np.isnan(values)
    points = has.sum(axis=1)
    n = len(wide)
    out = pd.DataFrame(index=wide.index)
    peak_ix = np.where(points > 0, np.nanargmax(np.where(has, smooth, -np.inf), axis=1), 0)
    last_ix = np.where(points > 0, len(years) - 1 - np.argmax(has[:, ::-1], axis=1), 0)
    rows = np.arange(n)
    peak_smooth = smooth[rows, peak_ix]
    out["peak_year"] = years[peak_ix]
    out["peak_value"] = values[rows, peak_ix]
    out["last_year"] = years[last_ix]
    out["last_value"] = values[rows, last_ix]
    out["years_since_peak"] = out["last_year"] - out["peak_year"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["drop_from_peak"] = 1.0 - smooth[rows, last_ix] / peak_smooth
    # Trend: least squares over the last `trend_years` calendar years of each unit's own series.
    window = (years[None, :] > (years[last_ix] - rule.trend_years)[:, None]) & has
    x = np.where(window, years[None, :].astype(float), np.nan)
    y = np.where(window, values, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.nanmean(x, axis=1, keepdims=True)
        ym = np.nanmean(y, axis=1, keepdims=True)
        slope = np.nansum((x - xm) * (y - ym), axis=1) / np.nansum((x - xm) ** 2, axis=1)
        out["trend"] = slope / ym[:, 0]
    out["points"] = points
    peaked = (out["years_since_peak"] >= rule.min_years_since) & (out["drop_from_peak"] >= rule.min_drop)
    rising = ~peaked & (out["trend"] > rule.rising_trend)
    status = np.where(peaked, "peaked", np.where(rising, "rising", "plateau"))
    status = np.where(points < rule.min_points, "unknown", status)
    out.insert(0, "status", status)
    return out
