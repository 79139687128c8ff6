"""A.7 Create observations via MQTT and A.8 Receive updates via MQTT (OGC 18-088 Annex A.7,
A.8, §14), with paho-mqtt clients, through the embedded broker and through a real mosquitto.

The readings are synthetic (made for these checks).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from pydantic import SecretStr

from tests.api.conformance.conftest import _free_port
from tests.api.conformance.mqtt_support import Client, mosquitto, wait_for_port, wait_until
from tests.conftest import postgres_database, postgres_url
from tests.support.sta import station_body
from zhicheng.api import create_app
from zhicheng.auth import create_token
from zhicheng.settings import Settings
from zhicheng.store.schema_api import audit_log


@dataclass
class MqttServer:
    """A live server with MQTT: its HTTP root, the broker's port, tokens and a Datastream."""

    root: str
    mqtt_port: int
    tokens: dict[str, str]
    datastream: int
    app: Any
    mode: str


def _serve(db_url: str, mode: str, tmp: Path) -> Iterator[MqttServer]:
    http_port, broker_port = _free_port(), _free_port()
    app = create_app(db_url, settings=Settings())
    engine = app.state.engine
    tokens = {r: create_token(engine, r, f"mqtt-{r}") for r in ("sensor", "viewer", "operator")}
    update: dict[str, Any] = {"public_url": f"http://127.0.0.1:{http_port}"}
    with mosquitto(tmp) if mode == "mosquitto" else _nothing() as external:
        if mode == "mosquitto":
            broker_port = external
            update |= {"mqtt_broker": f"127.0.0.1:{external}", "mqtt_token": SecretStr(tokens["sensor"])}
        else:
            update |= {"mqtt_port": broker_port}
        app.state.settings = app.state.settings.model_copy(update=update)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=http_port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_until(lambda: server.started)
        wait_for_port(broker_port)
        root = f"http://127.0.0.1:{http_port}/v1.1"
        try:
            with httpx.Client(base_url=root, headers={"Authorization": f"Bearer {tokens['operator']}"}) as c:
                made = c.post("/Things", json=station_body("Nongzhanguan", 116.461, 39.937)).json()
                ds = c.get(f"/Things({made['@iot.id']})/Datastreams").json()["value"][0]["@iot.id"]
            yield MqttServer(root, broker_port, tokens, ds, app, mode)
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            engine.dispose()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(
    scope="module",
    params=[
        "embedded-sqlite",
        "mosquitto-sqlite",
        pytest.param("mosquitto-postgresql", marks=pytest.mark.postgres),
    ],
)
def mqtt_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MqttServer]:
    mode, store = request.param.split("-")
    tmp = tmp_path_factory.mktemp("mqtt")
    if store == "sqlite":
        yield from _serve(f"sqlite:///{tmp / 'mqtt.db'}", mode, tmp)
        return
    pg = postgres_url()
    if not pg:
        pytest.skip("no PostgreSQL configured (set ZHICHENG_TEST_PG_URL; .ci/run does)")
    with postgres_database(pg, f"zm_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}") as db:
        yield from _serve(db, mode, tmp)


def _password(server: MqttServer, role: str = "sensor") -> str | None:
    # The embedded broker logs clients in with their token; this mosquitto is open (its own ACLs
    # would decide) and the bridge writes with its configured sensor token.
    return server.tokens[role] if server.mode == "embedded" else None


def _count(server: MqttServer, expr: str) -> int:
    r = httpx.get(f"{server.root}/Datastreams({server.datastream})/Observations", params={"$filter": expr, "$count": "true", "$top": 0})
    return int(r.json()["@iot.count"])


def test_root_declares_mqtt_with_its_endpoint(mqtt_server: MqttServer) -> None:
    settings = httpx.get(mqtt_server.root).json()["serverSettings"]
    creation = "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation"
    assert creation in settings["conformance"]
    assert settings[creation]["endpoints"] == [f"mqtt://127.0.0.1:{mqtt_server.mqtt_port}"]


