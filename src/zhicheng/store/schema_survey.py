"""Tables of citizen experience: questionnaires, survey waves, respondents, answers, margins, participation."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: Questionnaire versions as used by waves, kept verbatim (canonical JSON).
survey_questionnaires = sa.Table(
    "survey_questionnaires",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("questionnaire_id", sa.String(64), nullable=False),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    utc_timestamp("created_at"),
    sa.UniqueConstraint("questionnaire_id", "version", "checksum", name="uq_survey_questionnaires_key"),
)

#: One round of fieldwork for one unit and period (one file ingest, or an open online wave).
survey_waves = sa.Table(
    "survey_waves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("questionnaire_pk", sa.Integer, sa.ForeignKey("survey_questionnaires.id"), nullable=False),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    #: ``file`` (ingested export) or ``online`` (public submissions while open).
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="closed"),
    sa.Column("source", sa.String(500), nullable=True),
    sa.Column("checksum", sa.String(64), nullable=True),
    sa.Column("created_by", sa.String(100), nullable=False),
    utc_timestamp("created_at"),
    sa.Column("note", sa.Text, nullable=True),
    sa.UniqueConstraint("unit_code", "period", "label", name="uq_survey_waves_key"),
)

#: How each question was asked in a wave: its answer scale and a fingerprint of its wording.
survey_wave_questions = sa.Table(
    "survey_wave_questions",
    metadata,
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("survey_waves.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("question_id", sa.String(64), primary_key=True),
    sa.Column("source_column", sa.String(200), nullable=True),
    sa.Column("scale_low", sa.Float, nullable=True),
    sa.Column("scale_high", sa.Float, nullable=True),
    sa.Column("reverse", sa.Boolean, nullable=False),
    #: Trends compare waves only where this is equal (same wording and scale).
    sa.Column("asked_as", sa.String(200), nullable=False),
)

#: Respondents: only the personal data the questionnaire declares, and their weight.
survey_respondents = sa.Table(
    "survey_respondents",
    metadata,
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("survey_waves.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("respondent_id", sa.String(64), primary_key=True),
    sa.Column("district", sa.String(100), nullable=True),
    sa.Column("age_band", sa.String(32), nullable=True),
    sa.Column("sex", sa.String(16), nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    utc_timestamp("submitted_at", nullable=True),
    sqlite_with_rowid=False,
)

#: Answers in long form: a Likert code in ``value``, choice codes (``;``-joined) or free text.
survey_answers = sa.Table(
    "survey_answers",
    metadata,
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("survey_waves.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("respondent_id", sa.String(64), primary_key=True),
    sa.Column("question_id", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("choice", sa.String(500), nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    sqlite_with_rowid=False,
)

#: Population margins for weighting: the share of each category of a dimension in a unit.
survey_margins = sa.Table(
    "survey_margins",
    metadata,
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("dimension", sa.String(32), primary_key=True),
    sa.Column("category", sa.String(100), primary_key=True),
    sa.Column("share", sa.Float, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
)

#: Participation: proposals and comments on a plan or project, answered in public.
participation_items = sa.Table(
    "participation_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=False),
    #: ``plan`` or ``project``, and the plan's or project's reference.
    sa.Column("subject_kind", sa.String(16), nullable=False),
    sa.Column("subject_ref", sa.String(100), nullable=False),
    #: ``proposal`` or ``comment`` (a comment may reply to another item).
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("participation_items.id"), nullable=True),
    sa.Column("title", sa.String(200), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("district", sa.String(100), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="submitted"),
    utc_timestamp("created_at"),
    sa.Column("public_answer", sa.Text, nullable=True),
    utc_timestamp("answered_at", nullable=True),
    sa.Column("answered_by", sa.String(100), nullable=True),
    sa.Index("ix_participation_items_unit_subject", "unit_code", "subject_kind", "subject_ref"),
)
