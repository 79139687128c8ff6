"""Wiring between capabilities that the server switches on.

- Sensor alerts open city events (:mod:`zhicheng.workspace.alerts`): the store an alert belongs
  to travels with the request in a context variable set by :class:`AlertStoreMiddleware`.
- The cockpit's read models are warmed in a background thread at start-up, so the first visit
  finds the routes resolved, the static files compressed and the overview and the map computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.routing import NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng.workspace.alerts import ALERT_STORE, register_hook

log = logging.getLogger(__name__)

#: How long shutting down waits for a running cache warm-up [s].
WARM_JOIN_S = 10.0


class AlertStoreMiddleware:
    """Makes the app's store the one alerts of this request open their events in."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with the store set for the alert hook."""
        token = ALERT_STORE.set(self.engine)
        try:
            await self.app(scope, receive, send)
        finally:
            ALERT_STORE.reset(token)


def warm_report_cache(app: FastAPI) -> threading.Thread:
    """Compute the cockpit's default answers in a background thread; returns the thread."""
    from zhicheng.api.routers.cockpit import pack_static
    from zhicheng.workspace.services import report_service

    engine = app.state.engine
    service = getattr(app.state, "report_service", None)
    if service is None or service.engine is not engine:
        service = report_service(engine)
        app.state.report_service = service

    def warm() -> None:
        try:
            build_routes(app)
            pack_static(app.state.settings.basemap)
            service.warm()
        except Exception:  # the request that needs the answer reports any problem itself
            log.debug("report cache warm-up failed", exc_info=True)

    thread = threading.Thread(target=warm, name="zhicheng-warm-reports", daemon=True)
    thread.start()
    app.state.warm_thread = thread
    return thread


def build_routes(app: FastAPI) -> None:
    """Resolve every route of ``app`` now rather than on the first request that reaches it.

    FastAPI builds an included router's routes (dependencies, models) the first time a request
    or a URL lookup walks them: 0.2–0.5 s of the first visitor's time. Looking up a name that no
    route has walks them all.
    """
    with contextlib.suppress(NoMatchFound):
        app.url_path_for("\x00")


def install(app: FastAPI) -> None:
    """Wire ``app``: sensor alerts open events in its store; the report cache warms at start-up."""
    register_hook()
    app.add_middleware(AlertStoreMiddleware, engine=app.state.engine)
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        warm_report_cache(app)
        try:
            async with previous(asgi_app) as state:
                yield state
        finally:
            watching = getattr(app.state, "change_watcher", None)
            if watching is not None:
                await watching.stop()  # the live streams' shared watcher
            await asyncio.to_thread(_join_warm, app)
            jobs = getattr(app.state, "report_jobs", None)
            if jobs is not None:  # the report worker finishes what it renders, then stops
                await asyncio.to_thread(jobs.close)

    app.router.lifespan_context = lifespan


def _join_warm(app: FastAPI) -> None:
    """Let a running warm-up finish before the store is closed (a few seconds at most)."""
    thread: threading.Thread | None = getattr(app.state, "warm_thread", None)
    if thread is not None:
        thread.join(timeout=WARM_JOIN_S)
