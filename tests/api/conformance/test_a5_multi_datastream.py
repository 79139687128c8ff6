"""A.5 MultiDatastream extension (OGC 18-088 Annex A.5, ``/req/multi-datastream``): the entity's
properties, its relations and its constraints, with frost-sta-client (Basic auth) and plain HTTP.

The weather readings are synthetic (made for these checks), not measurements.
"""

from __future__ import annotations

from typing import Any

import frost_sta_client as fsc
import httpx
import pytest
import requests
from frost_sta_client.service.auth_handler import AuthHandler

from tests.api.conformance.conftest import Sta
from tests.api.sta_helpers import OM_MEASUREMENT
from zhicheng.auth import create_token

CLASS = "http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream"
COMPLEX = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation"
UNITS = [
    {"name": "degree Celsius", "symbol": "°C", "definition": "ucum:Cel"},
    {"name": "percent", "symbol": "%", "definition": "ucum:%"},
    {"name": "metre per second", "symbol": "m/s", "definition": "ucum:m/s"},
]


def _weather(sta: Sta, thing: int, **over: Any) -> dict[str, Any]:
    """A MultiDatastream of temperature, humidity and wind speed (deep insert of the Sensor)."""
    body: dict[str, Any] = {
        "name": "Dongsi weather",
        "description": "temperature, relative humidity and wind speed every hour",
        "unitOfMeasurements": UNITS,
        "multiObservationDataTypes": [OM_MEASUREMENT] * 3,
        "properties": {"height_m": 10},
        "Thing": {"@iot.id": thing},
        "Sensor": {
            "name": "weather mast",
            "description": "ultrasonic anemometer, thermometer, hygrometer",
            "encodingType": "text/plain",
            "metadata": "none",
        },
        "ObservedProperties": [
            {"name": "air temperature", "definition": "urn:weather:temperature", "description": "air temperature"},
            {"name": "relative humidity", "definition": "urn:weather:humidity", "description": "relative humidity"},
            {"name": "wind speed", "definition": "urn:weather:wind", "description": "wind speed"},
        ],
    }
    body.update(over)
    return body


@pytest.fixture(scope="module")
def weather(sta: Sta) -> dict[str, Any]:
    """One MultiDatastream on Dongsi with four hourly Observations (created over HTTP)."""
    with sta.http() as c:
        r = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["dongsi"]))
        assert r.status_code == 201, r.text
        mds = r.json()
        for h, result in enumerate([[1.5, 40, 2.0], [1.0, 42, 2.5], [0.5, 45, 3.5], [0.0, 47, 4.0]]):
            made = c.post(
                f"/MultiDatastreams({mds['@iot.id']})/Observations",
                json={"phenomenonTime": f"2017-02-01T{h:02d}:00:00Z", "result": result},
            )
            assert made.status_code == 201, made.text
        return dict(mds)


def test_root_declares_the_class(sta: Sta, weather: dict[str, Any]) -> None:
    root = sta.http(None).get("").json()
    assert CLASS in root["serverSettings"]["conformance"]
    assert "MultiDatastreams" in {s["name"] for s in root["value"]}


def test_properties(sta: Sta, weather: dict[str, Any]) -> None:
    # Req multi-datastream/properties: the mandatory and optional properties of the entity.
    got = sta.http(None).get(f"/MultiDatastreams({weather['@iot.id']})").json()
    assert got["name"] == "Dongsi weather"
    assert got["unitOfMeasurements"] == UNITS
    assert got["observationType"] == COMPLEX
    assert got["multiObservationDataTypes"] == [OM_MEASUREMENT] * 3
    assert got["properties"] == {"height_m": 10}
    # Computed from the Observations: the extent of their times, the box of their features.
    assert got["phenomenonTime"] == "2017-02-01T00:00:00Z/2017-02-01T03:00:00Z"
    x, y = 116.417, 39.929  # every Observation's feature is the station's point: a degenerate box
    assert got["observedArea"] == {"type": "Polygon", "coordinates": [[[x, y], [x, y], [x, y], [x, y], [x, y]]]}
    for nav in ("Thing", "Sensor", "ObservedProperties", "Observations"):
        assert got[f"{nav}@iot.navigationLink"].endswith(f"/MultiDatastreams({weather['@iot.id']})/{nav}")


