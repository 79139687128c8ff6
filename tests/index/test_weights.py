"""Weights: effective, AHP (Saaty), entropy, PCA, noisy weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.index import Coin, IndexInputError
from zhicheng.index.weights import (
    ahp_weights,
    effective_weights,
    entropy_weights,
    noisy_weights,
    pca_weights,
)

HIER = [("a", "P", 1, 2.0), ("b", "P", 1, 1.0), ("c", "Q", 1, 1.0), ("P", "I", 2, 1.0), ("Q", "I", 2, 3.0),
        ("I", None, 3, 1.0)]
DATA = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [2.0, 1.0, 4.0, 3.0], "c": [1.0, 1.0, 2.0, 9.0]},
                    index=["u1", "u2", "u3", "u4"])


def test_effective_weights_product_down_the_tree() -> None:
    ew = effective_weights(Coin.from_hierarchy(DATA, HIER)).set_index("iCode")["EffWeight"]
    assert ew["a"] == pytest.approx(2 / 3 * 1 / 4) and ew["b"] == pytest.approx(1 / 3 * 1 / 4)
    assert ew["c"] == pytest.approx(3 / 4) and ew["I"] == 1.0
    assert ew[["a", "b", "c"]].sum() == pytest.approx(1.0)


def test_ahp_consistent_matrix() -> None:
    # perfectly consistent judgements from weights (4, 2, 1): a_ij = w_i / w_j, so CR = 0
    w = np.array([4.0, 2.0, 1.0])
    got, cr = ahp_weights(w[:, None] / w[None, :], ["x", "y", "z"])
    assert got == pytest.approx({"x": 4 / 7, "y": 2 / 7, "z": 1 / 7}) and cr == pytest.approx(0, abs=1e-12)


def test_ahp_saaty_example_cr() -> None:
    # Saaty-style 3x3 with small inconsistency: lambda_max slightly above 3, CR < 0.1 accepted
    m = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    w, cr = ahp_weights(m)
    lam = float(np.max(np.linalg.eigvals(m).real))
    assert cr == pytest.approx((lam - 3) / 2 / 0.58)
    assert 0 < cr < 0.1 and np.argmax(w) == 0
    with pytest.raises(IndexInputError, match="reciprocal"):
        ahp_weights([[1, 2], [2, 1]])


def test_entropy_weights() -> None:
    d = pd.DataFrame({"even": [1.0, 1.0, 1.0, 1.0], "spread": [1.0, 0.0, 0.0, 0.0], "mid": [1.0, 1.0, 0.0, 0.0]})
    w = entropy_weights(d)
    # e(even) = 1 -> weight 0; e(spread) = 0; e(mid) = ln2/ln4 = 0.5 -> weights (0, 2/3, 1/3)
    assert w == pytest.approx({"even": 0.0, "spread": 2 / 3, "mid": 1 / 3})


def test_pca_weights_are_first_component_loadings() -> None:
    coin = Coin.from_hierarchy(DATA, HIER)
    w = pca_weights(DATA, coin)
    z = DATA[["a", "b"]].to_numpy()
    z = (z - z.mean(0)) / z.std(0, ddof=1)
    vec = np.linalg.eigh(np.cov(z.T))[1][:, -1]
    assert abs(abs(w["a"]) - abs(vec[0])) < 1e-12 and abs(abs(w["b"]) - abs(vec[1])) < 1e-12
    assert w["c"] == 1.0  # a group of one indicator
    with pytest.raises(IndexInputError, match="at least 2 units"):
        pca_weights(DATA.iloc[:1], coin)


def test_noisy_weights_within_band() -> None:
    coin = Coin.from_hierarchy(DATA, HIER)
    sets = noisy_weights(coin, {2: 0.25}, 500, np.random.default_rng(0))
    q = np.array([s["Q"] for s in sets])
    assert q.min() >= 3 * 0.75 and q.max() <= 3 * 1.25 and abs(q.mean() - 3) < 0.05
    assert all(s["a"] == 2.0 for s in sets)
