"""Shared fixtures: real stores (a SQLite file and, when configured, a real PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PEERS = ROOT / "tests" / "peers"


def postgres_url() -> str | None:
    """The PostgreSQL URL given by CI; when CI requires PostgreSQL its absence is an error."""
    url = os.environ.get("ZHICHENG_TEST_PG_URL")
    if not url and os.environ.get("ZHICHENG_REQUIRE_PG"):
        raise RuntimeError("ZHICHENG_REQUIRE_PG is set but ZHICHENG_TEST_PG_URL is not")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: a SQLite file in ``tmp_path``, or a fresh PostgreSQL schema-less database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = postgres_url()
    if not url:
        pytest.skip("no PostgreSQL configured (set ZHICHENG_TEST_PG_URL; .ci/run does)")
    # Each test gets its own database so tests never see each other's rows.
    with postgres_database(url, f"zt_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**9}") as test_url:
        yield test_url


@contextmanager
def postgres_database(url: str, name: str) -> Iterator[str]:
    """A new, empty database ``name`` on the server of ``url``, dropped afterwards; yields its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def wide_cli_console() -> Iterator[None]:
    """CLI tables render at a fixed, wide width, whatever terminal (or none) runs the tests."""
    from zhicheng.cli.common import console

    before = console.width
    console.width = 200
    yield
    console.width = before


@pytest.fixture(scope="session")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A small built store shared by the export and report tests: its SQLite path and run id."""
    from tests.report.report_store import build_report_store

    path = tmp_path_factory.mktemp("report-store") / "store.db"
    engine, run_id = build_report_store(path)
    engine.dispose()
    return str(path), run_id
