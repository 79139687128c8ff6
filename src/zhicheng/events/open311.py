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


def _split(params: dict[str, str], name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in params.get(name, "").split(",") if p.strip())


def _dates(params: dict[str, str], problems: list[Problem]) -> tuple[datetime | None, datetime | None]:
    found: dict[str, datetime] = {}
    for name in ("start_date", "end_date"):
        if params.get(name):
            try:
                found[name] = parse_w3c(params[name], name)
            except EventError as exc:
                problems.extend(exc.problems)
    start, end = found.get("start_date"), found.get("end_date")
    if start and end and end < start:
        problems.append(Problem("end_date is before start_date", column="end_date"))
    elif start and end and end - start > timedelta(days=WINDOW_DAYS):
        problems.append(Problem(f"start_date to end_date may not span more than {WINDOW_DAYS} days",
                                column="end_date"))
    return start, end


def parse_request_query(params: dict[str, str], now: datetime) -> RequestQuery:
    """Check GET Service Requests parameters; :class:`EventError` (400) lists every problem.

    Without ``service_request_id`` the range is at most 90 days: only ``start_date`` gives the
    90 days after it, only ``end_date`` the 90 days before it, neither the last 90 days.
    """
    problems: list[Problem] = []
    statuses = _split(params, "status")
    for s in statuses:
        if s not in ("open", "closed"):
            problems.append(Problem(f"status must be open or closed, got {s!r}", column="status"))
    start, end = _dates(params, problems)
    if problems:
        raise EventError(problems=problems)
    window = timedelta(days=WINDOW_DAYS)
    if end is None:
        end = start + window if start is not None else now
    if start is None:
        start = end - window
    return RequestQuery(_split(params, "service_request_id"), _split(params, "service_code"), start, end, statuses)


_TIMES = ("requested_at", "updated_at", "expected_at")
_PLAIN = (
    events.c.id, events.c.request_id, events.c.status, events.c.status_notes, events.c.service_code,
    events.c.description, events.c.department, events.c.address, events.c.address_id, events.c.zipcode,
    events.c.lat, events.c.lon, events.c.media_url,
)


def _columns(dialect: str) -> list[Any]:
    # SQLite keeps timestamps as UTC text: reading them as text skips parsing and re-formatting.
    if dialect == "sqlite":
        return [*_PLAIN, *(sa.type_coerce(events.c[t], sa.String).label(t) for t in _TIMES)]
    return [*_PLAIN, *(events.c[t] for t in _TIMES)]


def search_requests(conn: sa.Connection, q: RequestQuery, limit: int = MAX_REQUESTS) -> list[Any]:
    """Rows for GET Service Requests, newest first; ``service_request_id`` overrides the rest."""
    stmt = sa.select(*_columns(conn.dialect.name))
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


def _w3c_any(value: datetime | str | None) -> str | None:
    """W3C text of a timestamp read as a datetime or as SQLite's UTC text ``YYYY-MM-DD HH:MM:SS…``."""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}Z"
    return w3c(value)


#: Workflow state → (Open311 status, status_notes prefix).
_STATUS = {s: (open311_status(s), f"{zh} / {en}") for s, (zh, en) in STATE_LABELS.items()}


def request_records(rows: Sequence[Any], catalogue: Catalogue) -> list[dict[str, Any]]:
    """GET Service Requests entries for ``rows`` (from :func:`search_requests`)."""
    names = {s.code: f"{s.name_zh} {s.name_en}" for s in catalogue.services}
    out = []
    for (rid, request_id, state, notes, code, description, department, address, address_id, zipcode,
         lat, lon, media_url, requested, updated, expected) in rows:
        status, label = _STATUS.get(state, ("open", state))
        out.append({
            "service_request_id": request_id or str(rid),
            "status": status,
            "status_notes": f"{label}: {notes}" if notes else label,
            "service_name": names.get(code, code),
            "service_code": code,
            "description": description,
            "agency_responsible": department,
            "service_notice": None,
            "requested_datetime": _w3c_any(requested),
            "updated_datetime": _w3c_any(updated),
            "expected_datetime": _w3c_any(expected),
            "address": address,
            "address_id": address_id,
            "zipcode": zipcode,
            "lat": lat,
            "long": lon,
            "media_url": media_url,
        })
    return out


def token_record(conn: sa.Connection, token: str) -> dict[str, Any] | None:
    """GET request_id from a token: the token and the id of the request it made, or None."""
    row = conn.execute(sa.select(events.c.id, events.c.request_id).where(events.c.token == token)).first()
    if row is None:
        return None
    return {"service_request_id": public_id_of(row.request_id, row.id), "token": token}
