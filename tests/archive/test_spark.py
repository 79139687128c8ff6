"""The HJ 663 chain on a Spark standalone cluster equals the pure cores and DuckDB.

The cluster is the one ``.ci/run`` starts (``.ci/spark-cluster``: a master and one 2-core worker
on 127.0.0.1); its URL comes in ``ZHICHENG_TEST_SPARK_URL``. Without it the tests are skipped
(``ZHICHENG_REQUIRE_SPARK=1`` makes that an error). The data are kept small (one Beijing station,
one calendar year: 52,560 hourly values) so the run stays within a few minutes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.archive.engine_support import archive_of, assert_same_table, beijing, pure_chain
from zhicheng.archive import engines

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    url = os.environ.get("ZHICHENG_TEST_SPARK_URL")
    if not url:
        if os.environ.get("ZHICHENG_REQUIRE_SPARK"):
            raise RuntimeError("ZHICHENG_REQUIRE_SPARK is set but ZHICHENG_TEST_SPARK_URL is not")
        pytest.skip("no Spark cluster (start one with .ci/spark-cluster; .ci/run does)")
    session = engines.spark_session(url, app="zhicheng-tests")
    session.sparkContext.setLogLevel("ERROR")
    assert session.sparkContext.master == url  # submitted to the cluster, not run in-process
    yield session
    session.stop()


def test_spark_on_the_cluster_equals_the_pure_cores_and_duckdb(spark: Any, tmp_path: Path) -> None:
    hourly = beijing(stations=1, year=2014)
    daily, annual = pure_chain(hourly)
    loc = archive_of(hourly, tmp_path / "archive")
    on_spark = engines.spark_chain(loc, session=spark)
    assert_same_table(daily, on_spark.daily, "daily")
    assert_same_table(annual, on_spark.annual, "annual")
    on_duckdb = engines.duckdb_chain(loc)
    assert_same_table(on_duckdb.daily, on_spark.daily, "daily (duckdb)")
    assert len(daily) == 365 and len(annual) == 1


def test_spark_closure_statistics_equal_the_service_s(spark: Any, tmp_path: Path) -> None:
    import pandas as pd

    from tests.events.events_fixtures import LA2020
    from zhicheng.archive import events_sql
    from zhicheng.events import load_la311
    from zhicheng.events.stats import event_frame, summarise
    from zhicheng.store import init_store

    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_la311(engine, LA2020)
    with engine.connect() as conn:
        frame = event_frame(conn)
    engine.dispose()
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    expected = summarise(frame, "service_code")
    got = engines.spark_event_statistics(str(path), "service_code", session=spark)
    assert list(got.index) == list(expected.index)
    for col in events_sql.STAT_COLUMNS:
        pd.testing.assert_series_equal(got[col].astype(float), expected[col].astype(float),
                                       check_names=False, check_index=False, rtol=1e-9, atol=0)


def test_spark_meter_consumption_equals_the_in_memory_core_and_duckdb(spark: Any, tmp_path: Path) -> None:
    import pandas as pd

    from tests.archive import engine_support as meters

    readings = meters.synthetic_meters()  # SYNTHETIC meter readings
    edges = meters.meter_edges()
    loc = meters.meter_archive(readings, tmp_path / "meters")
    on_spark = engines.spark_meter_consumption(loc, meters.METER_KINDS, edges, session=spark)
    meters.assert_same_consumption(meters.pure_consumption(readings, edges), on_spark.periods)
    on_duckdb = engines.duckdb_meter_consumption(loc, meters.METER_KINDS, edges)
    pd.testing.assert_frame_equal(on_duckdb.resets, on_spark.resets)
    assert on_spark.periods["consumption"].notna().sum() > 150
