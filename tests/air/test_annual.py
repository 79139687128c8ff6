"""HJ 663 annual evaluation: percentiles, validity of the year, good days, city level."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from zhicheng.air import annual_evaluation, city_daily, good_day_share, hj663_percentile
from zhicheng.air.daily import DAILY_ITEMS

CONST = {
    "so2_24h": 10.0,
    "no2_24h": 30.0,
    "co_24h": 1.0,
    "pm10_24h": 60.0,
    "pm25_24h": 30.0,
    "o3_1h_max": 120.0,
    "o3_8h_max": 100.0,
}


def year(y: int = 2015, station: str = "S", aqi: int = 60, **cols: list[float]) -> pd.DataFrame:
    dates = pd.date_range(f"{y}-01-01", f"{y}-12-31", freq="D")
    data: dict[str, object] = {"station": station, "date": dates}
    for col, _, _ in DAILY_ITEMS:
        values = np.asarray(cols.get(col, [CONST[col]] * len(dates)), dtype=float)
        data[col] = values
        data[f"{col}_valid"] = ~np.isnan(values)
    frame = pd.DataFrame(data)
    frame["aqi"] = pd.array([aqi] * len(dates), dtype="Int64")
    frame["valid"] = np.column_stack([frame[f"{c}_valid"] for c, _, _ in DAILY_ITEMS]).all(axis=1)
    return frame


def test_percentile_annex_a_exact_half() -> None:
    # HJ 663 Annex A, rules §11.2: n = 360, p = 90, k = 1 + 359·0.9 = 324.1;
    # X(324) = 200, X(325) = 205: m = 200 + 5·0.1 = 200.5 exactly, rounded half-even → 200.
    values = [100.0] * 323 + [200.0] + [205.0] * 36
    assert hj663_percentile(values, 90) == 200.5
    assert np.percentile(values, 90) != 200.5  # the float route: 200.50000000000003 → 201
    mda8 = values + [np.nan] * 5
    table = annual_evaluation(year(o3_8h_max=mda8))
    assert table["o3_8h_p90"][0] == 200


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # Annex A by hand: k = 1 + (n-1)p/100, m = X(s) + (X(s+1) - X(s))(k - s).
        ([5.0], 95, Fraction(5)),
        ([1.0, 2.0, 3.0, 4.0], 50, Fraction(5, 2)),  # k = 2.5 → 2 + 0.5
        ([10.0, 20.0, 30.0, 40.0, 50.0], 95, Fraction(48)),  # k = 4.8 → 40 + 10·0.8
        ([3.0, 1.0, 2.0], 100, Fraction(3)),  # s = n: X(n)
        ([1.2, 0.8, 2.5, 1.9], 95, Fraction("2.41")),  # k = 3.85 → 1.9 + 0.6·0.85 = 2.41
    ],
)
def test_percentile_by_hand(values: list[float], p: int, expected: Fraction) -> None:
    assert hj663_percentile(values, p) == pytest.approx(float(expected), abs=1e-12)


def test_annual_means_and_rounding() -> None:
    # Annual mean = exact mean of valid daily values, half-even: 182·35 + 183·36 = 12958 over 365
    # days = 35.50… → 36; with 364 days half 35, half 36 → 35.5 → 36 (even); half 34, half 35 → 34.5 → 34.
    values = [35.0] * 182 + [36.0] * 183
    assert annual_evaluation(year(pm25_24h=values))["pm25_annual"][0] == 36
    tie = [34.0] * 182 + [35.0] * 182 + [np.nan]
    table = annual_evaluation(year(pm25_24h=tie))
    assert table["pm25_annual"][0] == 34 and table["pm25_days"][0] == 364
    # GB 3095-2012 grade II PM2.5 annual 35: 34 meets it.
    assert bool(table["pm25_annual_meets_grade2"][0])


def test_validity_of_the_year() -> None:
    # GB 3095 Table 4: >= 324 daily values, >= 27 in every month, >= 25 in February.
    def with_gaps(feb_missing: int, extra_missing: int) -> pd.DataFrame:
        values = np.full(365, 30.0)
        values[31 : 31 + feb_missing] = np.nan  # February 2015 has 28 days
        # spread the other gaps so that every month keeps >= 27 days (31-day months lose <= 4)
        dates = pd.date_range("2015-01-01", "2015-12-31", freq="D")
        left = extra_missing
        for month in [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]:
            idx = np.flatnonzero(dates.month == month)
            take = min(left, len(idx) - 27)
            values[idx[:take]] = np.nan
            left -= take
        assert left == 0
        return year(pm25_24h=list(values))

    assert annual_evaluation(with_gaps(3, 0))["pm25_year_valid"][0]  # February 25
    assert not annual_evaluation(with_gaps(4, 0))["pm25_year_valid"][0]  # February 24
    t = annual_evaluation(with_gaps(3, 38))  # 365 - 41 = 324 days
    assert t["pm25_days"][0] == 324 and t["pm25_year_valid"][0]
    t = annual_evaluation(with_gaps(3, 39))  # 323 days
    assert t["pm25_days"][0] == 323 and not t["pm25_year_valid"][0]
    assert pd.isna(t["pm25_annual_meets_grade2"][0]) and pd.isna(t["meets_grade2"][0])


def test_good_days_share_and_exceedances() -> None:
    frame = year()
    frame.loc[:199, "aqi"] = 120  # 200 polluted days
    frame.loc[0, "valid"] = False  # one of them not valid
    frame.loc[:9, "pm25_24h"] = 76.0  # above the 2012 24 h limit 75 on 10 days
    t = good_day_share(frame)
    # good = 165 valid days with AQI <= 100; share 165 / 364 = 45.329… % → 45.3
    assert (t["valid_days"][0], t["good_days"][0], t["good_day_share"][0]) == (364, 165, 45.3)
    assert annual_evaluation(frame)["pm25_24h_exceed_days"][0] == 10
    # half-even at 0.1 %: 1 good day of 400 is 0.25 % → 0.2
    # (400 valid days of one station-year: the 2015 days twice, only the counts matter here)
    two = pd.concat([year(2015, aqi=150)] * 2, ignore_index=True).iloc[:400].copy()
    two.loc[0, "aqi"] = 50
    assert good_day_share(two)["good_day_share"][0] == 0.2


def test_grade2_comparison_uses_the_edition_of_the_year() -> None:
    # PM2.5 annual 32: meets GB 3095-2012 (35); fails GB 3095-2026 transitional (30) in 2027.
    t = annual_evaluation(
        pd.concat([year(2015, pm25_24h=[32.0] * 365), year(2027, pm25_24h=[32.0] * 365)])
    )
    assert t["pm25_annual_meets_grade2"].tolist() == [True, False]


def test_city_daily_from_stations() -> None:
    # City value = mean of the stations' valid daily values, half-even: (35 + 36) / 2 = 35.5 → 36.
    a = year(station="A", pm25_24h=[35.0] * 365)
    b = year(station="B", pm25_24h=[36.0] * 364 + [np.nan])
    city = city_daily(pd.concat([a, b]), city="C", standard="HJ633-2012")
    assert (city["station"] == "C").all() and len(city) == 365
    assert city["pm25_24h"][0] == 36 and city["iaqi_pm25_24h"][0] == 52
    # Last day: one of two stations valid (50 % < 75 %, Convention): the city value is invalid.
    assert pd.isna(city["pm25_24h"].iloc[-1]) and not city["valid"].iloc[-1]
    assert annual_evaluation(city)["station"].tolist() == ["C"]
