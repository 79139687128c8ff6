"""The daily AQI in any edition: HJ 633 (2026 or 2012, by day) or the US EPA's (``EPA2024``)."""

from __future__ import annotations

import pandas as pd

from zhicheng.air.breakpoints import Standard
from zhicheng.air.daily import add_daily_aqi, daily_statistics, hourly_grid
from zhicheng.air.epa_daily import epa_daily_aqi


def daily_aqi(
    hourly: pd.DataFrame, standard: Standard | None = None, hour_label: str = "start"
) -> pd.DataFrame:
    """Daily AQI of every station-day from hourly concentrations.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time`` and ``so2``, ``no2``, ``co``, ``o3``, ``pm10``, ``pm25``
        in [µg/m³] (CO [mg/m³]); NaN for a missing hour. One row per station-hour.
    standard : {"HJ633-2026", "HJ633-2012", "EPA2024"}, optional
        Edition; default: the edition in force on each day. ``"EPA2024"`` gives the US EPA
        daily AQI (:func:`zhicheng.air.epa_daily.epa_daily_aqi`, its own columns in EPA units).
    hour_label : {"start", "end"}
        What the hour labels mark (the Beijing files: ``"start"``).

    Returns
    -------
    pandas.DataFrame
        One row per station-day: ``date``, ``station``, ``standard``, the daily statistics
        (NA when invalid) and their ``_valid`` flags, hours counted, the IAQIs, ``aqi``,
        ``primary``, ``exceeding`` (2012), ``level``, ``level_en``, ``grade``, ``colour``,
        ``valid`` and ``missing`` (invalid items).

    Raises
    ------
    AirInputError
        Missing columns, non-numeric or negative values, bad times, duplicate station-hours,
        an unknown hour label or standard.

    References
    ----------
    HJ 633-2026 §4.2.2, §5.3.1; HJ 633-2012 §5.1.2; GB 3095-2026 Table 4; HJ 663-2013 §6.1.2;
    GB/T 8170-2008 §3.2.
    """
    if standard == "EPA2024":
        return epa_daily_aqi(hourly, hour_label)
    grid = hourly_grid(hourly, hour_label)
    return add_daily_aqi(daily_statistics(grid), standard)