def test_relations(sta: Sta, weather: dict[str, Any]) -> None:
    # Req multi-datastream/relations: Thing 1, Sensor 1, ObservedProperties 1..*, Observations 0..*,
    # and the new navigation properties of Thing, Sensor, ObservedProperty and Observation.
    c = sta.http(None)
    mid = weather["@iot.id"]
    assert c.get(f"/MultiDatastreams({mid})/Thing").json()["@iot.id"] == sta.ids["dongsi"]
    sensor = c.get(f"/MultiDatastreams({mid})/Sensor").json()
    ops = c.get(f"/MultiDatastreams({mid})/ObservedProperties").json()["value"]
    assert [o["name"] for o in ops] == ["air temperature", "relative humidity", "wind speed"]
    obs = c.get(f"/MultiDatastreams({mid})/Observations", params={"$orderby": "phenomenonTime"}).json()["value"]
    assert [o["result"] for o in obs] == [[1.5, 40, 2.0], [1.0, 42, 2.5], [0.5, 45, 3.5], [0.0, 47, 4.0]]
    assert obs[0]["MultiDatastream@iot.navigationLink"].endswith(f"/Observations({obs[0]['@iot.id']})/MultiDatastream")
    assert c.get(f"/Observations({obs[0]['@iot.id']})/MultiDatastream").json()["@iot.id"] == mid
    assert c.get(f"/Observations({obs[0]['@iot.id']})/Datastream").status_code == 404
    for path in (
        f"/Things({sta.ids['dongsi']})/MultiDatastreams",
        f"/Sensors({sensor['@iot.id']})/MultiDatastreams",
        f"/ObservedProperties({ops[1]['@iot.id']})/MultiDatastreams",
    ):
        assert [m["@iot.id"] for m in c.get(path).json()["value"]] == [mid], path
    assert c.get(f"/Things({sta.ids['tiantan']})/MultiDatastreams").json()["value"] == []
    # Deeper paths and $ref.
    deep = c.get(f"/Things({sta.ids['dongsi']})/MultiDatastreams({mid})/Observations", params={"$count": "true"})
    assert deep.json()["@iot.count"] == 4
    refs = c.get(f"/MultiDatastreams({mid})/ObservedProperties/$ref").json()["value"]
    assert [r["@iot.selfLink"] for r in refs] == [o["@iot.selfLink"] for o in ops]


def test_observed_properties_keep_their_order(sta: Sta) -> None:
    # Req multi-datastream/constraints: result members follow the ObservedProperties in order,
    # also when existing ObservedProperties are linked in an order other than their ids'.
    c = sta.http()
    first = c.post("/ObservedProperties", json={"name": "pressure", "definition": "urn:weather:p", "description": "p"}).json()
    second = c.post("/ObservedProperties", json={"name": "dew point", "definition": "urn:weather:td", "description": "td"}).json()
    body = _weather(
        sta,
        sta.ids["tiantan"],
        name="Tiantan mast",
        unitOfMeasurements=UNITS[:2],
        multiObservationDataTypes=[OM_MEASUREMENT] * 2,
        ObservedProperties=[{"@iot.id": second["@iot.id"]}, {"@iot.id": first["@iot.id"]}],
    )
    r = c.post("/MultiDatastreams", json=body)
    assert r.status_code == 201, r.text
    mid = r.json()["@iot.id"]
    names = [o["name"] for o in c.get(f"/MultiDatastreams({mid})/ObservedProperties").json()["value"]]
    assert names == ["dew point", "pressure"]
    # Created under an ObservedProperty: that one is among (last of) its ObservedProperties.
    under = c.post(
        f"/ObservedProperties({first['@iot.id']})/MultiDatastreams",
        json={**body, "name": "Tiantan mast 2", "ObservedProperties": [{"@iot.id": second["@iot.id"]}]},
    )
    assert under.status_code == 201, under.text
    ops = c.get(f"/MultiDatastreams({under.json()['@iot.id']})/ObservedProperties").json()["value"]
    assert [o["name"] for o in ops] == ["dew point", "pressure"]
    assert c.delete(f"/MultiDatastreams({under.json()['@iot.id']})").status_code == 200
    expanded = c.get(f"/MultiDatastreams({mid})", params={"$expand": "ObservedProperties($select=name)"}).json()
    assert [o["name"] for o in expanded["ObservedProperties"]] == ["dew point", "pressure"]
    assert c.delete(f"/MultiDatastreams({mid})").status_code == 200


