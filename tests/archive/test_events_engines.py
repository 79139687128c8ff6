"""Event closure statistics on DuckDB equal the events service's on the real LA 311 requests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.events.events_fixtures import LA2020
from zhicheng.archive import engines, events_sql
from zhicheng.events import load_la311
from zhicheng.events.stats import event_frame, summarise
from zhicheng.events.workflow import OPEN_STATES
from zhicheng.store import init_store


def test_the_sql_knows_the_workflow_s_open_states() -> None:
    assert tuple(OPEN_STATES) == events_sql.OPEN_STATES


@pytest.mark.slow
@pytest.mark.parametrize("by", ["service_code", "grid_code", "department", None])
def test_duckdb_closure_statistics_equal_the_service_s(tmp_path: Path, by: str | None) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_la311(engine, LA2020)
    with engine.connect() as conn:
        frame = event_frame(conn)
    engine.dispose()
    frame["grid_code"] = frame["service_code"].str.slice(0, 3)  # synthetic cells: LA rows carry none
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    expected = summarise(frame, by)
    got = engines.duckdb_event_statistics(str(path), by)
    assert list(got.index) == list(expected.index) and len(expected) >= 1
    for col in events_sql.STAT_COLUMNS:
        pd.testing.assert_series_equal(got[col].astype(float), expected[col].astype(float),
                                       check_names=False, check_index=False, rtol=1e-9, atol=0)
    assert expected["closed"].sum() > 1000
