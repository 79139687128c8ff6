"""US EPA daily AQI (EPA2024) from hourly concentrations in µg/m³ (CO mg/m³), vectorised.

The hourly rows are placed on the same station × day × 24 grid as the HJ 633 path
(:func:`zhicheng.air.daily.hourly_grid`), held as integers of 1e-6 of their unit. Each daily
statistic is formed exactly on those integers, converted to the EPA's unit with exact
rational arithmetic and **truncated** (EPA-454/B-24-002, "Calculating the AQI", step 1), so a
concentration on a breakpoint is never pushed across it by binary floating point.

Unit conversion (EPA reference conditions, 25 °C and 1 atm, where one mole of an ideal gas
occupies 24.45 L): ``ppb = µg/m³ × 24.45 / M`` and ``ppm = mg/m³ × 24.45 / M``, with the
molecular weights M [g/mol] of :data:`MOLECULAR_WEIGHTS` (SO2 64.066, NO2 46.0055,
O3 47.997, CO 28.010). O3 is reported in ppm (ppb / 1000), CO in ppm from mg/m³, SO2 and NO2
in ppb; PM2.5 and PM10 stay in µg/m³.

Daily items (the TAD's daily AQI, one value per pollutant and day, midnight to midnight):

============  =========================================  ======  ===========  ===============
item          statistic                                  unit    truncation   validity
============  =========================================  ======  ===========  ===============
pm25_24h      24 h mean                                  µg/m³   0.1          >= 18 of 24 h
pm10_24h      24 h mean                                  µg/m³   1            >= 18 of 24 h
o3_8h_max     daily maximum 8 h mean                     ppm     0.001        >= 13 windows
o3_1h_max     daily maximum 1 h value                    ppm     0.001        >= 18 of 24 h
co_8h_max     daily maximum 8 h mean                     ppm     0.1          >= 13 windows
so2_1h_max    daily maximum 1 h value                    ppb     1            >= 18 of 24 h
so2_24h       24 h mean (used only when 1 h >= 305 ppb)  ppb     1            >= 18 of 24 h
no2_1h_max    daily maximum 1 h value                    ppb     1            >= 18 of 24 h
============  =========================================  ======  ===========  ===============

Conventions (each a choice where the TAD leaves the detail to the agency):

- Completeness is the EPA's 75 % rule, not GB 3095's 20 hours: a 24 h mean or a daily 1 h
  maximum needs >= 18 of the 24 hourly values; an 8 h mean needs >= 6 of its 8 hours; a daily
  maximum 8 h mean needs >= 13 of its 17 windows (75 %), or fewer when the O3 value exceeds
  the 0.070 ppm level of the standard (40 CFR Part 50 Appendix U §3(b)); CO has no such
  exception. An invalid statistic is NA and has no index; it is never estimated.
- The 17 8 h windows are those of the HJ path, hours 0–7 … 16–23 of the day (ending 08:00 …
  24:00), so that a day's AQI uses that day's hours only. (Appendix U's design-value windows
  start at 07:00 … 23:00 and reach into the next day; they are not used here.)
- O3: the index is the higher of the 8 h and the 1 h index where the 1 h index is defined
  (1 h O3 >= 0.125 ppm); above 0.200 ppm the 8 h table stops and only the 1 h index remains.
  Both appear as items (``O3_8h``, ``O3_1h``); the AQI, their maximum, reports the higher.
- SO2: below 305 ppb the 1 h maximum gives the index; at 305 ppb and above the 1 h table
  stops and the 24 h mean is used (rows 305–604, 605–1004). A 1 h maximum >= 305 ppb with a
  24 h mean below 305 ppb is not covered by the table: the SO2 index is then NA
  (docs/standards/air-quality-rules.md §15).
- A day is valid when every required item is valid: PM2.5, PM10, O3 8 h, CO, SO2 1 h and NO2,
  plus the SO2 24 h mean when the 1 h maximum is >= 305 ppb and the O3 1 h maximum when the
  8 h value is above 0.200 ppm. The AQI is the maximum of the indices present (as for the
  EPA in :func:`zhicheng.air.aqi.aqi_table`).

References
----------
.. [1] EPA-454/B-24-002, Technical Assistance Document for the Reporting of Daily Air
   Quality – the Air Quality Index (AQI), May 2024: "Calculating the AQI" (truncation,
   Equation 1), the breakpoint table (Table 6) and its notes on 1 h O3 and 24 h SO2, the AQI
   categories and colours (Table 1).
.. [2] 40 CFR Part 50 (reference conditions 25 °C and 760 mm Hg for gaseous pollutants,
   §50.3); Appendix U §3 (8 h O3 averages: 6 of 8 hours; daily maximum: 13 of 17 windows or
   above the standard); Appendix N, S, T (75 % daily completeness for PM, NO2 and SO2).
.. [3] 40 CFR Part 58 Appendix G, Table 2 and its notes (8 h O3 above 0.200 ppm, 1 h SO2 at
   305 ppb and above).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.aqi import aqi_table, int_array, labels_from_bits
from zhicheng.air.breakpoints import EPA2024, POLLUTANTS, Period, Pollutant
from zhicheng.air.daily import LCM_8H, HourlyGrid, best_8h, hourly_grid, station_days
from zhicheng.air.iaqi import epa_iaqi_decimal
from zhicheng.air.rounding import SCALE, FloatArray, IntArray

#: Molar volume of an ideal gas at the EPA reference conditions, 25 °C and 1 atm [L/mol].
MOLAR_VOLUME: Final[str] = "24.45"
#: Molecular weights [g/mol] used for the conversion to mixing ratios.
MOLECULAR_WEIGHTS: Final[dict[str, str]] = {
    "so2": "64.066",
    "no2": "46.0055",
    "o3": "47.997",
    "co": "28.010",
}
#: The EPA unit of each pollutant.
EPA_UNITS: Final[dict[str, str]] = {
    "so2": "ppb", "no2": "ppb", "o3": "ppm", "co": "ppm", "pm10": "ug/m3", "pm25": "ug/m3",
}  # fmt: skip

MIN_HOURS_24H_EPA: Final = 18  # 75 % of 24 hours
MIN_WINDOWS_8H_EPA: Final = 13  # 75 % of 17 windows (40 CFR 50 Appendix U §3(b))
O3_8H_LEVEL: Final = 70  # 0.070 ppm in 0.001 ppm: the MDA8 completeness exception
SO2_1H_TOP: Final = 305  # ppb: from here the 24 h SO2 value is used

#: EPA daily items: (item, pollutant, statistic, EPA period of the breakpoint column).
EPA_ITEMS: Final[tuple[tuple[str, Pollutant, str, Period], ...]] = (
    ("pm25_24h", "pm25", "mean", "24h"),
    ("pm10_24h", "pm10", "mean", "24h"),
    ("o3_8h_max", "o3", "max8", "8h"),
    ("o3_1h_max", "o3", "max1", "1h"),
    ("co_8h_max", "co", "max8", "8h"),
    ("so2_1h_max", "so2", "max1", "1h"),
    ("so2_24h", "so2", "mean", "24h"),
    ("no2_1h_max", "no2", "max1", "1h"),
)
#: Names of the items in ``primary`` and ``missing``.
EPA_ITEM_NAMES: Final[dict[str, str]] = {
    "pm25_24h": "PM2.5",
    "pm10_24h": "PM10",
    "o3_8h_max": "O3_8h",
    "o3_1h_max": "O3_1h",
    "co_8h_max": "CO",
    "so2_1h_max": "SO2_1h",
    "so2_24h": "SO2_24h",
    "no2_1h_max": "NO2",
}
_UNIT_SUFFIX: Final[dict[str, str]] = {"ppb": "ppb", "ppm": "ppm", "ug/m3": "ugm3"}


def stat_column(item: str, pollutant: Pollutant) -> str:
    """Output column of an item's statistic, with its EPA unit (``o3_8h_max_ppm``)."""
    return f"{item}_{_UNIT_SUFFIX[EPA_UNITS[pollutant]]}"


