"""Read endpoints of the cockpit's operations pages: stations, alert history and detail, event types."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.cockpit.cockpit_workspace import add_live_data


def _viewer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens['viewer']}"}  # type: ignore[attr-defined]


def test_station_now_and_hourly(client: TestClient) -> None:
    add_live_data(client.app.state.engine, datetime.now(UTC))  # type: ignore[attr-defined]
    now = client.get("/api/air/stations/1").json()
    # constant readings (PM2.5 80 µg/m³ over 24 h): IAQI 107 by HJ 633-2012 Table 1 (75–115 → 100–150)
    assert (now["name"], now["aqi"], now["primary"], now["hour_start"]) == ("Dongsi", 107, "PM2.5", "2016-06-01T15:00:00Z")
    hours = client.get("/api/air/stations/1/hourly", params={"hours": 5}).json()
    assert [h["hour_start"][11:13] for h in hours] == ["11", "12", "13", "14", "15"]
    assert hours[-1] == now
    assert client.get("/api/air/stations/1/hourly", params={"hours": 0}).status_code == 400
    assert client.get("/api/air/stations/99").status_code == 404


def test_alert_history_and_detail(client: TestClient) -> None:
    add_live_data(client.app.state.engine, datetime.now(UTC))  # type: ignore[attr-defined]
    history = client.get("/api/alerts/history").json()
    assert history["total"] == 1
    row = history["alerts"][0]
    assert (row["rule_name"], row["station"], row["thing_id"], row["observed_property"], row["unit"]) == (
        "PM2.5 > 75", "东四", 1, "PM2.5", "µg/m³")
    # the station is named in the language asked for: its Chinese name, or its own in English
    assert client.get("/api/alerts/history", params={"lang": "en"}).json()["alerts"][0]["station"] == "Dongsi"
    assert client.get("/api/alerts/history", params={"thing_id": 2}).json()["total"] == 0
    assert client.get("/api/alerts/history", params={"active": "false"}).json()["total"] == 0
    detail = client.get(f"/api/alerts/{row['id']}").json()
    assert detail["rule"]["threshold"] == 75 and detail["event"] is None and detail["station"] == "东四"
    # the alert started now; the station's readings are from 2016: none in the window around it
    assert detail["observations"] == []
    assert client.get("/api/alerts/12345").status_code == 404


def test_alert_detail_marks_the_readings_that_breached(client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {client.tokens['operator']}"}  # type: ignore[attr-defined]
    sensor = {"Authorization": f"Bearer {client.tokens['sensor']}"}  # type: ignore[attr-defined]
    thing = client.post("/v1.1/Things", headers=headers, json={
        "name": "Guanyuan", "description": "station",
        "Locations": [{"name": "Guanyuan", "description": "-", "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [116.339, 39.929]}}],
        "Datastreams": [{"name": "Guanyuan PM2.5", "description": "-", "observationType": "OM_Measurement",
                         "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/m³", "definition": "-"},
                         "ObservedProperty": {"name": "PM2.5", "definition": "PM2.5", "description": "-"},
                         "Sensor": {"name": "a", "description": "-", "encodingType": "text/plain", "metadata": "-"}}]})
    assert thing.status_code == 201, thing.text
    ds = client.get("/v1.1/Datastreams").json()["value"][-1]["@iot.id"]
    rule = {"name": "PM2.5 > 75", "kind": "threshold", "datastream_id": ds, "threshold": 75}
    assert client.post("/api/alerts/rules", json=rule, headers=headers).status_code == 201
    for hour, value in enumerate([40.0, 90.0, 120.0, 60.0]):
        made = client.post("/v1.1/Observations", headers=sensor, json={
            "phenomenonTime": f"2026-12-01T0{hour}:00:00Z", "result": value, "Datastream": {"@iot.id": ds}})
        assert made.status_code == 201, made.text
    alert = client.get("/api/alerts/history").json()["alerts"][0]
    detail = client.get(f"/api/alerts/{alert['id']}").json()
    assert [(o["value"], o["breach"]) for o in detail["observations"]] == [
        (40.0, False), (90.0, True), (120.0, True), (60.0, False)]
    assert detail["peak_value"] == 120.0 and detail["end"] == "2026-12-01T03:00:00Z"
    # the server's alert hook opened a city event from it; the detail names it
    assert detail["event"] is not None and detail["event"]["status"] == "submitted"
    event = client.get(f"/api/events/{detail['event']['id']}", headers=_viewer(client)).json()
    assert event["source"] == "sensor" and event["source_ref"] == str(alert["id"])


def test_event_types_in_both_languages(client: TestClient) -> None:
    zh = client.get("/api/events/catalogue", headers=_viewer(client)).json()
    en = client.get("/api/events/catalogue", params={"lang": "en"}, headers=_viewer(client)).json()
    road = next(s for s in zh if s["code"] == "road-damage")
    assert (road["name"], road["department_name"], road["sla_hours"]) == ("道路破损", "交通运输局", 48)
    assert next(s for s in en if s["code"] == "road-damage")["name"] == "Road damage or pothole"
    # public like the Open311 service list: readable without a token while reads are open
    assert client.get("/api/events/catalogue").json() == zh
