"""Fast bulk writes: PostgreSQL ``COPY`` and SQLite ``executemany``, inside the caller's transaction.

Both paths take a :class:`pandas.DataFrame` whose columns are named after the table's columns and
write it in one statement stream, so a million indicator values go in within seconds and a failure
rolls back with the caller's transaction (nothing is committed here).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from zhicheng.store.changes import note_write

#: Rows handed to the driver per ``executemany`` call (bounded memory for big frames).
CHUNK_ROWS = 200_000


def _python_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Columns as Python lists with missing values as ``None`` (what DB drivers expect)."""
    out: list[list[Any]] = []
    for col in columns:
        series = frame[col]
        if series.isna().any():
            values = series.astype(object).where(series.notna(), None).tolist()
        else:
            values = series.tolist()
        out.append(values)
    return out


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterable[list[tuple[Any, ...]]]:
    """The frame as chunks of row tuples, built column-wise (no per-row Python logic)."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        yield list(zip(*_python_columns(part, columns), strict=True))


def _copy_postgres(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Stream ``frame`` into ``table`` with ``COPY … FROM STDIN (FORMAT csv)`` on the same transaction."""
    columns = list(frame.columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    dbapi: Any = conn.connection.dbapi_connection
    assert dbapi is not None
    sql = f'COPY "{table.name}" ({quoted}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        for start in range(0, len(frame), CHUNK_ROWS):
            buf = io.StringIO()
            frame.iloc[start : start + CHUNK_ROWS].to_csv(
                buf, header=False, index=False, na_rep="\\N", lineterminator="\n"
            )
            copy.write(buf.getvalue())


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` within the caller's transaction.

    Parameters
    ----------
    conn
        An open connection inside a transaction (``engine.begin()``); nothing is committed here.
    table
        The target table; ``frame``'s columns must be a subset of its columns.
    frame
        The rows; missing values (NaN, None) become SQL NULL.

    Returns
    -------
    int
        The number of rows written.
    """
    if frame.empty:
        return 0
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise ValueError(f"columns {unknown} are not in table {table.name}")
    dbapi_error = conn.dialect.loaded_dbapi.Error
    note_write(conn, table.name)  # the driver-level paths bypass SQLAlchemy's statement events
    try:
        if conn.dialect.name == "postgresql":
            _copy_postgres(conn, table, frame)
        else:
            _executemany(conn, table, frame)
    except dbapi_error as exc:
        # Raise as SQLAlchemy does for its own statements (IntegrityError, OperationalError …).
        raise sa.exc.DBAPIError.instance(f"bulk insert into {table.name}", None, exc, dbapi_error) from None
    return len(frame)


def _executemany(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert with the driver's ``executemany`` in chunks (SQLite)."""
    columns = list(frame.columns)
    stmt = sa.insert(table).compile(dialect=conn.dialect, column_keys=columns)
    # SQLite's positional parameters follow the compiled column order.
    order = [c for c in stmt.positiontup or columns]
    ordered = frame[order]
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cur = dbapi.cursor()
    try:
        for chunk in _rows(ordered, order):
            cur.executemany(str(stmt), chunk)
    finally:
        cur.close()


def table_counts(conn: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """Row count of each table (used to show and to check that a failed write left no trace)."""
    return {
        t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
        for t in tables
    }

