"""Emergency readiness under ``/api/readiness``: plans, drills, supplies and D2.R3's indicators.

Reads need a staff token (operator, reviewer, analyst or viewer): depots and plans are internal.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from zhicheng.api.deps import EngineDep, require_role
from zhicheng.auth import Principal

router = APIRouter(prefix="/api/readiness", tags=["readiness"])

Staff = Annotated[Principal, Depends(require_role("operator", "reviewer", "analyst", "viewer"))]


@router.get("")
def readiness(
    engine: EngineDep,
    _: Staff,
    year: Annotated[int, Query(ge=1900, le=2100)],
    unit_code: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Plans with event types and departments, drills, depots and stock (short or expired flagged), indicators."""
    from zhicheng.events.readiness import readiness_indicators, readiness_summary

    return {**readiness_summary(engine), "indicators": readiness_indicators(engine, year, unit_code)}
