"""Annual evaluation (HJ 663) of stations and cities from daily results, vectorised and exact.

For each station-year (calendar year):

- annual means of SO2, NO2, PM10, PM2.5 (exact mean of the valid rounded daily values,
  rounded half to even to 1 µg/m³);
- percentiles by HJ 663 Annex A (k = 1 + (n − 1)·p/100, linear between neighbours), computed
  on integers so that exact halves are kept: SO2 and NO2 98th, PM10 and PM2.5 95th, CO 95th
  (to 0.1 mg/m³), O3 MDA8 90th;
- validity of the year per item: >= 324 valid daily values, >= 27 in every month and >= 25 in
  February (GB 3095 Table 4);
- valid days (all the edition's daily items valid), good days (valid, AQI <= 100), their share
  (half-even to 0.1 %), exceedance days per item (valid daily value above the GB 3095 grade II
  24 h limit of the day's edition; O3: MDA8 and 1 h);
- comparison with the GB 3095 grade II limits of the edition in force at the end of the year
  (Convention), only where the item's year is valid.

City level: :func:`city_daily` averages the stations' valid daily values (HJ 663: a city's
concentration is the arithmetic mean of its city stations'), then indexes the city's days.

References
----------
HJ 663-2013 §5 (evaluation items), §6 (validity), Annex A (percentiles); HJ 663-2026 (same
items, not re-read: docs/standards/air-quality-rules.md §11.5); GB 3095-2012 / GB 3095-2026
Table 1 (grade II limits) and Table 4 (validity); GB/T 8170-2008 §3.2.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.breakpoints import HJ_DECIMALS, Pollutant, Standard, grade2_limits
from zhicheng.air.daily import DAILY_ITEMS, add_daily_aqi
from zhicheng.air.errors import AirInputError, Problem
from zhicheng.air.rounding import IntArray, ratio_half_even

MIN_DAYS_YEAR: Final = 324
MIN_DAYS_MONTH: Final = 27
MIN_DAYS_FEBRUARY: Final = 25

#: Annual means: (daily column, pollutant).
ANNUAL_MEANS: Final[tuple[tuple[str, Pollutant], ...]] = (
    ("so2_24h", "so2"), ("no2_24h", "no2"), ("pm10_24h", "pm10"), ("pm25_24h", "pm25"),
)  # fmt: skip
#: Percentiles: (output name, daily column, pollutant, p, limit key).
PERCENTILES: Final[tuple[tuple[str, str, Pollutant, int, str], ...]] = (
    ("so2_p98", "so2_24h", "so2", 98, "so2_24h"),
    ("no2_p98", "no2_24h", "no2", 98, "no2_24h"),
    ("pm10_p95", "pm10_24h", "pm10", 95, "pm10_24h"),
    ("pm25_p95", "pm25_24h", "pm25", 95, "pm25_24h"),
    ("co_p95", "co_24h", "co", 95, "co_24h"),
    ("o3_8h_p90", "o3_8h_max", "o3", 90, "o3_8h"),
)
#: Exceedance days: (daily column, limit key).
EXCEEDANCE: Final[tuple[tuple[str, str], ...]] = (
    ("so2_24h", "so2_24h"), ("no2_24h", "no2_24h"), ("co_24h", "co_24h"),
    ("pm10_24h", "pm10_24h"), ("pm25_24h", "pm25_24h"),
    ("o3_8h_max", "o3_8h"), ("o3_1h_max", "o3_1h"),
)  # fmt: skip


def hj663_percentile(values: npt.ArrayLike, p: int) -> float:
    """Percentile of daily values by HJ 663 Annex A, exact, for one series.

    Parameters
    ----------
    values : array_like
        Valid daily values (integers [µg/m³] or CO tenths [mg/m³] as decimals); NaN dropped.
    p : int
        Percentile, 0–100.

    Returns
    -------
    float
        m_p = X(s) + (X(s+1) − X(s))·(k − s), k = 1 + (n − 1)·p/100, s = ⌊k⌋; the exact value
        (not rounded). NaN for no values.

    References
    ----------
    HJ 663-2013 Annex A (百分位数计算方法).
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = np.sort(arr[~np.isnan(arr)])
    if arr.size == 0:
        return float("nan")
    # Work in integers of 1e-6 so the interpolation is exact.
    x = np.rint(arr * 10**6).astype(np.int64)
    num, den = _percentile_units(x, np.array([0]), np.array([x.size]), p)
    return float(num[0]) / float(den) / 10**6


