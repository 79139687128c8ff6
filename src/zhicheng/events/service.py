"""Registering, finding and moving city events: the service behind Open311 and ``/api/events``.

Every write is one transaction: an invalid report or transition raises :class:`EventError`
carrying every problem and leaves the store unchanged.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.catalogue import Catalogue, Service, load_catalogue, validate_attributes
from zhicheng.events.errors import EventConflict, EventError, EventForbidden, EventNotFound
from zhicheng.events.geo import haversine_m
from zhicheng.events.grid import assign_cells
from zhicheng.events.workflow import (
    OPEN_STATES,
    SOURCES,
    STATE_LABELS,
    TRANSITION_ROLES,
    check_transition,
)
from zhicheng.store.schema import units
from zhicheng.store.schema_events import event_history, events

#: Longest description Open311 accepts [characters] (GeoReport v2, POST Service Request).
MAX_DESCRIPTION = 4000


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewEvent:
    """A report as submitted: service, place, words, answers, contact and where it came from."""

    service_code: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    description: str | None = None
    media_url: str | None = None
    #: Attribute code → submitted values (several for a multi-value list).
    attributes: dict[str, list[str]] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    source: str = "citizen"
    source_ref: str | None = None
    requested_at: datetime | None = None
    #: Responsible department when not the service's own (a surge goes to the surged category's).
    department: str | None = None


@dataclass(frozen=True)
class Created:
    """What a submission returns: ids, the Open311 token and notice, the duplicate link."""

    id: int
    public_id: str
    token: str
    service_notice: str
    expected_at: datetime
    grid_code: str | None
    duplicate_of: str | None


def public_id_of(request_id: str | None, event_id: int) -> str:
    """The id shown to the world: the external request id when there is one, else the number."""
    return request_id if request_id else str(event_id)


def id_condition(public_ids: Sequence[str]) -> sa.ColumnElement[bool]:
    """SQL condition matching events by public id (external request id or plain number)."""
    numbers = [int(p) for p in public_ids if p.isdigit() and len(p) < 18]
    cond: sa.ColumnElement[bool] = events.c.request_id.in_(list(public_ids))
    if numbers:
        cond = sa.or_(cond, sa.and_(events.c.request_id.is_(None), events.c.id.in_(numbers)))
    return cond


def find_event_id(conn: sa.Connection, public_id: str) -> int:
    """Internal id of the event with ``public_id``; :class:`EventNotFound` when there is none."""
    row = conn.execute(
        sa.select(events.c.id).where(id_condition([public_id])).order_by(events.c.request_id.is_(None))
    ).first()
    if row is None:
        raise EventNotFound(f"no service request with id {public_id!r}")
    return int(row.id)


def _location_problems(new: NewEvent) -> list[Problem]:
    problems: list[Problem] = []
    has_lat, has_lon = new.lat is not None, new.lon is not None
    if has_lat != has_lon:
        problems.append(Problem("lat and long must be given together", column="lat" if not has_lat else "long"))
    elif has_lat:
        lat, lon = float(new.lat or 0.0), float(new.lon or 0.0)
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            problems.append(Problem(f"lat must be a latitude in [-90, 90], got {new.lat}", column="lat"))
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            problems.append(Problem(f"long must be a longitude in [-180, 180], got {new.lon}", column="long"))
    elif not (new.address or new.address_id):
        problems.append(Problem("a location is required: lat and long, address_string or address_id",
                                column="lat"))
    return problems


def _check_new(new: NewEvent, catalogue: Catalogue) -> tuple[Service | None, dict[str, Any]]:
    problems = _location_problems(new)
    service = catalogue._by_code().get(new.service_code) if new.service_code else None
    if not new.service_code:
        problems.append(Problem("service_code is required", column="service_code"))
    elif service is None:
        problems.append(Problem(f"service_code {new.service_code!r} not found", column="service_code"))
    if new.source not in SOURCES:
        problems.append(Problem(f"source must be one of {', '.join(SOURCES)}", column="source"))
    if new.description and len(new.description) > MAX_DESCRIPTION:
        problems.append(Problem(f"description is longer than {MAX_DESCRIPTION} characters", column="description"))
    if new.media_url and not new.media_url.lower().startswith(("http://", "https://")):
        problems.append(Problem("media_url must be an http(s) URL", column="media_url"))
    answers: dict[str, Any] = {}
    if service is not None:
        try:
            answers = validate_attributes(service, new.attributes)
        except EventError as exc:
            problems.extend(exc.problems)
    if problems:
        raise EventError(problems=problems)
    return service, answers


#: Candidates for a duplicate: same service, not rejected, in the time window and bounding box.
_DUPLICATE_CANDIDATES = sa.select(events.c.id, events.c.lat, events.c.lon, events.c.duplicate_of).where(
    events.c.service_code == sa.bindparam("code"),
    events.c.status != "rejected",
    events.c.requested_at >= sa.bindparam("since"),
    events.c.requested_at <= sa.bindparam("at"),
    events.c.lat.between(sa.bindparam("lat0"), sa.bindparam("lat1")),
    events.c.lon.between(sa.bindparam("lon0"), sa.bindparam("lon1")),
)
_INSERT_EVENT = events.insert().returning(events.c.id)
_INSERT_HISTORY = event_history.insert()
_REQUEST_ID = sa.select(events.c.request_id).where(events.c.id == sa.bindparam("id"))


def find_duplicate(
    conn: sa.Connection, service: Service, lat: float, lon: float, at: datetime
) -> int | None:
    """Id of the nearest earlier, not rejected report of ``service`` within its duplicate rule.

    A bounding box in SQL narrows the candidates; their exact great-circle distance [m] is
    computed with numpy. Duplicates are linked to the original (the root of any chain).
    """
    rule = service.duplicate
    dlat = rule.radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    rows = conn.execute(_DUPLICATE_CANDIDATES, {
        "code": service.code, "since": at - timedelta(hours=rule.window_hours), "at": at,
        "lat0": lat - dlat, "lat1": lat + dlat, "lon0": lon - dlon, "lon1": lon + dlon,
    }).all()
    if not rows:
        return None
    arr = np.array([(r.lat, r.lon) for r in rows], dtype=float)
    dist = haversine_m(lat, lon, arr[:, 0], arr[:, 1])
    best = int(np.argmin(dist))
    if dist[best] > rule.radius_m:
        return None
    hit = rows[best]
    return int(hit.duplicate_of) if hit.duplicate_of is not None else int(hit.id)


def _notice(service: Service, expected: datetime, duplicate: str | None) -> str:
    text = (f"已登记，{service.name_zh}预计于 {expected:%Y-%m-%d %H:%M} UTC 前办结 / Registered; "
            f"{service.name_en.lower()} is due by {expected:%Y-%m-%d %H:%M} UTC")
    if duplicate:
        text += f"; 疑似重复，已关联到 {duplicate} / possible duplicate, linked to {duplicate}"
    return text


_WRITE_LOCKS: dict[str, threading.Lock] = {}


def _writing(engine: Engine) -> AbstractContextManager[Any]:
    """One writer at a time per SQLite store within this process.

    SQLite allows a single writer; threads that collide wait in SQLite's busy handler, which
    sleeps in growing steps and wastes most of the time. Queuing on a lock hands the store over
    at once. PostgreSQL needs no such lock.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _WRITE_LOCKS.setdefault(str(engine.url), threading.Lock())


