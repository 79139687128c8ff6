"""GB/T 8170 rounding and the AQI / primary pollutant / level rules of HJ 633."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.air import aqi_table, round_half_even
from zhicheng.air.rounding import ratio_half_even


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        # GB/T 8170 §3.2 examples (rules §10.1): 四舍六入五成双.
        (35.5, 0, 36.0),
        (36.5, 0, 36.0),
        (36.51, 0, 37.0),
        (2.25, 1, 2.2),
        (2.35, 1, 2.4),  # float 2.35000000000000008882 is read as 2.35
        (2.251, 1, 2.3),
        (2.675, 2, 2.68),  # Python's round(2.675, 2) gives 2.67 (binary 2.67499999…)
        (0.45, 1, 0.4),
    ],
)
def test_round_half_even(value: float, decimals: int, expected: float) -> None:
    assert round_half_even(value, decimals) == expected


def test_ratio_half_even_exact_halves() -> None:
    # num/den exactly x.5 goes to the even neighbour; anything above goes up.
    num = np.array([5, 7, 852, 876, 853, 1, 0])
    den = np.array([2, 2, 24, 24, 24, 3, 7])
    assert ratio_half_even(num, den).tolist() == [2, 4, 36, 36, 36, 0, 0]  # 35.5→36, 36.5→36


def test_aqi_max_primary_ties_and_levels() -> None:
    # HJ 633-2026 Eq. (2) AQI = max IAQI; §4.3.1 primary only when AQI > 50, ties all listed.
    t = aqi_table(
        {
            "SO2": [10, 60, 120, 40, np.nan],
            "PM2.5": [50, 60, 130, 40, np.nan],
            "O3_8h": [20, 45, 130, 301, np.nan],
        },
        "HJ633-2026",
    )
    assert t["aqi"].tolist()[:4] == [50, 60, 130, 301] and pd.isna(t["aqi"].iloc[4])
    assert pd.isna(t["primary"][0]) and t["primary"].tolist()[1:4] == [
        "SO2;PM2.5",
        "PM2.5;O3_8h",
        "O3_8h",
    ]
    assert t["level"].tolist()[:4] == ["优", "良", "轻度污染", "严重污染"]
    assert t["colour"].tolist()[:4] == ["#00E400", "#FFFF00", "#FF7E00", "#7E0023"]
    assert t["exceeding"].isna().all()  # HJ 633-2026 deletes 超标污染物


@pytest.mark.parametrize(
    ("aqi", "level", "en", "colour"),
    [
        # HJ 633-2012 Table 2 / HJ 633-2026 Table 1 and Table A.1.
        (0, "优", "Excellent", "#00E400"),
        (50, "优", "Excellent", "#00E400"),
        (51, "良", "Good", "#FFFF00"),
        (100, "良", "Good", "#FFFF00"),
        (101, "轻度污染", "Lightly polluted", "#FF7E00"),
        (150, "轻度污染", "Lightly polluted", "#FF7E00"),
        (151, "中度污染", "Moderately polluted", "#FF0000"),
        (200, "中度污染", "Moderately polluted", "#FF0000"),
        (201, "重度污染", "Heavily polluted", "#99004C"),
        (300, "重度污染", "Heavily polluted", "#99004C"),
        (301, "严重污染", "Severely polluted", "#7E0023"),
        (500, "严重污染", "Severely polluted", "#7E0023"),
    ],
)
def test_level_boundaries(aqi: int, level: str, en: str, colour: str) -> None:
    t = aqi_table({"PM10": [aqi]}, "HJ633-2012")
    assert (t["level"][0], t["level_en"][0], t["colour"][0]) == (level, en, colour)


def test_exceeding_pollutants_2012() -> None:
    # HJ 633-2012 §3.4: 超标污染物 = items with IAQI > 100.
    t = aqi_table({"NO2": [101, 100], "PM2.5": [150, 99], "CO": [100, 20]}, "HJ633-2012")
    assert t["exceeding"][0] == "NO2;PM2.5" and pd.isna(t["exceeding"][1])
    assert t["primary"].tolist() == ["PM2.5", "NO2"]


def test_missing_item_rule_2026() -> None:
    # HJ 633-2026 §5.3.1: with an item missing, publish the AQI only when the others' AQI > 100.
    iaqis = {"SO2": [10, 10, 10], "PM2.5": [80, 101, 80], "O3_8h": [np.nan, np.nan, 30]}
    t = aqi_table(iaqis, "HJ633-2026", missing=[True, True, False])
    assert pd.isna(t["aqi"][0]) and pd.isna(t["primary"][0]) and pd.isna(t["level"][0])
    assert t["aqi"][1] == 101 and t["primary"][1] == "PM2.5" and t["level"][1] == "轻度污染"
    assert t["aqi"][2] == 80
    # HJ 633-2012 has no such clause: the AQI of the items present (Convention).
    assert aqi_table(iaqis, "HJ633-2012", missing=[True, True, False])["aqi"][0] == 80


def test_epa_levels() -> None:
    t = aqi_table({"PM2.5": [50, 201, 301]}, "EPA2024")
    assert t["level_en"].tolist() == ["Good", "Very Unhealthy", "Hazardous"]
    assert t["colour"][1] == "#8F3F97"  # EPA purple, not China's #99004C
