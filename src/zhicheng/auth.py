"""API tokens with roles: created once, stored only as SHA-256 hashes, revocable, expiring, rotatable.

A token may be bound to Things (``--thing``) or to a department (``--department``): a bound
``sensor`` writes only the Observations of those Things' Datastreams, a bound ``device_manager``
only those Things and what hangs from them (see :func:`zhicheng.sensing.service.authorize`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import ZhichengError
from zhicheng.store.schema_api import api_token_things, api_tokens, sessions

Role = Literal["admin", "analyst", "operator", "device_manager", "sensor", "viewer", "reviewer"]
ROLES: tuple[str, ...] = get_args(Role)
TOKEN_PREFIX = "zc_"


class TokenError(ZhichengError):
    """A token request that cannot be honoured (unknown role, unknown token)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name, role, department and bound Things (``anonymous`` without a token)."""

    name: str
    role: str | None
    token_id: int | None = None
    department: str | None = None
    #: The Things the token is bound to (empty: bound to none in particular).
    things: frozenset[int] = frozenset()

    def has_role(self, *roles: str) -> bool:
        """True when the caller holds one of ``roles``; ``admin`` holds every role."""
        return self.role is not None and (self.role == "admin" or self.role in roles)


ANONYMOUS = Principal(name="anonymous", role=None)

#: How long a token lookup is reused [s]. A revocation made in this process takes effect at once;
#: one made by another process (the CLI) within this many seconds.
TOKEN_CACHE_SECONDS = 2.0
_token_cache: dict[tuple[int, str], tuple[float, Principal | None]] = {}


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value; None for any other form."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def request_token(authorization: str) -> str | None:
    """The token of an ``Authorization`` header (Bearer, or Basic with the token as password).

    HTTP Basic takes any user name (e.g. the token's name) and the token as the password, as
    standard clients such as frost-sta-client send it; None for any other form.
    """
    token = bearer_token(authorization)
    if token is not None:
        return token
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon and password else None


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (what the store keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    engine: Engine,
    role: str,
    name: str,
    department: str | None = None,
    *,
    things: Iterable[int] = (),
    expires_at: datetime | None = None,
) -> str:
    """Create a token with ``role``; return the token itself, which is never stored.

    ``things`` binds it to those Things; ``expires_at`` (timezone-aware) ends its validity.
    """
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise TokenError("a token needs a name")
    if expires_at is not None and expires_at.tzinfo is None:
        raise TokenError("the expiry needs a time zone (e.g. 2027-01-01T00:00:00+08:00)")
    expires_at = expires_at.astimezone(UTC) if expires_at is not None else None
    bound = sorted(set(things))
    if any(t < 0 for t in bound):
        raise TokenError("Thing ids are non-negative integers")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(
            api_tokens.insert().values(
                name=name,
                role=role,
                token_hash=hash_token(token),
                department=department,
                created_at=datetime.now(UTC),
                expires_at=expires_at,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if bound:
            conn.execute(api_token_things.insert(), [{"token_id": token_id, "thing_id": t} for t in bound])
    return token


def rotate_token(engine: Engine, token_id: int, expires_at: datetime | None = None) -> str:
    """A new secret for token ``token_id``: same name, role, department and Things; the old one revoked.

    Both happen in one transaction, so exactly one of the two secrets is valid at any time.
    """
    with engine.begin() as conn:
        old = conn.execute(
            sa.select(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        ).mappings().first()
        if old is None:
            raise TokenError(f"no active token with id {token_id}")
        things = list(conn.execute(
            sa.select(api_token_things.c.thing_id).where(api_token_things.c.token_id == token_id)
        ).scalars())
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        new_id = conn.execute(
            api_tokens.insert().values(
                name=old["name"], role=old["role"], token_hash=hash_token(token),
                department=old["department"], created_at=datetime.now(UTC),
                expires_at=expires_at.astimezone(UTC) if expires_at is not None else old["expires_at"],
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if things:
            conn.execute(api_token_things.insert(), [{"token_id": new_id, "thing_id": t} for t in things])
        conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=datetime.now(UTC)))
    _token_cache.clear()
    _session_cache.clear()
    return token


def list_tokens(engine: Engine) -> list[dict[str, object]]:
    """Every token's id, name, role, department, Things, creation, expiry and revocation (no secrets)."""
    cols = [c for c in api_tokens.c if c.name != "token_hash"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*cols).order_by(api_tokens.c.id)).mappings().all()
        bound: dict[int, list[int]] = {}
        for token_id, thing_id in conn.execute(
            sa.select(api_token_things.c.token_id, api_token_things.c.thing_id).order_by(api_token_things.c.thing_id)
        ):
            bound.setdefault(int(token_id), []).append(int(thing_id))
    return [{**dict(r), "things": bound.get(int(r["id"]), [])} for r in rows]


