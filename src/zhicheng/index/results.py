"""Results: scores at every level, ranks (ties = min), group ranks, strengths and weaknesses, grades.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 9 (back to the data:
decomposition, strengths and weaknesses) and Step 10 (presentation: rankings).
COINr ``get_results()``, ``rank_df()``, ``get_str_weak()`` (R/results.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from zhicheng.index.coin import Coin, collation_key
from zhicheng.index.errors import IndexInputError
from zhicheng.index.normalise import rank_min


def rank_desc(values: np.ndarray) -> np.ndarray:
    """Ranks with the highest value first, ties = min, ``NaN`` kept: R ``rank(-x, ties = "min")``.

    Works down the columns of a 2-D array (or on a 1-D array).

    References
    ----------
    COINr ``rank_df()``; OECD/JRC Handbook (2008), section 5.2 (ranking).
    """
    return rank_min(-np.asarray(values, dtype=float))


def rank_desc_rows(values: np.ndarray) -> np.ndarray:
    """Descending ranks along each row of a 2-D array (ties = min, ``NaN`` kept).

    The row-wise twin of :func:`rank_desc`, for replications x units matrices: one argsort over
    contiguous rows.

    References
    ----------
    COINr ``rank_df()`` applied to each replication of ``get_sensitivity()``.
    """
    x = -np.asarray(values, dtype=float)
    # the order among equal values does not matter: a tie block gets the rank of its first position
    order = np.argsort(x, axis=1)
    n = x.shape[1]
    ranks = np.empty(x.shape, dtype=float)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, n + 1, dtype=float), x.shape), axis=1)
    s = np.take_along_axis(x, order, axis=1)
    tied = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
    if tied.size:  # ties are rare: give each tie block its first position, only in rows that have one
        st, ot = s[tied], order[tied]
        new = np.ones(st.shape, dtype=bool)
        new[:, 1:] = st[:, 1:] != st[:, :-1]
        first = np.maximum.accumulate(np.where(new, np.arange(1, n + 1, dtype=float), 0.0), axis=1)
        sub = np.empty(st.shape)
        np.put_along_axis(sub, ot, first, axis=1)
        ranks[tied] = sub
    ranks[np.isnan(x)] = np.nan
    return ranks


def rank_table(aggregated: pd.DataFrame, coin: Coin, *, order_by: str | None = None) -> pd.DataFrame:
    """Ranks of every indicator and aggregate in COINr's ``get_results(tab_type = "Full", use = "ranks")`` layout.

    Columns: ``uCode``, the aggregates from the top level down (each level ordered by parent), then
    the indicators in lineage order; rows sorted by the index score, best first.

    References
    ----------
    COINr ``get_results()``; OECD/JRC Handbook (2008), Step 10.
    """
    agg_codes = [c for c in coin.meta["iCode"].astype(str) if coin.level_of[c] > 1]
    agg_codes.sort(key=lambda c: (-coin.level_of[c], coin.parent_of[c] is None,
                                  collation_key(coin.parent_of[c] or "")))
    ind_codes = list(coin.lineage().iloc[:, 0])
    cols = agg_codes + ind_codes
    missing = [c for c in cols if c not in aggregated.columns]
    if missing:
        raise IndexInputError(f"not an aggregated data set: missing {missing[:5]}")
    top = order_by or agg_codes[0]
    vals = aggregated[cols].to_numpy(dtype=float)
    ranks = rank_desc(vals)
    out = pd.DataFrame(ranks, index=aggregated.index, columns=cols)
    key = -aggregated[top].to_numpy(dtype=float)
    order = np.argsort(np.where(np.isnan(key), np.inf, key), kind="mergesort")
    out = out.iloc[order]
    out.insert(0, "uCode", out.index.astype(str))
    return out.reset_index(drop=True)


def group_ranks(scores: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Ranks within each group of units (ties = min), COINr ``rank_df(use_group = ...)``.

    References
    ----------
    COINr ``rank_df()``; OECD/JRC Handbook (2008), Step 10 (rankings by peer group).
    """
    g = groups.reindex(scores.index)
    out = pd.DataFrame(np.nan, index=scores.index, columns=scores.columns)
    for label in pd.unique(g.dropna()):
        rows = (g == label).to_numpy()
        out.loc[rows] = rank_desc(scores.loc[rows].to_numpy(dtype=float))
    return out


