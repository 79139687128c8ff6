"""``/api/forecast``: event volumes with their band on the real LA 2020 file; the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.events.events_fixtures import LA2020
from zhicheng.cli import app as cli_app
from zhicheng.events import load_la311
from zhicheng.store import init_store


@pytest.mark.slow
def test_volume_forecast_endpoint_and_commands(client: TestClient, tmp_path: Path) -> None:
    load_la311(client.app.state.engine, LA2020)  # type: ignore[attr-defined]
    body = client.get("/api/forecast/volumes", params={"service_code": "bulky-items"}).json()
    assert body["freq"] == "h" and len(body["ahead"]) == 24
    banded = [h for h in body["history"] if h["upper"] is not None]
    assert banded and all(h["lower"] <= h["forecast"] <= h["upper"] for h in banded)
    assert body["surges"] == [h for h in banded if h["count"] > h["upper"]]
    assert all(a["lower"] <= a["upper"] for a in body["ahead"])
    assert client.get("/api/forecast/volumes", params={"service_code": "nothing"}).json()["history"] == []
    assert client.get("/api/forecast/alerts").json() == []

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    load_la311(init_store(db), LA2020)
    out = runner.invoke(cli_app, ["events", "forecast", "--kind", "volume", "--no-alerts", "--db", db])
    assert out.exit_code == 0, out.output
    assert "bulky-items" in out.output and "95 % interval" in out.output
    bad = runner.invoke(cli_app, ["events", "forecast", "--kind", "weather", "--db", db])
    assert bad.exit_code == 2 and "--kind must be volume or episode" in bad.output
    cn = runner.invoke(cli_app, ["events", "services", "--jurisdiction", "cn-12345", "--lang", "en"])
    assert cn.exit_code == 0 and "Exposed garbage" in cn.output
