"""Live part of the overview: station air quality, open and overdue city events, active alerts.

Counts come from indexed GROUP BYs on the events table (``status``, ``expected_at``) and the open
alerts (``ended_at IS NULL``); nothing reads raw sensor observations. A store without the events
or sensing tables (or with them empty) gives ``available: false`` and the page leaves the panel
out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.report.air import stations_air
from zhicheng.store.schema_events import events
from zhicheng.store.schema_sensing import alert_rules, alerts, sta_datastreams

#: Workflow states in which an event still waits for handling (Open311 ``open``).
OPEN_STATES = ("submitted", "accepted", "dispatched", "in_progress", "reopened")
SENSING_TABLES = {"sta_things", "sta_datastreams", "sta_observed_properties", "sta_observations"}
#: How many overdue events and active alerts the overview lists.
LIST_N = 8


def _tables(conn: Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def events_summary(conn: Connection, now: datetime) -> dict[str, Any]:
    """Events by state, open and overdue counts, and the most overdue open events."""
    e = events
    by_status = {s: int(n) for s, n in conn.execute(
        sa.select(e.c.status, sa.func.count()).group_by(e.c.status)
    )}
    total = sum(by_status.values())
    if total == 0:
        return {"available": False}
    overdue_filter = sa.and_(e.c.status.in_(OPEN_STATES), e.c.expected_at < now)
    overdue = int(conn.execute(sa.select(sa.func.count()).where(overdue_filter)).scalar_one())
    listed = conn.execute(
        sa.select(e.c.id, e.c.service_code, e.c.status, e.c.department, e.c.address, e.c.expected_at)
        .where(overdue_filter).order_by(e.c.expected_at).limit(LIST_N)
    ).mappings()
    return {
        "available": True,
        "total": total,
        "open": sum(by_status.get(s, 0) for s in OPEN_STATES),
        "overdue": overdue,
        "by_status": by_status,
        "overdue_list": [{**dict(r), "expected_at": _iso(r["expected_at"])} for r in listed],
    }


def alerts_summary(conn: Connection) -> dict[str, Any]:
    """Alerts still open (no end time), newest first."""
    a, r, d = alerts, alert_rules, sta_datastreams
    rules = int(conn.execute(sa.select(sa.func.count()).select_from(r)).scalar_one())
    active_filter = a.c.ended_at.is_(None)
    active = int(conn.execute(sa.select(sa.func.count()).select_from(a).where(active_filter)).scalar_one())
    rows = conn.execute(
        sa.select(a.c.id, a.c.started_at, a.c.peak_value, a.c.message, r.c.name.label("rule"),
                  d.c.name.label("datastream"))
        .select_from(a.join(r, r.c.id == a.c.rule_id).join(d, d.c.id == a.c.datastream_id))
        .where(active_filter).order_by(a.c.started_at.desc()).limit(LIST_N)
    ).mappings()
    listed = [
        {**dict(row), "started_at": datetime.fromtimestamp(row["started_at"] / 1e6, UTC).isoformat()}
        for row in rows
    ]
    return {"available": rules > 0 or active > 0, "active": active, "list": listed}


def live_summary(conn: Connection, lang: str, now: datetime | None = None) -> dict[str, Any]:
    """Events and alerts for the overview; parts whose tables are missing are not available."""
    now = now or datetime.now(UTC)
    names = _tables(conn)
    return {
        "lang": lang,
        "at": now.isoformat(),
        "events": events_summary(conn, now) if "events" in names else {"available": False},
        "alerts": alerts_summary(conn) if {"alerts", "alert_rules"} <= names else {"available": False},
        "air": stations_air(conn, lang) if names >= SENSING_TABLES else {"available": False, "stations": []},
    }
