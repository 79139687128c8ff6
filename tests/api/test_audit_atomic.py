"""The audit row is written in the transaction of the change it records (issue 14, finding 8).

Stored change ⇔ stored audit row: a write that commits has its row (with the answer's status), a
write whose commit fails leaves neither change nor a "committed" row, only the failure's.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.sta_helpers import auth, station_body
from zhicheng.store import schema_sensing as s
from zhicheng.store.schema_api import audit_log


def _audit(client: TestClient) -> list[tuple[str, str, int]]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(audit_log.c.method, audit_log.c.path, audit_log.c.status).order_by(audit_log.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _things(client: TestClient) -> int:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.select(sa.func.count()).select_from(s.sta_things)).scalar_one())


def test_a_committed_write_has_its_row_with_the_answers_status(client: TestClient) -> None:
    admin = auth(client.tokens["admin"])  # type: ignore[attr-defined]
    assert client.post("/v1.1/Things", json=station_body("Dongsi"), headers=admin).status_code == 201
    key = client.tokens["operator"]  # type: ignore[attr-defined]
    made = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "noise", "lat": "39.9",
                                                          "long": "116.4", "description": "loud"})
    assert made.status_code == 200
    refused = client.delete("/v1.1/Things(1)", headers=auth(client.tokens["viewer"]))  # type: ignore[attr-defined]
    assert refused.status_code == 403
    assert _audit(client) == [("POST", "/v1.1/Things", 201), ("POST", "/open311/v2/requests.json", 200),
                              ("DELETE", "/v1.1/Things(1)", 403)]


def test_a_commit_that_fails_leaves_no_change_and_no_committed_row(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]

    failures = [RuntimeError("disk full")]

    def fail(_conn: sa.Connection) -> None:  # after the audit hook: the change's commit fails (once)
        if failures:
            raise failures.pop()

    sa.event.listen(engine, "commit", fail)
    try:
        with pytest.raises(RuntimeError):
            client.post("/v1.1/Things", json=station_body("Dongsi"), headers=auth(client.tokens["admin"]))  # type: ignore[attr-defined]
    finally:
        sa.event.remove(engine, "commit", fail)
    assert _things(client) == 0
    assert _audit(client) == [("POST", "/v1.1/Things", 500)]
