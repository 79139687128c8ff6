"""Weights: given, equal, effective, PCA, AHP (with consistency ratio), entropy and noisy weights.

Weights are mappings ``{code: weight}`` over indicators and aggregates; within each parent they
are relative (the aggregation rescales them to sum to 1).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 6 (section 6.1: equal
weighting, principal components / factor analysis weights, analytic hierarchy process) and
Step 7 (uncertainty analysis of weights).  COINr ``get_eff_weights()``, ``get_PCA()``,
``get_noisy_weights()`` (R/weights.R, R/PCA.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zhicheng.index.coin import Coin, collation_key
from zhicheng.index.errors import IndexInputError


class UniformSource(Protocol):
    """Uniform random numbers on [0, 1) in C order (a numpy ``Generator`` is one)."""

    def random(self, size: tuple[int, ...]) -> Any:
        """An array of the given shape, filled in C (row-major) order."""


#: Saaty's random consistency index RI by matrix order n (1..15).
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)


def given_weights(coin: Coin, weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The metadata weights, overridden by ``weights`` (checked against the hierarchy).

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1 (participatory / expert weights); COINr ``iMeta$Weight``.
    """
    out = dict(coin.weights)
    if weights:
        coin.check_weights(weights)
        out.update({str(k): float(v) for k, v in weights.items()})
    return out


def equal_weights(coin: Coin) -> dict[str, float]:
    """Weight 1 for every indicator and aggregate (equal weighting within each parent).

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1 (equal weighting).
    """
    return {c: 1.0 for c in coin.level_of}


