"""Rank intervals of an evaluation run from an uncertainty analysis of its weights and methods."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: Rank statistics of one unit on one node (the index, or a domain) over the replications of an
#: uncertainty analysis of a run: nominal rank, mean, median and the 5 % / 95 % quantiles [rank].
evaluation_uncertainty = sa.Table(
    "evaluation_uncertainty",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_code", sa.String(64), primary_key=True),
    #: The node ranked: the index (default) or a domain id.
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("level", sa.String(16), nullable=False, server_default="index"),
    sa.Column("rank_nominal", sa.Integer, nullable=True),
    sa.Column("rank_mean", sa.Float, nullable=True),
    sa.Column("rank_median", sa.Float, nullable=True),
    sa.Column("rank_q5", sa.Float, nullable=True),
    sa.Column("rank_q95", sa.Float, nullable=True),
    #: Replications the statistics come from.
    sa.Column("replications", sa.Integer, nullable=False),
    #: The settings varied (JSON: inputs, noise, replications, seed).
    sa.Column("spec", sa.Text, nullable=False),
    utc_timestamp("created_at"),
    sa.Index("ix_evaluation_uncertainty_run_level", "run_id", "level", "code"),
    sqlite_with_rowid=False,
)
