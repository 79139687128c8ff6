"""Denomination: divide indicators by a size variable (population, GDP, area, ...).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 2 (data selection: scaling
by size, "per capita" / "per GDP" indicators).  COINr ``Denominate()`` (R/denominate.R).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zhicheng.errors import Problem
from zhicheng.index.errors import IndexInputError


def denominate(data: pd.DataFrame, denominators: pd.DataFrame, denomby: Mapping[str, str | None],
               f_denom: str = "/") -> pd.DataFrame:
    """Divide each indicator by its denominator column (COINr ``Denominate()``).

    Parameters
    ----------
    data
        Indicator values (units x indicators) [indicator units].
    denominators
        Denominator values, same units [denominator units].
    denomby
        Denominator code per indicator (COINr ``iMeta$Denominator``); indicators absent or mapped to
        ``None`` are left as they are.
    f_denom
        ``"/"`` (divide, COINr's default) or ``"*"``.

    Returns
    -------
    pandas.DataFrame
        Denominated values [indicator units per denominator unit].

    References
    ----------
    COINr ``Denominate.data.frame()``; OECD/JRC Handbook (2008), Step 2.
    """
    if f_denom not in ("/", "*"):
        raise IndexInputError(f"f_denom must be '/' or '*', not {f_denom!r}")
    problems = []
    out = data.copy()
    for code, den in denomby.items():
        if den is None or (isinstance(den, float) and np.isnan(den)) or den == "":
            continue
        if code not in out.columns:
            problems.append(Problem(f"denominated indicator {code!r} is not in the data", column=str(code)))
            continue
        if den not in denominators.columns:
            problems.append(Problem(f"denominator {den!r} of {code!r} is not in the data", column=str(den)))
            continue
        d = denominators[den].reindex(out.index).to_numpy(dtype=float)
        v = out[code].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            out[code] = v / d if f_denom == "/" else v * d
    if problems:
        raise IndexInputError(problems=problems)
    return out
