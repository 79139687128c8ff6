"""A.3 Create-Update-Delete (OGC 18-088 Annex A.3, ``/req/create-update-delete``), with the
standard Python client frost-sta-client authenticating by HTTP Basic (the token as password).
"""

from __future__ import annotations

import frost_sta_client as fsc
import pytest
import requests
from frost_sta_client.model.ext.unitofmeasurement import UnitOfMeasurement
from frost_sta_client.service.auth_handler import AuthHandler

from tests.api.conformance.conftest import Sta
from tests.support.sta import OM_MEASUREMENT, station_body


def _service(sta: Sta, role: str = "device_manager") -> fsc.SensorThingsService:
    return fsc.SensorThingsService(
        sta.root, auth_handler=AuthHandler(username=f"{role}-device", password=sta.tokens[role])
    )


def test_frost_client_creates_patches_and_deletes_over_basic_auth(sta: Sta) -> None:
    # Req create-entity, link-to-existing-entities, deep-insert, update-entity, delete-entity.
    service = _service(sta)
    thing = fsc.Thing(
        name="Guanyuan",
        description="air station Guanyuan",
        properties={"district": "Xicheng"},
        locations=[
            fsc.Location(
                name="Guanyuan site",
                description="site",
                encoding_type="application/geo+json",
                location={"type": "Point", "coordinates": [116.339, 39.929]},
            )
        ],
        datastreams=[
            fsc.Datastream(
                name="Guanyuan NO2",
                description="hourly NO2",
                observation_type=OM_MEASUREMENT,
                unit_of_measurement=UnitOfMeasurement(name="ug/m3", symbol="µg/m³", definition="ucum"),
                sensor=fsc.Sensor(name="NO2 analyser", description="a", encoding_type="text/plain", metadata="x"),
                observed_property=fsc.ObservedProperty(name="NO2", definition="urn:NO2", description="NO2"),
            )
        ],
    )
    service.create(thing)
    assert isinstance(thing.id, int)
    ds = service.things().find(thing.id).get_datastreams().query().list().get(0)
    obs = fsc.Observation(result=41.0, phenomenon_time="2017-03-01T00:00:00Z", datastream=ds)
    service.create(obs)
    assert service.observations().find(obs.id).result == 41
    service.patch(thing, [{"op": "replace", "path": "/description", "value": "moved west"}])
    assert service.things().find(thing.id).description == "moved west"
    service.delete(obs)
    with pytest.raises(requests.HTTPError) as err:
        service.observations().find(obs.id)
    assert err.value.response.status_code == 404


def test_wrong_or_missing_credentials_are_challenged_on_sensorthings_only(sta: Sta) -> None:
    r = sta.http(None).post("/Things", json=station_body("Nowhere"))
    assert r.status_code == 401
    assert "Basic" in r.headers["www-authenticate"]
    bad = fsc.SensorThingsService(sta.root, auth_handler=AuthHandler("x", "zc_not-a-token"))
    with pytest.raises(requests.HTTPError) as err:
        bad.create(fsc.Sensor(name="s", description="d", encoding_type="text/plain", metadata="m"))
    assert err.value.response.status_code == 401
    viewer = sta.http("viewer").post("/Sensors", json={"name": "s", "description": "d", "encodingType": "text/plain", "metadata": "m"})
    assert viewer.status_code == 403
    # Elsewhere a 401 never asks a browser for a login dialog.
    other = sta.http(None).post(f"{sta.url}/api/alerts/rules", json={})
    assert other.status_code == 401 and "Basic" not in other.headers.get("www-authenticate", "")


def _thing(sta: Sta, name: str) -> int:
    r = sta.http().post("/Things", json={**station_body(name), "properties": {"a": {"b": 1, "c": 2}, "keep": True}})
    assert r.status_code == 201, r.text
    return int(r.json()["@iot.id"])


