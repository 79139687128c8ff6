"""Tables of the server: API tokens (only hashes) and the audit log of every write."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    #: SHA-256 of the token; the token itself is shown once and never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("department", sa.String(100), nullable=True),
    utc_timestamp("created_at"),
    utc_timestamp("revoked_at", nullable=True),
    #: After this instant the token is refused (None: it does not expire).
    utc_timestamp("expires_at", nullable=True),
)

#: The Things a token is bound to: a bound sensor writes only their Datastreams' Observations,
#: a bound device manager only these Things and what hangs from them.
api_token_things = sa.Table(
    "api_token_things",
    metadata,
    sa.Column("token_id", sa.Integer, sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("thing_id", sa.BigInteger, primary_key=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    utc_timestamp("at"),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Index("ix_audit_log_at", "at"),
)

#: Cockpit sign-in sessions: a token exchanged for an HTTP-only cookie. Only the cookie's SHA-256
#: is kept; ``csrf`` is the per-session token every cookie-borne write must echo in a header.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "token_id", sa.Integer, sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    sa.Column("csrf", sa.String(64), nullable=False),
    utc_timestamp("created_at"),
    utc_timestamp("expires_at"),
)

#: One counter per kind of live data (``sensing``, ``alerts``, ``events``), bumped in the same
#: transaction as every write to those tables: live pages poll it (or are notified) to refresh,
#: whichever process wrote.
store_changes = sa.Table(
    "store_changes",
    metadata,
    sa.Column("topic", sa.String(32), primary_key=True),
    sa.Column("counter", sa.BigInteger, nullable=False, server_default="0"),
)
