"""Tables of carbon accounting: the CO2 inventories as one long table, and their data-quality findings.

One row per (unit, year, sector, source): a CEADs provincial inventory cell (sector × fuel,
process or scope-2 column, non-zero cells only) or a city total (``sector = source = "total"``),
in Mt CO2, with the ingest batch it came from (file, checksum, time: the provenance).
"""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata

carbon_inventory = sa.Table(
    "carbon_inventory",
    metadata,
    sa.Column("unit_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("sector", sa.String(48), primary_key=True),
    sa.Column("source", sa.String(48), primary_key=True),
    #: "1" direct, "2" purchased heat or electricity, "other" (reported, not part of scope 1).
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("value_mt", sa.Float, nullable=False),
    #: Which inventory: ``ceads-province`` or ``ceads-city``.
    sa.Column("dataset", sa.String(32), nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id"), nullable=False),
    sa.Index("ix_carbon_inventory_dataset_year", "dataset", "year"),
    sqlite_with_rowid=False,
)

#: What the load's checks found: failed accounting identities, unmatched city names …
carbon_findings = sa.Table(
    "carbon_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("unit_code", sa.String(64), nullable=True),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("location", sa.Text, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
)
