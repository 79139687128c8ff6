"""Indicators the platform measures itself, from the stored events, alerts and ingests.

Reads the store's tables (``events``, ``alerts``, ``sta_datastreams``, ``ingest_batches``) with
SQL aggregates — never the events or sensing services — and returns long values (unit_code,
indicator_id, period, value) for one unit and one period, ready for :func:`store_operations`:

* ``D2.R1.I4`` 事件主动发现率 [%] — events found by patrols or sensors (source ``inspector`` or
  ``sensor``) / all events registered in the period × 100 (duplicates not counted);
* ``D7.R1.I4`` 12345热线诉求办结率 [%] — citizen requests closed / citizen requests accepted
  (all but the rejected) × 100, by the request's date;
* ``ops.alerts_per_station`` [alerts per station] — alerts started in the period on the unit's
  stations / its stations;
* ``ops.alert_hours`` [h] — mean duration (end − start) of the period's ended alerts;
* ``ops.sensor_event_hours`` [h] — mean handling time (closed − requested) of the events that
  alerts opened, over those closed;
* ``ops.data_freshness_days`` [days] — days from the latest ingest of any of the unit's values
  (other than these derived ones) to the moment of derivation.

Operations measures outside the goal framework carry ``ops.`` ids (as denominators carry
``den.``): stored and shown, not scored. D2.R1.I1 and D2.R1.I2 (events closed within SLA, mean
handling time) are the event workflow's own indicators and are stored by it.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import sqlalchemy as sa

from zhicheng.evaluate.errors import EvaluationError
from zhicheng.store.schema import indicator_values, ingest_batches, units
from zhicheng.store.schema_events import events
from zhicheng.store.schema_sensing import alerts, sta_datastreams
from zhicheng.store.values import new_batch, write_values

PROACTIVE, HOTLINE = "D2.R1.I4", "D7.R1.I4"
ALERTS_PER_STATION, ALERT_HOURS = "ops.alerts_per_station", "ops.alert_hours"
SENSOR_EVENT_HOURS, FRESHNESS = "ops.sensor_event_hours", "ops.data_freshness_days"
#: Event sources that count as found by the city itself (patrols, video, IoT sensing).
PROACTIVE_SOURCES = ("inspector", "sensor")
_YEAR = re.compile(r"^\d{4}$")
_MICROS_PER_HOUR = 3_600_000_000


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start (inclusive) and end (exclusive) of a year period."""
    if not _YEAR.match(period):
        raise EvaluationError(f"operations indicators need a year period (got {period!r})")
    year = int(period)
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def event_shares(conn: sa.Connection, period: str, where: sa.ColumnElement[bool] | None) -> dict[str, float]:
    """D2.R1.I4 and D7.R1.I4 of the events ``where`` selects (all events when None) in ``period`` [%]."""
    start, end = period_bounds(period)
    e = events
    cond = sa.and_(e.c.requested_at >= start, e.c.requested_at < end, e.c.duplicate_of.is_(None),
                   *([where] if where is not None else []))
    citizen = e.c.source == "citizen"
    row = conn.execute(sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((e.c.source.in_(PROACTIVE_SOURCES), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(citizen, e.c.status != "rejected"), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(citizen, e.c.status == "closed"), 1), else_=0)),
    ).where(cond)).one()
    total, proactive, accepted, closed = (int(v or 0) for v in row)
    out: dict[str, float] = {}
    if total:
        out[PROACTIVE] = 100.0 * proactive / total
    if accepted:
        out[HOTLINE] = 100.0 * closed / accepted
    return out


def sensor_event_hours(conn: sa.Connection, period: str, where: sa.ColumnElement[bool] | None) -> float | None:
    """Mean hours from request to closure of the period's closed sensor events (None without any)."""
    start, end = period_bounds(period)
    e = events
    frame = pd.DataFrame(conn.execute(sa.select(e.c.requested_at, e.c.closed_at).where(
        e.c.source == "sensor", e.c.closed_at.is_not(None), e.c.requested_at >= start, e.c.requested_at < end,
        *([where] if where is not None else []))).fetchall(), columns=["requested_at", "closed_at"])
    if frame.empty:
        return None
    hours = (pd.to_datetime(frame["closed_at"], utc=True) - pd.to_datetime(frame["requested_at"], utc=True))
    return float(hours.dt.total_seconds().mean() / 3600.0)


