"""Unit screening by data availability and share of zeros, with forced inclusions or exclusions.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 2 (data selection: minimum
data coverage of units) and Step 3.  COINr ``Screen()``, ``get_data_avail()`` (R/screen_units.R).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zhicheng.index.errors import IndexInputError


def data_availability(data: pd.DataFrame) -> pd.DataFrame:
    """Per unit: missing count, zero count, availability and non-zero share (COINr ``get_data_avail``).

    Returns
    -------
    pandas.DataFrame
        ``N_missing, N_zero, N_miss_or_zero, Dat_Avail`` [fraction of indicators],
        ``Non_Zero`` [fraction of the values present], indexed by unit.

    References
    ----------
    COINr ``get_data_avail.data.frame()``; OECD/JRC Handbook (2008), Step 3.
    """
    x = data.to_numpy(dtype=float)
    na = np.isnan(x).sum(axis=1)
    zero = (x == 0).sum(axis=1)
    k = x.shape[1]
    with np.errstate(all="ignore"):
        nonzero = 1 - zero / (k - na)
    return pd.DataFrame({"N_missing": na, "N_zero": zero, "N_miss_or_zero": na + zero,
                         "Dat_Avail": 1 - na / k, "Non_Zero": nonzero}, index=data.index)


def screen(data: pd.DataFrame, unit_screen: str = "byNA", dat_thresh: float | None = None,
           nonzero_thresh: float | None = None, force: Mapping[str, bool] | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop units with too little data (or too many zeros), except those forced in.

    Parameters
    ----------
    data
        Indicator values (units x indicators).
    unit_screen
        ``"byNA"``, ``"byzeros"`` or ``"byNAandzeros"``.
    dat_thresh
        Minimum availability [fraction], default 2/3.
    nonzero_thresh
        Minimum non-zero share [fraction], default 0.05.
    force
        ``{unit: True}`` keeps a unit whatever its data, ``{unit: False}`` drops it.

    Returns
    -------
    tuple
        Screened data and the summary table (availability, flags, ``Included``).

    References
    ----------
    COINr ``Screen.data.frame()``; OECD/JRC Handbook (2008), Step 2.
    """
    dat_thresh = 2 / 3 if dat_thresh is None else float(dat_thresh)
    nonzero_thresh = 0.05 if nonzero_thresh is None else float(nonzero_thresh)
    if not (0 <= dat_thresh <= 1 and 0 <= nonzero_thresh <= 1):
        raise IndexInputError("screen: dat_thresh and nonzero_thresh must be between 0 and 1")
    s = data_availability(data)
    s["LowData"] = s["Dat_Avail"] < dat_thresh
    s["LowNonZero"] = s["Non_Zero"] < nonzero_thresh
    s["LowDatOrZeroFlag"] = s["LowData"] | s["LowNonZero"]
    rule = {"byNA": "LowData", "byzeros": "LowNonZero", "byNAandzeros": "LowDatOrZeroFlag"}
    if unit_screen not in rule:
        raise IndexInputError(f"unit_screen must be one of {sorted(rule)}, not {unit_screen!r}")
    s["Included"] = ~s[rule[unit_screen]]
    if force:
        unknown = [u for u in force if u not in s.index]
        if unknown:
            raise IndexInputError(f"screen: forced unit(s) {unknown} not found in the data")
        for u, keep in force.items():
            s.loc[u, "Included"] = bool(keep)
    return data[s["Included"].to_numpy()], s


def force_mapping(force: object) -> dict[str, bool] | None:
    """Normalise COINr's ``Force`` (rows ``uCode, Include``) or a ``{unit: bool}`` mapping."""
    if force is None:
        return None
    if isinstance(force, Mapping):
        return {str(k): bool(v) for k, v in force.items()}
    if isinstance(force, pd.DataFrame):
        return {str(u): bool(i) for u, i in zip(force["uCode"], force["Include"], strict=True)}
    if isinstance(force, list):
        return {str(r["uCode"]): bool(r.get("Include", True)) for r in force}
    raise IndexInputError("screen: Force must be a mapping {unit: include} or rows with uCode and Include")