def revoke_token(engine: Engine, token_id: int) -> None:
    """Revoke token ``token_id``; later requests with it get 401."""
    with engine.begin() as conn:
        done = conn.execute(
            api_tokens.update()
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    _token_cache.clear()
    _session_cache.clear()
    if done.rowcount != 1:
        raise TokenError(f"no active token with id {token_id}")


def principal_for(engine: Engine, token: str) -> Principal | None:
    """The principal a live token stands for, or None when it is unknown or revoked.

    Lookups are reused for :data:`TOKEN_CACHE_SECONDS`, which spares every request a query.
    """
    key = (id(engine), hash_token(token))
    now = time.monotonic()
    cached = _token_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    principal = _lookup(engine, key[1])
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[key] = (now + TOKEN_CACHE_SECONDS, principal)
    return principal


def _lookup(engine: Engine, token_hash: str) -> Principal | None:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.department)
            .where(
                api_tokens.c.token_hash == token_hash,
                api_tokens.c.revoked_at.is_(None),
                sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
            )
        ).first()
        if row is None:
            return None
        things = frozenset(int(t) for t in conn.execute(
            sa.select(api_token_things.c.thing_id).where(api_token_things.c.token_id == row.id)
        ).scalars())
    return Principal(name=row.name, role=row.role, token_id=row.id, department=row.department, things=things)


# --- cockpit sign-in sessions -------------------------------------------------------------------

#: Name of the HTTP-only cookie that carries a sign-in session.
SESSION_COOKIE = "zc_session"
#: Header in which every write riding the session cookie echoes the session's CSRF token.
CSRF_HEADER = "x-csrf-token"
_session_cache: dict[tuple[int, str], tuple[float, tuple[Principal, str, datetime] | None]] = {}


@dataclass(frozen=True)
class Session:
    """A sign-in session: the cookie value (shown once), its CSRF token, who and until when."""

    cookie: str
    csrf: str
    principal: Principal
    expires_at: datetime


def create_session(engine: Engine, token: str, hours: float) -> Session:
    """Exchange a live token for a session of ``hours``; :class:`TokenError` for a bad token."""
    principal = principal_for(engine, token)
    if principal is None or principal.token_id is None:
        raise TokenError("unknown or revoked token")
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=hours)
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.expires_at < now))  # tidy old sessions
        conn.execute(sessions.insert().values(
            session_hash=hash_token(cookie), token_id=principal.token_id, csrf=csrf,
            created_at=now, expires_at=expires,
        ))
    return Session(cookie=cookie, csrf=csrf, principal=principal, expires_at=expires)


def session_for(engine: Engine, cookie: str) -> tuple[Principal, str, datetime] | None:
    """(principal, CSRF token, expiry) of a live session cookie; None when unknown, expired or revoked.

    A revoked token ends its sessions; lookups are reused for :data:`TOKEN_CACHE_SECONDS`.
    """
    key = (id(engine), hash_token(cookie))
    now = time.monotonic()
    cached = _session_cache.get(key)
    if cached is not None and cached[0] > now:
        found = cached[1]
    else:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.department,
                          api_tokens.c.expires_at.label("token_expires"),
                          sessions.c.csrf, sessions.c.expires_at)
                .select_from(sessions.join(api_tokens, api_tokens.c.id == sessions.c.token_id))
                .where(sessions.c.session_hash == key[1], api_tokens.c.revoked_at.is_(None))
            ).first()  # fmt: skip
            things = frozenset() if row is None else frozenset(int(t) for t in conn.execute(
                sa.select(api_token_things.c.thing_id).where(api_token_things.c.token_id == row.id)
            ).scalars())
        found = None
        if row is not None:
            # the session ends with its token: at the session's end or the token's, whichever is first
            ends = [_aware(row.expires_at)] + ([_aware(row.token_expires)] if row.token_expires is not None else [])
            who = Principal(name=row.name, role=row.role, token_id=row.id, department=row.department, things=things)
            found = (who, str(row.csrf), min(ends))
        if len(_session_cache) > 10_000:
            _session_cache.clear()
        _session_cache[key] = (now + TOKEN_CACHE_SECONDS, found)
    if found is None or found[2] <= datetime.now(UTC):
        return None
    return found


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def end_session(engine: Engine, cookie: str) -> None:
    """Sign out: the session's cookie is no longer accepted (at once, in every process)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.session_hash == hash_token(cookie)))
    _session_cache.pop((id(engine), hash_token(cookie)), None)
