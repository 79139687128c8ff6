"""sessions and changes: cockpit sign-in sessions, and the change counters of live data

Revision ID: 0014
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

TOPICS = ("sensing", "alerts", "events")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], ondelete="CASCADE",
                                name="fk_sessions_token_id_api_tokens"),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("session_hash", name="uq_sessions_session_hash"),
    )
    op.create_index("ix_sessions_token_id", "sessions", ["token_id"])
    changes = op.create_table(
        "store_changes",
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("counter", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("topic", name="pk_store_changes"),
    )
    op.bulk_insert(changes, [{"topic": t, "counter": 0} for t in TOPICS])


def downgrade() -> None:
    op.drop_table("store_changes")
    op.drop_index("ix_sessions_token_id", table_name="sessions")
    op.drop_table("sessions")
