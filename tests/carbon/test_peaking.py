"""Peaking verdicts on series generated here (synthetic) and on the shipped inventories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.carbon import peaking

YEARS = list(range(2000, 2020))


def _wide(**series: list[float]) -> pd.DataFrame:
    return pd.DataFrame(series, index=YEARS).T


def test_each_verdict_by_the_stated_rule() -> None:
    years = np.arange(20)
    wide = _wide(
        peaked=list(100 - np.abs(years - 10) * 3.0),             # rises to 2010, falls 3 Mt a year
        rising=list(50 + years * 2.0),                           # +2 Mt a year: > 1 %/yr at the end
        plateau=list(np.r_[50 + years[:15] * 2.0, [79.5, 80.0, 79.8, 80.1, 79.9]]),  # flat for five years
        short=[np.nan] * 17 + [1.0, 2.0, 3.0],                   # three years only
    )
    got = peaking.assess(wide).loc[["peaked", "rising", "plateau", "short"], "status"].tolist()
    assert got == ["peaked", "rising", "plateau", "unknown"]
    peak = peaking.assess(wide).loc["peaked"]
    assert peak["peak_year"] == 2010 and peak["peak_value"] == pytest.approx(100.0)
    assert peak["years_since_peak"] == 9


def test_a_single_high_year_is_smoothed_away() -> None:
    values = [50.0 + i for i in range(20)]
    values[12] = 62.0 * 1.2  # one year 20 % high: on the raw series it would look like a peak in 2012
    got = peaking.assess(_wide(unit=values)).loc["unit"]
    assert got["status"] == "rising" and got["peak_year"] == 2019
    assert 1 - values[-1] / values[12] > 0.05  # the raw series is 7 % below that year


def test_beijing_has_peaked_and_hebei_is_still_rising(long_table) -> None:
    from zhicheng.carbon import analysis

    got = peaking.assess(analysis.totals(long_table)).loc[["110000", "130000"]]
    assert got.loc["110000", "status"] == "peaked"
    assert got.loc["130000", "status"] == "rising"