def test_json_patch_every_operation(sta: Sta) -> None:
    # Req update-entity-jsonpatch: RFC 6902 add, remove, replace, move, copy, test.
    c = sta.http()
    tid = _thing(sta, "Patchy")
    ops = [
        {"op": "test", "path": "/properties/a/b", "value": 1},
        {"op": "add", "path": "/properties/new", "value": [1, 2]},
        {"op": "remove", "path": "/properties/a/c"},
        {"op": "copy", "from": "/properties/a/b", "path": "/properties/copied"},
        {"op": "move", "from": "/properties/keep", "path": "/properties/moved"},
        {"op": "replace", "path": "/name", "value": "Patched"},
    ]
    r = c.patch(f"/Things({tid})", json=ops, headers={"content-type": "application/json-patch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["properties"] == {"a": {"b": 1}, "new": [1, 2], "copied": 1, "moved": True}
    assert r.json()["name"] == "Patched"
    failed = c.patch(
        f"/Things({tid})",
        json=[{"op": "test", "path": "/name", "value": "other"}, {"op": "replace", "path": "/name", "value": "x"}],
        headers={"content-type": "application/json-patch+json"},
    )
    assert failed.status_code == 409
    missing = c.patch(
        f"/Things({tid})",
        json=[{"op": "remove", "path": "/properties/nothing"}],
        headers={"content-type": "application/json-patch+json"},
    )
    assert missing.status_code == 400
    required = c.patch(
        f"/Things({tid})",
        json=[{"op": "remove", "path": "/name"}],
        headers={"content-type": "application/json-patch+json"},
    )
    assert required.status_code == 400
    assert c.get(f"/Things({tid})/name").json() == {"name": "Patched"}


def test_merge_patch(sta: Sta) -> None:
    c = sta.http()
    tid = _thing(sta, "Merged")
    r = c.patch(
        f"/Things({tid})",
        json={"properties": {"a": {"c": None, "d": 4}, "keep": None}, "description": "merged"},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"] == {"a": {"b": 1, "d": 4}}
    assert r.json()["description"] == "merged"


def test_links_by_ref_create_and_delete(sta: Sta) -> None:
    # Req link-to-existing-entities and $ref (create and delete links).
    c = sta.http()
    tid = _thing(sta, "Linked")
    loc = c.post(
        "/Locations",
        json={"name": "second site", "description": "d", "encodingType": "application/geo+json",
              "location": {"type": "Point", "coordinates": [116.5, 39.9]}},
    ).json()["@iot.id"]
    added = c.post(f"/Things({tid})/Locations/$ref", json={"@iot.selfLink": f"{sta.root}/Locations({loc})"})
    assert added.status_code == 204, added.text
    assert loc in [v["@iot.id"] for v in c.get(f"/Things({tid})/Locations").json()["value"]]
    removed = c.delete(f"/Things({tid})/Locations({loc})/$ref")
    assert removed.status_code == 204
    assert loc not in [v["@iot.id"] for v in c.get(f"/Things({tid})/Locations").json()["value"]]
    assert c.get(f"/Locations({loc})").status_code == 200  # the entity itself stays
    ds = c.get(f"/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    sensor = c.post("/Sensors", json={"name": "spare", "description": "d", "encodingType": "text/plain", "metadata": "m"}).json()["@iot.id"]
    assert c.put(f"/Datastreams({ds})/Sensor/$ref", json={"@iot.id": sensor}).status_code == 204
    assert c.get(f"/Datastreams({ds})/Sensor").json()["@iot.id"] == sensor
    assert c.delete(f"/Datastreams({ds})/Sensor/$ref").status_code == 400  # a Datastream needs one
    assert c.post(f"/Things({tid})/Locations/$ref", json={"@iot.id": 987654}).status_code == 404


def test_create_through_a_deep_path_and_observed_area(sta: Sta) -> None:
    c = sta.http()
    thing = sta.ids["tiantan"]
    ds = sta.ids["ds"]["Tiantan PM2.5"]
    r = c.post(
        f"/Things({thing})/Datastreams({ds})/Observations",
        json={"result": 3, "phenomenonTime": "2017-02-03T00:00:00Z", "FeatureOfInterest": {"@iot.id": sta.ids["park"]}},
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == r.json()["@iot.selfLink"]
    # Req: observedArea is the bounding box of the Datastream's features (the station and the park).
    area = c.get(f"/Datastreams({ds})/observedArea").json()["observedArea"]
    assert area["type"] == "Polygon"
    xs = [p[0] for p in area["coordinates"][0]]
    ys = [p[1] for p in area["coordinates"][0]]
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx((116.40, 116.42, 39.87, 39.89))
    wrong = c.post(f"/Things({sta.ids['dongsi']})/Datastreams({ds})/Observations", json={"result": 1})
    assert wrong.status_code == 404


def test_sensor_token_cannot_write_with_a_bearer_of_another_scheme(sta: Sta) -> None:
    r = sta.http(None).post("/Sensors", json={}, headers={"Authorization": "Digest abc"})
    assert r.status_code == 401


def test_concurrent_single_creates_are_answered_one_by_one_and_audited(sta: Sta) -> None:
    # Concurrent one-reading requests share transactions; each still gets its own entity (or
    # its own error) and its own audit row.
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from zhicheng.store.schema_api import audit_log

    ds = sta.ids["ds"]["Dongsi CO"]
    engine = sta.app.state.engine

    def audited() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(audit_log).where(
                        audit_log.c.path == "/v1.1/Observations", audit_log.c.status == 201
                    )
                ).scalar_one()
            )

    before = audited()

    def post(i: int) -> tuple[int, dict[str, object]]:
        target = ds if i != 7 else 987654  # one request names no Datastream that exists
        with sta.http() as c:
            r = c.post("/Observations", json={"result": 1000 + i, "phenomenonTime": f"2017-08-01T00:00:{i:02d}Z", "Datastream": {"@iot.id": target}})
            return r.status_code, r.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(40)))
    assert answers[7][0] == 400 and "does not exist" in answers[7][1]["error"]["message"]  # type: ignore[index]
    good = [a for i, a in enumerate(answers) if i != 7]
    assert all(status == 201 for status, _ in good)
    assert sorted(body["result"] for _, body in good) == [1000 + i for i in range(40) if i != 7]
    assert len({body["@iot.id"] for _, body in good}) == 39
    assert audited() - before == 39
