"""AQI from IAQIs: the maximum, primary and exceeding pollutants, level and colour.

References
----------
HJ 633-2026 Eq. (2), §4.3.1 (首要污染物), §5.3.1 (missing items), Table 1, Table A.1;
HJ 633-2012 Eq. (2), §3.4 (超标污染物), §7 (首要污染物), Table 2; EPA-454/B-24-002 (2024).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.breakpoints import EPA_LEVELS, HJ_LEVELS, Level, Standard
from zhicheng.air.rounding import FloatArray


def int_array(values: npt.ArrayLike) -> pd.arrays.IntegerArray:
    """Integer-valued floats (NaN for none) as a nullable Int64 array, without a pass in Python."""
    arr = np.asarray(values, dtype=np.float64)
    mask = np.isnan(arr)
    return pd.arrays.IntegerArray(np.where(mask, 0, arr).astype(np.int64), mask)


def levels_for(standard: Standard) -> tuple[Level, ...]:
    """The categories of a standard: HJ 633 (both editions) or the EPA's."""
    return EPA_LEVELS if standard == "EPA2024" else HJ_LEVELS


def level_index(aqi: npt.ArrayLike, standard: Standard = "HJ633-2026") -> npt.NDArray[np.int64]:
    """Category index 0–5 of integer AQI values (-1 where the AQI is NaN).

    Parameters
    ----------
    aqi : array_like
        AQI values (integers) [-].
    standard : str
        ``"HJ633-2026"``, ``"HJ633-2012"`` (same levels) or ``"EPA2024"``.

    References
    ----------
    HJ 633-2026 Table 1 (0–50 一级 优 … >300 六级 严重污染); HJ 633-2012 Table 2;
    EPA-454/B-24-002 Table 1 (Good … Hazardous).
    """
    values = np.asarray(aqi, dtype=np.float64)
    uppers = np.array([lv.upper for lv in levels_for(standard)[:-1]], dtype=np.float64)
    idx = np.searchsorted(uppers, values, side="left").astype(np.int64)
    return np.where(np.isnan(values), -1, idx)


def combination_labels(names: Sequence[str]) -> list[str]:
    """Labels of every non-empty subset of ``names`` by bit code (code 1 → names[0], …)."""
    return [
        ";".join(n for j, n in enumerate(names) if code >> j & 1)
        for code in range(1, 1 << len(names))
    ]


def labels_from_bits(codes: npt.NDArray[np.int64], names: Sequence[str]) -> pd.Categorical[Any]:
    """A categorical of ";"-joined names from bit codes (0 → NA), without a pass over strings."""
    return pd.Categorical.from_codes(
        codes - 1, dtype=pd.CategoricalDtype(combination_labels(names))
    )


def aqi_max(
    arrays: Sequence[FloatArray],
    standard: Standard | npt.NDArray[np.object_],
    missing: npt.ArrayLike | None = None,
) -> FloatArray:
    """AQI = the maximum IAQI of the items present, with HJ 633-2026 §5.3.1 for missing items.

    Parameters
    ----------
    arrays : sequence of ndarray
        IAQI of each item [-], NaN where there is none.
    standard : str or ndarray of str
        Edition, or one per row; §5.3.1 applies to ``"HJ633-2026"`` rows.
    missing : array_like of bool, optional
        Rows with a missing or invalid item: under §5.3.1 their AQI is NaN unless > 100.

    References
    ----------
    HJ 633-2026 Eq. (2), §5.3.1; HJ 633-2012 Eq. (2).
    """
    aqi = np.array(arrays[0], dtype=np.float64, copy=True)
    for a in arrays[1:]:
        np.fmax(aqi, a, out=aqi)  # NaN-ignoring maximum
    rule_531 = np.asarray(standard == "HJ633-2026", dtype=bool)
    if missing is not None and rule_531.any():
        aqi[np.asarray(missing, dtype=bool) & ~(aqi > 100) & rule_531] = np.nan
    return aqi


def aqi_values(
    iaqis: Mapping[str, npt.ArrayLike],
    standard: Standard | npt.NDArray[np.object_],
    missing: npt.ArrayLike | None = None,
) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """AQI, primary-pollutant bit codes and exceeding-pollutant bit codes (arrays only).

    Bit ``j`` of a code stands for the ``j``-th item of ``iaqis``. ``standard`` is one edition
    or one per row. See :func:`aqi_table`.

    References
    ----------
    HJ 633-2026 Eq. (2), §4.3.1, §5.3.1; HJ 633-2012 §3.4.
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in iaqis.values()]
    aqi = aqi_max(arrays, standard, missing)
    exceeding_rule = np.asarray(standard == "HJ633-2012", dtype=bool)
    primary = np.zeros(aqi.shape, dtype=np.int64)
    exceeding = np.zeros(aqi.shape, dtype=np.int64)
    over_50 = aqi > 50
    for j, a in enumerate(arrays):
        primary |= ((a == aqi) & over_50).astype(np.int64) << j
        if exceeding_rule.any():
            exceeding |= ((a > 100) & exceeding_rule).astype(np.int64) << j
    return aqi, primary, exceeding


def aqi_table(
    iaqis: Mapping[str, npt.ArrayLike],
    standard: Standard | npt.NDArray[np.object_],
    missing: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """AQI, primary pollutant(s), exceeding pollutants, level and colour for rows of IAQIs.

    Parameters
    ----------
    iaqis : mapping of item name to array_like
        The IAQI of each item of the report (NaN where there is none) [-].
    standard : {"HJ633-2026", "HJ633-2012", "EPA2024"} or array of them
        The edition, or one per row (HJ 633 editions may be mixed; EPA may not).
    missing : array_like of bool, optional
        Rows where an item of the report is missing or invalid. Under HJ 633-2026 §5.3.1 the
        AQI of such a row is published only when the other items' AQI is above 100, otherwise
        the AQI, primary pollutant and level are NA. Under HJ 633-2012 (no such clause) and the
        EPA the AQI is the maximum of the items present (Convention).

    Returns
    -------
    pandas.DataFrame
        ``aqi`` (Int64), ``primary`` (items joined by ";", only when AQI > 50, ties all
        listed), ``exceeding`` (HJ 633-2012: items with IAQI > 100; NA otherwise), ``level``
        (Chinese category), ``level_en``, ``grade`` (级别), ``colour`` (hex); text columns are
        categorical.

    References
    ----------
    HJ 633-2026 Eq. (2), §4.3.1, §5.3.1, Table 1; HJ 633-2012 §3.4, §7, Table 2.
    """
    names = list(iaqis)
    aqi, primary, exceeding = aqi_values(iaqis, standard, missing)
    epa = np.asarray(standard == "EPA2024", dtype=bool)
    level_standard: Standard = "EPA2024" if epa.all() else "HJ633-2026"
    levels = levels_for(level_standard)
    idx = level_index(aqi, level_standard)

    def pick(attr: str) -> pd.Categorical[Any]:
        values = [getattr(lv, attr) for lv in levels]
        categories = list(dict.fromkeys(values))
        remap = np.array([categories.index(v) for v in values] + [-1], dtype=np.int64)
        return pd.Categorical.from_codes(remap[idx], dtype=pd.CategoricalDtype(categories))

    return pd.DataFrame(
        {
            "aqi": int_array(aqi),
            "primary": labels_from_bits(primary, names),
            "exceeding": labels_from_bits(exceeding, names),
            "level": pick("name_zh"),
            "level_en": pick("name_en"),
            "grade": pick("grade_zh"),
            "colour": pick("hex"),
        }
    )