def strengths_weaknesses(ranks: pd.DataFrame, unit: str, indicators: Sequence[str], top_n: int = 5,
                         bottom_n: int = 5, min_discard: bool = True) -> tuple[list[str], list[str]]:
    """A unit's best- and worst-ranked indicators (COINr ``get_str_weak()``).

    Indicators missing for the unit are ignored; with ``min_discard`` the indicators where the unit
    has the worst rank of all units are not counted as strengths.

    Returns
    -------
    tuple
        Codes of the ``top_n`` strengths (best first) and ``bottom_n`` weaknesses (worst last).

    References
    ----------
    COINr ``get_str_weak()``; OECD/JRC Handbook (2008), Step 9 (strengths and weaknesses).
    """
    if unit not in ranks.index:
        raise IndexInputError(f"unit {unit!r} not found")
    codes = list(indicators)
    r = pd.Series(ranks.loc[unit, codes].to_numpy(dtype=float), index=codes).dropna()
    if min_discard:
        worst = ranks[list(r.index)].max().to_numpy(dtype=float)
        r = r[r.to_numpy() != worst]
    r = r.sort_values(kind="mergesort")
    return list(r.index[:top_n]), list(r.index[-bottom_n:]) if bottom_n else []


def maturity_grade(scores: pd.Series | np.ndarray, thresholds: Sequence[float],
                   labels: Sequence[str] | None = None) -> np.ndarray:
    """Grade scores by thresholds: grade ``k`` when ``thresholds[k-1] <= score < thresholds[k]``.

    Parameters
    ----------
    scores
        Scores [score].
    thresholds
        Increasing lower bounds of grades 2, 3, ... [score].
    labels
        Names of the ``len(thresholds) + 1`` grades (default ``1, 2, ...``).

    Returns
    -------
    numpy.ndarray
        The grade of each score (``None`` where the score is missing).

    References
    ----------
    OECD/JRC Handbook (2008), Step 10 (presentation: categorical scales); GB/T 33356-2022
    (smart-city evaluation, maturity levels).
    """
    t = np.asarray(thresholds, dtype=float)
    if np.any(np.diff(t) <= 0):
        raise IndexInputError("grade thresholds must increase")
    names = list(labels) if labels is not None else [str(i + 1) for i in range(t.size + 1)]
    if len(names) != t.size + 1:
        raise IndexInputError("one label per grade (thresholds + 1) is needed")
    s = np.asarray(scores, dtype=float)
    idx = np.searchsorted(t, s, side="right")
    return np.array([None if np.isnan(v) else names[i] for v, i in zip(s, idx, strict=True)], dtype=object)


def scores_by_level(aggregated: pd.DataFrame, coin: Coin) -> dict[int, pd.DataFrame]:
    """Split an aggregated data set into one score table per level (1 = indicators)."""
    out: dict[int, pd.DataFrame] = {}
    for lev in range(1, coin.max_level + 1):
        cols = [c for c in aggregated.columns if coin.level_of.get(str(c)) == lev]
        out[lev] = aggregated[cols]
    return out


def unit_summary(aggregated: pd.DataFrame, coin: Coin, unit: str,
                 levels: Mapping[int, str] | Sequence[int] | None = None) -> pd.DataFrame:
    """Scores and ranks of one unit at the chosen levels, top level first (COINr ``get_unit_summary``)."""
    lv = list(levels) if levels is not None else list(range(coin.max_level, 1, -1))
    codes = [c for c in coin.meta.sort_values("Level", ascending=False, kind="mergesort")["iCode"]
             if coin.level_of[c] in lv]
    ranks = pd.DataFrame(rank_desc(aggregated[codes].to_numpy(dtype=float)), index=aggregated.index,
                         columns=codes)
    return pd.DataFrame({"Code": codes, "Score": aggregated.loc[unit, codes].to_numpy(dtype=float),
                         "Rank": ranks.loc[unit, codes].to_numpy(dtype=float)})
