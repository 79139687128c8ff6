"""A live server per conformance module, on SQLite and on PostgreSQL (PostGIS), with a small
synthetic city seeded over HTTP: two stations with Locations, Datastreams and Observations.

The data are synthetic (made for these checks), not measurements.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import postgres_database, postgres_url
from tests.support.sta import station_body
from zhicheng.api import create_app
from zhicheng.auth import create_token


@dataclass
class Sta:
    """A running server with its SensorThings root, tokens and what the seed created."""

    url: str
    root: str
    app: Any
    tokens: dict[str, str]
    ids: dict[str, Any] = field(default_factory=dict)

    def basic(self, role: str = "device_manager") -> dict[str, str]:
        """HTTP Basic header: any user name, the token as password."""
        raw = base64.b64encode(f"{role}-device:{self.tokens[role]}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}

    def http(self, role: str | None = "device_manager") -> httpx.Client:
        """An HTTP client on the service root (Basic auth with ``role``'s token, or none)."""
        headers = self.basic(role) if role else {}
        return httpx.Client(base_url=self.root, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str) -> tuple[uvicorn.Server, threading.Thread, Any, int]:
    """The app on ``db_url`` served by uvicorn on a free port (in a thread)."""
    app = create_app(db_url)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    return server, thread, app, port


def seed(sta: Sta) -> None:
    """Two stations; hourly PM2.5 on 2017-02-01 at Dongsi, one interval reading, a polygon feature."""
    with sta.http() as c:
        dongsi = c.post("/Things", json=station_body("Dongsi", 116.417, 39.929, ("PM2.5", "CO")))
        tiantan = c.post("/Things", json=station_body("Tiantan", 116.407, 39.886, ("PM2.5",)))
        assert dongsi.status_code == 201 and tiantan.status_code == 201, dongsi.text
        sta.ids["dongsi"], sta.ids["tiantan"] = dongsi.json()["@iot.id"], tiantan.json()["@iot.id"]
        ds = {
            d["name"]: d["@iot.id"]
            for d in c.get("/Datastreams", params={"$select": "id,name"}).json()["value"]
        }
        sta.ids["ds"] = ds
        rows = [[f"2017-02-01T{h:02d}:00:00Z", float(10 * h)] for h in range(12)]
        made = c.post(
            "/CreateObservations",
            json=[
                {
                    "Datastream": {"@iot.id": ds["Dongsi PM2.5"]},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": rows,
                }
            ],
        )
        assert made.status_code == 201, made.text
        interval = c.post(
            "/Observations",
            json={
                "result": 7.5,
                "phenomenonTime": "2017-02-02T00:00:00Z/2017-02-02T06:00:00Z",
                "Datastream": {"@iot.id": ds["Tiantan PM2.5"]},
            },
        )
        assert interval.status_code == 201, interval.text
        sta.ids["interval_obs"] = interval.json()["@iot.id"]
        park = c.post(
            "/FeaturesOfInterest",
            json={
                "name": "Temple of Heaven park",
                "description": "park outline (simplified square)",
                "encodingType": "application/geo+json",
                "feature": {
                    "type": "Polygon",
                    "coordinates": [
                        [[116.40, 39.87], [116.42, 39.87], [116.42, 39.89], [116.40, 39.89], [116.40, 39.87]]
                    ],
                },
            },
        )
        assert park.status_code == 201, park.text
        sta.ids["park"] = park.json()["@iot.id"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sta(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sta]:
    """A live server with the seed, on each store."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sta') / 'sta.db'}"
        yield from _serve(url)
        return
    pg = postgres_url()
    if not pg:
        pytest.skip("no PostgreSQL configured (set ZHICHENG_TEST_PG_URL; .ci/run does)")
    name = f"zc_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    with postgres_database(pg, name) as db:
        yield from _serve(db)


def _serve(db_url: str) -> Iterator[Sta]:
    server, thread, app, port = start_server(db_url)
    try:
        engine = app.state.engine
        roles = ("admin", "operator", "device_manager", "sensor", "viewer")
        tokens = {r: create_token(engine, r, f"conformance-{r}") for r in roles}
        sta = Sta(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/v1.1", app, tokens)
        seed(sta)
        yield sta
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        app.state.engine.dispose()
