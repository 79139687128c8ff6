"""A.7 and A.8 for MultiDatastreams (OGC 18-088 Annex A.7, A.8, §14 with the MultiDatastream
extension): Observations with array results created by publishing to
``v1.1/MultiDatastreams(id)/Observations`` and received by subscribing to it, with paho-mqtt,
through the embedded broker and through a real mosquitto.

The readings are synthetic (made for these checks).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conformance.mqtt_support import Client, wait_until
from tests.api.conformance.test_a7_a8_mqtt import MqttServer, _password, mqtt_server
from tests.api.sta_helpers import OM_MEASUREMENT

__all__ = ["mqtt_server"]  # the live servers (embedded broker, mosquitto; SQLite, PostgreSQL)


@pytest.fixture(scope="module")
def mds(mqtt_server: MqttServer) -> int:
    """A MultiDatastream of temperature and humidity on the server's station."""
    auth = {"Authorization": f"Bearer {mqtt_server.tokens['operator']}"}
    with httpx.Client(base_url=mqtt_server.root, headers=auth) as c:
        thing = c.get(f"/Datastreams({mqtt_server.datastream})/Thing").json()["@iot.id"]
        r = c.post(
            "/MultiDatastreams",
            json={
                "name": "Nongzhanguan weather",
                "description": "temperature and relative humidity",
                "unitOfMeasurements": [
                    {"name": "degree Celsius", "symbol": "°C", "definition": "ucum:Cel"},
                    {"name": "percent", "symbol": "%", "definition": "ucum:%"},
                ],
                "multiObservationDataTypes": [OM_MEASUREMENT, OM_MEASUREMENT],
                "Thing": {"@iot.id": thing},
                "Sensor": {"name": "mast", "description": "weather mast", "encodingType": "text/plain", "metadata": "none"},
                "ObservedProperties": [
                    {"name": "air temperature", "definition": "urn:weather:temperature", "description": "t"},
                    {"name": "relative humidity", "definition": "urn:weather:humidity", "description": "rh"},
                ],
            },
        )
        assert r.status_code == 201, r.text
        return int(r.json()["@iot.id"])


def _results(server: MqttServer, mds: int, expr: str) -> list[Any]:
    r = httpx.get(
        f"{server.root}/MultiDatastreams({mds})/Observations",
        params={"$filter": expr, "$orderby": "phenomenonTime", "$top": 1000, "$select": "result"},
    )
    return [o["result"] for o in r.json()["value"]]


def test_a7_publish_creates_multi_datastream_observations(mqtt_server: MqttServer, mds: int) -> None:
    # Req create-observations-via-mqtt/observation-creation, for a MultiDatastream: every message
    # at QoS 1 stored once; one whose result does not fit is refused and stops nothing.
    device = Client(mqtt_server.mqtt_port, _password(mqtt_server))
    n = 100
    topic = f"v1.1/MultiDatastreams({mds})/Observations"
    infos = [
        device.publish(topic, {"result": [float(i), 50 + i % 10], "phenomenonTime": f"2017-08-01T00:{i // 60:02d}:{i % 60:02d}Z"})
        for i in range(n)
    ]
    infos.append(device.publish(topic, {"result": [1.0], "phenomenonTime": "2017-08-01T05:00:00Z"}))
    infos.append(
        device.publish(
            "v1.1/Observations",
            {"result": [-1.0, 99], "phenomenonTime": "2017-08-02T00:00:00Z", "MultiDatastream": {"@iot.id": mds}},
        )
    )
    for info in infos:
        info.wait_for_publish(20)
    expr = "month(phenomenonTime) eq 8"
    assert wait_until(lambda: len(_results(mqtt_server, mds, expr)) == n + 1), len(_results(mqtt_server, mds, expr))
    got = _results(mqtt_server, mds, expr)
    assert got == [[float(i), 50 + i % 10] for i in range(n)] + [[-1.0, 99]]
    device.close()


def test_a8_subscribers_receive_multi_datastream_updates(mqtt_server: MqttServer, mds: int) -> None:
    # Req receive-updates-via-mqtt: the MultiDatastream's Observations collection and its entity topic.
    watcher = Client(mqtt_server.mqtt_port, _password(mqtt_server, "viewer"))
    watcher.subscribe(f"v1.1/MultiDatastreams({mds})/Observations")
    entity = Client(mqtt_server.mqtt_port, _password(mqtt_server, "viewer"))
    entity.subscribe(f"v1.1/MultiDatastreams({mds})")
    auth = {"Authorization": f"Bearer {mqtt_server.tokens['operator']}"}
    with httpx.Client(base_url=mqtt_server.root, headers=auth) as c:
        made = c.post(f"/MultiDatastreams({mds})/Observations", json={"result": [3.5, 61], "phenomenonTime": "2017-09-01T00:00:00Z"})
        assert made.status_code == 201, made.text
        assert c.patch(f"/MultiDatastreams({mds})", json={"description": "moved to the roof"}).status_code == 200
    (topic, body), *_ = watcher.wait_for(1)
    assert topic == f"v1.1/MultiDatastreams({mds})/Observations"
    assert body["result"] == [3.5, 61] and body["@iot.id"] == made.json()["@iot.id"]
    (topic, body), *_ = entity.wait_for(1)
    assert topic == f"v1.1/MultiDatastreams({mds})" and body["description"] == "moved to the roof"
    for client in (watcher, entity):
        client.close()