def test_expand_select_filter_orderby(sta: Sta, weather: dict[str, Any]) -> None:
    c = sta.http(None)
    mid = weather["@iot.id"]
    one = c.get(
        f"/MultiDatastreams({mid})",
        params={"$select": "name,unitOfMeasurements", "$expand": "Thing($select=name),Observations($top=1;$orderby=phenomenonTime desc)"},
    ).json()
    assert set(one) == {"name", "unitOfMeasurements", "Thing", "Observations", "Observations@iot.nextLink"}
    assert one["Thing"] == {"name": "Dongsi"}
    assert one["Observations"][0]["result"] == [0.0, 47, 4.0]
    found = c.get(
        "/MultiDatastreams",
        params={"$filter": "ObservedProperties/name eq 'wind speed' and Thing/name eq 'Dongsi' and properties/height_m gt 5"},
    ).json()["value"]
    assert [m["@iot.id"] for m in found] == [mid]
    assert c.get("/MultiDatastreams", params={"$filter": "name eq 'no such'"}).json()["value"] == []
    by_mds = c.get(
        "/Observations",
        params={"$filter": f"MultiDatastream/@iot.id eq {mid} and phenomenonTime ge 2017-02-01T02:00:00Z", "$orderby": "phenomenonTime"},
    ).json()["value"]
    assert [o["result"][1] for o in by_mds] == [45, 47]
    things = c.get("/Things", params={"$filter": "MultiDatastreams/name eq 'Dongsi weather'", "$expand": "MultiDatastreams($select=name)"}).json()["value"]
    assert [t["name"] for t in things] == ["Dongsi"] and things[0]["MultiDatastreams"] == [{"name": "Dongsi weather"}]
    ordered = c.get("/MultiDatastreams", params={"$orderby": "name desc", "$select": "name"}).json()["value"]
    assert [m["name"] for m in ordered] == sorted((m["name"] for m in ordered), reverse=True)


def test_constraints_on_the_entity(sta: Sta, weather: dict[str, Any]) -> None:
    # Req multi-datastream/constraints: unitOfMeasurements, multiObservationDataTypes and
    # ObservedProperties of the same size; observationType OM_ComplexObservation.
    c = sta.http()
    short = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["dongsi"], unitOfMeasurements=UNITS[:2]))
    assert short.status_code == 400
    assert "unitOfMeasurements has 2 members, multiObservationDataTypes 3 and ObservedProperties 3" in short.text
    kind = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["dongsi"], observationType=OM_MEASUREMENT))
    assert kind.status_code == 400 and "observationType must be" in kind.text
    none = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["dongsi"], ObservedProperties=[], unitOfMeasurements=[], multiObservationDataTypes=[]))
    assert none.status_code == 400 and "at least one ObservedProperty" in none.text
    mid = weather["@iot.id"]
    patch = c.patch(f"/MultiDatastreams({mid})", json={"unitOfMeasurements": UNITS[:1]})
    assert patch.status_code == 400 and "unitOfMeasurements" in patch.text
    op = c.post("/ObservedProperties", json={"name": "rain", "definition": "urn:weather:rain", "description": "rain"}).json()
    link = c.post(f"/MultiDatastreams({mid})/ObservedProperties/$ref", json={"@iot.selfLink": op["@iot.selfLink"]})
    assert link.status_code == 400
    assert len(c.get(f"/MultiDatastreams({mid})/ObservedProperties").json()["value"]) == 3
    assert c.get(f"/MultiDatastreams({mid})").json()["unitOfMeasurements"] == UNITS


