"""Indicators the platform derives from its own stored events, alerts and ingests (hand-counted cases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.operations import (
    ALERT_HOURS,
    ALERTS_PER_STATION,
    FRESHNESS,
    HOTLINE,
    PROACTIVE,
    SENSOR_EVENT_HOURS,
    operations_values,
    source_freshness,
    store_operations,
)
from zhicheng.sensing import alerts as sensing_alerts
from zhicheng.sensing.ingest import ObservationColumns, insert_observations
from zhicheng.sensing.model import THING
from zhicheng.sensing.writer import create
from zhicheng.store import schema_sensing as s
from zhicheng.store.schema import indicator_values
from zhicheng.store.schema_events import events

H = 3_600_000_000
T0 = 1_485_907_200_000_000  # 2017-02-01T00:00:00Z [µs]
UTC = dt.UTC


def _event(source: str, status: str, at: dt.datetime, **kw: Any) -> dict[str, Any]:
    # Every row names the same columns (an executemany insert takes the first row's).
    return {"service_code": "test", "status": status, "source": source, "requested_at": at, "updated_at": at,
            "grid_code": "440100", "closed_at": None, "duplicate_of": None, **kw}


def test_event_shares_and_sensor_handling_hours(store: Engine) -> None:
    at = dt.datetime(2020, 5, 1, 8, tzinfo=UTC)
    with store.begin() as conn:
        ids = conn.execute(sa.insert(events).returning(events.c.id), [
            _event("inspector", "closed", at), _event("inspector", "submitted", at),
            _event("sensor", "closed", at, closed_at=at + dt.timedelta(hours=3)),
            _event("citizen", "closed", at), _event("citizen", "rejected", at), _event("citizen", "submitted", at),
            _event("citizen", "closed", dt.datetime(2019, 12, 31, tzinfo=UTC)),  # another period
            _event("sensor", "submitted", at, grid_code=None),                   # not the unit's events
        ]).scalars().all()
        conn.execute(sa.insert(events), [_event("citizen", "closed", at, duplicate_of=ids[3])])  # not counted
        got = operations_values(conn, "2020", "440100", events_where=events.c.grid_code == "440100",
                                now=dt.datetime(2030, 1, 1, tzinfo=UTC))
    values = dict(zip(got["indicator_id"], got["value"], strict=True))
    # Registered in 2020 (no duplicates): 6; by patrols or sensors: 3 → 50 %.
    assert values[PROACTIVE] == pytest.approx(50.0, abs=1e-12)
    # Citizen requests accepted (not rejected): 2; closed: 1 → 50 %.
    assert values[HOTLINE] == pytest.approx(50.0, abs=1e-12)
    assert values[SENSOR_EVENT_HOURS] == pytest.approx(3.0, abs=1e-9)
    assert FRESHNESS not in values  # the unit has no ingested values yet
    assert ALERTS_PER_STATION not in values


def test_alert_figures_freshness_and_storing(store: Engine) -> None:
    thing = {"name": "Dongsi", "description": "station", "Datastreams": [{
        "name": "PM2.5", "description": "PM2.5", "observationType": "OM_Measurement",
        "unitOfMeasurement": {"name": "ug/m3", "symbol": "µg/m³", "definition": "ucum"},
        "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "m"},
        "ObservedProperty": {"name": "PM2.5", "definition": "PM2.5", "description": "PM2.5"}}],
        "Locations": [{"name": "site", "description": "d", "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [116.417, 39.929]}}]}
    with store.begin() as conn:
        thing_id = int(create(conn, THING, thing))
        sensing_alerts.create_rule(conn, sensing_alerts.RuleSpec(
            name="PM2.5 > 150", kind="threshold", observed_property="PM2.5", comparison="gt", threshold=150.0,
            duration_minutes=60), "test")
        ds = int(conn.execute(sa.select(s.sta_datastreams.c.id).where(s.sta_datastreams.c.thing_id == thing_id))
                 .scalar_one())
        hours = np.arange(12)
        series = np.array([200, 200, 200, 10, 10, 10, 300, 300, 10, 10, 10, 10], dtype=float)
        insert_observations(conn, [ObservationColumns(ds, T0 + hours.astype(np.int64) * H, series, [None] * 12)])
    with store.connect() as conn:
        stored = pd.DataFrame(conn.execute(sa.select(s.alerts.c.started_at, s.alerts.c.ended_at)).fetchall(),
                              columns=["started_at", "ended_at"])
        assert len(stored) == 2  # two breaches of two hours or more
        got = operations_values(conn, "2017", "440100", events_where=sa.false(), things=[thing_id])
    values = dict(zip(got["indicator_id"], got["value"], strict=True))
    assert values[ALERTS_PER_STATION] == 2.0
    ended = stored.dropna()
    assert values[ALERT_HOURS] == pytest.approx(((ended["ended_at"] - ended["started_at"]) / H).mean(), abs=1e-9)
    assert PROACTIVE not in values  # no events selected: no share
    with store.begin() as conn:
        assert store_operations(conn, got, by="test") == len(got)
        assert store_operations(conn, got, by="test") == 0  # nothing changed, nothing written
        n = conn.execute(sa.select(sa.func.count()).select_from(indicator_values).where(
            indicator_values.c.indicator_id.like("ops.%"))).scalar_one()
    assert n == 2
    with store.connect() as conn:
        fresh = source_freshness(conn, now=dt.datetime(2100, 1, 1, tzinfo=UTC))
    # The units file of the fixture is the one ingested source (the derived batch is left out).
    assert fresh["kind"].tolist() == ["units"] and fresh["batches"].tolist() == [1]
    assert fresh["days_since"].iloc[0] > 365 * 70
