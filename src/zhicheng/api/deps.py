"""FastAPI dependencies shared by every router: the store, the settings and the caller."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine

from zhicheng.auth import (
    ANONYMOUS,
    CSRF_HEADER,
    SESSION_COOKIE,
    Principal,
    principal_for,
    request_token,
    session_for,
)
from zhicheng.settings import Settings


def get_engine(request: Request) -> Engine:
    """The store the app was started with."""
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


#: Methods that change something: with the session cookie they must carry the CSRF header.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_principal(request: Request) -> Principal | None:
    """The caller signed in by the session cookie; None without a live session.

    A write (POST, PUT, PATCH, DELETE) riding the cookie must echo the session's CSRF token in
    the ``X-CSRF-Token`` header, else 403: another site can make a browser send the cookie, but
    cannot read the token.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = session_for(request.app.state.engine, cookie)
    if found is None:
        return None
    principal, csrf, _ = found
    if request.method in WRITES and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
        raise HTTPException(403, "this write rides the sign-in cookie and needs the X-CSRF-Token header")
    return principal


def get_principal(request: Request) -> Principal:
    """The caller named by the token (Bearer or Basic) or the sign-in cookie; anonymous without.

    A bad token is 401; a bad or expired cookie counts as anonymous (the cockpit asks to sign in).
    """
    header = request.headers.get("authorization", "")
    if not header:
        signed = session_principal(request) or ANONYMOUS
        request.state.principal = signed
        return signed
    token = request_token(header)
    if token is None:
        raise HTTPException(
            401,
            "Authorization must be 'Bearer <token>' or Basic with the token as password",
            {"WWW-Authenticate": "Bearer"},
        )
    principal = principal_for(request.app.state.engine, token)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers holding one of ``roles`` (or ``admin``)."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role is None:
            raise HTTPException(401, "this operation needs a bearer token", {"WWW-Authenticate": "Bearer"})
        if not principal.has_role(*roles):
            raise HTTPException(403, f"role {principal.role!r} may not do this; needs one of {', '.join(roles)}")
        return principal

    return check


def public_read(principal: PrincipalDep, settings: SettingsDep) -> Principal:
    """Reads of public data: open when the ``open_reads`` setting is on, else any valid token."""
    if principal.role is None and not settings.open_reads:
        raise HTTPException(401, "reads need a bearer token on this server", {"WWW-Authenticate": "Bearer"})
    return principal


PublicReader = Annotated[Principal, Depends(public_read)]