def test_a7_publish_creates_observations_none_lost_at_qos1(mqtt_server: MqttServer) -> None:
    # Req create-observations-via-mqtt/observation-creation: publish to Datastreams(id)/Observations.
    device = Client(mqtt_server.mqtt_port, _password(mqtt_server))
    n = 300
    infos = [
        device.publish(
            f"v1.1/Datastreams({mqtt_server.datastream})/Observations",
            {"result": float(i), "phenomenonTime": f"2017-04-01T00:{i // 60:02d}:{i % 60:02d}Z"},
        )
        for i in range(n)
    ]
    for info in infos:
        info.wait_for_publish(20)
    # and to v1.1/Observations with the Datastream in the body
    device.publish("v1.1/Observations", {"result": -1, "phenomenonTime": "2017-04-02T00:00:00Z", "Datastream": {"@iot.id": mqtt_server.datastream}}).wait_for_publish(10)
    expr = "year(phenomenonTime) eq 2017 and month(phenomenonTime) eq 4"
    assert wait_until(lambda: _count(mqtt_server, expr) == n + 1), _count(mqtt_server, expr)
    results = httpx.get(
        f"{mqtt_server.root}/Datastreams({mqtt_server.datastream})/Observations",
        params={"$filter": "day(phenomenonTime) eq 1 and month(phenomenonTime) eq 4", "$orderby": "phenomenonTime", "$top": 1000, "$select": "result"},
    ).json()["value"]
    assert [o["result"] for o in results] == list(range(n))  # every message once, none lost
    device.close()
    with mqtt_server.app.state.engine.connect() as conn:
        audited = conn.execute(
            sa.select(sa.func.count()).select_from(audit_log).where(audit_log.c.method == "MQTT")
        ).scalar_one()
    assert audited >= 1


def test_a7_bad_messages_are_refused_and_stop_nothing(mqtt_server: MqttServer) -> None:
    device = Client(mqtt_server.mqtt_port, _password(mqtt_server))
    topic = f"v1.1/Datastreams({mqtt_server.datastream})/Observations"
    device.publish(topic, {"result": 1, "phenomenonTime": "not a time"}).wait_for_publish(10)
    device.publish("v1.1/Datastreams(999999)/Observations", {"result": 1}).wait_for_publish(10)
    device.publish(topic, {"result": 2, "phenomenonTime": "2017-05-01T00:00:00Z"}).wait_for_publish(10)
    assert wait_until(lambda: _count(mqtt_server, "month(phenomenonTime) eq 5") == 1)
    device.close()


def test_a7_embedded_broker_checks_tokens_per_topic(mqtt_server: MqttServer) -> None:
    if mqtt_server.mode != "embedded":
        pytest.skip("the external broker's own ACLs decide who may publish")
    viewer = Client(mqtt_server.mqtt_port, mqtt_server.tokens["viewer"])
    viewer.publish(f"v1.1/Datastreams({mqtt_server.datastream})/Observations", {"result": 5, "phenomenonTime": "2017-06-01T00:00:00Z"}).wait_for_publish(10)
    # A device's message sent after the viewer's arrives: the viewer's was handled before it.
    device = Client(mqtt_server.mqtt_port, _password(mqtt_server))
    device.publish(f"v1.1/Datastreams({mqtt_server.datastream})/Observations",
                   {"result": 6, "phenomenonTime": "2015-06-01T00:00:00Z"}).wait_for_publish(10)
    assert wait_until(lambda: _count(mqtt_server, "year(phenomenonTime) eq 2015") == 1)
    device.close()
    assert _count(mqtt_server, "year(phenomenonTime) eq 2017 and month(phenomenonTime) eq 6") == 0  # a viewer may not write
    viewer.close()
    stranger = Client(mqtt_server.mqtt_port, "zc_not-a-token")
    assert stranger.refused  # an unknown token is turned away at CONNECT
    stranger.close()


