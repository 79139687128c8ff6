"""Target paths, gaps and the years needed at the recent rate (reference values computed by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.carbon import catalogue, targets


def test_intensity_path_is_geometric() -> None:
    # −18 % over 2015–2020: 0.82 in 2020, 0.82^(2/5) in 2017 (equal yearly rate).
    path = targets.intensity_path(1.0, 2015, 2020, 0.18, np.array([2014, 2015, 2017, 2020, 2021]))
    np.testing.assert_allclose(path[1:4], [1.0, 0.82 ** 0.4, 0.82], rtol=1e-12)
    assert np.isnan(path[0]) and np.isnan(path[4])


def test_cap_path_is_straight_then_flat() -> None:
    path = targets.cap_path(100.0, 2020, 2030, 80.0, np.array([2020, 2025, 2030, 2035]))
    np.testing.assert_allclose(path, [100.0, 90.0, 80.0, 80.0])


def test_years_needed_at_the_recent_rate() -> None:
    # From 1.0 to 0.5 at −5 %/yr: ln 0.5 / ln 0.95 = 13.513 years.
    assert targets.years_needed(1.0, 0.5, -0.05) == pytest.approx(13.5134, abs=1e-4)
    assert targets.years_needed(0.4, 0.5, -0.05) == 0.0
    assert targets.years_needed(1.0, 0.5, 0.02) is None


def test_assessment_against_the_13th_plan() -> None:
    # Intensity falling 5 %/yr from 1.0 in 2015 (synthetic): ahead of the −18 % path.
    series = pd.Series([0.95 ** k for k in range(6)], index=range(2015, 2021))
    a = targets.assess(catalogue.national_targets()["cn_13fyp"], series, metric="t/10^4 CNY", prices="current prices")
    assert a.latest_year == 2020 and a.path_value == pytest.approx(0.82)
    assert a.gap == pytest.approx(0.95 ** 5 - 0.82) and a.on_track
    assert a.recent_rate == pytest.approx(-0.05)
    assert a.years_needed == 0.0


def test_missing_base_year_is_said() -> None:
    a = targets.assess(catalogue.national_targets()["cn_14fyp"], pd.Series([1.0], index=[2019]), metric="x")
    assert a.path == {} and "base year 2020" in a.note
