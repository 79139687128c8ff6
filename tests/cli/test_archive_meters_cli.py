"""``zhicheng archive meters``: consumption per day from the archive equals the in-memory service's.

The meter readings are SYNTHETIC (generated here); the demo uses no meter data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.carbon.test_meters import _meter
from zhicheng.carbon import service
from zhicheng.cli import app
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s

runner = CliRunner()
HOUR = 3_600_000_000  # µs
BASE = 1_704_038_400_000_000  # 2024-01-01T00:00+08:00 [µs]


def test_meters_per_day_from_the_archive(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    engine = init_store(db)
    with engine.begin() as conn:  # 20 days of quarter-hourly registers, a reset on day 7
        register = [(BASE + k * HOUR // 4 + 37_000_000, 500.0 + 0.7 * k - (400.0 if k >= 7 * 96 else 0.0)) for k in range(20 * 96)]
        _meter(conn, "A-electricity", "kWh", "A", register)
        _meter(conn, "B-heat", "GJ", "B", [(BASE + k * HOUR, 0.25) for k in range(20 * 24)], kind="interval")
    days = [BASE + k * 24 * HOUR for k in range(21)]
    expected = service.meter_emissions(engine, days)
    with engine.begin() as conn:  # a newer reading of each, later: it stays hot, the 20 days move
        foi = conn.execute(sa.select(s.sta_observations.c.feature_of_interest_id).limit(1)).scalar_one()
        conn.execute(s.sta_observations.insert(), [
            {"datastream_id": ds, "feature_of_interest_id": foi, "phenomenon_time_start": BASE + 30 * 24 * HOUR,
             "result_number": 5000.0} for ds in expected["datastream_id"].unique().tolist()])
    engine.dispose()
    archive = str(tmp_path / "archive")
    moved = runner.invoke(app, ["archive", "run", "--archive", archive, "--hot-days", "0", "--db", db])
    assert moved.exit_code == 0, moved.output
    out = tmp_path / "per-day.csv"
    result = runner.invoke(app, ["archive", "meters", "--from", "2024-01-01", "--to", "2024-01-21", "--archive", archive,
                                 "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert len(got) == 2 * 20 and got["period_start"].iloc[0].startswith("2024-01-01 00:00:00+08:00")
    merged = got.merge(expected, left_on=["datastream_id", "period"],
                       right_on=["datastream_id", (expected["period_start_us"] - BASE) // (24 * HOUR)])
    assert len(merged) == 40
    pd.testing.assert_series_equal(merged["consumption_x"], merged["consumption_y"], check_names=False, rtol=1e-9)
    assert "1" in result.output  # the reset, in the summary table


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2024-13-01", "--to", "2024-01-21"], "must be dates"),
    (["--from", "2024-01-05", "--to", "2024-01-05"], "at least one whole period"),
    (["--from", "2024-01-01", "--to", "2024-01-21", "--period", "week"], "day or month"),
])
def test_bad_arguments_say_what_is_wrong(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["archive", "meters", *args, "--db", str(tmp_path / "store.db")])
    assert result.exit_code != 0 and message in result.output, result.output