def alert_figures(conn: sa.Connection, period: str, things: list[int]) -> dict[str, float]:
    """Alerts per station and mean alert duration [h] of the stations ``things`` in ``period``."""
    if not things:
        return {}
    start, end = period_bounds(period)
    lo, hi = int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)
    a, d = alerts, sta_datastreams
    row = conn.execute(sa.select(
        sa.func.count(a.c.id),
        sa.func.avg(sa.case((a.c.ended_at.is_not(None), a.c.ended_at - a.c.started_at), else_=None)),
    ).select_from(a.join(d, d.c.id == a.c.datastream_id)).where(
        d.c.thing_id.in_(things), a.c.started_at >= lo, a.c.started_at < hi)).one()
    count, mean_micros = int(row[0] or 0), row[1]
    out = {ALERTS_PER_STATION: count / len(things)}
    if mean_micros is not None:
        out[ALERT_HOURS] = float(mean_micros) / _MICROS_PER_HOUR
    return out


def data_freshness_days(conn: sa.Connection, unit_code: str, now: dt.datetime | None = None) -> float | None:
    """Days from the latest ingest of any of the unit's values to ``now`` (None without values)."""
    v, b = indicator_values, ingest_batches
    latest = conn.execute(sa.select(sa.func.max(b.c.ingested_at)).select_from(v.join(b, b.c.id == v.c.batch_id))
                          .where(v.c.unit_code == unit_code, b.c.kind != "operations")).scalar()
    if latest is None:
        return None
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=dt.UTC)
    return max(0.0, ((now or dt.datetime.now(dt.UTC)) - latest).total_seconds() / 86400.0)


def source_freshness(conn: sa.Connection, now: dt.datetime | None = None) -> pd.DataFrame:
    """Days since the last ingest of each source (``ingest_batches.source``), freshest first.

    Columns: source, kind, batches, last_ingest, days_since [days]. Derived batches (kind
    ``operations``) are left out.
    """
    b = ingest_batches
    rows = conn.execute(sa.select(b.c.source, sa.func.min(b.c.kind), sa.func.count(), sa.func.max(b.c.ingested_at))
                        .where(b.c.kind != "operations").group_by(b.c.source)).fetchall()
    frame = pd.DataFrame(rows, columns=["source", "kind", "batches", "last_ingest"])
    if frame.empty:
        return frame.assign(days_since=pd.Series(dtype=float))
    last = pd.to_datetime(frame["last_ingest"], utc=True)
    moment = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    frame["days_since"] = ((moment - last).dt.total_seconds() / 86400.0).clip(lower=0.0)
    return frame.sort_values(["days_since", "source"], kind="mergesort", ignore_index=True)


def operations_values(conn: sa.Connection, period: str, unit_code: str, *,
                      events_where: sa.ColumnElement[bool] | None = None, things: list[int] | None = None,
                      now: dt.datetime | None = None) -> pd.DataFrame:
    """Every operations indicator of one unit and period (see the module docstring for the formulas).

    Parameters
    ----------
    conn
        A store connection.
    period
        A year.
    unit_code
        The unit the values belong to.
    events_where
        Which events are the unit's (a SQL condition on ``events``; all events when None).
    things
        The unit's stations (SensorThings Thing ids) for the alert figures.
    now
        The moment of derivation (for the data freshness; default: now).

    Returns
    -------
    pandas.DataFrame
        Columns unit_code, indicator_id, period, value.
    """
    if conn.execute(sa.select(units.c.code).where(units.c.code == unit_code)).scalar() is None:
        raise EvaluationError(f"unknown unit {unit_code!r}")
    found = event_shares(conn, period, events_where)
    found.update(alert_figures(conn, period, things or []))
    hours = sensor_event_hours(conn, period, events_where)
    if hours is not None:
        found[SENSOR_EVENT_HOURS] = hours
    fresh = data_freshness_days(conn, unit_code, now)
    if fresh is not None:
        found[FRESHNESS] = fresh
    return pd.DataFrame({"unit_code": unit_code, "indicator_id": list(found), "period": period,
                         "value": [float(x) for x in found.values()]})


def store_operations(conn: sa.Connection, values: pd.DataFrame, *, by: str) -> int:
    """Write operations values as one batch (kind ``operations``); unchanged values are not rewritten."""
    from zhicheng.evaluate.intake import split_stored

    if values.empty:
        return 0
    new, changed, _ = split_stored(conn, values)
    # Freshness moves with the clock: a run that changes nothing else keeps the stored figure.
    if new.empty and (changed.empty or set(changed["indicator_id"]) == {FRESHNESS}):
        return 0
    batch = new_batch(conn, source=f"operations:{','.join(sorted(values['period'].unique()))}", checksum="-",
                      ingested_by=by, row_count=len(new) + len(changed), kind="operations",
                      note="indicators derived from the stored events, alerts and ingests")
    write_values(conn, new, changed, batch)
    return len(new) + len(changed)
