"""US EPA daily AQI (EPA2024) from hourly µg/m³ data: conversions, items, validity, CLI.

Expected values are worked by hand from EPA-454/B-24-002 (May 2024): convert to the EPA unit
at 25 °C and 1 atm (ppb = µg/m³ × 24.45 / M; ppm = mg/m³ × 24.45 / M for CO; O3 ppm = ppb /
1000), truncate (O3 0.001 ppm, PM2.5 0.1 µg/m³, PM10 1 µg/m³, CO 0.1 ppm, SO2 and NO2 1 ppb),
take the row containing the truncated value, I = I_lo + (I_hi − I_lo)/(C_hi − C_lo)·(C − C_lo),
round to the nearest integer (halves up).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zhicheng.air import AirInputError, daily_aqi, epa_daily_aqi
from zhicheng.air.epa_daily import EPA_DAILY_COLUMNS, to_epa_units, truncated_epa
from zhicheng.cli import app

runner = CliRunner()

ZERO = {"so2": 0.0, "no2": 0.0, "co": 0.0, "o3": 0.0, "pm10": 0.0, "pm25": 0.0}


def day(**series: list[float]) -> pd.DataFrame:
    """One station-day (2016-05-01, hours labelled 0…23 as start-of-hour), zero unless given."""
    data: dict[str, object] = {
        "station": "S",
        "time": pd.date_range("2016-05-01", periods=24, freq="h"),
    }
    for p, v in ZERO.items():
        data[p] = series.get(p, [v] * 24)
    return pd.DataFrame(data)


def one_peak(value: float, base: float, at: int = 14) -> list[float]:
    """24 hourly values equal to ``base`` except ``value`` at hour ``at``."""
    return [value if h == at else base for h in range(24)]


# ---------------------------------------------------------------------------------------------
# Conversions at 25 °C and 1 atm (40 CFR 50 §50.3; molar volume 24.45 L/mol).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pollutant", "given", "expected"),
    [
        # 100 µg/m³ SO2: 100 · 24.45 / 64.066 = 2445 / 64.066 = 38.16377 ppb
        ("so2", 100.0, 38.16377),
        # 100 µg/m³ NO2: 2445 / 46.0055 = 53.14582 ppb
        ("no2", 100.0, 53.14582),
        # 100 µg/m³ O3: 2445 / 47.997 = 50.94068 ppb = 0.05094068 ppm
        ("o3", 100.0, 0.05094068),
        # 1 mg/m³ CO: 24.45 / 28.010 = 0.8729025 ppm
        ("co", 1.0, 0.8729025),
        # PM stays in µg/m³
        ("pm25", 12.3, 12.3),
        ("pm10", 80.0, 80.0),
    ],
)
def test_conversion_to_epa_units(pollutant: str, given: float, expected: float) -> None:
    assert to_epa_units(pollutant, [given])[0] == pytest.approx(expected, rel=1e-6)


def test_truncated_conversion_is_exact() -> None:
    # floor(total / count · factor · scale) against Python's exact Fractions, on random sums of
    # hourly units (1e-6 µg/m³) over 1, 24 and 168 (the common denominator of 8 h means).
    rng = np.random.default_rng(7)
    for pollutant, scale in (("o3", 1000), ("so2", 1), ("no2", 1), ("co", 10), ("pm25", 10)):
        total = rng.integers(0, 10**12, 200, dtype=np.int64)
        count = rng.choice([1, 18, 24, 168], 200).astype(np.int64)
        factor = Fraction("24.45") / Fraction(
            {"o3": "47.997", "so2": "64.066", "no2": "46.0055", "co": "28.010", "pm25": "24.45"}[
                pollutant
            ]
        )
        if pollutant == "o3":
            factor /= 1000
        expected = [
            int(Fraction(int(t), int(n) * 10**6) * factor * scale // 1)
            for t, n in zip(total, count, strict=True)
        ]
        assert truncated_epa(pollutant, total, count, scale).tolist() == expected


# ---------------------------------------------------------------------------------------------
# One station-day per pollutant, the others at zero (index 0).
# ---------------------------------------------------------------------------------------------


def test_pm25_24h_mean_truncated() -> None:
    # Mean (23·40 + 54)/24 = 974/24 = 40.583… → truncated 40.5 (rounding would give 40.6).
    # Row 35.5–55.4 → 101–150: 101 + 49/19.9 · 5.0 = 113.31 → 113 (40.6 would give 114).
    d = epa_daily_aqi(day(pm25=one_peak(54.0, 40.0)))
    row = d.iloc[0]
    assert row["pm25_24h_ugm3"] == 40.5 and row["iaqi_pm25_24h"] == 113
    assert row["aqi"] == 113 and row["primary"] == "PM2.5"
    assert row["level_en"] == "Unhealthy for Sensitive Groups" and row["colour"] == "#FF7E00"
    assert row["standard"] == "EPA2024" and bool(row["valid"])


def test_pm10_24h_mean_truncated() -> None:
    # Mean (12·200 + 12·211)/24 = 205.5 → truncated 205. Row 155–254 → 101–150:
    # 101 + 49/99 · 50 = 125.75 → 126.
    d = epa_daily_aqi(day(pm10=[200.0] * 12 + [211.0] * 12))
    assert d["pm10_24h_ugm3"][0] == 205 and d["iaqi_pm10_24h"][0] == 126
    assert d["aqi"][0] == 126 and d["primary"][0] == "PM10"


def test_o3_max_8h() -> None:
    # Hours 10–17 at 160 µg/m³, the rest at 40: the best window is 10–17, mean 160 µg/m³
    # = 160 · 24.45 / 47.997 = 81.505 ppb = 0.081505 ppm → 0.081. Row 0.071–0.085 → 101–150:
    # 101 + 49/14 · 10 = 136. The 1 h maximum 0.0815 ppm is below 0.125: no 1 h index.
    o3 = [160.0 if 10 <= h <= 17 else 40.0 for h in range(24)]
    row = epa_daily_aqi(day(o3=o3)).iloc[0]
    assert row["o3_8h_max_ppm"] == 0.081 and row["iaqi_o3_8h_max"] == 136
    assert row["o3_1h_max_ppm"] == 0.081 and pd.isna(row["iaqi_o3_1h_max"])
    assert row["aqi"] == 136 and row["primary"] == "O3_8h"
    assert row["level_en"] == "Unhealthy for Sensitive Groups"


def test_o3_1h_reported_when_higher() -> None:
    # One hour at 300 µg/m³, the rest at 40. 1 h: 300 · 24.45 / 47.997 = 152.82 ppb → 0.152 ppm;
    # row 0.125–0.164 → 101–150: 101 + 49/39 · 27 = 134.92 → 135. 8 h: (300 + 7·40)/8 = 72.5
    # µg/m³ = 36.93 ppb → 0.036 ppm: 50/54 · 36 = 33.3 → 33. The higher, 135, is the AQI.
    row = epa_daily_aqi(day(o3=one_peak(300.0, 40.0))).iloc[0]
    assert row["o3_1h_max_ppm"] == 0.152 and row["iaqi_o3_1h_max"] == 135
    assert row["o3_8h_max_ppm"] == 0.036 and row["iaqi_o3_8h_max"] == 33
    assert row["aqi"] == 135 and row["primary"] == "O3_1h"


def test_co_max_8h() -> None:
    # Hours 0–7 at 10 mg/m³, the rest at 1: max 8 h mean 10 mg/m³ = 10 · 24.45 / 28.010
    # = 8.729 ppm → 8.7. Row 4.5–9.4 → 51–100: 51 + 49/4.9 · 4.2 = 93.
    co = [10.0 if h < 8 else 1.0 for h in range(24)]
    row = epa_daily_aqi(day(co=co)).iloc[0]
    assert row["co_8h_max_ppm"] == 8.7 and row["iaqi_co_8h_max"] == 93
    assert row["aqi"] == 93 and row["primary"] == "CO" and row["level_en"] == "Moderate"


def test_so2_max_1h() -> None:
    # One hour at 300 µg/m³: 300 · 24.45 / 64.066 = 114.49 ppb → 114. Row 76–185 → 101–150:
    # 101 + 49/109 · 38 = 118.08 → 118. The 24 h value is not used below 305 ppb.
    row = epa_daily_aqi(day(so2=one_peak(300.0, 10.0))).iloc[0]
    assert row["so2_1h_max_ppb"] == 114 and row["iaqi_so2_1h_max"] == 118
    assert pd.isna(row["iaqi_so2_24h"]) and row["aqi"] == 118 and row["primary"] == "SO2_1h"


def test_so2_24h_used_from_305_ppb() -> None:
    # Every hour 900 µg/m³ = 900 · 24.45 / 64.066 = 343.47 ppb → 343 >= 305: the 1 h table
    # stops, the 24 h mean 343 ppb is used. Row 305–604 → 201–300: 201 + 99/299 · 38 = 213.58
    # → 214. Category Very Unhealthy, EPA purple.
    row = epa_daily_aqi(day(so2=[900.0] * 24)).iloc[0]
    assert row["so2_1h_max_ppb"] == 343 and pd.isna(row["iaqi_so2_1h_max"])
    assert row["so2_24h_ppb"] == 343 and row["iaqi_so2_24h"] == 214
    assert row["aqi"] == 214 and row["primary"] == "SO2_24h"
    assert row["level_en"] == "Very Unhealthy" and row["colour"] == "#8F3F97"


def test_so2_gap_of_the_table_is_not_guessed() -> None:
    # 1 h 1000 µg/m³ = 381.6 ppb (>= 305) but the 24 h mean (1000 + 23·10)/24 = 51.25 µg/m³
    # = 19.6 ppb < 305: the table defines no index (air-quality-rules.md §15) → NA.
    row = epa_daily_aqi(day(so2=one_peak(1000.0, 10.0))).iloc[0]
    assert row["so2_1h_max_ppb"] == 381 and row["so2_24h_ppb"] == 19
    assert pd.isna(row["iaqi_so2_1h_max"]) and pd.isna(row["iaqi_so2_24h"])
    assert row["aqi"] == 0 and bool(row["valid"])


def test_no2_max_1h() -> None:
    # One hour at 200 µg/m³: 200 · 24.45 / 46.0055 = 106.29 ppb → 106. Row 101–360 → 101–150:
    # 101 + 49/259 · 5 = 101.95 → 102.
    row = epa_daily_aqi(day(no2=one_peak(200.0, 20.0))).iloc[0]
    assert row["no2_1h_max_ppb"] == 106 and row["iaqi_no2_1h_max"] == 102
    assert row["aqi"] == 102 and row["primary"] == "NO2"


# ---------------------------------------------------------------------------------------------
# Completeness: the EPA's 75 % rule (18 of 24 hours; 13 of 17 8 h windows).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "valid"), [(17, False), (18, True)])
def test_24h_mean_needs_18_hours(hours: int, valid: bool) -> None:
    pm25 = [30.0] * hours + [np.nan] * (24 - hours)
    row = epa_daily_aqi(day(pm25=pm25)).iloc[0]
    assert row["pm25_24h_valid"] == valid and bool(row["valid"]) == valid
    if valid:
        # 30.0 → row 9.1–35.4 → 51–100: 51 + 49/26.3 · 20.9 = 89.94 → 90
        assert row["pm25_24h_ugm3"] == 30.0 and row["iaqi_pm25_24h"] == 90
    else:
        assert pd.isna(row["pm25_24h_ugm3"]) and pd.isna(row["iaqi_pm25_24h"])
        assert row["missing"] == "PM2.5" and row["aqi"] == 0  # the others are present


@pytest.mark.parametrize(("hours", "valid"), [(17, False), (18, True)])
def test_1h_max_needs_18_hours(hours: int, valid: bool) -> None:
    no2 = [20.0] * hours + [np.nan] * (24 - hours)
    row = epa_daily_aqi(day(no2=no2)).iloc[0]
    assert row["no2_1h_max_valid"] == valid and bool(row["valid"]) == valid


@pytest.mark.parametrize(
    ("hours", "level", "valid"),
    [
        # Hours 0…h−1 present: window s (hours s…s+7) has min(8, h − s) values, valid with >= 6,
        # so s <= h − 6: 17 hours → 12 windows (< 13, invalid), 18 hours → 13 windows (valid).
        (17, 40.0, False),
        (18, 40.0, True),
        # 160 µg/m³ = 0.081 ppm > 0.070 ppm: valid with 12 windows (40 CFR 50 App. U §3(b)).
        (17, 160.0, True),
    ],
)
def test_max_8h_needs_13_windows(hours: int, level: float, valid: bool) -> None:
    o3 = [level] * hours + [np.nan] * (24 - hours)
    co = [1.0] * hours + [np.nan] * (24 - hours)
    row = epa_daily_aqi(day(o3=o3, co=co)).iloc[0]
    assert row["o3_8h_max_valid"] == valid
    assert row["co_8h_max_valid"] == (hours >= 18)  # CO: no exception
    assert not row["valid"] if hours == 17 else row["valid"]


def test_daily_aqi_dispatches_to_epa_and_refuses_other_standards() -> None:
    rows = day(pm25=one_peak(54.0, 40.0))
    pd.testing.assert_frame_equal(daily_aqi(rows, standard="EPA2024"), epa_daily_aqi(rows))
    with pytest.raises(AirInputError, match="defined for"):
        daily_aqi(rows, standard="WHO2021")
    bad = rows.astype({"o3": object})
    bad.loc[4, "o3"] = "x"
    with pytest.raises(AirInputError) as err:
        daily_aqi(bad, standard="EPA2024")
    assert (err.value.problems[0].row, err.value.problems[0].column) == (4, "o3")


# ---------------------------------------------------------------------------------------------
# CLI on a slice of the real Beijing data (Dongsi, 2014-01-01 … 2014-01-10).
# ---------------------------------------------------------------------------------------------


def test_daily_cli_epa(tmp_path: Path, beijing_slice: Callable[..., Path]) -> None:
    src = beijing_slice(tmp_path, "Dongsi")
    out = tmp_path / "epa.csv"
    result = runner.invoke(
        app, ["air", "daily", str(src), "--out", str(out), "--standard", "EPA2024"]
    )
    assert result.exit_code == 0, result.output
    daily = pd.read_csv(out)
    assert daily.columns.tolist() == EPA_DAILY_COLUMNS and len(daily) == 10
    assert set(daily["standard"]) == {"EPA2024"}
    assert set(daily["level_en"]) <= {
        "Good",
        "Moderate",
        "Unhealthy for Sensitive Groups",
        "Unhealthy",
        "Very Unhealthy",
        "Hazardous",
    }
    # Independent: 2014-01-03 from the raw file with exact Fractions (hour labels as start).
    raw = pd.read_csv(src)
    jan3 = raw[raw["day"] == 3]
    pm = [Fraction(str(v)) for v in jan3["PM2.5"].dropna()]
    no2 = max(Fraction(str(v)) for v in jan3["NO2"].dropna())
    row = daily[daily["date"] == "2014-01-03"].iloc[0]
    assert len(pm) >= 18
    assert row["pm25_24h_ugm3"] == pytest.approx(float(int(sum(pm) / len(pm) * 10) / 10))
    assert row["no2_1h_max_ppb"] == int(no2 * Fraction("24.45") / Fraction("46.0055"))
    iaqis = [row[c] for c in EPA_DAILY_COLUMNS if c.startswith("iaqi_") and pd.notna(row[c])]
    assert row["aqi"] == max(iaqis)


def test_epa_cli_refuses_hj663_aggregations(
    tmp_path: Path, beijing_slice: Callable[..., Path]
) -> None:
    src = str(beijing_slice(tmp_path, "Dongsi"))
    out = str(tmp_path / "o.csv")
    city = runner.invoke(
        app, ["air", "daily", src, "--out", out, "--standard", "EPA2024", "--city", "Beijing"]
    )
    assert city.exit_code == 2 and "--city" in city.stderr
    annual = runner.invoke(app, ["air", "annual", src, "--out", out, "--standard", "EPA2024"])
    assert annual.exit_code == 2 and "annual evaluation" in annual.stderr
    assert "Traceback" not in city.output + annual.output and not Path(out).exists()
