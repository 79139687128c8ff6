"""``zhicheng sensors load-beijing --url … --token …`` against a live server over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from typer.testing import CliRunner

from zhicheng.cli import app as cli_app

DATA = Path(__file__).resolve().parents[2] / "data" / "air_quality" / "beijing_multisite"


def test_replay_over_http_needs_a_writer_token(live_server: Any) -> None:
    runner = CliRunner()
    args = [
        "sensors",
        "load-beijing",
        "--url",
        live_server.url,
        "--days",
        "1",
        "--station",
        "Shunyi",
    ]
    refused = runner.invoke(cli_app, [*args, "--token", live_server.tokens["viewer"]])
    assert refused.exit_code == 2 and "HTTP 403" in " ".join(refused.stderr.split())
    done = runner.invoke(cli_app, [*args, "--token", live_server.tokens["device_manager"], "--batch", "7"])
    assert done.exit_code == 0, done.output
    sent = int(done.output.split("sent ")[1].split(" ")[0].replace(",", ""))
    # Shunyi, 2017-02-28 local: the file's last 24 hourly rows, six pollutants, missing ones skipped.
    raw = pd.read_csv(next(DATA.glob("PRSA_Data_Shunyi_*.csv.gz"))).tail(24)
    assert sent == int(raw[["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]].notna().to_numpy().sum())
    page = httpx.get(
        f"{live_server.url}/v1.1/Observations", params={"$count": "true", "$top": "0"}
    ).json()
    assert page["@iot.count"] == sent
    first = httpx.get(
        f"{live_server.url}/v1.1/Observations",
        params={"$orderby": "phenomenonTime asc", "$top": "1", "$select": "phenomenonTime"},
    ).json()
    assert first["value"][0]["phenomenonTime"] == "2017-02-27T16:00:00Z"  # 00:00 Beijing time
