"""Imputation (COINr i_mean, i_median, i_mean_grp, row-wise) and screening with forced units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.index import IndexInputError
from zhicheng.index.impute import impute
from zhicheng.index.screen import screen

D = pd.DataFrame({"a": [1.0, np.nan, 3.0, 10.0], "b": [np.nan, 4.0, 6.0, 8.0]}, index=["u1", "u2", "u3", "u4"])
G = pd.Series(["x", "x", "y", "y"], index=D.index)


def test_column_mean_and_median() -> None:
    m = impute(D, "mean")
    assert m.loc["u2", "a"] == pytest.approx(14 / 3) and m.loc["u1", "b"] == pytest.approx(6.0)
    med = impute(D, "i_median")
    assert med.loc["u2", "a"] == 3.0 and med.loc["u1", "b"] == 6.0
    pd.testing.assert_frame_equal(m.where(D.notna()), D)  # present values untouched


def test_group_mean_leaves_empty_groups_missing() -> None:
    out = impute(D, "mean_grp", groups=G)
    # u2 is in group x, whose other value of 'a' is 1 -> 1; u1's 'b' group x has only 4 -> 4
    assert out.loc["u2", "a"] == 1.0 and out.loc["u1", "b"] == 4.0
    lonely = pd.Series(["x", "z", "y", "y"], index=D.index)
    assert np.isnan(impute(D, "mean_grp", groups=lonely).loc["u2", "a"])
    with pytest.raises(IndexInputError, match="grouping variable"):
        impute(D, "mean_grp")


def test_row_mean_with_normalise_first() -> None:
    # min-max each column to [0,1], take the row mean, map back: u2 -> a from b's position 0 -> a = 1
    out = impute(D, "mean", impute_by="row", directions={"a": 1, "b": 1})
    assert out.loc["u2", "a"] == pytest.approx(1.0)
    # u1: a at its min -> 0 -> b = min(b) = 4
    assert out.loc["u1", "b"] == pytest.approx(4.0)


def test_screen_by_availability_with_forced_units() -> None:
    d = pd.DataFrame({"a": [1.0, np.nan, 0.0], "b": [2.0, np.nan, 0.0], "c": [3.0, 1.0, 0.0]}, index=["p", "q", "r"])
    kept, summary = screen(d, "byNA", dat_thresh=0.5)
    assert list(kept.index) == ["p", "r"] and summary.loc["q", "Dat_Avail"] == pytest.approx(1 / 3)
    kept, _ = screen(d, "byNAandzeros", dat_thresh=0.5, force={"q": True})
    assert list(kept.index) == ["p", "q"]  # r has only zeros (Non_Zero 0 < 0.05)
    with pytest.raises(IndexInputError, match="not found"):
        screen(d, "byNA", force={"zz": True})
