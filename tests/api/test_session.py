"""Cockpit sign-in: a token for an HTTP-only SameSite=Strict cookie, CSRF on cookie-borne writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from zhicheng.api import create_app
from zhicheng.auth import SESSION_COOKIE, revoke_token
from zhicheng.settings import Settings
from zhicheng.store.schema_api import sessions

RULE = {"name": "PM2.5 > 75", "kind": "threshold", "observed_property": "PM2.5", "threshold": 75}


def test_anonymous_session_answer_never_401(client: TestClient) -> None:
    answer = client.get("/api/session")
    assert answer.status_code == 200
    body = answer.json()
    assert body["authenticated"] is False and body["csrf"] is None
    assert body["open_reads"] is True and body["time_zone"] == "Asia/Shanghai"
    # a bad bearer token is not a 401 here either (the page asks to sign in)
    assert client.get("/api/session", headers={"Authorization": "Bearer nope"}).json()["authenticated"] is False


def test_sign_in_sets_an_http_only_strict_cookie_and_reads_ride_it(client: TestClient) -> None:
    token = client.tokens["viewer"]  # type: ignore[attr-defined]
    signed = client.post("/api/session", json={"token": token})
    assert signed.status_code == 201
    header = signed.headers["set-cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in header and "SameSite=strict" in header and "Max-Age=28800" in header
    assert token not in header  # the cookie is a session of its own, not the token
    body = signed.json()
    assert body["authenticated"] and body["role"] == "viewer" and body["via"] == "cookie" and body["csrf"]
    # events need a reader role: the cookie carries it
    assert client.get("/api/events").status_code == 200
    again = client.get("/api/session").json()
    assert again["csrf"] == body["csrf"] and again["name"] == "test-viewer"


def test_writes_riding_the_cookie_need_the_csrf_header(client: TestClient) -> None:
    body = client.post("/api/session", json={"token": client.tokens["operator"]}).json()  # type: ignore[attr-defined]
    refused = client.post("/api/alerts/rules", json=RULE)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    wrong = client.post("/api/alerts/rules", json=RULE, headers={"X-CSRF-Token": "x" + body["csrf"]})
    assert wrong.status_code == 403
    made = client.post("/api/alerts/rules", json=RULE, headers={"X-CSRF-Token": body["csrf"]})
    assert made.status_code == 201 and made.json()["created_by"] == "test-operator"


def test_bearer_tokens_keep_working_without_cookie_or_csrf(client: TestClient) -> None:
    token = client.tokens["operator"]  # type: ignore[attr-defined]
    made = client.post("/api/alerts/rules", json=RULE, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201


def test_sign_out_needs_csrf_and_ends_the_session(client: TestClient) -> None:
    body = client.post("/api/session", json={"token": client.tokens["viewer"]}).json()  # type: ignore[attr-defined]
    cookie = client.cookies.get(SESSION_COOKIE)
    assert client.delete("/api/session").status_code == 403
    assert client.delete("/api/session", headers={"X-CSRF-Token": body["csrf"]}).status_code == 204
    client.cookies.set(SESSION_COOKIE, cookie)  # a copied cookie no longer works either
    assert client.get("/api/session").json()["authenticated"] is False
    assert client.get("/api/events").status_code == 401


def test_a_bad_token_does_not_sign_in(client: TestClient) -> None:
    refused = client.post("/api/session", json={"token": "zc_wrong"})
    assert refused.status_code == 401
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


def test_sessions_expire_and_die_with_their_token(tmp_path: object) -> None:
    app = create_app(f"sqlite:///{tmp_path}/s.db", settings=Settings(session_hours=0.5))  # type: ignore[str-bytes-safe]
    engine = app.state.engine
    from zhicheng.auth import create_token, list_tokens

    with TestClient(app) as c:
        token = create_token(engine, "viewer", "wall")
        answer = c.post("/api/session", json={"token": token})
        assert "Max-Age=1800" in answer.headers["set-cookie"]
        expires = datetime.fromisoformat(answer.json()["expires_at"])
        assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)
        # the session's end has passed: refused at once (the store is the truth, not the cookie)
        with engine.begin() as conn:
            conn.execute(sa.update(sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        from zhicheng import auth

        auth._session_cache.clear()
        assert c.get("/api/session").json()["authenticated"] is False
        # a fresh session ends when its token is revoked
        c.post("/api/session", json={"token": token})
        assert c.get("/api/session").json()["authenticated"] is True
        revoke_token(engine, next(t["id"] for t in list_tokens(engine) if t["name"] == "wall"))
        assert c.get("/api/session").json()["authenticated"] is False
    engine.dispose()
