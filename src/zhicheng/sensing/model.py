"""The SensorThings data model: the entity types, their properties and navigation.

Declared once as data; reading, writing, ``$filter``, ``$select`` and ``$expand`` all work from
this table of types, so every entity set behaves the same way.

References
----------
OGC 18-088 (SensorThings API Part 1: Sensing, v1.1) §8.2 (entities and their properties),
Figure 2 (relations); the MultiDatastream extension (Annex A.5, ``/req/multi-datastream``:
``properties``, ``relations``, ``constraints``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from zhicheng.store import schema_sensing as s

#: How a property is stored and checked.
Kind = Literal["text", "json", "object", "instant", "period", "time", "result", "any"]


@dataclass(frozen=True)
class Prop:
    """One property of an entity type: its JSON name, its column(s) and its kind."""

    name: str
    column: str
    kind: Kind
    required: bool = False
    #: Second column of a period or of a time that may be a period.
    end_column: str | None = None
    #: Computed by the service (never written by clients).
    read_only: bool = False


@dataclass(frozen=True)
class Nav:
    """One navigation property: where the related entities are and how to reach them."""

    name: str
    target: str
    many: bool
    #: To-one: the foreign key column on this entity's table.
    fk: str | None = None
    #: To-many: the foreign key column on the target table pointing back here.
    back_fk: str | None = None
    #: Many-to-many: link table with this side's and the target side's columns.
    link: sa.Table | None = None
    link_here: str | None = None
    link_there: str | None = None
    #: A to-one link every new entity must have (unless given by the parent of a deep insert).
    required: bool = False


@dataclass(frozen=True)
class EntityType:
    """One SensorThings entity type."""

    name: str
    plural: str
    table: sa.Table
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...] = field(default=())

    def prop(self, name: str) -> Prop | None:
        """The property called ``name`` (None if there is none)."""
        return next((p for p in self.props if p.name == name), None)

    def nav(self, name: str) -> Nav | None:
        """The navigation property called ``name`` (None if there is none)."""
        return next((n for n in self.navs if n.name == name), None)


def _common(*extra: Prop, described: bool = True) -> tuple[Prop, ...]:
    base = (
        (Prop("name", "name", "text", True), Prop("description", "description", "text", True))
        if described
        else ()
    )
    return (*base, *extra)


_PROPS = Prop("properties", "properties", "object")

THING = EntityType(
    "Thing",
    "Things",
    s.sta_things,
    _common(_PROPS),
    (
        Nav(
            "Locations",
            "Locations",
            True,
            link=s.sta_thing_locations,
            link_here="thing_id",
            link_there="location_id",
        ),
        Nav("HistoricalLocations", "HistoricalLocations", True, back_fk="thing_id"),
        Nav("Datastreams", "Datastreams", True, back_fk="thing_id"),
        Nav("MultiDatastreams", "MultiDatastreams", True, back_fk="thing_id"),
    ),
)

LOCATION = EntityType(
    "Location",
    "Locations",
    s.sta_locations,
    _common(
        Prop("encodingType", "encoding_type", "text", True),
        Prop("location", "location", "json", True),
        _PROPS,
    ),
    (
        Nav(
            "Things",
            "Things",
            True,
            link=s.sta_thing_locations,
            link_here="location_id",
            link_there="thing_id",
        ),
        Nav(
            "HistoricalLocations",
            "HistoricalLocations",
            True,
            link=s.sta_historical_location_locations,
            link_here="location_id",
            link_there="historical_location_id",
        ),
    ),
)

HISTORICAL_LOCATION = EntityType(
    "HistoricalLocation",
    "HistoricalLocations",
    s.sta_historical_locations,
    (Prop("time", "time", "instant", True),),
    (
        Nav("Thing", "Things", False, fk="thing_id", required=True),
        Nav(
            "Locations",
            "Locations",
            True,
            link=s.sta_historical_location_locations,
            link_here="historical_location_id",
            link_there="location_id",
        ),
    ),
)

SENSOR = EntityType(
    "Sensor",
    "Sensors",
    s.sta_sensors,
    _common(
        Prop("encodingType", "encoding_type", "text", True),
        Prop("metadata", "metadata", "any", True),
        _PROPS,
    ),
    (
        Nav("Datastreams", "Datastreams", True, back_fk="sensor_id"),
        Nav("MultiDatastreams", "MultiDatastreams", True, back_fk="sensor_id"),
    ),
)

OBSERVED_PROPERTY = EntityType(
    "ObservedProperty",
    "ObservedProperties",
    s.sta_observed_properties,
    (
        Prop("name", "name", "text", True),
        Prop("definition", "definition", "text", True),
        Prop("description", "description", "text", True),
        _PROPS,
    ),
    (
        Nav("Datastreams", "Datastreams", True, back_fk="observed_property_id"),
        Nav(
            "MultiDatastreams",
            "MultiDatastreams",
            True,
            link=s.sta_multi_datastream_observed_properties,
            link_here="observed_property_id",
            link_there="multi_datastream_id",
        ),
    ),
)

DATASTREAM = EntityType(
    "Datastream",
    "Datastreams",
    s.sta_datastreams,
    _common(
        Prop("unitOfMeasurement", "unit_of_measurement", "object", True),
        Prop("observationType", "observation_type", "text", True),
        Prop("observedArea", "observed_area", "json", read_only=True),
        Prop(
            "phenomenonTime",
            "phenomenon_time_start",
            "period",
            end_column="phenomenon_time_end",
            read_only=True,
        ),
        Prop(
            "resultTime",
            "result_time_start",
            "period",
            end_column="result_time_end",
            read_only=True,
        ),
        _PROPS,
    ),
    (
        Nav("Thing", "Things", False, fk="thing_id", required=True),
        Nav("Sensor", "Sensors", False, fk="sensor_id", required=True),
        Nav(
            "ObservedProperty",
            "ObservedProperties",
            False,
            fk="observed_property_id",
            required=True,
        ),
        Nav("Observations", "Observations", True, back_fk="datastream_id"),
    ),
)

#: The observation type of every MultiDatastream (OGC 18-088 ``/req/multi-datastream/properties``).
COMPLEX_OBSERVATION = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation"

MULTI_DATASTREAM = EntityType(
    "MultiDatastream",
    "MultiDatastreams",
    s.sta_multi_datastreams,
    _common(
        Prop("unitOfMeasurements", "unit_of_measurements", "json", True),
        Prop("observationType", "observation_type", "text"),
        Prop("multiObservationDataTypes", "multi_observation_data_types", "json", True),
        Prop("observedArea", "observed_area", "json", read_only=True),
        Prop(
            "phenomenonTime",
            "phenomenon_time_start",
            "period",
            end_column="phenomenon_time_end",
            read_only=True,
        ),
        Prop(
            "resultTime",
            "result_time_start",
            "period",
            end_column="result_time_end",
            read_only=True,
        ),
        _PROPS,
    ),
    (
        Nav("Thing", "Things", False, fk="thing_id", required=True),
        Nav("Sensor", "Sensors", False, fk="sensor_id", required=True),
        # Before Observations: a deep insert links the ObservedProperties first, so that the
        # nested Observations' results can be checked against them.
        Nav(
            "ObservedProperties",
            "ObservedProperties",
            True,
            link=s.sta_multi_datastream_observed_properties,
            link_here="multi_datastream_id",
            link_there="observed_property_id",
        ),
        Nav("Observations", "Observations", True, back_fk="multi_datastream_id"),
    ),
)

OBSERVATION = EntityType(
    "Observation",
    "Observations",
    s.sta_observations,
    (
        Prop("phenomenonTime", "phenomenon_time_start", "time", end_column="phenomenon_time_end"),
        Prop("resultTime", "result_time", "instant"),
        Prop("result", "result_number", "result", True),
        Prop("resultQuality", "result_quality", "json"),
        Prop("validTime", "valid_time_start", "period", end_column="valid_time_end"),
        Prop("parameters", "parameters", "object"),
    ),
    (
        # One of the two (a Datastream or a MultiDatastream) is required.
        Nav("Datastream", "Datastreams", False, fk="datastream_id", required=True),
        Nav("MultiDatastream", "MultiDatastreams", False, fk="multi_datastream_id"),
        Nav("FeatureOfInterest", "FeaturesOfInterest", False, fk="feature_of_interest_id"),
    ),
)

FEATURE_OF_INTEREST = EntityType(
    "FeatureOfInterest",
    "FeaturesOfInterest",
    s.sta_features_of_interest,
    _common(
        Prop("encodingType", "encoding_type", "text", True),
        Prop("feature", "feature", "json", True),
        _PROPS,
    ),
    (Nav("Observations", "Observations", True, back_fk="feature_of_interest_id"),),
)

#: Every entity type by its entity-set name (the URL segment).
ENTITY_SETS: dict[str, EntityType] = {
    t.plural: t
    for t in (
        THING,
        LOCATION,
        HISTORICAL_LOCATION,
        DATASTREAM,
        MULTI_DATASTREAM,
        SENSOR,
        OBSERVED_PROPERTY,
        OBSERVATION,
        FEATURE_OF_INTEREST,
    )
}


def entity_set(name: str) -> EntityType:
    """The entity type of entity set ``name``; :class:`~zhicheng.sensing.errors.NotFound` if unknown."""
    from zhicheng.sensing.errors import NotFound

    try:
        return ENTITY_SETS[name]
    except KeyError:
        raise NotFound(f"no entity set {name!r}; the sets are {', '.join(ENTITY_SETS)}") from None


def is_id(value: Any) -> bool:
    """True for a value usable as an ``@iot.id`` (a non-negative integer below 2^53)."""
    return type(value) is int and 0 <= value < 2**53
