"""Reading and writing indicator values and units as data frames (one query each, no row loops)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Iterator
from typing import Any

import pandas as pd
import sqlalchemy as sa

from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import indicator_values, ingest_batches, units

VALUE_COLUMNS = ["unit_code", "indicator_id", "period", "value", "batch_id"]


def fetch_rows(conn: sa.Connection, stmt: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``stmt`` as plain tuples straight from the driver (no per-row result objects).

    For large reads of plain columns (text, numbers); the statement runs in the caller's
    connection and transaction.
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args: Any = [params[k] for k in compiled.positiontup] if compiled.positiontup else params
    dbapi: Any = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    try:
        cur.execute(str(compiled), args)
        return list(cur.fetchall())
    finally:
        cur.close()


def _frame(conn: sa.Connection, stmt: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """The statement's rows as a frame, built column by column (much faster than from row objects)."""
    rows = fetch_rows(conn, stmt)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows, strict=True)), strict=True)))


def read_values(
    conn: sa.Connection,
    *,
    periods: Collection[str] | None = None,
    indicators: Collection[str] | None = None,
    units_: Collection[str] | None = None,
) -> pd.DataFrame:
    """Stored values as a long frame ``unit_code, indicator_id, period, value, batch_id``.

    Each filter is optional; ``None`` means all.
    """
    t = indicator_values
    stmt = sa.select(t.c.unit_code, t.c.indicator_id, t.c.period, t.c.value, t.c.batch_id)
    if periods is not None:
        stmt = stmt.where(t.c.period.in_(list(periods)))
    if indicators is not None:
        stmt = stmt.where(t.c.indicator_id.in_(list(indicators)))
    if units_ is not None:
        stmt = stmt.where(t.c.unit_code.in_(list(units_)))
    frame = _frame(conn, stmt, VALUE_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    return frame


def read_units(conn: sa.Connection, *, with_boundary: bool = False) -> pd.DataFrame:
    """All units as a frame (code, names, level, parent, group, lon, lat[, boundary])."""
    cols = [units.c.code, units.c.name_zh, units.c.name_en, units.c.level, units.c.parent_code,
            units.c.group_name, units.c.lon, units.c.lat]
    if with_boundary:
        cols.append(units.c.boundary)
    stmt = sa.select(*cols).order_by(units.c.code)
    return _frame(conn, stmt, [c.name for c in cols])


def new_batch(
    conn: sa.Connection,
    *,
    source: str,
    checksum: str,
    ingested_by: str,
    row_count: int,
    kind: str = "file",
    note: str | None = None,
) -> int:
    """Record one ingest batch and return its id."""
    result = conn.execute(
        sa.insert(ingest_batches)
        .values(
            source=source[:500],
            checksum=checksum,
            kind=kind,
            ingested_by=ingested_by[:100],
            ingested_at=dt.datetime.now(dt.UTC),
            row_count=row_count,
            note=note,
        )
        .returning(ingest_batches.c.id)
    )
    return int(result.scalar_one())


def batch_with_checksum(conn: sa.Connection, checksum: str) -> int | None:
    """The id of an earlier batch with this checksum, if any."""
    stmt = sa.select(ingest_batches.c.id).where(ingest_batches.c.checksum == checksum).limit(1)
    found = conn.execute(stmt).scalar()
    return None if found is None else int(found)


def write_values(conn: sa.Connection, new: pd.DataFrame, changed: pd.DataFrame, batch_id: int) -> None:
    """Insert ``new`` values and update ``changed`` ones (frames of unit_code, indicator_id, period, value).

    Runs inside the caller's transaction.
    """
    if not changed.empty:
        t = indicator_values
        stmt = (
            sa.update(t)
            .where(
                t.c.unit_code == sa.bindparam("u"),
                t.c.indicator_id == sa.bindparam("i"),
                t.c.period == sa.bindparam("p"),
            )
            .values(value=sa.bindparam("v"), batch_id=batch_id)
        )
        params = [
            {"u": u, "i": i, "p": p, "v": v}
            for u, i, p, v in zip(
                changed["unit_code"].tolist(), changed["indicator_id"].tolist(),
                changed["period"].tolist(), changed["value"].tolist(), strict=True,
            )
        ]
        conn.execute(stmt, params)
    if not new.empty:
        # In primary-key order: B-tree pages fill sequentially (a third faster on SQLite).
        keys = ["unit_code", "indicator_id", "period"]
        frame = new[[*keys, "value"]].copy()
        for key in keys:
            if isinstance(frame[key].dtype, pd.CategoricalDtype):
                # Sort categorical keys by text (their codes follow order of appearance).
                frame[key] = frame[key].cat.remove_unused_categories()
                frame[key] = frame[key].cat.reorder_categories(sorted(frame[key].cat.categories))
        frame = frame.sort_values(keys, kind="stable")
        frame["batch_id"] = batch_id
        with _bulk_load(conn, len(frame)):
            bulk_insert(conn, indicator_values, frame)


#: A load at least this large (and larger than the table) rebuilds the secondary index afterwards.
REBUILD_INDEX_ROWS = 100_000


@contextlib.contextmanager
def _bulk_load(conn: sa.Connection, rows: int) -> Iterator[None]:
    """On SQLite, drop the (period, indicator) index for a big load and rebuild it after.

    Building an index once from the loaded table is several times faster than updating it row by
    row; SQLite's DDL is transactional, so a failed or killed load restores the index with the
    rows. Other stores (and small loads) insert with the index in place.
    """
    index = next(i for i in indicator_values.indexes if i.name == "ix_indicator_values_period_indicator")
    big = conn.dialect.name == "sqlite" and rows >= REBUILD_INDEX_ROWS
    if big:
        existing = conn.execute(sa.select(sa.func.count()).select_from(indicator_values)).scalar_one()
        big = rows >= existing
    if not big:
        yield
        return
    index.drop(conn)
    yield
    index.create(conn)
