"""Tables of emergency readiness: plans (预案), drills (应急演练) and supplies (物资保障)."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp

#: An emergency plan with the event types it covers and the departments it engages.
emergency_plans = sa.Table(
    "emergency_plans",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name_zh", sa.String(300), nullable=False),
    sa.Column("name_en", sa.String(300), nullable=True),
    #: 总体预案, 专项预案, 部门预案 … (free text of the city's plan system).
    sa.Column("level", sa.String(64), nullable=True),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
    #: JSON lists: event types (service codes) and department codes.
    sa.Column("event_types", sa.Text, nullable=False),
    sa.Column("departments", sa.Text, nullable=False),
    #: Drills the plan calls for each year.
    sa.Column("drills_per_year", sa.Integer, nullable=False, server_default="1"),
    utc_timestamp("updated_at"),
)

#: A drill of a plan: when, who took part, what was found.
drills = sa.Table(
    "drills",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ref", sa.String(64), nullable=False, unique=True),
    sa.Column("plan_code", sa.String(64), sa.ForeignKey("emergency_plans.code"), nullable=False),
    utc_timestamp("held_at"),
    #: JSON list of participating departments or organisations.
    sa.Column("participants", sa.Text, nullable=False),
    sa.Column("participant_count", sa.Integer, nullable=True),
    sa.Column("findings", sa.Text, nullable=True),
    sa.Index("ix_drills_plan_held", "plan_code", "held_at"),
)

#: A follow-up action of a drill; it becomes a city event for its department.
drill_actions = sa.Table(
    "drill_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("drill_id", sa.Integer, sa.ForeignKey("drills.id", ondelete="CASCADE"), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("department", sa.String(100), nullable=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=True),
)

#: An emergency supply depot.
supply_depots = sa.Table(
    "supply_depots",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name_zh", sa.String(300), nullable=False),
    sa.Column("name_en", sa.String(300), nullable=True),
    sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    #: True when the depot reports its stock to the platform in real time (D2.R3.I5).
    sa.Column("digital", sa.Boolean, nullable=False, server_default=sa.false()),
)

#: Stock of one item in one depot, with its minimum level and expiry.
supply_stocks = sa.Table(
    "supply_stocks",
    metadata,
    sa.Column("depot_code", sa.String(64), sa.ForeignKey("supply_depots.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_code", sa.String(64), primary_key=True),
    sa.Column("item_zh", sa.String(200), nullable=False),
    sa.Column("item_en", sa.String(200), nullable=True),
    #: Unit of the quantities (件, 顶, 箱, t …).
    sa.Column("unit", sa.String(32), nullable=False),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("minimum", sa.Float, nullable=False),
    utc_timestamp("expires_at", nullable=True),
    utc_timestamp("updated_at"),
)
