"""Sensor alerts open city events (the alert → event bridge between sensing and events).

Every alert opened by an observation written through the server or a command becomes an event
of the service ``air-quality-alert`` with source ``sensor``, placed at the station's Location and
carrying the alert's id as ``source_ref``. The alert hook is one process-wide list, so the store an
alert belongs to travels in a context variable: :func:`alert_events` sets it for a command, the
server's middleware (:mod:`zhicheng.api.wiring`) for each request, so several stores in one
process each open events in their own store.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.sensing import alerts as alert_hooks
from zhicheng.sensing.stations import datastream_station

log = logging.getLogger(__name__)

#: The store of the request (or command) in which observations are being written.
ALERT_STORE: ContextVar[Engine | None] = ContextVar("zhicheng_alert_store", default=None)
#: Open311 service of events opened from air-quality alerts (see events/services.yaml).
ALERT_SERVICE = "air-quality-alert"


def alert_event(conn: sa.Connection, alert: dict[str, Any]) -> dict[str, Any]:
    """The event description of a sensor alert: station, place, pollutant, start and peak.

    ``alert`` is an alert as :func:`zhicheng.sensing.alerts.alert_json` gives it; the station
    (Thing), its Location and the ObservedProperty are read from the store.
    """
    out: dict[str, Any] = {
        "id": alert.get("id"), "service_code": ALERT_SERVICE, "at": alert.get("start"),
        "message": f"{alert.get('message') or 'sensor alert'} (peak {alert.get('peak_value')} "
                   f"at {alert.get('peak_at')})",
    }
    station = datastream_station(conn, alert["datastream_id"])
    if station is None:
        return out
    out["station"] = station["station"]
    out["pollutant"] = station["pollutant"]
    if station["lon"] is not None and station["lat"] is not None:
        out["lon"], out["lat"] = station["lon"], station["lat"]
    return out


def open_event_for_alert(engine: Engine, alert: dict[str, Any]) -> int:
    """Open a city event (source ``sensor``) in ``engine``'s store from a sensor alert; its id.

    With ``ZHICHENG_WARNINGS_FROM_ALERTS`` on (the default) the alert also drafts a public warning
    (CAP 1.2) around the station, for a reviewer to publish or reject.
    """
    from zhicheng.events import open_event_from_alert
    from zhicheng.settings import Settings

    with engine.connect() as conn:
        described = alert_event(conn, alert)
    event_id = open_event_from_alert(engine, described)
    if Settings().warnings_from_alerts and described.get("lat") is not None:
        draft_warning_for_alert(engine, described)
    return event_id


#: Radius of the area a station's alert warns [km].
WARNING_RADIUS_KM = 5.0


def draft_warning_for_alert(engine: Engine, described: dict[str, Any], kind: str = "observed") -> int:
    """Draft a CAP warning (Env, awaiting review) from an alert described as :func:`alert_event` does.

    ``kind`` ``observed`` (a sensor alert: urgency Immediate, certainty Observed) or ``forecast``
    (a predicted episode: Expected, Likely). Returns the warning's id.
    """
    from zhicheng.events.cap import InfoBlock
    from zhicheng.events.warnings import WarningDraft, create_warning

    station = str(described.get("station") or "")
    pollutant = str(described.get("pollutant") or "")
    forecast = kind == "forecast"
    zh_event, en_event = ("重污染天气预警", "Heavy air pollution forecast") if forecast else ("空气质量超标", "Air-quality alert")
    where_zh, where_en = (f"{station}监测站周边 {WARNING_RADIUS_KM:g} 公里", f"{WARNING_RADIUS_KM:g} km around {station} station")
    info = (
        InfoBlock("zh-CN", zh_event, f"{where_zh}{'预计出现' if forecast else '出现'}空气污染{('（' + pollutant + '）') if pollutant else ''}",
                  str(described.get("message") or ""), "儿童、老年人及心脏病、肺病患者减少户外活动。"),
        InfoBlock("en-US", en_event, f"Air pollution {'expected' if forecast else 'observed'} {where_en}"
                  + (f" ({pollutant})" if pollutant else ""), str(described.get("message") or ""),
                  "Children, older people and those with heart or lung disease should limit outdoor activity."),
    )
    draft = WarningDraft(
        event_code=str(described.get("service_code") or ALERT_SERVICE), category="Env",
        urgency="Expected" if forecast else "Immediate", severity="Severe",
        certainty="Likely" if forecast else "Observed", area_desc_zh=where_zh, area_desc_en=where_en,
        circle=f"{float(described['lat']):.5f},{float(described['lon']):.5f} {WARNING_RADIUS_KM:g}",
        response_type="Prepare" if forecast else "Avoid", info=info,
        source="forecast" if forecast else "alert", source_ref=str(described.get("id") or "") or None,
    )
    return int(create_warning(engine, draft, actor=station or "sensor", role=None)["id"])


def _on_alert_opened(alert: dict[str, Any]) -> None:
    """The :data:`~zhicheng.sensing.alerts.ON_ALERT_OPENED` hook: an event in the alert's own store."""
    engine = ALERT_STORE.get()
    if engine is None:
        log.debug("alert %s opened outside a wired request: no event opened", alert.get("id"))
        return
    open_event_for_alert(engine, alert)


def register_hook() -> None:
    """Make new alerts open events (once per process)."""
    if _on_alert_opened not in alert_hooks.ON_ALERT_OPENED:
        alert_hooks.ON_ALERT_OPENED.append(_on_alert_opened)


@contextlib.contextmanager
def alert_events(engine: Engine) -> Iterator[None]:
    """Within the block, alerts fired in this thread open events in ``engine``'s store (commands)."""
    register_hook()
    token = ALERT_STORE.set(engine)
    try:
        yield
    finally:
        ALERT_STORE.reset(token)


def alert_page(conn: sa.Connection, alert_id: int, lang: str = "zh") -> dict[str, Any]:
    """An alert's page: rule, station, the readings around it and the city event it opened.

    ``event`` is the event opened from the alert (public id, state, due time), or None when no
    event was opened (an alert written outside a wired request or command).
    """
    from zhicheng.events.service import public_id_of
    from zhicheng.sensing.alerts import alert_detail
    from zhicheng.store.schema_events import events

    page = alert_detail(conn, alert_id, lang)
    row = conn.execute(
        sa.select(events.c.id, events.c.request_id, events.c.status, events.c.expected_at)
        .where(events.c.source == "sensor", events.c.service_code == ALERT_SERVICE,
               events.c.source_ref == str(alert_id))
        .order_by(events.c.id).limit(1)
    ).first()  # fmt: skip
    page["event"] = None if row is None else {
        "id": public_id_of(row.request_id, row.id), "status": row.status,
        "expected_at": row.expected_at.isoformat() if row.expected_at is not None else None,
    }
    return page
