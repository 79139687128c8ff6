"""Open311 submissions over HTTP: api keys, the standard's error format, windows, and nothing half-written."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from zhicheng.events import NewEvent, create_event
from zhicheng.settings import Settings
from zhicheng.store.bulk import table_counts
from zhicheng.store.schema_events import event_history, events

GOOD = {"service_code": "road-damage", "lat": "39.91", "long": "116.31", "attribute[lane_blocked]": "yes",
        "attribute[depth_cm]": "12.5", "description": "深坑 deep pothole", "email": "someone@example.org",
        "first_name": "Li", "media_url": "https://example.org/hole.jpg"}


def engine_of(client: TestClient) -> sa.Engine:
    return client.app.state.engine  # type: ignore[attr-defined,no-any-return]


def counts(client: TestClient) -> dict[str, int]:
    with engine_of(client).connect() as conn:
        return table_counts(conn, [events, event_history])


def post(client: TestClient, form: dict[str, Any], fmt: str = "json", role: str | None = "operator") -> Any:
    data = {**form}
    if role:
        data["api_key"] = client.tokens[role]  # type: ignore[attr-defined]
    return client.post(f"/open311/v2/requests.{fmt}", data=data)


def test_post_then_read_back_by_token_and_id(client: TestClient) -> None:
    r = post(client, {**GOOD, "attribute[lane_blocked]": "no"})
    assert r.status_code == 200
    [body] = r.json()
    # GeoReport v2, POST Service Request, Response: service_request_id "should not be returned if
    # token is returned", token "should not be returned if service_request_id is returned".
    assert set(body) == {"service_request_id", "service_notice", "account_id"}
    assert "道路破损" in body["service_notice"] and "road damage" in body["service_notice"]
    with engine_of(client).connect() as conn:
        stored_token = conn.execute(sa.select(events.c.token)).scalar_one()
    token = client.get(f"/open311/v2/tokens/{stored_token}.json").json()
    assert token == [{"service_request_id": body["service_request_id"], "token": stored_token}]
    [req] = client.get(f"/open311/v2/requests/{body['service_request_id']}.json").json()
    assert (req["status"], req["service_code"], req["agency_responsible"]) == ("open", "road-damage", "JTJ")
    requested = datetime.fromisoformat(req["requested_datetime"])
    # road-damage: SLA 48 h.
    assert datetime.fromisoformat(req["expected_datetime"]) - requested == timedelta(hours=48)
    assert (req["lat"], req["long"]) == (39.91, 116.31)
    # Contact details are stored but never published.
    assert "email" not in req and "someone" not in r.text + str(req)
    with engine_of(client).connect() as conn:
        row = conn.execute(sa.select(events.c.contact, events.c.attributes, events.c.source)).one()
    assert '"someone@example.org"' in row.contact and row.source == "citizen"
    assert row.attributes == '{"lane_blocked": "no", "depth_cm": 12.5}'


def test_xml_post_and_reads(client: TestClient) -> None:
    r = post(client, {**GOOD, "attribute[lane_blocked]": "no"}, fmt="xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    rid = root.findtext("request/service_request_id")
    assert rid and root.find("request/token") is None
    with engine_of(client).connect() as conn:
        token = conn.execute(sa.select(events.c.token)).scalar_one()
    tok = ET.fromstring(client.get(f"/open311/v2/tokens/{token}.xml").content)
    assert tok.findtext("request/service_request_id") == rid
    one = ET.fromstring(client.get(f"/open311/v2/requests/{rid}.xml").content)
    assert one.findtext("request/status") == "open" and one.findtext("request/long") == "116.31"
    services = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert services.findtext("service[service_code='road-damage']/metadata") == "true"
    definition = ET.fromstring(client.get("/open311/v2/services/road-damage.xml").content)
    assert [a.findtext("code") for a in definition.findall("attributes/attribute")] == ["lane_blocked", "depth_cm"]


def test_multivalue_attributes(client: TestClient) -> None:
    r = post(client, {"service_code": "bulky-items", "address_string": "1 Main St",
                      "attribute[item_types][]": ["furniture", "mattress"], "attribute[item_count]": "2"})
    assert r.status_code == 200, r.text
    with engine_of(client).connect() as conn:
        stored = conn.execute(sa.select(events.c.attributes)).scalar_one()
    assert stored == '{"item_types": ["furniture", "mattress"], "item_count": 2.0}'


BAD_REPORTS = [
    # GeoReport v2, POST Service Request, Possible Errors: "404 - service_code or jurisdiction_id
    # was not found (specified in error response)".
    ({**GOOD, "service_code": "teleport"}, 404, ["service_code 'teleport' not found"]),
    # "400 - service_code or jurisdiction_id was not provided (specified in error response)".
    ({k: v for k, v in GOOD.items() if k != "service_code"}, 400, ["service_code is required"]),
    ({k: v for k, v in GOOD.items() if k not in ("lat", "long")}, 400, ["a location is required"]),
    ({**GOOD, "lat": "north"}, 400, ["lat must be a number"]),
    ({**GOOD, "lat": "91", "long": "181"}, 400, ["lat must be a latitude", "long must be a longitude"]),
    ({**GOOD, "attribute[lane_blocked]": "perhaps", "attribute[colour]": "red"}, 400,
     ["attribute[colour] is not defined", "attribute[lane_blocked] must be one of no, yes"]),
    ({k: v for k, v in GOOD.items() if k != "attribute[lane_blocked]"}, 400, ["attribute[lane_blocked] is required"]),
]


def test_invalid_reports_are_refused_in_the_standard_format(client: TestClient) -> None:
    for form, status, fragments in BAD_REPORTS:
        r = post(client, form)
        assert r.status_code == status
        errors = r.json()
        assert [e["code"] for e in errors] == [status] * len(fragments)
        for fragment, error in zip(fragments, errors, strict=True):
            assert fragment in error["description"]
        x = post(client, form, fmt="xml")
        root = ET.fromstring(x.content)
        assert x.status_code == status and root.tag == "errors"
        assert [e.findtext("code") for e in root.findall("error")] == [str(status)] * len(fragments)
        assert counts(client) == {"events": 0, "event_history": 0}


#: GeoReport v2, Errors, General Errors: "403 - Missing or Invalid API Key (specify in error
#: message)"; "403 for errors because of wrong or missing api_key".
API_KEY_CASES = [
    (None, None, 403, "api_key is required"),
    (None, "zc_not-a-token", 403, "invalid api_key"),
    ("viewer", None, 403, "may not submit"),
    ("analyst", None, 403, "may not submit"),
]


def test_api_key_is_checked(client: TestClient) -> None:
    for role, key, status, fragment in API_KEY_CASES:
        form = {**GOOD}
        if key:
            form["api_key"] = key
        r = post(client, form, role=role)
        assert r.status_code == status and fragment in r.json()[0]["description"]
        assert r.json()[0]["code"] == status
    assert counts(client) == {"events": 0, "event_history": 0}


def test_public_key_and_sensor_tokens(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_OPEN311_PUBLIC_KEY", "city-app-key")
    monkeypatch.setattr(client.app.state, "settings", Settings())  # settings are read once, at start-up
    assert client.post("/open311/v2/requests.json", data={**GOOD, "api_key": "city-app-key"}).status_code == 200
    assert client.post("/open311/v2/requests.json", data={**GOOD, "api_key": "city-app-kez"}).status_code == 403
    r = post(client, {"service_code": "air-quality-alert", "lat": "39.95", "long": "116.45",
                      "attribute[pollutant]": "O3", "attribute[aqi]": "180"}, role="sensor")
    assert r.status_code == 200
    inspector = post(client, {**GOOD, "lat": "30.0", "source": "inspector"})
    assert inspector.status_code == 200
    with engine_of(client).connect() as conn:
        sources = conn.execute(sa.select(events.c.source).order_by(events.c.id)).scalars().all()
    assert sources == ["citizen", "sensor", "inspector"]


def test_date_window_and_errors_of_reads(client: TestClient) -> None:
    engine = engine_of(client)
    now = datetime.now(UTC)
    for days in (1, 100, 200):
        create_event(engine, NewEvent(service_code="noise", lat=30.0 + days / 10, lon=120.0,
                                      requested_at=now - timedelta(days=days)), actor="t")
    assert len(client.get("/open311/v2/requests.json").json()) == 1  # last 90 days only
    start = (now - timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(client.get("/open311/v2/requests.json", params={"start_date": start}).json()) == 1  # 150..60 days ago
    end = (now - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(client.get("/open311/v2/requests.json", params={"end_date": end}).json()) == 1  # 140..50 days ago
    too_long = client.get("/open311/v2/requests.json", params={"start_date": "2020-01-01T00:00:00Z",
                                                              "end_date": "2020-06-01T00:00:00Z"})
    assert too_long.status_code == 400 and "90 days" in too_long.json()[0]["description"]
    bad = client.get("/open311/v2/requests.json", params={"start_date": "soon", "status": "pending"})
    assert bad.status_code == 400 and len(bad.json()) == 2
    assert client.get("/open311/v2/requests/424242.json").json() == [
        {"code": 404, "description": "service_request_id '424242' not found"}]
    assert client.get("/open311/v2/services/teleport.json").status_code == 404
    assert client.get("/open311/v2/tokens/nope.xml").status_code == 404
    assert client.get("/open311/v2/services.csv").json()[0]["code"] == 400


def test_workflow_over_http_shows_in_open311(client: TestClient) -> None:
    rid = post(client, GOOD).json()[0]["service_request_id"]
    op = {"Authorization": f"Bearer {client.tokens['operator']}"}  # type: ignore[attr-defined]
    for to, extra in [("accepted", {}), ("dispatched", {"department": "CGJ"}), ("in_progress", {}),
                      ("resolved", {}), ("closed", {})]:
        r = client.post(f"/api/events/{rid}/transition", json={"to": to, "note": f"{to} 完成", **extra}, headers=op)
        assert r.status_code == 200 and r.json()["status"] == to
    [req] = client.get(f"/open311/v2/requests/{rid}.json").json()
    assert req["status"] == "closed" and req["status_notes"] == "已结案 / closed: closed 完成"
    assert req["agency_responsible"] == "CGJ"
    before = counts(client)
    refused = client.post(f"/api/events/{rid}/transition", json={"to": "in_progress", "note": "again"}, headers=op)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "cannot move an event from closed to in_progress; allowed: reopened"
    assert counts(client) == before
    assert client.get(f"/open311/v2/requests/{rid}.json").json()[0]["status"] == "closed"


def test_reads_need_a_key_when_open_reads_is_off(tmp_path: Any) -> None:
    from zhicheng.api import create_app
    from zhicheng.auth import create_token
    from zhicheng.settings import Settings

    app = create_app(f"sqlite:///{tmp_path}/closed.db", Settings(open_reads=False))
    with TestClient(app) as c:
        token = create_token(app.state.engine, "viewer", "v")
        refused = c.get("/open311/v2/services.json")
        assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"]
        assert c.get("/open311/v2/requests.xml", params={"api_key": "wrong"}).status_code == 403
        assert c.get("/open311/v2/services.json", params={"api_key": token}).status_code == 200
        assert c.get("/open311/v2/requests.json", headers={"Authorization": f"Bearer {token}"}).json() == []
    app.state.engine.dispose()


def test_batch_servers_answer_a_token_instead(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GeoReport v2, GET Service List, type: "batch: A token will be returned immediately after the
    # service request is submitted"; POST Response: token "should not be returned if
    # service_request_id is returned".
    monkeypatch.setattr(client.app.state, "settings", Settings(open311_type="batch"))
    assert {s["type"] for s in client.get("/open311/v2/services.json").json()} == {"batch"}
    [body] = post(client, GOOD).json()
    assert set(body) == {"token", "service_notice", "account_id"}
    [found] = client.get(f"/open311/v2/tokens/{body['token']}.json").json()
    assert found["token"] == body["token"] and found["service_request_id"]


def test_service_discovery_in_both_formats(client: TestClient) -> None:
    # Service Discovery: "This url must end in /discovery.<format>"; "The discovery file must be
    # provided as both XML and JSON"; "All fields are required."
    for path in ("/open311/discovery", "/open311/v2/discovery"):
        d = client.get(f"{path}.json")
        assert d.status_code == 200 and d.headers["content-type"].startswith("application/json")
        record = d.json()
        assert set(record) == {"changeset", "contact", "key_service", "endpoints"}
        [endpoint] = record["endpoints"]
        assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        x = client.get(f"{path}.xml")
        root = ET.fromstring(x.content)
        assert x.headers["content-type"].startswith("text/xml") and root.tag == "discovery"
        assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]
        assert root.findtext("changeset") == record["changeset"]


def test_paths_without_a_format_answer_the_standard_errors(client: TestClient) -> None:
    # GeoReport v2, Format Support: "The client can specify the desired format by appending the
    # format name to the resource"; Errors: "404 for resources that don't exist [...] and basically
    # 400 for any other error", as an array of {code, description}.
    r = client.get("/open311/v2/services")
    assert r.status_code == 400
    [error] = r.json()
    assert set(error) == {"code", "description"} and error["code"] == 400 and "services.json" in error["description"]
    missing = client.get("/open311/v2/potholes.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert client.post("/open311/v2/requests", data=GOOD).json()[0]["code"] == 400


def test_jurisdiction_id_selects_the_chinese_catalogue(client: TestClient) -> None:
    # GeoReport v2, jurisdiction_id: "to allow this API to distinguish multiple jurisdictions within
    # one API endpoint"; GET Service List, Possible Errors: "404 - jurisdiction_id provided was not
    # found (specify in error response)".
    cn = client.get("/open311/v2/services.json", params={"jurisdiction_id": "cn-12345"}).json()
    groups = {s["group"] for s in cn}
    assert {"市容环卫", "市政设施", "园林绿化", "交通管理", "噪声扰民", "违法建设"} <= groups
    assert next(s for s in cn if s["service_code"] == "cn-manhole-cover")["service_name"] == \
        "井盖缺失或破损 Missing or broken manhole cover"
    default = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert "graffiti-removal" in default and "cn-manhole-cover" not in default
    missing = client.get("/open311/v2/services.xml", params={"jurisdiction_id": "nowhere.gov"})
    assert missing.status_code == 404 and ET.fromstring(missing.content).findtext("error/code") == "404"
    # POST Service Request: "404 - service_code or jurisdiction_id was not found".
    form = {"service_code": "cn-manhole-cover", "lat": "39.91", "long": "116.40"}
    assert post(client, form).status_code == 404
    assert post(client, {**form, "jurisdiction_id": "nowhere.gov"}).status_code == 404
    r = post(client, {**form, "jurisdiction_id": "cn-12345"})
    assert r.status_code == 200, r.text
    [req] = client.get(f"/open311/v2/requests/{r.json()[0]['service_request_id']}.json",
                       params={"jurisdiction_id": "cn-12345"}).json()
    assert req["agency_responsible"] == "SZJ" and req["service_name"].startswith("井盖缺失或破损")
    assert datetime.fromisoformat(req["expected_datetime"]) - datetime.fromisoformat(req["requested_datetime"]) \
        == timedelta(hours=2)