#: Columns of the EPA daily table written by the CLI.
EPA_DAILY_COLUMNS: Final[list[str]] = [
    "date",
    "station",
    "standard",
    *(stat_column(item, p) for item, p, _, _ in EPA_ITEMS),
    *(f"iaqi_{item}" for item, _, _, _ in EPA_ITEMS),
    "aqi",
    "level",
    "level_en",
    "colour",
    "primary",
    "valid",
    "missing",
]


def conversion_factor(pollutant: Pollutant) -> Fraction:
    """Exact factor from µg/m³ (CO mg/m³) to the EPA unit at 25 °C and 1 atm.

    ``ppb = µg/m³ × 24.45 / M``; O3 in ppm is that / 1000; CO ``ppm = mg/m³ × 24.45 / M``;
    PM: 1 (µg/m³ both sides).

    Parameters
    ----------
    pollutant : {"so2", "no2", "co", "o3", "pm10", "pm25"}
        The pollutant.

    Returns
    -------
    fractions.Fraction
        SO2 24.45/64.066 ≈ 0.38164 ppb per µg/m³; NO2 24.45/46.0055 ≈ 0.53146 ppb per µg/m³;
        O3 24.45/47.997/1000 ≈ 5.0940e-4 ppm per µg/m³; CO 24.45/28.010 ≈ 0.87290 ppm per
        mg/m³.

    References
    ----------
    40 CFR Part 50 §50.3 (reference conditions 25 °C, 760 mm Hg); EPA-454/B-24-002 (2024)
    (AQI units: O3 and CO ppm, SO2 and NO2 ppb, PM µg/m³).
    """
    if pollutant in ("pm10", "pm25"):
        return Fraction(1)
    factor = Fraction(MOLAR_VOLUME) / Fraction(MOLECULAR_WEIGHTS[pollutant])
    return factor / 1000 if pollutant == "o3" else factor


