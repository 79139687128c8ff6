"""Opening a store: a SQLite file by default (WAL mode), PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from zhicheng.errors import ZhichengError

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(ZhichengError):
    """The store cannot be opened or is not in the expected state."""


def store_url(db: str | Path) -> str:
    """An SQLAlchemy URL for ``db``: a URL is kept, a path becomes a SQLite file URL."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (the cockpit) go on while an ingest writes; FKs keep references honest.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # A 128 MB page cache keeps the value table's B-trees in memory during million-row ingests.
    cur.execute("PRAGMA cache_size=-131072")
    cur.close()


def open_store(db: str | Path) -> Engine:
    """Open the store at ``db`` (path or URL); it is not migrated (see :func:`init_store`)."""
    url = store_url(db)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        return sa.create_engine(url, pool_pre_ping=True)
    raise StoreError(f"unsupported store URL {url!r}: use a file path or postgresql+psycopg://…")


def alembic_config(connection: sa.Connection) -> Config:
    """An Alembic configuration bound to ``connection``, pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def init_store(db: str | Path | Engine) -> Engine:
    """Open the store and bring its schema to the latest migration (idempotent)."""
    engine = db if isinstance(db, Engine) else open_store(db)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    from zhicheng.store import changes

    changes.install(engine)  # after the migrations: their writes need no counters
    return engine
