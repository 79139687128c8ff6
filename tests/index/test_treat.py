"""Outlier treatment as COINr's Treat(): skew/kurtosis, winsorisation order, log fallbacks.

Independent references: scipy.stats.skew / kurtosis with bias=False are the same G1 / G2
statistics as COINr's skew() / kurt() (e1071 type 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from zhicheng.index.checks import kurt, skew
from zhicheng.index.treat import log_ct, log_ct_plus, treat, winsorise

X = np.array([*range(1, 11), 30.0, 100.0])  # COINr's winsorise() example


def test_skew_kurt_match_scipy_unbiased() -> None:
    rng = np.random.default_rng(3)
    v = rng.lognormal(size=40)
    assert abs(skew(v) - stats.skew(v, bias=False)) < 1e-12
    assert abs(kurt(v) - stats.kurtosis(v, bias=False)) < 1e-12
    assert np.isnan(skew(np.array([1.0, 2.0]))) and np.isnan(kurt(np.array([1.0, 2.0, 3.0])))


def test_skew_kurt_of_equal_values_are_missing_without_a_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 must not be computed at all
        assert np.isnan(skew(np.full(5, 7.0))) and np.isnan(kurt(np.full(5, 7.0)))


def test_winsorise_example_high_side() -> None:
    x, nwin, labels = winsorise(X, winmax=5)
    # |skew| > 2 and kurtosis > 3.5 at first; 100 -> 30 (next highest) brings skew under 2
    assert stats.skew(X, bias=False) > 2 and stats.kurtosis(X, bias=False) > 3.5
    expected = X.copy()
    expected[11] = 30
    assert stats.skew(expected, bias=False) < 2
    np.testing.assert_array_equal(x, expected)
    assert nwin == 1 and labels[11] == "winhi" and labels[10] == ""
    # forced winsorisation continues with ties: the two 30s go to 10 together (nwin counts both)
    x2, nwin2, labels2 = winsorise(X, winmax=2, force_win=True)
    expected[[10, 11]] = 10
    np.testing.assert_array_equal(x2, expected)
    assert nwin2 == 2 and list(labels2[-2:]) == ["winhi", "winhi"]


def test_winsorise_low_side_and_limit() -> None:
    x, nwin, labels = winsorise(-X, winmax=1)
    assert nwin == 1 and x.min() == -30 and labels[11] == "winlo"


def test_log_fallback_when_winsorisation_fails() -> None:
    data = pd.DataFrame({"v": np.r_[np.ones(20), 2.0, 3.0, 50.0, 1000.0, 1e5]})
    treated, details, points = treat(data, {"winmax": 1})
    v = data["v"].to_numpy()
    np.testing.assert_allclose(treated["v"], np.log(v - v.min() + 0.01 * (v.max() - v.min())), rtol=1e-12)
    assert list(details.columns) == ["iCode", "check_SkewKurt0.Pass", "check_SkewKurt0.Skew", "check_SkewKurt0.Kurt",
                                     "winsorise.nwin", "check_SkewKurt1.Pass", "check_SkewKurt1.Skew",
                                     "check_SkewKurt1.Kurt", "check_SkewKurt2.Pass", "check_SkewKurt2.Skew",
                                     "check_SkewKurt2.Kurt"]
    assert details["winsorise.nwin"].iloc[0] == 1 and set(points["v"]) == {"log_CT"}


def test_log_variants() -> None:
    v = np.array([1.0, 2.0, 3.0, 10.0])
    np.testing.assert_allclose(log_ct(v), np.log(v - 1 + 0.09), rtol=1e-12)
    np.testing.assert_allclose(log_ct_plus(v), log_ct(v), rtol=1e-12)
    neg = -v
    np.testing.assert_allclose(log_ct_plus(neg), -np.log(-1 + 0.09 - neg), rtol=1e-12)


def test_individual_none_and_f2_none() -> None:
    data = pd.DataFrame({"a": X, "b": X})
    treated, details, _ = treat(data, {"winmax": 1, "f2": "none"}, indiv={"b": "none"})
    np.testing.assert_array_equal(treated["b"], X)
    assert treated["a"].max() == 30 and list(details["iCode"]) == ["a"]
