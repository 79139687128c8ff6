"""Bulk writes (COPY on PostgreSQL, executemany on SQLite) and the value/unit readers, on both stores."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from zhicheng.store import init_store
from zhicheng.store.bulk import bulk_insert, table_counts
from zhicheng.store.schema import indicator_values, ingest_batches, units
from zhicheng.store.values import (
    batch_with_checksum,
    new_batch,
    read_units,
    read_values,
    write_values,
)

UNITS = pd.DataFrame({
    "code": ["110100", "310100", "440300"],
    "name_zh": ["北京市", "上海市", "深圳市"],
    "name_en": ["Beijing", None, "Shenzhen, \"SZ\"\ttab"],  # NULL, quotes and a tab survive COPY
    "level": "city",
    "lon": [116.4, None, 114.06],
    "lat": [39.9, None, 22.54],
})


def test_bulk_insert_round_trips_nulls_and_awkward_text(db_url: str) -> None:
    engine = init_store(db_url)
    with engine.begin() as conn:
        assert bulk_insert(conn, units, UNITS) == 3
    with engine.connect() as conn:
        got = read_units(conn).set_index("code")
    assert got.loc["440300", "name_en"] == "Shenzhen, \"SZ\"\ttab"
    assert pd.isna(got.loc["310100", "name_en"]) and pd.isna(got.loc["310100", "lon"])
    assert got.loc["110100", "lon"] == 116.4
    engine.dispose()


def test_a_failed_transaction_leaves_no_rows(db_url: str) -> None:
    engine = init_store(db_url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        bulk_insert(conn, units, UNITS)
        bulk_insert(conn, units, UNITS.iloc[:1])  # duplicate primary key: the whole write fails
    with engine.connect() as conn:
        assert table_counts(conn, [units, indicator_values]) == {"units": 0, "indicator_values": 0}
    engine.dispose()


def test_values_written_read_and_updated(db_url: str) -> None:
    engine = init_store(db_url)
    with engine.begin() as conn:
        bulk_insert(conn, units, UNITS)
        batch = new_batch(conn, source="test.csv", checksum="abc", ingested_by="tester", row_count=4)
        new = pd.DataFrame({"unit_code": ["110100", "110100", "310100", "440300"],
                            "indicator_id": ["D4.R1.I2", "D4.R1.I2", "D4.R1.I2", "D4.R2.I1"],
                            "period": ["2019", "2020", "2020", "2020"],
                            "value": [164220.0, 164889.0, 155768.0, 62.13]})
        write_values(conn, new, new.iloc[:0], batch)
    with engine.begin() as conn:
        batch2 = new_batch(conn, source="fix.csv", checksum="def", ingested_by="tester", row_count=1)
        write_values(conn, new.iloc[:0], new.iloc[[3]].assign(value=62.2), batch2)
    with engine.connect() as conn:
        got = read_values(conn, periods=["2020"]).sort_values(["unit_code", "indicator_id"]).reset_index(drop=True)
        assert batch_with_checksum(conn, "abc") == batch and batch_with_checksum(conn, "zzz") is None
        stamp = conn.execute(sa.select(ingest_batches.c.ingested_at).where(ingest_batches.c.id == batch)).scalar_one()
    want = pd.DataFrame({"unit_code": ["110100", "310100", "440300"], "indicator_id": ["D4.R1.I2", "D4.R1.I2", "D4.R2.I1"],
                         "period": ["2020", "2020", "2020"], "value": [164889.0, 155768.0, 62.2],
                         "batch_id": [batch, batch, batch2]})
    assert_frame_equal(got, want, check_dtype=False)
    assert isinstance(stamp, dt.datetime)
    engine.dispose()
