"""Imputation of missing values: mean, median, by group, column-wise or row-wise.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 3 (section 3.2: single
imputation, unconditional mean / median substitution, imputation within groups).
COINr ``Impute()``, ``i_mean()``, ``i_median()``, ``i_mean_grp()``, ``i_median_grp()``
(R/impute.R).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from zhicheng.index.errors import IndexInputError, known_method

METHODS = ("mean", "median", "mean_grp", "median_grp", "none")


def method_name(name: str) -> str:
    """Method name without COINr's ``i_`` prefix, checked."""
    return known_method(name, "i_", METHODS, "imputation")


def _fill(x: np.ndarray, stat: str, axis: int) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        v = np.nanmean(x, axis=axis, keepdims=True) if stat == "mean" else np.nanmedian(x, axis=axis, keepdims=True)
    return np.where(np.isnan(x), v, x)


def impute(data: pd.DataFrame, method: str = "mean", groups: pd.Series | None = None,
           impute_by: str = "column", normalise_first: bool | None = None,
           directions: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Replace missing values (COINr ``Impute()``).

    Parameters
    ----------
    data
        Indicator values (units x indicators) [indicator units].
    method
        ``mean``, ``median`` (of the column, or of the row when ``impute_by = "row"``),
        ``mean_grp`` / ``median_grp`` (of the column within the unit's group) or ``none``.
    groups
        Group label of each unit (needed by ``*_grp``); units with no group are left as they are.
    impute_by
        ``"column"`` or ``"row"``.
    normalise_first
        Min-max the columns (after applying ``directions``) before imputing and invert afterwards;
        defaults to ``True`` for row-wise imputation, as in COINr.
    directions
        +1 / -1 per indicator, used when ``normalise_first``.

    Returns
    -------
    pandas.DataFrame
        Imputed values [indicator units]; values that were present are unchanged.

    References
    ----------
    COINr ``Impute.data.frame()``, ``i_mean_grp()``; OECD/JRC Handbook (2008), section 3.2.
    """
    m = method_name(method)
    if impute_by not in ("column", "row"):
        raise IndexInputError(f"impute_by must be 'column' or 'row', not {impute_by!r}")
    x = data.to_numpy(dtype=float)
    missing = np.isnan(x)
    if m == "none" or not missing.any():
        return data.copy()
    if normalise_first is None:
        normalise_first = impute_by == "row"
    if normalise_first:
        if directions is None:
            raise IndexInputError("impute: normalise_first needs the indicator directions")
        d = np.array([float(directions[str(c)]) for c in data.columns])
        xd = x * d
        mn, mx = np.nanmin(xd, axis=0), np.nanmax(xd, axis=0)
        work = (xd - mn) / (mx - mn)
    else:
        work = x
    if m.endswith("_grp"):
        if impute_by != "column":
            raise IndexInputError("group imputation works by column")
        if groups is None:
            raise IndexInputError(f"{m} needs a grouping variable (use_group)")
        g = groups.reindex(data.index)
        if g.isna().all():
            raise IndexInputError("the grouping variable has no values")
        filled = work.copy()
        for label in pd.unique(g.dropna()):
            rows = (g == label).to_numpy()
            filled[rows] = _fill(work[rows], m[:-4], axis=0)
    else:
        filled = _fill(work, m, axis=0 if impute_by == "column" else 1)
    if normalise_first:
        filled = (filled * (mx - mn) + mn) * d
    filled = np.where(missing, filled, x)
    return pd.DataFrame(filled, index=data.index, columns=data.columns)