def test_constraints_on_observations(sta: Sta, weather: dict[str, Any]) -> None:
    # Req multi-datastream/constraints: an Observation's result is an array with one member per
    # ObservedProperty; an Observation has a Datastream or a MultiDatastream, not both.
    c = sta.http()
    mid = weather["@iot.id"]
    for result, said in (([1.0, 2.0], "an array of 2"), (3.0, "a number"), ({"t": 1}, "an object")):
        r = c.post(f"/MultiDatastreams({mid})/Observations", json={"result": result})
        assert r.status_code == 400, r.text
        assert "result must be an array of 3 values" in r.text and said in r.text
    both = c.post(
        "/Observations",
        json={"result": [1, 2, 3], "MultiDatastream": {"@iot.id": mid}, "Datastream": {"@iot.id": sta.ids["ds"]["Dongsi CO"]}},
    )
    assert both.status_code == 400 and "not to both" in both.text
    made = c.post("/Observations", json={"result": [2.0, 50, 1.0], "phenomenonTime": "2017-02-03T00:00:00Z", "MultiDatastream": {"@iot.id": mid}})
    assert made.status_code == 201, made.text
    oid = made.json()["@iot.id"]
    assert c.patch(f"/Observations({oid})", json={"result": [1]}).status_code == 400
    assert c.patch(f"/Observations({oid})", json={"result": [2.5, 51, 1.5]}).status_code == 200
    assert c.get(f"/Observations({oid})/result").json() == {"result": [2.5, 51, 1.5]}
    assert c.delete(f"/Observations({oid})").status_code == 200


def test_data_array(sta: Sta, weather: dict[str, Any]) -> None:
    # Data array extension with a MultiDatastream: CreateObservations rows, "error" for a row
    # whose result does not fit, and $resultFormat=dataArray grouped by MultiDatastream.
    c = sta.http()
    mid = weather["@iot.id"]
    r = c.post(
        "/CreateObservations",
        json=[
            {
                "MultiDatastream": {"@iot.id": mid},
                "components": ["phenomenonTime", "result"],
                "dataArray": [
                    ["2017-02-04T00:00:00Z", [-1.0, 60, 1.0]],
                    ["2017-02-04T01:00:00Z", [-1.5, 61]],
                    ["2017-02-04T02:00:00Z", [-2.0, 62, 0.5]],
                ],
            },
            {
                "Datastream": {"@iot.id": sta.ids["ds"]["Dongsi CO"]},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2017-02-04T00:00:00Z", 0.7]],
            },
            {
                "MultiDatastream": {"@iot.id": mid},
                "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
                "dataArray": [
                    ["2017-02-06T00:00:00Z", [4.0, 30, 6.0], sta.ids["park"]],
                    ["2017-02-06T01:00:00Z", [4.5, 31, 6.5], 987654],  # no such feature
                ],
            },
            {"MultiDatastream": {"@iot.id": 987654}, "components": ["result"], "dataArray": [[[1, 2, 3]]]},
        ],
    )
    assert r.status_code == 201, r.text
    answer = r.json()
    assert [a == "error" for a in answer] == [False, True, False, False, False, True, True]
    in_park = c.get(answer[4].removeprefix(sta.root) + "/FeatureOfInterest").json()
    assert in_park["@iot.id"] == sta.ids["park"]
    both = c.post(
        "/CreateObservations",
        json=[{"Datastream": {"@iot.id": 1}, "MultiDatastream": {"@iot.id": mid}, "components": ["result"], "dataArray": [[[1, 2, 3]]]}],
    )
    assert both.status_code == 400 and "not both" in both.text
    doc = c.get(
        f"/MultiDatastreams({mid})/Observations",
        params={"$resultFormat": "dataArray", "$select": "phenomenonTime,result", "$filter": "day(phenomenonTime) eq 4", "$orderby": "phenomenonTime"},
    ).json()
    (group,) = doc["value"]
    assert group["MultiDatastream@iot.navigationLink"] == f"{sta.root}/MultiDatastreams({mid})"
    assert group["components"] == ["phenomenonTime", "result"]
    assert group["dataArray"] == [["2017-02-04T00:00:00Z", [-1.0, 60, 1.0]], ["2017-02-04T02:00:00Z", [-2.0, 62, 0.5]]]


