"""Workspace settings (the stored evaluation method) and indicator values per source.

``indicator_values`` holds the one value an evaluation uses per unit, indicator and period;
``indicator_value_sources`` keeps every source's value for the same key with its precedence, so
that two sources of one indicator (a station network and a third-party file) are both kept and
their disagreement can be reported.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: Settings of the workspace (one row per key), e.g. ``evaluation.method``: the YAML of the method
#: configuration ``zhicheng evaluate`` uses when no ``--config`` is given.
workspace_settings = sa.Table(
    "workspace_settings",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    utc_timestamp("updated_at"),
)

#: One source's value of an indicator for a unit and period; ``precedence`` 1 is used first.
indicator_value_sources = sa.Table(
    "indicator_value_sources",
    metadata,
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("indicator_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), primary_key=True),
    #: The kind of source, e.g. ``station_network_hj663`` or ``derived_file``.
    sa.Column("source_kind", sa.String(64), primary_key=True),
    sa.Column("precedence", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id"), nullable=False),
    sa.Index("ix_indicator_value_sources_indicator", "indicator_id", "period"),
    sqlite_with_rowid=False,
)
