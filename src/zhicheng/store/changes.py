"""Change counters of the live data: bumped in the very transaction that writes, in any process.

Every write to the sensing, alert or event tables marks its transaction; when the transaction
commits, one ``UPDATE store_changes SET counter = counter + 1`` per marked topic runs on the same
DBAPI connection just before the commit, so the counter moves if and only if the data did. Live
pages (server-sent events) poll the counters — one indexed read of three rows — and refresh when
they move, whether the write came from this server, another worker or a command-line ingest. On
PostgreSQL the same transaction also sends ``NOTIFY zhicheng_changes`` (delivered at commit), so
a listener there need not poll.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhicheng.store.schema_api import store_changes

#: Topics and the tables whose writes move them.
TOPICS: dict[str, str] = {
    "sta_observations": "sensing", "sta_datastreams": "sensing", "sta_things": "sensing",
    "sta_locations": "sensing", "sta_historical_locations": "sensing",
    "alerts": "alerts", "alert_rules": "alerts",
    "events": "events", "event_history": "events",
}
#: Channel of the PostgreSQL notifications.
CHANNEL = "zhicheng_changes"
_MARK = "zhicheng.store.changed"
_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)
_INSTALLED = "zhicheng_changes_installed"


def note_write(conn: Connection, table: str) -> None:
    """Mark ``conn``'s transaction as writing ``table`` (for writes that bypass SQLAlchemy)."""
    topic = TOPICS.get(table)
    if topic is not None:
        conn.info.setdefault(_MARK, set()).add(topic)


def _after_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    found = _WRITE.match(statement)
    if found is not None:
        note_write(conn, found.group(1).lower())


def _on_commit(conn: Connection) -> None:
    topics = conn.info.pop(_MARK, None)
    if not topics:
        return
    listed = ", ".join(f"'{t}'" for t in sorted(topics))  # our own constant names, never input
    dbapi = conn.connection.driver_connection
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(f"UPDATE store_changes SET counter = counter + 1 WHERE topic IN ({listed})")
        if conn.dialect.name == "postgresql":
            cur.execute(f"NOTIFY {CHANNEL}, '{','.join(sorted(topics))}'")
    finally:
        cur.close()


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_MARK, None)


def install(engine: Engine) -> None:
    """Make ``engine``'s transactions bump the change counters (once per engine)."""
    if getattr(engine, _INSTALLED, False):
        return
    sa.event.listen(engine, "after_cursor_execute", _after_execute)
    sa.event.listen(engine, "commit", _on_commit)
    sa.event.listen(engine, "rollback", _on_rollback)
    setattr(engine, _INSTALLED, True)


def counters(conn: Connection) -> dict[str, int]:
    """The current counters, e.g. ``{"alerts": 3, "events": 7, "sensing": 120}``."""
    return {str(t): int(n) for t, n in conn.execute(sa.select(store_changes.c.topic, store_changes.c.counter))}
