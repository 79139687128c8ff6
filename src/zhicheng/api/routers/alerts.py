"""Alert rules (set by operators) and the alerts they open: ``/api/alerts``.

References
----------
HJ 633-2026 Table 1 (AQI levels used by ``aqi_level`` rules).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from zhicheng.api.deps import EngineDep, PublicReader, require_role
from zhicheng.api.routers.sta import run_work
from zhicheng.auth import Principal
from zhicheng.sensing import alerts as service
from zhicheng.sensing.errors import SensingError
from zhicheng.sensing.timefmt import parse_instant
from zhicheng.workspace.alerts import alert_page

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
Operator = Annotated[Principal, Depends(require_role("operator"))]


class RuleIn(BaseModel):
    """A rule as a client sends it: one Datastream or every Datastream of an ObservedProperty."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["threshold", "aqi_level"]
    datastream_id: int | None = Field(default=None, ge=1, le=2**53)
    observed_property: str | None = Field(default=None, min_length=1, max_length=200)
    comparison: Literal["gt", "ge", "lt", "le"] = "gt"
    threshold: float | None = Field(default=None, allow_inf_nan=False)
    aqi_level: int | None = Field(default=None, ge=1, le=6)
    duration_minutes: int = Field(default=0, ge=0, le=525_600)
    enabled: bool = True


class RuleOut(RuleIn):
    """A stored rule."""

    id: int
    created_by: str
    created_at: str | None


class AlertOut(BaseModel):
    """An alert: when the breach started, its peak and (once over) its end."""

    id: int
    rule_id: int
    datastream_id: int
    start: str
    end: str | None
    active: bool
    peak_value: float
    peak_at: str
    message: str


def _spec(rule: RuleIn) -> service.RuleSpec:
    return service.RuleSpec(**rule.model_dump())


@router.get("/rules", response_model=list[RuleOut])
def list_rules(engine: EngineDep, _: PublicReader) -> list[dict[str, Any]]:
    """Every alert rule."""
    return run_work(engine, service.list_rules)


@router.post("/rules", response_model=RuleOut, status_code=201)
def create_rule(rule: RuleIn, engine: EngineDep, who: Operator) -> dict[str, Any]:
    """Add a rule (operators and admins)."""
    return run_work(engine, lambda conn: service.create_rule(conn, _spec(rule), who.name), True)


@router.get("/rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: int, engine: EngineDep, _: PublicReader) -> dict[str, Any]:
    """One rule."""
    return run_work(engine, lambda conn: service.get_rule(conn, _bounded(rule_id)))


@router.put("/rules/{rule_id}", response_model=RuleOut)
def replace_rule(rule_id: int, rule: RuleIn, engine: EngineDep, _: Operator) -> dict[str, Any]:
    """Replace a rule's settings (its breach state starts afresh)."""
    return run_work(
        engine, lambda conn: service.replace_rule(conn, _bounded(rule_id), _spec(rule)), True
    )


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, engine: EngineDep, _: Operator) -> None:
    """Delete a rule with its alerts."""
    run_work(engine, lambda conn: service.delete_rule(conn, _bounded(rule_id)), True)


def _bounded(rule_id: int) -> int:
    if not 0 <= rule_id < 2**53:
        raise HTTPException(404, f"alert rule {rule_id} does not exist")
    return rule_id


@router.get("", response_model=list[AlertOut])
def list_alerts(
    engine: EngineDep,
    _: PublicReader,
    active: Annotated[
        bool | None, Query(description="true: open alerts only; false: ended ones only")
    ] = None,
    since: Annotated[
        str | None,
        Query(description="ISO 8601: alerts started, or still open, at or after this time"),
    ] = None,
    rule_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Alerts, newest first (the cockpit shows the active ones)."""
    try:
        since_us = parse_instant(since, "since") if since is not None else None
    except SensingError as exc:
        raise HTTPException(400, "; ".join(p.reason for p in exc.problems) or str(exc)) from None
    return run_work(
        engine, lambda conn: service.list_alerts(conn, active, since_us, rule_id, limit)
    )


class AlertRow(AlertOut):
    """An alert of the history, with its rule, Datastream and station."""

    rule_name: str
    rule_kind: str
    datastream_name: str
    thing_id: int
    station: str
    observed_property: str
    unit: str | None


class AlertHistory(BaseModel):
    """One page of every alert raised, newest first."""

    total: int
    limit: int
    offset: int
    alerts: list[AlertRow]


class Reading(BaseModel):
    """A reading of the alert's Datastream and whether it breached the rule."""

    at: str
    value: float
    breach: bool


class OpenedEvent(BaseModel):
    """The city event an alert opened."""

    id: str
    status: str
    expected_at: str | None


class AlertDetail(AlertRow):
    """An alert's page: rule, readings around it, the event it opened."""

    rule: RuleOut
    observations: list[Reading]
    event: OpenedEvent | None


@router.get("/history", response_model=AlertHistory)
def alert_history(
    engine: EngineDep,
    _: PublicReader,
    active: Annotated[bool | None, Query(description="true: open only; false: ended only")] = None,
    thing_id: Annotated[int | None, Query(ge=0, le=2**53, description="one station (Thing)")] = None,
    rule_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    lang: Annotated[Literal["zh", "en"], Query(description="language of the station's name")] = "zh",
) -> dict[str, Any]:
    """Every alert raised (open and ended), newest first, with rule, Datastream and station."""
    return run_work(
        engine, lambda conn: service.alert_history(conn, active, thing_id, rule_id, limit, offset, lang)
    )


@router.get("/{alert_id}", response_model=AlertDetail)
def alert_detail(
    alert_id: Annotated[int, PathParam(ge=0, le=2**53)], engine: EngineDep, _: PublicReader,
    lang: Annotated[Literal["zh", "en"], Query(description="language of the station's name")] = "zh",
) -> dict[str, Any]:
    """One alert: its rule, the readings that triggered it and the city event it opened."""
    return run_work(engine, lambda conn: alert_page(conn, alert_id, lang))
