"""Pollution-episode forecasts on a real Beijing station (Dongsi), backtested on a rolling origin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zhicheng.air.forecast import (
    Fold,
    daily_from_hourly,
    forecast_station,
    pm25_level_index,
    read_station_days,
    scores,
)

DONGSI = Path(__file__).resolve().parents[2] / "data" / "air_quality" / "beijing_multisite" / \
    "PRSA_Data_Dongsi_20130301-20170228.csv.gz"


def test_level_breakpoints_of_hj633_2012() -> None:
    # HJ 633-2012 Table 1, PM2.5 24 h: 75 → IAQI 100 (level 2), 115 → 150 (3), 150 → 200 (4), 250 → 300 (5).
    assert pm25_level_index([35, 75, 76, 115, 150, 151, 250, 251, np.nan]).tolist() == [0, 1, 2, 2, 3, 4, 4, 5, -1]


def test_daily_means_need_20_hours() -> None:
    hours = pd.DataFrame({"year": 2016, "month": 1, "day": [1] * 24 + [2] * 19, "hour": list(range(24)) + list(range(19)),
                          "PM2.5": 100.0, "TEMP": 1.0, "PRES": 1020.0, "DEWP": -10.0, "RAIN": 0.0, "wd": "N",
                          "WSPM": 2.0, "station": "S"})
    days = daily_from_hourly(hours)
    assert days["pm25"].tolist()[0] == 100.0 and np.isnan(days["pm25"].tolist()[1])
    # Wind from the north blows towards the south: v = −speed.
    assert days["wind_u"].iloc[0] == pytest.approx(0.0, abs=1e-12) and days["wind_v"].iloc[0] == pytest.approx(-2.0)


@pytest.mark.slow
def test_model_beats_persistence_one_day_ahead_on_dongsi_2016() -> None:
    days = read_station_days(DONGSI)
    bt = forecast_station(days, [Fold(pd.Timestamp("2016-01-01"), pd.Timestamp("2017-01-01"))], horizons=(1,))
    assert bt["origin"].min() >= pd.Timestamp("2016-01-01") and bt["target"].max() <= pd.Timestamp("2017-01-01")
    s = scores(bt).set_index("method")
    # Better than persistence at 24 h; benchmarks/events_forecast.py prints the figures of every station.
    assert s.loc["model", "mae"] < s.loc["persistence", "mae"] < s.loc["seasonal", "mae"]
    assert s.loc["model", "heavy_days"] == s.loc["persistence", "heavy_days"] > 20
    assert 0 < s.loc["model", "hit_rate"] <= 1 and 0 <= s.loc["model", "false_alarm_ratio"] < 1
