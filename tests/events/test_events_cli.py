"""`zhicheng events …` through Typer's runner on a real store."""

from __future__ import annotations

from pathlib import Path

from events_fixtures import LA2020
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.events import get_event
from zhicheng.store import init_store

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


def test_errors_are_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    r = runner.invoke(app, ["events", "show", "nope", "--db", db])
    assert r.exit_code == 2 and "no service request with id 'nope'" in r.output
    r = runner.invoke(app, ["events", "list", "--db", db, "--status", "lost"])
    assert r.exit_code == 2 and "unknown state(s) lost" in r.output
    r = runner.invoke(app, ["events", "load-la311", "--db", db, "--file", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "missing.csv" in r.output and "Traceback" not in r.output
