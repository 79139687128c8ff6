"""Air quality: HJ 633 AQI (2026 and 2012 editions), HJ 663 evaluation and the US EPA AQI.

A pure core: functions on numpy arrays and pandas frames, vectorised and exact (GB/T 8170
rounding and the IAQI's rounding up are decided on exact values). Only :mod:`zhicheng.air.io`
reads files.

Main entry points:

- :func:`iaqi` — individual index of concentrations, any edition;
- :func:`aqi_table` — AQI, primary / exceeding pollutants, level, colour from IAQIs;
- :func:`daily_aqi` — station-day statistics with validity and the daily AQI (HJ 633, or the
  US EPA's with ``standard="EPA2024"``: :func:`epa_daily_aqi`);
- :func:`hourly_aqi` — real-time AQI of every hourly row (:func:`realtime_aqi_values`: the
  HJ 633-2026 arrays-only fast path);
- :func:`annual_evaluation`, :func:`good_day_share` — HJ 663 annual evaluation;
- :func:`city_daily` — a city's daily figures from its stations.
"""

from zhicheng.air.annual import annual_evaluation, city_daily, good_day_share, hj663_percentile
from zhicheng.air.aqi import aqi_table, level_index
from zhicheng.air.breakpoints import edition_on, grade2_limits
from zhicheng.air.daily import add_daily_aqi, daily_statistics, hourly_grid
from zhicheng.air.editions import daily_aqi
from zhicheng.air.epa_daily import epa_daily_aqi
from zhicheng.air.errors import AirInputError
from zhicheng.air.iaqi import iaqi
from zhicheng.air.realtime import hourly_aqi, realtime_aqi_values
from zhicheng.air.rounding import round_half_even

__all__ = [
    "AirInputError",
    "add_daily_aqi",
    "annual_evaluation",
    "aqi_table",
    "city_daily",
    "daily_aqi",
    "daily_statistics",
    "edition_on",
    "epa_daily_aqi",
    "good_day_share",
    "grade2_limits",
    "hj663_percentile",
    "hourly_aqi",
    "hourly_grid",
    "iaqi",
    "level_index",
    "realtime_aqi_values",
    "round_half_even",
]