def _percentile_units(
    sorted_x: IntArray, starts: IntArray, counts: IntArray, p: int
) -> tuple[IntArray, int]:
    """HJ 663 Annex A percentile of sorted groups as ``numerator / 100`` (exact integers)."""
    k100 = (counts - 1) * p  # 100·(k − 1)
    s = k100 // 100  # s − 1 (0-based index of X(s))
    frac = k100 % 100  # 100·(k − s)
    lo = sorted_x[starts + s]
    hi = sorted_x[starts + np.minimum(s + 1, counts - 1)]
    return 100 * lo + (hi - lo) * frac, 100


def _group_percentiles(
    values: IntArray, valid: npt.NDArray[np.bool_], group: IntArray, n_groups: int, p: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Rounded (half-even) HJ 663 percentile of every group's valid values."""
    g = group[valid]
    v = values[valid]
    order = np.lexsort((v, g))
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    has = counts > 0
    out = np.zeros(n_groups, dtype=np.int64)
    if has.any():
        num, den = _percentile_units(v[order], starts[has], counts[has].astype(np.int64), p)
        out[has] = ratio_half_even(num, den)
    return out, has


def _year_validity(
    valid: npt.NDArray[np.bool_], group: IntArray, month: IntArray, n_groups: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Valid-day counts and validity of each group-year (>= 324, >= 27 a month, >= 25 Feb)."""
    per_month = np.bincount(group[valid] * 12 + month[valid] - 1, minlength=n_groups * 12).reshape(
        n_groups, 12
    )
    need = np.full(12, MIN_DAYS_MONTH)
    need[1] = MIN_DAYS_FEBRUARY
    total = per_month.sum(axis=1)
    return total, (total >= MIN_DAYS_YEAR) & (per_month >= need).all(axis=1)


def _check_daily(daily: pd.DataFrame) -> None:
    needed = ["station", "date", "aqi", "valid"] + [c for c, _, _ in DAILY_ITEMS]
    missing = [c for c in needed if c not in daily.columns]
    if missing:
        raise AirInputError(
            problems=[Problem("missing column in the daily table", column=c) for c in missing]
        )


def _limits_by_day(dates: npt.NDArray[np.datetime64], key: str) -> npt.NDArray[np.float64]:
    switch = np.datetime64("2026-03-01", "D")
    final = np.datetime64("2031-01-01", "D")
    values = [
        grade2_limits(d)[key]
        for d in (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2031, 1, 1))
    ]
    return np.where(dates < switch, values[0], np.where(dates < final, values[1], values[2]))


def annual_evaluation(daily: pd.DataFrame) -> pd.DataFrame:
    """HJ 663 annual evaluation of every station-year (or city-year) of a daily table.

    Parameters
    ----------
    daily : pandas.DataFrame
        The output of :func:`zhicheng.air.editions.daily_aqi` or :func:`city_daily`: ``station``,
        ``date``, the daily statistics [µg/m³] (CO [mg/m³]; NA when invalid), ``aqi`` and
        ``valid``.

    Returns
    -------
    pandas.DataFrame
        One row per station and calendar year: ``station``, ``year``, ``days`` (rows),
        ``valid_days``, ``good_days``, ``good_day_share`` [%], per annual-mean item
        ``<p>_annual`` [µg/m³], ``<p>_days`` and ``<p>_year_valid``; the percentiles
        ``so2_p98``, ``no2_p98``, ``pm10_p95``, ``pm25_p95``, ``co_p95`` [mg/m³],
        ``o3_8h_p90`` with ``<name>_year_valid``; ``<item>_exceed_days``; grade II comparison
        ``<stat>_meets_grade2`` (NA where the year is not valid for the item) and
        ``meets_grade2`` (all items valid and within their limits).

    References
    ----------
    HJ 663-2013 §5.1, §6.1 and Annex A; GB 3095-2012 / GB 3095-2026 Table 1 and Table 4;
    GB/T 8170-2008 §3.2.
    """
    _check_daily(daily)
    dates = pd.to_datetime(daily["date"]).to_numpy(dtype="datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (dates.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int64)
    key = pd.MultiIndex.from_arrays([daily["station"].to_numpy(), years])
    group, uniq = pd.factorize(key, sort=True)
    group = group.astype(np.int64)
    n_groups = len(uniq)
    year_of_group = np.asarray(uniq.get_level_values(1), dtype=np.int64)
    out: dict[str, object] = {
        "station": uniq.get_level_values(0),
        "year": year_of_group,
        "days": np.bincount(group, minlength=n_groups),
    }
    day_valid = daily["valid"].to_numpy(dtype=bool)
    aqi = daily["aqi"].to_numpy(dtype=np.float64, na_value=np.nan)
    valid_days = np.bincount(group[day_valid], minlength=n_groups)
    good_days = np.bincount(group[day_valid & (aqi <= 100)], minlength=n_groups)
    share = ratio_half_even(good_days * 1000, np.maximum(valid_days, 1)) / 10
    out["valid_days"] = valid_days
    out["good_days"] = good_days
    out["good_day_share"] = np.where(valid_days > 0, share, np.nan)
    year_end = [grade2_limits(dt.date(int(y), 12, 31)) for y in year_of_group]
    checks: list[npt.NDArray[np.float64]] = []
    values_int: dict[str, tuple[IntArray, npt.NDArray[np.bool_]]] = {}
    for col, p, _ in DAILY_ITEMS:
        raw = daily[col].to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(raw)
        values_int[col] = (
            np.rint(np.where(ok, raw, 0) * 10 ** HJ_DECIMALS[p]).astype(np.int64),
            ok,
        )
    for col, p in ANNUAL_MEANS:
        v, ok = values_int[col]
        n, year_ok = _year_validity(ok, group, month, n_groups)
        total = np.bincount(group[ok], weights=v[ok], minlength=n_groups).astype(np.int64)
        mean = ratio_half_even(total, np.maximum(n, 1)).astype(np.float64)
        out[f"{p}_annual"] = np.where(n > 0, mean, np.nan)
        out[f"{p}_days"] = n
        out[f"{p}_year_valid"] = year_ok
        limit = np.array([lim[f"{p}_annual"] for lim in year_end], dtype=np.float64)
        checks.append(_meets(out, f"{p}_annual", limit, year_ok))
    for name, col, p, pct, limit_key in PERCENTILES:
        v, ok = values_int[col]
        _, year_ok = _year_validity(ok, group, month, n_groups)
        value, has = _group_percentiles(v, ok, group, n_groups, pct)
        out[name] = np.where(has, value / 10 ** HJ_DECIMALS[p], np.nan)
        out[f"{name}_year_valid"] = year_ok
        limit = np.array([lim[limit_key] for lim in year_end], dtype=np.float64)
        checks.append(_meets(out, name, limit, year_ok))
    for col, limit_key in EXCEEDANCE:
        raw = daily[col].to_numpy(dtype=np.float64, na_value=np.nan)
        over = raw > _limits_by_day(dates, limit_key)
        out[f"{col}_exceed_days"] = np.bincount(group[over], minlength=n_groups)
    stacked = np.column_stack(checks)
    out["meets_grade2"] = pd.array(
        np.where(np.isnan(stacked).any(axis=1), np.nan, stacked.all(axis=1)), dtype="boolean"
    )
    result = pd.DataFrame(out)
    for name in [c for c in result.columns if c.endswith("_meets_grade2")]:
        result[name] = result[name].astype("boolean")
    return result


def _meets(
    out: dict[str, object],
    name: str,
    limit: npt.NDArray[np.float64],
    year_ok: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Record ``<name>_meets_grade2`` (1.0 / 0.0, NaN where the year is not valid) and return it."""
    value = np.asarray(out[name], dtype=np.float64)
    result = np.where(year_ok & ~np.isnan(value), (value <= limit).astype(np.float64), np.nan)
    out[f"{name}_meets_grade2"] = result
    return result


def good_day_share(daily: pd.DataFrame) -> pd.DataFrame:
    """Share of good-air days (优良天数比例) of every station-year [%].

    Returns
    -------
    pandas.DataFrame
        ``station``, ``year``, ``valid_days``, ``good_days``, ``good_day_share`` (half-even
        to 0.1 %).

    References
    ----------
    HJ 663-2013 §5 (优良天数比例 = days with AQI <= 100 / valid days); HJ 633 Table 1/2.
    """
    table = annual_evaluation(daily)
    return table[["station", "year", "valid_days", "good_days", "good_day_share"]]


def city_daily(
    daily: pd.DataFrame,
    city: str = "city",
    stations: list[str] | None = None,
    min_station_share: float = 0.75,
    standard: Standard | None = None,
) -> pd.DataFrame:
    """A city's daily statistics and AQI from its stations' daily results.

    Each daily statistic of the city is the arithmetic mean of the stations' valid, rounded
    daily values, rounded half to even again (CO to 0.1 mg/m³). Convention: the city's value
    is valid when at least ``min_station_share`` of the stations that reported that day have
    a valid value (the standard's text on this was not read).

    Parameters
    ----------
    daily : pandas.DataFrame
        Station daily results (:func:`zhicheng.air.editions.daily_aqi`).
    city : str
        Name written in the ``station`` column of the result.
    stations : list of str, optional
        The city stations (城市点位) to use; default: all. Background (对照) stations such as
        Beijing's Dingling are normally left out by the caller.
    min_station_share : float
        Share of reporting stations needed for a valid city value.
    standard : str, optional
        HJ 633 edition; default: the edition in force on each day.

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`zhicheng.air.editions.daily_aqi` (without hour counts), one row
        per date.

    References
    ----------
    HJ 663-2013 §4 (城市点位; city concentration = arithmetic mean of its city stations);
    GB/T 8170-2008 §3.2.
    """
    _check_daily(daily)
    frame = daily if stations is None else daily[daily["station"].isin(stations)]
    dates = pd.to_datetime(frame["date"]).to_numpy(dtype="datetime64[D]")
    group, uniq_dates = pd.factorize(dates, sort=True)
    group = group.astype(np.int64)
    ng = len(uniq_dates)
    reporting = np.bincount(group, minlength=ng)
    out: dict[str, object] = {
        "date": np.asarray(uniq_dates, dtype="datetime64[D]"),
        "station": np.full(ng, city, dtype=object),
    }
    for col, p, _ in DAILY_ITEMS:
        raw = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(raw)
        ints = np.rint(np.where(ok, raw, 0) * 10 ** HJ_DECIMALS[p]).astype(np.int64)
        n = np.bincount(group[ok], minlength=ng)
        total = np.bincount(group[ok], weights=ints[ok], minlength=ng).astype(np.int64)
        value = ratio_half_even(total, np.maximum(n, 1)) / 10 ** HJ_DECIMALS[p]
        valid = (n > 0) & (n >= min_station_share * reporting)
        out[col] = np.where(valid, value, np.nan)
        out[f"{col}_valid"] = valid
        out[f"{col}_stations"] = n
    return add_daily_aqi(pd.DataFrame(out), standard)