def create_event(
    engine: Engine,
    new: NewEvent,
    actor: str,
    role: str | None = None,
    catalogue: Catalogue | None = None,
) -> Created:
    """Register a report: check it, find its grid cell and duplicate, store it with its history.

    Raises :class:`EventError` (HTTP 400) listing every problem; nothing is written then.
    """
    catalogue = catalogue or load_catalogue()
    service, answers = _check_new(new, catalogue)
    assert service is not None
    at = utc(new.requested_at) if new.requested_at else now_utc()
    expected = at + timedelta(hours=service.sla_hours)
    token = secrets.token_hex(16)
    with _writing(engine), engine.begin() as conn:
        grid = dup_id = dup_public = None
        if new.lat is not None and new.lon is not None:
            grid = assign_cells(conn, [new.lon], [new.lat])[0]
            dup_id = find_duplicate(conn, service, new.lat, new.lon, at)
        if dup_id is not None:
            dup_public = public_id_of(conn.execute(_REQUEST_ID, {"id": dup_id}).scalar_one(), dup_id)
        notes = f"疑似重复 / possible duplicate of {dup_public}" if dup_public else None
        event_id = conn.execute(_INSERT_EVENT, {
            "request_id": None, "token": token, "service_code": service.code, "status": "submitted",
            "source": new.source, "source_ref": new.source_ref, "description": new.description,
            "lat": new.lat, "lon": new.lon, "address": new.address, "address_id": new.address_id,
            "zipcode": new.zipcode, "media_url": new.media_url,
            "attributes": json.dumps(answers, ensure_ascii=False) if answers else None,
            "contact": json.dumps(new.contact, ensure_ascii=False) if new.contact else None,
            "department": new.department or service.department, "grid_code": grid, "duplicate_of": dup_id,
            "status_notes": notes, "reopen_count": 0, "requested_at": at, "updated_at": at,
            "expected_at": expected, "resolved_at": None, "closed_at": None, "batch_id": None,
        }).scalar_one()
        conn.execute(_INSERT_HISTORY, {
            "event_id": event_id, "at": at, "from_status": None, "to_status": "submitted", "actor": actor,
            "role": role, "note": f"{new.source} report" + (f"; {notes}" if notes else ""),
            "department": new.department or service.department, "grid_code": grid,
        })
    return Created(int(event_id), str(event_id), token, _notice(service, expected, dup_public),
                   expected, grid, dup_public)


