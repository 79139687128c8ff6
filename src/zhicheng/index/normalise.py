"""Normalisation: bring indicators onto a common scale, respecting their directions.

Every method works on the whole units x indicators matrix at once (columns are indicators),
``NaN`` values are ignored in the column statistics and stay ``NaN``.  Values are first multiplied by
the indicator direction (+1 / -1), as COINr's ``Normalise.numeric`` does.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 5 (section 5.2, Table 3:
ranking, standardisation (z-scores), min-max, distance to a reference, categorical scales).
COINr ``Normalise()`` and ``n_minmax()``, ``n_zscore()``, ``n_scaled()``, ``n_dist2max()``,
``n_dist2ref()``, ``n_dist2targ()``, ``n_fracmax()``, ``n_prank()``, ``n_rank()``, ``n_borda()``,
``n_goalposts()`` (R/normalise.R).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.index.errors import IndexInputError, known_method


def _colmin(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.nanmin(np.where(np.isnan(x), np.inf, x), axis=0)


def _colmax(x: np.ndarray) -> np.ndarray:
    return np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=0)


def n_minmax(x: np.ndarray, l_u: Sequence[float] = (0.0, 100.0)) -> np.ndarray:
    """Min-max: ``(x - min) / (max - min) * (u - l) + l``.

    Parameters
    ----------
    x
        Values, units x indicators [indicator units].
    l_u
        Lower and upper bounds of the scale [score].

    Returns
    -------
    numpy.ndarray
        Scores in ``[l, u]`` [score]; a column with zero range gives ``NaN``.

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (min-max, eq. 5.3); COINr ``n_minmax()``.
    """
    lo, up = float(l_u[0]), float(l_u[1])
    mn, mx = _colmin(x), _colmax(x)
    with np.errstate(all="ignore"):
        return (x - mn) / (mx - mn) * (up - lo) + lo


def n_zscore(x: np.ndarray, m_sd: Sequence[float] = (0.0, 1.0)) -> np.ndarray:
    """Z-score rescaled to mean ``m`` and standard deviation ``sd``: ``(x - mean)/sd(x) * sd + m``.

    The sample standard deviation (``n - 1``) is used, as R's ``sd``.

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (standardisation, eq. 5.2); COINr ``n_zscore()``.
    """
    if float(m_sd[1]) <= 0:
        raise IndexInputError("zscore: the target standard deviation (m_sd[1]) must be positive")
    with np.errstate(all="ignore"):
        mean = np.nanmean(x, axis=0)
        sd = np.nanstd(x, axis=0, ddof=1)
        return (x - mean) / sd * float(m_sd[1]) + float(m_sd[0])


def n_scaled(x: np.ndarray, npara: Sequence[float] = (0.0, 100.0)) -> np.ndarray:
    """Linear scaling ``(x - l) / (u - l) * 100`` with fixed ``l, u`` (not the data range).

    References
    ----------
    COINr ``n_scaled()``; OECD/JRC Handbook (2008), section 5.2.
    """
    return (x - float(npara[0])) / (float(npara[1]) - float(npara[0])) * 100


def n_dist2max(x: np.ndarray) -> np.ndarray:
    """Distance to the maximum: ``1 - (max - x) / (max - min)`` [0, 1].

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (distance to the group leader); COINr ``n_dist2max()``.
    """
    mn, mx = _colmin(x), _colmax(x)
    with np.errstate(all="ignore"):
        return 1 - (mx - x) / (mx - mn)


def n_dist2ref(x: np.ndarray, iref: int, cap_max: bool = False) -> np.ndarray:
    """Distance to a reference unit: ``1 - (x_ref - x) / (x_ref - min)``.

    Parameters
    ----------
    x
        Values [indicator units].
    iref
        Position of the reference unit, 1-based as in COINr.
    cap_max
        Cap scores above the reference at 1.

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (distance to a reference, eq. 5.5); COINr ``n_dist2ref()``.
    """
    if not 1 <= int(iref) <= x.shape[0]:
        raise IndexInputError(f"dist2ref: iref must be between 1 and {x.shape[0]}")
    ref = x[int(iref) - 1]
    with np.errstate(all="ignore"):
        y = 1 - (ref - x) / (ref - _colmin(x))
    if cap_max:
        y = np.where(y > 1, 1.0, y)
    return y


def n_dist2targ(x: np.ndarray, targ: float | np.ndarray, direction: int = 1,
                cap_max: bool = False) -> np.ndarray:
    """Distance to a target: ``(x - min) / (targ - min)``, or ``(max - x) / (max - targ)`` with ``direction = -1``.

    ``targ`` may be one value or one per indicator column.  As in COINr, the indicator direction
    is applied to the data beforehand, so targets from metadata are multiplied by it and this
    function's own ``direction`` stays 1 unless given explicitly.

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (distance to a target); COINr ``n_dist2targ()``.
    """
    t = np.asarray(targ, dtype=float)
    if np.any(np.isnan(t)):
        raise IndexInputError("dist2targ: the target is missing (NA)")
    if direction not in (1, -1):
        raise IndexInputError("dist2targ: direction must be 1 or -1")
    with np.errstate(all="ignore"):
        if direction == 1:
            y = (x - _colmin(x)) / (t - _colmin(x))
        else:
            y = (_colmax(x) - x) / (_colmax(x) - t)
    if cap_max:
        y = np.where(y > 1, 1.0, y)
    return y


def n_fracmax(x: np.ndarray) -> np.ndarray:
    """Fraction of the maximum ``x / max`` [dimensionless].

    References
    ----------
    COINr ``n_fracmax()``; OECD/JRC Handbook (2008), section 5.2.
    """
    with np.errstate(all="ignore"):
        return x / _colmax(x)


def rank_min(x: np.ndarray) -> np.ndarray:
    """Ranks down each column, ascending, ties get the minimum rank, ``NaN`` kept.

    References
    ----------
    R ``rank(x, ties.method = "min", na.last = "keep")`` as used by COINr ``n_rank()`` and ``rank_df()``;
    OECD/JRC Handbook (2008), section 5.2 (ranking).
    """
    x = np.asarray(x, dtype=float)
    two_d = x.ndim == 2
    a = x if two_d else x[:, None]
    order = np.argsort(a, axis=0, kind="mergesort")
    s = np.take_along_axis(a, order, axis=0)
    n = a.shape[0]
    pos = np.arange(1, n + 1, dtype=float)[:, None] * np.ones((1, a.shape[1]))
    new = np.ones_like(s, dtype=bool)
    new[1:] = s[1:] != s[:-1]
    first = np.where(new, pos, 0.0)
    first = np.maximum.accumulate(first, axis=0)
    ranks = np.empty_like(first)
    np.put_along_axis(ranks, order, first, axis=0)
    ranks[np.isnan(a)] = np.nan
    return ranks if two_d else ranks[:, 0]


def n_prank(x: np.ndarray) -> np.ndarray:
    """Percentile ranks ``(rank - 1) / (n_available - 1)`` (ties: min) [0, 1].

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (ranking, percentiles); COINr ``n_prank()``.
    """
    n = np.sum(~np.isnan(x), axis=0)
    with np.errstate(all="ignore"):
        return (rank_min(x) - 1) / (n - 1)


def n_rank(x: np.ndarray) -> np.ndarray:
    """Ranks, higher value = higher rank (ties: min) [rank].

    References
    ----------
    OECD/JRC Handbook (2008), section 5.2 (ranking, eq. 5.1); COINr ``n_rank()``.
    """
    return rank_min(x)


def n_borda(x: np.ndarray) -> np.ndarray:
    """Borda scores ``rank - 1`` (ties: min) [points].

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1 (Borda); COINr ``n_borda()``.
    """
    return rank_min(x) - 1


def n_goalposts(x: np.ndarray, gposts: Sequence[float], direction: int = 1,
                trunc2posts: bool = True) -> np.ndarray:
    """Goalposts ``(x - l) / (u - l)``, truncated to [0, 1], times ``a`` (``gposts = (l, u, a)``).

    With ``direction = -1`` the fraction is measured from the upper goalpost down:
    ``(x - u) / (l - u)``.  This ``direction`` is the function's own parameter (``f_n_para``),
    separate from the indicator direction applied to the data before.

    References
    ----------
    COINr ``n_goalposts()``; OECD/JRC Handbook (2008), section 5.2 (distance to targets).
    """
    g = np.asarray(gposts, dtype=float)
    if g.size != 3:
        raise IndexInputError("goalposts: gposts must be (lower, upper, scale)")
    with np.errstate(all="ignore"):
        y = (x - g[1]) / (g[0] - g[1]) if direction == -1 else (x - g[0]) / (g[1] - g[0])
    if trunc2posts:
        y = np.where(y > 1, 1.0, y)
        y = np.where(y < 0, 0.0, y)
    return y * g[2]


METHODS: dict[str, Callable[..., np.ndarray]] = {
    "minmax": n_minmax, "zscore": n_zscore, "scaled": n_scaled, "dist2max": n_dist2max,
    "dist2ref": n_dist2ref, "dist2targ": n_dist2targ, "fracmax": n_fracmax, "prank": n_prank,
    "rank": n_rank, "borda": n_borda, "goalposts": n_goalposts,
}
_PARAMS: dict[str, set[str]] = {
    "minmax": {"l_u"}, "zscore": {"m_sd"}, "scaled": {"npara"}, "dist2max": set(),
    "dist2ref": {"iref", "cap_max"}, "dist2targ": {"targ", "direction", "cap_max"}, "fracmax": set(),
    "prank": {"ties.method"}, "rank": {"ties.method"}, "borda": {"ties.method"},
    "goalposts": {"gposts", "direction", "trunc2posts"}, "none": set(),
}


def method_name(name: str) -> str:
    """Method name without COINr's ``n_`` prefix, checked."""
    return known_method(name, "n_", sorted(_PARAMS), "normalisation")


