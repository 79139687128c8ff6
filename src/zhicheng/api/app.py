"""The FastAPI application: one router per resource, JSON errors, size limits, audit of writes."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng import __version__
from zhicheng.api.headers import SecurityHeadersMiddleware
from zhicheng.api.limits import InputGuardMiddleware, RateLimitMiddleware
from zhicheng.api.routers import ROUTERS
from zhicheng.auth import (
    ANONYMOUS,
    Principal,
    install_log_redaction,
    principal_for,
    redact,
    request_token,
)
from zhicheng.settings import Settings
from zhicheng.store import init_store
from zhicheng.store.schema_api import audit_log

#: Largest request body accepted by default [bytes] (the ``max_body_bytes`` setting); bigger get 413.
MAX_BODY_BYTES = Settings.model_fields["max_body_bytes"].default
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message, **extra}}, status_code=status)


def _audit_values(principal: Principal, request: Request, status: int) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC),
        "actor": principal.name,
        "role": principal.role,
        "method": request.method,
        "path": str(request.url.path)[:500],
        "status": status,
        "detail": redact(str(request.url.query))[:2000] or None,
    }


#: The write request being answered: its audit row goes into the first transaction it commits.
_PENDING: ContextVar[dict[str, Any] | None] = ContextVar("zhicheng_pending_audit", default=None)
#: The status an audit row written at commit holds until the answer's status replaces it.
COMMITTED = 200


def _audit_on_commit(conn: sa.Connection) -> None:
    """Engine ``commit`` hook: the request's audit row joins the transaction holding its change.

    So a change is never stored without its audit row (nor the other way round); the group
    writer of one-reading requests writes its own rows (``audit_in_group``).
    """
    pending = _PENDING.get()
    if pending is None or pending["id"] is not None:
        return
    request: Request = pending["request"]
    if getattr(request.state, "audit_in_group", False) or conn.engine is not request.app.state.engine:
        return
    pending["id"] = conn.execute(
        audit_log.insert().values(**_audit_values(_caller(request), request, COMMITTED))
    ).inserted_primary_key[0]  # type: ignore[index]


def _write_audit(engine: Engine, principal: Principal, request: Request, status: int, row_id: int | None) -> None:
    with engine.begin() as conn:
        if row_id is not None:  # written with the change: now the answer's status
            done = conn.execute(audit_log.update().where(audit_log.c.id == row_id).values(status=status))
            if done.rowcount == 1:
                return  # (0: that transaction failed at its commit, the row went with it)
        conn.execute(audit_log.insert().values(**_audit_values(principal, request, status)))


def _caller(request: Request) -> Principal:
    # Routes that checked the token left the caller on the request; others are looked up here,
    # so that even refused writes are attributed.
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    token = request_token(request.headers.get("authorization", ""))
    if token is not None:
        found = principal_for(request.app.state.engine, token)
        return found or Principal(name="invalid-token", role=None)
    return ANONYMOUS


class GuardMiddleware:
    """Records every write request in the audit log (refused ones included).

    A plain ASGI middleware (not ``BaseHTTPMiddleware``): it adds no task or stream wrapping
    per request, which keeps one-reading-per-request sensors fast.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the size, run the request, audit it when it writes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        if request.method not in WRITE_METHODS:
            await self.app(scope, receive, send_status)
            return
        pending: dict[str, Any] = {"request": request, "id": None}
        token = _PENDING.set(pending)
        try:
            await self.app(scope, receive, send_status)
        finally:
            _PENDING.reset(token)
            # A write that recorded its own audit row (in its transaction) says so on the request.
            audited = getattr(request.state, "audited", False)
            if not audited and (pending["id"] is None or status != COMMITTED):
                engine = request.app.state.engine
                await run_in_threadpool(_write_audit, engine, _caller(request), request, status, pending["id"])


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        response = _error(exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        message = "invalid request"
        if problems:
            loc, msg = ".".join(problems[0]["loc"]), str(problems[0]["message"])
            message = f"{loc}: {msg}" if loc else msg
        return _error(400, message, problems=problems)


def create_app(db: str | Path | Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the server on the store ``db`` (default: the ``ZHICHENG_DB`` setting), migrated to head."""
    settings = settings or Settings()
    engine = init_store(db if db is not None else settings.db)
    app = FastAPI(
        title="zhicheng (智城) API",
        version=__version__,
        description="Smart-city platform: goal model, evaluation, OGC SensorThings, Open311, cockpit.",
    )
    app.state.engine = engine
    app.state.settings = settings
    if not sa.event.contains(engine, "commit", _audit_on_commit):
        sa.event.listen(engine, "commit", _audit_on_commit)
    install_log_redaction()  # no token in any server log line
    # Outermost last: headers on every answer; rates before any work; the audit sees the input
    # guard's refusals (413 for a body past the limit, chunked or not; 400 for bad text or JSON).
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(GuardMiddleware)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    from zhicheng.api.wiring import install

    install(app)  # sensor alerts open city events; the cockpit's cache warms at start-up
    from zhicheng.api import mqtt

    mqtt.install(app)  # SensorThings over MQTT, when the settings ask for it
    return app
