"""An ingest killed half-way (SIGKILL while writing) leaves the store exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate import ingest_file
from zhicheng.goals import builtin_framework

CITIES = ["440100", "440300", "440400", "440600", "320100", "320200", "320500", "320600"]


def big_long_file(path: Path, periods: int = 250) -> int:
    """Values of every built-in indicator for the eight cities over many months (inside plausible ranges)."""
    rng = np.random.default_rng(7)
    inds = [i for i in builtin_framework().indicators() if i.plausible]
    keys = pd.MultiIndex.from_product(
        [CITIES, [i.id for i in inds], [f"{1900 + k // 12}-{k % 12 + 1:02d}" for k in range(periods)]],
        names=["unit", "indicator", "period"],
    ).to_frame(index=False)
    lo = keys["indicator"].map({i.id: i.plausible[0] for i in inds})
    hi = keys["indicator"].map({i.id: i.plausible[1] for i in inds})
    # Away from 0 and 1 so no share looks like a fraction; random so nothing repeats.
    keys["value"] = lo + (hi - lo) * rng.uniform(0.02, 0.98, len(keys))
    keys.to_csv(path, index=False)
    return len(keys)


def _writing(engine_url: str, proc: subprocess.Popen[str], wal: Path | None) -> None:
    """Wait until the subprocess says it is writing (and, on SQLite, its WAL has grown)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("writing"):
            break
    deadline = time.monotonic() + 20
    watcher = sa.create_engine(engine_url) if wal is None else None
    try:
        while time.monotonic() < deadline:
            if wal is not None and wal.exists() and wal.stat().st_size > 1_000_000:
                return
            if watcher is not None and _pg_uncommitted_writes(watcher):
                return
            time.sleep(0.01)
    finally:
        if watcher is not None:
            watcher.dispose()


def _pg_uncommitted_writes(watcher: Engine) -> bool:
    """Whether another session of the database holds a transaction that has written (has an xid)."""
    with watcher.connect() as conn:
        return bool(conn.execute(sa.text(
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and pid <> pg_backend_pid() and backend_xid is not null")).scalar_one())


@pytest.mark.slow
def test_killed_ingest_leaves_the_store_unchanged(store: Engine, tmp_path: Path, fingerprint: Any) -> None:
    small = tmp_path / "small.csv"
    small.write_text("unit,indicator,period,value\n440100,D4.R1.I2,2020,135000\n", encoding="utf-8")
    ingest_file(store, small)
    before = fingerprint(store)
    big = tmp_path / "big.csv"
    rows = big_long_file(big)
    assert rows > 250_000
    url = store.url.render_as_string(hide_password=False)
    wal = Path(store.url.database + "-wal") if store.dialect.name == "sqlite" and store.url.database else None
    code = "import sys; from zhicheng.cli import main; sys.argv = ['zhicheng'] + sys.argv[1:]; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "ingest", str(big), "--db", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    try:
        _writing(url, proc, wal)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    store.dispose()
    assert fingerprint(store) == before
    # The store is usable afterwards: no lock or half-written batch is left behind.
    late = tmp_path / "late.csv"
    late.write_text("unit,indicator,period,value\n440300,D4.R1.I2,2020,159309\n", encoding="utf-8")
    assert ingest_file(store, late).values_new == 1
    with store.connect() as conn:
        count = conn.execute(sa.text("select count(*) from indicator_values")).scalar_one()
    assert count == 2
