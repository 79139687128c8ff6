"""Outlier treatment: iterative winsorisation, then a log transform if that fails.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 5 (section 5.1: outliers,
skewness and kurtosis, winsorisation and transformations).  COINr ``Treat()``, ``qTreat()``,
``winsorise()``, ``log_CT()``, ``log_CT_plus()``, ``log_CT_orig()``, ``log_GII()``, ``boxcox()``
(R/treat.R).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.index.checks import kurt, skew, skew_kurt_pass
from zhicheng.index.errors import IndexInputError


@dataclass
class TreatSpec:
    """Settings of one indicator's treatment (COINr ``global_specs`` flattened).

    ``winmax`` [points], ``skew_thresh`` and ``kurt_thresh`` [dimensionless] drive both the
    winsorisation (``f1_para``) and the pass check (``f_pass_para``); ``f2`` names the fallback
    transform (``log_CT``, ``log_CT_plus``, ``log_CT_orig``, ``log_GII``, ``boxcox`` or ``none``).
    """

    winmax: int | None = 5
    skew_thresh: float = 2.0
    kurt_thresh: float = 3.5
    force_win: bool = False
    f2: str = "log_CT"
    lambda_: float = 1.0
    pass_skew_thresh: float | None = None
    pass_kurt_thresh: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def check_skew(self) -> float:
        """Skew threshold of the pass check."""
        return self.skew_thresh if self.pass_skew_thresh is None else self.pass_skew_thresh

    @property
    def check_kurt(self) -> float:
        """Kurtosis threshold of the pass check."""
        return self.kurt_thresh if self.pass_kurt_thresh is None else self.pass_kurt_thresh


def winsorise(x: np.ndarray, winmax: int | None = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5,
              force_win: bool = False) -> tuple[np.ndarray, int, np.ndarray]:
    """Winsorise the highest (positive skew) or lowest (negative skew) point(s), one step at a time.

    Each step reassigns the current maximum (or minimum), with its ties, to the next value in from
    the tail, until ``|skew| < skew_thresh`` or ``kurt < kurt_thresh`` or ``winmax`` points have been
    winsorised.  The count follows COINr: the size of the last high-side tie group plus the last
    low-side one.

    Parameters
    ----------
    x
        Values [indicator units]; ``NaN`` is ignored.
    winmax
        Maximum number of winsorised points [points] (``None``: no limit).
    skew_thresh, kurt_thresh
        Absolute skew and kurtosis thresholds [dimensionless].
    force_win
        Winsorise up to ``winmax`` whatever the skew and kurtosis.

    Returns
    -------
    tuple
        Treated values, number winsorised ``nwin`` and a per-point label (``"winhi"``, ``"winlo"``, ``""``).

    References
    ----------
    COINr ``winsorise()``; OECD/JRC Handbook (2008), section 5.1.
    """
    x = np.array(x, dtype=float)
    passing = skew_kurt_pass(skew(x), kurt(x), skew_thresh, kurt_thresh)
    nwin = 0
    imax: np.ndarray = np.array([], dtype=int)
    imin: np.ndarray = np.array([], dtype=int)
    if passing is None and not force_win:
        raise IndexInputError("skew/kurtosis undefined (too few values): cannot winsorise")
    if not passing or force_win:
        below = winmax is None or nwin < winmax
        while (not passing or force_win) and below:
            if skew(x) >= 0:
                imax = np.flatnonzero(x == np.nanmax(x))
                rest = np.delete(x, imax)
                x[imax] = np.nanmax(rest)
            else:
                imin = np.flatnonzero(x == np.nanmin(x))
                rest = np.delete(x, imin)
                x[imin] = np.nanmin(rest)
            nwin = imax.size + imin.size
            below = winmax is None or nwin < winmax
            passing = skew_kurt_pass(skew(x), kurt(x), skew_thresh, kurt_thresh)
            if passing is None:
                raise IndexInputError("skew/kurtosis undefined during winsorisation")
    labels = np.full(x.size, "", dtype=object)
    labels[imax] = "winhi"
    labels[imin] = "winlo"
    return x, nwin, labels


def log_ct(x: np.ndarray) -> np.ndarray:
    """COIN Tool log: ``log(x - min(x) + 0.01 (max(x) - min(x)))``.

    Parameters
    ----------
    x
        Values [indicator units].

    Returns
    -------
    numpy.ndarray
        Transformed values [log of indicator units].

    References
    ----------
    COINr ``log_CT()``; OECD/JRC Handbook (2008), section 5.1 (transformations).
    """
    mn, mx = np.nanmin(x), np.nanmax(x)
    return np.log(x - mn + 0.01 * (mx - mn))


def log_ct_plus(x: np.ndarray) -> np.ndarray:
    """Skew-aware COIN Tool log: ``log_CT`` if skew > 0, else ``-log(max(x) + a - x)``, ``a = 0.01 range``.

    References
    ----------
    COINr ``log_CT_plus()``; OECD/JRC Handbook (2008), section 5.1.
    """
    mn, mx = np.nanmin(x), np.nanmax(x)
    a = 0.01 * (mx - mn)
    if skew(x) > 0:
        return np.log(x - mn + a)
    return -np.log(mx + a - x)


def log_ct_orig(x: np.ndarray) -> np.ndarray:
    """Original COIN Tool log: ``log(x - min(x) + 1)``.

    References
    ----------
    COINr ``log_CT_orig()``; OECD/JRC Handbook (2008), section 5.1.
    """
    return np.log(x - np.nanmin(x) + 1)


def log_gii(x: np.ndarray) -> np.ndarray:
    """GII log transform as COINr's ``log_GII()``, which returns its input unchanged.

    COINr computes ``log((max-1)(x-min)/(max-min) + 1)`` but returns the untransformed ``x`` (the
    function is marked "not recommended" there); it is reproduced as is.

    References
    ----------
    COINr ``log_GII()`` (R/treat.R).
    """
    return np.array(x, dtype=float)


def boxcox(x: np.ndarray, lambda_: float = 1.0, makepos: bool = True) -> np.ndarray:
    """Box-Cox transform with fixed ``lambda``, shifting to ``x - min(x) + 1`` first.

    References
    ----------
    COINr ``boxcox()``; OECD/JRC Handbook (2008), section 5.1 (Box-Cox transformation).
    """
    x = np.array(x, dtype=float)
    if makepos:
        x = x - np.nanmin(x) + 1
    if lambda_ == 0:
        return np.log(x)
    return (x**lambda_ - 1) / lambda_


F2: dict[str, Callable[[np.ndarray, TreatSpec], np.ndarray]] = {
    "log_CT": lambda x, s: log_ct(x),
    "log_CT_plus": lambda x, s: log_ct_plus(x),
    "log_CT_orig": lambda x, s: log_ct_orig(x),
    "log_GII": lambda x, s: log_gii(x),
    "boxcox": lambda x, s: boxcox(x, s.lambda_),
}
#: f2 functions that report nothing to the details table (COINr: plain numeric output).
_F2_NO_TABLE = {"boxcox"}


def treat_column(x: np.ndarray, spec: TreatSpec, combine_treat: bool = False
                 ) -> tuple[np.ndarray, dict[str, object] | None, np.ndarray]:
    """Treat one indicator: check, winsorise, re-check, and fall back to ``f2`` (COINr ``Treat.numeric``).

    Returns the treated values [indicator units or log units], the details row (``None`` when the
    pass check is undefined, as COINr leaves such columns out of its table) and point labels.

    References
    ----------
    COINr ``Treat.numeric()``; OECD/JRC Handbook (2008), section 5.1.
    """
    x = np.asarray(x, dtype=float)
    sk, kt = skew(x), kurt(x)
    ok = skew_kurt_pass(sk, kt, spec.check_skew, spec.check_kurt)
    labels = np.full(x.size, "", dtype=object)
    if ok is None:
        return x.copy(), None, labels
    dets: dict[str, object] = {"check_SkewKurt0.Pass": ok, "check_SkewKurt0.Skew": sk,
                               "check_SkewKurt0.Kurt": kt}
    if ok:
        return x.copy(), dets, labels
    x1, nwin, labels = winsorise(x, spec.winmax, spec.skew_thresh, spec.kurt_thresh, spec.force_win)
    sk, kt = skew(x1), kurt(x1)
    ok = skew_kurt_pass(sk, kt, spec.check_skew, spec.check_kurt)
    dets.update({"winsorise.nwin": nwin, "check_SkewKurt1.Pass": ok, "check_SkewKurt1.Skew": sk,
                 "check_SkewKurt1.Kurt": kt})
    if ok is None:
        return x.copy(), None, np.full(x.size, "", dtype=object)
    if ok or spec.f2 == "none":
        return x1, dets, labels
    base = x1 if combine_treat else x
    x2 = F2[spec.f2](base, spec)
    sk, kt = skew(x2), kurt(x2)
    ok = skew_kurt_pass(sk, kt, spec.check_skew, spec.check_kurt)
    if ok is None:
        return x.copy(), None, np.full(x.size, "", dtype=object)
    dets.update({"check_SkewKurt2.Pass": ok, "check_SkewKurt2.Skew": sk, "check_SkewKurt2.Kurt": kt})
    tag = spec.f2 if spec.f2 != "log_CT_plus" else ("log_CT" if skew(base) > 0 else "log_CT_neg")
    labels = np.array([(f"{a}+{tag}" if a else tag) if combine_treat else tag for a in labels], dtype=object)
    return x2, dets, labels


_SPEC_KEYS = {"winmax", "skew_thresh", "kurt_thresh", "force_win", "f2", "lambda", "lambda_"}


def _flatten(params: Mapping[str, Any], s: TreatSpec) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, val in params.items():
        if key in ("f1_para", "f2_para") and isinstance(val, Mapping):
            flat.update({k: v for k, v in val.items() if k != "na.rm"})
        elif key == "f_pass_para" and isinstance(val, Mapping):
            if "skew_thresh" in val:
                s.pass_skew_thresh = float(val["skew_thresh"])
            if "kurt_thresh" in val:
                s.pass_kurt_thresh = float(val["kurt_thresh"])
        elif key in ("f1", "f_pass"):
            expected = "winsorise" if key == "f1" else "check_SkewKurt"
            if val != expected:
                raise IndexInputError(f"treat: {key}={val!r} is not supported (only {expected!r})")
        else:
            flat[key] = val
    return flat


def make_spec(params: Mapping[str, Any], base: TreatSpec | None = None) -> TreatSpec:
    """Build a :class:`TreatSpec` from COINr-named settings (flat, or nested ``f1_para``/``f2_para``/``f_pass_para``)."""
    s = TreatSpec(**{k: v for k, v in (base or TreatSpec()).__dict__.items()})
    for key, val in _flatten(params, s).items():
        if key not in _SPEC_KEYS:
            raise IndexInputError(f"treat: unknown setting {key!r}; known: {sorted(_SPEC_KEYS)}")
        if key == "winmax":
            s.winmax = None if val is None else int(val)
        elif key in ("lambda", "lambda_"):
            s.lambda_ = float(val)
        elif key == "f2":
            s.f2 = "none" if val is None else str(val)
        elif key == "force_win":
            s.force_win = bool(val)
        else:
            setattr(s, key, float(val))
    if s.f2 != "none" and s.f2 not in F2:
        raise IndexInputError(f"unknown outlier transform f2={s.f2!r}; use one of {sorted(F2)} or 'none'")
    return s


def treat(data: pd.DataFrame, params: Mapping[str, Any] | None = None,
          indiv: Mapping[str, Mapping[str, Any] | str] | None = None, combine_treat: bool = False
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Treat every indicator column for outliers (COINr ``Treat()`` / ``qTreat()``).

    Parameters
    ----------
    data
        Indicator values (units x indicators) [indicator units].
    params
        Global settings in COINr names: ``winmax``, ``skew_thresh``, ``kurt_thresh``, ``f2``,
        ``force_win`` (or COINr's nested ``f1_para`` / ``f2_para`` / ``f_pass_para``).
    indiv
        Per-indicator overrides (same keys), or ``"none"`` to leave an indicator untreated.
    combine_treat
        Apply ``f2`` to the winsorised values instead of the original ones.

    Returns
    -------
    tuple
        Treated data, the details table (COINr ``Dets_Table``: skew/kurtosis before and after,
        points winsorised) and the treated-points labels.

    References
    ----------
    COINr ``Treat.data.frame()``; OECD/JRC Handbook (2008), section 5.1.
    """
    base = make_spec(params or {})
    out = {}
    rows = []
    labels = {}
    for code in data.columns:
        col = data[code].to_numpy(dtype=float)
        ind = (indiv or {}).get(str(code))
        if isinstance(ind, str):
            if ind != "none":
                raise IndexInputError(f"treat: individual setting for {code!r} must be a mapping or 'none'")
            out[code], labels[code] = col.copy(), np.full(col.size, "", dtype=object)
            continue
        spec = make_spec(ind, base) if ind else base
        try:
            x, dets, lab = treat_column(col, spec, combine_treat)
        except IndexInputError:
            # COINr catches a failed treatment and returns the indicator untreated (with a warning)
            x, dets, lab = col.copy(), None, np.full(col.size, "", dtype=object)
        out[code], labels[code] = x, lab
        if dets is not None:
            rows.append({"iCode": str(code), **dets})
    treated = pd.DataFrame(out, index=data.index, columns=data.columns)
    cols: list[str] = ["iCode"]
    for r in rows:
        cols += [k for k in r if k not in cols]
    details = pd.DataFrame(rows, columns=cols)
    points = pd.DataFrame(labels, index=data.index, columns=data.columns)
    return treated, details, points
