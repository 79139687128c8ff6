"""Aggregation functions against COINr's definitions (R/aggregate.R), worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.index import Coin, IndexInputError, Pipeline
from zhicheng.index.aggregate import copeland, weighted_mean

V = np.array([[1.0, 4.0, np.nan], [2.0, 8.0, 4.0]])
W = np.array([[1.0], [3.0], [2.0]])  # three children, one parent


def test_arithmetic_geometric_harmonic_skip_missing() -> None:
    # unit 1: NA dropped, weights 1 and 3 renormalised
    np.testing.assert_allclose(weighted_mean(V, W, "amean")[:, 0], [(1 + 12) / 4, (2 + 24 + 8) / 6], rtol=1e-12)
    np.testing.assert_allclose(weighted_mean(V, W, "gmean")[:, 0],
                               [np.exp((np.log(1) + 3 * np.log(4)) / 4), np.exp((np.log(2) + 3 * np.log(8) + 2 * np.log(4)) / 6)],
                               rtol=1e-12)
    np.testing.assert_allclose(weighted_mean(V, W, "hmean")[:, 0], [4 / (1 + 3 / 4), 6 / (1 / 2 + 3 / 8 + 2 / 4)],
                               rtol=1e-12)


def test_generalised_mean_is_missing_when_any_value_is_missing() -> None:
    # COINr a_genmean: sum(w*x^p) without na.rm, so one NA makes the result NA
    out = weighted_mean(V, W, "genmean", p=2, member=(W > 0).astype(float))[:, 0]
    assert np.isnan(out[0])
    np.testing.assert_allclose(out[1], np.sqrt((4 + 3 * 64 + 2 * 16) / 6), rtol=1e-12)
    with pytest.raises(IndexInputError, match="p = 0"):
        weighted_mean(V, W, "genmean", p=0)


def test_data_availability_threshold() -> None:
    out = weighted_mean(V, W, "amean", dat_thresh=0.9, member=(W > 0).astype(float))[:, 0]
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_copeland_outranking() -> None:
    x = np.array([[3.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    # unit 1 beats 2 on the first indicator, loses on the second (weights 0.5 each) -> 0.5
    np.testing.assert_allclose(copeland(x, np.array([1.0, 1.0])), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(copeland(x, np.array([3.0, 1.0])), [1.5, 1.0, 0.5])


def test_method_per_level_and_weights() -> None:
    data = pd.DataFrame({"a": [1.0, 4.0], "b": [4.0, 1.0], "c": [2.0, 2.0]}, index=["u1", "u2"])
    hier = [("a", "P", 1, 1.0), ("b", "P", 1, 1.0), ("c", "Q", 1, 1.0), ("P", "I", 2, 1.0), ("Q", "I", 2, 1.0),
            ("I", None, 3, 1.0)]
    coin = Coin.from_hierarchy(data, hier)
    res = Pipeline(coin, [{"aggregate": {"method": ["gmean", "amean"], "w": {"a": 3.0, "Q": 3.0}}}]).run()
    p = res.aggregated["P"].to_numpy()
    np.testing.assert_allclose(p, [np.exp(3 * np.log(1) / 4 + np.log(4) / 4), np.exp(3 * np.log(4) / 4)], rtol=1e-12)
    np.testing.assert_allclose(res.index.to_numpy(), (p + 3 * 2.0) / 4, rtol=1e-12)
    assert list(res.aggregated.columns) == ["a", "b", "c", "P", "Q", "I"]


def test_data_availability_threshold_per_aggregate() -> None:
    data = pd.DataFrame({"a": [1.0, np.nan], "b": [3.0, 5.0], "c": [np.nan, 2.0]}, index=["u1", "u2"])
    hier = [("a", "P", 1, 1.0), ("b", "P", 1, 1.0), ("c", "Q", 1, 1.0), ("P", "I", 2, 1.0), ("Q", "I", 2, 1.0),
            ("I", None, 3, 1.0)]
    coin = Coin.from_hierarchy(data, hier)
    res = Pipeline(coin, [{"aggregate": {"method": "amean", "dat_thresh": {"P": 0.6}}}]).run().aggregated
    # P needs 60 % of its two indicators: u2 has one of two -> missing; Q has no threshold
    assert res.loc["u1", "P"] == 2.0 and np.isnan(res.loc["u2", "P"])
    assert np.isnan(res.loc["u1", "Q"]) and res.loc["u2", "Q"] == 2.0
    assert res.loc["u1", "I"] == 2.0 and res.loc["u2", "I"] == 2.0
    with pytest.raises(IndexInputError, match="not aggregates"):
        Pipeline(coin, [{"aggregate": {"dat_thresh": {"a": 0.5}}}]).run()
