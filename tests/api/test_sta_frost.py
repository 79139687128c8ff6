"""SensorThings v1.1 driven by the real client ``frost-sta-client`` against a live server."""

from __future__ import annotations

from typing import Any

import frost_sta_client as fsc
import pytest
import requests
from frost_sta_client.model.ext import data_array_document, data_array_value
from frost_sta_client.model.ext.unitofmeasurement import UnitOfMeasurement
from frost_sta_client.service.auth_handler import AuthHandler


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` for requests."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class BearerHandler(AuthHandler):
    """frost-sta-client's auth hook (it asks the handler for a requests auth object)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def add_auth_header(self) -> BearerAuth:
        return BearerAuth(self.token)


def _station(name: str, lon: float, lat: float) -> fsc.Thing:
    location = fsc.Location(
        name=f"{name} site",
        description=f"monitoring site {name}",
        encoding_type="application/geo+json",
        location={"type": "Point", "coordinates": [lon, lat]},
    )
    datastreams = []
    for prop, unit in (("PM2.5", "µg/m³"), ("CO", "mg/m³")):
        datastreams.append(
            fsc.Datastream(
                name=f"{name} {prop}",
                description=f"hourly {prop}",
                observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                unit_of_measurement=UnitOfMeasurement(
                    name=unit, symbol=unit, definition="http://unitsofmeasure.org"
                ),
                sensor=fsc.Sensor(
                    name=f"{prop} analyser",
                    description="analyser",
                    encoding_type="text/plain",
                    metadata="none",
                ),
                observed_property=fsc.ObservedProperty(
                    name=prop, definition=f"urn:pollutant:{prop}", description=prop
                ),
            )
        )
    return fsc.Thing(
        name=name,
        description=f"air station {name}",
        properties={"station": name, "kind": "air_station"},
        locations=[location],
        datastreams=datastreams,
    )


@pytest.fixture()
def service(live_server: Any) -> fsc.SensorThingsService:
    return fsc.SensorThingsService(
        f"{live_server.url}/v1.1", auth_handler=BearerHandler(live_server.tokens["device_manager"])
    )


def test_frost_client_round_trip(service: fsc.SensorThingsService) -> None:
    # Deep insert: Things with nested Locations and Datastreams (Sensor, ObservedProperty).
    dongsi, tiantan = _station("Dongsi", 116.417, 39.929), _station("Tiantan", 116.407, 39.886)
    service.create(dongsi)
    service.create(tiantan)
    assert isinstance(dongsi.id, int) and isinstance(tiantan.id, int) and dongsi.id != tiantan.id

    things = (
        service.things()
        .query()
        .filter("properties/station eq 'Tiantan'")
        .expand("Datastreams,Locations")
        .list()
    )
    assert [t.name for t in things] == ["Tiantan"]
    found = things.get(0)
    assert sorted(d.name for d in found.datastreams) == ["Tiantan CO", "Tiantan PM2.5"]
    assert found.locations.get(0).location["coordinates"] == [116.407, 39.886]

    pm = next(
        d
        for d in service.things().find(dongsi.id).get_datastreams().query().list()
        if d.name.endswith("PM2.5")
    )

    # One by one.
    for hour in range(5):
        obs = fsc.Observation(
            result=10.0 * hour, phenomenon_time=f"2017-02-01T{hour:02d}:00:00Z", datastream=pm
        )
        service.create(obs)
        assert isinstance(obs.id, int)

    # In bulk: the data-array extension.
    dav = data_array_value.DataArrayValue()
    dav.datastream = pm
    dav.components = {
        data_array_value.DataArrayValue.Property.PHENOMENON_TIME,
        data_array_value.DataArrayValue.Property.RESULT,
    }
    for hour in range(5, 24):
        dav.add_observation(
            fsc.Observation(result=10.0 * hour, phenomenon_time=f"2017-02-01T{hour:02d}:00:00Z")
        )
    doc = data_array_document.DataArrayDocument()
    doc.add_data_array_value(dav)
    created = service.observations().create(doc)
    assert len(created) == 19
    assert all("/Observations(" in o.self_link for o in created)

    # Read back: $filter on result and time, $orderby, $top and paging through @iot.nextLink.
    query = (
        service.observations().query()
        .filter(f"Datastream/id eq {pm.id} and result ge 100 and phenomenonTime lt 2017-02-01T20:00:00Z")
        .orderby("phenomenonTime", "DESC")
        .top(4)
    )  # fmt: skip
    page = query.list()
    assert [o.result for o in page.entities] == [190, 180, 170, 160]
    assert page.next_link is not None
    everything = [o.result for o in page]  # the client follows @iot.nextLink
    assert everything == [10.0 * h for h in range(19, 9, -1)]

    # $expand from an Observation up to its Datastream and the FeatureOfInterest made from the Location.
    obs = (
        service.observations()
        .query()
        .filter("result eq 0")
        .expand("Datastream,FeatureOfInterest")
        .list()
        .get(0)
    )
    assert obs.datastream.name == "Dongsi PM2.5"
    assert obs.feature_of_interest.feature["coordinates"] == [116.417, 39.929]

    counted = (
        service.datastreams()
        .query()
        .filter("ObservedProperty/name eq 'PM2.5'")
        .count()
        .top(1)
        .list()
    )
    assert counted.count == 2 and len(counted.entities) == 1


def test_frost_client_update_and_delete(service: fsc.SensorThingsService) -> None:
    thing = _station("Wanliu", 116.287, 39.987)
    service.create(thing)
    service.patch(thing, [{"op": "replace", "path": "/description", "value": "moved"}])
    assert service.things().find(thing.id).description == "moved"
    fetched = service.things().find(thing.id)
    fetched.name = "Wanliu station"
    service.update(fetched)
    assert service.things().find(thing.id).name == "Wanliu station"
    service.delete(fetched)
    with pytest.raises(requests.HTTPError) as err:
        service.things().find(thing.id)
    assert err.value.response.status_code == 404
    assert service.datastreams().query().filter("properties eq null").list().entities == []


def test_frost_client_without_token_is_refused(live_server: Any) -> None:
    anonymous = fsc.SensorThingsService(f"{live_server.url}/v1.1")
    with pytest.raises(requests.HTTPError) as err:
        anonymous.create(_station("Gucheng", 116.184, 39.914))
    assert err.value.response.status_code == 401
    assert anonymous.things().query().list().entities == []
