"""Limits of issue 14's findings 3, 4 and 7: every one a setting, each attack refused, none a 500.

Chunked bodies past the size limit, JSON nested 300 and 1000 deep, oversized ``properties``,
``$expand`` chains that would return millions of entities, ``$top`` past its cap, request floods
per token and per address (X-Forwarded-For believed only from a trusted proxy), Open311 posts per
``api_key``, a NUL in a static path and a lone surrogate in SensorThings JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.sta_helpers import auth, station_body
from zhicheng.api import create_app
from zhicheng.api.limits import client_address
from zhicheng.auth import create_token
from zhicheng.settings import Settings
from zhicheng.store import schema_sensing as s


def _client(tmp_path: Path, **settings: Any) -> TestClient:
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", settings=Settings(**settings))
    c = TestClient(app)
    c.tokens = {r: create_token(app.state.engine, r, f"limits-{r}") for r in ("admin", "operator", "sensor")}  # type: ignore[attr-defined]
    return c


@pytest.fixture()
def small(tmp_path: Path) -> Iterator[TestClient]:
    """A server with small limits (so the tests send little)."""
    with _client(tmp_path, max_body_bytes=4096, max_expanded_entities=25, rate_per_client=0, rate_per_token=0) as c:
        yield c


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_chunked_body_past_the_limit_is_refused_unread(small: TestClient) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(1000):  # 1 MiB if it were all read
            sent += 1
            yield b"x" * 1024

    r = small.post("/v1.1/Things", content=chunks(), headers={**auth(small.tokens["admin"]), "content-type": "application/json"})  # type: ignore[attr-defined]
    assert r.status_code == 413 and "4096 bytes" in r.json()["error"]["message"]
    assert "content-length" not in {k.lower() for k in r.request.headers}  # it was chunked
    declared = small.post("/v1.1/Things", content=b"{}", headers={"content-length": "999999"})
    assert declared.status_code == 413
    fine = small.post("/v1.1/Things", json={"name": "t", "description": "d"}, headers=auth(small.tokens["admin"]))  # type: ignore[attr-defined]
    assert fine.status_code == 201


@pytest.mark.parametrize("depth", [300, 1000])
def test_deep_json_is_refused_at_write_and_the_collection_still_reads(client: TestClient, depth: int) -> None:
    admin = auth(client.tokens["admin"])  # type: ignore[attr-defined]
    made = client.post("/v1.1/Things", json={"name": "t", "description": "d"}, headers=admin)
    thing = made.json()["@iot.id"]
    deep = '{"a":' * depth + "1" + "}" * depth  # as text: the client's own encoder stops at ~1000
    body = f'{{"name": "deep", "description": "d", "properties": {deep}}}'.encode()
    json_type = {**admin, "content-type": "application/json"}
    r = client.post("/v1.1/Things", content=body, headers=json_type)
    message = r.json()["error"]["message"]
    # 300 levels: the field is named; 1000: past what a parser follows, the body as a whole.
    assert r.status_code == 400 and "nested deeper than 32" in message
    assert message.startswith("body.properties" if depth == 300 else "body")
    patched = client.patch(f"/v1.1/Things({thing})", content=f'{{"properties": {deep}}}'.encode(), headers=json_type)
    assert patched.status_code == 400
    assert client.get(f"/v1.1/Things({thing})").json().get("properties") in (None, {})  # nothing saved
    assert client.get("/v1.1/Things").status_code == 200


def test_data_stored_deeper_than_the_limit_still_serializes(client: TestClient) -> None:
    # Rows written before the limit (here straight into the store) are served, never a 500.
    with client.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(s.sta_things.insert().values(name="old", description="d", properties=_nested(900)))
    r = client.get("/v1.1/Things")
    assert r.status_code == 200 and r.json()["value"][0]["name"] == "old"


def test_properties_and_parameters_are_bounded_in_size(small: TestClient) -> None:
    admin = auth(small.tokens["admin"])  # type: ignore[attr-defined]
    with TestClient(small.app) as c:
        c.app.state.settings = c.app.state.settings.model_copy(update={"max_properties_bytes": 100, "max_body_bytes": 10_000})  # type: ignore[attr-defined]
        r = c.post("/v1.1/Things", json={"name": "t", "description": "d", "properties": {"blob": "x" * 200}}, headers=admin)
        assert r.status_code == 400
        assert r.json()["error"]["message"].startswith("body.properties: ") and "100 allowed" in r.json()["error"]["message"]
        assert r.json()["error"]["problems"][0]["loc"] == ["body.properties"]


def _station_with_observations(c: TestClient, n: int) -> tuple[int, int]:
    admin = auth(c.tokens["admin"])  # type: ignore[attr-defined]
    thing = c.post("/v1.1/Things", json=station_body("Dongsi"), headers=admin).json()["@iot.id"]
    ds = c.get(f"/v1.1/Things({thing})/Datastreams").json()["value"][0]["@iot.id"]
    rows = [[f"2020-01-01T{h:02d}:00:00Z", float(h)] for h in range(n)]
    sent = c.post("/v1.1/CreateObservations", headers=admin, json=[
        {"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray": rows}])
    assert sent.status_code == 201
    return thing, ds


def test_expansions_are_bounded_in_depth_and_in_entities(small: TestClient) -> None:
    thing, ds = _station_with_observations(small, 24)
    deep = small.get("/v1.1/Things", params={"$expand": "Datastreams($expand=Observations($expand=FeatureOfInterest($expand=Observations)))"})
    assert deep.status_code == 400 and "at most 3 levels" in deep.json()["error"]["message"]
    # 25 expanded entities at most per answer. The Datastream's 24 Observations fit.
    fits = small.get(f"/v1.1/Datastreams({ds})", params={"$expand": "Observations"}).json()
    assert len(fits["Observations"]) == 24 and "Observations@iot.nextLink" not in fits
    small.post("/v1.1/CreateObservations", headers=auth(small.tokens["admin"]), json=[  # type: ignore[attr-defined]
        {"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"],
         "dataArray": [[f"2020-01-02T{h:02d}:00:00Z", 1.0] for h in range(10)]}])
    # 34 do not: the expansion is cut at 25 with a nextLink (server-driven paging) ...
    cut = small.get(f"/v1.1/Things({thing})", params={"$expand": "Datastreams($expand=Observations($top=30))"})
    assert cut.status_code == 200
    stream = cut.json()["Datastreams"][0]
    assert len(stream["Observations"]) == 25 and "Observations@iot.nextLink" in stream
    rest = small.get(stream["Observations@iot.nextLink"]).json()
    assert len(rest["value"]) == 34 - 25  # the rest, on the next page
    # ... and an answer that would need ever more (the finding: 118.6 MB) is refused.
    flood = small.get("/v1.1/Observations", params={"$top": 20, "$expand": "FeatureOfInterest($expand=Observations($top=1000))"})
    assert flood.status_code == 400 and "expanded entities" in flood.json()["error"]["message"]


def test_top_is_capped(tmp_path: Path) -> None:
    with _client(tmp_path, max_top=50) as c:
        assert c.get("/v1.1/Things", params={"$top": 51}).status_code == 400
        assert c.get("/v1.1/Things", params={"$expand": "Datastreams($top=51)"}).status_code == 400
        assert c.get("/v1.1/Things", params={"$top": 50}).status_code == 200


def test_rate_limits_per_token_and_per_address(tmp_path: Path) -> None:
    with _client(tmp_path, rate_per_client=1, rate_per_token=1) as c:
        # A burst of twice the rate, then 429 with Retry-After; a spoofed X-Forwarded-For changes nothing.
        answers = [c.get("/healthz", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(3)]
        assert answers == [200, 200, 429]
        refused = c.get("/healthz")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        token = auth(c.tokens["operator"])  # type: ignore[attr-defined]
        assert [c.get("/healthz", headers=token).status_code for _ in range(3)] == [200, 200, 429]
        other = auth(c.tokens["sensor"])  # type: ignore[attr-defined]
        assert c.get("/healthz", headers=other).status_code == 200  # each token its own bucket


def _scope(peer: str, forwarded: str | None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (peer, 5000), "headers": headers}


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    assert client_address(_scope("127.0.0.1", "203.0.113.9"), None) == "127.0.0.1"
    assert client_address(_scope("198.51.100.7", "203.0.113.9"), "127.0.0.1") == "198.51.100.7"
    assert client_address(_scope("127.0.0.1", "203.0.113.9"), "127.0.0.1") == "203.0.113.9"
    # The client may prepend anything; the last hop before the trusted proxies is the address.
    assert client_address(_scope("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1"), "10.0.0.0/8") == "203.0.113.9"


def test_open311_posts_are_limited_per_api_key(tmp_path: Path) -> None:
    with _client(tmp_path, open311_posts_per_hour=3) as c:
        key = c.tokens["operator"]  # type: ignore[attr-defined]
        form = {"api_key": key, "service_code": "noise", "lat": "39.9", "long": "116.4", "description": "loud"}
        answers = [c.post("/open311/v2/requests.json", data=form).status_code for _ in range(4)]
        assert answers[:3] == [201, 201, 201] or answers[:3] == [200, 200, 200]
        assert answers[3] == 429


def test_nul_in_a_static_path_and_a_lone_surrogate_are_not_500(client: TestClient) -> None:
    assert client.get("/static/%00..").status_code in (400, 404)
    assert client.get("/static/js/%00app.js").status_code in (400, 404)
    body = b'{"name": "\\ud800", "description": "d"}'
    r = client.post("/v1.1/Things", content=body, headers={**auth(client.tokens["admin"]), "content-type": "application/json"})  # type: ignore[attr-defined]
    assert r.status_code == 400 and "U+D800" in r.json()["error"]["message"] and "body.name" in r.json()["error"]["message"]
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(s.sta_things)).scalar() == 0
