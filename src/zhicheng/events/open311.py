"""Open311 GeoReport v2 records: services, service definitions and service requests as plain data.

The HTTP layer (``api/routers/open311.py``) turns these records into JSON or XML. Field names
and meanings follow the GeoReport v2 specification (wiki.open311.org/GeoReport_v2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.events.catalogue import Catalogue, Service
from zhicheng.events.errors import EventError
from zhicheng.events.service import id_condition, public_id_of, utc
from zhicheng.events.workflow import STATE_LABELS, open311_status, states_for_open311
from zhicheng.store.schema_events import events

#: GET Service Requests: default and largest date range [days], and the most requests returned.
WINDOW_DAYS = 90
MAX_REQUESTS = 1000


def w3c(value: datetime | None) -> str | None:
    """A datetime in W3C format (UTC, ``Z``), as GeoReport v2 writes dates."""
    return None if value is None else utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_w3c(text: str, name: str) -> datetime:
    """Parse a W3C datetime (``2010-01-01T00:00:00Z``, with offset, or a date); naive is UTC."""
    try:
        return utc(datetime.fromisoformat(text.strip().replace(" ", "+")))
    except ValueError:
        raise EventError(problems=[Problem(
            f"{name} must be a W3C datetime such as 2010-01-01T00:00:00Z, got {text!r}", column=name)]) from None


def service_record(s: Service) -> dict[str, Any]:
    """One entry of GET Service List."""
    return {
        "service_code": s.code,
        "service_name": f"{s.name_zh} {s.name_en}",
        "description": s.description_en or s.description_zh or s.name_en,
        "metadata": s.has_metadata,
        "type": "realtime",
        "keywords": ", ".join(s.keywords),
        "group": s.group,
    }


def definition_record(s: Service) -> dict[str, Any]:
    """GET Service Definition: the service's attributes in order."""
    attributes = []
    for order, a in enumerate(s.attributes, start=1):
        attributes.append({
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": order,
            "description": f"{a.description_zh} {a.description_en}",
            "values": [{"key": v.key, "name": f"{v.name_zh} {v.name_en}"} for v in a.values],
        })
    return {"service_code": s.code, "attributes": attributes}


@dataclass(frozen=True)
class RequestQuery:
    """GET Service Requests parameters, checked."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_request_query(params: dict[str, str], now: datetime) -> RequestQuery:
    """Check GET Service Requests parameters; :class:`EventError` (400) lists every problem.

    Without ``service_request_id`` the range is at most 90 days: only ``start_date`` gives the
    90 days after it, only ``end_date`` the 90 days before it, neither the last 90 days.
    """
    problems: list[Problem] = []

    def split(name: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in params.get(name, "").split(",") if p.strip())

    statuses = split("status")
    for s in statuses:
        if s not in ("open", "closed"):
            problems.append(Problem(f"status must be open or closed, got {s!r}", column="status"))
    start = end = None
    for name in ("start_date", "end_date"):
        if params.get(name):
            try:
                value = parse_w3c(params[name], name)
            except EventError as exc:
                problems.extend(exc.problems)
                continue
            start, end = (value, end) if name == "start_date" else (start, value)
    if start and end and end < start:
        problems.append(Problem("end_date is before start_date", column="end_date"))
    elif start and end and end - start > timedelta(days=WINDOW_DAYS):
        problems.append(Problem(f"start_date to end_date may not span more than {WINDOW_DAYS} days",
                                column="end_date"))
    if problems:
        raise EventError(problems=problems)
    window = timedelta(days=WINDOW_DAYS)
    if start is None and end is None:
        start, end = now - window, now
    elif start is None:
        start = end - window  # type: ignore[operator]
    elif end is None:
        end = start + window
    return RequestQuery(split("service_request_id"), split("service_code"), start, end, statuses)


_COLUMNS = (
    events.c.id, events.c.request_id, events.c.status, events.c.status_notes, events.c.service_code,
    events.c.description, events.c.department, events.c.requested_at, events.c.updated_at,
    events.c.expected_at, events.c.address, events.c.address_id, events.c.zipcode, events.c.lat,
    events.c.lon, events.c.media_url,
)


def search_requests(conn: sa.Connection, q: RequestQuery, limit: int = MAX_REQUESTS) -> list[sa.Row[Any]]:
    """Rows for GET Service Requests, newest first; ``service_request_id`` overrides the rest."""
    stmt = sa.select(*_COLUMNS)
    if q.ids:
        stmt = stmt.where(id_condition(q.ids)).order_by(events.c.requested_at.desc())
        return list(conn.execute(stmt.limit(limit)).all())
    conds: list[sa.ColumnElement[bool]] = []
    if q.service_codes:
        conds.append(events.c.service_code.in_(q.service_codes))
    if q.statuses and set(q.statuses) != {"open", "closed"}:
        conds.append(events.c.status.in_([s for st in q.statuses for s in states_for_open311(st)]))
    if q.start is not None:
        conds.append(events.c.requested_at >= q.start)
    if q.end is not None:
        conds.append(events.c.requested_at <= q.end)
    stmt = stmt.where(*conds).order_by(events.c.requested_at.desc(), events.c.id.desc()).limit(limit)
    return list(conn.execute(stmt).all())


def _notes(status: str, notes: str | None) -> str:
    zh, en = STATE_LABELS.get(status, (status, status))
    return f"{zh} / {en}" + (f": {notes}" if notes else "")


def request_records(rows: Sequence[sa.Row[Any]], catalogue: Catalogue) -> list[dict[str, Any]]:
    """GET Service Requests entries for ``rows`` (from :func:`search_requests`)."""
    names = {s.code: f"{s.name_zh} {s.name_en}" for s in catalogue.services}
    out = []
    for r in rows:
        out.append({
            "service_request_id": public_id_of(r.request_id, r.id),
            "status": open311_status(r.status),
            "status_notes": _notes(r.status, r.status_notes),
            "service_name": names.get(r.service_code, r.service_code),
            "service_code": r.service_code,
            "description": r.description,
            "agency_responsible": r.department,
            "service_notice": None,
            "requested_datetime": w3c(r.requested_at),
            "updated_datetime": w3c(r.updated_at),
            "expected_datetime": w3c(r.expected_at),
            "address": r.address,
            "address_id": r.address_id,
            "zipcode": r.zipcode,
            "lat": r.lat,
            "long": r.lon,
            "media_url": r.media_url,
        })
    return out


def token_record(conn: sa.Connection, token: str) -> dict[str, Any] | None:
    """GET request_id from a token: the token and the id of the request it made, or None."""
    row = conn.execute(sa.select(events.c.id, events.c.request_id).where(events.c.token == token)).first()
    if row is None:
        return None
    return {"service_request_id": public_id_of(row.request_id, row.id), "token": token}
