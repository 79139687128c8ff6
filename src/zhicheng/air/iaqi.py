"""Individual air-quality index (IAQI, 空气质量分指数) of HJ 633 and of the US EPA.

All arithmetic is exact: concentrations are rounded (HJ 633, GB/T 8170) or truncated (EPA)
on their decimal value into integers, and the linear formula is evaluated with integer
numerators and denominators, so an exact integer index never becomes one more through
binary floating point (CO 24 h = 2.2 mg/m³ gives 55, not 56).

Conventions (fixed, see docs/standards/air-quality-rules.md):

- HJ 633: a concentration above the IAQI-500 breakpoint of its column gets IAQI 500 (the
  standard defines no IAQI there; the AQI range is 0/1–500).
- HJ 633-2012 notes (2), (3): SO2 1 h > 800 µg/m³ and O3 8 h > 800 µg/m³ get no IAQI (NaN);
  the caller reports SO2 from its 24 h value and O3 from its 1 h value.
- HJ 633-2026 notes (b), (c): SO2 1 h > 800 gives 200, O3 8 h > 800 gives 300.
- EPA: above the AQI-500 breakpoint the top row is extrapolated (TAD, "AQI values greater than
  500 should be calculated using … the concentration specified for the AQI value of 500");
  ranges a column does not define (O3 1 h below 0.125 ppm, O3 8 h above 0.200 ppm, SO2 1 h at
  305 ppb and above, SO2 24 h below 305 ppb) give NaN.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.breakpoints import (
    EPA2024,
    HJ633_2012,
    HJ633_2026,
    HJ_DECIMALS,
    PERIODS,
    POLLUTANTS,
    STANDARDS,
    SWITCH_DATE,
    Period,
    Pollutant,
    Standard,
    hj_iaqi_rows,
)
from zhicheng.air.errors import AirInputError, Problem
from zhicheng.air.rounding import FloatArray, IntArray, decimal_units, round_units

DateLike = dt.date | str | np.datetime64 | pd.Timestamp | npt.ArrayLike


def as_standard(name: str | None) -> Standard | None:
    """``name`` as one of :data:`STANDARDS` (None stays None); :class:`AirInputError` otherwise."""
    if name is None:
        return None
    for standard in STANDARDS:
        if name == standard:
            return standard
    raise AirInputError(problems=[Problem(f"unknown standard {name!r}; use one of {', '.join(STANDARDS)}",
                                          column="standard")])


def check_names(pollutant: Pollutant, period: Period, standard: Standard | None) -> None:
    """Raise :class:`AirInputError` for an unknown pollutant, period or standard."""
    problems = []
    if pollutant not in POLLUTANTS:
        problems.append(
            Problem(
                f"unknown pollutant {pollutant!r}; use one of {', '.join(POLLUTANTS)}",
                column="pollutant",
            )
        )
    if period not in PERIODS:
        problems.append(
            Problem(f"unknown period {period!r}; use one of {', '.join(PERIODS)}", column="period")
        )
    if standard is not None and standard not in STANDARDS:
        problems.append(
            Problem(
                f"unknown standard {standard!r}; use one of {', '.join(STANDARDS)}",
                column="standard",
            )
        )
    if problems:
        raise AirInputError(problems=problems)


def hj_column(pollutant: Pollutant, period: Period, standard: Standard) -> tuple[int, ...]:
    """The HJ 633 breakpoint column of an item (PM 1 h values use the 24 h column in 2026).

    References
    ----------
    HJ 633-2026 Eq. (1) notes (PM10 and PM2.5 1 h values take BP from the 日平均 column);
    HJ 633-2012 Table 1 (no 1 h PM column).
    """
    table = HJ633_2026 if standard == "HJ633-2026" else HJ633_2012
    key = (pollutant, period)
    if pollutant in ("pm10", "pm25") and period == "1h" and standard == "HJ633-2026":
        key = (pollutant, "24h")
    if key not in table:
        raise AirInputError(
            problems=[Problem(f"{standard} has no IAQI for {pollutant} {period}", column="period")]
        )
    return table[key]


@functools.lru_cache(maxsize=64)
def hj_lut(pollutant: Pollutant, period: Period, standard: Standard) -> FloatArray:
    """IAQI of every rounded concentration of a column, computed once with integers.

    Entry ``c`` (an integer in [µg/m³], CO in tenths of [mg/m³]) holds the IAQI of ``c`` for
    ``0 <= c <= top``; the last entry holds the value above the top breakpoint (500, or the
    >800 rules: 2026 SO2 1 h 200, O3 8 h 300; 2012 NaN).

    References
    ----------
    HJ 633-2026 Eq. (1), §4.2.6, Table 3 notes (b), (c); HJ 633-2012 Table 1 notes (2), (3).
    """
    scale = 10 ** HJ_DECIMALS[pollutant]
    column = hj_column(pollutant, period, standard)
    bps = np.asarray(column, dtype=np.int64) * scale
    rows = np.asarray(hj_iaqi_rows(len(column)), dtype=np.int64)
    c = np.arange(bps[-1] + 1, dtype=np.int64)
    idx = np.clip(np.searchsorted(bps, c, side="right") - 1, 0, len(bps) - 2)
    lo, hi = bps[idx], bps[idx + 1]
    ilo, ihi = rows[idx], rows[idx + 1]
    # ceil(a / b) = -((-a) // b) for b > 0: exact integer ceiling of Eq. (1).
    value = ilo - (-(ihi - ilo) * (c - lo) // (hi - lo))
    if pollutant == "so2" and period == "1h":
        above = 200.0 if standard == "HJ633-2026" else np.nan
    elif pollutant == "o3" and period == "8h":
        above = 300.0 if standard == "HJ633-2026" else np.nan
    else:
        above = 500.0
    lut = np.append(value.astype(np.float64), above)
    lut.flags.writeable = False
    return lut


def hj_iaqi_units(
    pollutant: Pollutant, period: Period, standard: Standard, c: IntArray, present: npt.NDArray[np.bool_]
) -> FloatArray:
    """HJ 633 IAQI of rounded concentrations given as integers of their last kept digit.

    Parameters
    ----------
    pollutant, period, standard : str
        The item and edition (``"HJ633-2026"`` or ``"HJ633-2012"``).
    c : ndarray of int64
        Rounded, non-negative concentrations: [µg/m³] as integers; CO in tenths of [mg/m³].
    present : ndarray of bool
        Which concentrations exist.

    Returns
    -------
    ndarray of float64
        IAQI, integers (rounded up), NaN where missing or not defined.

    References
    ----------
    HJ 633-2026 Eq. (1), §4.2.6 (向上进位取整数), Table 3 and its notes (b), (c);
    HJ 633-2012 Eq. (1), §6.2, Table 1 and its notes (2), (3).
    """
    lut = hj_lut(pollutant, period, standard)
    out = lut[np.minimum(c, len(lut) - 1)]
    out[~present] = np.nan
    return out


def epa_iaqi_decimal(
    pollutant: Pollutant, period: Period, units9: IntArray, present: npt.NDArray[np.bool_]
) -> FloatArray:
    """US EPA AQI of concentrations read at 1e-9 of their EPA unit (truncated first).

    Parameters
    ----------
    pollutant, period : str
        The item: pm25 24h, pm10 24h, o3 8h / 1h, co 8h, so2 1h / 24h, no2 1h.
    units9 : ndarray of int64
        Concentrations in 1e-9 [ppm] (O3, CO), [ppb] (SO2, NO2) or [µg/m³] (PM).
    present : ndarray of bool
        Which concentrations exist.

    Returns
    -------
    ndarray of float64
        Index, rounded to the nearest integer (halves up), NaN where missing or not defined.

    References
    ----------
    EPA-454/B-24-002 (2024), §"Calculating the AQI" (truncation, Equation 1, rounding) and the
    breakpoint table; 40 CFR 58 Appendix G Table 2 notes (8 h O3 above 0.200 ppm, 1 h SO2
    at 305 ppb and above).
    """
    key = (pollutant, period)
    if key not in EPA2024:
        raise AirInputError(
            problems=[Problem(f"EPA2024 has no AQI for {pollutant} {period}", column="period")]
        )
    col = EPA2024[key]
    c = units9 // (10**9 // col.scale)  # truncation (floor of a non-negative value)
    los = np.array([r[0] for r in col.rows], dtype=np.int64)
    his = np.array([r[1] for r in col.rows], dtype=np.int64)
    ilos = np.array([r[2] for r in col.rows], dtype=np.int64)
    ihis = np.array([r[3] for r in col.rows], dtype=np.int64)
    pos = np.searchsorted(los, c, side="right") - 1
    idx = np.clip(pos, 0, len(los) - 1)
    lo, hi, ilo, ihi = los[idx], his[idx], ilos[idx], ihis[idx]
    num = (ihi - ilo) * (c - lo)
    den = hi - lo
    # nearest integer, halves up: floor((2·ilo·den + 2·num + den) / (2·den))
    value = (2 * ilo * den + 2 * num + den) // (2 * den)
    out = value.astype(np.float64)
    undefined = (pos < 0) | ((c > his[-1]) & (not col.extrapolate)) | ~present
    out[undefined] = np.nan
    return out


def _to_float_array(concentration: npt.ArrayLike) -> FloatArray:
    """Concentrations as floats, raising a located error for text, negatives and bad shapes."""
    raw = np.asarray(concentration, dtype=object)
    flat = raw.reshape(-1)
    problems = []
    values = np.empty(flat.shape, dtype=np.float64)
    try:
        values[:] = np.asarray(flat, dtype=np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(flat):
            try:
                values[i] = float(v) if v is not None else np.nan
            except (TypeError, ValueError):
                problems.append(Problem(f"not a number: {v!r}", row=i, column="concentration"))
                values[i] = np.nan
    for j in np.flatnonzero(values < 0):
        problems.append(
            Problem(f"negative concentration {values[j]}", row=int(j), column="concentration")
        )
    if problems:
        raise AirInputError(problems=problems)
    return values.reshape(raw.shape)


def is_2026(date: DateLike | None) -> npt.NDArray[np.bool_] | bool:
    """Whether HJ 633-2026 is in force on ``date`` (from 2026-03-01); ``None`` means today's edition.

    References
    ----------
    HJ 633-2026 (in force 2026-03-01), replacing HJ 633-2012.
    """
    if date is None:
        return True
    seq = list(np.asarray(date).reshape(-1)) if not np.isscalar(date) else [date]
    stamps = pd.to_datetime(pd.Series(seq))
    flags = (stamps >= pd.Timestamp(SWITCH_DATE)).to_numpy(dtype=bool)
    if np.isscalar(date) or isinstance(date, dt.date | pd.Timestamp | np.datetime64):
        return bool(flags[0])
    return flags


def _iaqi_array(pollutant: Pollutant, values: FloatArray, period: Period, standard: Standard) -> FloatArray:
    if standard == "EPA2024":
        units9, present = decimal_units(values)
        return epa_iaqi_decimal(pollutant, period, units9, present)
    c, present = round_units(values, HJ_DECIMALS[pollutant])
    return hj_iaqi_units(pollutant, period, standard, c, present)


@overload
def iaqi(
    pollutant: Pollutant,
    concentration: float,
    period: Period,
    standard: Standard | None = None,
    date: DateLike | None = None,
) -> float: ...


@overload
def iaqi(
    pollutant: Pollutant,
    concentration: npt.ArrayLike,
    period: Period,
    standard: Standard | None = None,
    date: DateLike | None = None,
) -> float | FloatArray: ...


def iaqi(
    pollutant: Pollutant,
    concentration: npt.ArrayLike,
    period: Period,
    standard: Standard | None = None,
    date: DateLike | None = None,
) -> float | FloatArray:
    """Individual AQI (IAQI) of concentrations, by HJ 633 (2026 or 2012) or the US EPA (2024).

    HJ 633: the concentration is first rounded by GB/T 8170 (half to even, on its decimal
    value) to 1 [µg/m³] (CO to 0.1 [mg/m³]); the IAQI is Eq. (1) on the neighbouring
    breakpoints, rounded up to an integer. EPA: the concentration is truncated, the row that
    contains it is used, and the index is rounded to the nearest integer.

    Parameters
    ----------
    pollutant : {"so2", "no2", "co", "o3", "pm10", "pm25"}
        The item.
    concentration : float or array_like
        HJ 633: [µg/m³], CO [mg/m³]. EPA2024: O3 and CO [ppm], SO2 and NO2 [ppb], PM [µg/m³].
        NaN is a missing value and gives NaN.
    period : {"1h", "8h", "24h"}
        Averaging period of the concentration (HJ 633-2026: PM ``"1h"`` uses the 24 h column).
    standard : {"HJ633-2026", "HJ633-2012", "EPA2024"}, optional
        The standard. Default: the HJ 633 edition in force on ``date`` (HJ633-2026 from
        2026-03-01, HJ633-2012 before; HJ633-2026 when ``date`` is None too).
    date : date, str or array_like of dates, optional
        Date(s) of the concentration(s), used only when ``standard`` is None.

    Returns
    -------
    float or ndarray of float64
        IAQI (integer values); NaN where missing or not defined (HJ 633-2012 notes (2), (3);
        EPA ranges the column does not cover). HJ 633: 500 above the top breakpoint.

    Raises
    ------
    AirInputError
        Unknown pollutant, period or standard, an item the standard does not index, a
        non-numeric or negative concentration (with its position as the row).

    References
    ----------
    HJ 633-2026 Eq. (1), §4.2.2, §4.2.6, Table 3 and notes; HJ 633-2012 Eq. (1), §6.2, Table 1
    and notes; GB/T 8170-2008 §3.2; EPA-454/B-24-002 (2024) AQI equation and breakpoint table.

    Examples
    --------
    >>> iaqi("co", 2.2, "24h", "HJ633-2012")
    55.0
    >>> iaqi("pm25", 70, "24h", "HJ633-2026")
    110.0
    """
    check_names(pollutant, period, standard)
    values = _to_float_array(concentration)
    scalar = values.ndim == 0
    flat = values.reshape(-1)
    if standard is not None:
        out = _iaqi_array(pollutant, flat, period, standard)
    else:
        new = is_2026(date)
        new_mask = np.broadcast_to(np.asarray(new, dtype=bool), flat.shape)
        out = np.full(flat.shape, np.nan)
        parts: tuple[tuple[Standard, npt.NDArray[np.bool_]], ...] = (
            ("HJ633-2026", new_mask), ("HJ633-2012", ~new_mask))
        for edition, mask in parts:
            if mask.any():
                out[mask] = _iaqi_array(pollutant, flat[mask], period, edition)
    if scalar:
        return float(out[0])
    return out.reshape(values.shape)
