"""The event workflow under ``/api/events``: lists with filters, detail with history, transitions.

Reads need a token with role operator, analyst or viewer; transitions and inspector reports
need operator (admin may do everything). Refused transitions change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from zhicheng.api.deps import EngineDep, PublicReader, SettingsDep, require_role
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.events.catalogue import load_catalogue
from zhicheng.events.errors import EventError
from zhicheng.events.service import (
    EventFilter,
    NewEvent,
    create_event,
    get_event,
    list_events,
    transition_event,
)
from zhicheng.events.stats import GROUPINGS, event_statistics
from zhicheng.events.workflow import STATES

router = APIRouter(prefix="/api/events", tags=["events"])

Reader = Annotated[Principal, Depends(require_role("operator", "analyst", "viewer"))]
Operator = Annotated[Principal, Depends(require_role("operator"))]
Reporter = Annotated[Principal, Depends(require_role("operator", "sensor"))]


class HistoryEntry(BaseModel):
    """One workflow step."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    role: str | None
    note: str | None
    department: str | None
    grid_code: str | None


class EventPublic(BaseModel):
    """An event as the workflow screens show it (no reporter contact details)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Public id (Open311 service_request_id)")
    service_code: str
    status: str
    status_label_zh: str
    status_label_en: str
    source: str
    source_ref: str | None
    description: str | None
    lat: float | None
    lon: float | None
    address: str | None
    department: str | None
    grid_code: str | None
    duplicate_of: str | None
    status_notes: str | None
    reopen_count: int
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    attributes: dict[str, Any]


class EventDetail(EventPublic):
    """An event with its full history."""

    history: list[HistoryEntry]


class EventPage(BaseModel):
    """One page of a filtered event list."""

    total: int
    limit: int
    offset: int
    events: list[EventPublic]


class TransitionIn(BaseModel):
    """A move of the workflow: target state, why, and (for dispatching) where to."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(description=f"One of {', '.join(STATES)}")
    note: str = Field(min_length=1, max_length=4000)
    department: str | None = Field(default=None, max_length=100)
    grid: str | None = Field(default=None, max_length=64)


class EventIn(BaseModel):
    """An inspector's (or operator's) report entered on the workflow screens."""

    model_config = ConfigDict(extra="forbid")

    service_code: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    description: str | None = None
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    source: str = "inspector"


class StatRow(BaseModel):
    """Statistics of one group."""

    key: str
    events: int
    open: int
    overdue: int
    closed: int
    closed_timed: int
    rejected: int
    closed_within_sla: int
    closed_within_sla_pct: float | None
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None
    reopened: int
    reopen_rate_pct: float | None


def _http(exc: EventError) -> HTTPException:
    return HTTPException(http_status(exc), str(exc))


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "id": d["public_id"]}


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


@router.get("", response_model=EventPage)
def events_list(
    engine: EngineDep,
    _: Reader,
    status: Annotated[str | None, Query(description="Workflow states, comma separated")] = None,
    service_code: Annotated[str | None, Query(description="Service codes, comma separated")] = None,
    department: str | None = None,
    grid: str | None = None,
    source: str | None = None,
    overdue: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> EventPage:
    """Events, newest first, filtered by state, service, department, grid, source, overdue, dates."""
    bad = [s for s in _split(status) if s not in STATES]
    if bad:
        raise HTTPException(400, f"unknown state(s) {', '.join(bad)}; states are {', '.join(STATES)}")
    f = EventFilter(_split(status), _split(service_code), department, grid, source, overdue, start, end)
    total, rows = list_events(engine, f, limit, offset)
    return EventPage(total=total, limit=limit, offset=offset,
                     events=[EventPublic.model_validate(_public(r)) for r in rows])


@router.get("/stats", response_model=list[StatRow])
def events_stats(
    engine: EngineDep,
    _: Reader,
    by: Annotated[str | None, Query(description=f"Group by one of {', '.join(GROUPINGS)}")] = "service_code",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[StatRow]:
    """Closing within SLA, handling time (mean, median, 90th percentile) and reopen rate per group."""
    try:
        frame = event_statistics(engine, start, end, by)
    except EventError as exc:
        raise _http(exc) from None
    rows = frame.reset_index().rename(columns={frame.index.name: "key"})
    out = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return [StatRow.model_validate({**r, "key": str(r["key"])}) for r in out]


class CatalogueEntry(BaseModel):
    """A service of the catalogue as the event pages name it."""

    code: str
    name: str
    group: str
    department: str
    department_name: str | None
    sla_hours: float


@router.get("/catalogue", response_model=list[CatalogueEntry])
def events_catalogue(
    settings: SettingsDep, _: PublicReader, lang: Annotated[Literal["zh", "en"], Query()] = "zh"
) -> list[CatalogueEntry]:
    """The city's event types (services) with their names in ``lang``, department and SLA [h].

    Public like the Open311 service list (readable without a token while ``open_reads`` is on).
    """
    catalogue = load_catalogue(settings.events_catalogue)
    departments = {d.code: (d.name_en if lang == "en" else d.name_zh) for d in catalogue.departments}
    return [
        CatalogueEntry(code=s.code, name=s.name_en if lang == "en" else s.name_zh, group=s.group,
                       department=s.department, department_name=departments.get(s.department),
                       sla_hours=s.sla_hours)
        for s in catalogue.services
    ]


@router.get("/{event_id}", response_model=EventDetail)
def event_detail(event_id: str, engine: EngineDep, _: Reader) -> EventDetail:
    """One event with its history (oldest first)."""
    try:
        return EventDetail.model_validate(_public(get_event(engine, event_id)))
    except EventError as exc:
        raise _http(exc) from None


@router.post("/{event_id}/transition", response_model=EventDetail)
def event_transition(event_id: str, body: TransitionIn, engine: EngineDep, who: Operator) -> EventDetail:
    """Move an event through the workflow; refused moves (409) change nothing."""
    try:
        d = transition_event(engine, event_id, body.to, body.note, who.name, who.role, body.department, body.grid)
    except EventError as exc:
        raise _http(exc) from None
    return EventDetail.model_validate(_public(d))


@router.post("", response_model=EventDetail, status_code=201)
def event_create(body: EventIn, engine: EngineDep, who: Reporter) -> EventDetail:
    """Register an inspector's finding (or a sensor's, with a sensor token)."""
    source = "sensor" if who.role == "sensor" else body.source
    answers = {k: v if isinstance(v, list) else [v] for k, v in body.attributes.items()}
    new = NewEvent(service_code=body.service_code, lat=body.lat, lon=body.lon, address=body.address,
                   description=body.description, attributes=answers, source=source)
    try:
        created = create_event(engine, new, who.name, who.role)
        return EventDetail.model_validate(_public(get_event(engine, created.public_id)))
    except EventError as exc:
        raise _http(exc) from None
