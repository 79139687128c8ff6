"""Archiving: cold observations move to Parquet; a kill -9 at any step loses and doubles nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from tests.archive.archive_support import HOUR_US, STATIONS, add_observations, observations
from zhicheng.archive import mover, service
from zhicheng.archive.location import MANIFEST, Location
from zhicheng.store import init_store
from zhicheng.store.schema_archive import archive_files

HOT_DAYS = 30
#: Per Datastream: hours before the newest one by more than the window (strictly older), 2 each.
COLD_ROWS = sum(((d - HOT_DAYS) * 24 - 1) * 2 for _, d in STATIONS.values())


def archived(loc: Location, engine: sa.Engine) -> pd.DataFrame:
    """Every observation in the committed archive files, by id."""
    with engine.connect() as conn:
        files = mover.committed_files(conn)
    if not files:
        return pd.DataFrame(columns=["id", "datastream_id", "phenomenon_time_start", "result_number",
                                     "parameters"])
    frames = [mover.read_columns(loc, f["path"], ["id", "datastream_id", "phenomenon_time_start",
                                                  "result_number", "parameters"]).to_pandas() for f in files]
    out = pd.concat(frames).sort_values("id").reset_index(drop=True)
    out["parameters"] = out["parameters"].map(
        lambda v: repr(sorted(json.loads(v).items())) if isinstance(v, str) else None)
    return out


def assert_nothing_lost_or_doubled(original: pd.DataFrame, engine: sa.Engine, loc: Location) -> pd.DataFrame:
    hot, cold = observations(engine), archived(loc, engine)
    assert set(hot["id"]).isdisjoint(set(cold["id"])), "an observation is both in the store and archived"
    both = pd.concat([hot, cold]).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(both, original, check_dtype=False)
    return cold


def test_run_moves_cold_rows_sorted_and_partitioned(db_url: str, tmp_path: Path) -> None:
    engine = init_store(db_url)
    original = add_observations(engine)
    loc = Location.open(str(tmp_path / "archive"))
    report = service.run(engine, loc, HOT_DAYS)
    cold = assert_nothing_lost_or_doubled(original, engine, loc)
    # The hot window ends 30 days before each Datastream's own newest observation.
    newest = original.groupby("datastream_id")["phenomenon_time_start"].max()
    cutoff = original["datastream_id"].map(newest) - HOT_DAYS * 24 * HOUR_US
    expected_cold = original.loc[original["phenomenon_time_start"] < cutoff, "id"]
    assert sorted(cold["id"]) == sorted(expected_cold) and report.rows == len(expected_cold)
    assert len(expected_cold) == COLD_ROWS
    # Hive partitions by month; inside a file: sorted by datastream, time, id.
    with engine.connect() as conn:
        files = mover.committed_files(conn)
    for f in files:
        assert f["path"].startswith(f"year={f['year']}/month={f['month']:02d}/part-")
        t = pq.read_table(loc.path(f["path"])).to_pandas()
        assert t.equals(t.sort_values(["datastream_id", "phenomenon_time_start", "id"]))
        month = pd.to_datetime(t["phenomenon_time_start"], unit="us")
        assert (month.dt.year == f["year"]).all() and (month.dt.month == f["month"]).all()
    manifest = json.loads((tmp_path / "archive" / MANIFEST).read_text())
    assert sorted(m["path"] for m in manifest["files"]) == sorted(f["path"] for f in files)
    assert service.verify(engine, loc).ok
    # Idempotent: a second run finds nothing more to move.
    again = service.run(engine, loc, HOT_DAYS)
    assert again.rows == 0 and again.files == 0
    assert_nothing_lost_or_doubled(original, engine, loc)
    st = service.status(engine, HOT_DAYS)
    assert st.cold_rows == 0 and st.archived_rows == len(expected_cold) and st.files == {"committed": len(files)}
    engine.dispose()


def test_verify_finds_a_tampered_file_and_a_row_put_back(db_url: str, tmp_path: Path) -> None:
    engine = init_store(db_url)
    add_observations(engine)
    loc = Location.open(str(tmp_path / "archive"))
    service.run(engine, loc, HOT_DAYS)
    with engine.connect() as conn:
        first = mover.committed_files(conn)[0]
    table = pq.read_table(loc.path(first["path"]))
    pq.write_table(table.slice(1), loc.path(first["path"]))  # one row lost
    from zhicheng.store.schema_sensing import sta_observations

    row = table.slice(0, 1).to_pylist()[0]
    with engine.begin() as conn:  # and another put back into the store: a duplicate
        conn.execute(sta_observations.insert().values(
            id=table.column("id")[1].as_py(), datastream_id=row["datastream_id"],
            feature_of_interest_id=row["feature_of_interest_id"],
            phenomenon_time_start=row["phenomenon_time_start"], result_number=row["result_number"]))
    problems = service.verify(engine, loc).problems
    assert any("checksum" in p for p in problems)
    assert any("rows, the manifest says" in p for p in problems)
    assert any("still in the store" in p for p in problems)
    engine.dispose()


STEPS = ["temp-written", "manifest-written", "renamed", "deleting", "committed"]


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_loses_nothing_and_doubles_nothing(db_url: str, tmp_path: Path, step: str) -> None:
    engine = init_store(db_url)
    original = add_observations(engine)
    archive = tmp_path / "archive"
    env = {**os.environ, "ZHICHENG_ARCHIVE_CRASH_AT": step}
    cmd = [sys.executable, "-c", "from zhicheng.cli import main; main()", "archive", "run",
           "--archive", str(archive), "--hot-days", str(HOT_DAYS), "--db", db_url]
    killed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr  # SIGKILL: no clean-up ran
    loc = Location.open(str(archive))
    assert_nothing_lost_or_doubled(original, engine, loc)
    with engine.connect() as conn:
        states = conn.execute(sa.select(archive_files.c.state)).scalars().all()
    assert states == (["committed"] if step == "committed" else [] if step == "temp-written" else ["written"])
    if step == "temp-written":
        assert loc.temporary_files()  # a temporary file is left, the manifest does not know it
    # A re-run reconciles and finishes; the archive then verifies and holds each row once.
    clean_env = {k: v for k, v in os.environ.items() if k != "ZHICHENG_ARCHIVE_CRASH_AT"}
    done = subprocess.run(cmd, env=clean_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    if step != "committed":
        assert "reconciled:" in done.stdout
    cold = assert_nothing_lost_or_doubled(original, engine, loc)
    assert len(cold) == COLD_ROWS
    assert not loc.temporary_files()
    verify = subprocess.run([*cmd[:4], "verify", "--archive", str(archive), "--db", db_url],
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout
    engine.dispose()