def _check_grid(conn: sa.Connection, grid: str) -> None:
    row = conn.execute(sa.select(units.c.level).where(units.c.code == grid)).first()
    if row is None or row.level != "grid":
        raise EventError(problems=[Problem(f"grid {grid!r} is not a grid cell in units", column="grid")])


def _transition_values(
    row: sa.Row[Any], to: str, note: str, at: datetime, department: str | None, grid: str | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"status": to, "updated_at": at, "status_notes": note}
    if department:
        values["department"] = department
    if grid:
        values["grid_code"] = grid
    if to == "resolved":
        values["resolved_at"] = at
    elif to == "closed":
        values["closed_at"] = at
        if row.resolved_at is None:
            values["resolved_at"] = at
    elif to == "reopened":
        values.update(closed_at=None, resolved_at=None, reopen_count=row.reopen_count + 1)
    return values


def transition_event(
    engine: Engine,
    public_id: str,
    to: str,
    note: str,
    actor: str,
    role: str | None,
    department: str | None = None,
    grid: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Move an event to state ``to`` with ``note``; record who, when and why; return the event.

    Only roles operator and admin may move events (:class:`EventError` 403). A move the state
    machine does not allow raises :class:`~zhicheng.events.errors.TransitionError` (409);
    dispatching needs a department. Nothing is written when a check fails.
    """
    if role not in TRANSITION_ROLES:
        raise EventForbidden(f"role {role!r} may not move events; needs one of {', '.join(TRANSITION_ROLES)}")
    if not note or not note.strip():
        raise EventError(problems=[Problem("a note is required for every transition", column="note")])
    at = utc(at) if at else now_utc()
    with _writing(engine), engine.begin() as conn:
        event_id = find_event_id(conn, public_id)
        row = conn.execute(sa.select(events).where(events.c.id == event_id)).one()
        check_transition(row.status, to)
        if grid:
            _check_grid(conn, grid)
        if to == "dispatched" and not (department or row.department):
            raise EventError(problems=[Problem("dispatching needs a department", column="department")])
        done = conn.execute(
            events.update().where(events.c.id == event_id, events.c.status == row.status)
            .values(**_transition_values(row, to, note.strip(), at, department, grid))
        )
        if done.rowcount != 1:
            raise EventConflict("the event changed meanwhile; try again")
        conn.execute(event_history.insert().values(
            event_id=event_id, at=at, from_status=row.status, to_status=to, actor=actor, role=role,
            note=note.strip(), department=department or row.department, grid_code=grid or row.grid_code,
        ))
    return get_event(engine, public_id)


def _event_dict(row: Any, now: datetime) -> dict[str, Any]:
    d = dict(row._mapping)
    for key in ("requested_at", "updated_at", "expected_at", "resolved_at", "closed_at"):
        if d.get(key) is not None:
            d[key] = utc(d[key])
    d["public_id"] = public_id_of(d.get("request_id"), d["id"])
    d["overdue"] = bool(d["status"] in OPEN_STATES and d.get("expected_at") is not None and d["expected_at"] < now)
    d["attributes"] = json.loads(d["attributes"]) if d.get("attributes") else {}
    d["status_label_zh"], d["status_label_en"] = STATE_LABELS.get(d["status"], (d["status"], d["status"]))
    d.pop("contact", None)
    d.pop("token", None)
    return d


def get_event(engine: Engine, public_id: str) -> dict[str, Any]:
    """One event with its workflow history (oldest first) and overdue flag; no contact details."""
    with engine.connect() as conn:
        event_id = find_event_id(conn, public_id)
        row = conn.execute(sa.select(events).where(events.c.id == event_id)).one()
        hist = conn.execute(
            sa.select(event_history).where(event_history.c.event_id == event_id)
            .order_by(event_history.c.at, event_history.c.id)
        ).all()
        dup_row = None
        if row.duplicate_of is not None:
            dup_row = conn.execute(
                sa.select(events.c.id, events.c.request_id).where(events.c.id == row.duplicate_of)).one()
    out = _event_dict(row, now_utc())
    out["duplicate_of"] = public_id_of(dup_row.request_id, dup_row.id) if dup_row else None
    out["history"] = [
        {**dict(h._mapping), "at": utc(h.at)} for h in hist
    ]
    return out


@dataclass(frozen=True)
class EventFilter:
    """Filters of event lists (all optional; combined with AND)."""

    status: tuple[str, ...] = ()
    service_code: tuple[str, ...] = ()
    department: str | None = None
    grid: str | None = None
    source: str | None = None
    overdue: bool | None = None
    start: datetime | None = None
    end: datetime | None = None


def filter_conditions(f: EventFilter, now: datetime) -> list[sa.ColumnElement[bool]]:
    """SQL conditions of an :class:`EventFilter`."""
    conds: list[sa.ColumnElement[bool]] = []
    if f.status:
        conds.append(events.c.status.in_(f.status))
    if f.service_code:
        conds.append(events.c.service_code.in_(f.service_code))
    if f.department:
        conds.append(events.c.department == f.department)
    if f.grid:
        conds.append(events.c.grid_code == f.grid)
    if f.source:
        conds.append(events.c.source == f.source)
    if f.start:
        conds.append(events.c.requested_at >= utc(f.start))
    if f.end:
        conds.append(events.c.requested_at <= utc(f.end))
    if f.overdue is not None:
        late = sa.and_(events.c.status.in_(OPEN_STATES), events.c.expected_at < now)
        conds.append(late if f.overdue else sa.not_(late))
    return conds


def list_events(
    engine: Engine, f: EventFilter | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Events matching ``f``, newest first: (total count, one page of events)."""
    now = now_utc()
    conds = filter_conditions(f or EventFilter(), now)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(events).where(*conds)).scalar_one()
        rows = conn.execute(
            sa.select(events).where(*conds)
            .order_by(events.c.requested_at.desc(), events.c.id.desc()).limit(limit).offset(offset)
        ).all()
        dup_ids = sorted({r.duplicate_of for r in rows if r.duplicate_of is not None})
        dups = dict(conn.execute(sa.select(events.c.id, events.c.request_id).where(events.c.id.in_(dup_ids))).all()) \
            if dup_ids else {}
    out = []
    for r in rows:
        d = _event_dict(r, now)
        if d["duplicate_of"] is not None:
            d["duplicate_of"] = public_id_of(dups.get(d["duplicate_of"]), d["duplicate_of"])
        out.append(d)
    return int(total), out


