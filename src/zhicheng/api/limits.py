"""Bounded requests: body size whatever the transfer encoding, clean text, JSON shape, request rates.

:class:`InputGuardMiddleware` reads a request's body itself, counting the bytes as they arrive (a
chunked body has no ``Content-Length`` to trust), and answers 413 past ``max_body_bytes`` without
calling the app. A JSON body is parsed once here and checked (:func:`zhicheng.inputs.check_json`:
depth, refused characters, size of ``properties``/``parameters``); the parsed value rides on the
request for the SensorThings routes, so checking costs no second parse. Forms and query strings
are checked for refused characters too. Every refusal names the field.

:class:`RateLimitMiddleware` lets each token, and each client address without a token, make so
many requests per second (a token bucket); the client address is the peer's, or the one a trusted
proxy (``ZHICHENG_TRUSTED_PROXIES``) put in ``X-Forwarded-For``, never a header anyone can send.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import HTTPException
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng.auth import SESSION_COOKIE
from zhicheng.errors import Invalid
from zhicheng.inputs import bad_character, check_text, parse_json_text
from zhicheng.settings import Settings

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The parsed JSON body a route may take instead of parsing it again.
JSON_BODY = "json_body"


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message, **extra}}, status_code=status, headers=headers)


def _settings(scope: Scope) -> Settings:
    settings: Settings = scope["app"].state.settings
    return settings


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _refusal(exc: Invalid, path: str = "") -> Response:
    message = "; ".join(p.reason for p in exc.problems) or str(exc)
    if path.startswith("/open311/"):
        # Open311 clients read errors in the GeoReport v2 format of the asked encoding.
        if path.endswith(".xml"):
            text = f"<errors><error><code>400</code><description>{escape(message)}</description></error></errors>"
            return Response(b'<?xml version="1.0" encoding="utf-8"?>\n' + text.encode(), 400,
                            media_type="text/xml; charset=utf-8")
        return JSONResponse([{"code": 400, "description": message}], status_code=400)
    problems = [{"loc": [p.column] if p.column else [], "message": p.reason} for p in exc.problems]
    return _error(400, message, problems=problems)


def check_query(query: str, where: str = "query") -> None:
    """Refused characters in a query string (or a form body): :class:`Invalid` naming the parameter."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        check_text(key, f"{where} parameter name")
        check_text(value, key)


class InputGuardMiddleware:
    """Body size (413), clean text and JSON shape (400) for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request; pass it on with its body replayed, or answer the refusal."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = _settings(scope)
        bad = bad_character(scope.get("path", ""))
        if bad is not None:
            await _error(400, f"path: control character {bad} is not allowed")(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            check_query(scope.get("query_string", b"").decode("latin-1"))
        except Invalid as exc:
            await _refusal(exc, scope.get("path", ""))(scope, receive, send)
            return
        limit = settings.max_body_bytes
        length = headers.get("content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await _error(413, f"request body larger than {limit} bytes")(scope, receive, send)
            return
        if scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, limit)
        if not complete:
            await _error(413, f"request body larger than {limit} bytes")(scope, receive, send)
            return
        try:
            self._check_body(scope, headers.get("content-type", ""), body, settings)
        except Invalid as exc:
            await _refusal(exc, scope.get("path", ""))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _check_body(scope: Scope, content_type: str, body: bytes, settings: Settings) -> None:
        if not body.strip():
            return
        if _is_json(content_type):
            try:
                value = parse_json_text(body, max_depth=settings.max_json_depth,
                                        max_member_bytes=settings.max_properties_bytes)
            except Invalid as exc:
                if any(p.reason.startswith("malformed JSON") for p in exc.problems):
                    return  # the route answers malformed JSON in its own words
                raise
            scope.setdefault("state", {})[JSON_BODY] = value
        elif content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            check_query(body.decode("utf-8", "replace"), "form")


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The whole body, or (what came, False) as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# --- who is asking: the client address ----------------------------------------------------------


def _networks(text: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    if not text:
        return ()
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(scope: Scope, trusted_proxies: str | None) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last untrusted hop of ``X-Forwarded-For``.

    The header of an untrusted peer is ignored, so no caller can pick its own address.
    """
    peer = (scope.get("client") or ("unknown", 0))[0]
    networks = _networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return str(peer)
    forwarded = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"]
    hops = [h.strip() for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else str(peer)


def request_client(request: Any) -> str:
    """The client address the guard settled on for ``request`` (the peer's when it did not run)."""
    found = getattr(request.state, "client_address", None)
    if found:
        return str(found)
    return request.client.host if request.client else "unknown"


# --- rates -----------------------------------------------------------------------------------


class TokenBuckets:
    """``rate`` requests per second per key, bursts of ``2 × rate`` (in memory, per process)."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: float) -> float:
        """Take one request for ``key``; 0 when allowed, else the seconds until one is allowed."""
        burst = 2.0 * rate
        now = time.monotonic()
        with self._lock:
            level, at = self._buckets.get(key, (burst, now))
            level = min(burst, level + (now - at) * rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                return (1.0 - level) / rate
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            self._buckets[key] = (level - 1.0, now)
            return 0.0


class RateLimitMiddleware:
    """429 with ``Retry-After`` for a token or an address over its rate; sets the client address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.buckets = TokenBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its token (or its address) and pass it on, or refuse it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = _settings(scope)
        address = client_address(scope, settings.trusted_proxies)
        scope.setdefault("state", {})["client_address"] = address
        headers = scope.get("headers", [])
        authorization = next((v for k, v in headers if k.lower() == b"authorization"), b"")
        session = _session_cookie(next((v for k, v in headers if k.lower() == b"cookie"), b""))
        if authorization:
            key, rate, who = "t:" + hashlib.sha256(authorization).hexdigest(), settings.rate_per_token, "token"
        elif session:
            # A signed-in cockpit (session cookie) counts as its token does, not as its address:
            # a control room's screens behind one address each load pages of many requests.
            key, rate, who = "s:" + hashlib.sha256(session).hexdigest(), settings.rate_per_token, "session"
        else:
            key, rate, who = "a:" + address, settings.rate_per_client, "client address"
        wait = self.buckets.take(key, rate) if rate > 0 else 0.0
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            await _error(429, f"too many requests: at most {rate:g} per second per {who}",
                         {"Retry-After": retry})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _session_cookie(cookie: bytes) -> bytes:
    """The value of the cockpit's session cookie in a ``Cookie`` header (empty when absent)."""
    for part in cookie.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == SESSION_COOKIE.encode() and value:
            return value
    return b""


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per key (in memory, per server process)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, what: str) -> None:
        """Record one event for ``key``; raise 429 (with ``Retry-After``) when over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = max(1, math.ceil(self.window - (now - hits[0])))
                raise HTTPException(429, f"too many {what}: at most {self.limit} per {self.window:g} s",
                                    {"Retry-After": str(retry)})
            hits.append(now)