def effective_weights(coin: Coin, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Effective weight of every node: the product of within-parent normalised weights down the tree.

    Parameters
    ----------
    coin
        The hierarchy.
    weights
        Weights by code (metadata weights where absent).

    Returns
    -------
    pandas.DataFrame
        ``iCode, Level, Weight, EffWeight`` [dimensionless], ordered as COINr's
        ``get_eff_weights(out2 = "df")``: by level, then by parent code, metadata order within.

    References
    ----------
    COINr ``get_eff_weights()``; OECD/JRC Handbook (2008), section 6.1 (implicit vs nominal weights).
    """
    w = given_weights(coin, weights)
    parent = coin.parent_of
    share: dict[str, float] = {}
    for kids in coin.children.values():
        total = sum(w[k] for k in kids)
        for k in kids:
            share[k] = w[k] / total if total else float("nan")
    eff: dict[str, float] = {}
    for code in coin.level_of:
        e, node = 1.0, code
        while parent.get(node) is not None:
            e *= share[node]
            node = parent[node]  # type: ignore[assignment]
        eff[code] = e
    order = list(coin.meta["iCode"].astype(str))
    rank = {c: i for i, c in enumerate(order)}

    def key(c: str) -> tuple[int, int, tuple[str, str], int]:
        p = parent.get(c)
        return (coin.level_of[c], p is None, collation_key(p or ""), rank[c])

    codes = sorted(order, key=key)
    return pd.DataFrame({"iCode": codes, "Level": [coin.level_of[c] for c in codes],
                         "Weight": [w[c] for c in codes], "EffWeight": [eff[c] for c in codes]})


def pca_weights(data: pd.DataFrame, coin: Coin, level: int = 1, by_groups: bool = True) -> dict[str, float]:
    """Weights from the loadings of the first principal component (per parent group).

    The PCA is run on the complete rows, centred and scaled (R ``prcomp(center = TRUE, scale = TRUE)``);
    the weights are the first column of the rotation matrix, as COINr's ``get_PCA()`` sets them.

    Parameters
    ----------
    data
        Values of the codes at ``level`` (units x codes) [any unit].
    coin
        The hierarchy.
    level
        Level of the codes weighted.
    by_groups
        One PCA per parent group (else one over the whole level).

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1 (weights based on principal components analysis);
    COINr ``get_PCA()``.
    """
    codes = [c for c in data.columns if coin.level_of.get(str(c)) == level]
    groups: dict[str, list[str]] = {}
    for c in codes:
        groups.setdefault(coin.parent_of[c] if by_groups else "All", []).append(c)  # type: ignore[arg-type]
    out = given_weights(coin)
    for cols in groups.values():
        x = data[cols].dropna().to_numpy(dtype=float)
        if x.shape[0] < 2:
            raise IndexInputError(f"PCA weights need at least 2 units with complete data (group {cols})")
        if len(cols) == 1:  # one variable: its loading on the only component is 1
            out[cols[0]] = 1.0
            continue
        z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        out.update({c: float(v) for c, v in zip(cols, vt[0], strict=True)})
    return out


def ahp_weights(pairwise: np.ndarray | Sequence[Sequence[float]], codes: Sequence[str] | None = None,
                max_cr: float = 0.1) -> tuple[dict[str, float] | np.ndarray, float]:
    """Weights from an AHP pairwise comparison matrix, with Saaty's consistency ratio.

    Parameters
    ----------
    pairwise
        Square reciprocal matrix ``a[i, j]`` = importance of i over j on Saaty's 1-9 scale.
    codes
        Names of the rows (returns a mapping when given).
    max_cr
        Largest accepted consistency ratio (0.1 by Saaty's rule).

    Returns
    -------
    tuple
        The weights (principal eigenvector scaled to sum 1) and the consistency ratio
        ``CR = CI / RI`` with ``CI = (lambda_max - n) / (n - 1)``.

    Raises
    ------
    IndexInputError
        If the matrix is not square, positive and reciprocal, or ``CR > max_cr``.

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1 (analytic hierarchy process, Table 21);
    Saaty (1980), *The Analytic Hierarchy Process*.
    """
    a = np.asarray(pairwise, dtype=float)
    n = a.shape[0]
    if a.ndim != 2 or a.shape[1] != n or n < 1:
        raise IndexInputError("AHP: the pairwise comparison matrix must be square")
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise IndexInputError("AHP: pairwise comparisons must be positive numbers")
    if not np.allclose(a * a.T, 1.0, rtol=1e-6):
        raise IndexInputError("AHP: the matrix must be reciprocal (a[j, i] = 1 / a[i, j])")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n - 1] if n <= len(RANDOM_INDEX) else RANDOM_INDEX[-1]
    cr = ci / ri if ri > 0 else 0.0
    if cr > max_cr:
        raise IndexInputError(
            f"AHP: consistency ratio CR = {cr:.3f} exceeds {max_cr}: the pairwise judgements contradict "
            "each other; revise the comparisons")
    if codes is not None:
        if len(codes) != n:
            raise IndexInputError("AHP: one code per row of the pairwise matrix is needed")
        return {str(c): float(v) for c, v in zip(codes, w, strict=True)}, cr
    return w, cr


def entropy_weights(data: pd.DataFrame) -> dict[str, float]:
    """Entropy weights: indicators that vary more across units weigh more.

    ``p_ij = x_ij / sum_i x_ij``, ``e_j = -sum_i p_ij ln p_ij / ln m``, ``w_j = (1 - e_j) / sum(1 - e)``;
    values must be non-negative (normalise first), missing values are left out.

    Parameters
    ----------
    data
        Normalised values (units x indicators) [score, >= 0].

    References
    ----------
    Shannon (1948); Zhu, Tian & Yan (2020), "Effectiveness of entropy weight method in decision-making",
    *Math. Probl. Eng.*; OECD/JRC Handbook (2008), section 6.1 (data-driven weights).
    """
    x = data.to_numpy(dtype=float)
    if np.any(x[~np.isnan(x)] < 0):
        raise IndexInputError("entropy weights need non-negative values: normalise (e.g. minmax) first")
    m = np.sum(~np.isnan(x), axis=0)
    with np.errstate(all="ignore"):
        p = x / np.nansum(x, axis=0)
        plogp = np.where((p > 0) & ~np.isnan(p), p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = -plogp.sum(axis=0) / np.log(m)
    d = 1 - e
    if not np.isfinite(d).all() or d.sum() <= 0:
        raise IndexInputError("entropy weights are undefined (constant indicators or too few units)")
    return {str(c): float(v) for c, v in zip(data.columns, d / d.sum(), strict=True)}


def noisy_weights(coin: Coin, noise: Mapping[int, float], n_rep: int, rng: UniformSource,
                  weights: Mapping[str, float] | None = None) -> list[dict[str, float]]:
    """Random weight sets for uncertainty analysis: ``w + (2 U - 1) f w`` per level, ``U ~ U(0, 1)``.

    The draws are taken in COINr's order (set by set; within a set, level by level in the order of
    ``noise``, codes in metadata order), so a generator giving R's uniform stream reproduces
    ``get_noisy_weights()`` exactly.

    Parameters
    ----------
    coin
        The hierarchy.
    noise
        Noise factor [fraction] per level, e.g. ``{2: 0.25, 3: 0.25}``: weights of that level vary
        uniformly within +/- that fraction of their nominal values.
    n_rep
        Number of weight sets.
    rng
        Source of uniform numbers on [0, 1) (``random(size)``), e.g. a numpy ``Generator``.
    weights
        Nominal weights (metadata weights where absent).

    References
    ----------
    COINr ``get_noisy_weights()`` (R/sensitivity.R); OECD/JRC Handbook (2008), Step 7 (uncertainty in weights).
    """
    base = given_weights(coin, weights)
    codes = list(base)
    w0 = np.array([base[c] for c in codes])
    groups = []
    for lev, f in noise.items():
        cols = np.flatnonzero([coin.level_of[c] == int(lev) for c in codes])
        if not cols.size:
            raise IndexInputError(f"noisy weights: no codes at level {lev}")
        groups.append((cols, float(f)))
    u = np.asarray(rng.random((n_rep, sum(len(c) for c, _ in groups))), dtype=float)
    mats = np.tile(w0, (n_rep, 1))
    pos = 0
    for cols, f in groups:
        wts = w0[cols]
        mats[:, cols] = wts + (u[:, pos:pos + len(cols)] * 2 - 1) * f * wts
        pos += len(cols)
    return [dict(zip(codes, row.tolist(), strict=True)) for row in mats]


def weights_from_spec(coin: Coin, spec: Mapping[str, object], data: pd.DataFrame | None = None
                      ) -> dict[str, float]:
    """Weights from a pipeline ``weights`` step: ``{method: given|equal|pca|ahp|entropy, ...}``.

    ``ahp`` takes ``matrices: {parent: pairwise matrix of its children}``; ``pca`` takes ``level`` and
    ``by_groups``; ``entropy`` weighs each parent's indicators from the step's input data.

    References
    ----------
    OECD/JRC Handbook (2008), section 6.1; COINr ``get_PCA(weights_to = ...)``.
    """
    method = str(spec.get("method", "given"))
    if method == "given":
        return given_weights(coin, spec.get("w") or spec.get("weights"))  # type: ignore[arg-type]
    if method == "equal":
        return equal_weights(coin)
    if method == "ahp":
        out = given_weights(coin)
        for parent, mat in (spec.get("matrices") or {}).items():  # type: ignore[attr-defined]
            kids = coin.children.get(str(parent))
            if kids is None:
                raise IndexInputError(f"AHP: {parent!r} is not an aggregate of the hierarchy")
            w, _ = ahp_weights(mat, kids, float(spec.get("max_cr", 0.1)))  # type: ignore[arg-type]
            out.update(w)
        return out
    if data is None:
        raise IndexInputError(f"{method} weights need data")
    if method == "pca":
        return pca_weights(data, coin, int(spec.get("level", 1)), bool(spec.get("by_groups", True)))  # type: ignore[call-overload]
    if method == "entropy":
        out = given_weights(coin)
        inds = [c for c in data.columns if coin.level_of.get(str(c)) == 1]
        for kids in coin.children.values():
            cols = [k for k in kids if k in inds]
            if cols:
                out.update(entropy_weights(data[cols]))
        return out
    raise IndexInputError(f"unknown weighting method {method!r}; use given, equal, pca, ahp or entropy")
