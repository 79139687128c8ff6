"""Aggregation of indicators up the hierarchy: weighted means and the Copeland rule.

All means are computed for every unit and every aggregate of a level at once as matrix products
``values @ W`` where ``W`` holds each child's weight in its parent's column; missing values are
skipped and the weights renormalised over the values present (COINr's behaviour).  The same
functions accept a leading batch axis (replications) for uncertainty analysis.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 6 (section 6.2: additive
aggregation; 6.3: geometric aggregation; 6.4: multi-criteria (Copeland) aggregation).
COINr ``Aggregate()``, ``a_amean()``, ``a_gmean()``, ``a_hmean()``, ``a_genmean()``,
``a_copeland()``, ``outrankMatrix()`` (R/aggregate.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.index.coin import Coin
from zhicheng.index.errors import IndexInputError, known_method

METHODS = ("amean", "gmean", "hmean", "genmean", "copeland")


def method_name(name: str) -> str:
    """Aggregation method without COINr's ``a_`` prefix, checked."""
    return known_method(name, "a_", METHODS, "aggregation")


def membership(children: Sequence[str], parents: Sequence[str], parent_of: Mapping[str, str | None]
               ) -> np.ndarray:
    """0/1 matrix (children x parents): 1 where the child belongs to the parent."""
    col = {p: j for j, p in enumerate(parents)}
    m = np.zeros((len(children), len(parents)))
    for i, c in enumerate(children):
        p = parent_of.get(c)
        if p in col:
            m[i, col[p]] = 1.0
    return m


def weighted_mean(values: np.ndarray, wmat: np.ndarray, method: str, p: float | None = None,
                  dat_thresh: float | np.ndarray | None = None, member: np.ndarray | None = None) -> np.ndarray:
    """Weighted means of groups of columns, skipping missing values.

    Parameters
    ----------
    values
        ``(..., units, children)`` [score]; a leading batch axis is allowed.
    wmat
        ``(..., children, parents)`` weights of each child in its parent's column (0 elsewhere).
    method
        ``amean``: ``sum(w x) / sum(w)``; ``gmean``: ``exp(sum(w ln x) / sum(w))`` (needs x > 0);
        ``hmean``: ``sum(w) / sum(w / x)`` (needs x != 0); ``genmean``: ``(sum(w x^p) / sum(w))^(1/p)``,
        which is missing as soon as one value is missing, as in COINr.
    p
        Exponent of the generalised mean [dimensionless].
    dat_thresh
        Minimum share of present children [fraction]; below it the aggregate is missing.  One value,
        or one per parent (``NaN`` = no threshold).
    member
        ``(children, parents)`` 0/1 membership, needed for ``dat_thresh`` and ``genmean``.

    Returns
    -------
    numpy.ndarray
        ``(..., units, parents)`` aggregated scores [score].

    References
    ----------
    OECD/JRC Handbook (2008), sections 6.2-6.3 (eq. 6.1 additive, eq. 6.3 geometric);
    COINr ``a_amean()``, ``a_gmean()``, ``a_hmean()``, ``a_genmean()``.
    """
    present = ~np.isnan(values)
    pres_f = present.astype(float)
    used = (member if member is not None else wmat) != 0
    if method == "gmean":
        _refuse(values, present, used, lambda v: v <= 0,
                "geometric mean over values <= 0 (normalise to a positive range, e.g. minmax l_u [1, 100])")
    if method == "hmean":
        _refuse(values, present, used, lambda v: v == 0, "harmonic mean over zero values")
    with np.errstate(all="ignore"):
        wsum = pres_f @ wmat
        if method == "amean":
            out = (np.where(present, values, 0.0) @ wmat) / wsum
        elif method == "gmean":
            out = np.exp((np.where(present, np.log(np.where(present, values, 1.0)), 0.0) @ wmat) / wsum)
        elif method == "hmean":
            out = wsum / (np.where(present, 1.0 / np.where(present, values, 1.0), 0.0) @ wmat)
        elif method == "genmean":
            if p is None or p == 0:
                raise IndexInputError("genmean needs a non-zero exponent p (p = 0 is the geometric mean: use gmean)")
            if p < 0:
                _refuse(values, present, used, lambda v: v <= 0, "generalised mean with p < 0 over values <= 0")
            total = np.where(present, values, 1.0) ** p
            out = ((np.where(present, total, 0.0) @ wmat) / (np.ones_like(pres_f) @ wmat)) ** (1 / p)
            mem = member if member is not None else (wmat != 0).astype(float)
            missing_any = ((~present).astype(float) @ mem) > 0
            out = np.where(missing_any, np.nan, out)
        else:
            raise IndexInputError(f"{method!r} is not a weighted mean")
        out = np.where(wsum == 0, np.nan, out)
    if dat_thresh is not None:
        mem = member if member is not None else (wmat != 0).astype(float)
        share = (pres_f @ mem) / mem.sum(axis=-2)
        out = np.where(share < dat_thresh, np.nan, out)
    return out


