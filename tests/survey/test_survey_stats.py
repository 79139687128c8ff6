"""Weighted means, confidence intervals, indices, Cronbach's alpha against reference values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from zhicheng.survey.stats import (
    MIN_ANSWERS,
    Scale,
    cronbach_alpha,
    item_nonresponse,
    satisfaction_indices,
    weighted_means,
)


def _answers(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 6, size=(250, 3)).astype(float)
    y[rng.random((250, 3)) < 0.2] = np.nan
    return y


def test_unweighted_ci_equals_scipy_t_interval() -> None:
    y = _answers()
    out = weighted_means(y)
    for j in range(y.shape[1]):
        x = y[~np.isnan(y[:, j]), j]
        lo, hi = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert out.loc[j, "n"] == len(x)
        assert out.loc[j, "mean"] == pytest.approx(x.mean(), abs=1e-12)
        assert out.loc[j, "se"] == pytest.approx(sps.sem(x), abs=1e-12)
        assert out.loc[j, "ci_low"] == pytest.approx(lo, abs=1e-12)
        assert out.loc[j, "ci_high"] == pytest.approx(hi, abs=1e-12)
        assert out.loc[j, "deff"] == pytest.approx(1.0, abs=1e-12)
        assert out.loc[j, "deff_kish"] == pytest.approx(1.0, abs=1e-12)


def test_weighted_ci_equals_linearised_ratio_variance() -> None:
    # Lumley (2010) §2.2 / Wolter (2007) §6.5: v(ȳ) = n/(n−1) Σ wᵢ²(yᵢ − ȳ)² / (Σwᵢ)², t(n−1) quantile.
    y = _answers(11)
    w = np.random.default_rng(3).uniform(0.3, 3.0, size=y.shape[0])
    out = weighted_means(y, w)
    for j in range(y.shape[1]):
        ok = ~np.isnan(y[:, j])
        x, wj = y[ok, j], w[ok]
        n = len(x)
        mean = np.average(x, weights=wj)
        se = np.sqrt(n / (n - 1) * np.sum(wj**2 * (x - mean) ** 2) / wj.sum() ** 2)
        half = sps.t.ppf(0.975, n - 1) * se
        assert out.loc[j, "mean"] == pytest.approx(mean, abs=1e-12)
        assert out.loc[j, "se"] == pytest.approx(se, abs=1e-12)
        assert out.loc[j, "ci_low"] == pytest.approx(mean - half, abs=1e-12)
        assert out.loc[j, "deff"] == pytest.approx(se**2 / (np.var(x, ddof=1) / n), rel=1e-10)
        assert out.loc[j, "deff_kish"] == pytest.approx(n * np.sum(wj**2) / wj.sum() ** 2, rel=1e-12)
    # scaling every weight leaves every statistic unchanged
    again = weighted_means(y, 7.5 * w)
    np.testing.assert_allclose(again[["mean", "se", "ci_low"]].to_numpy(), out[["mean", "se", "ci_low"]].to_numpy())


def test_indices_for_forward_and_reversed_scales() -> None:
    # 1–5 satisfaction: mean 4 → 75; 1–3 concern with 1 = best: mean 1.5 → (3 − 1.5)/2 · 100 = 75.
    y = np.column_stack([np.r_[np.full(40, 4.0), np.full(40, 4.0)], np.r_[np.full(40, 1.0), np.full(40, 2.0)]])
    y[0, 0] = 3.0
    y[1, 0] = 5.0
    out = satisfaction_indices(weighted_means(y), [Scale(1, 5), Scale(1, 3, reverse=True)])
    assert out.loc[0, "index"] == pytest.approx(75.0)
    assert out.loc[1, "index"] == pytest.approx(75.0)
    # the reversed interval swaps ends: high mean ↔ low index
    assert out.loc[1, "index_ci_low"] == pytest.approx((3 - out.loc[1, "ci_high"]) / 2 * 100)
    assert out.loc[1, "index_ci_high"] == pytest.approx((3 - out.loc[1, "ci_low"]) / 2 * 100)
    assert out.loc[0, "index_ci_low"] == pytest.approx((out.loc[0, "ci_low"] - 1) / 4 * 100)


def test_minimum_sample_warnings() -> None:
    y = np.full((MIN_ANSWERS + 5, 2), 3.0)
    y[: MIN_ANSWERS - 1, 0] = 4.0
    y[MIN_ANSWERS - 1:, 0] = np.nan
    out = satisfaction_indices(weighted_means(y), [Scale(1, 5), Scale(1, 5)])
    assert out.loc[0, "warning"].startswith(f"only {MIN_ANSWERS - 1} answers")
    assert out.loc[1, "warning"] == ""  # no spread at all: interval of zero width
    wide = np.r_[np.full(20, 1.0), np.full(20, 5.0)][:, None]
    warn = satisfaction_indices(weighted_means(wide), [Scale(1, 5)]).loc[0, "warning"]
    assert "wider than ±10" in warn


def test_cronbach_alpha_matches_shrout_fleiss_icc3k() -> None:
    # Shrout & Fleiss (1979), Psychological Bulletin 86(2), Table 2: 6 targets rated by 4 judges;
    # their Table 4 gives ICC(3,4) = .91, which equals Cronbach's alpha of the judges as items
    # (McGraw & Wong 1996). Exact value from the table: 0.90932.
    ratings = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    alpha, n = cronbach_alpha(ratings)
    assert n == 6
    assert alpha == pytest.approx(0.91, abs=0.005)
    assert alpha == pytest.approx(0.909316, abs=1e-6)
    # listwise deletion: a respondent with a missing item is left out
    with_gap = np.vstack([ratings, [np.nan, 3, 3, 3]])
    assert cronbach_alpha(with_gap) == (pytest.approx(alpha), 6)


def test_item_nonresponse_share() -> None:
    y = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, 3.0], [4.0, 5.0]])
    np.testing.assert_allclose(item_nonresponse(y), [0.25, 0.5])
    assert weighted_means(y)["nonresponse"].tolist() == [0.25, 0.5]
