"""Grid cells (网格) under ``/api/grid``: per-cell event statistics for the heat map.

Public aggregate data (reads open while ``open_reads`` is on): counts, closure within SLA and
repeat locations per cell, never single reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from zhicheng.api.deps import EngineDep, PublicReader
from zhicheng.events.grid import grid_features, grid_statistics

router = APIRouter(prefix="/api/grid", tags=["grid"])


@router.get("/cells")
def grid_cells(
    engine: EngineDep,
    _: PublicReader,
    start: datetime | None = None,
    end: datetime | None = None,
    service_code: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the cells with events requested in [start, end).

    Each feature's properties: events, open, overdue, closed_timed, closed_within_sla,
    closed_within_sla_pct [%], mean_hours [h], repeat_locations, repeat_events, names, parent and
    ``kind`` (``own`` grid or ``h3``).
    """
    return grid_features(engine, grid_statistics(engine, start, end, service_code))
