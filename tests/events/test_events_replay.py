"""Replay of the real LA 311 requests: statistics match a direct pandas computation on the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.events.events_fixtures import LA2017, LA2020
from zhicheng.events import EventError, event_statistics, get_event, load_la311
from zhicheng.events.catalogue import load_catalogue
from zhicheng.store.bulk import table_counts
from zhicheng.store.schema_events import event_history, events


def direct_closure_hours(path: Path, created: str, closed: str, fmt: str) -> pd.DataFrame:
    """Per request type, over Status == Closed: counts, share closed within the catalogue's SLA [%],
    mean, median and 90th percentile of ClosedDate − CreatedDate [h], computed straight from the
    file in LA local time (DST-aware)."""
    raw = pd.read_csv(path, dtype=str)
    raw.columns = [c.lower() for c in raw.columns]
    done = raw[raw["status"] == "Closed"]
    tz = "America/Los_Angeles"
    t0 = pd.to_datetime(done[created], format=fmt).dt.tz_localize(tz)
    t1 = pd.to_datetime(done[closed], format=fmt).dt.tz_localize(tz)
    hours = (t1 - t0).dt.total_seconds() / 3600.0
    cat = load_catalogue()
    service = done["requesttype"].map(cat.la311_map())
    sla = service.map(cat.sla_hours())
    on_time = (hours <= sla).where(hours.notna())
    g = hours.groupby(service)
    return pd.DataFrame({"closed": g.size(), "closed_timed": g.count(),
                         "closed_within_sla_pct": 100.0 * on_time.groupby(service).mean(),
                         "mean_hours": g.mean(), "median_hours": g.median(), "p90_hours": g.quantile(0.9)})


@pytest.mark.parametrize(("path", "fmt"), [(LA2017, "%m/%d/%Y %I:%M:%S %p"), (LA2020, "%m/%d/%y %H:%M")])
def test_closure_statistics_match_the_source_file(sqlite_engine: Engine, path: Path, fmt: str) -> None:
    result = load_la311(sqlite_engine, path)
    assert (result.read, result.loaded, result.skipped) == (len(pd.read_csv(path, usecols=[0])),) * 2 + (0,)
    ours = event_statistics(sqlite_engine, by="service_code")
    expected = direct_closure_hours(path, "createddate", "closeddate", fmt)
    got = ours.loc[expected.index, list(expected.columns)]
    pd.testing.assert_frame_equal(got.astype(float), expected.astype(float), check_names=False,
                                  rtol=0, atol=1e-6)


def test_replay_keeps_real_statuses_departments_and_timestamps(engine: Engine) -> None:
    load_la311(engine, LA2017)
    with engine.connect() as conn:
        by_status = dict(conn.execute(sa.select(events.c.status, sa.func.count()).group_by(events.c.status)).all())
        by_dept = dict(conn.execute(sa.select(events.c.department, sa.func.count()).group_by(events.c.department)).all())
    # PROVENANCE.md: Closed 9,739 / Cancelled 246 / Referred Out 9 / Open 5.
    assert by_status == {"closed": 9739, "rejected": 255, "submitted": 5}
    assert by_dept == {"BOS": 6891, "OCB": 2863, "ITA": 123, "BSL": 94, "LADWP": 28}
    e = get_event(engine, "1-870704831")
    # CreatedDate 12/31/2017 11:59:58 PM and ClosedDate 04/09/2018 09:18:35 AM, Los Angeles time.
    assert e["requested_at"].isoformat() == "2018-01-01T07:59:58+00:00"
    assert e["closed_at"].isoformat() == "2018-04-09T16:18:35+00:00"
    assert (e["service_code"], e["department"], e["status"]) == ("homeless-encampment", "BOS", "closed")
    # Homeless encampment: SLA 168 h in the catalogue.
    assert e["expected_at"].isoformat() == "2018-01-08T07:59:58+00:00"
    assert [(h["from_status"], h["to_status"]) for h in e["history"]] == [(None, "submitted"), ("submitted", "closed")]


def test_replay_twice_skips_what_is_there(sqlite_engine: Engine) -> None:
    load_la311(sqlite_engine, LA2020)
    again = load_la311(sqlite_engine, LA2020)
    assert (again.loaded, again.skipped, again.batch_id) == (0, 10_000, None)
    with sqlite_engine.connect() as conn:
        assert table_counts(conn, [events])["events"] == 10_000


def test_bad_file_reports_located_problems_and_writes_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    raw = pd.read_csv(LA2020, dtype=str)
    raw.loc[3, "requesttype"] = "Flying Saucer"
    raw.loc[10, "createddate"] = "yesterday"
    raw.loc[20, "status"] = "Teleported"
    raw.loc[30, "latitude"] = "123.0"
    bad = tmp_path / "bad.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(EventError) as info:
        load_la311(sqlite_engine, bad)
    # File rows count the header as row 1.
    got = {(p.row, p.column) for p in info.value.problems}
    assert got == {(5, "requesttype"), (12, "createddate"), (22, "status"), (32, "latitude")}
    assert all(p.file == "bad.csv" for p in info.value.problems)
    with sqlite_engine.connect() as conn:
        assert table_counts(conn, [events, event_history]) == {"events": 0, "event_history": 0}
    missing = tmp_path / "missing.csv"
    missing.write_text("srnumber,status\n1,Closed\n", encoding="utf-8")
    with pytest.raises(EventError) as info:
        load_la311(sqlite_engine, missing)
    assert {p.column for p in info.value.problems} == {"requesttype", "createddate", "owner"}