def split_spec(spec: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(method, params)`` from ``{method|f_n: ..., f_n_para: {...}, **params}``."""
    raw = dict(spec)
    name = raw.pop("method", raw.pop("f_n", "minmax"))
    fpara = raw.pop("f_n_para", {}) or {}
    if isinstance(fpara, list | tuple) and len(fpara) == 1:  # COINr's unnamed list(c(l, u))
        fpara = {"": fpara[0]}
    para = dict(fpara)
    para.update(raw)
    m = method_name(name)
    if "" in para and len(para) == 1:  # unnamed first parameter, as COINr allows positionally
        first = {"minmax": "l_u", "zscore": "m_sd", "scaled": "npara", "dist2ref": "iref", "dist2targ": "targ",
                 "goalposts": "gposts"}.get(m)
        if first:
            para = {first: para[""]}
    unknown = set(para) - _PARAMS[m]
    if unknown:
        raise IndexInputError(f"normalise {m}: unknown setting(s) {sorted(unknown)}; known: {sorted(_PARAMS[m])}")
    para.pop("ties.method", None)
    return m, para


def apply_method(x: np.ndarray, method: str, params: Mapping[str, Any]) -> np.ndarray:
    """Apply one normalisation method to a direction-adjusted matrix (units x indicators)."""
    if method == "none":
        return x.copy()
    return METHODS[method](x, **params)


#: iMeta columns read by ``f_n_para: use_iMeta`` (COINr ``get_iMeta_norm_paras``).
IMETA_COLUMNS = {
    "minmax": ("minmax_lower", "minmax_upper"), "scaled": ("scaled_lower", "scaled_upper"),
    "zscore": ("zscore_mean", "zscore_sd"), "dist2targ": ("Target",),
    "goalposts": ("goalpost_lower", "goalpost_upper", "goalpost_scale", "goalpost_trunc2posts"),
}


def specs_from_meta(method: str, meta: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per-indicator settings from iMeta columns (COINr ``f_n_para = "use_iMeta"``).

    Targets and goalposts are multiplied by the indicator direction (and the goalposts swapped for
    direction -1), as COINr's ``get_iMeta_norm_paras()`` does, because the data arrive already
    multiplied by the direction.

    References
    ----------
    COINr ``get_iMeta_norm_paras()`` (R/normalise.R).
    """
    m = method_name(method)
    need = IMETA_COLUMNS.get(m)
    if need is None:
        raise IndexInputError(f"normalise: {m!r} cannot take its parameters from iMeta")
    missing = [c for c in need if c not in meta.columns and c != "goalpost_trunc2posts"]
    if missing:
        raise IndexInputError(f"normalise {m} with use_iMeta needs iMeta column(s) {missing}")
    out: dict[str, dict[str, Any]] = {}
    for r in meta[meta["Level"] == 1].to_dict("records"):
        d = float(r["Direction"])
        if m == "minmax":
            p: dict[str, Any] = {"l_u": [float(r["minmax_lower"]), float(r["minmax_upper"])]}
        elif m == "scaled":
            p = {"npara": [float(r["scaled_lower"]), float(r["scaled_upper"])]}
        elif m == "zscore":
            p = {"m_sd": [float(r["zscore_mean"]), float(r["zscore_sd"])]}
        elif m == "dist2targ":
            cap = r.get("dist2targ_cap_max", False)
            p = {"targ": float(r["Target"]) * d, "cap_max": bool(cap) if cap == cap else False}
        else:
            lo, up, a = float(r["goalpost_lower"]), float(r["goalpost_upper"]), float(r["goalpost_scale"])
            g = [up * d, lo * d, a] if d == -1 else [lo * d, up * d, a]
            trunc = r.get("goalpost_trunc2posts", True)
            p = {"gposts": g, "trunc2posts": bool(trunc) if trunc == trunc else True}
        out[str(r["iCode"])] = {"method": m, **p}
    return out


def _unit_ref(params: dict[str, Any], units: pd.Index) -> dict[str, Any]:
    """Allow ``iref`` to name the reference unit by its code (COINr takes its 1-based position)."""
    ref = params.get("iref")
    if isinstance(ref, str):
        if ref not in units:
            raise IndexInputError(f"dist2ref: reference unit {ref!r} not in the data")
        return {**params, "iref": list(units).index(ref) + 1}
    return params


def normalise(data: pd.DataFrame, directions: Mapping[str, float] | pd.Series, spec: Mapping[str, Any],
              indiv: Mapping[str, Mapping[str, Any]] | None = None,
              targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Normalise every indicator column (COINr ``Normalise()`` with ``global_specs`` / ``indiv_specs``).

    Parameters
    ----------
    data
        Indicator values (units x indicators) [indicator units].
    directions
        +1 / -1 per indicator code; values are multiplied by it first.
    spec
        Global method and settings, e.g. ``{"method": "minmax", "l_u": [0, 100]}``.
    indiv
        Per-indicator overrides of the same form.
    targets
        Per-indicator targets for ``dist2targ`` when no ``targ`` is given (COINr ``iMeta$Target``),
        multiplied by the direction like the data.

    Returns
    -------
    pandas.DataFrame
        Normalised values [score].

    References
    ----------
    COINr ``Normalise.data.frame()``; OECD/JRC Handbook (2008), section 5.2.
    """
    codes = [str(c) for c in data.columns]
    dirs = np.array([float(directions[c]) for c in codes])
    bad = [c for c, d in zip(codes, dirs, strict=True) if d not in (-1.0, 1.0)]
    if bad:
        raise IndexInputError(f"directions must be 1 or -1 (check {bad})")
    x = data.to_numpy(dtype=float) * dirs
    gm, gp = split_spec(spec)
    gp = _unit_ref(gp, data.index)
    if not indiv and gm != "dist2targ":
        return pd.DataFrame(apply_method(x, gm, gp), index=data.index, columns=data.columns)
    groups: dict[tuple[str, str], list[int]] = {}
    specs: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for j, c in enumerate(codes):
        m, p = (split_spec(indiv[c]) if indiv and c in indiv else (gm, gp))
        p = _unit_ref(p, data.index)
        if m == "dist2targ" and "targ" not in p:
            if targets is None or c not in targets or np.isnan(targets[c]):
                raise IndexInputError(f"dist2targ: no target for {c!r}")
            p = {**p, "targ": float(targets[c]) * dirs[j]}
        key = (m, repr(sorted(p.items())))
        groups.setdefault(key, []).append(j)
        specs[key] = (m, p)
    out = np.empty_like(x)
    for key, cols in groups.items():
        m, p = specs[key]
        out[:, cols] = apply_method(x[:, cols], m, p)
    return pd.DataFrame(out, index=data.index, columns=data.columns)
