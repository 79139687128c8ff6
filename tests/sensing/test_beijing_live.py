"""The Beijing replay (``zhicheng sensors load-beijing``) and the stations' live AQI from it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zhicheng.air.editions import daily_aqi
from zhicheng.air.realtime import hourly_aqi
from zhicheng.cli import app as cli_app
from zhicheng.sensing.beijing import STATIONS, read_station, window

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from zhicheng.api import create_app

DATA = Path(__file__).resolve().parents[2] / "data" / "air_quality" / "beijing_multisite"
DONGSI = next(DATA.glob("PRSA_Data_Dongsi_*.csv.gz"))
POLLUTANTS = {"SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3", "PM10": "pm10", "PM2.5": "pm25"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    db = str(tmp_path_factory.mktemp("bj") / "bj.db")
    run = CliRunner().invoke(
        cli_app,
        [
            "sensors",
            "load-beijing",
            "--db",
            db,
            "--days",
            "3",
            "--station",
            "Dongsi",
            "--station",
            "Tiantan",
            "--batch",
            "500",
        ],
    )
    assert run.exit_code == 0, run.output
    return db, run.output


def _raw_local(path: Path, days: int) -> pd.DataFrame:
    """The file's last ``days`` local days as the air module's hourly frame (the reference)."""
    raw = pd.read_csv(path)
    raw = raw[
        pd.to_datetime(raw[["year", "month", "day"]])
        >= pd.Timestamp("2017-02-28") - pd.Timedelta(days=days - 1)
    ]
    frame = pd.DataFrame(
        {"station": "Dongsi", "time": pd.to_datetime(raw[["year", "month", "day", "hour"]])}
    )
    for column, code in POLLUTANTS.items():
        frame[code] = raw[column].to_numpy(dtype=float) / (1000.0 if code == "co" else 1.0)
    return frame.reset_index(drop=True)


def test_replay_sends_every_reading_once(loaded: tuple[str, str]) -> None:
    db, output = loaded
    expected = int(
        window(read_station(DONGSI), None, None, 3)[list(POLLUTANTS)].notna().to_numpy().sum()
    )
    assert f"Dongsi: {expected:,}" in output
    again = CliRunner().invoke(
        cli_app, ["sensors", "load-beijing", "--db", db, "--days", "3", "--station", "Dongsi"]
    )
    assert again.exit_code == 0 and "sent 0 observations" in again.output
    app = create_app(db)
    with TestClient(app) as client:
        things = client.get(
            "/v1.1/Things", params={"$expand": "Locations,Datastreams($select=name)"}
        ).json()["value"]
        assert [t["name"] for t in things] == ["Dongsi", "Tiantan"]
        assert things[0]["Locations"][0]["location"]["coordinates"] == [
            STATIONS["Dongsi"][1],
            STATIONS["Dongsi"][2],
        ]
        assert len(things[0]["Datastreams"]) == 6
        counted = client.get(
            f"/v1.1/Things({things[0]['@iot.id']})/Datastreams",
            params={"$expand": "Observations($count=true;$top=1)"},
        ).json()
        assert sum(d["Observations@iot.count"] for d in counted["value"]) == expected
        # The last reading of Dongsi's CO: 1200 µg/m³ in the file, 1.2 mg/m³ on the server.
        co = client.get(
            "/v1.1/Datastreams",
            params={
                "$filter": "name eq 'Dongsi CO'",
                "$expand": "Observations($orderby=phenomenonTime desc;$top=1)",
            },
        ).json()
        last = co["value"][0]["Observations"][0]
        assert (last["phenomenonTime"], last["result"]) == ("2017-02-28T15:00:00Z", 1.2)
    app.state.engine.dispose()


def test_current_hourly_aqi_matches_the_standard(loaded: tuple[str, str]) -> None:
    db, _ = loaded
    app = create_app(db)
    with TestClient(app) as client:
        stations = {s["name"]: s for s in client.get("/api/air/stations").json()}
    app.state.engine.dispose()
    dongsi = stations["Dongsi"]
    assert dongsi["local_time"] == "2017-02-28T23:00:00" and dongsi["standard"] == "HJ633-2012"
    assert dongsi["concentrations"] == {
        "so2": 11.0,
        "no2": 87.0,
        "co": 1.2,
        "o3": 4.0,
        "pm10": 71.0,
        "pm25": 30.0,
    }
    # Hand-computed by HJ 633-2012 Eq. (1), Table 1 (1 h columns), rounded up:
    # NO2 87 → 50·87/100 = 43.5 → 44; CO 1.2 → 50·1.2/5 = 12; SO2 11 → 50·11/150 → 4; O3 4 → 50·4/160 → 2.
    assert {k: dongsi["iaqi"][k] for k in ("no2_1h", "co_1h", "so2_1h", "o3_1h")} == {
        "no2_1h": 44,
        "co_1h": 12,
        "so2_1h": 4,
        "o3_1h": 2,
    }
    reference = hourly_aqi(_raw_local(DONGSI, 3))
    assert dongsi["aqi"] == int(reference["aqi"].iloc[-1])
    assert dongsi["level"] == reference["level"].iloc[-1]


def test_daily_aqi_matches_the_air_module_on_the_raw_file(loaded: tuple[str, str]) -> None:
    db, _ = loaded
    app = create_app(db)
    with TestClient(app) as client:
        thing = client.get(
            "/v1.1/Things", params={"$filter": "properties/station eq 'Dongsi'"}
        ).json()["value"][0]["@iot.id"]
        days = client.get(f"/api/air/stations/{thing}/daily").json()
        refused = client.get("/api/air/stations/4242/daily")
    app.state.engine.dispose()
    reference = daily_aqi(_raw_local(DONGSI, 3))
    assert [d["date"] for d in days] == ["2017-02-26", "2017-02-27", "2017-02-28"]
    assert [d["aqi"] for d in days] == reference["aqi"].astype(int).tolist()
    assert np.allclose([d["pm25_24h"] for d in days], reference["pm25_24h"].astype(float), atol=0)
    assert refused.status_code == 404


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_date = runner.invoke(
        cli_app,
        ["sensors", "load-beijing", "--db", str(tmp_path / "x.db"), "--since", "last spring"],
    )
    assert bad_date.exit_code == 2 and "--since: 'last spring' is not an ISO date" in " ".join(
        bad_date.stderr.split()
    )
    no_token = runner.invoke(cli_app, ["sensors", "load-beijing", "--url", "http://127.0.0.1:9"])
    assert no_token.exit_code == 2 and "--url needs --token" in " ".join(no_token.stderr.split())
    unknown = runner.invoke(
        cli_app,
        ["sensors", "load-beijing", "--db", str(tmp_path / "x.db"), "--station", "Xizhimen"],
    )
    assert unknown.exit_code == 2 and "unknown station 'Xizhimen'" in " ".join(
        unknown.stderr.split()
    )
    empty = runner.invoke(
        cli_app,
        ["sensors", "load-beijing", "--db", str(tmp_path / "x.db"), "--data", str(tmp_path)],
    )
    # (Rich wraps long lines; compare with the wrapping undone.)
    assert empty.exit_code == 2 and "no PRSA_Data_Aotizhongxin_*.csv(.gz) file" in " ".join(
        empty.stderr.split()
    )
