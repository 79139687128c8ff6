"""The observation archive's manifest: one row per Parquet file moved out of the store.

A file's row is written (state ``written``) before the file takes its final name, and becomes
``committed`` in the same transaction that deletes its observations from ``sta_observations``;
so a committed file's rows are never in the store too, and a ``written`` file is either finished
or discarded by the next run (``zhicheng.archive.mover``).
"""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

archive_files = sa.Table(
    "archive_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: Path of the file relative to the archive root (``year=2014/month=03/part-….parquet``).
    sa.Column("path", sa.String(500), nullable=False, unique=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    #: SHA-256 of the file's bytes, hex.
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("min_id", sa.BigInteger, nullable=False),
    sa.Column("max_id", sa.BigInteger, nullable=False),
    #: Phenomenon times covered [µs since 1970-01-01 UTC].
    sa.Column("min_time", sa.BigInteger, nullable=False),
    sa.Column("max_time", sa.BigInteger, nullable=False),
    sa.Column("datastreams", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    utc_timestamp("created_at"),
    sa.Index("ix_archive_files_state_time", "state", "min_time"),
)
