"""Helpers of the browser tests: a uvicorn thread per store, screenshots, readiness."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine

from zhicheng.api import create_app
from zhicheng.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "cockpit" / "artifacts"  # git-ignored
@dataclass
class LiveServer:
    """A running server: its base URL and its store."""

    url: str
    engine: Engine
    built: dict[str, Any] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(engine: Engine, settings: Settings | None = None) -> Iterator[str]:
    """Run the app on ``engine`` in a uvicorn thread; yields its base URL."""
    app = create_app(engine, settings=settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under ``tests/cockpit/artifacts/`` (a test artefact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_ready(page: Any) -> None:
    """Wait until the page's data is loaded, every chart has rendered and the live panel is filled."""
    # (a function, not an expression string: the page's CSP forbids the eval a string would need)
    # The overview's live panel fills in after its charts (body[data-panel] "0" until it has).
    page.wait_for_function("() => document.body.dataset.ready === '1' && document.body.dataset.panel !== '0'",
                           timeout=15_000)


def sign_in(page: Any, base_url: str, token: str) -> dict[str, Any]:
    """Sign the page's browser context in (POST /api/session sets the session cookie there)."""
    response = page.request.post(base_url + "/api/session", data={"token": token})
    assert response.status == 201, response.text()
    answer: dict[str, Any] = response.json()
    return answer