def test_a8_subscribers_receive_created_and_updated_entities(mqtt_server: MqttServer) -> None:
    # Req receive-updates-via-mqtt: collection, entity, navigation and $select topics.
    ds = mqtt_server.datastream
    watcher = Client(mqtt_server.mqtt_port, _password(mqtt_server, "viewer"))
    watcher.subscribe(f"v1.1/Datastreams({ds})/Observations")
    watcher.subscribe("v1.1/Things")
    selected = Client(mqtt_server.mqtt_port, _password(mqtt_server, "viewer"))
    if mqtt_server.mode == "embedded":
        selected.subscribe("v1.1/Observations?$select=result")
    with httpx.Client(base_url=mqtt_server.root, headers={"Authorization": f"Bearer {mqtt_server.tokens['operator']}"}) as c:
        made = c.post(f"/Datastreams({ds})/Observations", json={"result": 12.5, "phenomenonTime": "2017-07-01T00:00:00Z"})
        assert made.status_code == 201
        thing = c.post("/Things", json={"name": "Watched", "description": "d"}).json()
        entity = Client(mqtt_server.mqtt_port, _password(mqtt_server, "viewer"))
        entity.subscribe(f"v1.1/Things({thing['@iot.id']})")
        c.patch(f"/Things({thing['@iot.id']})", json={"description": "changed"})
    got = watcher.wait_for(2)
    by_topic = {t: body for t, body in got}
    obs = by_topic[f"v1.1/Datastreams({ds})/Observations"]
    assert obs["result"] == 12.5 and obs["@iot.id"] == made.json()["@iot.id"]
    assert by_topic["v1.1/Things"]["name"] == "Watched"
    changed = entity.wait_for(1)
    assert changed and changed[0][1]["description"] == "changed"
    if mqtt_server.mode == "embedded":
        (topic, body), *_ = selected.wait_for(1)
        assert topic == "v1.1/Observations?$select=result" and body == {"result": 12.5}
    for client in (watcher, selected, entity):
        client.close()


def test_a7_a_bound_sensor_writes_only_its_own_datastreams(mqtt_server: MqttServer) -> None:
    # Object-level authorization over MQTT: the same rule as HTTP (zhicheng.sensing.access).
    if mqtt_server.mode != "embedded":
        pytest.skip("the external broker's own ACLs decide who may publish")
    engine = mqtt_server.app.state.engine
    with httpx.Client(base_url=mqtt_server.root, headers={"Authorization": f"Bearer {mqtt_server.tokens['operator']}"}) as c:
        other = c.post("/Things", json=station_body("Dingling", 116.22, 40.29)).json()["@iot.id"]
        other_ds = c.get(f"/Things({other})/Datastreams").json()["value"][0]["@iot.id"]
        own = c.get(f"/Datastreams({mqtt_server.datastream})/Thing").json()["@iot.id"]
    device = Client(mqtt_server.mqtt_port, create_token(engine, "sensor", "Nongzhanguan only", things=[own]))
    device.publish(f"v1.1/Datastreams({other_ds})/Observations", {"result": 7, "phenomenonTime": "2031-07-01T00:00:00Z"}).wait_for_publish(10)
    device.publish(f"v1.1/Datastreams({mqtt_server.datastream})/Observations", {"result": 8, "phenomenonTime": "2031-07-01T01:00:00Z"}).wait_for_publish(10)
    assert wait_until(lambda: _count(mqtt_server, "year(phenomenonTime) eq 2031") == 1)
    # The allowed message was sent after the refused one and has arrived: the refusal is settled.
    others = httpx.get(f"{mqtt_server.root}/Datastreams({other_ds})/Observations", params={"$count": "true", "$top": 0}).json()
    assert others["@iot.count"] == 0
    device.close()
