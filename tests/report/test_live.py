"""The overview's live part: station AQI (HJ 633), open and overdue events, active alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from zhicheng.api import create_app
from zhicheng.events.workflow import OPEN_STATES
from zhicheng.report import live
from zhicheng.report.air import pollutant_of
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s
from zhicheng.store.schema_events import events

#: One station's constant hourly concentrations over a day [µg/m³] (CO [mg/m³]).
READINGS = {"SO2": 10.0, "NO2": 20.0, "CO": 0.5, "O3": 30.0, "PM10": 60.0, "PM2.5": 80.0}


def _station(conn: object, name: str, start: datetime, hours: int, readings: dict[str, float]) -> list[int]:
    thing = conn.execute(s.sta_things.insert().values(name=name, description="station")).inserted_primary_key[0]  # type: ignore[attr-defined]
    sensor = conn.execute(s.sta_sensors.insert().values(name="analyser", description="-", encoding_type="text/plain")).inserted_primary_key[0]  # type: ignore[attr-defined]
    foi = conn.execute(s.sta_features_of_interest.insert().values(name=name, description="-", encoding_type="application/geo+json")).inserted_primary_key[0]  # type: ignore[attr-defined]
    t0 = int(start.timestamp() * 1e6)
    streams = []
    for prop, value in readings.items():
        op = conn.execute(s.sta_observed_properties.insert().values(name=prop, definition=prop, description=prop)).inserted_primary_key[0]  # type: ignore[attr-defined]
        unit = {"symbol": "mg/m³" if prop == "CO" else "µg/m³"}
        ds = conn.execute(s.sta_datastreams.insert().values(
            name=f"{name} {prop}", description="-", unit_of_measurement=unit, observation_type="OM_Measurement",
            thing_id=thing, sensor_id=sensor, observed_property_id=op)).inserted_primary_key[0]  # type: ignore[attr-defined]
        times = t0 + np.arange(hours, dtype=np.int64) * 3_600_000_000
        conn.execute(s.sta_observations.insert(), [  # type: ignore[attr-defined]
            {"datastream_id": ds, "feature_of_interest_id": foi, "phenomenon_time_start": int(t), "result_number": value}
            for t in times
        ])
        streams.append(ds)
    return streams


def test_pollutant_names() -> None:
    assert [pollutant_of(n) for n in ("PM2.5", "pm25", "PM₂.₅", "PM10", "SO2", "no2", "CO", "O3", "temperature")] == [
        "pm25", "pm25", "pm25", "pm10", "so2", "no2", "co", "o3", None]


def test_open_states_follow_the_event_workflow() -> None:
    assert live.OPEN_STATES == OPEN_STATES


def test_live_air_events_and_alerts(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with engine.begin() as conn:
        # 2016-06-01 00:00–23:00 Beijing time: HJ 633-2012 applies (before 2026-03-01).
        streams = _station(conn, "Dongsi", datetime(2016, 5, 31, 16, 0, tzinfo=UTC), 24, READINGS)
        _station(conn, "Tiantan", datetime(2016, 5, 31, 16, 0, tzinfo=UTC), 24, {**READINGS, "PM2.5": 20.0, "PM10": 30.0})
        rule = conn.execute(s.alert_rules.insert().values(
            name="PM2.5 > 75", datastream_id=streams[-1], kind="threshold", threshold=75.0, created_by="test",
            created_at=now)).inserted_primary_key[0]
        conn.execute(s.alerts.insert().values(rule_id=rule, datastream_id=streams[-1], started_at=int(now.timestamp() * 1e6),
                                              peak_value=80.0, peak_at=int(now.timestamp() * 1e6), message="PM2.5 80"))
        base = {"source": "citizen", "requested_at": now - timedelta(days=3), "updated_at": now}
        conn.execute(events.insert(), [
            {**base, "service_code": "road", "status": "dispatched", "expected_at": now - timedelta(hours=5)},
            {**base, "service_code": "noise", "status": "submitted", "expected_at": now + timedelta(hours=5)},
            {**base, "service_code": "road", "status": "reopened", "expected_at": now - timedelta(hours=1)},
            {**base, "service_code": "light", "status": "closed", "expected_at": now - timedelta(hours=9)},
        ])
    with engine.connect() as conn:
        body = live.live_summary(conn, "zh", now=now)
    # HJ 633-2012 Table 1: PM2.5 24-h mean 80 → IAQI 100 + 50 × (80 − 75) / (115 − 75) = 106.25, rounded up
    # to 107 (the AQI, PM2.5 primary); Table 2: 101–150 is 轻度污染, orange #FF7E00.
    dongsi, tiantan = body["air"]["stations"]
    assert dongsi["name"] == "Dongsi" and dongsi["aqi"] == 107 and dongsi["primary"] == "PM2.5"
    assert dongsi["level_name"] == "轻度污染" and dongsi["colour"].upper() == "#FF7E00"
    assert dongsi["at"] == "2016-06-01T15:00:00+00:00" and dongsi["standard"] == "HJ633-2012"
    # Tiantan: PM10 24-h 30 → 30 × 50 / 50 = 30, PM2.5 20 → 20 × 50 / 35 = 28.6 → 29, O3 8-h 30 → 15 → AQI 30, 优.
    assert tiantan["aqi"] == 30 and tiantan["level_name"] == "优" and tiantan["colour"].upper() == "#00E400"
    ev = body["events"]
    assert (ev["total"], ev["open"], ev["overdue"]) == (4, 3, 2)
    assert [e["status"] for e in ev["overdue_list"]] == ["dispatched", "reopened"]  # most overdue first
    assert body["alerts"]["active"] == 1 and body["alerts"]["list"][0]["rule"] == "PM2.5 > 75"
    app = create_app(engine)
    with TestClient(app) as client:
        en = client.get("/api/cockpit/live", params={"lang": "en"}).json()
        assert en["air"]["stations"][0]["level_name"] == "Lightly polluted"
    engine.dispose()


def test_one_hour_under_the_2026_edition(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:
        _station(conn, "Lonely", datetime(2026, 6, 1, 2, 0, tzinfo=UTC), 1, READINGS)
    with engine.connect() as conn:
        (station,) = live.live_summary(conn, "en")["air"]["stations"]
    # HJ 633-2026 §4.2.3: the PM2.5 1-h value is indexed on the 24-h column of Table 3
    # (60 → 100, 115 → 150): 100 + 50 × (80 − 60) / (115 − 60) = 118.2, rounded up to 119.
    assert station["standard"] == "HJ633-2026" and station["aqi"] == 119
    assert station["level_name"] == "Lightly polluted" and station["primary"] == "PM2.5"
    engine.dispose()
