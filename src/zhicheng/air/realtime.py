"""Real-time (hourly, 实时报) AQI from hourly concentrations, vectorised.

- HJ 633-2026 §4.2.3, Table 5: six items, the 1 h means of SO2, NO2, CO, O3, PM10 and PM2.5;
  PM 1 h values are indexed on the 24 h columns.
- HJ 633-2012 §5.1.3, Table 4: SO2, NO2, CO, O3 1 h means; the O3 8 h moving mean; PM10 and
  PM2.5 from their 24 h moving means. SO2 1 h above 800 µg/m³ has no IAQI (Table 1 note (2))
  and SO2 is indexed by its 24 h moving mean.

Moving means end at the hour of the row and cover the hours before it, across midnight.
Validity (Convention): an 8 h moving mean needs >= 6 hourly values (GB 3095 Table 4); a 24 h
moving mean needs >= 20 (the standards give no rule for the real-time 24 h moving mean).
Every 1 h value and moving mean is rounded by GB/T 8170 before its IAQI (HJ 633-2026 §4.2.3).

References
----------
HJ 633-2026 §4.2.3, §5.3.1, Table 5; HJ 633-2012 §5.1.3, Table 1 notes (2), (3);
GB 3095-2026 Table 4; GB/T 8170-2008 §3.2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.aqi import aqi_max, aqi_table, int_array
from zhicheng.air.breakpoints import HJ_DECIMALS, POLLUTANTS, SWITCH_DATE, Pollutant, Standard
from zhicheng.air.daily import (
    HJ_EDITIONS,
    MIN_HOURS_8H,
    MIN_HOURS_24H,
    check_columns,
    check_concentrations,
    hourly_grid,
    units_per_digit,
)
from zhicheng.air.errors import AirInputError, Problem
from zhicheng.air.iaqi import hj_iaqi_units
from zhicheng.air.rounding import FloatArray, IntArray, ratio_half_even, round_units


def moving_mean(
    units: IntArray, present: npt.NDArray[np.bool_], hours: int, pollutant: Pollutant, min_hours: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Rounded moving means over the last ``hours`` hours (ending at each hour) and validity.

    Parameters
    ----------
    units, present : ndarray, shape (stations, hours)
        Hourly values in 1e-6 of the unit (0 where not present) and their presence,
        consecutive hours per station.
    hours : int
        Window length [h].
    pollutant : str
        Sets the rounding (CO to 0.1 mg/m³, others to 1 µg/m³).
    min_hours : int
        Hourly values a valid mean needs.

    References
    ----------
    GB 3095-2026 Table 4 (8 h: >= 6 values); GB/T 8170-2008 §3.2.
    """
    zeros = np.zeros((units.shape[0], 1), dtype=np.int64)
    cs = np.concatenate([zeros, np.cumsum(units, axis=1)], axis=1)  # 0 where not present
    cn = np.concatenate([zeros, np.cumsum(present, axis=1)], axis=1)
    end = np.arange(1, units.shape[1] + 1)
    start = np.maximum(end - hours, 0)
    total = cs[:, end] - cs[:, start]
    n = cn[:, end] - cn[:, start]
    return ratio_half_even(total, np.maximum(n, 1) * units_per_digit(pollutant)), n >= min_hours


#: The gases indexed on their 1 h value and the particles (HJ 633 Table 1).
GASES: Final[tuple[Pollutant, ...]] = ("so2", "no2", "co", "o3")
PARTICLES: Final[tuple[Pollutant, ...]] = ("pm10", "pm25")


def _one_hour(units: IntArray, present: npt.NDArray[np.bool_], pollutant: Pollutant) -> IntArray:
    return ratio_half_even(np.where(present, units, 0), units_per_digit(pollutant))