def _refuse(values: np.ndarray, present: np.ndarray, used: np.ndarray, bad_fn: Any, reason: str) -> None:
    with np.errstate(all="ignore"):
        bad = present & bad_fn(np.where(present, values, 1.0))
    if not bad.any():
        return
    child_used = np.asarray(used.any(axis=-1))
    if (bad & child_used[..., None, :]).any():
        raise IndexInputError(reason)


def copeland(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copeland scores from the weighted outranking matrix.

    ``o[i, j] = sum(w[x_i > x_j]) + sum(w[x_i == x_j]) / 2`` with weights rescaled to sum to 1, the
    diagonal set to 0, and each unit's score the sum of its row.

    Parameters
    ----------
    values
        ``(units, indicators)`` [score].
    w
        ``(indicators,)`` weights [dimensionless].

    References
    ----------
    OECD/JRC Handbook (2008), section 6.4 (non-compensatory multi-criteria approach, Copeland);
    COINr ``outrankMatrix()``, ``a_copeland()``.
    """
    w = np.asarray(w, dtype=float) / np.nansum(w)
    gt = (values[:, None, :] > values[None, :, :]).astype(float) @ w
    eq = (values[:, None, :] == values[None, :, :]).astype(float) @ w
    orm = gt + eq / 2
    np.fill_diagonal(orm, 0.0)
    return orm.sum(axis=1)


def per_level(value: Any, nlev: int, name: str) -> list[Any]:
    """Expand a setting given once or once per aggregation level (``nlev - 1`` entries)."""
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return list(value) * (nlev - 1)
        if len(value) != nlev - 1:
            raise IndexInputError(f"{name} must have one entry or one per aggregation level ({nlev - 1})")
        return list(value)
    return [value] * (nlev - 1)


def weight_vector(coin: Coin, codes: Sequence[str], weights: Mapping[str, float] | None) -> np.ndarray:
    """Weights of ``codes``: the metadata weights overridden by ``weights``."""
    if weights:
        coin.check_weights(weights)
    base = coin.weights
    return np.array([float(weights[c]) if weights and c in weights else base[c] for c in codes])


def aggregate(data: pd.DataFrame, coin: Coin, method: str | Sequence[str] = "amean",
              weights: Mapping[str, float] | Sequence[Mapping[str, float] | None] | None = None,
              dat_thresh: float | Sequence[float | None] | Mapping[str, float] | None = None,
              p: float | Sequence[float | None] | None = None) -> pd.DataFrame:
    """Aggregate indicators level by level up to the index (COINr ``Aggregate()``).

    Parameters
    ----------
    data
        Normalised indicators (units x indicators) [score].
    coin
        The hierarchy.
    method
        ``amean``, ``gmean``, ``hmean``, ``genmean`` or ``copeland`` (COINr names without ``a_``),
        once or one per aggregation level.
    weights
        Weight overrides by code (metadata weights otherwise), once or one mapping per level.
    dat_thresh
        Data-availability threshold [fraction]: once, one per level, or a mapping from aggregate code
        to its own threshold.
    p
        Exponent of ``genmean``, once or per level.

    Returns
    -------
    pandas.DataFrame
        ``data`` with one column per aggregate appended, level by level, aggregates of a level in
        sorted order (COINr's column order).

    References
    ----------
    COINr ``Aggregate.coin()``; OECD/JRC Handbook (2008), Step 6.
    """
    nlev = coin.max_level
    methods = [method_name(m) for m in per_level(method, nlev, "method")]
    if isinstance(weights, list | tuple):
        wlev: list[Mapping[str, float] | None] = per_level(list(weights), nlev, "weights")
    else:
        wlev = [weights] * (nlev - 1)  # type: ignore[list-item]
    by_code = dict(dat_thresh) if isinstance(dat_thresh, Mapping) else None
    if by_code is not None:
        unknown = [c for c in by_code if coin.level_of.get(str(c), 1) < 2]
        if unknown:
            raise IndexInputError(f"dat_thresh names codes that are not aggregates: {unknown}")
    thr = [None] * (nlev - 1) if by_code is not None else per_level(dat_thresh, nlev, "dat_thresh")
    for t in list(thr) + list((by_code or {}).values()):
        if t is not None and not 0 <= float(t) <= 1:
            raise IndexInputError("dat_thresh must be between 0 and 1")
    ps = per_level(p, nlev, "p")
    names = [str(c) for c in data.columns]
    blocks = [data.to_numpy(dtype=float)]
    current, vals = names, blocks[0]
    for lev in range(2, nlev + 1):
        parents = coin.aggregates_at(lev)
        mem = membership(current, parents, coin.parent_of)
        w = weight_vector(coin, current, wlev[lev - 2])
        m = methods[lev - 2]
        if m == "copeland":
            vals = np.column_stack([copeland(vals[:, mem[:, j] > 0], w[mem[:, j] > 0])
                                    for j in range(len(parents))])
        else:
            t = thr[lev - 2]
            tv: float | np.ndarray | None = None if t is None else float(t)
            if by_code is not None:
                tv = np.array([float(by_code.get(c, np.nan)) for c in parents])
            vals = weighted_mean(vals, w[:, None] * mem, m, ps[lev - 2], tv, mem)
        blocks.append(vals)
        names = names + parents
        current = parents
    return pd.DataFrame(np.hstack(blocks), index=data.index, columns=names)
