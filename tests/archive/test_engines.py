"""The HJ 663 chain on DuckDB (and Spark: test_spark.py) equals the pure cores on the Beijing data.

Expected values: :mod:`zhicheng.air` (the pure cores, themselves checked against the standards'
reference values in tests/air) on the 12 Beijing stations' hourly files 2013-03 to 2017-02; every
column of every station-day and station-year is compared.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.archive.engine_support import archive_of, assert_same_table, beijing, pure_chain
from zhicheng.archive import engines, mover
from zhicheng.archive.location import Location
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s


@pytest.fixture(scope="module")
def beijing_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Location, pd.DataFrame, pd.DataFrame]:
    hourly = beijing()
    daily, annual = pure_chain(hourly)
    return archive_of(hourly, tmp_path_factory.mktemp("beijing") / "archive"), daily, annual


@pytest.mark.slow
def test_duckdb_equals_the_pure_cores_on_the_beijing_data(beijing_chain: tuple[Location, pd.DataFrame, pd.DataFrame]) -> None:
    loc, daily, annual = beijing_chain
    assert len(daily) == 12 * 1461 and len(annual) == 12 * 5
    chain = engines.duckdb_chain(loc, memory_limit="1GB", threads=1)
    assert_same_table(daily, chain.daily, "daily")
    assert_same_table(annual, chain.annual, "annual")
    # The data exercise what is compared: invalid days, MDA8 validity, both AQI sides of 100.
    assert (~daily["valid"]).sum() > 100 and daily["o3_8h_max_valid"].sum() > 10_000
    assert annual["so2_year_valid"].any() and not annual["pm25_year_valid"].all()


def test_the_sql_decides_halves_on_exact_values(tmp_path: Path) -> None:
    """Hourly values whose exact means end in .5 (synthetic): half to even, as GB/T 8170 says."""
    hours = pd.date_range("2016-01-01", periods=48, freq="h")
    frame = pd.DataFrame({"station": "S", "time": hours})
    for p in ("so2", "no2", "o3", "pm10", "pm25"):
        frame[p] = np.where(np.arange(48) % 2 == 0, 10.0, 11.0)  # day means 10.5 → 10
    frame.loc[24:, "pm25"] = np.where(np.arange(24) % 2 == 0, 11.0, 12.0)  # 11.5 → 12
    frame["co"] = np.where(np.arange(48) % 2 == 0, 0.2, 0.3)  # 0.25 → 0.2
    daily, _ = pure_chain(frame)
    chain = engines.duckdb_chain(archive_of(frame, tmp_path / "a"))
    assert list(chain.daily["pm25_24h"]) == [10.0, 12.0] and list(chain.daily["co_24h"]) == [0.2, 0.2]
    assert_same_table(daily, chain.daily, "daily")


def test_an_archive_made_by_the_mover_reads_as_the_pure_cores(db_url: str, tmp_path: Path) -> None:
    """Beijing hourly values through the store and ``archive run``: the engine maps Datastreams
    to stations and pollutants by their properties, and local days by the Thing's UTC offset."""
    hourly = beijing(stations=1, year=2015)
    hourly = hourly[pd.to_datetime(hourly["time"]).dt.month.isin([1, 2])].reset_index(drop=True)
    engine = init_store(db_url)
    local = pd.to_datetime(hourly["time"]).to_numpy(dtype="datetime64[us]").astype(np.int64)
    utc = local - 8 * 3_600_000_000
    with engine.begin() as conn:
        thing = conn.execute(s.sta_things.insert().values(
            name="Aotizhongxin", description="-", properties={"station": "Aotizhongxin", "utc_offset_hours": 8},
        )).inserted_primary_key[0]
        sensor = conn.execute(s.sta_sensors.insert().values(name="a", description="-", encoding_type="t")).inserted_primary_key[0]
        foi = conn.execute(s.sta_features_of_interest.insert().values(name="f", description="-", encoding_type="t")).inserted_primary_key[0]
        for column, prop in (("pm25", "PM2.5"), ("pm10", "PM10"), ("so2", "SO2"), ("no2", "NO2"), ("co", "CO"), ("o3", "O3")):
            op = conn.execute(s.sta_observed_properties.insert().values(name=prop, definition=prop, description=prop)).inserted_primary_key[0]
            ds = conn.execute(s.sta_datastreams.insert().values(
                name=f"Aotizhongxin {prop}", description="-", unit_of_measurement={"symbol": "x"},
                observation_type="OM_Measurement", properties={"pollutant": prop}, thing_id=thing,
                sensor_id=sensor, observed_property_id=op)).inserted_primary_key[0]
            values = hourly[column].to_numpy()
            conn.execute(s.sta_observations.insert(), [
                {"datastream_id": ds, "feature_of_interest_id": foi, "phenomenon_time_start": int(t),
                 "result_number": None if np.isnan(v) else float(v)}
                for t, v in zip(utc, values, strict=True)])
        newest = conn.execute(sa.select(sa.func.max(s.sta_observations.c.phenomenon_time_start))).scalar_one()
    assert datetime.fromtimestamp(newest / 1e6, UTC).month == 2
    loc = Location.open(str(tmp_path / "archive"))
    mover.run(engine, loc, hot_days=0)  # all but each Datastream's newest observation
    chain = engines.duckdb_chain(loc)
    daily, _ = pure_chain(hourly)
    # The last local day lost its newest hour to the hot window; every other day is whole.
    assert_same_table(daily.iloc[:-1].reset_index(drop=True),
                      chain.daily.iloc[:-1].reset_index(drop=True), "daily")
    engine.dispose()
