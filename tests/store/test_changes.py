"""Change counters move with the writes to live data, in the writer's transaction, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from tests.cockpit.cockpit_workspace import add_live_data
from zhicheng.store import init_store
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.changes import counters
from zhicheng.store.schema import units
from zhicheng.store.schema_sensing import sta_observations


def test_writes_to_live_tables_bump_their_topics_once_per_transaction(db_url: str) -> None:
    engine = init_store(db_url)
    with engine.connect() as conn:
        assert counters(conn) == {"sensing": 0, "alerts": 0, "events": 0}
    add_live_data(engine, datetime.now(UTC))  # one transaction: stations, an alert rule and alert, events
    with engine.connect() as conn:
        assert counters(conn) == {"sensing": 1, "alerts": 1, "events": 1}
    # a write elsewhere moves nothing; a rolled-back write moves nothing
    with engine.begin() as conn:
        conn.execute(units.insert().values(code="X1", name_zh="试验", level="city"))
    with engine.connect() as conn:
        conn.execute(sa.delete(sta_observations))
        conn.rollback()
        assert counters(conn) == {"sensing": 1, "alerts": 1, "events": 1}
    # bulk writes (COPY / executemany) are counted too
    with engine.begin() as conn:
        ds = conn.execute(sa.select(sa.func.min(sta_observations.c.datastream_id))).scalar_one()
        foi = conn.execute(sa.select(sa.func.min(sta_observations.c.feature_of_interest_id))).scalar_one()
        bulk_insert(conn, sta_observations, pd.DataFrame({
            "datastream_id": [ds], "feature_of_interest_id": [foi], "phenomenon_time_start": [0], "result_number": [1.0]}))
    with engine.connect() as conn:
        assert counters(conn)["sensing"] == 2
    # another engine on the same store (another process) sees the same counters
    other = init_store(db_url)
    with other.connect() as conn:
        assert counters(conn)["sensing"] == 2
    other.dispose()
    engine.dispose()
