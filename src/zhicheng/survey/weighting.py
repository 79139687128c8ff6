"""Survey weights: raking (iterative proportional fitting) and post-stratification to margins.

Pure functions on arrays (no I/O). Respondents are described by one integer code per weighting
dimension (``-1`` = not known); population margins give the share of each category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.errors import Problem, ZhichengError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Tolerance on a margin's shares summing to one.
SHARE_SUM_TOL = 1e-3


class WeightingError(ZhichengError):
    """Margins and sample cannot be reconciled (bad shares, empty categories, no convergence)."""


@dataclass(frozen=True)
class Dimension:
    """One weighting dimension: each respondent's category code and the population shares.

    ``codes[i]`` is the index into ``shares`` of respondent ``i``'s category, or ``-1`` when the
    respondent did not say (such respondents are not adjusted on this dimension).
    """

    name: str
    codes: IntArray
    shares: FloatArray
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and how the iteration went."""

    weights: FloatArray
    iterations: int
    converged: bool
    max_margin_error: float


def encode(values: Sequence[object] | npt.NDArray[np.object_], categories: Sequence[str]) -> IntArray:
    """Codes of ``values`` in ``categories`` (``-1`` for missing or unknown values), vectorised."""
    codes = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(np.asarray(values, dtype=object), dtype=object))
    return np.asarray(codes, dtype=np.int64)


def _label(d: Dimension, k: int) -> str:
    return d.categories[k] if k < len(d.categories) else str(k)


def check_margins(dimensions: Sequence[Dimension]) -> None:
    """Raise :class:`WeightingError` listing every margin whose shares are unusable.

    A margin's shares must be non-negative and sum to one (within ``SHARE_SUM_TOL``); every
    category present in the sample must have a positive share, and every category with a
    positive share must occur in the sample (else no weight can reach it).
    """
    problems: list[Problem] = []
    for d in dimensions:
        shares = np.asarray(d.shares, dtype=float)
        if (shares < 0).any() or not np.isfinite(shares).all():
            problems.append(Problem(f"margin {d.name!r}: shares must be finite and non-negative"))
            continue
        if abs(shares.sum() - 1.0) > SHARE_SUM_TOL:
            problems.append(Problem(f"margin {d.name!r}: shares sum to {shares.sum():.4f}, not 1"))
        known = d.codes[d.codes >= 0]
        if known.size == 0:
            continue
        counts = np.bincount(known, minlength=len(shares))
        for k in np.flatnonzero((counts == 0) & (shares > 0)):
            problems.append(Problem(
                f"margin {d.name!r}: category {_label(d, int(k))!r} has population share "
                f"{shares[k]:.4f} but no respondent"))
        for k in np.flatnonzero((counts > 0) & (shares == 0)):
            problems.append(Problem(
                f"margin {d.name!r}: category {_label(d, int(k))!r} has respondents but a zero share"))
    if problems:
        raise WeightingError(problems=problems)


def rake(
    dimensions: Sequence[Dimension],
    base_weights: FloatArray | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> RakeResult:
    """Rake weights so that the weighted sample matches every margin (iterative proportional fitting).

    Each pass adjusts the weights of the respondents who gave a category on one dimension so that
    their weighted shares equal the population shares, holding their weighted total; passes cycle
    over the dimensions until the largest margin error is below ``tol``. Respondents with an unknown
    category on a dimension keep their weight on that pass. Weights are scaled to mean 1.

    Parameters
    ----------
    dimensions
        The weighting dimensions with population shares [fraction, summing to 1].
    base_weights
        Design weights to start from [-]; ones when omitted.
    max_iter
        Largest number of full passes over the dimensions.
    tol
        Convergence threshold on the largest absolute share error [fraction].

    Returns
    -------
    RakeResult
        Weights with mean 1 over the respondents [-], passes used and whether it converged.

    References
    ----------
    Deming, W. E. & Stephan, F. F. (1940), "On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known", Ann. Math. Stat. 11(4), 427–444.
    Kalton, G. & Flores-Cervantes, I. (2003), "Weighting methods", J. Official Statistics 19(2),
    81–97, section 2.3 (raking).
    """
    check_margins(dimensions)
    n = len(dimensions[0].codes) if dimensions else (0 if base_weights is None else len(base_weights))
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float).copy()
    if not dimensions or n == 0:
        return RakeResult(w / w.mean() if n else w, 0, True, 0.0)
    error = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - passes over all dimensions, not rows
        for d in dimensions:
            known = d.codes >= 0
            totals = np.bincount(d.codes[known], weights=w[known], minlength=len(d.shares))
            target = d.shares * totals.sum()
            factor = np.divide(target, totals, out=np.ones_like(target), where=totals > 0)
            w[known] *= factor[d.codes[known]]
        error = _max_margin_error(dimensions, w)
        if error < tol:
            break
    return RakeResult(w / w.mean(), it, bool(error < tol), float(error))


def _max_margin_error(dimensions: Sequence[Dimension], w: FloatArray) -> float:
    """Largest absolute gap between weighted sample shares and population shares [fraction]."""
    worst = 0.0
    for d in dimensions:
        known = d.codes >= 0
        totals = np.bincount(d.codes[known], weights=w[known], minlength=len(d.shares))
        if totals.sum() > 0:
            worst = max(worst, float(np.abs(totals / totals.sum() - d.shares).max()))
    return worst


def poststratify(cells: IntArray, cell_shares: FloatArray) -> FloatArray:
    """Post-stratification weights: each cell's population share over its sample share.

    Parameters
    ----------
    cells
        Each respondent's cell code (``-1`` when unknown: weight 1 before scaling).
    cell_shares
        Population share of each cell [fraction, summing to 1].

    Returns
    -------
    numpy.ndarray
        Weights with mean 1 [-].

    References
    ----------
    Kalton, G. & Flores-Cervantes, I. (2003), "Weighting methods", J. Official Statistics 19(2),
    81–97, section 2.2 (cell weighting / post-stratification).
    """
    shares = np.asarray(cell_shares, dtype=float)
    check_margins([Dimension("cell", cells, shares)])
    known = cells >= 0
    w = np.ones(len(cells))
    counts = np.bincount(cells[known], minlength=len(shares)).astype(float)
    sample_share = counts / max(counts.sum(), 1.0)
    factor = np.divide(shares, sample_share, out=np.ones_like(shares), where=sample_share > 0)
    w[known] = factor[cells[known]]
    return w / w.mean() if len(w) else w


def kish_design_effect(weights: FloatArray) -> float:
    """Kish's design effect due to unequal weighting: ``n Σw² / (Σw)²`` = 1 + CV² [-].

    References
    ----------
    Kish, L. (1965), *Survey Sampling*, Wiley, section 11.7; Kish, L. (1992), "Weighting for
    unequal Pi", J. Official Statistics 8(2), 183–200, eq. (2).
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.sum() == 0:
        return float("nan")
    return float(w.size * np.square(w).sum() / w.sum() ** 2)


def dimensions_from_margins(
    respondents: Mapping[str, Sequence[object] | npt.NDArray[np.object_]],
    margins: Mapping[str, Mapping[str, float]],
) -> list[Dimension]:
    """Build :class:`Dimension` objects from respondent columns and ``{dimension: {category: share}}``.

    Dimensions that no respondent answered are left out (they cannot be raked).
    """
    out: list[Dimension] = []
    for name, shares in margins.items():
        if name not in respondents:
            continue
        categories = tuple(shares)
        codes = encode(respondents[name], categories)
        if (codes >= 0).any():
            out.append(Dimension(name, codes, np.array([shares[c] for c in categories], dtype=float), categories))
    return out