def _items(
    edition: Standard, u: dict[Pollutant, IntArray], ok: dict[Pollutant, npt.NDArray[np.bool_]]
) -> tuple[dict[str, FloatArray], npt.NDArray[np.bool_]]:
    """IAQI of each real-time item of an edition (flattened arrays) and the missing mask."""
    iaqis: dict[str, FloatArray] = {}
    missing = np.zeros(next(iter(u.values())).size, dtype=bool)
    for p in GASES:
        c = _one_hour(u[p], ok[p], p).reshape(-1)
        iaqis[f"{p}_1h"] = hj_iaqi_units(p, "1h", edition, c, ok[p].reshape(-1))
        missing |= ~ok[p].reshape(-1)
    if edition == "HJ633-2026":
        for p in PARTICLES:
            c = _one_hour(u[p], ok[p], p).reshape(-1)
            iaqis[f"{p}_1h"] = hj_iaqi_units(p, "1h", edition, c, ok[p].reshape(-1))
            missing |= ~ok[p].reshape(-1)
        return iaqis, missing
    for p in PARTICLES:
        c24, ok24 = moving_mean(u[p], ok[p], 24, p, MIN_HOURS_24H)
        iaqis[f"{p}_24h"] = hj_iaqi_units(p, "24h", edition, c24.reshape(-1), ok24.reshape(-1))
        missing |= ~ok24.reshape(-1)
    c8, ok8 = moving_mean(u["o3"], ok["o3"], 8, "o3", MIN_HOURS_8H)
    iaqis["o3_8h"] = hj_iaqi_units("o3", "8h", edition, c8.reshape(-1), ok8.reshape(-1))
    missing |= ~ok8.reshape(-1)
    # Table 1 note (2): SO2 1 h > 800 has no IAQI; SO2 is indexed by its 24 h (moving) mean.
    s24, oks24 = moving_mean(u["so2"], ok["so2"], 24, "so2", MIN_HOURS_24H)
    over = np.isnan(iaqis["so2_1h"]) & ok["so2"].reshape(-1)
    fallback = hj_iaqi_units("so2", "24h", edition, s24.reshape(-1), oks24.reshape(-1))
    iaqis["so2_1h"] = np.where(over, fallback, iaqis["so2_1h"])
    missing |= over & ~oks24.reshape(-1)
    return iaqis, missing


def realtime_aqi_values(
    concentrations: Mapping[str, npt.ArrayLike],
) -> dict[str, npt.NDArray[np.float64] | npt.NDArray[np.bool_]]:
    """HJ 633-2026 real-time AQI of rows of six 1 h means, arrays in and out (the fast path).

    Parameters
    ----------
    concentrations : mapping
        ``so2``, ``no2``, ``co``, ``o3``, ``pm10``, ``pm25`` 1 h means [µg/m³] (CO [mg/m³]),
        equal-length float arrays; NaN for a missing value.

    Returns
    -------
    dict of ndarray
        ``iaqi_<p>_1h`` for the six items (PM on the 24 h columns), ``aqi`` (NaN under
        §5.3.1 when an item is missing and the others' AQI is <= 100) and ``complete``.

    Raises
    ------
    AirInputError
        A missing pollutant or a negative concentration (row = position).

    References
    ----------
    HJ 633-2026 §4.2.3, Table 5, Eq. (1) notes (PM 1 h on the 24 h column), §5.3.1;
    GB/T 8170-2008 §3.2.
    """
    absent = [p for p in POLLUTANTS if p not in concentrations]
    if absent:
        raise AirInputError(problems=[Problem("missing pollutant", column=p) for p in absent])
    out: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.bool_]] = {}
    iaqis: list[FloatArray] = []
    missing: npt.NDArray[np.bool_] | None = None
    problems: list[Problem] = []
    for p in POLLUTANTS:
        x = np.asarray(concentrations[p], dtype=np.float64)
        negative = np.flatnonzero(x < 0)
        problems += [
            Problem(f"negative concentration {x[i]}", row=int(i), column=p) for i in negative[:50]
        ]
        c, ok = round_units(x, HJ_DECIMALS[p])
        iaqis.append(hj_iaqi_units(p, "1h", "HJ633-2026", c, ok))
        out[f"iaqi_{p}_1h"] = iaqis[-1]
        missing = ~ok if missing is None else missing | ~ok
    if problems:
        raise AirInputError(f"{len(problems)} bad concentration value(s)", problems)
    assert missing is not None
    out["aqi"] = aqi_max(iaqis, "HJ633-2026", missing)
    out["complete"] = ~missing
    return out


