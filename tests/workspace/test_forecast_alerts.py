"""A predicted pollution episode raises an alert: an event at the station and a warning draft, once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from zhicheng.events.warnings import list_warnings
from zhicheng.store import init_store
from zhicheng.store.schema_events import events
from zhicheng.store.schema_warnings import forecast_alerts
from zhicheng.workspace.forecasts import raise_episode_alerts


def test_episode_forecast_opens_an_event_and_drafts_a_warning(tmp_path: Path) -> None:
    engine = init_store(tmp_path / "f.db")
    # SYNTHETIC forecast rows (the shape forecast_ahead gives): a heavy day 48 h ahead, a light one.
    rows = pd.DataFrame({"station": ["Dongsi", "Dongsi"], "origin": pd.Timestamp("2017-02-28"),
                         "horizon_days": [1, 2], "target": [pd.Timestamp("2017-03-01"), pd.Timestamp("2017-03-02")],
                         "pm25": [60.0, 182.0], "level_index": [1, 4], "warn": [False, True]})
    assert len(raise_episode_alerts(engine, rows)) == 1
    assert raise_episode_alerts(engine, rows) == []  # once only
    with engine.connect() as conn:
        alert = conn.execute(sa.select(forecast_alerts)).one()
        event = conn.execute(sa.select(events).where(events.c.id == alert.event_id)).one()
    assert (alert.kind, alert.place, alert.horizon_hours, alert.predicted) == ("episode", "Dongsi", 48.0, 182.0)
    # Issued at the end of the origin day (Beijing time), before the forecast day begins.
    assert pd.Timestamp(alert.issued_at) < pd.Timestamp(alert.target_at)
    assert (event.service_code, event.source, event.department) == ("pollution-episode-forecast", "sensor", "HBJ")
    assert (event.lat, event.lon) == (39.929, 116.417)
    [draft] = list_warnings(engine, "draft")
    assert draft["id"] == alert.warning_id and draft["urgency"] == "Expected" and draft["certainty"] == "Likely"
    engine.dispose()
