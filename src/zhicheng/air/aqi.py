"""AQI from IAQIs: the maximum, primary and exceeding pollutants, level and colour.

References
----------
HJ 633-2026 Eq. (2), §4.3.1 (首要污染物), §5.3.1 (missing items), Table 1, Table A.1;
HJ 633-2012 Eq. (2), §3.4 (超标污染物), §7 (首要污染物), Table 2; EPA-454/B-24-002 (2024).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.air.breakpoints import EPA_LEVELS, HJ_LEVELS, Level
from zhicheng.air.rounding import FloatArray


def levels_for(standard: str) -> tuple[Level, ...]:
    """The categories of a standard: HJ 633 (both editions) or the EPA's."""
    return EPA_LEVELS if standard == "EPA2024" else HJ_LEVELS


def level_index(aqi: npt.ArrayLike, standard: str = "HJ633-2026") -> npt.NDArray[np.int64]:
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


def _labels(mask: npt.NDArray[np.bool_], names: Sequence[str]) -> npt.NDArray[np.object_]:
    """Join the names flagged in each row of ``mask`` with ";" (NA where none), vectorised."""
    weights = (1 << np.arange(mask.shape[1], dtype=np.int64)).astype(np.int64)
    codes = mask.astype(np.int64) @ weights
    uniq, inverse = np.unique(codes, return_inverse=True)
    table = np.array(
        [";".join(n for j, n in enumerate(names) if code >> j & 1) or None for code in uniq],
        dtype=object,
    )
    return table[inverse]


def aqi_table(
    iaqis: Mapping[str, npt.ArrayLike],
    standard: str,
    missing: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """AQI, primary pollutant(s), exceeding pollutants, level and colour for rows of IAQIs.

    Parameters
    ----------
    iaqis : mapping of item name to array_like
        The IAQI of each item of the report (NaN where there is none) [-].
    standard : {"HJ633-2026", "HJ633-2012", "EPA2024"}
        The edition.
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
        (Chinese category), ``level_en``, ``grade`` (级别), ``colour`` (hex).

    References
    ----------
    HJ 633-2026 Eq. (2), §4.3.1, §5.3.1, Table 1; HJ 633-2012 §3.4, §7, Table 2.
    """
    names = list(iaqis)
    matrix = np.column_stack([np.asarray(iaqis[n], dtype=np.float64) for n in names])
    have = ~np.isnan(matrix)
    any_item = have.any(axis=1)
    aqi: FloatArray = np.where(any_item, np.max(np.where(have, matrix, -1.0), axis=1), np.nan)
    if missing is not None and standard == "HJ633-2026":
        miss = np.asarray(missing, dtype=bool)
        aqi = np.where(miss & ~(aqi > 100), np.nan, aqi)
    primary = _labels(have & (matrix == aqi[:, None]) & (aqi[:, None] > 50), names)
    if standard == "HJ633-2012":
        exceeding = _labels(have & (matrix > 100), names)
    else:
        exceeding = np.full(len(aqi), None, dtype=object)
    levels = levels_for(standard)
    idx = level_index(aqi, standard)

    def pick(attr: str) -> npt.NDArray[np.object_]:
        table = np.array([getattr(lv, attr) for lv in levels] + [None], dtype=object)
        return table[idx]

    return pd.DataFrame(
        {
            "aqi": pd.array(np.where(np.isnan(aqi), np.nan, aqi), dtype="Float64").astype("Int64"),
            "primary": pd.array(primary, dtype="string"),
            "exceeding": pd.array(exceeding, dtype="string"),
            "level": pd.array(pick("name_zh"), dtype="string"),
            "level_en": pd.array(pick("name_en"), dtype="string"),
            "grade": pd.array(pick("grade_zh"), dtype="string"),
            "colour": pd.array(pick("hex"), dtype="string"),
        }
    )
