"""Event statistics and the goal-model indicators they feed.

Handling time and on-time closing are computed per event in SQL (no Python loop over rows);
group medians and percentiles in pandas. ``D2.R1.I1`` (事件按时办结率, share of closed events
closed by their SLA deadline [%]) and ``D2.R1.I2`` (事件平均处置时长, mean handling time of closed
events [h]) go into ``indicator_values`` per grid cell and every unit above it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.errors import EventError
from zhicheng.events.service import now_utc, utc
from zhicheng.events.workflow import OPEN_STATES
from zhicheng.store.schema import indicator_values, ingest_batches, units
from zhicheng.store.schema_events import events

INDICATOR_ON_TIME = "D2.R1.I1"
INDICATOR_MEAN_HOURS = "D2.R1.I2"
GROUPINGS = ("service_code", "department", "grid_code", "source")
STAT_COLUMNS = (
    "events", "open", "overdue", "closed", "closed_timed", "rejected", "closed_within_sla", "closed_within_sla_pct",
    "mean_hours", "median_hours", "p90_hours", "reopened", "reopen_rate_pct",
)


def _hours_between(conn: sa.Connection, start: Any, end: Any) -> sa.ColumnElement[Any]:
    """SQL expression: ``end − start`` [h]."""
    if conn.dialect.name == "sqlite":
        # julianday doubles resolve ~40 µs; rounding to whole milliseconds gives exact seconds back.
        return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, 3) / 3600.0
    return sa.func.extract("epoch", end - start) / 3600.0


def event_frame(
    conn: sa.Connection, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """One row per event requested in [start, end): groups, state flags and handling time [h]."""
    now = now_utc()
    closed = events.c.status == "closed"
    stmt = sa.select(
        events.c.service_code, events.c.department, events.c.grid_code, events.c.source,
        events.c.status, events.c.reopen_count,
        sa.case((closed, _hours_between(conn, events.c.requested_at, events.c.closed_at)),
                else_=None).label("hours"),
        sa.case((sa.and_(closed, events.c.closed_at <= events.c.expected_at), 1), else_=0).label("on_time"),
        sa.case((sa.and_(events.c.status.in_(OPEN_STATES), events.c.expected_at < now), 1),
                else_=0).label("late"),
    )
    if start is not None:
        stmt = stmt.where(events.c.requested_at >= utc(start))
    if end is not None:
        stmt = stmt.where(events.c.requested_at < utc(end))
    rows = conn.execute(stmt).all()
    columns = ["service_code", "department", "grid_code", "source", "status", "reopen_count",
               "hours", "on_time", "late"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["hours"] = pd.to_numeric(frame["hours"], errors="coerce").astype(float)
    return frame


def summarise(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Statistics of ``frame`` (from :func:`event_frame`) per value of column ``by`` (or overall).

    Columns: events, open, overdue (open past the SLA deadline), closed, closed_timed (closed
    with a known closing time), rejected, closed_within_sla, closed_within_sla_pct [%] (of
    closed_timed), mean/median/p90_hours [h] (closed − requested, over closed_timed), reopened
    (events reopened at least once), reopen_rate_pct [%]. A closed event whose closing time is
    unknown (a replayed record without one) counts as closed but in neither share nor times.
    """
    f = frame.assign(
        _events=1,
        _open=frame["status"].isin(OPEN_STATES).astype(int),
        _closed=(frame["status"] == "closed").astype(int),
        _timed=((frame["status"] == "closed") & frame["hours"].notna()).astype(int),
        _rejected=(frame["status"] == "rejected").astype(int),
        _reopened=(frame["reopen_count"] > 0).astype(int),
        _key=frame[by].fillna("") if by else "all",
    )
    g = f.groupby("_key", sort=True)
    out = pd.DataFrame({
        "events": g["_events"].sum(),
        "open": g["_open"].sum(),
        "overdue": g["late"].sum(),
        "closed": g["_closed"].sum(),
        "closed_timed": g["_timed"].sum(),
        "rejected": g["_rejected"].sum(),
        "closed_within_sla": g["on_time"].sum(),
        "mean_hours": g["hours"].mean(),
        "median_hours": g["hours"].median(),
        "p90_hours": g["hours"].quantile(0.9),
        "reopened": g["_reopened"].sum(),
    })
    timed = out["closed_timed"].astype(float)
    out["closed_within_sla_pct"] = np.where(timed > 0, 100.0 * out["closed_within_sla"] / timed.where(timed > 0), np.nan)
    out["reopen_rate_pct"] = 100.0 * out["reopened"] / out["events"]
    out.index.name = by or "all"
    return out[list(STAT_COLUMNS)]


