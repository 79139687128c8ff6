"""Normalisation methods against their COINr definitions (R/normalise.R) on small vectors.

Expected values are worked out by hand from the formulas in COINr's documentation, e.g.
n_minmax: (x - min)/(max - min)*(u - l) + l; n_zscore: (x - mean)/sd*sd_t + m_t (sample sd).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.index import normalise as nrm

X = np.array([[1.0], [2.0], [4.0], [np.nan], [9.0]])


def col(v: np.ndarray) -> np.ndarray:
    return v[:, 0]


def test_minmax_and_zscore() -> None:
    np.testing.assert_allclose(col(nrm.n_minmax(X, (0, 100))), [0, 12.5, 37.5, np.nan, 100], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_minmax(X, (1, 10))), [1, 2.125, 4.375, np.nan, 10], rtol=1e-12)
    v = np.array([1, 2, 4, 9.0])
    z = (v - v.mean()) / v.std(ddof=1) * 2 + 10
    np.testing.assert_allclose(col(nrm.n_zscore(X, (10, 2))), [z[0], z[1], z[2], np.nan, z[3]], rtol=1e-12)


def test_scaled_dist2max_fracmax() -> None:
    np.testing.assert_allclose(col(nrm.n_scaled(X, (0, 10))), [10, 20, 40, np.nan, 90], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_dist2max(X)), [0, 0.125, 0.375, np.nan, 1], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_fracmax(X)), [1 / 9, 2 / 9, 4 / 9, np.nan, 1], rtol=1e-12)


def test_dist2ref_and_dist2targ() -> None:
    # reference = 3rd unit (4): 1 - (4 - x)/(4 - 1)
    np.testing.assert_allclose(col(nrm.n_dist2ref(X, 3)), [0, 1 / 3, 1, np.nan, 8 / 3], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_dist2ref(X, 3, cap_max=True)), [0, 1 / 3, 1, np.nan, 1], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_dist2targ(X, 5.0, cap_max=True)), [0, 0.25, 0.75, np.nan, 1], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_dist2targ(X, 5.0)), [0, 0.25, 0.75, np.nan, 2], rtol=1e-12)


def test_dist2ref_by_unit_code() -> None:
    data = pd.DataFrame({"a": [1.0, 2.0, 4.0]}, index=["u1", "u2", "u3"])
    by_code = nrm.normalise(data, {"a": 1}, {"method": "dist2ref", "iref": "u2"})
    by_pos = nrm.normalise(data, {"a": 1}, {"method": "dist2ref", "iref": 2})
    pd.testing.assert_frame_equal(by_code, by_pos)
    np.testing.assert_allclose(by_code["a"], [0, 1, 3], rtol=1e-12)


def test_rank_prank_borda_ties_min() -> None:
    x = np.array([[3.0], [1.0], [3.0], [np.nan], [2.0]])
    np.testing.assert_array_equal(col(nrm.n_rank(x)), [3, 1, 3, np.nan, 2])
    np.testing.assert_array_equal(col(nrm.n_borda(x)), [2, 0, 2, np.nan, 1])
    np.testing.assert_allclose(col(nrm.n_prank(x)), [2 / 3, 0, 2 / 3, np.nan, 1 / 3], rtol=1e-12)


def test_goalposts_truncated_and_flipped() -> None:
    x = np.array([[0.0], [2.0], [5.0], [12.0]])
    np.testing.assert_allclose(col(nrm.n_goalposts(x, (2, 10, 100))), [0, 0, 37.5, 100], rtol=1e-12)
    # direction = -1 measures from the upper goalpost: (x - u)/(l - u); COINr's example gives 0.9 for x = 1
    np.testing.assert_allclose(col(nrm.n_goalposts(x, (2, 10, 1), direction=-1)), [1, 1, 0.625, 0], rtol=1e-12)
    assert nrm.n_goalposts(np.array([[1.0]]), (0, 10, 1), direction=-1)[0, 0] == pytest.approx(0.9)


def test_dist2targ_both_directions() -> None:
    x = np.array([[1.0], [2.0], [4.0]])
    np.testing.assert_allclose(col(nrm.n_dist2targ(x, 3.0)), [0, 0.5, 1.5], rtol=1e-12)
    np.testing.assert_allclose(col(nrm.n_dist2targ(x, 2.0, direction=-1)), [1.5, 1, 0], rtol=1e-12)


def test_parameters_from_imeta_columns() -> None:
    from zhicheng.index import Coin, Pipeline

    data = pd.DataFrame({"a": [1.0, 5.0, 9.0], "b": [10.0, 20.0, 30.0]}, index=["u1", "u2", "u3"])
    idata = data.reset_index().rename(columns={"index": "uCode"})
    imeta = pd.DataFrame({"iCode": ["a", "b", "I"], "Level": [1, 1, 2], "Parent": ["I", "I", None],
                          "Direction": [1, -1, 1], "Weight": [1, 1, 1], "Type": ["Indicator"] * 2 + ["Aggregate"],
                          "goalpost_lower": [0, 10, None], "goalpost_upper": [10, 30, None],
                          "goalpost_scale": [100, 100, None], "Target": [8, 15, None]})
    coin = Coin.from_coinr(idata, imeta)
    gp = Pipeline(coin, [{"normalise": {"method": "goalposts", "f_n_para": "use_iMeta"}}]).run()
    np.testing.assert_allclose(gp.datasets["Normalised"]["a"], [10, 50, 90], rtol=1e-12)
    # b is "lower is better": (30 - b)/(30 - 10) * 100
    np.testing.assert_allclose(gp.datasets["Normalised"]["b"], [100, 50, 0], rtol=1e-12)
    dt = Pipeline(coin, [{"normalise": {"method": "dist2targ", "f_n_para": "use_iMeta"}}]).run()
    np.testing.assert_allclose(dt.datasets["Normalised"]["a"], [0, 4 / 7, 8 / 7], rtol=1e-12)
    # -b with target -15: (x - min)/(targ - min) = (-b + 30)/(15)
    np.testing.assert_allclose(dt.datasets["Normalised"]["b"], [4 / 3, 2 / 3, 0], rtol=1e-12)


def test_normalise_respects_directions_and_individual_specs() -> None:
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 40.0]}, index=["u1", "u2", "u3"])
    out = nrm.normalise(data, {"a": 1, "b": -1}, {"method": "minmax", "l_u": [0, 100]},
                        indiv={"a": {"method": "rank"}})
    np.testing.assert_allclose(out["a"], [1, 2, 3])
    np.testing.assert_allclose(out["b"], [100, 200 / 3, 0], rtol=1e-12)


def test_dist2targ_from_metadata_targets() -> None:
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    out = nrm.normalise(data, {"a": 1}, {"method": "dist2targ"}, targets={"a": 3.0})
    np.testing.assert_allclose(out["a"], [0, 0.5, 1], rtol=1e-12)
    with pytest.raises(nrm.IndexInputError, match="no target"):
        nrm.normalise(data, {"a": 1}, {"method": "dist2targ"}, targets={})
