"""Rounding (修约) by GB/T 8170, decided on exact values.

GB/T 8170 rounds half to even (四舍六入五成双). Ties must be decided on the exact value, not on
its binary floating-point approximation: the daily statistics are exact rationals ``sum / n``
of the hourly values, so this module works on integer numerators and denominators.

Hourly concentrations are turned into integers of ``1 / SCALE`` of their unit
(:func:`to_units`); the products' documented resolution is therefore 1e-6 [µg/m³]
(CO 1e-6 [mg/m³]), far below any reported digit.

References
----------
GB/T 8170-2008 数值修约规则与极限数值的表示和判定, §3.2 (进舍规则).
HJ 633-2026 §4.2.2, §4.2.3 (concentrations rounded by GB/T 8170 before the IAQI).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Resolution of hourly concentrations inside the module: integers of 1e-6 of the unit.
SCALE = 10**6
#: Resolution used to read a float as the decimal number it was written as (1e-9).
_TEXT_SCALE = 10**9

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def to_units(x: npt.ArrayLike, scale: int = SCALE) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Convert concentrations to integers of ``1/scale`` of their unit.

    Parameters
    ----------
    x : array_like
        Concentrations [unit]; NaN marks a missing value.
    scale : int
        Integer units per unit.

    Returns
    -------
    units, present : ndarray of int64, ndarray of bool
        ``round(x * scale)`` (0 where missing) and the mask of present values.
    """
    y = np.asarray(x, dtype=np.float64) * scale
    present = np.isfinite(y)
    np.rint(y, out=y)
    y[~present] = 0.0
    return y.astype(np.int64), present


def ratio_half_even(num: npt.ArrayLike, den: npt.ArrayLike) -> IntArray:
    """Round ``num / den`` half to even, exactly, for integer arrays (``den > 0``).

    Parameters
    ----------
    num, den : array_like of int
        Numerators and positive denominators.

    Returns
    -------
    ndarray of int64
        The nearest integer to ``num / den``; exact halves go to the even neighbour.

    References
    ----------
    GB/T 8170-2008 §3.2.4 (拟舍弃数字为 5 且其后无数字或皆为 0 时，保留的末位数字为偶数).
    """
    n = np.asarray(num, dtype=np.int64)
    d = np.asarray(den, dtype=np.int64)
    q, r = np.divmod(n, d)
    twice = 2 * r
    up = (twice > d) | ((twice == d) & (q % 2 == 1))
    return np.asarray(q + up.astype(np.int64), dtype=np.int64)


def decimal_units(x: npt.ArrayLike) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Read floats as the decimal numbers they were written as, in units of 1e-9.

    ``2.35`` is stored as 2.35000000000000008882; reading it at 1e-9 gives exactly
    2 350 000 000, so a later tie is decided on the written value.
    """
    arr = np.asarray(x, dtype=np.float64)
    present = np.isfinite(arr)
    clipped = np.clip(np.where(present, arr, 0.0), -1e8, 1e8)
    return np.rint(clipped * _TEXT_SCALE).astype(np.int64), present


def round_half_even(x: npt.ArrayLike, decimals: int = 0) -> FloatArray:
    """Round concentrations by GB/T 8170 (half to even) to ``decimals`` places.

    The float is read as the decimal number it was written as (to 1e-9), so ``2.25`` → 2.2,
    ``2.35`` → 2.4, ``35.5`` → 36, ``36.5`` → 36, ``36.51`` → 37.

    Parameters
    ----------
    x : array_like
        Values; NaN stays NaN. ``|x| <= 1e8``.
    decimals : int
        Places to keep, 0 to 9.

    Returns
    -------
    ndarray of float64
        Rounded values.

    References
    ----------
    GB/T 8170-2008 §3.2 (进舍规则); HJ 633-2026 §4.2.2.
    """
    units, present = decimal_units(x)
    den = 10 ** (9 - decimals)
    rounded = ratio_half_even(units, den).astype(np.float64) / 10**decimals
    return np.where(present, rounded, np.nan)


def round_units(x: npt.ArrayLike, decimals: int) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Round non-negative concentrations by GB/T 8170 to integers of their last kept digit.

    Fast path of :func:`round_half_even` for arrays: ``rint`` (half to even) of
    ``x · 10**decimals``. With ``decimals = 0`` a decimal tie (``35.5``) is exact in binary, so
    ``rint`` decides it right; with ``decimals > 0`` the values within 1e-6 of a tie are
    re-decided on their decimal value (:func:`decimal_units`).

    Returns
    -------
    units, present : ndarray of int64, ndarray of bool
        ``35.5`` → 36, ``36.5`` → 36; CO ``2.35`` → 24 (tenths), ``2.25`` → 22. 0 where missing.

    References
    ----------
    GB/T 8170-2008 §3.2; HJ 633-2026 §4.2.2.
    """
    arr = np.asarray(x, dtype=np.float64)
    present = np.isfinite(arr)
    y = np.where(present, arr, 0.0) * 10**decimals if not present.all() else arr * 10**decimals
    r = np.rint(y)
    if decimals:
        near = np.abs(y - np.floor(y) - 0.5) < 1e-6
        if near.any():
            units9, _ = decimal_units(arr[near])
            r[near] = ratio_half_even(units9, 10 ** (9 - decimals))
    return r.astype(np.int64), present
