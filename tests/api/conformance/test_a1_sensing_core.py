"""A.1 Sensing Core (OGC 18-088 Annex A.1): entity control information, the entities, and
resource paths (``/req/resource-path/resource-path-to-entities``), checked on a live server."""

from __future__ import annotations

import pytest

from tests.api.conformance.conftest import Sta

SETS = (
    "Things",
    "Locations",
    "HistoricalLocations",
    "Datastreams",
    "Sensors",
    "ObservedProperties",
    "Observations",
    "FeaturesOfInterest",
)
#: Entity sets of the MultiDatastream extension (A.5), listed in the root beside the core ones.
EXTENSION_SETS = ("MultiDatastreams",)
#: Navigation properties; the MultiDatastream ones are the extension's (``/req/multi-datastream/relations``).
NAVS = {
    "Things": {"Locations", "HistoricalLocations", "Datastreams", "MultiDatastreams"},
    "Locations": {"Things", "HistoricalLocations"},
    "HistoricalLocations": {"Thing", "Locations"},
    "Datastreams": {"Thing", "Sensor", "ObservedProperty", "Observations"},
    "Sensors": {"Datastreams", "MultiDatastreams"},
    "ObservedProperties": {"Datastreams", "MultiDatastreams"},
    "Observations": {"Datastream", "MultiDatastream", "FeatureOfInterest"},
    "FeaturesOfInterest": {"Observations"},
}


def test_service_root_lists_every_set_and_implemented_class(sta: Sta) -> None:
    # Req 2 (resource-path/resource-path-to-entities): the service root lists the entity sets.
    doc = sta.http(None).get("").json()
    assert {(v["name"], v["url"]) for v in doc["value"]} == {
        (s, f"{sta.root}/{s}") for s in (*SETS, *EXTENSION_SETS)
    }
    conformance = doc["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel" in conformance
    assert all(c.startswith("http://www.opengis.net/spec/") for c in conformance)
    # MQTT classes only while MQTT runs (this server has none).
    assert not any("mqtt" in c for c in conformance)


@pytest.mark.parametrize("name", SETS)
def test_every_entity_carries_control_information(sta: Sta, name: str) -> None:
    # Req 1 (entity-control-information): @iot.id, @iot.selfLink, one navigationLink per relation.
    page = sta.http(None).get(f"/{name}").json()
    assert page["value"], name
    entity = page["value"][0]
    assert isinstance(entity["@iot.id"], int)
    assert entity["@iot.selfLink"] == f"{sta.root}/{name}({entity['@iot.id']})"
    links = {k.split("@")[0] for k in entity if k.endswith("@iot.navigationLink")}
    assert links == NAVS[name]
    for nav in NAVS[name]:
        assert entity[f"{nav}@iot.navigationLink"] == f"{entity['@iot.selfLink']}/{nav}"


def test_paths_of_any_depth(sta: Sta) -> None:
    # Req 3–5: an entity, a navigation to an entity or a collection, and further from there.
    c = sta.http(None)
    thing, pm = sta.ids["dongsi"], sta.ids["ds"]["Dongsi PM2.5"]
    obs = c.get(f"/Things({thing})/Datastreams({pm})/Observations", params={"$top": 3}).json()
    assert len(obs["value"]) == 3 and "@iot.nextLink" in obs
    first = obs["value"][0]["@iot.id"]
    thing_of_obs = c.get(f"/Observations({first})/Datastream/Thing").json()
    assert thing_of_obs["@iot.id"] == thing and thing_of_obs["name"] == "Dongsi"
    locations = c.get(f"/Datastreams({pm})/Thing/Locations").json()["value"]
    assert [loc["location"]["coordinates"] for loc in locations] == [[116.417, 39.929]]
    loc_id = locations[0]["@iot.id"]
    assert c.get(f"/Things({thing})/Locations({loc_id})").json()["@iot.id"] == loc_id
    sensor = c.get(f"/Observations({first})/Datastream/Sensor/name").json()
    assert sensor == {"name": "PM2.5 analyser"}
    assert c.get(f"/Observations({first})/Datastream/Thing/name/$value").text == "Dongsi"


def test_unknown_paths_are_404(sta: Sta) -> None:
    c = sta.http(None)
    thing, other = sta.ids["dongsi"], sta.ids["tiantan"]
    tiantan_ds = sta.ids["ds"]["Tiantan PM2.5"]
    for path in (
        "/Thingz",
        "/Things(999999)",
        "/Things(999999)/Datastreams",
        f"/Things({thing})/Datastreams({tiantan_ds})",  # exists, but not Dongsi's
        f"/Things({thing})/Datastreams({tiantan_ds})/Observations",
        f"/Things({thing})/colour",
        f"/Things({other})/Locations(999999)",
        "/Things(abc)",
    ):
        r = c.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["error"]["message"]


def test_property_value_and_null_property(sta: Sta) -> None:
    # Req 6–7: a property as {name: value}; $value as raw text; a null property has no content.
    c = sta.http(None)
    thing = sta.ids["dongsi"]
    assert c.get(f"/Things({thing})/name").json() == {"name": "Dongsi"}
    assert c.get(f"/Things({thing})/name/$value").text == "Dongsi"
    assert c.get(f"/Things({thing})/id").json() == {"id": thing}
    pm = sta.ids["ds"]["Dongsi PM2.5"]
    obs = c.get(f"/Datastreams({pm})/Observations", params={"$top": 1}).json()["value"][0]
    null = c.get(f"/Observations({obs['@iot.id']})/resultTime")
    assert null.status_code == 204 and null.content == b""
    assert c.get(f"/Observations({obs['@iot.id']})/resultTime/$value").status_code == 204


def test_ref_reads_links_only(sta: Sta) -> None:
    # Req 8 (§9.2.6, $ref): the selfLinks of the related entities, nothing else.
    c = sta.http(None)
    thing = sta.ids["dongsi"]
    refs = c.get(f"/Things({thing})/Datastreams/$ref").json()
    assert refs["value"] and all(set(v) == {"@iot.selfLink"} for v in refs["value"])
    assert {v["@iot.selfLink"] for v in refs["value"]} == {
        f"{sta.root}/Datastreams({sta.ids['ds'][n]})" for n in ("Dongsi PM2.5", "Dongsi CO")
    }
    one = c.get(f"/Datastreams({sta.ids['ds']['Dongsi CO']})/Thing/$ref").json()
    assert one == {"@iot.selfLink": f"{sta.root}/Things({thing})"}
    counted = c.get("/Things/$ref", params={"$count": "true"}).json()
    assert counted["@iot.count"] == len(counted["value"]) >= 2
