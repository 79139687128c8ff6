"""The overview's live part: station AQI (HJ 633), open and overdue events, active alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.cockpit_workspace import READINGS, add_live_data, add_station
from zhicheng.api import create_app
from zhicheng.events.workflow import OPEN_STATES
from zhicheng.sensing.airlive import current_aqi
from zhicheng.store import init_store
from zhicheng.views import live

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_open_states_follow_the_event_workflow() -> None:
    assert live.OPEN_STATES == OPEN_STATES


def test_live_air_events_and_alerts(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    add_live_data(engine, NOW)
    with engine.connect() as conn:
        body = live.live_summary(conn, "zh", now=NOW, air=current_aqi)
        assert live.live_summary(conn, "zh", now=NOW)["air"] == {"available": False, "stations": []}
    # HJ 633-2012 Table 1: PM2.5 24-h mean 80 → IAQI 100 + 50 × (80 − 75) / (115 − 75) = 106.25, rounded up
    # to 107 (the AQI, PM2.5 primary); Table 2: 101–150 is 轻度污染, orange #FF7E00.
    dongsi, tiantan = body["air"]["stations"]
    # One language per page: the station's Chinese name in Chinese (its English name in English).
    assert dongsi["name"] == "东四" and dongsi["aqi"] == 107 and dongsi["primary"] == "PM2.5"
    assert dongsi["level_name"] == "轻度污染" and dongsi["colour"].upper() == "#FF7E00"
    assert dongsi["at"].startswith("2016-06-01T15:00:00") and dongsi["standard"] == "HJ633-2012"
    # Tiantan: PM10 24-h 30 → 30 × 50 / 50 = 30, PM2.5 20 → 20 × 50 / 35 = 28.6 → 29, O3 8-h 30 → 15 → AQI 30, 优.
    assert tiantan["aqi"] == 30 and tiantan["level_name"] == "优" and tiantan["colour"].upper() == "#00E400"
    ev = body["events"]
    assert (ev["total"], ev["open"], ev["overdue"]) == (4, 3, 2)
    assert [e["status"] for e in ev["overdue_list"]] == ["dispatched", "reopened"]  # most overdue first
    # Without the catalogue's names the codes stand in; with them, the names in the page's language.
    assert [e["service_name"] for e in ev["overdue_list"]] == ["road-damage", "road-damage"]
    from zhicheng.workspace.services import event_labels
    with engine.connect() as conn:
        named = live.live_summary(conn, "zh", now=NOW, event_labels=event_labels())["events"]["overdue_list"]
        named_en = live.live_summary(conn, "en", now=NOW, event_labels=event_labels())["events"]["overdue_list"]
    assert [(e["service_name"], e["department_name"]) for e in named] == [("道路破损", "交通运输局")] * 2
    assert [(e["service_name"], e["department_name"]) for e in named_en] == [("Road damage or pothole", "Transport Bureau")] * 2
    assert body["alerts"]["active"] == 1 and body["alerts"]["list"][0]["rule"] == "PM2.5 > 75"
    app = create_app(engine)
    with TestClient(app) as client:
        en = client.get("/api/cockpit/live", params={"lang": "en"}).json()
        assert en["air"]["stations"][0]["level_name"] == "Lightly polluted"
        assert en["air"]["stations"][0]["name"] == "Dongsi"
        assert en["events"]["overdue"] >= 2  # the server's own clock: at least the two above
    engine.dispose()


def test_one_hour_under_the_2026_edition(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:
        add_station(conn, "Lonely", datetime(2026, 6, 1, 2, 0, tzinfo=UTC), 1, READINGS)
    with engine.connect() as conn:
        (station,) = live.live_summary(conn, "en", air=current_aqi)["air"]["stations"]
    # HJ 633-2026 §4.2.3: the PM2.5 1-h value is indexed on the 24-h column of Table 3
    # (60 → 100, 115 → 150): 100 + 50 × (80 − 60) / (115 − 60) = 118.2, rounded up to 119.
    assert station["standard"] == "HJ633-2026" and station["aqi"] == 119
    assert station["level_name"] == "Lightly polluted" and station["primary"] == "PM2.5"
    engine.dispose()


def test_the_last_live_answer_is_sent_while_the_next_is_counted_and_a_write_makes_it_fresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from zhicheng.store.schema_events import events
    from zhicheng.views import service as service_module
    from zhicheng.workspace.services import report_service

    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    add_live_data(engine, NOW)
    reports = report_service(engine)
    monkeypatch.setattr(service_module, "LIVE_TTL_S", 1e9)  # one slot for the first part
    first = reports.live()
    sent = reports.encoded(reports.live)
    assert reports.live() is first and reports.encoded(reports.live) is sent  # encoded once per answer
    slot = 1.0
    monkeypatch.setattr(service_module, "LIVE_TTL_S", slot)  # short slots, so that one ends here
    time.sleep(slot - time.monotonic() % slot + 0.05)  # the slot ends; nothing is written
    asked = datetime.now(UTC).isoformat()
    last = reports.live()
    assert last["at"] < asked  # an answer counted before this call, sent at once while one thread recounts
    deadline = time.monotonic() + 20
    while (latest := reports.live())["at"] < asked and time.monotonic() < deadline:
        time.sleep(0.02)
    assert latest["at"] > asked and latest["events"] == first["events"]  # the recount, when ready
    with engine.begin() as conn:  # a write (any process): the next answer is counted at once
        conn.execute(events.insert().values(source="citizen", service_code="noise", status="submitted",
                                            requested_at=NOW, updated_at=NOW, expected_at=NOW))
    fresh = reports.live()
    assert fresh["events"]["total"] == first["events"]["total"] + 1
    assert reports.encoded(reports.live) != sent
    engine.dispose()
