"""Registering and moving events on a real store: grid cells, SLAs, duplicates, history, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.events.events_fixtures import add_grid
from zhicheng.api.errors import http_status
from zhicheng.events import (
    EventError,
    EventFilter,
    NewEvent,
    TransitionError,
    create_event,
    get_event,
    list_events,
    open_event_from_alert,
    transition_event,
)
from zhicheng.store.bulk import table_counts
from zhicheng.store.schema_events import event_history, events

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def report(**kw: object) -> NewEvent:
    base: dict[str, object] = {"service_code": "road-damage", "lat": 39.91, "lon": 116.31,
                               "attributes": {"lane_blocked": ["no"]}, "description": "坑洼 pothole",
                               "requested_at": T0}
    base.update(kw)
    return NewEvent(**base)  # type: ignore[arg-type]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return table_counts(conn, [events, event_history])


def test_report_gets_grid_department_sla_and_history(engine: Engine) -> None:
    add_grid(engine)
    created = create_event(engine, report(contact={"email": "a@example.org"}), actor="kiosk")
    assert created.grid_code == "G1"
    # road-damage: SLA 48 h in the packaged catalogue.
    assert created.expected_at == T0 + timedelta(hours=48)
    e = get_event(engine, created.public_id)
    assert (e["status"], e["department"], e["grid_code"], e["source"]) == ("submitted", "JTJ", "G1", "citizen")
    assert e["attributes"] == {"lane_blocked": "no"}
    assert "contact" not in e and "token" not in e
    assert e["overdue"] is True  # T0 + 48 h is in the past
    assert [h["to_status"] for h in e["history"]] == ["submitted"]
    # A point in G1's hole, in G2, in G3's second part and outside every cell.
    spots = [(39.925, 116.325, None), (39.91, 116.36, "G2"), (39.96, 116.39, "G3"), (40.5, 117.0, None)]
    for lat, lon, grid in spots:
        c = create_event(engine, report(lat=lat, lon=lon, requested_at=T0 + timedelta(days=30)), actor="kiosk")
        assert c.grid_code == grid


def test_duplicates_are_linked_not_dropped(engine: Engine) -> None:
    first = create_event(engine, report(), actor="a")
    # 20 m north (0.00018 deg of latitude), one hour later: road-damage rule is 30 m / 168 h.
    near = create_event(engine, report(lat=39.91018, requested_at=T0 + timedelta(hours=1)), actor="b")
    again = create_event(engine, report(lat=39.91010, requested_at=T0 + timedelta(hours=2)), actor="c")
    far = create_event(engine, report(lat=39.9110, requested_at=T0 + timedelta(hours=1)), actor="d")  # 111 m
    late = create_event(engine, report(requested_at=T0 + timedelta(hours=200)), actor="e")
    other = create_event(engine, report(service_code="noise", attributes={}, requested_at=T0 + timedelta(hours=1)),
                         actor="f")
    assert near.duplicate_of == first.public_id and again.duplicate_of == first.public_id
    assert far.duplicate_of is None and late.duplicate_of is None and other.duplicate_of is None
    assert "possible duplicate" in near.service_notice
    assert counts(engine)["events"] == 6
    assert get_event(engine, near.public_id)["duplicate_of"] == first.public_id
    _, rows = list_events(engine, EventFilter(service_code=("road-damage",)))
    assert sorted(r["duplicate_of"] or "" for r in rows) == ["", "", "", first.public_id, first.public_id]


def test_full_workflow_with_reopening(engine: Engine) -> None:
    add_grid(engine)
    c = create_event(engine, report(), actor="kiosk")
    steps = [("accepted", {}), ("dispatched", {"department": "CGJ", "grid": "G2"}), ("in_progress", {}),
             ("resolved", {}), ("closed", {}), ("reopened", {}), ("dispatched", {}), ("in_progress", {}),
             ("resolved", {}), ("closed", {})]
    for i, (to, extra) in enumerate(steps):
        at = T0 + timedelta(hours=i + 1)
        e = transition_event(engine, c.public_id, to, f"step {i}", "op1", "operator", at=at, **extra)  # type: ignore[arg-type]
        assert e["status"] == to
    assert (e["department"], e["grid_code"], e["reopen_count"]) == ("CGJ", "G2", 1)
    assert e["closed_at"] == T0 + timedelta(hours=10) and e["overdue"] is False
    assert [h["to_status"] for h in e["history"]] == ["submitted"] + [s for s, _ in steps]
    assert [h["note"] for h in e["history"][1:]] == [f"step {i}" for i in range(len(steps))]
    assert e["history"][2]["department"] == "CGJ" and e["history"][2]["from_status"] == "accepted"


def test_refused_transitions_change_nothing(engine: Engine) -> None:
    add_grid(engine)
    c = create_event(engine, report(), actor="kiosk")
    for to in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
        transition_event(engine, c.public_id, to, "ok", "op1", "operator")
    before = counts(engine)
    refusals = [
        (dict(to="in_progress", note="x", actor="op", role="operator"), TransitionError, 409),
        (dict(to="reopened", note="x", actor="v", role="viewer"), EventError, 403),
        (dict(to="reopened", note="  ", actor="op", role="operator"), EventError, 400),
        (dict(to="reopened", note="x", actor="op", role="operator", grid="D1"), EventError, 400),
        (dict(to="finished", note="x", actor="op", role="operator"), TransitionError, 400),
    ]
    for kwargs, kind, status in refusals:
        with pytest.raises(kind) as info:
            transition_event(engine, c.public_id, **kwargs)  # type: ignore[arg-type]
        assert http_status(info.value) == status
    with pytest.raises(EventError) as info:
        transition_event(engine, "999999", "accepted", "x", "op", "operator")
    assert http_status(info.value) == 404
    assert counts(engine) == before
    assert get_event(engine, c.public_id)["status"] == "closed"


def test_dispatch_needs_a_department(engine: Engine) -> None:
    c = create_event(engine, report(service_code="noise", attributes={}), actor="kiosk")
    with engine.begin() as conn:
        conn.execute(events.update().values(department=None))
    transition_event(engine, c.public_id, "accepted", "ok", "op", "operator")
    with pytest.raises(EventError, match="department"):
        transition_event(engine, c.public_id, "dispatched", "go", "op", "operator")
    e = transition_event(engine, c.public_id, "dispatched", "go", "op", "operator", department="HBJ")
    assert e["department"] == "HBJ"


def test_invalid_reports_report_every_problem_and_write_nothing(engine: Engine) -> None:
    cases = [
        (report(service_code="no-such-service"), ["service_code 'no-such-service' not found"]),
        (report(lat=None, lon=None), ["a location is required"]),
        (report(lat=95.0), ["lat must be a latitude"]),
        (report(lon=200.0, lat=float("nan")), ["lat must be a latitude", "long must be a longitude"]),
        (report(lon=None), ["lat and long must be given together"]),
        (report(attributes={"lane_blocked": ["maybe"], "depth_cm": ["deep"]}),
         ["attribute[lane_blocked] must be one of no, yes", "attribute[depth_cm] must be a number"]),
        (report(attributes={}), ["attribute[lane_blocked] is required"]),
        (report(media_url="ftp://x/y.jpg", description="x" * 4001),
         ["description is longer", "media_url must be an http(s) URL"]),
    ]
    for new, expected in cases:
        with pytest.raises(EventError) as info:
            create_event(engine, new, actor="kiosk")
        reasons = [p.reason for p in info.value.problems]
        assert len(reasons) == len(expected), reasons
        for fragment, reason in zip(expected, reasons, strict=True):
            assert fragment in reason
    assert counts(engine) == {"events": 0, "event_history": 0}
    # An address alone is a location.
    assert create_event(engine, report(lat=None, lon=None, address="1 Main St"), actor="k").grid_code is None


def test_list_filters_and_overdue(engine: Engine) -> None:
    now = datetime.now(UTC)
    old = create_event(engine, report(requested_at=now - timedelta(hours=100)), actor="a")  # 48 h SLA: overdue
    fresh = create_event(engine, report(lat=39.0, requested_at=now - timedelta(hours=1)), actor="a")
    noise = create_event(engine, report(service_code="noise", attributes={}, lat=38.0, requested_at=now), actor="a",)
    transition_event(engine, noise.public_id, "rejected", "not actionable", "op", "operator")
    total, rows = list_events(engine, EventFilter(overdue=True))
    assert total == 1 and rows[0]["public_id"] == old.public_id and rows[0]["overdue"]
    total, rows = list_events(engine, EventFilter(overdue=False))
    assert {r["public_id"] for r in rows} == {fresh.public_id, noise.public_id}
    assert list_events(engine, EventFilter(status=("rejected",)))[0] == 1
    assert list_events(engine, EventFilter(service_code=("road-damage",), start=now - timedelta(hours=2)))[0] == 1
    assert list_events(engine, EventFilter(source="sensor"))[0] == 0
    total, rows = list_events(engine, limit=2)
    assert total == 3 and [r["public_id"] for r in rows] == [noise.public_id, fresh.public_id]


def test_sensor_alert_opens_an_event_with_its_source(engine: Engine) -> None:
    add_grid(engine)
    alert = {"id": "alert-17", "station": "万寿西宫", "lat": 39.93, "lon": 116.37, "pollutant": "PM2.5",
             "aqi": 215, "message": "AQI 215 (重度污染)", "at": "2026-03-02T09:00:00+08:00"}
    event_id = open_event_from_alert(engine, alert)
    e = get_event(engine, str(event_id))
    assert (e["source"], e["source_ref"], e["service_code"], e["grid_code"]) == (
        "sensor", "alert-17", "air-quality-alert", "G2")
    assert e["attributes"] == {"pollutant": "PM2.5", "aqi": 215.0}
    assert e["requested_at"] == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert e["description"] == "[万寿西宫] AQI 215 (重度污染)"
    assert e["history"][0]["role"] == "sensor"
    # A second alert of the same station an hour later is linked to the first (1 km / 6 h rule).
    second = open_event_from_alert(engine, {**alert, "id": "alert-18", "at": "2026-03-02T10:00:00+08:00"})
    assert get_event(engine, str(second))["duplicate_of"] == str(event_id)
    with pytest.raises(EventError, match="location"):
        open_event_from_alert(engine, {"id": "x", "message": "no place"})
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 2
