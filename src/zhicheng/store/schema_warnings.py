"""Tables of public warnings (OASIS CAP 1.2) and of the alerts forecasts raise."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: One CAP message: an alert, an update or a cancellation (which references the message before it).
public_warnings = sa.Table(
    "public_warnings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: CAP ``identifier``: unique per sender.
    sa.Column("identifier", sa.String(160), nullable=False, unique=True),
    sa.Column("sender", sa.String(200), nullable=False),
    #: CAP ``status``: Actual, Exercise, System, Test or Draft.
    sa.Column("status", sa.String(16), nullable=False),
    #: CAP ``msgType``: Alert, Update or Cancel.
    sa.Column("msg_type", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False, server_default="Public"),
    #: The message this one updates or cancels (CAP ``references``).
    sa.Column("references_id", sa.Integer, sa.ForeignKey("public_warnings.id"), nullable=True),
    #: Review state: draft (awaiting review), published, rejected.
    sa.Column("state", sa.String(16), nullable=False),
    #: CAP ``category`` (Met, Env, Safety, Health, Infra …).
    sa.Column("category", sa.String(16), nullable=False),
    #: The event type (a service code of the catalogue, or free text), CAP ``eventCode``.
    sa.Column("event_code", sa.String(64), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("certainty", sa.String(16), nullable=False),
    sa.Column("response_type", sa.String(16), nullable=True),
    utc_timestamp("effective", nullable=True),
    utc_timestamp("onset", nullable=True),
    utc_timestamp("expires", nullable=True),
    #: Area: description zh/en and a CAP polygon ("lat,lon lat,lon …", closed) and/or circle ("lat,lon r_km").
    sa.Column("area_desc_zh", sa.String(500), nullable=False),
    sa.Column("area_desc_en", sa.String(500), nullable=True),
    sa.Column("polygon", sa.Text, nullable=True),
    sa.Column("circle", sa.String(100), nullable=True),
    #: The info blocks as JSON: [{language, event, headline, description, instruction}], zh-CN first.
    sa.Column("info", sa.Text, nullable=False),
    #: What made it: operator, alert (a sensor alert) or forecast.
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("source_ref", sa.String(200), nullable=True),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
    sa.Column("created_by", sa.String(100), nullable=False),
    utc_timestamp("created_at"),
    sa.Column("reviewed_by", sa.String(100), nullable=True),
    utc_timestamp("reviewed_at", nullable=True),
    sa.Column("review_note", sa.Text, nullable=True),
    #: CAP ``sent``: when it was published.
    utc_timestamp("sent", nullable=True),
    #: Residents of the warned area and those reached within 15 minutes (dissemination reports; D2.R3.I1).
    sa.Column("residents_in_area", sa.Float, nullable=True),
    sa.Column("residents_reached", sa.Float, nullable=True),
    sa.Index("ix_public_warnings_state_sent", "state", "sent"),
)

#: An alert a forecast raised (a predicted pollution episode, an event-volume surge, a supply shortage).
forecast_alerts = sa.Table(
    "forecast_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: episode, surge or supply.
    sa.Column("kind", sa.String(16), nullable=False),
    #: Where: a station, a grid cell, a depot.
    sa.Column("place", sa.String(120), nullable=False),
    sa.Column("service_code", sa.String(64), nullable=False),
    #: Category of the forecast series (service code of the events counted), when there is one.
    sa.Column("series", sa.String(64), nullable=True),
    utc_timestamp("issued_at"),
    #: The time the forecast is for.
    utc_timestamp("target_at"),
    sa.Column("horizon_hours", sa.Float, nullable=True),
    sa.Column("predicted", sa.Float, nullable=True),
    sa.Column("observed", sa.Float, nullable=True),
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=True),
    sa.Column("warning_id", sa.Integer, sa.ForeignKey("public_warnings.id"), nullable=True),
    sa.UniqueConstraint("kind", "place", "series", "target_at", name="uq_forecast_alerts_once"),
)
