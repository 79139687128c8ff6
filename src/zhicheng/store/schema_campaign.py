"""Tables of self-assessment campaigns (城市自评): assignments, submissions, evidence, history."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: One self-assessment campaign: a framework version evaluated for some units over one period.
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("framework_id", sa.String(64), nullable=False),
    sa.Column("framework_version", sa.String(32), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    #: Submissions are due by this instant; unfinished ones are overdue afterwards.
    utc_timestamp("deadline"),
    #: open (departments submit) or closed (read-only).
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("created_by", sa.String(100), nullable=False),
    utc_timestamp("created_at"),
    sa.Column("note", sa.Text, nullable=True),
)

#: The units (city, districts …) a campaign collects values for.
campaign_units = sa.Table(
    "campaign_units",
    metadata,
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), primary_key=True),
)

#: Which department supplies which indicator, and the named analysts who may fill it in.
campaign_assignments = sa.Table(
    "campaign_assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    #: Token names of the analysts named for it, as a JSON list (empty: any analyst of the department).
    sa.Column("assignees", sa.Text, nullable=False, server_default="[]"),
    sa.Column("assigned_by", sa.String(100), nullable=False),
    utc_timestamp("assigned_at"),
    sa.UniqueConstraint("campaign_id", "indicator_id", name="uq_campaign_assignments_key"),
    sa.Index("ix_campaign_assignments_department", "department"),
)

#: A department's answer for one indicator and unit: value (or checklist answer), comment, state.
campaign_submissions = sa.Table(
    "campaign_submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    sa.Column("assignment_id", sa.Integer, sa.ForeignKey("campaign_assignments.id"), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),
    #: draft, submitted, returned, resubmitted or approved.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    #: Checklist indicators: the answer, items met of items checked, and the maturity level claimed.
    sa.Column("answer", sa.Text, nullable=True),
    sa.Column("items_met", sa.Integer, nullable=True),
    sa.Column("items_total", sa.Integer, nullable=True),
    sa.Column("maturity", sa.Integer, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("return_reason", sa.Text, nullable=True),
    #: Times it has been handed in (1 after the first submit, 2 after a resubmit …).
    sa.Column("round", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", sa.String(100), nullable=False),
    utc_timestamp("created_at"),
    sa.Column("updated_by", sa.String(100), nullable=False),
    utc_timestamp("updated_at"),
    sa.Column("submitted_by", sa.String(100), nullable=True),
    utc_timestamp("submitted_at", nullable=True),
    sa.Column("reviewed_by", sa.String(100), nullable=True),
    utc_timestamp("reviewed_at", nullable=True),
    #: The ingest batch the approved value was written in (provenance of the stored value).
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id"), nullable=True),
    sa.UniqueConstraint("campaign_id", "indicator_id", "unit_code", name="uq_campaign_submissions_key"),
    sa.Index("ix_campaign_submissions_campaign_status", "campaign_id", "status"),
    sa.Index("ix_campaign_submissions_batch", "batch_id"),
)

#: Evidence files of a submission; the file itself lives content-addressed (SHA-256) on disk.
campaign_evidence = sa.Table(
    "campaign_evidence",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("campaign_submissions.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    #: Media type found from the file's own bytes (never the one the client claimed).
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("uploaded_by", sa.String(100), nullable=False),
    utc_timestamp("uploaded_at"),
    sa.UniqueConstraint("submission_id", "sha256", name="uq_campaign_evidence_key"),
    sa.Index("ix_campaign_evidence_sha256", "sha256"),
)

#: Every change of a submission: who, when, which action, from which state to which, and the value.
campaign_history = sa.Table(
    "campaign_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("campaign_submissions.id", ondelete="CASCADE"),
              nullable=False),
    utc_timestamp("at"),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Index("ix_campaign_history_submission", "submission_id"),
)
