"""The workflow API ``/api/events``: lists with filters, detail with history, transitions, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from zhicheng.events import NewEvent, create_event
from zhicheng.store.schema_events import event_history


def auth(client: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}  # type: ignore[attr-defined]


def seed(client: TestClient) -> dict[str, str]:
    """Three events: an overdue noise report, a fresh road-damage report, a sensor alert."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    ids = {}
    for name, new in {
        "late": NewEvent(service_code="noise", lat=31.0, lon=121.0, requested_at=now - timedelta(hours=60)),
        "fresh": NewEvent(service_code="road-damage", lat=31.1, lon=121.1, attributes={"lane_blocked": ["no"]},
                          requested_at=now - timedelta(hours=1)),
        "sensor": NewEvent(service_code="air-quality-alert", lat=31.2, lon=121.2, source="sensor",
                           requested_at=now - timedelta(minutes=5)),
    }.items():
        ids[name] = create_event(engine, new, actor="seed").public_id
    return ids


def listed(client: TestClient, **params: Any) -> list[str]:
    r = client.get("/api/events", params=params, headers=auth(client, "viewer"))
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["events"]]


def test_lists_filter_by_state_service_source_and_overdue(client: TestClient) -> None:
    ids = seed(client)
    assert listed(client) == [ids["sensor"], ids["fresh"], ids["late"]]
    assert listed(client, overdue=True) == [ids["late"]]
    assert listed(client, overdue=False) == [ids["sensor"], ids["fresh"]]
    assert listed(client, source="sensor") == [ids["sensor"]]
    assert listed(client, service_code="noise,road-damage") == [ids["fresh"], ids["late"]]
    assert listed(client, department="HBJ") == [ids["sensor"], ids["late"]]
    assert listed(client, status="submitted", limit=1) == [ids["sensor"]]
    page = client.get("/api/events", params={"limit": 1, "offset": 1}, headers=auth(client, "analyst")).json()
    assert page["total"] == 3 and [e["id"] for e in page["events"]] == [ids["fresh"]]
    late = client.get("/api/events", params={"overdue": True}, headers=auth(client, "operator")).json()["events"][0]
    assert late["overdue"] is True and late["status_label_zh"] == "已登记"
    bad = client.get("/api/events", params={"status": "lost"}, headers=auth(client, "viewer"))
    assert bad.status_code == 400 and "lost" in bad.json()["error"]["message"]
    assert client.get("/api/events").status_code == 401
    assert client.get("/api/events", headers=auth(client, "sensor")).status_code == 403


def test_detail_and_transitions_keep_history(client: TestClient) -> None:
    ids = seed(client)
    rid = ids["late"]
    op = auth(client, "operator")
    r = client.post(f"/api/events/{rid}/transition", json={"to": "accepted", "note": "核实 verified"}, headers=op)
    assert r.status_code == 200
    r = client.post(f"/api/events/{rid}/transition",
                    json={"to": "dispatched", "note": "派遣", "department": "CGJ"}, headers=auth(client, "admin"))
    detail = client.get(f"/api/events/{rid}", headers=auth(client, "viewer")).json()
    assert detail["status"] == "dispatched" and detail["department"] == "CGJ"
    assert [(h["from_status"], h["to_status"], h["actor"], h["role"], h["note"]) for h in detail["history"]] == [
        (None, "submitted", "seed", None, "citizen report"),
        ("submitted", "accepted", "test-operator", "operator", "核实 verified"),
        ("accepted", "dispatched", "test-admin", "admin", "派遣"),
    ]
    assert client.get("/api/events/nope", headers=op).status_code == 404


def test_refused_transitions_change_nothing(client: TestClient) -> None:
    ids = seed(client)
    rid = ids["fresh"]
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def history_rows() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(event_history)).scalar_one())

    before = history_rows()
    cases = [
        (auth(client, "viewer"), {"to": "accepted", "note": "x"}, 403),
        (auth(client, "sensor"), {"to": "accepted", "note": "x"}, 403),
        ({}, {"to": "accepted", "note": "x"}, 401),
        (auth(client, "operator"), {"to": "closed", "note": "skip ahead"}, 409),
        (auth(client, "operator"), {"to": "accepted"}, 400),
        (auth(client, "operator"), {"to": "accepted", "note": "x", "grid": "nowhere"}, 400),
        (auth(client, "operator"), {"to": "accepted", "note": "x", "colour": "red"}, 400),
    ]
    for headers, body, status in cases:
        r = client.post(f"/api/events/{rid}/transition", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
    assert history_rows() == before
    assert client.get(f"/api/events/{rid}", headers=auth(client, "viewer")).json()["status"] == "submitted"


def test_inspector_reports_and_statistics(client: TestClient) -> None:
    r = client.post("/api/events", json={"service_code": "manhole-cover", "lat": 31.5, "lon": 121.5,
                                         "description": "井盖缺失"}, headers=auth(client, "operator"))
    assert r.status_code == 201 and r.json()["source"] == "inspector" and r.json()["department"] == "CGJ"
    s = client.post("/api/events", json={"service_code": "air-quality-alert", "lat": 31.6, "lon": 121.6,
                                         "attributes": {"aqi": "160"}}, headers=auth(client, "sensor"))
    assert s.status_code == 201 and s.json()["source"] == "sensor" and s.json()["attributes"] == {"aqi": 160.0}
    bad = client.post("/api/events", json={"service_code": "manhole-cover"}, headers=auth(client, "operator"))
    assert bad.status_code == 400 and "location" in bad.json()["error"]["message"]
    rid = r.json()["id"]
    op = auth(client, "operator")
    for to in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
        assert client.post(f"/api/events/{rid}/transition", json={"to": to, "note": "ok"}, headers=op).status_code == 200
    stats = client.get("/api/events/stats", params={"by": "source"}, headers=auth(client, "analyst")).json()
    by = {row["key"]: row for row in stats}
    assert set(by) == {"inspector", "sensor"}
    assert by["inspector"]["closed"] == 1 and by["inspector"]["closed_within_sla_pct"] == 100.0
    assert by["sensor"]["closed"] == 0 and by["sensor"]["closed_within_sla_pct"] is None
    assert client.get("/api/events/stats", params={"by": "colour"}, headers=op).status_code == 400
