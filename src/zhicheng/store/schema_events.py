"""Tables of city events: service requests (Open311 GeoReport v2) and their workflow history."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: One city-management event: a citizen's report, a sensor alert or an inspector's finding.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    #: Identifier given by another system (e.g. an LA 311 SR number); public id is ``id`` without one.
    sa.Column("request_id", sa.String(64), nullable=True, unique=True),
    #: Open311 token returned on submission (``GET tokens/{token}`` finds the request).
    sa.Column("token", sa.String(40), nullable=True, unique=True),
    sa.Column("service_code", sa.String(64), nullable=False),
    #: Workflow state: submitted, accepted, dispatched, in_progress, resolved, closed, rejected, reopened.
    sa.Column("status", sa.String(16), nullable=False),
    #: Where it came from: citizen, sensor or inspector.
    sa.Column("source", sa.String(16), nullable=False),
    #: Reference of the originating record (sensor alert id, replayed file …).
    sa.Column("source_ref", sa.String(200), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("address", sa.String(500), nullable=True),
    sa.Column("address_id", sa.String(100), nullable=True),
    sa.Column("zipcode", sa.String(20), nullable=True),
    sa.Column("media_url", sa.String(1000), nullable=True),
    #: Answers to the service definition's attributes, as JSON (code → value or list of values).
    sa.Column("attributes", sa.Text, nullable=True),
    #: Reporter's contact details as JSON; never published.
    sa.Column("contact", sa.Text, nullable=True),
    #: Responsible department (Open311 ``agency_responsible``).
    sa.Column("department", sa.String(100), nullable=True),
    sa.Column("grid_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
    #: The earlier event this one repeats (linked, never dropped).
    sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("events.id"), nullable=True),
    sa.Column("status_notes", sa.Text, nullable=True),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    utc_timestamp("requested_at"),
    utc_timestamp("updated_at"),
    #: SLA deadline: requested_at + the service's SLA hours (Open311 ``expected_datetime``).
    utc_timestamp("expected_at", nullable=True),
    utc_timestamp("resolved_at", nullable=True),
    #: When the event entered ``closed`` (cleared again on reopening).
    utc_timestamp("closed_at", nullable=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id"), nullable=True),
    sa.Index("ix_events_requested_at", "requested_at"),
    sa.Index("ix_events_service_requested", "service_code", "requested_at"),
    sa.Index("ix_events_status_expected", "status", "expected_at"),
    sa.Index("ix_events_grid_code", "grid_code"),
)

#: Every workflow transition of an event: who moved it, from which state to which, when and why.
event_history = sa.Table(
    "event_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    utc_timestamp("at"),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("department", sa.String(100), nullable=True),
    sa.Column("grid_code", sa.String(64), nullable=True),
    sa.Index("ix_event_history_event", "event_id", "at"),
)