def event_statistics(
    engine: Engine, start: datetime | None = None, end: datetime | None = None, by: str | None = "service_code"
) -> pd.DataFrame:
    """Statistics of events requested in [start, end) per ``by`` (a column of GROUPINGS, or None)."""
    if by is not None and by not in GROUPINGS:
        raise EventError(problems=[Problem(f"by must be one of {', '.join(GROUPINGS)}", column="by")])
    with engine.connect() as conn:
        frame = event_frame(conn, start, end)
    return summarise(frame, by)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period written ``YYYY`` or ``YYYY-MM`` (UTC)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", period.strip())
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        raise EventError(problems=[Problem(f"period must be YYYY or YYYY-MM, got {period!r}", column="period")])
    year = int(m.group(1))
    if m.group(2) is None:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month = int(m.group(2))
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return datetime(year, month, 1, tzinfo=UTC), end


def _ancestors(conn: sa.Connection) -> dict[str, list[str]]:
    parents = dict(conn.execute(sa.select(units.c.code, units.c.parent_code)).all())
    chains: dict[str, list[str]] = {}
    for code in parents:
        chain, seen, cur = [], set(), code
        while cur is not None and cur not in seen:
            chain.append(cur)
            seen.add(cur)
            cur = parents.get(cur)
        chains[code] = chain
    return chains


def event_indicators(engine: Engine, period: str, city_code: str | None = None, cells: bool = True) -> pd.DataFrame:
    """``D2.R1.I1`` [%] and ``D2.R1.I2`` [h] for ``period`` per unit.

    Every grid cell with closed events counts for itself and for each unit above it
    (``units.parent_code``); ``city_code``, when given, gets all events of the period, with or
    without a grid cell. Units without closed events get no value. With ``cells`` false only
    ``city_code`` gets values (the grid cells' own statistics are then read per cell instead).

    Returns columns unit_code, indicator_id, period, value.

    References
    ----------
    Goal model ``D2.R1`` 城市统一管理 (precise governance): 事件按时办结率 = closed by the SLA
    deadline / closed × 100; 事件平均处置时长 = mean(closed − requested) over closed events.
    """
    start, end = period_bounds(period)
    with engine.connect() as conn:
        frame = event_frame(conn, start, end)
        chains = _ancestors(conn)
    parts = []
    gridded = frame[frame["grid_code"].notna()].copy() if cells else frame.iloc[:0]
    if not gridded.empty:
        # The city (when named) is counted once below, from every event of the period.
        gridded["unit_code"] = gridded["grid_code"].map(
            lambda c: [u for u in chains.get(c, [c]) if u != city_code])
        parts.append(gridded.explode("unit_code").dropna(subset=["unit_code"]))
    if city_code:
        parts.append(frame.assign(unit_code=city_code))
    if not parts:
        return pd.DataFrame(columns=["unit_code", "indicator_id", "period", "value"])
    long = pd.concat(parts, ignore_index=True)
    stats = summarise(long, "unit_code")
    stats = stats[stats["closed_timed"] > 0]
    out = pd.concat([
        pd.DataFrame({"unit_code": stats.index, "indicator_id": INDICATOR_ON_TIME,
                      "value": stats["closed_within_sla_pct"].to_numpy()}),
        pd.DataFrame({"unit_code": stats.index, "indicator_id": INDICATOR_MEAN_HOURS,
                      "value": stats["mean_hours"].to_numpy()}),
    ], ignore_index=True)
    out["period"] = period
    return out[["unit_code", "indicator_id", "period", "value"]].sort_values(
        ["indicator_id", "unit_code"], ignore_index=True)


def store_event_indicators(
    engine: Engine, period: str, city_code: str | None = None, actor: str = "events", cells: bool = True
) -> int:
    """Compute :func:`event_indicators` and write them into ``indicator_values`` (one batch).

    Earlier values of the same unit, indicator and period are replaced. Returns the row count.
    """
    values = event_indicators(engine, period, city_code, cells)
    with engine.begin() as conn:
        known = {c for (c,) in conn.execute(sa.select(units.c.code))}
        missing = sorted(set(values["unit_code"]) - known)
        if missing:
            raise EventError(problems=[Problem(f"unit {c!r} is not in units", column="unit_code") for c in missing])
        batch = conn.execute(ingest_batches.insert().values(
            source=f"events:{period}", checksum="-", kind="events", ingested_by=actor,
            ingested_at=now_utc(), row_count=len(values), note="D2.R1.I1, D2.R1.I2 from the event workflow",
        ).returning(ingest_batches.c.id)).scalar_one()
        for indicator in (INDICATOR_ON_TIME, INDICATOR_MEAN_HOURS):
            conn.execute(indicator_values.delete().where(
                indicator_values.c.period == period, indicator_values.c.indicator_id == indicator,
                indicator_values.c.unit_code.in_(list(values["unit_code"].unique())),
            ))
        rows = cast(list[dict[str, Any]], values.assign(batch_id=batch).to_dict("records"))
        if rows:
            conn.execute(indicator_values.insert(), rows)
    return len(values)
