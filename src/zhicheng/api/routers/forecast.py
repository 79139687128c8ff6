"""Forecasts (事件预判) under ``/api/forecast``: event volumes with intervals, raised forecast alerts.

Public aggregate data (reads open while ``open_reads`` is on).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from zhicheng.api.deps import EngineDep, PublicReader
from zhicheng.api.errors import http_status
from zhicheng.events.errors import EventError

router = APIRouter(prefix="/api/forecast", tags=["forecast"])


@router.get("/volumes")
def forecast_volumes(
    engine: EngineDep,
    _: PublicReader,
    service_code: Annotated[str | None, Query(max_length=64)] = None,
    grid_code: Annotated[str | None, Query(max_length=64)] = None,
    freq: Literal["h", "D"] = "h",
    source_ref: Annotated[str | None, Query(max_length=200, description="e.g. la311:%2020% (SQL LIKE)")] = None,
    days: Annotated[int, Query(ge=3, le=3660, description="Span up to the latest event [days]")] = 7,
) -> dict[str, Any]:
    """Counts per period with the rolling 95 % band, the next season's forecast and the surges.

    One category (all when omitted), one grid cell when given; surges are counts above the band.
    """
    import sqlalchemy as sa

    from zhicheng.events.forecast import volume_series, volume_view
    from zhicheng.store.schema_events import events

    conds = []
    if service_code:
        conds.append(events.c.service_code == service_code)
    if grid_code:
        conds.append(events.c.grid_code == grid_code)
    if source_ref:
        conds.append(events.c.source_ref.like(source_ref))
    with engine.connect() as conn:
        latest = conn.execute(sa.select(sa.func.max(events.c.requested_at)).where(*conds)).scalar()
    if latest is None:
        return {"history": [], "ahead": [], "surges": [], "freq": freq}
    from datetime import timedelta

    import pandas as pd

    from zhicheng.events.service import utc

    latest_at = utc(pd.Timestamp(latest).to_pydatetime())
    conds.append(events.c.requested_at >= latest_at - timedelta(days=days))
    series = volume_series(engine, freq, (), where=sa.and_(*conds))
    if series.empty:
        return {"history": [], "ahead": [], "surges": [], "freq": freq}
    try:
        view = volume_view(series[["period", "count"]], freq)
    except EventError as exc:
        raise HTTPException(http_status(exc), "; ".join(str(p) for p in exc.problems) or str(exc)) from None
    return {**view, "freq": freq}


@router.get("/alerts")
def forecast_alerts_list(
    engine: EngineDep,
    _: PublicReader,
    kind: Literal["episode", "surge", "supply"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Alerts forecasts raised (predicted episodes, surges, supply shortages), newest first."""
    from zhicheng.workspace.forecasts import list_forecast_alerts

    return list_forecast_alerts(engine, kind, limit)
