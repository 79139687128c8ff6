"""Cockpit sign-in: a token exchanged for an HTTP-only, SameSite=Strict session cookie.

``POST /api/session`` takes a token and sets the cookie; ``GET`` says who is signed in (never
401) and gives the CSRF token that every write riding the cookie must send as ``X-CSRF-Token``;
``DELETE`` signs out. API clients keep sending ``Authorization: Bearer …`` and need none of this.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from zhicheng.api.deps import SettingsDep, get_principal
from zhicheng.auth import (
    ANONYMOUS,
    SESSION_COOKIE,
    Principal,
    TokenError,
    create_session,
    end_session,
)

router = APIRouter(prefix="/api/session", tags=["session"])


class SignIn(BaseModel):
    """The token to sign in with (made by ``zhicheng token create``)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    """Who is signed in, how, until when, and what the server lets anonymous readers see."""

    authenticated: bool
    name: str | None
    role: str | None
    department: str | None
    #: ``cookie`` (signed in in the cockpit), ``token`` (an Authorization header) or None.
    via: str | None
    #: The token writes riding the cookie send as ``X-CSRF-Token`` (only for ``via: cookie``).
    csrf: str | None
    expires_at: datetime | None
    open_reads: bool
    time_zone: str


def _answer(principal: Principal, via: str | None, csrf: str | None, expires: datetime | None,
            settings: SettingsDep) -> SessionOut:
    signed = principal.role is not None
    return SessionOut(
        authenticated=signed, name=principal.name if signed else None, role=principal.role,
        department=principal.department, via=via if signed else None, csrf=csrf if signed else None,
        expires_at=expires if signed else None, open_reads=settings.open_reads, time_zone=settings.time_zone,
    )


@router.get("", response_model=SessionOut)
def who(request: Request, settings: SettingsDep) -> SessionOut:
    """The caller (anonymous when not signed in, never 401) and the session's CSRF token."""
    from zhicheng.auth import session_for

    if request.headers.get("authorization"):
        try:
            return _answer(get_principal(request), "token", None, None, settings)
        except HTTPException:
            return _answer(ANONYMOUS, None, None, None, settings)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_for(request.app.state.engine, cookie) if cookie else None
    if found is None:
        return _answer(ANONYMOUS, None, None, None, settings)
    principal, csrf, expires = found
    return _answer(principal, "cookie", csrf, expires, settings)


@router.post("", response_model=SessionOut, status_code=201)
def sign_in(body: SignIn, request: Request, response: Response, settings: SettingsDep) -> SessionOut:
    """Exchange a token for a session cookie (HTTP-only, SameSite=Strict, ``session_hours`` long)."""
    try:
        session = create_session(request.app.state.engine, body.token.strip(), settings.session_hours)
    except TokenError:
        raise HTTPException(401, "unknown or revoked token") from None
    request.state.principal = session.principal
    response.set_cookie(
        SESSION_COOKIE, session.cookie, max_age=int(settings.session_hours * 3600), path="/",
        httponly=True, samesite="strict", secure=request.url.scheme == "https",
    )
    return _answer(session.principal, "cookie", session.csrf, session.expires_at, settings)


@router.delete("", status_code=204)
def sign_out(request: Request, response: Response) -> Response:
    """End the session (the CSRF header is needed, as for every write riding the cookie)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        get_principal(request)  # 403 without the session's CSRF token
        end_session(request.app.state.engine, cookie)
    done = Response(status_code=204)
    done.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return done