def _alert_location(alert: dict[str, Any]) -> tuple[float | None, float | None]:
    lat = alert.get("lat", alert.get("latitude"))
    lon = alert.get("lon", alert.get("long", alert.get("longitude")))
    return (float(lat) if lat is not None else None, float(lon) if lon is not None else None)


def open_event_from_alert(engine: Engine, alert: dict[str, Any]) -> int:
    """Open an event (source ``sensor``) from a sensor alert; return its id.

    ``alert`` keys: ``lat``/``lon`` (or ``latitude``/``longitude``) or ``address``; optional
    ``service_code`` (default ``air-quality-alert``), ``id`` (kept as ``source_ref``),
    ``message`` or ``description``, ``at`` (datetime or ISO text, default now), ``station``
    (named in the description), and attribute answers under ``attributes`` or as the service's
    attribute codes at top level (e.g. ``pollutant``, ``aqi``). Bad alerts raise :class:`EventError`.
    """
    catalogue = load_catalogue()
    code = str(alert.get("service_code") or "air-quality-alert")
    service = catalogue._by_code().get(code)
    answers: dict[str, list[str]] = {}
    if service is not None:
        given = dict(alert.get("attributes") or {})
        for a in service.attributes:
            if a.code in alert and a.code not in given:
                given[a.code] = alert[a.code]
        answers = {k: [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
                   for k, v in given.items() if v is not None}
    at = alert.get("at")
    when = datetime.fromisoformat(at) if isinstance(at, str) else at
    text = str(alert.get("message") or alert.get("description") or "sensor alert")
    if alert.get("station"):
        text = f"[{alert['station']}] {text}"
    lat, lon = _alert_location(alert)
    new = NewEvent(
        service_code=code, lat=lat, lon=lon, address=alert.get("address"), description=text,
        attributes=answers, source="sensor",
        source_ref=str(alert["id"]) if alert.get("id") is not None else None,
        requested_at=when if isinstance(when, datetime) else None,
        department=str(alert["department"]) if alert.get("department") else None,
    )
    return create_event(engine, new, actor=str(alert.get("station") or "sensor"), role="sensor",
                        catalogue=catalogue).id
