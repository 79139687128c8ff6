"""Satisfaction statistics: weighted means with 95 % confidence intervals, indices, alpha, non-response.

Pure, vectorised functions on an answers matrix (respondents × questions, ``NaN`` = no answer) and
a weight vector. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]

#: Fewest answers to a question before its result is published without a warning [respondents].
MIN_ANSWERS = 30
#: Widest acceptable 95 % confidence half-width of a satisfaction index [index points].
MAX_HALF_WIDTH = 10.0
#: Confidence level of every interval.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Scale:
    """An answer scale: lowest and highest code and whether the lowest code is the best answer."""

    low: float
    high: float
    reverse: bool = False

    def to_index(self, mean: FloatArray | float) -> FloatArray:
        """A mean answer [scale points] as a satisfaction index [0–100 points], 100 = best.

        References
        ----------
        Linear min–max rescaling, OECD/JRC *Handbook on Constructing Composite Indicators* (2008),
        section 1.5 (normalisation, min–max); reversed for scales where the low code is best.
        """
        frac = (np.asarray(mean, dtype=float) - self.low) / (self.high - self.low)
        return np.asarray(100.0 * (1.0 - frac if self.reverse else frac), dtype=float)

    def index_scale(self) -> float:
        """Index points per scale point [points]: the factor the standard error is multiplied by."""
        return 100.0 / (self.high - self.low)


def weighted_means(values: FloatArray, weights: FloatArray | None = None) -> pd.DataFrame:
    """Weighted mean, standard error, 95 % CI and design effect of every column of ``values``.

    The mean of question ``j`` is the ratio ``ȳ = Σ wᵢyᵢ / Σ wᵢ`` over the respondents who answered.
    Its variance is estimated by linearisation (Taylor series) of the ratio under with-replacement
    sampling: ``v(ȳ) = n/(n−1) · Σ wᵢ²(yᵢ − ȳ)² / (Σ wᵢ)²``, which reduces to ``s²/n`` when all
    weights are equal. The interval is ``ȳ ± t(0.975, n−1) · se``.

    Parameters
    ----------
    values
        Answers, respondents × questions [scale points]; ``NaN`` where a respondent gave none.
    weights
        Respondent weights [-]; equal weights when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per column of ``values`` with ``n`` (answers), ``mean``, ``se`` [scale points],
        ``ci_low``, ``ci_high`` [scale points], ``deff`` (variance ratio to simple random sampling
        of the same size), ``deff_kish`` (1 + CV² of the answering respondents' weights), ``n_eff``
        (``n / deff_kish``) and ``nonresponse`` (share of respondents without an answer).

    References
    ----------
    Wolter, K. M. (2007), *Introduction to Variance Estimation*, 2nd ed., Springer, chapter 6
    (Taylor series method), §6.5 ratio estimators; Lumley, T. (2010), *Complex Surveys: A Guide
    to Analysis Using R*, Wiley, §2.2 and §3.2 (``svymean`` under with-replacement designs);
    Kish, L. (1965), *Survey Sampling*, Wiley, §8.2 (design effect) and §11.7 (weighting effect).
    """
    y = np.asarray(values, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    n_resp, q = y.shape
    w = np.ones(n_resp) if weights is None else np.asarray(weights, dtype=float)
    # Shift each column by a rough centre (mean of its first answers) so that the sums of squares
    # below do not lose precision, then get every sum in one matrix product:
    # columns [answered, y, y²] × [1, w, w²] → n, Σw, Σw²; Σy, Σwy, Σw²y; Σy², Σwy², Σw²y².
    head = y[: min(n_resp, 1000)]
    count = (~np.isnan(head)).sum(axis=0)
    centre = np.where(count > 0, np.nansum(head, axis=0) / np.maximum(count, 1), 0.0)
    (n, wsum, w2sum), (sy, swy, sw2y), (sy2, _swy2, sw2y2) = _column_sums(y, w, centre)
    with np.errstate(invalid="ignore", divide="ignore"):
        m0 = swy / wsum  # weighted mean, shifted
        mean = m0 + centre
        # Σ w²(y − ȳ)² expanded about the shifted mean
        wr2 = sw2y2 - 2.0 * m0 * sw2y + m0 * m0 * w2sum
        var = n / (n - 1.0) * np.maximum(wr2, 0.0) / np.square(wsum)
        se = np.sqrt(var)
        # SRS variance of the (unweighted) mean of the same answers, for the design effect
        s2 = np.maximum(sy2 - np.square(sy) / n, 0.0) / (n - 1.0)
        deff = var / (s2 / n)
        deff_kish = n * w2sum / np.square(wsum)
        tq = sps.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1.0, 1.0))
    half = np.where(n > 1, tq * se, np.nan)
    return pd.DataFrame(
        {
            "n": n.astype(int),
            "mean": mean,
            "se": np.where(n > 1, se, np.nan),
            "ci_low": mean - half,
            "ci_high": mean + half,
            "deff": np.where(n > 1, deff, np.nan),
            "deff_kish": deff_kish,
            "n_eff": n / deff_kish,
            "nonresponse": 1.0 - n / n_resp if n_resp else np.full(y.shape[1], np.nan),
        }
    )


#: Rows per block in :func:`_column_sums` (blocks stay in the CPU cache).
BLOCK_ROWS = 8192


def _column_sums(y: FloatArray, w: FloatArray, centre: FloatArray) -> FloatArray:
    """Sums over answered cells of each column, block by block: shape (3, 3, q).

    ``out[a, b]`` is Σ wᵇ · (y − centre)ᵃ over the answered cells (a, b ∈ 0, 1, 2): counts, weighted
    sums and weighted sums of squares, with weights to the powers 0, 1 and 2.
    """
    out = np.zeros((3, 3, y.shape[1]))
    wp = np.column_stack([np.ones_like(w), w, w * w])
    for start in range(0, y.shape[0], BLOCK_ROWS):
        block = y[start:start + BLOCK_ROWS]
        answered = ~np.isnan(block)
        y0 = np.where(answered, block - centre, 0.0)
        wt = wp[start:start + BLOCK_ROWS].T
        out[0] += wt @ answered
        out[1] += wt @ y0
        out[2] += wt @ (y0 * y0)
    return out


def satisfaction_indices(summary: pd.DataFrame, scales: list[Scale]) -> pd.DataFrame:
    """Add the 0–100 satisfaction index, its 95 % CI and warnings to a :func:`weighted_means` table.

    For a reversed scale the interval's ends swap (the low mean is the high index).

    Returns
    -------
    pandas.DataFrame
        ``summary`` with ``index``, ``index_ci_low``, ``index_ci_high`` [index points] and
        ``warning`` (empty when the result meets the minimum-sample rules).
    """
    out = summary.copy()
    lo = np.array([s.low for s in scales], dtype=float)
    hi = np.array([s.high for s in scales], dtype=float)
    rev = np.array([s.reverse for s in scales], dtype=bool)

    def idx(m: pd.Series) -> FloatArray:
        frac = (m.to_numpy(dtype=float) - lo) / (hi - lo)
        return np.asarray(100.0 * np.where(rev, 1.0 - frac, frac), dtype=float)

    a, b = idx(out["ci_low"]), idx(out["ci_high"])
    out["index"] = idx(out["mean"])
    out["index_ci_low"] = np.minimum(a, b)
    out["index_ci_high"] = np.maximum(a, b)
    out["warning"] = sample_warnings(out["n"].to_numpy(), (np.maximum(a, b) - np.minimum(a, b)) / 2)
    return out


def sample_warnings(n: npt.NDArray[np.int_], half_width: FloatArray) -> list[str]:
    """The minimum-sample warning of each result ('' when none applies).

    Rules: fewer than :data:`MIN_ANSWERS` answers, or a 95 % half-width above
    :data:`MAX_HALF_WIDTH` index points, means the figure is too uncertain to compare units.
    """
    out: list[str] = []
    for count, half in zip(n.tolist(), np.asarray(half_width, dtype=float).tolist(), strict=True):
        if count < MIN_ANSWERS:
            out.append(f"only {count} answers (fewer than {MIN_ANSWERS}): too few to publish")
        elif not np.isfinite(half) or half > MAX_HALF_WIDTH:
            out.append(f"95% interval ±{half:.1f} points is wider than ±{MAX_HALF_WIDTH:g}")
        else:
            out.append("")
    return out


def cronbach_alpha(items: FloatArray) -> tuple[float, int]:
    """Cronbach's alpha of a multi-item scale, on the respondents who answered every item.

    ``α = k/(k−1) · (1 − Σ s²ᵢ / s²ₜ)`` with ``s²ᵢ`` the item variances and ``s²ₜ`` the variance of
    the respondents' totals (both with ``n − 1`` in the denominator).

    Parameters
    ----------
    items
        Answers, respondents × items [scale points], ``NaN`` = no answer (listwise deletion).

    Returns
    -------
    (alpha [-], number of complete respondents); alpha is NaN with fewer than 2 items or 2 respondents.

    References
    ----------
    Cronbach, L. J. (1951), "Coefficient alpha and the internal structure of tests",
    Psychometrika 16(3), 297–334, eq. (2). Alpha equals the consistency intraclass correlation of
    the average of k measures, ICC(3,k) (McGraw, K. O. & Wong, S. P. (1996), Psychological
    Methods 1(1), 30–46).
    """
    x = np.asarray(items, dtype=float)
    complete = x[~np.isnan(x).any(axis=1)]
    n, k = complete.shape
    if k < 2 or n < 2:
        return float("nan"), int(n)
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan"), int(n)
    alpha = k / (k - 1) * (1.0 - complete.var(axis=0, ddof=1).sum() / total_var)
    return float(alpha), int(n)


def item_nonresponse(values: FloatArray) -> FloatArray:
    """Share of respondents who left each question unanswered [fraction]."""
    y = np.asarray(values, dtype=float)
    if y.shape[0] == 0:
        return np.full(y.shape[1], np.nan)
    return np.asarray(np.isnan(y).mean(axis=0), dtype=float)


def combine_indices(index: FloatArray, se: FloatArray, weights: FloatArray | None = None) -> tuple[float, float]:
    """Mean of several question indices and its standard error, treating them as independent.

    Used to roll question indices up to requirements and domains (an arithmetic mean, the
    aggregation of the OECD/JRC Handbook (2008), section 1.6). Independence understates the
    standard error when the questions' answers are correlated; the result is labelled so.

    Returns
    -------
    (index [0–100 points], standard error [index points])
    """
    idx = np.asarray(index, dtype=float)
    s = np.asarray(se, dtype=float)
    ok = np.isfinite(idx)
    if not ok.any():
        return float("nan"), float("nan")
    w = np.ones(idx.size) if weights is None else np.asarray(weights, dtype=float)
    w = w[ok] / w[ok].sum()
    value = float((w * idx[ok]).sum())
    s_ok = np.where(np.isfinite(s[ok]), s[ok], 0.0)
    return value, float(np.sqrt((np.square(w) * np.square(s_ok)).sum()))
