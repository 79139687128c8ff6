"""Answers sent as stored bytes: gzip when the client accepts it, and 304 when it has them already.

Every pre-encoded answer (the cockpit's JSON, its map, its static files) gets an ``ETag`` from
its content; a client sending that tag back in ``If-None-Match`` gets ``304 Not Modified`` and no
body, so a screen that reloads the cockpit re-downloads only what changed (RFC 9110, §8.8.3 and
§13.1.2).
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response


def etag(body: bytes) -> str:
    """A strong entity tag of ``body`` (BLAKE2b, 16 bytes, hex)."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def _matches(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    return header.strip() == "*" or tag in {t.strip().removeprefix("W/") for t in header.split(",")}


def send(request: Request, plain: bytes, packed: bytes | None, media_type: str,
         headers: dict[str, str] | None = None) -> Response:
    """``plain`` (or ``packed``, its gzip, when accepted) with an ETag; 304 when the client has it."""
    out = {"Vary": "Accept-Encoding", **(headers or {})}
    gzip = packed is not None and "gzip" in request.headers.get("accept-encoding", "")
    # The tag names the bytes sent: the gzip body and the plain one are different representations.
    tag = etag(plain)[:-1] + ('-gz"' if gzip else '"')
    out["ETag"] = tag
    if _matches(request, tag):
        return Response(status_code=304, headers=out)
    if gzip:
        out["Content-Encoding"] = "gzip"
        return Response(packed, media_type=media_type, headers=out)
    return Response(plain, media_type=media_type, headers=out)
