"""Tokens, roles, audit log, JSON errors and size limits of the server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from zhicheng.auth import hash_token, list_tokens, revoke_token
from zhicheng.cli import app as cli_app
from zhicheng.store.schema_api import api_tokens, audit_log


def test_healthz_and_openapi(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["store"] in {"sqlite", "postgresql"}
    schema = client.get("/openapi.json").json()
    assert "/healthz" in schema["paths"]


def test_tokens_are_stored_only_as_hashes(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = client.tokens["admin"]  # type: ignore[attr-defined]
    with engine.connect() as conn:
        hashes = set(conn.execute(sa.select(api_tokens.c.token_hash)).scalars())
    assert hash_token(token) in hashes and token not in hashes
    assert all("token_hash" not in t for t in list_tokens(engine))


def test_revoked_token_is_refused(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = client.tokens["viewer"]  # type: ignore[attr-defined]
    ok = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    viewer = next(t for t in list_tokens(engine) if t["role"] == "viewer")
    revoke_token(engine, int(viewer["id"]))  # type: ignore[call-overload]
    assert ok.json() == {"name": "test-viewer", "role": "viewer", "department": None}
    refused = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "unknown or revoked token"


def test_malformed_authorization_and_oversized_body(client: TestClient) -> None:
    r = client.get("/api/whoami", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
    big = client.post("/healthz", content=b"x" * 10, headers={"content-length": str(17 * 1024 * 1024)})
    assert big.status_code == 413


def test_writes_are_audited(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    client.post("/healthz", headers={"Authorization": f"Bearer {client.tokens['operator']}"})  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log)).mappings().all()
    assert [(r["actor"], r["method"], r["path"], r["status"]) for r in rows] == [
        ("test-operator", "POST", "/healthz", 405)
    ]


def test_token_cli_create_list_revoke(tmp_path: object) -> None:
    db = f"{tmp_path}/cli.db"
    runner = CliRunner()
    made = runner.invoke(cli_app, ["token", "create", "--role", "sensor", "--name", "station-1", "--db", db])
    assert made.exit_code == 0 and made.stdout.strip().startswith("zc_")
    listed = runner.invoke(cli_app, ["token", "list", "--db", db])
    assert "station-1" in listed.stdout and made.stdout.strip() not in listed.stdout
    bad = runner.invoke(cli_app, ["token", "create", "--role", "mayor", "--name", "x", "--db", db])
    assert bad.exit_code == 2 and "unknown role" in bad.stderr
    assert runner.invoke(cli_app, ["token", "revoke", "1", "--db", db]).exit_code == 0
    again = runner.invoke(cli_app, ["token", "revoke", "1", "--db", db])
    assert again.exit_code == 2 and "no active token" in again.stderr


def test_revocation_by_another_process_takes_effect_within_the_cache_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from zhicheng import auth as security

    clock = [1000.0]  # the token cache's clock, moved by hand instead of waiting for it
    monkeypatch.setattr(security, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = client.tokens["analyst"]  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/whoami", headers=headers).status_code == 200
    with engine.begin() as conn:  # what `zhicheng token revoke` does from another process
        conn.execute(api_tokens.update().where(api_tokens.c.token_hash == hash_token(token))
                     .values(revoked_at=sa.func.now()))
    clock[0] += security.TOKEN_CACHE_SECONDS / 2
    assert client.get("/api/whoami", headers=headers).status_code == 200  # still the cached lookup
    clock[0] += security.TOKEN_CACHE_SECONDS
    assert client.get("/api/whoami", headers=headers).status_code == 401


def test_bearer_token_reads_only_the_bearer_form() -> None:
    from zhicheng.auth import bearer_token

    assert bearer_token("Bearer zc_abc") == "zc_abc"
    assert bearer_token("bearer  zc_abc ") == "zc_abc"
    assert bearer_token("Basic zc_abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token("") is None
