"""Secrets never written down (issue 14, finding 6): the audit log and the server's log lines."""

from __future__ import annotations

import base64
import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.sta_helpers import auth, station_body
from zhicheng.auth import redact
from zhicheng.store.schema_api import audit_log


def _details(client: TestClient) -> list[str]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return [d or "" for d in conn.execute(sa.select(audit_log.c.detail)).scalars()]


def test_api_key_in_the_query_is_redacted_in_the_audit_log(client: TestClient) -> None:
    key = client.tokens["operator"]  # type: ignore[attr-defined]
    r = client.post(f"/open311/v2/requests.json?api_key={key}&x=1",
                    data={"service_code": "noise", "lat": "39.9", "long": "116.4", "description": "loud"})
    assert r.status_code < 500  # audited whatever the answer
    admin = client.tokens["admin"]  # type: ignore[attr-defined]
    made = client.post(f"/v1.1/Things?token={admin}", json=station_body("Dongsi"), headers=auth(admin))
    assert made.status_code == 201
    ds = client.get("/v1.1/Datastreams").json()["value"][0]["@iot.id"]
    # The one-reading fast path writes its audit row in its own transaction: redacted there too.
    client.post(f"/v1.1/Datastreams({ds})/Observations?api_key={admin}", json={"result": 1}, headers=auth(admin))
    details = _details(client)
    assert len(details) >= 3
    assert not any(key in d or admin in d for d in details)
    assert sum("api_key=[redacted]" in d for d in details) == 2 and any("token=[redacted]" in d for d in details)
    assert any("x=1" in d for d in details)  # the rest of the query is kept


@pytest.mark.parametrize(("text", "kept"), [
    ("GET /x?api_key=zc_abcdefghijklmnopqrstu&a=1", "a=1"),
    ("Authorization: Bearer zc_abcdefghijklmnopqrstu", "Authorization:"),
    ("Authorization: Basic " + base64.b64encode(b"dev:zc_abcdefghijklmnopqrstu").decode(), "Authorization:"),
    ("password=hunter2&user=me", "user=me"),
    ('{"api_key": "zc_abcdefghijklmnopqrstu", "n": 1}', '"n": 1'),
    ("mqtt://bridge:s3cret@broker:1883", "mqtt://bridge:"),
    ("lone zc_abcdefghijklmnopqrstuvwxyz token", "lone"),
])
def test_redact_finds_every_form(text: str, kept: str) -> None:
    out = redact(text)
    assert "zc_abcdefghijklmnopqrstu" not in out and "hunter2" not in out and "s3cret" not in out
    assert kept in out and "[redacted]" in out


def test_server_log_lines_are_redacted(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    token = client.tokens["admin"]  # type: ignore[attr-defined]
    access = logging.getLogger("uvicorn.access")  # uvicorn may have stopped its propagation
    access.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, "uvicorn.access"):
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET",
                                                 f"/open311/v2/requests.json?api_key={token}", "1.1", 200)
        logging.getLogger("zhicheng.test").warning("refused Authorization: Bearer %s", token)
    access.removeHandler(caplog.handler)
    assert caplog.records and token not in caplog.text
    assert "api_key=[redacted]" in caplog.text and "Bearer [redacted]" in caplog.text