#: Items of the real-time AQI table, either edition (PM: 1 h in 2026, 24 h moving in 2012).
_ITEMS = {
    "so2_1h": "SO2",
    "no2_1h": "NO2",
    "co_1h": "CO",
    "o3_1h": "O3",
    "o3_8h": "O3_8h",
    "pm10": "PM10",
    "pm25": "PM2.5",
}
_COLUMNS = (
    "so2_1h",
    "no2_1h",
    "co_1h",
    "o3_1h",
    "o3_8h",
    "pm10_1h",
    "pm10_24h",
    "pm25_1h",
    "pm25_24h",
)


def _editions(hourly: pd.DataFrame, standard: Standard | None) -> npt.NDArray[np.object_]:
    if standard is None:
        days = pd.to_datetime(hourly["time"]).to_numpy(dtype="datetime64[D]")
        return np.where(days >= np.datetime64(SWITCH_DATE, "D"), "HJ633-2026", "HJ633-2012").astype(
            object
        )
    if standard not in HJ_EDITIONS:
        raise AirInputError(
            problems=[
                Problem(
                    f"real-time AQI is defined for {', '.join(HJ_EDITIONS)}, not {standard!r}",
                    column="standard",
                )
            ]
        )
    return np.full(len(hourly), standard, dtype=object)


def hourly_aqi(
    hourly: pd.DataFrame, standard: Standard | None = None, hour_label: str = "start"
) -> pd.DataFrame:
    """Real-time AQI of every hourly row.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time``, ``so2``, ``no2``, ``co``, ``o3``, ``pm10``, ``pm25``
        [µg/m³] (CO [mg/m³]); one row per station-hour.
    standard : {"HJ633-2026", "HJ633-2012"}, optional
        Edition; default: the edition in force on each row's date.
    hour_label : {"start", "end"}
        What the hour labels mark (used by the 2012 moving means).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``hourly`` (same index): ``standard``, ``iaqi_<item>`` for the items of
        either edition (NA where not an item), ``aqi``, ``primary``, ``exceeding``, ``level``,
        ``level_en``, ``grade``, ``colour``, ``complete`` (no item missing).

    References
    ----------
    HJ 633-2026 §4.2.3, §5.3.1, Table 5; HJ 633-2012 §5.1.3, Table 1 notes (2), (3).
    """
    check_columns(hourly, POLLUTANTS)
    values = check_concentrations(hourly, POLLUTANTS)
    editions = _editions(hourly, standard)
    n = len(hourly)
    columns: dict[str, FloatArray] = {k: np.full(n, np.nan) for k in _COLUMNS}
    missing = np.zeros(n, dtype=bool)
    new = editions == "HJ633-2026"
    if new.any():
        fast = realtime_aqi_values({p: v[new] for p, v in values.items()})
        for p in POLLUTANTS:
            columns[f"{p}_1h"][new] = fast[f"iaqi_{p}_1h"]
        missing[new] = ~fast["complete"].astype(bool)
    if (~new).any():
        grid = hourly_grid(hourly, hour_label, POLLUTANTS)
        ns = grid.units["so2"].shape[0]
        u = {p: grid.units[p].reshape(ns, -1) for p in POLLUTANTS}
        ok = {p: grid.present[p].reshape(ns, -1) for p in POLLUTANTS}
        iaqis, miss = _items("HJ633-2012", u, ok)
        pos = grid.position[~new]
        for k, v in iaqis.items():
            columns[k][~new] = v[pos]
        missing[~new] = miss[pos]
    items = {
        **{_ITEMS[k]: columns[k] for k in ("so2_1h", "no2_1h", "co_1h", "o3_1h", "o3_8h")},
        "PM10": np.fmax(columns["pm10_1h"], columns["pm10_24h"]),
        "PM2.5": np.fmax(columns["pm25_1h"], columns["pm25_24h"]),
    }
    table = aqi_table(items, editions, missing=missing)
    out = pd.DataFrame(index=hourly.index)
    out["standard"] = pd.Categorical(editions, categories=list(HJ_EDITIONS))
    for k in _COLUMNS:
        out[f"iaqi_{k}"] = int_array(columns[k])
    for name in table.columns:
        out[name] = table[name].array
    out["complete"] = ~missing
    return out
