"""Object-level authorization of SensorThings writes: role × entity × verb, over HTTP, $batch, MQTT.

Two stations, A and B, are registered by an admin. Each caller then tries to create, change and
delete one entity of every set, first B's then A's. The expected answer of each attempt follows
from the rules of :mod:`zhicheng.sensing.access` (OWASP API1/API5: object- and function-level
authorization): a sensor token only creates Observations (a bound one only into A's
Datastreams), a device manager bound to A writes only A and what hangs from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.sta_helpers import OM_MEASUREMENT, auth, station_body
from zhicheng.auth import create_token, list_tokens, rotate_token
from zhicheng.cli import app as cli_app
from zhicheng.sensing.access import scope
from zhicheng.store import schema_sensing as s

#: Entity sets in the order they are tried (dependants first, so a delete takes nothing still needed).
SETS = ("Observations", "Datastreams", "FeaturesOfInterest", "ObservedProperties", "Sensors", "Locations", "Things")
VERBS = ("POST", "PATCH", "DELETE")
THING_OWNED = {"Things", "Datastreams", "Observations"}


def _seed(client: TestClient) -> dict[str, dict[str, int]]:
    """Stations A and B (admin); per station the id of one entity of every set."""
    admin = auth(client.tokens["admin"])  # type: ignore[attr-defined]
    ids: dict[str, dict[str, int]] = {}
    for key, name in (("A", "Aotizhongxin"), ("B", "Wanliu")):
        thing = client.post("/v1.1/Things", json=station_body(name), headers=admin).json()["@iot.id"]
        ds = client.get(f"/v1.1/Things({thing})/Datastreams").json()["value"][0]["@iot.id"]
        obs = client.post(f"/v1.1/Datastreams({ds})/Observations",
                          json={"phenomenonTime": "2020-01-01T00:00:00Z", "result": 1.0}, headers=admin).json()
        expanded = client.get(f"/v1.1/Datastreams({ds})", params={"$expand": "Sensor,ObservedProperty"}).json()
        loc = client.get(f"/v1.1/Things({thing})/Locations").json()["value"][0]["@iot.id"]
        foi = client.get(f"/v1.1/Observations({obs['@iot.id']})/FeatureOfInterest").json()["@iot.id"]
        ids[key] = {"Things": thing, "Datastreams": ds, "Observations": obs["@iot.id"], "Locations": loc,
                    "FeaturesOfInterest": foi, "Sensors": expanded["Sensor"]["@iot.id"],
                    "ObservedProperties": expanded["ObservedProperty"]["@iot.id"]}
    return ids


def _create(entity_set: str, own: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """Where and what to POST to create one entity of ``entity_set`` under station ``own``."""
    if entity_set == "Observations":
        return f"Datastreams({own['Datastreams']})/Observations", {"phenomenonTime": "2020-01-02T00:00:00Z", "result": 2.0}
    if entity_set == "Datastreams":
        return f"Things({own['Things']})/Datastreams", {
            "name": "spare", "description": "d", "observationType": OM_MEASUREMENT,
            "unitOfMeasurement": {"name": "ug/m3", "symbol": "µg/m³", "definition": "ucum"},
            "Sensor": {"@iot.id": own["Sensors"]}, "ObservedProperty": {"@iot.id": own["ObservedProperties"]}}
    point = {"type": "Point", "coordinates": [116.3, 39.98]}
    return entity_set, {
        "Things": {"name": "new", "description": "d"},
        "Locations": {"name": "l", "description": "d", "encodingType": "application/geo+json", "location": point},
        "FeaturesOfInterest": {"name": "f", "description": "d", "encodingType": "application/geo+json", "feature": point},
        "Sensors": {"name": "s", "description": "d", "encodingType": "text/plain", "metadata": "m"},
        "ObservedProperties": {"name": "o", "definition": "urn:o", "description": "d"},
    }[entity_set]


def _expected(who: str, entity_set: str, verb: str, station: str) -> int:
    """The status the rules give: 2xx (as 200), 401 or 403."""
    if who == "anonymous":
        return 401
    if who in ("viewer", "analyst", "reviewer"):
        return 403
    if who in ("admin", "operator", "device_manager"):
        return 200
    if who == "sensor":
        return 200 if (entity_set, verb) == ("Observations", "POST") else 403
    if who == "bound_sensor":
        return 200 if (entity_set, verb, station) == ("Observations", "POST", "A") else 403
    assert who == "bound_manager"
    if entity_set not in THING_OWNED or station == "B" or (entity_set, verb) == ("Things", "POST"):
        return 403
    return 200


def _attempt(client: TestClient, headers: dict[str, str], entity_set: str, verb: str, own: dict[str, int]) -> int:
    if verb == "POST":
        path, body = _create(entity_set, own)
        r = client.post(f"/v1.1/{path}", json=body, headers=headers)
    elif verb == "PATCH":
        body = {"result": 3.0} if entity_set == "Observations" else {"description": "changed"}
        r = client.patch(f"/v1.1/{entity_set}({own[entity_set]})", json=body, headers=headers)
    else:
        r = client.delete(f"/v1.1/{entity_set}({own[entity_set]})", headers=headers)
    assert r.status_code < 500, r.text
    return 200 if r.status_code in (200, 201, 204) else r.status_code


def _token(client: TestClient, who: str, ids: dict[str, dict[str, int]]) -> dict[str, str]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    if who == "anonymous":
        return {}
    if who == "bound_sensor":
        return auth(create_token(engine, "sensor", "station A", things=[ids["A"]["Things"]]))
    if who == "bound_manager":
        return auth(create_token(engine, "device_manager", "A's keeper", things=[ids["A"]["Things"]]))
    return auth(client.tokens[who])  # type: ignore[attr-defined]


WHO = ("admin", "operator", "device_manager", "bound_manager", "sensor", "bound_sensor",
       "viewer", "analyst", "reviewer", "anonymous")


@pytest.mark.parametrize("who", WHO)
def test_role_entity_verb_matrix(client: TestClient, who: str) -> None:
    ids = _seed(client)
    headers = _token(client, who, ids)
    seen, wanted = {}, {}
    for entity_set in SETS:
        for verb in VERBS:
            for station in ("B", "A"):
                key = f"{verb} {entity_set} of {station}"
                wanted[key] = _expected(who, entity_set, verb, station)
                if wanted[key] == 200 and verb == "DELETE" and station == "B" and who == "bound_manager":
                    continue  # never reached: B is refused
                seen[key] = _attempt(client, headers, entity_set, verb, ids[station])
    assert seen == {k: wanted[k] for k in seen}


def test_a_sensor_token_cannot_delete_a_station(client: TestClient) -> None:
    """The finding: ``DELETE /v1.1/Things(2)`` with a sensor token answered 200."""
    ids = _seed(client)
    r = client.delete(f"/v1.1/Things({ids['B']['Things']})", headers=auth(client.tokens["sensor"]))  # type: ignore[attr-defined]
    assert r.status_code == 403 and "Observations only" in r.json()["error"]["message"]
    assert client.get(f"/v1.1/Things({ids['B']['Things']})/Datastreams").json()["value"]


def _batch(client: TestClient, headers: dict[str, str], requests: list[dict[str, Any]]) -> list[int]:
    r = client.post("/v1.1/$batch", json={"requests": requests}, headers=headers)
    assert r.status_code == 200, r.text
    return [int(x["status"]) for x in r.json()["responses"]]


def test_the_same_rules_hold_inside_a_batch(client: TestClient) -> None:
    ids = _seed(client)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    bound = auth(create_token(engine, "sensor", "station A", things=[ids["A"]["Things"]]))
    obs = {"phenomenonTime": "2020-01-03T00:00:00Z", "result": 4.0}
    statuses = _batch(client, bound, [
        {"id": "1", "method": "post", "url": f"Datastreams({ids['A']['Datastreams']})/Observations", "body": obs},
        {"id": "2", "method": "post", "url": f"Datastreams({ids['B']['Datastreams']})/Observations", "body": obs},
        {"id": "3", "method": "delete", "url": f"Things({ids['A']['Things']})"},
        {"id": "4", "method": "patch", "url": f"Things({ids['A']['Things']})", "body": {"name": "x"}},
        {"id": "5", "method": "post", "url": "Observations",
         "body": {**obs, "Datastream": {"@iot.id": ids["B"]["Datastreams"]}}},
    ])
    assert statuses == [201, 403, 403, 403, 403]
    rows = client.post("/v1.1/CreateObservations", headers=bound, json=[
        {"Datastream": {"@iot.id": ids["B"]["Datastreams"]}, "components": ["phenomenonTime", "result"],
         "dataArray": [["2020-01-04T00:00:00Z", 1.0]]}])
    assert rows.status_code == 403


def test_department_binding_and_sensor_bodies(client: TestClient) -> None:
    ids = _seed(client)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    admin = auth(client.tokens["admin"])  # type: ignore[attr-defined]
    client.patch(f"/v1.1/Things({ids['A']['Things']})", json={"properties": {"department": "HBJ"}}, headers=admin)
    token = create_token(engine, "sensor", "HBJ stations", "HBJ")
    headers = auth(token)
    with engine.connect() as conn:
        principal = next(t for t in list_tokens(engine) if t["name"] == "HBJ stations")
        assert principal["department"] == "HBJ"
        from zhicheng.auth import principal_for

        assert scope(conn, principal_for(engine, token)) == {ids["A"]["Things"]}
    obs = {"phenomenonTime": "2020-01-05T00:00:00Z", "result": 5.0}
    assert client.post(f"/v1.1/Datastreams({ids['A']['Datastreams']})/Observations", json=obs, headers=headers).status_code == 201
    assert client.post(f"/v1.1/Datastreams({ids['B']['Datastreams']})/Observations", json=obs, headers=headers).status_code == 403
    # An unbound sensor still creates no other entity through an Observation's body.
    sensor = auth(client.tokens["sensor"])  # type: ignore[attr-defined]
    nested = {**obs, "FeatureOfInterest": {"name": "f", "description": "d", "encodingType": "application/geo+json",
                                           "feature": {"type": "Point", "coordinates": [1, 2]}}}
    r = client.post(f"/v1.1/Datastreams({ids['B']['Datastreams']})/Observations", json=nested, headers=sensor)
    assert r.status_code == 403 and "FeatureOfInterest" in r.json()["error"]["message"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.sta_features_of_interest)).scalar() == 2


def test_tokens_expire_and_rotate(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    expired = create_token(engine, "viewer", "yesterday", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert client.get("/api/whoami", headers=auth(expired)).status_code == 401
    later = create_token(engine, "viewer", "tomorrow", expires_at=datetime.now(UTC) + timedelta(days=1))
    assert client.get("/api/whoami", headers=auth(later)).status_code == 200
    ids = _seed(client)
    old = create_token(engine, "sensor", "A", things=[ids["A"]["Things"]])
    old_id = next(int(str(t["id"])) for t in list_tokens(engine) if t["name"] == "A")
    new = rotate_token(engine, old_id)
    assert client.get("/api/whoami", headers=auth(old)).status_code == 401
    assert client.get("/api/whoami", headers=auth(new)).json()["name"] == "A"
    rotated = [t for t in list_tokens(engine) if t["name"] == "A"]
    assert [t["things"] for t in rotated] == [[ids["A"]["Things"]]] * 2 and rotated[0]["revoked_at"] is not None


def test_token_cli_binds_expires_and_rotates(tmp_path: object) -> None:
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path}/cli.db"]
    made = runner.invoke(cli_app, ["token", "create", "--role", "sensor", "--name", "st-1", "--thing", "3",
                                   "--thing", "4", "--expires", "90d", *db])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(cli_app, ["token", "list", *db])
    assert "3 4" in listed.output and "sensor" in listed.output
    bad = runner.invoke(cli_app, ["token", "create", "--role", "sensor", "--name", "x", "--expires", "soon", *db])
    assert bad.exit_code == 2 and "--expires" in bad.output and "Traceback" not in bad.output
    rotated = runner.invoke(cli_app, ["token", "rotate", "1", *db])
    assert rotated.exit_code == 0 and rotated.output.strip().startswith("zc_")
    assert rotated.output.strip() != made.output.strip()
    again = runner.invoke(cli_app, ["token", "rotate", "1", *db])
    assert again.exit_code == 2 and "no active token with id 1" in again.output
