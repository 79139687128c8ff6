"""The migrations create exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zhicheng.store import (
    all_tables,  # noqa: F401
    init_store,
)
from zhicheng.store.schema import metadata


def test_migrations_match_declared_tables(db_url: str) -> None:
    engine = init_store(db_url)
    with engine.connect() as conn:
        # PostGIS (enabled by the sensing migration) owns spatial_ref_sys; it is not ours.
        context = MigrationContext.configure(
            conn,
            opts={"include_object": lambda o, n, t, r, c: not (t == "table" and n == "spatial_ref_sys")},
        )
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_init_is_idempotent_and_sqlite_uses_wal(db_url: str) -> None:
    engine = init_store(db_url)
    init_store(engine)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"units", "indicator_values", "ingest_batches", "evaluation_runs"} <= tables
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
