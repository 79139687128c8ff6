"""A real server per test: the app on a real store, reached over HTTP by a real client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi.testclient import TestClient

from zhicheng.api import create_app
from zhicheng.auth import create_token


@dataclass(frozen=True)
class Server:
    """A running server: its base URL, its store engine and tokens for each role."""

    url: str
    app: object
    tokens: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(app: object) -> dict[str, str]:
    engine = app.state.engine  # type: ignore[attr-defined]
    roles = ("admin", "analyst", "operator", "device_manager", "sensor", "viewer", "reviewer")
    return {r: create_token(engine, r, f"test-{r}") for r in roles}


@pytest.fixture()
def client(db_url: str) -> Iterator[TestClient]:
    """An in-process client on a fresh store; ``client.tokens`` maps role → token."""
    app = create_app(db_url)
    with TestClient(app) as c:
        c.tokens = _tokens(app)  # type: ignore[attr-defined]
        yield c
    app.state.engine.dispose()


@pytest.fixture()
def live_server(tmp_path: object) -> Iterator[Server]:
    """A real uvicorn server on a free port over a SQLite file, for real HTTP clients."""
    app = create_app(f"sqlite:///{tmp_path}/live.db")  # type: ignore[str-bytes-safe]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield Server(url=f"http://127.0.0.1:{port}", app=app, tokens=_tokens(app))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
