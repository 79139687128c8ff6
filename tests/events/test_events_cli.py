"""`zhicheng events …` through Typer's runner on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.events.events_fixtures import LA2020
from zhicheng.cli import app
from zhicheng.events import event_statistics, get_event
from zhicheng.store import init_store
from zhicheng.store.schema import indicator_values, units

runner = CliRunner()


def test_replay_list_show_and_transition(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    r = runner.invoke(app, ["events", "load-la311", "--db", db, "--file", str(LA2020)])
    assert r.exit_code == 0, r.output
    assert "10000 loaded, 0 already present" in r.output
    assert "dead-animal" in r.output and "closure time by service" in r.output
    r = runner.invoke(app, ["events", "list", "--db", db, "--service", "streetlight-multiple", "--status",
                            "submitted", "--limit", "5"])
    assert r.exit_code == 0 and "1 of 1 events" in r.output
    r = runner.invoke(app, ["events", "show", "1-1523590121", "--db", db])
    assert r.exit_code == 0 and "illegal-dumping" in r.output and "已结案" in r.output
    r = runner.invoke(app, ["events", "transition", "1-1523590121", "--to", "reopened", "--note", "back again",
                            "--actor", "chen", "--db", db])
    assert r.exit_code == 0 and "now reopened" in r.output
    e = get_event(init_store(db), "1-1523590121")
    assert (e["status"], e["reopen_count"], e["history"][-1]["actor"]) == ("reopened", 1, "chen")


def test_indicators_command_writes_the_city_values(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    engine = init_store(db)
    with engine.begin() as conn:
        conn.execute(sa.insert(units).values(code="LA", name_zh="洛杉矶", name_en="Los Angeles", level="city"))
    assert runner.invoke(app, ["events", "load-la311", "--db", db, "--file", str(LA2020)]).exit_code == 0
    r = runner.invoke(app, ["events", "indicators", "2020", "--city", "LA", "--db", db])
    assert r.exit_code == 0, r.output
    assert "2 indicator values written" in r.output
    with engine.connect() as conn:
        got = dict(conn.execute(sa.select(indicator_values.c.indicator_id, indicator_values.c.value)).all())
    expected = event_statistics(engine, by=None).iloc[0]
    assert got["D2.R1.I1"] == pytest.approx(expected["closed_within_sla_pct"], abs=1e-9)
    assert got["D2.R1.I2"] == pytest.approx(expected["mean_hours"], abs=1e-9)
    # 9,723 of the file's requests are Closed (PROVENANCE), 9,705 of them with a ClosedDate:
    # the share and the mean are over those 9,705.
    assert (expected["closed"], expected["closed_timed"]) == (9723, 9705)


def test_errors_are_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    r = runner.invoke(app, ["events", "show", "nope", "--db", db])
    assert r.exit_code == 2 and "no service request with id 'nope'" in r.output
    r = runner.invoke(app, ["events", "list", "--db", db, "--status", "lost"])
    assert r.exit_code == 2 and "unknown state(s) lost" in r.output
    r = runner.invoke(app, ["events", "load-la311", "--db", db, "--file", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "missing.csv" in r.output and "Traceback" not in r.output
