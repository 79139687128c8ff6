"""Tables of live sensing: the OGC SensorThings entity sets (MultiDatastreams too), alert rules and alerts.

Times are stored as integer microseconds since 1970-01-01T00:00:00Z (UTC): the same exact,
index-friendly comparison on SQLite and PostgreSQL, and cheap to bulk-load and to page by.
Free-form JSON members (``properties``, ``unitOfMeasurement``, ``location`` …) use the
portable JSON type so that ``$filter=properties/station eq 'x'`` runs in SQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.store.schema import metadata, utc_timestamp


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _text(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON, nullable=True)


def _micros(name: str, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=nullable)


sta_things = sa.Table(
    "sta_things",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    _json("properties"),
    sqlite_autoincrement=True,  # ids of deleted rows are never handed out again (all STA tables)
)


def thing_name(name: str | None, properties: object, lang: str = "zh") -> str | None:
    """A station's (Thing's) name in ``lang``: in Chinese its ``properties.name_zh`` when it has one.

    One language per page: the Beijing network's Things are named in pinyin ("Dongsi") and carry
    their Chinese name (东四) in their properties; a Thing without one keeps its own name.
    """
    if lang == "zh" and isinstance(properties, dict) and properties.get("name_zh"):
        return str(properties["name_zh"])
    return name

sta_locations = sa.Table(
    "sta_locations",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    sa.Column("encoding_type", sa.String(100), nullable=False),
    _json("location"),
    _json("properties"),
    sqlite_autoincrement=True,
)

sta_thing_locations = sa.Table(
    "sta_thing_locations",
    metadata,
    sa.Column(
        "thing_id", sa.Integer, sa.ForeignKey("sta_things.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "location_id",
        sa.Integer,
        sa.ForeignKey("sta_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

sta_historical_locations = sa.Table(
    "sta_historical_locations",
    metadata,
    _id(),
    sa.Column(
        "thing_id",
        sa.Integer,
        sa.ForeignKey("sta_things.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    _micros("time", nullable=False),
    sqlite_autoincrement=True,
)

sta_historical_location_locations = sa.Table(
    "sta_historical_location_locations",
    metadata,
    sa.Column(
        "historical_location_id",
        sa.Integer,
        sa.ForeignKey("sta_historical_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "location_id",
        sa.Integer,
        sa.ForeignKey("sta_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

sta_sensors = sa.Table(
    "sta_sensors",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    sa.Column("encoding_type", sa.String(100), nullable=False),
    _json("metadata"),
    _json("properties"),
    sqlite_autoincrement=True,
)

sta_observed_properties = sa.Table(
    "sta_observed_properties",
    metadata,
    _id(),
    _text("name", False),
    _text("definition", False),
    _text("description", False),
    _json("properties"),
    sqlite_autoincrement=True,
)

sta_datastreams = sa.Table(
    "sta_datastreams",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    _json("unit_of_measurement"),
    sa.Column("observation_type", sa.String(200), nullable=False),
    _json("observed_area"),
    _micros("phenomenon_time_start"),
    _micros("phenomenon_time_end"),
    _micros("result_time_start"),
    _micros("result_time_end"),
    _json("properties"),
    sa.Column(
        "thing_id",
        sa.Integer,
        sa.ForeignKey("sta_things.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "sensor_id",
        sa.Integer,
        sa.ForeignKey("sta_sensors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "observed_property_id",
        sa.Integer,
        sa.ForeignKey("sta_observed_properties.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sqlite_autoincrement=True,
)

#: MultiDatastreams (OGC 18-088 §12): Observations whose result is an array, one member per
#: ObservedProperty, each with its own unit and observation type.
sta_multi_datastreams = sa.Table(
    "sta_multi_datastreams",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    _json("unit_of_measurements"),
    sa.Column("observation_type", sa.String(200), nullable=False),
    _json("multi_observation_data_types"),
    _json("observed_area"),
    _micros("phenomenon_time_start"),
    _micros("phenomenon_time_end"),
    _micros("result_time_start"),
    _micros("result_time_end"),
    _json("properties"),
    sa.Column(
        "thing_id",
        sa.Integer,
        sa.ForeignKey("sta_things.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "sensor_id",
        sa.Integer,
        sa.ForeignKey("sta_sensors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sqlite_autoincrement=True,
)

#: The ObservedProperties of a MultiDatastream, in the order of its result members (``rank``).
sta_multi_datastream_observed_properties = sa.Table(
    "sta_multi_datastream_observed_properties",
    metadata,
    sa.Column(
        "multi_datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_multi_datastreams.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "observed_property_id",
        sa.Integer,
        sa.ForeignKey("sta_observed_properties.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sa.Column("rank", sa.Integer, nullable=False),
)

sta_features_of_interest = sa.Table(
    "sta_features_of_interest",
    metadata,
    _id(),
    _text("name", False),
    _text("description", False),
    sa.Column("encoding_type", sa.String(100), nullable=False),
    _json("feature"),
    _json("properties"),
    #: The Location this feature was made from (automatic FeatureOfInterest, OGC 18-088 §8.2.7).
    sa.Column(
        "location_id",
        sa.Integer,
        sa.ForeignKey("sta_locations.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    sqlite_autoincrement=True,
)

sta_observations = sa.Table(
    "sta_observations",
    metadata,
    _id(),
    #: Exactly one of ``datastream_id`` and ``multi_datastream_id`` is set.
    sa.Column(
        "datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_datastreams.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column(
        "multi_datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_multi_datastreams.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column(
        "feature_of_interest_id",
        sa.Integer,
        sa.ForeignKey("sta_features_of_interest.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    _micros("phenomenon_time_start", nullable=False),
    _micros("phenomenon_time_end"),
    _micros("result_time"),
    #: Numeric results (the usual case) are a float column so that filters and means run in SQL.
    sa.Column("result_number", sa.Float, nullable=True),
    #: Any other result (text, boolean, object, array, null) as JSON.
    _json("result_json"),
    _json("result_quality"),
    _micros("valid_time_start"),
    _micros("valid_time_end"),
    _json("parameters"),
    # Paging and time filters of one datastream walk this index (keyset, no deep OFFSET).
    sa.Index("ix_sta_observations_ds_time", "datastream_id", "phenomenon_time_start", "id"),
    sa.Index("ix_sta_observations_ds_id", "datastream_id", "id"),
    sa.Index("ix_sta_observations_mds_time", "multi_datastream_id", "phenomenon_time_start", "id"),
    sqlite_autoincrement=True,
)

#: Alert rules: a threshold or an AQI level on one datastream or on every datastream of an
#: observed property, held for at least ``duration_minutes`` before an alert opens.
alert_rules = sa.Table(
    "alert_rules",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column(
        "datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_datastreams.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("observed_property", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("comparison", sa.String(2), nullable=False, server_default="gt"),
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("aqi_level", sa.Integer, nullable=True),
    sa.Column("duration_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.String(100), nullable=False),
    utc_timestamp("created_at"),
)

#: Where each (rule, datastream) pair stands: the breach in progress, if any.
alert_states = sa.Table(
    "alert_states",
    metadata,
    sa.Column(
        "rule_id", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_datastreams.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _micros("breach_since"),
    sa.Column("peak_value", sa.Float, nullable=True),
    _micros("peak_at"),
    _micros("last_at"),
    sa.Column("open_alert_id", sa.Integer, nullable=True),
)

#: Alerts: a breach that lasted the rule's duration; open until a reading is back within bounds.
alerts = sa.Table(
    "alerts",
    metadata,
    _id(),
    sa.Column(
        "rule_id",
        sa.Integer,
        sa.ForeignKey("alert_rules.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "datastream_id",
        sa.Integer,
        sa.ForeignKey("sta_datastreams.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _micros("started_at", nullable=False),
    _micros("ended_at"),
    sa.Column("peak_value", sa.Float, nullable=False),
    _micros("peak_at", nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_alerts_started_at", "started_at"),
)
