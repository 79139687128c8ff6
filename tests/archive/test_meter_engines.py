"""Meter consumption per period on DuckDB equals the carbon service's in-memory core.

The readings are SYNTHETIC (tests/archive/engine_support.synthetic_meters): cumulative registers
with resets and gaps, and interval meters with empty days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.archive.engine_support import (
    METER_KINDS,
    assert_same_consumption,
    meter_archive,
    meter_edges,
    pure_consumption,
    synthetic_meters,
)
from zhicheng.archive import engines


def test_duckdb_consumption_equals_the_in_memory_core(tmp_path: Path) -> None:
    readings = synthetic_meters()
    edges = meter_edges()
    loc = meter_archive(readings, tmp_path / "archive")
    got = engines.duckdb_meter_consumption(loc, METER_KINDS, edges)
    expected = pure_consumption(readings, edges)
    assert_same_consumption(expected, got.periods)
    assert (got.periods["end_us"] - got.periods["start_us"] == 86_400_000_000).all()
    # the cases are there: periods a register does not cover, and empty interval days (0, not missing)
    late = got.periods[got.periods["datastream_id"] == 2]["consumption"]
    assert late.isna().sum() >= 10 and late.notna().sum() >= 20
    empty = got.periods[got.periods["datastream_id"] == 4]["consumption"]
    assert (empty == 0).sum() >= 2 and empty.notna().all()
    assert dict(zip(got.resets["datastream_id"], got.resets["resets"], strict=True)) == {1: 2, 2: 0, 3: 0}


def test_monthly_and_uneven_periods(tmp_path: Path) -> None:
    readings = synthetic_meters(seed=11)
    loc = meter_archive(readings, tmp_path / "archive")
    edges = np.array([pd.Timestamp(s).value // 1000 for s in
                      ("2025-12-31T16:00:00Z", "2026-01-05T03:17:00Z", "2026-01-31T16:00:00Z", "2026-02-20T00:00:00Z")])
    got = engines.duckdb_meter_consumption(loc, METER_KINDS, edges)
    assert_same_consumption(pure_consumption(readings, edges), got.periods)


def test_bad_periods_and_kinds_are_refused(tmp_path: Path) -> None:
    loc = meter_archive(synthetic_meters(), tmp_path / "archive")
    with pytest.raises(ValueError, match="strictly ascending"):
        engines.duckdb_meter_consumption(loc, METER_KINDS, [5, 5, 9])
    with pytest.raises(ValueError, match="cumulative or interval"):
        engines.duckdb_meter_consumption(loc, METER_KINDS.assign(kind="gauge"), meter_edges())
