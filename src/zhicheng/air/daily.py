"""Daily and real-time (hourly) AQI from hourly concentrations, vectorised.

Hourly input is a :class:`pandas.DataFrame` with columns ``station``, ``time`` and one column
per pollutant (``so2``, ``no2``, ``co``, ``o3``, ``pm10``, ``pm25``) in [µg/m³], CO in [mg/m³];
NaN marks a missing hour. The rows are placed on a station × day × 24-hour grid (numpy), so
every statistic is an array operation; nothing loops over rows.

Conventions (docs/standards/air-quality-rules.md §8–§10):

- The hour label is declared: ``"start"`` (label h covers [h, h+1)) or ``"end"`` (the national
  network's convention, label h covers [h−1, h); label 0 of D+1 is 24:00 of D).
- Hourly values are not rounded before averaging. They are held as integers of 1e-6 of their
  unit, and every daily statistic is the exact mean rounded half to even (GB/T 8170): to
  1 [µg/m³], CO to 0.1 [mg/m³]. The IAQI is computed from the rounded statistic.
- Validity: a 24 h mean needs >= 20 hourly values; an 8 h mean >= 6; the O3 daily maximum 8 h
  mean (MDA8) is the maximum of the 17 windows ending 08:00–24:00 (hour-ending), valid with
  >= 14 valid windows, or with fewer when its rounded value exceeds 160 µg/m³; the O3 daily
  maximum 1 h value needs >= 20 hourly values. An invalid statistic is NA, never estimated.
- A valid day has every item of the edition valid (7 items in 2012, 6 in 2026).

References
----------
HJ 633-2026 §4.2.2 (daily items), §4.2.3 (real-time items), §5.3.1 (missing items);
HJ 633-2012 §5.1.2, §5.1.3; GB 3095-2026 Table 4 and §3.9, §3.10; HJ 663-2013 §6.1.2;
GB/T 8170-2008 §3.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.aqi import aqi_table, int_array, labels_from_bits
from zhicheng.air.breakpoints import (
    HJ_DECIMALS,
    POLLUTANTS,
    SWITCH_DATE,
    Period,
    Pollutant,
    Standard,
)
from zhicheng.air.errors import AirInputError, Problem
from zhicheng.air.iaqi import hj_iaqi_units
from zhicheng.air.rounding import SCALE, FloatArray, IntArray, ratio_half_even, to_units

HOUR_LABELS: Final[tuple[str, ...]] = ("start", "end")
HJ_EDITIONS: Final[tuple[Standard, ...]] = ("HJ633-2026", "HJ633-2012")

#: Daily statistics: (column, pollutant, IAQI period).
DAILY_ITEMS: Final[tuple[tuple[str, Pollutant, Period], ...]] = (
    ("so2_24h", "so2", "24h"),
    ("no2_24h", "no2", "24h"),
    ("co_24h", "co", "24h"),
    ("pm10_24h", "pm10", "24h"),
    ("pm25_24h", "pm25", "24h"),
    ("o3_1h_max", "o3", "1h"),
    ("o3_8h_max", "o3", "8h"),
)
#: Display names of the daily items (used in ``primary`` and ``exceeding``).
ITEM_NAMES: Final[dict[str, str]] = {
    "so2_24h": "SO2",
    "no2_24h": "NO2",
    "co_24h": "CO",
    "pm10_24h": "PM10",
    "pm25_24h": "PM2.5",
    "o3_1h_max": "O3_1h",
    "o3_8h_max": "O3_8h",
}
#: Items of each edition's daily report (HJ 633-2012 §5.1.2: 7; HJ 633-2026 §4.2.2: 6).
EDITION_ITEMS: Final[dict[str, tuple[str, ...]]] = {
    "HJ633-2012": tuple(c for c, _, _ in DAILY_ITEMS),
    "HJ633-2026": tuple(c for c, _, _ in DAILY_ITEMS if c != "o3_1h_max"),
}

MIN_HOURS_24H: Final = 20  # GB 3095 Table 4
MIN_HOURS_8H: Final = 6  # GB 3095 Table 4
MIN_WINDOWS_MDA8: Final = 14  # HJ 663-2013 §6.1.2
MDA8_LIMIT: Final = 160  # GB 3095 grade II MDA8 limit, for the MDA8 exception (Convention)
LCM_8H: Final = 168  # lcm(6, 7, 8): common denominator of valid 8 h means


@dataclass(frozen=True)
class HourlyGrid:
    """Hourly values on a station × day × 24 grid.

    ``units[p]`` holds integers of 1e-6 of the unit, shape (stations, days, 24), and 0 where no
    value is present (the statistics rely on it); ``present[p]`` the mask of values present.
    ``stations`` and ``day0`` name the axes; ``has_rows`` marks the
    station-days with at least one input row.
    """

    stations: npt.NDArray[np.object_]
    day0: np.datetime64
    units: dict[str, IntArray]
    present: dict[str, npt.NDArray[np.bool_]]
    has_rows: npt.NDArray[np.bool_]
    position: IntArray  # flat grid position of every input row


def check_columns(hourly: pd.DataFrame, pollutants: tuple[Pollutant, ...]) -> None:
    """Raise :class:`AirInputError` naming every missing ``station``/``time``/pollutant column."""
    missing = [c for c in ("station", "time", *pollutants) if c not in hourly.columns]
    if missing:
        raise AirInputError(
            problems=[
                Problem(f"missing column (have: {', '.join(map(str, hourly.columns))})", column=c)
                for c in missing
            ]
        )


def locate(
    hourly: pd.DataFrame, indices: npt.ArrayLike, reason: str | list[str], column: str
) -> list[Problem]:
    """Problems at row positions ``indices``, located by the ``file`` and ``row`` columns if any.

    Readers put the file name and its line number in ``file`` and ``row``; otherwise the row is
    the 0-based position in the frame.
    """
    idx = np.asarray(indices, dtype=np.int64)
    rows = hourly["row"].to_numpy()[idx] if "row" in hourly.columns else idx
    files = hourly["file"].to_numpy()[idx] if "file" in hourly.columns else [None] * len(idx)
    reasons = [reason] * len(idx) if isinstance(reason, str) else reason
    return [
        Problem(r, file=None if f is None else str(f), row=int(row), column=column)
        for r, f, row in zip(reasons, files, rows, strict=True)
    ]


def check_concentrations(
    hourly: pd.DataFrame, pollutants: tuple[Pollutant, ...]
) -> dict[str, FloatArray]:
    """Numeric, non-negative concentrations of each pollutant column, or a located error.

    Rows are reported by their position (0-based) unless the frame has a ``row`` column (the
    readers put the file's line number there).
    """
    problems: list[Problem] = []
    values: dict[str, FloatArray] = {}
    for p in pollutants:
        col = hourly[p]
        if pd.api.types.is_float_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype):
            num = col.to_numpy(dtype=np.float64, na_value=np.nan)
            if not (num < 0).any():
                values[p] = num
                continue
        else:
            num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(num) & col.notna().to_numpy())
        problems += locate(hourly, bad, [f"not a number: {col.iloc[i]!r}" for i in bad], p)
        neg = np.flatnonzero(num < 0)
        problems += locate(hourly, neg, [f"negative concentration {num[i]}" for i in neg], p)
        values[p] = num
    if problems:
        raise AirInputError(f"{len(problems)} bad concentration value(s)", problems)
    return values


def _times(hourly: pd.DataFrame, hour_label: str) -> npt.NDArray[np.datetime64]:
    if hour_label not in HOUR_LABELS:
        raise AirInputError(
            problems=[
                Problem(f"unknown hour label {hour_label!r}; use start or end", column="hour_label")
            ]
        )
    try:
        t = pd.to_datetime(hourly["time"]).to_numpy()
    except (ValueError, TypeError) as exc:
        raise AirInputError(problems=[Problem(f"unreadable time: {exc}", column="time")]) from None
    bad = np.isnat(t) | (t.astype("datetime64[h]") != t)
    if bad.any():
        raise AirInputError(
            problems=locate(
                hourly, np.flatnonzero(bad), "time is missing or not on the hour", "time"
            )
        )
    if hour_label == "end":
        t = t - np.timedelta64(1, "h")
    return t


def _station_codes(column: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    """Integer codes of the stations (sorted by name); categorical columns cost no string pass."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        names = np.asarray(column.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(column)
        names = np.asarray(uniques, dtype=object)
    if (codes < 0).any():
        raise AirInputError(
            problems=locate(
                column.to_frame(), np.flatnonzero(codes < 0), "missing station", "station"
            )
        )
    used = np.flatnonzero(np.bincount(codes, minlength=len(names)) > 0)
    order = np.argsort(names[used].astype(str), kind="stable")
    rank = np.full(len(names), -1, dtype=np.int64)
    rank[used[order]] = np.arange(len(order))
    return rank[codes], names[used[order]]


def hourly_grid(
    hourly: pd.DataFrame, hour_label: str = "start", pollutants: tuple[Pollutant, ...] = POLLUTANTS
) -> HourlyGrid:
    """Place hourly rows on a station × natural-day × 24 grid (hours as start-of-hour).

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time`` and the pollutants [µg/m³] (CO [mg/m³]).
    hour_label : {"start", "end"}
        What an hour's label marks (docs/standards/air-quality-rules.md §9).
    pollutants : tuple of str
        The pollutant columns to read.

    Raises
    ------
    AirInputError
        Missing columns, bad times, bad concentrations, or two rows for one station-hour.

    References
    ----------
    GB 3095-2026 §3.10 (日平均: the natural day's 24 hourly values).
    """
    check_columns(hourly, pollutants)
    values = check_concentrations(hourly, pollutants)
    t = _times(hourly, hour_label)
    codes, stations = _station_codes(hourly["station"])
    day = t.astype("datetime64[D]")
    dint = day.astype(np.int64)
    d0 = int(dint.min()) if len(dint) else 0
    nd = (int(dint.max()) - d0 + 1) if len(dint) else 0
    hour = (t - day).astype("timedelta64[h]").astype(np.int64)
    position = (codes.astype(np.int64) * nd + (dint - d0)) * 24 + hour
    size = len(stations) * nd * 24
    shape = (len(stations), nd, 24)
    # Rows already in grid order (one per station-hour, sorted): no scatter needed.
    in_order = len(position) == size and bool((position == np.arange(size)).all())
    if in_order:
        has_rows = np.ones(shape[:2], dtype=bool)
    else:
        counts = np.bincount(position, minlength=size)
        if (counts > 1).any():
            dup = np.flatnonzero(counts[position] > 1)
            raise AirInputError(
                "duplicate station-hours",
                locate(hourly, dup, "more than one row for this station and hour", "time"),
            )
        has_rows = np.asarray((counts.reshape(shape) > 0).any(axis=2), dtype=bool)
    units: dict[str, IntArray] = {}
    present: dict[str, npt.NDArray[np.bool_]] = {}
    for p in pollutants:
        u, ok = to_units(values[p])
        if in_order:
            units[p], present[p] = u.reshape(shape), ok.reshape(shape)
            continue
        grid_u = np.zeros(size, dtype=np.int64)
        grid_p = np.zeros(size, dtype=bool)
        grid_u[position] = u
        grid_p[position] = ok
        units[p] = grid_u.reshape(shape)
        present[p] = grid_p.reshape(shape)
    return HourlyGrid(
        stations=np.asarray(stations, dtype=object),
        day0=np.datetime64(d0, "D"),
        units=units,
        present=present,
        has_rows=np.asarray(has_rows, dtype=bool),
        position=position,
    )


def units_per_digit(pollutant: Pollutant) -> int:
    """Integer units per last kept digit: 1e6 for µg/m³ integers, 1e5 for CO tenths."""
    return SCALE // 10 ** HJ_DECIMALS[pollutant]


def mean_24h(
    units: IntArray, present: npt.NDArray[np.bool_], pollutant: Pollutant
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Rounded 24 h means of the last axis, and their validity (>= 20 hourly values).

    ``units`` are integers of 1e-6 of the unit and must be 0 where not ``present``.

    Returns
    -------
    value, valid : ndarray of int64, ndarray of bool
        The exact mean rounded half to even, in [µg/m³] (CO in tenths of [mg/m³]).

    References
    ----------
    GB 3095-2026 §3.10, Table 4 (>= 20 hourly values); GB/T 8170 §3.2; HJ 633-2026 §4.2.2.
    """
    n = present.sum(axis=-1)
    total = units.sum(axis=-1)  # units are 0 where not present (HourlyGrid)
    value = ratio_half_even(total, np.maximum(n, 1) * units_per_digit(pollutant))
    return value, n >= MIN_HOURS_24H


def max_1h(
    units: IntArray, present: npt.NDArray[np.bool_]
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Rounded daily maximum 1 h value [µg/m³] and its validity (>= 20 hourly values, Convention).

    References
    ----------
    HJ 633-2012 §5.1.2 (O3 daily maximum 1 h); GB/T 8170 §3.2.
    """
    n = present.sum(axis=-1)
    top = np.where(present, units, -1).max(axis=-1)
    return ratio_half_even(np.maximum(top, 0), SCALE), n >= MIN_HOURS_24H


def best_8h(units: IntArray, present: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Largest 8 h mean of the day's 17 windows, exact, and the number of valid windows.

    The windows cover the hours 0–7 … 16–23 of the last axis (start-of-hour labels: they end
    at 08:00 … 24:00). A window is valid with >= 6 hourly values and its mean is that of the
    values present. ``units`` must be 0 where not ``present``.

    Returns
    -------
    best, windows : ndarray of int64
        The largest valid window mean times :data:`LCM_8H` (an exact integer: the sum of the
        window times ``168 / n``), 0 when no window is valid; the number of valid windows.

    References
    ----------
    GB 3095-2026 Table 4 (8 h: >= 6 hourly values); 40 CFR Part 50 Appendix U §3 (6 of 8).
    """
    zeros = np.zeros((*units.shape[:-1], 1), dtype=np.int64)
    cs = np.concatenate([zeros, np.cumsum(units, axis=-1)], axis=-1)  # 0 where not present
    cn = np.concatenate([zeros, np.cumsum(present, axis=-1)], axis=-1)
    s8 = cs[..., 8:25] - cs[..., 0:17]
    n8 = cn[..., 8:25] - cn[..., 0:17]
    ok = n8 >= MIN_HOURS_8H
    scaled = s8 * (LCM_8H // np.maximum(n8, 1))
    best = np.maximum(np.where(ok, scaled, -1).max(axis=-1), 0)
    return best, ok.sum(axis=-1)


def mda8(units: IntArray, present: npt.NDArray[np.bool_]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """O3 daily maximum 8 h moving mean (MDA8) [µg/m³] and its validity.

    The 17 windows cover the day's hours 0–7 … 16–23 (start-of-hour), i.e. they end at
    08:00 … 24:00. A window is valid with >= 6 hourly values (the mean of those present).
    The MDA8 is valid with >= 14 valid windows, or with fewer when its rounded value
    exceeds 160 µg/m³. Means are compared exactly on the common denominator 168. ``units``
    must be 0 where not ``present``.

    References
    ----------
    HJ 663-2013 §6.1.2; GB 3095-2026 §3.9 and Table 4 (8 h: >= 6 hourly values); GB/T 8170.
    """
    best, windows = best_8h(units, present)
    value = ratio_half_even(best, LCM_8H * SCALE)
    valid = (windows >= MIN_WINDOWS_MDA8) | ((windows > 0) & (value > MDA8_LIMIT))
    return value, valid


def _standards_for(
    dates: npt.NDArray[np.datetime64], standard: Standard | None
) -> npt.NDArray[np.object_]:
    if standard is None:
        new = dates >= np.datetime64(SWITCH_DATE, "D")
        return np.where(new, "HJ633-2026", "HJ633-2012").astype(object)
    if standard not in HJ_EDITIONS:
        raise AirInputError(
            problems=[
                Problem(
                    f"the daily AQI is defined for {', '.join(HJ_EDITIONS)} and, from hourly "
                    f"data only (daily_aqi), EPA2024; not {standard!r}",
                    column="standard",
                )
            ]
        )
    return np.full(len(dates), standard, dtype=object)


def station_days(
    grid: HourlyGrid,
) -> tuple[
    npt.NDArray[np.datetime64],
    npt.NDArray[np.object_],
    dict[str, IntArray],
    dict[str, npt.NDArray[np.bool_]],
]:
    """The station-days with rows: dates, stations, and each pollutant's (days, 24) arrays."""
    keep = grid.has_rows.reshape(-1)
    ns, nd = grid.has_rows.shape
    station_idx = np.repeat(np.arange(ns), nd)[keep]
    dates = (grid.day0 + np.tile(np.arange(nd), ns))[keep]
    if keep.all():  # every station-day has rows: no copy
        flat = {p: grid.units[p].reshape(-1, 24) for p in grid.units}
        pres = {p: grid.present[p].reshape(-1, 24) for p in grid.present}
    else:
        flat = {p: grid.units[p].reshape(-1, 24)[keep] for p in grid.units}
        pres = {p: grid.present[p].reshape(-1, 24)[keep] for p in grid.present}
    return dates, grid.stations[station_idx], flat, pres


def daily_statistics(grid: HourlyGrid) -> pd.DataFrame:
    """Daily statistics of every station-day with rows, with their validity.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``station``, and for each item of :data:`DAILY_ITEMS` its rounded value
        [µg/m³] (CO [mg/m³]; NA when invalid) and ``<item>_valid``; ``<pollutant>_hours``,
        the number of hourly values of each pollutant.

    References
    ----------
    GB 3095-2026 Table 4; HJ 663-2013 §6.1.2; GB/T 8170.
    """
    dates, stations, flat, pres = station_days(grid)
    out: dict[str, object] = {"date": dates, "station": stations}
    for col, p, _period in DAILY_ITEMS:
        if p not in flat:
            continue
        if col == "o3_1h_max":
            value, valid = max_1h(flat[p], pres[p])
        elif col == "o3_8h_max":
            value, valid = mda8(flat[p], pres[p])
        else:
            value, valid = mean_24h(flat[p], pres[p], p)
        scaled = value.astype(np.float64) / 10 ** HJ_DECIMALS[p]
        out[col] = np.where(valid, scaled, np.nan)
        out[f"{col}_valid"] = valid
    for name in flat:
        out[f"{name}_hours"] = pres[name].sum(axis=1)
    return pd.DataFrame(out)


def _item_iaqi(
    stats: pd.DataFrame,
    col: str,
    pollutant: Pollutant,
    period: Period,
    edition: Standard,
    rows: npt.NDArray[np.bool_],
) -> FloatArray:
    values = stats[col].to_numpy(dtype=np.float64)[rows]
    present = ~np.isnan(values)
    c = np.rint(np.where(present, values, 0) * 10 ** HJ_DECIMALS[pollutant]).astype(np.int64)
    return hj_iaqi_units(pollutant, period, edition, c, present)


def add_daily_aqi(stats: pd.DataFrame, standard: Standard | None = None) -> pd.DataFrame:
    """Add IAQIs, AQI, primary and exceeding pollutants, level, colour and day validity.

    Parameters
    ----------
    stats : pandas.DataFrame
        The output of :func:`daily_statistics` (or the same columns, e.g. a city's).
    standard : {"HJ633-2026", "HJ633-2012"}, optional
        Edition; default: the edition in force on each day (HJ633-2026 from 2026-03-01).

    Returns
    -------
    pandas.DataFrame
        ``stats`` with ``standard``, ``iaqi_<item>`` (Int64; NA when the item is not in the
        edition or invalid), ``aqi``, ``primary``, ``exceeding``, ``level``, ``level_en``,
        ``grade``, ``colour``, ``valid`` (all the edition's items valid) and ``missing``
        (the invalid items); text columns are categorical.

    References
    ----------
    HJ 633-2026 §4.2.2, §4.3, §5.3.1 and Table 3; HJ 633-2012 §5.1.2, §3.4, Table 1, Table 2.
    """
    dates = stats["date"].to_numpy(dtype="datetime64[D]")
    editions = _standards_for(dates, standard)
    result = stats.copy()
    result.insert(
        2,
        "standard",
        pd.Series(pd.Categorical(editions, categories=list(HJ_EDITIONS)), index=result.index),
    )
    n = len(stats)
    iaqi_cols = {col: np.full(n, np.nan) for col, _, _ in DAILY_ITEMS}
    missing_bits = np.zeros(n, dtype=np.int64)
    for edition in HJ_EDITIONS:
        rows = editions == edition
        if not rows.any():
            continue
        for j, (col, p, period) in enumerate(DAILY_ITEMS):
            if col not in EDITION_ITEMS[edition]:
                continue
            iaqi_cols[col][rows] = _item_iaqi(stats, col, p, period, edition, rows)
            flag = f"{col}_valid"
            if flag in stats:
                invalid = ~stats[flag].to_numpy(dtype=bool)[rows]
            else:
                invalid = np.ones(int(rows.sum()), dtype=bool)
            missing_bits[rows] |= invalid.astype(np.int64) << j
    for col, _, _ in DAILY_ITEMS:
        result[f"iaqi_{col}"] = int_array(iaqi_cols[col])
    names = [ITEM_NAMES[c] for c, _, _ in DAILY_ITEMS]
    table = aqi_table(
        {ITEM_NAMES[c]: iaqi_cols[c] for c, _, _ in DAILY_ITEMS}, editions, missing=missing_bits > 0
    )
    for name in table.columns:
        result[name] = table[name].array
    result["valid"] = missing_bits == 0
    result["missing"] = labels_from_bits(missing_bits, names)
    return result
