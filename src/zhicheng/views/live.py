"""Live part of the overview: station air quality, open and overdue city events, active alerts.

Counts come from indexed GROUP BYs on the events table (``status``, ``expected_at``) and the open
alerts (``ended_at IS NULL``). The stations' real-time AQI comes from the sensing service's own
reader, handed in by the caller (:data:`AirSource`), so this module depends on no sibling
service. A store without the events or sensing tables (or with them empty) gives
``available: false`` and the page shows a short note instead of the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.store.schema_events import events
from zhicheng.store.schema_sensing import (
    alert_rules,
    alerts,
    sta_datastreams,
    sta_observed_properties,
    sta_things,
    thing_name,
)

#: Workflow states in which an event still waits for handling (Open311 ``open``).
OPEN_STATES = ("submitted", "accepted", "dispatched", "in_progress", "reopened")
SENSING_TABLES = {"sta_things", "sta_datastreams", "sta_observed_properties", "sta_observations"}
#: Reads every station's current real-time AQI (e.g. ``zhicheng.sensing.airlive.current_aqi``).
AirSource = Callable[[Connection], list[dict[str, Any]]]
#: Bilingual names of event services and departments: ``{"services": {code: {"zh", "en"}},
#: "departments": {code: {"zh", "en"}}}`` (the events service's catalogue, handed in by the caller).
EventLabels = dict[str, dict[str, dict[str, str]]]
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


def _label(labels: EventLabels | None, kind: str, code: str | None, lang: str) -> str | None:
    """The catalogue's name of a service or department in ``lang``; the code when it has none."""
    if code is None:
        return None
    names = (labels or {}).get(kind, {}).get(code)
    return (names.get(lang) or names.get("zh") or code) if names else code


def events_summary(conn: Connection, now: datetime, labels: EventLabels | None = None,
                   lang: str = "zh") -> dict[str, Any]:
    """Events by state, open and overdue counts, and the most overdue open events (with names)."""
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
        sa.select(e.c.id, e.c.request_id, e.c.service_code, e.c.status, e.c.department, e.c.address,
                  e.c.expected_at)
        .where(overdue_filter).order_by(e.c.expected_at).limit(LIST_N)
    ).mappings()
    return {
        "available": True,
        "total": total,
        "open": sum(by_status.get(s, 0) for s in OPEN_STATES),
        "overdue": overdue,
        "by_status": by_status,
        "overdue_list": [
            {**dict(r), "expected_at": _iso(r["expected_at"]),
             "service_name": _label(labels, "services", r["service_code"], lang),
             "department_name": _label(labels, "departments", r["department"], lang)}
            for r in listed
        ],
    }


def alerts_summary(conn: Connection, lang: str = "zh") -> dict[str, Any]:
    """Alerts still open (no end time), newest first, with the station and pollutant named."""
    a, r, d, t, op = alerts, alert_rules, sta_datastreams, sta_things, sta_observed_properties
    rules = int(conn.execute(sa.select(sa.func.count()).select_from(r)).scalar_one())
    active_filter = a.c.ended_at.is_(None)
    active = int(conn.execute(sa.select(sa.func.count()).select_from(a).where(active_filter)).scalar_one())
    total = int(conn.execute(sa.select(sa.func.count()).select_from(a)).scalar_one())
    rows = conn.execute(
        sa.select(a.c.id, a.c.started_at, a.c.peak_value, a.c.message, r.c.name.label("rule"),
                  d.c.name.label("datastream"), t.c.name.label("thing"), t.c.properties,
                  op.c.name.label("observed_property"))
        .select_from(a.join(r, r.c.id == a.c.rule_id).join(d, d.c.id == a.c.datastream_id)
                     .join(t, t.c.id == d.c.thing_id).join(op, op.c.id == d.c.observed_property_id))
        .where(active_filter).order_by(a.c.started_at.desc()).limit(LIST_N)
    ).mappings()
    listed = [
        {**{k: v for k, v in dict(row).items() if k not in ("thing", "properties")},
         "station": thing_name(row["thing"], row["properties"], lang),
         "started_at": datetime.fromtimestamp(row["started_at"] / 1e6, UTC).isoformat()}
        for row in rows
    ]
    return {"available": rules > 0 or total > 0, "active": active, "total": total, "list": listed}


def air_summary(conn: Connection, air: AirSource, lang: str) -> dict[str, Any]:
    """Stations' current AQI, worst first, with the level's name in ``lang`` and its colour."""
    stations = []
    for st in air(conn):
        level = st.get("level_en") if lang == "en" else st.get("level")
        # One language per page: the Chinese name in the Chinese UI where the station has one.
        name = (st.get("name_zh") if lang == "zh" else None) or st.get("name")
        lon, lat = _point(st.get("location"))
        stations.append({
            "id": st.get("thing_id"), "name": name, "at": st.get("hour_start"), "lon": lon, "lat": lat,
            "aqi": st.get("aqi"), "level_name": level, "colour": st.get("colour"),
            "primary": st.get("primary"), "standard": st.get("standard"),
        })
    stations.sort(key=_worst_first)
    return {"available": bool(stations), "stations": stations}


def _point(location: Any) -> tuple[float | None, float | None]:
    """Longitude and latitude of a GeoJSON Point (or a Feature holding one); None when absent."""
    if isinstance(location, dict) and location.get("type") == "Feature":
        location = location.get("geometry")
    if isinstance(location, dict) and location.get("type") == "Point":
        coords = location.get("coordinates") or []
        if len(coords) >= 2:
            return float(coords[0]), float(coords[1])
    return None, None


def _worst_first(station: dict[str, Any]) -> tuple[int, str]:
    aqi = station["aqi"]
    return (-aqi if isinstance(aqi, int) else 1, str(station["name"]))


def live_summary(conn: Connection, lang: str, now: datetime | None = None,
                 air: AirSource | None = None, event_labels: EventLabels | None = None) -> dict[str, Any]:
    """Air, events and alerts for the overview; parts whose tables or readers are missing are not available."""
    now = now or datetime.now(UTC)
    names = _tables(conn)
    return {
        "lang": lang,
        "at": now.isoformat(),
        "events": events_summary(conn, now, event_labels, lang) if "events" in names else {"available": False},
        "alerts": alerts_summary(conn, lang) if {"alerts", "alert_rules"} <= names else {"available": False},
        "air": (air_summary(conn, air, lang) if air is not None and names >= SENSING_TABLES
                else {"available": False, "stations": []}),
    }
