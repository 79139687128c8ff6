"""The store's tables (SQLAlchemy 2 Core), one ``MetaData`` shared by every capability.

Migrations in ``migrations/versions`` create exactly these tables; a test compares the two.
Capabilities add their tables in their own module (``schema_api.py``, ``schema_sensing.py`` …)
against this same ``metadata`` and their own migration revision.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utc_timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    """A timezone-aware timestamp column (stored as UTC)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


#: Places that are evaluated or hold sensors: city, district, grid cell, station …
units = sa.Table(
    "units",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=True),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("parent_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
    sa.Column("group_name", sa.String(100), nullable=True),
    #: Boundary as GeoJSON geometry text (WKT input is converted on load).
    sa.Column("boundary", sa.Text, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    #: A unit page lists its children (区县 of a city, grid cells of a district).
    sa.Index("ix_units_parent_code", "parent_code"),
)

#: One ingest of one file (or one approved campaign submission): what came in, when, from whom.
ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False, server_default="file"),
    sa.Column("ingested_by", sa.String(100), nullable=False),
    utc_timestamp("ingested_at"),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)

#: Indicator values: one per (unit, indicator, period); the batch says where it came from.
indicator_values = sa.Table(
    "indicator_values",
    metadata,
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("indicator_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id"), nullable=False),
    sa.Index("ix_indicator_values_period_indicator", "period", "indicator_id"),
    # The primary key is the table (no hidden rowid B-tree): a third faster bulk ingest on SQLite.
    sqlite_with_rowid=False,
)

#: Framework versions used by evaluations, kept verbatim so a run can be reproduced.
framework_versions = sa.Table(
    "framework_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("framework_id", sa.String(64), nullable=False),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    utc_timestamp("created_at"),
    sa.UniqueConstraint("framework_id", "version", "checksum", name="uq_framework_versions_key"),
)

#: One evaluation: framework version, period, method configuration.
evaluation_runs = sa.Table(
    "evaluation_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("framework_version_id", sa.Integer, sa.ForeignKey("framework_versions.id"), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    #: Earlier period the run's trends (change, CAGR) are measured from, when asked for.
    sa.Column("base_period", sa.String(16), nullable=True),
    sa.Column("unit_count", sa.Integer, nullable=False),
    utc_timestamp("created_at"),
    sa.Column("note", sa.Text, nullable=True),
)

#: Scores of every unit at every level of one run: indicator, requirement, domain, index.
evaluation_results = sa.Table(
    "evaluation_results",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_code", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("raw_value", sa.Float, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("grade", sa.Integer, nullable=True),
    sa.Column("coverage", sa.Float, nullable=True),
    sa.Column("target", sa.Float, nullable=True),
    sa.Column("gap", sa.Float, nullable=True),
    #: Index points the unit would gain if this indicator reached its target (indicator level).
    sa.Column("lift", sa.Float, nullable=True),
    #: Change since the run's base period (raw value at indicator level, score above) and its CAGR.
    sa.Column("change", sa.Float, nullable=True),
    sa.Column("cagr", sa.Float, nullable=True),
    #: Period the raw value came from (a recent earlier one when the run allows a look-back).
    sa.Column("value_period", sa.String(16), nullable=True),
    #: Attainment of target (达标度) beside the ranking score [0–100 points]; grades speak of it.
    sa.Column("attainment", sa.Float, nullable=True),
    #: Why a unit is ranked or not (``ranked``, ``insufficient_data``, ``sole_unit``), or why an
    #: indicator is not scored (``not_in_common_set``, ``context``).
    sa.Column("rank_status", sa.String(32), nullable=True),
    #: ``graded``, ``insufficient_evidence`` (证据不足) or ``not_scored``.
    sa.Column("grade_status", sa.String(32), nullable=True),
    #: The grade of the attainment over the scored part where the evidence is insufficient
    #: (always shown as provisional, with the coverage).
    sa.Column("provisional_grade", sa.Integer, nullable=True),
    sa.Index("ix_evaluation_results_run_level", "run_id", "level", "code"),
    #: A unit's scores over every run (its trend), without reading the other units' results.
    sa.Index("ix_evaluation_results_unit_level", "unit_code", "level", "code"),
    sqlite_with_rowid=False,
)

#: Columns of :data:`evaluation_results` that a run's results carry, in the order readers return them.
RESULT_COLUMNS = ["unit_code", "code", "level", "raw_value", "score", "rank", "grade", "coverage",
                  "target", "gap", "lift", "change", "cagr", "value_period", "attainment", "rank_status",
                  "grade_status", "provisional_grade"]