def test_frost_client_reads_and_creates(sta: Sta, weather: dict[str, Any]) -> None:
    # frost-sta-client over Basic auth: MultiDatastream read, its Observations listed, one created.
    service = fsc.SensorThingsService(
        sta.root, auth_handler=AuthHandler(username="sensor-device", password=sta.tokens["sensor"])
    )
    mds = service.multi_datastreams().find(weather["@iot.id"])
    assert mds.name == "Dongsi weather"
    assert mds.observation_type == COMPLEX
    assert mds.multi_observation_data_types == [OM_MEASUREMENT] * 3
    assert [u["symbol"] for u in mds.unit_of_measurements] == ["°C", "%", "m/s"]
    names = [o.name for o in mds.get_observed_properties().query().list()]
    assert names == ["air temperature", "relative humidity", "wind speed"]
    # A sensor token links the MultiDatastream by id only (the client would send all it read).
    link = fsc.MultiDatastream(id=mds.id)
    obs = fsc.Observation(result=[3.0, 39, 5.5], phenomenon_time="2017-02-05T00:00:00Z", multi_datastream=link)
    service.create(obs)
    assert isinstance(obs.id, int)
    assert service.observations().find(obs.id).result == [3.0, 39, 5.5]
    listed = mds.get_observations().query().filter("phenomenonTime eq 2017-02-05T00:00:00Z").list()
    assert [o.id for o in listed] == [obs.id]
    # A sensor token creates Observations only; removing one is an operator's right (issue 14).
    with pytest.raises(requests.HTTPError) as refused:
        service.delete(obs)
    assert refused.value.response.status_code == 403
    operator = fsc.SensorThingsService(
        sta.root, auth_handler=AuthHandler(username="operator", password=sta.tokens["operator"])
    )
    operator.delete(obs)
    assert sta.http("operator").get(f"/Observations({obs.id})").status_code == 404


def test_delete_rules(sta: Sta) -> None:
    # Deleting a MultiDatastream deletes its Observations; deleting one of its ObservedProperties
    # deletes the MultiDatastream (it cannot exist without it).
    c = sta.http()
    r = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["tiantan"], name="Tiantan weather"))
    assert r.status_code == 201, r.text
    mid = r.json()["@iot.id"]
    oid = c.post(f"/MultiDatastreams({mid})/Observations", json={"result": [1, 2, 3]}).json()["@iot.id"]
    assert c.delete(f"/MultiDatastreams({mid})").status_code == 200
    assert c.get(f"/Observations({oid})").status_code == 404
    r = c.post("/MultiDatastreams", json=_weather(sta, sta.ids["tiantan"], name="Tiantan weather 2"))
    mid = r.json()["@iot.id"]
    op = c.get(f"/MultiDatastreams({mid})/ObservedProperties").json()["value"][0]
    assert c.delete(f"/ObservedProperties({op['@iot.id']})").status_code == 200
    assert c.get(f"/MultiDatastreams({mid})").status_code == 404


def test_writes_need_a_writing_token(sta: Sta, weather: dict[str, Any]) -> None:
    body = {"result": [1, 2, 3]}
    path = f"/MultiDatastreams({weather['@iot.id']})/Observations"
    assert sta.http(None).post(path, json=body).status_code == 401
    assert sta.http("viewer").post(path, json=body).status_code == 403


def test_bound_sensor_writes_only_its_things_multi_datastreams(sta: Sta, weather: dict[str, Any]) -> None:
    # A sensor token bound to Dongsi: Observations into Dongsi's MultiDatastream, none into Tiantan's,
    # whichever way it asks (the MultiDatastream's path, a link in the body, CreateObservations).
    token = create_token(sta.app.state.engine, "sensor", "dongsi-mast", things=[sta.ids["dongsi"]])
    bound = httpx.Client(base_url=sta.root, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    other = sta.http().post("/MultiDatastreams", json=_weather(sta, sta.ids["tiantan"], name="Tiantan roof"))
    assert other.status_code == 201, other.text
    mine, theirs = weather["@iot.id"], other.json()["@iot.id"]
    body = {"result": [1.0, 50, 1.0], "phenomenonTime": "2017-02-07T00:00:00Z"}
    assert bound.post(f"/MultiDatastreams({mine})/Observations", json=body).status_code == 201
    assert bound.post(f"/MultiDatastreams({theirs})/Observations", json=body).status_code == 403
    assert bound.post("/Observations", json={**body, "MultiDatastream": {"@iot.id": theirs}}).status_code == 403
    array = {"components": ["phenomenonTime", "result"], "dataArray": [["2017-02-07T01:00:00Z", [1.0, 50, 1.0]]]}
    assert bound.post("/CreateObservations", json=[{"MultiDatastream": {"@iot.id": theirs}, **array}]).status_code == 403
    assert bound.post("/CreateObservations", json=[{"MultiDatastream": {"@iot.id": mine}, **array}]).status_code == 201
    assert bound.post("/MultiDatastreams", json=_weather(sta, sta.ids["dongsi"])).status_code == 403
    assert sta.http().delete(f"/MultiDatastreams({theirs})").status_code == 200
    bound.close()
