"""Wiring between capabilities that the server (and the demo command) switch on.

- Sensor alerts open city events: every alert opened by an observation written through the
  server (``ON_ALERT_OPENED``) becomes an event of the service ``air-quality-alert`` with source
  ``sensor``, placed at the station's Location and carrying the alert's id as ``source_ref``.
  The alert hook is one process-wide list, so the store an alert belongs to travels with the
  request in a context variable set by :class:`AlertStoreMiddleware` (several apps on several
  stores in one process each open events in their own store).
- The cockpit's read models are warmed in a background thread at start-up, so the first visit
  finds the overview and the map computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng.sensing import alerts as alert_hooks
from zhicheng.store import schema_sensing as s

log = logging.getLogger(__name__)

#: The store of the request (or command) in which observations are being written.
_ALERT_STORE: ContextVar[Engine | None] = ContextVar("zhicheng_alert_store", default=None)
#: Open311 service of events opened from air-quality alerts (see events/services.yaml).
ALERT_SERVICE = "air-quality-alert"
#: How long shutting down waits for a running cache warm-up [s].
WARM_JOIN_S = 10.0


def alert_event(conn: sa.Connection, alert: dict[str, Any]) -> dict[str, Any]:
    """The event description of a sensor alert: station, place, pollutant, start and peak.

    ``alert`` is an alert as :func:`zhicheng.sensing.alerts.alert_json` gives it; the station
    (Thing), its Location and the ObservedProperty are read from the store.
    """
    d, t, op = s.sta_datastreams, s.sta_things, s.sta_observed_properties
    row = conn.execute(
        sa.select(t.c.id.label("thing_id"), t.c.name.label("thing"), t.c.properties, op.c.name.label("pollutant"))
        .select_from(d.join(t, t.c.id == d.c.thing_id).join(op, op.c.id == d.c.observed_property_id))
        .where(d.c.id == alert["datastream_id"])
    ).mappings().first()
    out: dict[str, Any] = {
        "id": alert.get("id"), "service_code": ALERT_SERVICE, "at": alert.get("start"),
        "message": f"{alert.get('message') or 'sensor alert'} (peak {alert.get('peak_value')} "
                   f"at {alert.get('peak_at')})",
    }
    if row is None:
        return out
    props = row["properties"] or {}
    out["station"] = str(props.get("name_zh") or row["thing"])
    out["pollutant"] = row["pollutant"]
    lon, lat = _thing_point(conn, int(row["thing_id"]))
    if lon is not None and lat is not None:
        out["lon"], out["lat"] = lon, lat
    return out


def _thing_point(conn: sa.Connection, thing_id: int) -> tuple[float | None, float | None]:
    """Longitude and latitude of the Thing's first GeoJSON Point Location."""
    tl, loc = s.sta_thing_locations, s.sta_locations
    rows = conn.execute(
        sa.select(loc.c.location).select_from(tl.join(loc, loc.c.id == tl.c.location_id))
        .where(tl.c.thing_id == thing_id).order_by(loc.c.id)
    ).scalars()
    for geometry in rows:
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) >= 2:
                return float(coords[0]), float(coords[1])
    return None, None


def open_event_for_alert(engine: Engine, alert: dict[str, Any]) -> int:
    """Open a city event (source ``sensor``) in ``engine``'s store from a sensor alert; its id."""
    from zhicheng.events import open_event_from_alert

    with engine.connect() as conn:
        described = alert_event(conn, alert)
    return open_event_from_alert(engine, described)


def _on_alert_opened(alert: dict[str, Any]) -> None:
    """The :data:`~zhicheng.sensing.alerts.ON_ALERT_OPENED` hook: an event in the alert's own store."""
    engine = _ALERT_STORE.get()
    if engine is None:
        log.debug("alert %s opened outside a wired request: no event opened", alert.get("id"))
        return
    open_event_for_alert(engine, alert)


def _register_hook() -> None:
    if _on_alert_opened not in alert_hooks.ON_ALERT_OPENED:
        alert_hooks.ON_ALERT_OPENED.append(_on_alert_opened)


class AlertStoreMiddleware:
    """Makes the app's store the one alerts of this request open their events in."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with the store set for the alert hook."""
        token = _ALERT_STORE.set(self.engine)
        try:
            await self.app(scope, receive, send)
        finally:
            _ALERT_STORE.reset(token)


@contextlib.contextmanager
def alert_events(engine: Engine) -> Iterator[None]:
    """Within the block, alerts fired in this thread open events in ``engine``'s store (commands)."""
    _register_hook()
    token = _ALERT_STORE.set(engine)
    try:
        yield
    finally:
        _ALERT_STORE.reset(token)


def warm_report_cache(app: FastAPI) -> threading.Thread:
    """Compute the cockpit's default answers in a background thread; returns the thread."""
    from zhicheng.report import ReportService
    from zhicheng.sensing.airlive import current_aqi

    engine = app.state.engine
    service = getattr(app.state, "report_service", None)
    if service is None or service.engine is not engine:
        service = ReportService(engine, air=current_aqi)
        app.state.report_service = service

    def warm() -> None:
        try:
            service.warm()
        except Exception:  # the request that needs the answer reports any problem itself
            log.debug("report cache warm-up failed", exc_info=True)

    thread = threading.Thread(target=warm, name="zhicheng-warm-reports", daemon=True)
    thread.start()
    app.state.warm_thread = thread
    return thread


def install(app: FastAPI) -> None:
    """Wire ``app``: sensor alerts open events in its store; the report cache warms at start-up."""
    _register_hook()
    app.add_middleware(AlertStoreMiddleware, engine=app.state.engine)
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        warm_report_cache(app)
        try:
            async with previous(asgi_app) as state:
                yield state
        finally:
            await asyncio.to_thread(_join_warm, app)

    app.router.lifespan_context = lifespan


def _join_warm(app: FastAPI) -> None:
    """Let a running warm-up finish before the store is closed (a few seconds at most)."""
    thread: threading.Thread | None = getattr(app.state, "warm_thread", None)
    if thread is not None:
        thread.join(timeout=WARM_JOIN_S)
