"""Durability as stated in the README: SQLite's ``synchronous`` level, and server writes beside a
long ingest on PostgreSQL (issue 14, finding 8).

On SQLite one writer holds the file's write lock for a whole ingest transaction, so server writes
wait (up to the 10 s busy timeout): the README says to use PostgreSQL for heavy ingest while the
server writes. There, an ingest's open transaction locks only what it writes: the test holds one
open with 200,000 observations inserted into one Datastream and shows server writes (new Things,
Observations of another Datastream) answered within the stated bound. Writes into the very
Datastream being ingested wait until the ingest commits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.sta_helpers import auth, station_body
from tests.conftest import postgres_database, postgres_url
from zhicheng.api import create_app
from zhicheng.auth import create_token
from zhicheng.sensing.ingest import ObservationColumns, insert_observations
from zhicheng.store import open_store
from zhicheng.store import schema_sensing as s

#: The bound checked for a server write while an ingest transaction is open on PostgreSQL [s]:
#: a write held by the ingest's locks would wait for the whole ingest (PostgreSQL has no lock
#: timeout by default); generous, so that a loaded machine does not fail it.
WRITE_BOUND_S = 5.0


def _synchronous(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_sqlite_synchronous_is_normal_by_default_and_full_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHICHENG_SQLITE_SYNCHRONOUS", raising=False)
    assert _synchronous(open_store(tmp_path / "a.db")) == 1  # NORMAL
    monkeypatch.setenv("ZHICHENG_SQLITE_SYNCHRONOUS", "FULL")
    assert _synchronous(open_store(tmp_path / "b.db")) == 2  # FULL
    with open_store(tmp_path / "c.db").connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def _timed(call: Callable[[], Any], bound: float) -> tuple[Any, float]:
    """``call()`` in a thread: its result and duration; fails when it takes longer than ``bound``."""
    pool = ThreadPoolExecutor(1)  # not waited for on failure: the ingest's rollback frees it
    t0 = time.perf_counter()
    future = pool.submit(call)
    try:
        result = future.result(timeout=bound)
    except FuturesTimeout:
        pytest.fail(f"a server write waited more than {bound} s behind the ingest")
    finally:
        pool.shutdown(wait=False)
    return result, time.perf_counter() - t0


@pytest.mark.postgres
@pytest.mark.slow
def test_server_writes_are_not_held_by_a_long_ingest_on_postgresql() -> None:
    url = postgres_url()
    if not url:
        pytest.skip("no PostgreSQL configured (set ZHICHENG_TEST_PG_URL; .ci/run does)")
    with postgres_database(url, f"zd_{os.getpid()}") as db:
        app = create_app(db)
        engine = app.state.engine
        token = create_token(engine, "admin", "durability")
        with TestClient(app) as client:
            streams = []
            for name in ("Dongsi", "Tiantan"):
                made = client.post("/v1.1/Things", json=station_body(name), headers=auth(token))
                streams.append(client.get(f"/v1.1/Things({made.json()['@iot.id']})/Datastreams").json()["value"][0]["@iot.id"])
            ingested, served = streams
            ingest = open_store(db)
            conn = ingest.connect()
            tx = conn.begin()  # the CLI ingest: one long transaction into Dongsi's Datastream, still open
            try:
                n = 200_000  # synthetic readings
                t = np.arange(n, dtype=np.int64) * 60_000_000 + 1_500_000_000_000_000
                insert_observations(conn, [ObservationColumns(ingested, t, np.ones(n), [None] * n)])
                for i in range(5):
                    obs = {"phenomenonTime": f"2030-01-01T00:0{i}:00Z", "result": 2.0}
                    r, took_obs = _timed(lambda obs=obs: client.post(  # type: ignore[misc]
                        f"/v1.1/Datastreams({served})/Observations", json=obs, headers=auth(token)), WRITE_BOUND_S)
                    r2, took_thing = _timed(lambda i=i: client.post(  # type: ignore[misc]
                        "/v1.1/Things", json={"name": f"t{i}", "description": "d"}, headers=auth(token)), WRITE_BOUND_S)
                    assert (r.status_code, r2.status_code) == (201, 201), (r.text, r2.text)
                tx.commit()
            finally:
                if tx.is_active:
                    tx.rollback()
                conn.close()
                ingest.dispose()
            with engine.connect() as check:
                stored = check.execute(sa.select(sa.func.count()).select_from(s.sta_observations)).scalar_one()
            assert stored == n + 5
        engine.dispose()
