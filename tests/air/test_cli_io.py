"""`zhicheng air daily|annual` and the readers, on a small slice of the real Beijing data."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from zhicheng.air import AirInputError, daily_aqi
from zhicheng.air.io import read_beijing, read_hourly, read_plain
from zhicheng.cli import app

runner = CliRunner()


@pytest.fixture
def two_stations(tmp_path: Path, beijing_slice: Callable[..., Path]) -> list[Path]:
    return [beijing_slice(tmp_path, "Dongsi"), beijing_slice(tmp_path, "Huairou")]


def test_reader_converts_beijing_co_to_mg(two_stations: list[Path]) -> None:
    hourly = read_hourly(two_stations)
    raw = pd.read_csv(two_stations[0])
    assert (
        raw["year"][0] == 2014
        and raw["month"][0] == 1
        and raw["day"][0] == 1
        and raw["hour"][0] == 0
    )
    assert len(hourly) == 480 and set(hourly["station"]) == {"Dongsi", "Huairou"}
    first = raw["CO"].first_valid_index()
    assert raw["CO"][first] >= 100  # PROVENANCE: the file's CO is in µg/m³
    assert hourly["co"][first] == pytest.approx(raw["CO"][first] / 1000, abs=1e-12)
    assert (
        hourly["co"].isna().sum()
        == raw["CO"].isna().sum() + pd.read_csv(two_stations[1])["CO"].isna().sum()
    )
    assert hourly["row"][0] == 2 and hourly["file"][0] == two_stations[0].name


def test_daily_cli_matches_an_independent_computation(
    two_stations: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "daily.csv"
    result = runner.invoke(app, ["air", "daily", *map(str, two_stations), "--out", str(out)])
    assert result.exit_code == 0, result.output
    daily = pd.read_csv(out)
    assert len(daily) == 20 and daily.columns[:3].tolist() == ["date", "station", "standard"]
    raw = pd.read_csv(two_stations[0])
    jan3 = raw[(raw["day"] == 3)]
    # Independent: exact mean of the day's PM2.5 (hour labels as start) and CO in mg/m³, GB/T 8170.
    pm = [Fraction(str(v)) for v in jan3["PM2.5"].dropna()]
    co = [Fraction(str(v)) / 1000 for v in jan3["CO"].dropna()]
    row = daily[(daily["station"] == "Dongsi") & (daily["date"] == "2014-01-03")].iloc[0]
    assert len(pm) >= 20 and row["pm25_24h"] == round(sum(pm) / len(pm))
    assert row["co_24h"] == pytest.approx(float(round(sum(co) / len(co) * 10) / 10), abs=1e-9)
    assert row["aqi"] == max(
        row[c] for c in daily.columns if c.startswith("iaqi_") and pd.notna(row[c])
    )
    assert row["standard"] == "HJ633-2012"


def test_daily_cli_city_and_options(two_stations: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    result = runner.invoke(
        app,
        [
            "air",
            "daily",
            *map(str, two_stations),
            "--out",
            str(out),
            "--standard",
            "HJ633-2026",
            "--hour-label",
            "end",
            "--city",
            "Beijing",
        ],
    )
    assert result.exit_code == 0, result.output
    daily = pd.read_csv(out)
    assert set(daily["standard"]) == {"HJ633-2026"} and "Beijing" in set(daily["station"])
    # hour-ending labels: label 0 of Jan 1 is 24:00 of Dec 31, a day with a single hour (invalid)
    first = daily[(daily["station"] == "Dongsi")].iloc[0]
    assert first["date"] == "2013-12-31" and not first["valid"]


def test_annual_cli(two_stations: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "annual.csv"
    result = runner.invoke(app, ["air", "annual", *map(str, two_stations), "--out", str(out)])
    assert result.exit_code == 0, result.output
    annual = pd.read_csv(out)
    assert annual[["station", "year", "days"]].values.tolist() == [
        ["Dongsi", 2014, 10],
        ["Huairou", 2014, 10],
    ]
    assert not annual["pm25_year_valid"].any()  # 10 days < 324 (GB 3095 Table 4)
    daily = daily_aqi(read_hourly(two_stations))
    dongsi = daily[daily["station"] == "Dongsi"]
    good = int(((dongsi["aqi"] <= 100) & dongsi["valid"]).sum())
    assert annual["good_days"][0] == good


def plain_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plain.csv"
    path.write_text(body)
    return path


PLAIN = """station,time,so2,no2,co [ug/m3],o3,pm10,PM2.5
A,2016-05-01 00:00,5,20,500,40,50,30
A,2016-05-01 01:00,5,20,700,40,50,-4
A,2016-05-01 02:00,5,x,700,40,50,30
"""


def test_bad_plain_input_names_row_and_column(tmp_path: Path) -> None:
    path = plain_file(tmp_path, PLAIN)
    result = runner.invoke(app, ["air", "daily", str(path), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    err = result.stderr
    assert "plain.csv, row 3, column 'pm25': negative concentration -4.0" in err
    assert "plain.csv, row 4, column 'no2': not a number: 'x'" in err
    assert "Traceback" not in result.output and not (tmp_path / "o.csv").exists()


def test_plain_layout_units(tmp_path: Path) -> None:
    path = plain_file(tmp_path, PLAIN.replace(",-4", ",30").replace(",x,", ",20,"))
    hourly = read_plain(path)
    assert hourly["co"].tolist() == [0.5, 0.7, 0.7]  # header unit ug/m3 → mg/m3
    assert hourly["pm25"].tolist() == [30, 30, 30]
    with pytest.raises(AirInputError, match="mixed units"):
        read_plain(path, {"co": "mg/m3"})
    result = runner.invoke(
        app, ["air", "daily", str(path), "--out", str(tmp_path / "o.csv"), "--unit", "co=mg/m3"]
    )
    assert result.exit_code == 2 and "mixed units" in result.stderr


def test_missing_columns_and_files(tmp_path: Path) -> None:
    path = plain_file(tmp_path, "station,time,so2\nA,2016-05-01 00:00,5\n")
    with pytest.raises(AirInputError) as err:
        read_plain(path)
    assert {p.column for p in err.value.problems} == {"no2", "co", "o3", "pm10", "pm25"}
    result = runner.invoke(
        app, ["air", "annual", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2 and "nope.csv" in result.stderr


def test_read_beijing_rejects_other_layouts(tmp_path: Path) -> None:
    path = plain_file(tmp_path, "No,year,month,day,hour,station\n1,2014,1,1,0,A\n")
    with pytest.raises(AirInputError, match="missing column"):
        read_beijing([path])
