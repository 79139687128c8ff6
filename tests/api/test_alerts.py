"""Alert rules over HTTP and alerts opened by observations as they arrive (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.sta import auth, data_array, station_body
from zhicheng.sensing import alerts as alert_service


def _setup(client: TestClient) -> int:
    r = client.post(
        "/v1.1/Things",
        json=station_body("Dongsi", props=("PM2.5", "CO")),
        headers=auth(client.tokens["device_manager"]),
    )  # type: ignore[attr-defined]
    assert r.status_code == 201
    page = client.get(
        "/v1.1/Datastreams", params={"$filter": "ObservedProperty/name eq 'PM2.5'"}
    ).json()
    return int(page["value"][0]["@iot.id"])


def _send(client: TestClient, ds: int, start_hour: int, values: list[float]) -> None:
    r = client.post(
        "/v1.1/CreateObservations",
        json=data_array(ds, start_hour, values),
        headers=auth(client.tokens["device_manager"]),
    )  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text


def test_rule_crud_and_roles(client: TestClient) -> None:
    ds = _setup(client)
    rule = {
        "name": "PM2.5 high",
        "kind": "threshold",
        "datastream_id": ds,
        "threshold": 75,
        "duration_minutes": 120,
    }
    assert client.post("/api/alerts/rules", json=rule).status_code == 401
    assert (
        client.post(
            "/api/alerts/rules", json=rule, headers=auth(client.tokens["device_manager"])
        ).status_code
        == 403
    )  # type: ignore[attr-defined]
    made = client.post("/api/alerts/rules", json=rule, headers=auth(client.tokens["operator"]))  # type: ignore[attr-defined]
    assert made.status_code == 201
    body = made.json()
    assert (
        body["created_by"] == "test-operator"
        and body["comparison"] == "gt"
        and body["enabled"] is True
    )
    rid = body["id"]
    assert client.get(f"/api/alerts/rules/{rid}").json()["threshold"] == 75
    replaced = client.put(
        f"/api/alerts/rules/{rid}",
        json={**rule, "threshold": 115},
        headers=auth(client.tokens["admin"]),
    )  # type: ignore[attr-defined]
    assert replaced.status_code == 200 and replaced.json()["threshold"] == 115
    assert [r["id"] for r in client.get("/api/alerts/rules").json()] == [rid]
    assert (
        client.delete(
            f"/api/alerts/rules/{rid}", headers=auth(client.tokens["operator"])
        ).status_code
        == 204
    )  # type: ignore[attr-defined]
    assert client.get(f"/api/alerts/rules/{rid}").status_code == 404


def test_bad_rules_are_400_with_a_message(client: TestClient) -> None:
    ds = _setup(client)
    op = auth(client.tokens["operator"])  # type: ignore[attr-defined]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "kind": "threshold", "datastream_id": ds}, "needs threshold"),
        (
            {"name": "x", "kind": "threshold", "threshold": 1},
            "exactly one of datastream_id and observed_property",
        ),
        (
            {"name": "x", "kind": "aqi_level", "observed_property": "PM2.5", "aqi_level": 9},
            "aqi_level",
        ),
        (
            {"name": "x", "kind": "threshold", "datastream_id": 999, "threshold": 1},
            "Datastream 999 does not exist",
        ),
        ({"name": "x", "kind": "sometimes", "datastream_id": ds, "threshold": 1}, "kind"),
        (
            {
                "name": "x",
                "kind": "threshold",
                "datastream_id": ds,
                "threshold": 1,
                "colour": "red",
            },
            "colour",
        ),
        ({"name": "x", "kind": "threshold", "datastream_id": ds, "threshold": "high"}, "threshold"),
    ]
    for body, fragment in cases:
        r = client.post("/api/alerts/rules", json=body, headers=op)
        assert r.status_code == 400, body
        assert fragment in r.json()["error"]["message"], (body, r.json())
    assert client.get("/api/alerts/rules").json() == []


def test_threshold_breach_opens_peaks_and_closes(client: TestClient) -> None:
    ds = _setup(client)
    opened: list[dict[str, Any]] = []
    alert_service.ON_ALERT_OPENED.append(opened.append)
    try:
        rule = {
            "name": "PM2.5 over 75 for 2 h",
            "kind": "threshold",
            "datastream_id": ds,
            "threshold": 75,
            "duration_minutes": 120,
        }
        rid = client.post(
            "/api/alerts/rules", json=rule, headers=auth(client.tokens["operator"])
        ).json()["id"]  # type: ignore[attr-defined]
        # 00:00–03:00 a one-hour breach (too short), then 05:00–09:00 a long one peaking at 160 at 07:00.
        _send(client, ds, 0, [40, 90, 60, 50, 70])
        assert client.get("/api/alerts").json() == []
        _send(client, ds, 5, [80, 120])  # 05:00, 06:00: breach for 1 h so far
        assert client.get("/api/alerts").json() == [] and opened == []
        one = client.post(
            "/v1.1/Observations",
            json={
                "phenomenonTime": "2017-02-01T07:00:00Z",
                "result": 160,
                "Datastream": {"@iot.id": ds},
            },
            headers=auth(client.tokens["device_manager"]),  # type: ignore[attr-defined]
        )
        assert one.status_code == 201
        active = client.get("/api/alerts", params={"active": "true"}).json()
        assert len(active) == 1 and len(opened) == 1 and opened[0]["id"] == active[0]["id"]
        alert = active[0]
        assert (alert["rule_id"], alert["start"], alert["peak_value"], alert["peak_at"], alert["end"]) == (
            rid, "2017-02-01T05:00:00Z", 160.0, "2017-02-01T07:00:00Z", None,
        )  # fmt: skip
        _send(client, ds, 8, [110, 30, 20])  # back within bounds at 09:00
        ended = client.get("/api/alerts").json()
        assert (
            len(ended) == 1
            and ended[0]["end"] == "2017-02-01T09:00:00Z"
            and ended[0]["active"] is False
        )
        assert ended[0]["peak_value"] == 160.0
        assert client.get("/api/alerts", params={"active": "true"}).json() == []
        assert client.get("/api/alerts", params={"since": "2017-02-02T00:00:00Z"}).json() == []
        assert len(client.get("/api/alerts", params={"since": "2017-02-01T00:00:00Z"}).json()) == 1
        assert client.get("/api/alerts", params={"since": "someday"}).status_code == 400
    finally:
        alert_service.ON_ALERT_OPENED.remove(opened.append)


def test_aqi_level_rule_on_an_observed_property(client: TestClient) -> None:
    ds = _setup(client)
    # Every PM2.5 Datastream; level 4 (中度污染) is IAQI 151–200: PM2.5 above 115 µg/m³ (HJ 633-2026 Table 3).
    rule = {
        "name": "PM2.5 moderate pollution",
        "kind": "aqi_level",
        "observed_property": "PM2.5",
        "aqi_level": 4,
    }
    assert (
        client.post(
            "/api/alerts/rules", json=rule, headers=auth(client.tokens["operator"])
        ).status_code
        == 201
    )  # type: ignore[attr-defined]
    _send(client, ds, 0, [100, 115, 116, 200, 90])
    alerts = client.get("/api/alerts").json()
    assert len(alerts) == 1
    assert (alerts[0]["start"], alerts[0]["peak_value"], alerts[0]["end"]) == (
        "2017-02-01T02:00:00Z",
        200.0,
        "2017-02-01T04:00:00Z",
    )
