"""Daily statistics, validity and daily AQI from hourly data (hand-built days)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.air import AirInputError, daily_aqi, hourly_aqi

BASE = {"so2": 10.0, "no2": 20.0, "co": 0.5, "o3": 50.0, "pm10": 40.0, "pm25": 20.0}


def day(
    date: str = "2016-05-01", station: str = "S", hours: int = 24, **series: list[float]
) -> pd.DataFrame:
    """One station-day of hourly rows labelled 0…hours-1 with constant BASE values unless given."""
    time = pd.date_range(date, periods=hours, freq="h")
    data: dict[str, object] = {"station": station, "time": time}
    for p, v in BASE.items():
        data[p] = series.get(p, [v] * hours)
    return pd.DataFrame(data)


def test_constant_day_statistics_and_aqi() -> None:
    d = daily_aqi(day(), hour_label="start")
    row = d.iloc[0]
    assert (row["so2_24h"], row["no2_24h"], row["co_24h"], row["pm10_24h"], row["pm25_24h"]) == (
        10,
        20,
        0.5,
        40,
        20,
    )
    assert (row["o3_1h_max"], row["o3_8h_max"]) == (50, 50)
    # HJ 633-2012 Table 1: NO2 24 h 20 → 50·20/40 = 25; PM10 40 → 40; PM2.5 20 → 50·20/35 = 28.6 → 29;
    # O3 8 h 50 → 25; O3 1 h 50 → 50·50/160 = 15.6 → 16; CO 0.5 → 12.5 → 13; SO2 10 → 10.
    assert row["standard"] == "HJ633-2012"
    assert [
        row[f"iaqi_{c}"]
        for c in ("so2_24h", "no2_24h", "co_24h", "pm10_24h", "pm25_24h", "o3_1h_max", "o3_8h_max")
    ] == [10, 25, 13, 40, 29, 16, 25]
    assert (
        row["aqi"] == 40 and pd.isna(row["primary"]) and row["level"] == "优" and bool(row["valid"])
    )


def test_exact_half_mean_is_rounded_half_even() -> None:
    # GB/T 8170 on the exact mean: 23·35 + 47 = 852, 852/24 = 35.5 → 36; 23·36 + 48 = 876 → 36.5 → 36.
    d1 = daily_aqi(day(pm25=[35.0] * 23 + [47.0]), standard="HJ633-2012")
    d2 = daily_aqi(day(pm25=[36.0] * 23 + [48.0]), standard="HJ633-2012")
    assert d1["pm25_24h"][0] == 36 and d2["pm25_24h"][0] == 36
    assert d1["iaqi_pm25_24h"][0] == 52  # 50 + 50/40·1 = 51.25 → 52


def test_one_decimal_hourly_values_tie_decided_exactly() -> None:
    # CO hourly values 1.3 and 1.4 (twelve each): exact mean 1.35 → half-even 1.4 (rules §10.3).
    # The float mean is 1.3499999999999999 and would round to 1.3.
    values = [1.3, 1.4] * 12
    assert np.mean(values) < 1.35
    d = daily_aqi(day(co=values), standard="HJ633-2026")
    assert d["co_24h"][0] == 1.4
    assert d["iaqi_co_24h"][0] == 35  # 50·1.4/2 = 35


def test_hourly_values_not_rounded_before_averaging() -> None:
    # 24 values of 35.4: rounding each first would give 35; the mean 35.4 → 35 as well, but
    # 12 × 35.4 + 12 × 35.7 = mean 35.55 → 36 (rounded once, GB/T 8170 forbids rounding in steps).
    d = daily_aqi(day(pm25=[35.4] * 12 + [35.7] * 12))
    assert d["pm25_24h"][0] == 36


def test_validity_of_24h_mean() -> None:
    # GB 3095 Table 4: a 24 h mean needs at least 20 hourly values.
    nineteen = [np.nan] * 5 + [30.0] * 19
    twenty = [np.nan] * 4 + [30.0] * 20
    d = daily_aqi(pd.concat([day("2016-05-01", pm10=nineteen), day("2016-05-02", pm10=twenty)]))
    assert pd.isna(d["pm10_24h"][0]) and not d["pm10_24h_valid"][0] and d["pm10_hours"][0] == 19
    assert d["pm10_24h"][1] == 30 and d["pm10_24h_valid"][1]
    assert not d["valid"][0] and d["missing"][0] == "PM10" and d["valid"][1]
    # HJ 633-2012 has no missing-item clause: AQI from the items present; the day is not valid.
    assert d["aqi"][0] == 29  # PM2.5 (29); PM10 (would be 30) is missing


def test_missing_item_rule_in_daily_2026() -> None:
    # HJ 633-2026 §5.3.1: PM10 missing; PM2.5 70 → IAQI 110 > 100: published; PM2.5 20: NA.
    gap = [np.nan] * 24
    high = daily_aqi(day(pm10=gap, pm25=[70.0] * 24), standard="HJ633-2026")
    low = daily_aqi(day(pm10=gap), standard="HJ633-2026")
    assert high["aqi"][0] == 110 and high["primary"][0] == "PM2.5" and not high["valid"][0]
    assert pd.isna(low["aqi"][0]) and pd.isna(low["level"][0]) and low["iaqi_pm25_24h"][0] == 29


def test_mda8_windows_and_validity() -> None:
    # HJ 663-2013 §6.1.2: MDA8 = max of 17 windows covering hours 0–7 … 16–23 (start labels).
    o3 = [40.0] * 24
    o3[16:24] = [100.0] * 8  # the last window (16–23) has mean 100
    o3[0] = 400.0  # raises only the first window: (400 + 7·40)/8 = 85
    d = daily_aqi(day(o3=o3))
    assert d["o3_8h_max"][0] == 100 and d["o3_1h_max"][0] == 400
    # A window needs >= 6 values; with hours 0–10 missing only windows starting at 5…16 have >= 6
    # values: 12 valid windows < 14, MDA8 70 <= 160 → invalid.
    gap = [np.nan] * 11 + [70.0] * 13
    d = daily_aqi(day(o3=gap))
    assert pd.isna(d["o3_8h_max"][0]) and not d["o3_8h_max_valid"][0]
    # The same gap with values above the 160 µg/m³ limit: valid although < 14 windows.
    d = daily_aqi(day(o3=[np.nan] * 11 + [200.0] * 13))
    assert d["o3_8h_max"][0] == 200 and d["o3_8h_max_valid"][0]


def test_mda8_exact_mean_of_window() -> None:
    # An 8 h window with 7 values 100 + one missing: mean of those present = 100, not 700/8.
    o3 = [10.0] * 24
    o3[8:16] = [100.0] * 7 + [np.nan]
    d = daily_aqi(day(o3=o3))
    assert d["o3_8h_max"][0] == 100


def test_hour_label_end_moves_midnight_to_previous_day() -> None:
    # Rules §9: with hour-ending labels, label 0 of D+1 is 24:00 of D; labels 1…23 of D plus it form D.
    rows = day("2016-05-01", hours=48, pm25=[10.0] * 24 + [100.0] + [10.0] * 23)
    start = daily_aqi(rows, hour_label="start")
    end = daily_aqi(rows, hour_label="end")
    # start: day 2 holds the 100 (mean (100 + 23·10)/24 = 13.75 → 14); day 1 all 10.
    assert start["pm25_24h"].tolist() == [10, 14]
    # end: the 100 at label 0 of May 2 belongs to May 1; May 2 has only 23 hours (labels 1–23).
    assert end["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2016-04-30",
        "2016-05-01",
        "2016-05-02",
    ]
    assert end["pm25_24h"].tolist()[1] == 14 and end["pm25_hours"].tolist() == [1, 24, 23]


def test_editions_differ_in_items_and_pm_breakpoints() -> None:
    o3 = [250.0] + [20.0] * 23  # O3 1 h max 250 → 2012 IAQI 100 + 50·50/100 = 125
    d12 = daily_aqi(day(o3=o3, pm25=[70.0] * 24), standard="HJ633-2012")
    d26 = daily_aqi(day(o3=o3, pm25=[70.0] * 24), standard="HJ633-2026")
    assert d12["aqi"][0] == 125 and d12["primary"][0] == "O3_1h" and d12["exceeding"][0] == "O3_1h"
    assert pd.isna(d26["iaqi_o3_1h_max"][0])  # not an item of HJ 633-2026 §4.2.2
    assert d26["aqi"][0] == 110 and d26["primary"][0] == "PM2.5"
    # default: the edition in force on the date
    both = daily_aqi(
        pd.concat([day("2026-02-28", pm25=[70.0] * 24), day("2026-03-01", pm25=[70.0] * 24)])
    )
    assert both["standard"].tolist() == ["HJ633-2012", "HJ633-2026"]
    assert both["iaqi_pm25_24h"].tolist() == [94, 110]


def test_mda8_above_800_in_2012() -> None:
    # HJ 633-2012 note (3): MDA8 > 800 has no IAQI; O3 is reported by the 1 h maximum; item valid.
    d = daily_aqi(day(o3=[900.0] * 24), standard="HJ633-2012")
    assert pd.isna(d["iaqi_o3_8h_max"][0]) and d["o3_8h_max_valid"][0]
    assert d["iaqi_o3_1h_max"][0] == 350  # O3 1 h 900: 300 + 100/200·100 = 350
    assert d["aqi"][0] == 350 and d["valid"][0]
    assert daily_aqi(day(o3=[900.0] * 24), standard="HJ633-2026")["iaqi_o3_8h_max"][0] == 300


def test_hourly_aqi_2026_and_2012() -> None:
    rows = day("2016-05-01", hours=30, pm25=[70.0] * 30)
    h26 = hourly_aqi(rows, standard="HJ633-2026")
    # HJ 633-2026 §4.2.3: PM2.5 1 h 70 on the 24 h column → 110.
    assert (h26["aqi"] == 110).all() and h26["complete"].all()
    h12 = hourly_aqi(rows, standard="HJ633-2012")
    # 2012: PM from the 24 h moving mean, needs >= 20 hours (Convention): rows 0–18 lack it.
    assert h12["iaqi_pm25_24h"].isna().sum() == 19 and h12["iaqi_pm25_24h"].iloc[19] == 94
    assert not h12["complete"].iloc[18] and h12["complete"].iloc[19]
    # SO2 1 h > 800 (note (2)): indexed by the 24 h moving mean instead.
    so2 = day("2016-05-01", hours=24, so2=[100.0] * 23 + [900.0])
    out = hourly_aqi(so2, standard="HJ633-2012")
    # 24 h mean at the last hour = (23·100 + 900)/24 = 133.3 → 133 → 50 + 50·83/100 = 91.5 → 92
    assert out["iaqi_so2_1h"].iloc[23] == 92
    assert hourly_aqi(so2, standard="HJ633-2026")["iaqi_so2_1h"].iloc[23] == 200


def test_bad_input() -> None:
    rows = day()
    with pytest.raises(AirInputError) as err:
        daily_aqi(rows.drop(columns=["o3"]))
    assert err.value.problems[0].column == "o3"
    bad = rows.astype({"pm25": object})
    bad.loc[3, "pm25"] = "n/a?"
    bad.loc[5, "so2"] = -2.0
    with pytest.raises(AirInputError) as err:
        daily_aqi(bad)
    assert {(p.row, p.column) for p in err.value.problems} == {(3, "pm25"), (5, "so2")}
    with pytest.raises(AirInputError, match="duplicate station-hours") as err:
        daily_aqi(pd.concat([rows, rows.iloc[[2]]]))
    assert [p.row for p in err.value.problems] == [
        2,
        24,
    ] and "more than one row" in err.value.problems[0].reason
    with pytest.raises(AirInputError, match="hour label"):
        daily_aqi(rows, hour_label="middle")
    with pytest.raises(AirInputError, match="defined for"):
        daily_aqi(rows, standard="WHO2021")
    # EPA2024 is no longer refused: it has its own daily items (tests/air/test_epa_daily.py).
    assert daily_aqi(rows, standard="EPA2024")["standard"].tolist() == ["EPA2024"]
    odd = rows.copy()
    odd.loc[1, "time"] = pd.Timestamp("2016-05-01 01:30")
    with pytest.raises(AirInputError, match="not on the hour"):
        daily_aqi(odd)


def test_row_order_and_station_dtype_do_not_matter() -> None:
    # Two stations, two days, some gaps: grid-ordered rows, shuffled rows and categorical
    # station names give the same daily table.
    rng = np.random.default_rng(1)
    frames = []
    for station in ("B", "A"):
        rows = day(
            "2016-05-01", station=station, hours=48, pm25=list(rng.uniform(0, 150, 48).round(1))
        )
        rows.loc[rng.choice(48, 6, replace=False), "o3"] = np.nan
        frames.append(rows)
    ordered = pd.concat(frames[::-1], ignore_index=True)  # A then B: grid order
    shuffled = ordered.sample(frac=1, random_state=3).reset_index(drop=True)
    categorical = ordered.astype({"station": "category"})
    expected = daily_aqi(ordered)
    for other in (shuffled, categorical):
        got = daily_aqi(other)
        pd.testing.assert_frame_equal(
            got.astype({"station": object}),
            expected.astype({"station": object}),
            check_categorical=False,
        )


def test_realtime_values_fast_path() -> None:
    from zhicheng.air.realtime import realtime_aqi_values

    out = realtime_aqi_values(
        {
            "so2": [10, 900],
            "no2": [20, 20],
            "co": [0.5, 2.2],
            "o3": [50, np.nan],
            "pm10": [40, 40],
            "pm25": [70, 20],
        }
    )
    # Row 0: PM2.5 1 h 70 on the 24 h column → 110 (HJ 633-2026 §4.2.3). Row 1: SO2 1 h 900 > 800
    # → 200 (note (b)); O3 missing but 200 > 100, so the AQI is published (§5.3.1).
    assert out["aqi"].tolist() == [110, 200] and out["complete"].tolist() == [True, False]
    assert out["iaqi_co_1h"].tolist() == [5, 22]  # CO 1 h: 50·0.5/5 = 5; 50·2.2/5 = 22
    with pytest.raises(AirInputError) as err:
        realtime_aqi_values(
            {
                "so2": [1, -1],
                "no2": [1, 1],
                "co": [1, 1],
                "o3": [1, 1],
                "pm10": [1, 1],
                "pm25": [1, 1],
            }
        )
    assert (err.value.problems[0].row, err.value.problems[0].column) == (1, "so2")