def to_epa_units(pollutant: Pollutant, concentration: npt.ArrayLike) -> FloatArray:
    """Convert µg/m³ (CO mg/m³) to the EPA unit (O3, CO ppm; SO2, NO2 ppb; PM µg/m³).

    Parameters
    ----------
    pollutant : {"so2", "no2", "co", "o3", "pm10", "pm25"}
        The pollutant.
    concentration : array_like
        Concentrations [µg/m³], CO [mg/m³]; NaN stays NaN.

    Returns
    -------
    ndarray of float64
        Concentrations in the EPA unit, not truncated.

    References
    ----------
    40 CFR Part 50 §50.3; EPA-454/B-24-002 (2024). See :func:`conversion_factor`.
    """
    return np.asarray(concentration, dtype=np.float64) * float(conversion_factor(pollutant))


def truncated_epa(pollutant: Pollutant, total: IntArray, count: npt.ArrayLike, scale: int) -> IntArray:
    """``floor(total / count × factor × scale)``, exactly, for hourly units of 1e-6.

    Parameters
    ----------
    pollutant : str
        The pollutant (its :func:`conversion_factor`).
    total, count : ndarray of int
        The exact statistic is ``total / count`` in integers of 1e-6 of µg/m³ (CO mg/m³);
        ``count > 0``.
    scale : int
        Truncation resolution, units per EPA unit (1000 for O3 in 0.001 ppm).

    Returns
    -------
    ndarray of int64
        The statistic in the EPA unit, truncated to ``1/scale``, as an integer.

    References
    ----------
    EPA-454/B-24-002 (2024), "Calculating the AQI", step 1 (truncate).
    """
    f = conversion_factor(pollutant) * scale / SCALE
    num, den = f.numerator, f.denominator
    t = np.asarray(total, dtype=np.int64)
    n = np.asarray(count, dtype=np.int64)
    limit = np.iinfo(np.int64).max
    if t.size and (int(t.max()) > limit // num or int(n.max()) > limit // den):
        exact = (t.astype(object) * num) // (n.astype(object) * den)  # Python integers
        return np.asarray(exact, dtype=np.int64)
    return np.asarray((t * num) // (n * den), dtype=np.int64)


def _statistic(
    kind: str, units: IntArray, present: npt.NDArray[np.bool_]
) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Exact statistic ``total / count`` (hourly units), its basis and completeness (75 %).

    The basis is the number of hours present, or of valid 8 h windows for ``"max8"``.
    """
    hours = present.sum(axis=-1).astype(np.int64)
    if kind == "mean":
        return units.sum(axis=-1), np.maximum(hours, 1), hours, hours >= MIN_HOURS_24H_EPA
    if kind == "max1":
        top = np.maximum(np.where(present, units, -1).max(axis=-1), 0)
        return top, np.ones_like(hours), hours, hours >= MIN_HOURS_24H_EPA
    best, windows = best_8h(units, present)
    return best, np.full_like(hours, LCM_8H), windows, windows >= MIN_WINDOWS_8H_EPA


def epa_daily_statistics(grid: HourlyGrid) -> pd.DataFrame:
    """EPA daily statistics in EPA units, truncated, with their validity.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``station``; for each item of :data:`EPA_ITEMS` its truncated value in the
        EPA unit (column :func:`stat_column`, NA when invalid) and ``<item>_valid``;
        ``<pollutant>_hours``; and ``_<item>_units``, the truncated value as an integer of
        its truncation step (read and dropped by :func:`add_epa_daily_aqi`).

    References
    ----------
    EPA-454/B-24-002 (2024); 40 CFR Part 50 Appendix U §3 (8 h O3 completeness).
    """
    dates, stations, flat, pres = station_days(grid)
    out: dict[str, object] = {"date": dates, "station": stations}
    for item, p, kind, period in EPA_ITEMS:
        scale = EPA2024[(p, period)].scale
        total, count, basis, valid = _statistic(kind, flat[p], pres[p])
        c = truncated_epa(p, total, count, scale)
        if kind == "max8" and p == "o3":
            # Appendix U §3(b): fewer than 13 windows, but above the 0.070 ppm standard.
            valid = valid | ((basis > 0) & (c > O3_8H_LEVEL))
        out[stat_column(item, p)] = np.where(valid, c / scale, np.nan)
        out[f"{item}_valid"] = valid
        out[f"_{item}_units"] = c  # truncated integers, dropped below
    for name in flat:
        out[f"{name}_hours"] = pres[name].sum(axis=1)
    return pd.DataFrame(out)


def _iaqis(stats: pd.DataFrame) -> tuple[dict[str, FloatArray], IntArray]:
    """Index of each item (NA where invalid or not used) and the bits of missing items."""
    n = len(stats)
    iaqis: dict[str, FloatArray] = {}
    valid = {item: stats[f"{item}_valid"].to_numpy(dtype=bool) for item, _, _, _ in EPA_ITEMS}
    units = {item: stats[f"_{item}_units"].to_numpy(dtype=np.int64) for item, _, _, _ in EPA_ITEMS}
    for item, p, _, period in EPA_ITEMS:
        scale = EPA2024[(p, period)].scale
        units9 = units[item] * (10**9 // scale)
        iaqis[item] = epa_iaqi_decimal(p, period, units9, valid[item])
    so2_high = valid["so2_1h_max"] & (units["so2_1h_max"] >= SO2_1H_TOP)
    iaqis["so2_24h"][~so2_high] = np.nan  # the 24 h SO2 only where the 1 h is >= 305 ppb
    o3_high = valid["o3_8h_max"] & (units["o3_8h_max"] > EPA2024[("o3", "8h")].rows[-1][1])
    required = {item: np.ones(n, dtype=bool) for item in valid}
    required["so2_24h"] = so2_high
    required["o3_1h_max"] = o3_high
    missing = np.zeros(n, dtype=np.int64)
    for j, (item, _, _, _) in enumerate(EPA_ITEMS):
        missing |= (required[item] & ~valid[item]).astype(np.int64) << j
    return iaqis, missing


def add_epa_daily_aqi(stats: pd.DataFrame) -> pd.DataFrame:
    """Add the EPA indices, AQI, primary pollutant(s), category, colour and day validity.

    Parameters
    ----------
    stats : pandas.DataFrame
        The output of :func:`epa_daily_statistics`.

    Returns
    -------
    pandas.DataFrame
        ``stats`` with ``standard`` (``"EPA2024"``), ``iaqi_<item>`` (Int64), ``aqi``,
        ``primary`` (items with the AQI when it is above 50; ties all listed), ``level``,
        ``level_en`` (Good … Hazardous), ``colour`` (EPA hex), ``valid`` and ``missing``.

    References
    ----------
    EPA-454/B-24-002 (2024): the AQI is the highest index, its pollutant the responsible one;
    Table 1 (categories and colours).
    """
    iaqis, missing = _iaqis(stats)
    result = stats.drop(columns=[f"_{item}_units" for item, _, _, _ in EPA_ITEMS])
    result.insert(
        2,
        "standard",
        pd.Series(
            pd.Categorical(["EPA2024"] * len(stats), categories=["EPA2024"]), index=result.index
        ),
    )
    for item, _, _, _ in EPA_ITEMS:
        result[f"iaqi_{item}"] = int_array(iaqis[item])
    table = aqi_table({EPA_ITEM_NAMES[i]: iaqis[i] for i, _, _, _ in EPA_ITEMS}, "EPA2024")
    for name in ("aqi", "primary", "level", "level_en", "colour"):
        result[name] = table[name].array
    result["valid"] = missing == 0
    result["missing"] = labels_from_bits(missing, [EPA_ITEM_NAMES[i] for i, _, _, _ in EPA_ITEMS])
    return result


def epa_daily_aqi(hourly: pd.DataFrame, hour_label: str = "start") -> pd.DataFrame:
    """US EPA daily AQI (EPA2024) of every station-day from hourly µg/m³ (CO mg/m³).

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time`` and ``so2``, ``no2``, ``co``, ``o3``, ``pm10``, ``pm25``
        in [µg/m³] (CO [mg/m³]); NaN for a missing hour. One row per station-hour.
    hour_label : {"start", "end"}
        What the hour labels mark.

    Returns
    -------
    pandas.DataFrame
        One row per station-day: ``date``, ``station``, ``standard``, the statistics in EPA
        units (see the module's table; NA when invalid), ``<item>_valid``, hour counts,
        ``iaqi_<item>``, ``aqi``, ``primary``, ``level``, ``level_en``, ``colour``, ``valid``
        and ``missing``.

    Raises
    ------
    AirInputError
        As :func:`zhicheng.air.editions.daily_aqi`.

    References
    ----------
    EPA-454/B-24-002 (2024); 40 CFR Part 50 §50.3 and Appendix U §3; 40 CFR Part 58
    Appendix G Table 2.
    """
    grid = hourly_grid(hourly, hour_label, POLLUTANTS)
    return add_epa_daily_aqi(epa_daily_statistics(grid))
