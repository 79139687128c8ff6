"""Bad input is refused with one IndexInputError naming every problem (row, column, reason)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.errors import ZhichengError
from zhicheng.index import Coin, IndexInputError, Pipeline, run_pipeline
from zhicheng.index.weights import ahp_weights

HIER = [("a", "P", 1, 1.0), ("b", "P", 1, 1.0), ("c", "Q", 1, 1.0), ("P", "I", 2, 1.0), ("Q", "I", 2, 1.0),
        ("I", None, 3, 1.0)]


def small_data() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0], "c": [2.0, 2.5, 3.0, 9.0]},
                        index=["u1", "u2", "u3", "u4"])


def test_error_is_a_zhicheng_error() -> None:
    assert issubclass(IndexInputError, ZhichengError)


def test_non_numeric_value_named_by_row_and_column(asem_idata: pd.DataFrame, asem_imeta: pd.DataFrame) -> None:
    bad = asem_idata.copy()
    bad["LPI"] = bad["LPI"].astype(object)
    bad.loc[2, "LPI"] = "n/a"
    bad["Goods"] = bad["Goods"].astype(object)
    bad.loc[5, "Goods"] = "12,5"
    with pytest.raises(IndexInputError) as exc:
        Coin.from_coinr(bad, asem_imeta, data_file="iData.csv")
    probs = exc.value.problems
    assert [(p.row, p.column) for p in probs] == [(3, "LPI"), (6, "Goods")]
    assert "non-numeric value 'n/a'" in probs[0].reason and "BGR" in probs[0].reason
    assert probs[0].file == "iData.csv"


def test_duplicate_unit_codes(asem_idata: pd.DataFrame, asem_imeta: pd.DataFrame) -> None:
    bad = asem_idata.copy()
    bad.loc[10, "uCode"] = bad.loc[3, "uCode"]
    with pytest.raises(IndexInputError) as exc:
        Coin.from_coinr(bad, asem_imeta)
    (p,) = exc.value.problems
    assert p.row == 11 and p.column == "uCode" and "duplicate unit code" in p.reason and "row 4" in p.reason


def test_weights_naming_unknown_indicators(asem: Coin) -> None:
    pipe = Pipeline(asem, [{"normalise": {"method": "minmax"}},
                           {"aggregate": {"method": "amean", "w": {"LPI": 2.0, "NotAnIndicator": 1.0}}}])
    with pytest.raises(IndexInputError) as exc:
        pipe.run()
    assert exc.value.problems[0].column == "NotAnIndicator"
    assert "unknown indicator" in exc.value.problems[0].reason


def test_hierarchy_with_cycle() -> None:
    hier = [("a", "P", 1, 1.0), ("b", "P", 1, 1.0), ("P", "Q", 2, 1.0), ("Q", "P", 2, 1.0), ("I", None, 3, 1.0)]
    with pytest.raises(IndexInputError) as exc:
        Coin.from_hierarchy(small_data()[["a", "b"]], hier)
    text = "\n".join(exc.value.lines())
    assert [line for line in text.splitlines() if "cycle" in line] == [
        "column 'Parent': cycle in the hierarchy: P -> Q -> P"]


def test_hierarchy_with_orphans() -> None:
    hier = [("a", "P", 1, 1.0), ("b", "Missing", 1, 1.0), ("c", None, 1, 1.0), ("P", "I", 2, 1.0), ("I", None, 3, 1.0)]
    with pytest.raises(IndexInputError) as exc:
        Coin.from_hierarchy(small_data(), hier)
    reasons = [p.reason for p in exc.value.problems]
    assert any("parent 'Missing' of 'b' is not in the hierarchy: orphan" in r for r in reasons)
    assert any("'c' (level 1) has no parent: orphan" in r for r in reasons)


def test_geometric_mean_over_non_positive_values() -> None:
    with pytest.raises(IndexInputError, match="geometric mean over values <= 0"):
        run_pipeline(small_data(), HIER, steps=[{"normalise": {"method": "minmax", "l_u": [0, 100]}},
                                                 {"aggregate": {"method": "gmean"}}])
    # with a positive range it works
    res = run_pipeline(small_data(), HIER, steps=[{"normalise": {"method": "minmax", "l_u": [1, 100]}},
                                                   {"aggregate": {"method": "gmean"}}])
    assert np.isfinite(res.index.to_numpy()).all()


def test_unknown_stage_method_and_setting() -> None:
    coin = Coin.from_hierarchy(small_data(), HIER)
    with pytest.raises(IndexInputError, match="unknown pipeline stage 'normalize'"):
        Pipeline(coin, [{"normalize": {}}])
    with pytest.raises(IndexInputError, match="unknown normalisation method 'minimax'"):
        Pipeline(coin, [{"normalise": {"method": "minimax"}}]).run()
    with pytest.raises(IndexInputError, match="unknown setting"):
        Pipeline(coin, [{"normalise": {"method": "minmax", "lu": [0, 1]}}]).run()


def test_ahp_inconsistent_matrix_is_refused() -> None:
    # a > b (9), b > c (9) but c > a (9): wildly intransitive judgements
    m = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(IndexInputError, match=r"consistency ratio CR = .* exceeds 0.1"):
        ahp_weights(m)
