"""Statistics of handled events and the goal-model indicators D2.R1.I1 / D2.R1.I2 they feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.events.events_fixtures import add_grid
from zhicheng.events import (
    EventError,
    NewEvent,
    create_event,
    event_indicators,
    event_statistics,
    store_event_indicators,
    transition_event,
)
from zhicheng.events.stats import period_bounds
from zhicheng.store.schema import indicator_values

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def handled(engine: Engine, service: str, lat: float, lon: float, hours: float | None, start: datetime,
            reopen: bool = False) -> None:
    """One event requested at ``start`` and closed ``hours`` later (left open when None)."""
    c = create_event(engine, NewEvent(service_code=service, lat=lat, lon=lon, requested_at=start), actor="t")
    if hours is None:
        return
    path = ["accepted", "dispatched", "in_progress", "resolved", "closed"]
    if reopen:
        path += ["reopened", "dispatched", "in_progress", "resolved", "closed"]
    for i, to in enumerate(path, start=1):
        at = start + timedelta(hours=hours * i / len(path))
        transition_event(engine, c.public_id, to, "step", "op", "operator", at=at)


def test_statistics_and_indicators_per_grid_and_up_the_tree(engine: Engine) -> None:
    add_grid(engine)
    # noise: SLA 48 h. In G1: closed after 10 h and 60 h (late); in G2: 20 h, reopened; one open in G2.
    handled(engine, "noise", 39.91, 116.31, 10, T0)
    handled(engine, "noise", 39.94, 116.34, 60, T0 + timedelta(days=1))
    handled(engine, "noise", 39.91, 116.36, 20, T0 + timedelta(days=2), reopen=True)
    handled(engine, "noise", 39.92, 116.37, None, T0 + timedelta(days=3))
    # Outside every grid cell: manhole-cover (SLA 12 h) closed after 30 h; and one in another month.
    handled(engine, "manhole-cover", 10.0, 10.0, 30, T0 + timedelta(days=4))
    handled(engine, "manhole-cover", 10.0, 10.0, 1, T0 + timedelta(days=40))

    stats = event_statistics(engine, T0, T0 + timedelta(days=30), by="grid_code")
    expected = pd.read_csv(StringIO(
        "grid_code,events,open,overdue,closed,closed_timed,rejected,closed_within_sla,closed_within_sla_pct,mean_hours,median_hours,p90_hours,reopened,reopen_rate_pct\n"
        ",1,0,0,1,1,0,0,0.0,30.0,30.0,30.0,0,0.0\n"
        "G1,2,0,0,2,2,0,1,50.0,35.0,35.0,55.0,0,0.0\n"
        "G2,2,1,1,1,1,0,1,100.0,20.0,20.0,20.0,1,50.0\n"), keep_default_na=False).set_index("grid_code")
    pd.testing.assert_frame_equal(stats, expected, check_dtype=False, atol=1e-6, rtol=0)

    got = event_indicators(engine, "2025-06", city_code="C1")
    # G1: 1 of 2 on time, mean (10 + 60) / 2; G2: 1 of 1, 20 h; D1 = G1 + G2; C1 = all four closed.
    expected_ind = pd.read_csv(StringIO(
        "unit_code,indicator_id,period,value\n"
        "C1,D2.R1.I1,2025-06,50.0\n"
        "D1,D2.R1.I1,2025-06,66.66666666666667\n"
        "G1,D2.R1.I1,2025-06,50.0\n"
        "G2,D2.R1.I1,2025-06,100.0\n"
        "C1,D2.R1.I2,2025-06,30.0\n"
        "D1,D2.R1.I2,2025-06,30.0\n"
        "G1,D2.R1.I2,2025-06,35.0\n"
        "G2,D2.R1.I2,2025-06,20.0\n"))
    pd.testing.assert_frame_equal(got, expected_ind, atol=1e-9, rtol=0)

    assert store_event_indicators(engine, "2025-06", city_code="C1") == 8
    assert store_event_indicators(engine, "2025-06", city_code="C1") == 8  # replaces, no duplicates
    with engine.connect() as conn:
        rows = conn.execute(sa.select(indicator_values.c.unit_code, indicator_values.c.value).where(
            indicator_values.c.indicator_id == "D2.R1.I2")).all()
    assert sorted(rows) == [("C1", 30.0), ("D1", 30.0), ("G1", 35.0), ("G2", 20.0)]
    with pytest.raises(EventError, match="'ZZ' is not in units"):
        store_event_indicators(engine, "2025-06", city_code="ZZ")


def test_periods_and_groupings_are_checked(engine: Engine) -> None:
    assert period_bounds("2024") == (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert period_bounds("2024-12") == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    for bad in ("2024-13", "24", "2024-1-1"):
        with pytest.raises(EventError):
            period_bounds(bad)
    with pytest.raises(EventError, match="by must be one of"):
        event_statistics(engine, by="colour")
    assert event_indicators(engine, "2024").empty
