"""SensorThings v1.1 over HTTP: entities, request options, paging, writes, security (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.sta import auth, data_array, station_body
from zhicheng.auth import list_tokens, revoke_token
from zhicheng.store import schema_sensing as s
from zhicheng.store.bulk import table_counts
from zhicheng.store.schema_api import audit_log

STA_TABLES = [
    s.sta_things,
    s.sta_locations,
    s.sta_datastreams,
    s.sta_sensors,
    s.sta_observed_properties,
    s.sta_observations,
    s.sta_features_of_interest,
    s.sta_historical_locations,
]


def _sensor(client: TestClient) -> dict[str, str]:
    # The device manager registers stations and sends their readings (a sensor token may only
    # do the latter: tests/api/test_sta_access.py).
    return auth(client.tokens["device_manager"])  # type: ignore[attr-defined]


def _counts(client: TestClient) -> dict[str, int]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return table_counts(conn, STA_TABLES)


def _station(client: TestClient, name: str = "Dongsi", **kw: Any) -> dict[str, Any]:
    r = client.post("/v1.1/Things", json=station_body(name, **kw), headers=_sensor(client))
    assert r.status_code == 201, r.text
    return r.json()


def _ds_id(client: TestClient, thing_id: int, prop: str = "PM2.5") -> int:
    page = client.get(
        f"/v1.1/Things({thing_id})/Datastreams",
        params={"$filter": f"ObservedProperty/name eq '{prop}'"},
    ).json()
    return int(page["value"][0]["@iot.id"])


def test_root_document_lists_sets_and_conformance(client: TestClient) -> None:
    doc = client.get("/v1.1").json()
    assert [v["name"] for v in doc["value"]] == [
        "Things", "Locations", "HistoricalLocations", "Datastreams", "MultiDatastreams", "Sensors", "ObservedProperties", "Observations", "FeaturesOfInterest",
    ]  # fmt: skip
    assert doc["value"][0]["url"].endswith("/v1.1/Things")
    assert (
        "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array"
        in doc["serverSettings"]["conformance"]
    )


def test_deep_insert_links_and_location_header(client: TestClient) -> None:
    r = client.post(
        "/v1.1/Things", json=station_body("Dongsi", props=("PM2.5", "CO")), headers=_sensor(client)
    )
    assert r.status_code == 201
    thing = r.json()
    assert (
        r.headers["Location"]
        == thing["@iot.selfLink"]
        == f"http://testserver/v1.1/Things({thing['@iot.id']})"
    )
    assert thing["Datastreams@iot.navigationLink"] == thing["@iot.selfLink"] + "/Datastreams"
    assert _counts(client) == {
        "sta_things": 1, "sta_locations": 1, "sta_datastreams": 2, "sta_sensors": 2, "sta_observed_properties": 2,
        "sta_observations": 0, "sta_features_of_interest": 0, "sta_historical_locations": 1,
    }  # fmt: skip
    hl = client.get(
        f"/v1.1/Things({thing['@iot.id']})/HistoricalLocations", params={"$expand": "Locations"}
    ).json()["value"]
    assert hl[0]["Locations"][0]["name"] == "Dongsi site"
    ds = client.get("/v1.1/Datastreams(1)/ObservedProperty").json()
    assert ds["name"] == "PM2.5"
    # Linking an existing ObservedProperty by @iot.id instead of creating one.
    body = station_body("Tiantan")
    body["Datastreams"][0]["ObservedProperty"] = {"@iot.id": ds["@iot.id"]}
    assert client.post("/v1.1/Things", json=body, headers=_sensor(client)).status_code == 201
    shared = client.get(
        f"/v1.1/ObservedProperties({ds['@iot.id']})/Datastreams", params={"$count": "true"}
    ).json()
    assert shared["@iot.count"] == 2
    assert client.get("/v1.1/Things(1)/name/$value").text == "Dongsi"
    assert client.get("/v1.1/Things(1)/name").json() == {"name": "Dongsi"}


def test_observations_one_by_one_and_in_bulk(client: TestClient) -> None:
    ds = _ds_id(client, _station(client)["@iot.id"])
    one = client.post(
        "/v1.1/Observations",
        json={"phenomenonTime": "2017-02-01T00:00:00Z", "result": 7, "Datastream": {"@iot.id": ds}},
        headers=_sensor(client),
    )
    assert one.status_code == 201 and one.json()["result"] == 7
    nav = client.post(
        f"/v1.1/Datastreams({ds})/Observations",
        json={"phenomenonTime": "2017-02-01T01:00:00Z", "result": 8.5},
        headers=_sensor(client),
    )
    assert nav.status_code == 201 and nav.json()["phenomenonTime"] == "2017-02-01T01:00:00Z"
    # Both single-Observation POSTs answer from the stored row; it must match a fresh read.
    for made in (one, nav):
        assert (
            made.json()
            == client.get(made.headers["Location"].replace("http://testserver", "")).json()
        )
    bulk = client.post(
        "/v1.1/CreateObservations",
        json=data_array(ds, 2, [float(h) for h in range(2, 24)]),
        headers=_sensor(client),
    )
    assert bulk.status_code == 201
    links = bulk.json()
    assert len(links) == 22 and links[0].startswith("http://testserver/v1.1/Observations(")
    # The FeatureOfInterest was made once from the Thing's Location and reused.
    fois = client.get("/v1.1/FeaturesOfInterest").json()["value"]
    assert len(fois) == 1 and fois[0]["feature"]["coordinates"] == [116.4, 39.9]
    ds_json = client.get(f"/v1.1/Datastreams({ds})").json()
    assert ds_json["phenomenonTime"] == "2017-02-01T00:00:00Z/2017-02-01T23:00:00Z"
    last = client.get(links[-1].replace("http://testserver", "")).json()
    assert last["result"] == 23 and last["phenomenonTime"] == "2017-02-01T23:00:00Z"


@pytest.fixture()
def day_of_data(client: TestClient) -> int:
    ds = _ds_id(client, _station(client)["@iot.id"])
    values = [float(h * 10) for h in range(24)]
    assert (
        client.post(
            "/v1.1/CreateObservations", json=data_array(ds, 0, values), headers=_sensor(client)
        ).status_code
        == 201
    )
    return ds


FILTERS = [
    ("result eq 50", [50]),
    ("result ne 0 and result le 30", [10, 20, 30]),
    ("result gt 200", [210, 220, 230]),
    ("result ge 220 or result lt 10", [0, 220, 230]),
    ("not (result ge 20)", [0, 10]),
    ("(result lt 30 or result gt 220) and not result eq 0", [10, 20, 230]),
    ("phenomenonTime ge 2017-02-01T21:00:00Z", [210, 220, 230]),
    ("phenomenonTime lt '2017-02-01T02:00:00+00:00'", [0, 10]),
    ("phenomenonTime gt 2017-02-01T22:00:00.000Z and result gt 0", [230]),
    ("id le 2", [0, 10]),
    ("Datastream/ObservedProperty/name eq 'PM2.5' and result lt 20", [0, 10]),
    ("FeatureOfInterest/name eq 'Dongsi site' and result eq 40", [40]),
]


def test_filter_grammar(client: TestClient, day_of_data: int) -> None:
    # One store for every expression (a fresh PostgreSQL database per case would be slow).
    got = {}
    for expression, _ in FILTERS:
        r = client.get(
            f"/v1.1/Datastreams({day_of_data})/Observations",
            params={"$filter": expression, "$orderby": "result asc"},
        )
        got[expression] = (
            [o["result"] for o in r.json()["value"]] if r.status_code == 200 else r.text
        )
    assert got == dict(FILTERS)


def test_filter_on_properties_and_strings(client: TestClient) -> None:
    _station(client, "Dongsi")
    _station(client, "Tiantan")

    def names(expression: str) -> list[str]:
        page = client.get("/v1.1/Things", params={"$filter": expression}).json()
        return [t["name"] for t in page["value"]]

    assert names("properties/station eq 'Tiantan'") == ["Tiantan"]
    assert names("properties/kind eq 'air_station' and name ne 'Dongsi'") == ["Tiantan"]
    assert names("startswith(name, 'Don')") == ["Dongsi"]
    assert names("substringof('antan', name)") == ["Tiantan"]
    assert names("tolower(name) eq 'dongsi'") == ["Dongsi"]
    assert names("Datastreams/name eq 'Tiantan PM2.5'") == ["Tiantan"]
    assert names("Locations/name eq 'nowhere'") == []
    # Text is always a bound parameter: an injection attempt is just a name that matches nothing.
    assert names("name eq 'x'' OR 1=1 --'") == []
    assert _counts(client)["sta_things"] == 2


BAD_OPTIONS = [
    ({"$filter": "result eq"}, "ends too early"),
    ({"$filter": "nosuch eq 1"}, "no property 'nosuch'"),
    ({"$filter": "frobnicate(result) eq 2"}, "not supported"),
    ({"$filter": "phenomenonTime gt 5"}, "is a time"),
    ({"$filter": "result eq 1 )"}, "unexpected"),
    ({"$top": "-1"}, "$top must be"),
    ({"$top": "100000"}, "at most"),
    ({"$orderby": "result sideways"}, "asc|desc"),
    ({"$expand": "Nowhere"}, "no navigation property"),
    ({"$select": "colour"}, "no 'colour'"),
    ({"$count": "maybe"}, "true or false"),
    ({"$skiptoken": "!!!"}, "damaged"),
    ({"$frobnicate": "1"}, "unknown query option"),
]


def test_bad_options_are_400_with_a_message(client: TestClient) -> None:
    for params, fragment in BAD_OPTIONS:
        r = client.get("/v1.1/Observations", params=params)
        assert r.status_code == 400, params
        assert fragment in r.json()["error"]["message"], (params, r.json())


def test_select_expand_orderby_top_skip_count(client: TestClient, day_of_data: int) -> None:
    r = client.get(
        "/v1.1/Datastreams",
        params={
            "$select": "id,name",
            "$expand": "Observations($filter=result gt 100;$orderby=result desc;$top=2;$select=result),Thing($select=name)",
        },
    ).json()
    ds = r["value"][0]
    assert set(ds) == {"@iot.id", "name", "Observations", "Observations@iot.nextLink", "Thing"}
    assert ds["Observations"] == [{"result": 230}, {"result": 220}]
    assert ds["Thing"] == {"name": "Dongsi"}
    nxt = client.get(ds["Observations@iot.nextLink"].replace("http://testserver", "")).json()
    assert [o["result"] for o in nxt["value"]] == [210, 200]
    nested = client.get(
        "/v1.1/Things",
        params={"$expand": "Datastreams/Observations($top=1;$orderby=phenomenonTime desc)"},
    ).json()
    assert nested["value"][0]["Datastreams"][0]["Observations"][0]["result"] == 230
    page = client.get(
        f"/v1.1/Datastreams({day_of_data})/Observations",
        params={"$orderby": "result desc", "$top": 3, "$skip": 2, "$count": "true"},
    ).json()
    assert [o["result"] for o in page["value"]] == [210, 200, 190]
    assert page["@iot.count"] == 24


@pytest.mark.parametrize(
    "orderby",
    [None, "phenomenonTime desc", "phenomenonTime asc,id desc", "result desc", "name asc"],
)
def test_paging_by_next_link_visits_every_row_once(
    client: TestClient, day_of_data: int, orderby: str | None
) -> None:
    params: dict[str, Any] = {"$top": 5, "$skip": 1}
    if orderby == "name asc":
        url, params = "/v1.1/Sensors", {"$top": 1}
        client.post(
            "/v1.1/Sensors",
            json={"name": "A", "description": "d", "encodingType": "text/plain", "metadata": "m"},
            headers=_sensor(client),
        )
    else:
        url = f"/v1.1/Datastreams({day_of_data})/Observations"
        if orderby:
            params["$orderby"] = orderby
    seen: list[Any] = []
    r = client.get(url, params=params).json()
    while True:
        seen += [o["@iot.id"] for o in r["value"]]
        if "@iot.nextLink" not in r:
            break
        assert "$skip=" not in r["@iot.nextLink"] and "$skiptoken=" in r["@iot.nextLink"]
        r = client.get(r["@iot.nextLink"].replace("http://testserver", "")).json()
    everything = client.get(
        url, params={**{k: v for k, v in params.items() if k != "$top"}, "$top": 1000}
    ).json()["value"]
    assert seen == [o["@iot.id"] for o in everything]
    assert len(seen) == len(set(seen)) == (2 if url == "/v1.1/Sensors" else 23)


def test_patch_put_delete(client: TestClient, day_of_data: int) -> None:
    h = _sensor(client)
    r = client.patch(
        "/v1.1/Things(1)",
        json={"description": "moved", "properties": {"station": "Dongsi", "district": "Dongcheng"}},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["properties"]["district"] == "Dongcheng"
    patch = [
        {"op": "replace", "path": "/properties/district", "value": "东城"},
        {"op": "add", "path": "/properties/grid", "value": 7},
    ]
    r = client.patch(
        "/v1.1/Things(1)", json=patch, headers={**h, "content-type": "application/json-patch+json"}
    )
    assert r.json()["properties"] == {"station": "Dongsi", "district": "东城", "grid": 7}
    put = client.put(
        "/v1.1/Things(1)", json={"name": "Dongsi", "description": "replaced"}, headers=h
    )
    assert put.status_code == 200 and put.json()["properties"] is None
    assert client.put("/v1.1/Things(1)", json={"name": "only"}, headers=h).status_code == 400
    assert (
        client.patch("/v1.1/Observations(1)", json={"result": 999}, headers=h).json()["result"]
        == 999
    )
    assert client.delete("/v1.1/Things(1)", headers=h).status_code == 200
    counts = _counts(client)
    assert counts["sta_things"] == counts["sta_datastreams"] == counts["sta_observations"] == 0
    assert client.get("/v1.1/Things(1)").status_code == 404
    assert client.delete("/v1.1/Things(1)", headers=h).status_code == 404


def test_writes_need_the_right_token_and_leave_nothing(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    body = station_body("Gucheng")
    assert client.post("/v1.1/Things", json=body).status_code == 401
    assert client.post("/v1.1/Things", json=body, headers=auth("zc_not_a_token")).status_code == 401
    for role in ("viewer", "analyst", "reviewer"):
        r = client.post("/v1.1/Things", json=body, headers=auth(client.tokens[role]))  # type: ignore[attr-defined]
        assert r.status_code == 403 and "sensor" in r.json()["error"]["message"]
    sensor = next(t for t in list_tokens(engine) if t["role"] == "device_manager")
    revoke_token(engine, int(sensor["id"]))  # type: ignore[call-overload]
    assert client.post("/v1.1/Things", json=body, headers=_sensor(client)).status_code == 401
    assert (
        client.post(
            "/v1.1/CreateObservations", json=data_array(1, 0, [1.0]), headers=_sensor(client)
        ).status_code
        == 401
    )
    assert client.delete("/v1.1/Things(1)").status_code == 401
    assert sum(_counts(client).values()) == 0
    for role in ("operator", "admin"):
        assert (
            client.post(
                "/v1.1/Things", json=station_body(role), headers=auth(client.tokens[role])
            ).status_code
            == 201
        )  # type: ignore[attr-defined]
    with engine.connect() as conn:
        audited = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.status).where(
                audit_log.c.path == "/v1.1/Things"
            )
        ).all()
    # The refused writes (no token, a bad token, the revoked sensor's) are audited with who and why.
    assert sorted(tuple(a) for a in audited) == [
        ("anonymous", 401), ("invalid-token", 401), ("invalid-token", 401), ("test-admin", 201),
        ("test-analyst", 403), ("test-operator", 201), ("test-reviewer", 403), ("test-viewer", 403)]


BAD_BODIES = [
    ("/v1.1/Things", b"{not json", "malformed JSON"),
    ("/v1.1/Things", b"", "needs a JSON body"),
    ("/v1.1/Things", b"[1, 2]", "must be a JSON object"),
    (
        "/v1.1/Things",
        b'{"name": "x", "description": "y", "colour": "red"}',
        "unknown property 'colour'",
    ),
    ("/v1.1/Things", b'{"name": 5, "description": "y"}', "name must be text"),
    (
        "/v1.1/Things",
        b'{"name": "x", "description": "y", "properties": [1]}',
        "must be a JSON object",
    ),
    (
        "/v1.1/Things",
        b'{"name": "x", "description": "y", "Datastreams": [{"name": "d"}]}',
        "needs 'description'",
    ),
    (
        "/v1.1/Observations",
        b'{"result": 1, "phenomenonTime": "yesterday", "Datastream": {"@iot.id": 1}}',
        "not an ISO 8601 time",
    ),
    ("/v1.1/Observations", b'{"result": 1}', "needs a Datastream"),
    ("/v1.1/Observations", b'{"result": 1, "Datastream": {"@iot.id": 424242}}', "does not exist"),
    ("/v1.1/CreateObservations", b'{"a": 1}', "takes an array"),
    (
        "/v1.1/CreateObservations",
        b'[{"Datastream": {"@iot.id": 1}, "components": ["result", "mood"], "dataArray": [[1, 2]]}]',
        "unknown component 'mood'",
    ),
]


def test_bad_bodies_are_400_and_write_nothing(client: TestClient) -> None:
    _station(client)
    before = _counts(client)
    for path, body, fragment in BAD_BODIES:
        r = client.post(
            path, content=body, headers={**_sensor(client), "content-type": "application/json"}
        )
        assert r.status_code == 400, (body, r.text)
        assert fragment in r.json()["error"]["message"], (body, r.json())
        assert _counts(client) == before


def test_oversized_body_is_413(client: TestClient) -> None:
    big = b"[" + b"1," * (9 * 1024 * 1024) + b"1]"
    r = client.post(
        "/v1.1/CreateObservations",
        content=big,
        headers={**_sensor(client), "content-type": "application/json"},
    )
    assert r.status_code == 413 and "larger than" in r.json()["error"]["message"]


def test_reads_need_a_token_when_open_reads_is_off(client: TestClient) -> None:
    client.app.state.settings.open_reads = False  # type: ignore[attr-defined]
    assert client.get("/v1.1/Things").status_code == 401
    assert client.get("/v1.1/Things", headers=auth(client.tokens["viewer"])).status_code == 200  # type: ignore[attr-defined]


def test_result_format_data_array(client: TestClient, day_of_data: int) -> None:
    r = client.get(
        f"/v1.1/Datastreams({day_of_data})/Observations",
        params={"$resultFormat": "dataArray", "$top": 3, "$select": "phenomenonTime,result"},
    )
    assert r.status_code == 200
    doc = r.json()
    assert doc["value"] == [
        {
            "Datastream@iot.navigationLink": f"http://testserver/v1.1/Datastreams({day_of_data})",
            "components": ["phenomenonTime", "result"],
            "dataArray@iot.count": 3,
            "dataArray": [
                ["2017-02-01T00:00:00Z", 0],
                ["2017-02-01T01:00:00Z", 10],
                ["2017-02-01T02:00:00Z", 20],
            ],
        }
    ]
    assert "$resultFormat=dataArray" in doc["@iot.nextLink"]
    assert client.get("/v1.1/Things", params={"$resultFormat": "dataArray"}).status_code == 400
