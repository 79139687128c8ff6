"""The server's wiring: sensor alerts open city events; the report cache is warm after start-up."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.sta import auth, data_array, station_body
from zhicheng.api import create_app
from zhicheng.store.schema_events import events


def test_breaching_observations_open_an_alert_and_a_sensor_event(client: TestClient) -> None:
    tokens = client.tokens  # type: ignore[attr-defined]
    made = client.post("/v1.1/Things", json=station_body("Dongsi", lon=116.417, lat=39.929),
                       headers=auth(tokens["device_manager"]))
    assert made.status_code == 201
    ds = client.get("/v1.1/Datastreams", params={"$filter": "ObservedProperty/name eq 'PM2.5'"}).json()
    ds_id = int(ds["value"][0]["@iot.id"])
    rule = {"name": "PM2.5 1-h over 150 for 2 h", "kind": "threshold", "observed_property": "PM2.5",
            "threshold": 150, "duration_minutes": 120}
    assert client.post("/api/alerts/rules", json=rule, headers=auth(tokens["operator"])).status_code == 201
    # 02:00–04:00 above 150 µg/m³: the breach has lasted 2 h at 04:00, so the alert opens then.
    sent = client.post("/v1.1/CreateObservations", json=data_array(ds_id, 0, [80, 120, 160, 210, 190, 90]),
                       headers=auth(tokens["sensor"]))
    assert sent.status_code == 201, sent.text
    alerts = client.get("/api/alerts").json()
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert["start"], alert["peak_value"], alert["end"]) == ("2017-02-01T02:00:00Z", 210.0,
                                                                   "2017-02-01T05:00:00Z")
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.source, events.c.source_ref, events.c.service_code,
                                      events.c.lat, events.c.lon, events.c.description,
                                      events.c.requested_at)).mappings().all()
    assert len(rows) == 1
    event = rows[0]
    assert (event["source"], event["source_ref"], event["service_code"]) == ("sensor", str(alert["id"]),
                                                                             "air-quality-alert")
    assert (event["lat"], event["lon"]) == (39.929, 116.417)  # the station's Location
    assert "Dongsi" in event["description"] and "210" in event["description"]
    assert event["requested_at"].strftime("%Y-%m-%d %H:%M") == "2017-02-01 02:00"
    # The same readings again open nothing new (no new breach): still one alert, one event.
    client.post("/v1.1/CreateObservations", json=data_array(ds_id, 6, [40]), headers=auth(tokens["sensor"]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 1


def test_alerts_of_one_store_open_events_only_in_that_store(tmp_path: object) -> None:
    first = create_app(f"sqlite:///{tmp_path}/a.db")  # type: ignore[str-bytes-safe]
    other = create_app(f"sqlite:///{tmp_path}/b.db")  # type: ignore[str-bytes-safe]
    from zhicheng.auth import create_token

    token = create_token(first.state.engine, "admin", "t")
    with TestClient(first) as c, TestClient(other):
        c.post("/v1.1/Things", json=station_body("Tiantan"), headers=auth(token))
        ds_id = int(c.get("/v1.1/Datastreams").json()["value"][0]["@iot.id"])
        c.post("/api/alerts/rules", headers=auth(token), json={
            "name": "PM2.5 > 100", "kind": "threshold", "datastream_id": ds_id, "threshold": 100})
        assert c.post("/v1.1/CreateObservations", json=data_array(ds_id, 0, [150]),
                      headers=auth(token)).status_code == 201
    counts = []
    for app in (first, other):
        with app.state.engine.connect() as conn:
            counts.append(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())
        app.state.engine.dispose()
    assert counts == [1, 0]


def test_report_cache_is_warm_after_start_up(tmp_path: object) -> None:
    app = create_app(f"sqlite:///{tmp_path}/w.db")  # type: ignore[str-bytes-safe]
    with TestClient(app) as c:
        app.state.warm_thread.join(timeout=30)
        service = app.state.report_service
        assert len(service.cache) >= 1  # the overview (empty state) and the map were computed
        hits = service.cache.hits
        assert c.get("/api/cockpit/overview").status_code == 200
        assert service.cache.hits > hits  # the request reused the warmed answer
    app.state.engine.dispose()


def test_start_up_resolves_routes_and_compresses_the_static_files(tmp_path: object) -> None:
    from zhicheng.api.routers import cockpit
    from zhicheng.cockpit import STATIC_DIR

    app = create_app(f"sqlite:///{tmp_path}/s.db")  # type: ignore[str-bytes-safe]
    with TestClient(app) as c:
        app.state.warm_thread.join(timeout=30)
        text = {str(f) for f in STATIC_DIR.rglob("*") if f.suffix in cockpit._COMPRESSIBLE and f.is_file()}
        assert text and text <= {key[0] for key in cockpit._PACKED}  # every text file, once
        assert cockpit._basemap_bytes.cache_info().currsize >= 1
        packed = c.get("/static/js/app.js", headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.content == (STATIC_DIR / "js" / "app.js").read_bytes()  # the client undoes the gzip
        assert c.get("/api/session").json()["authenticated"] is False
    app.state.engine.dispose()
