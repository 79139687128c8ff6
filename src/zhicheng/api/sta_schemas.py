"""Request body schemas of the SensorThings routes, generated from the entity model.

The routes are generic (``/{entity_set}``), so the body of a create is one of the entity types'
(``anyOf``), each with its properties, their JSON types and the required ones, links to related
entities by ``@iot.id`` as well. Fuzzers (schemathesis) and clients read them from ``/openapi.json``.

References
----------
OGC 18-088 §8.2 (entity properties and their types), §10.2 (create: required properties, deep
insert, links by ``@iot.id``), §14.4 (``CreateObservations`` data arrays).
"""

from __future__ import annotations

from typing import Any

from zhicheng.sensing.model import ENTITY_SETS, EntityType, Prop

_TIME = {"type": "string", "examples": ["2024-05-01T08:00:00Z", "2024-05-01T08:00:00Z/2024-05-01T09:00:00Z"]}
_KINDS: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": 2000},
    "object": {"type": "object"},
    "json": {},
    "any": {},
    "instant": {"type": "string", "format": "date-time"},
    "time": _TIME,
    "period": _TIME,
    "result": {},
}
_LINK = {"type": "object", "properties": {"@iot.id": {"type": "integer", "minimum": 0}}, "required": ["@iot.id"]}


def _prop_schema(prop: Prop) -> dict[str, Any]:
    if prop.name == "location" or prop.name == "feature":
        return {"type": "object", "properties": {"type": {"enum": ["Point"]},
                                                 "coordinates": {"type": "array", "items": {"type": "number"},
                                                                 "minItems": 2, "maxItems": 2}},
                "required": ["type", "coordinates"]}
    if prop.name == "encodingType":
        return {"enum": ["application/geo+json", "text/plain", "application/pdf"]}
    return dict(_KINDS.get(prop.kind, {}))


def entity_schema(etype: EntityType) -> dict[str, Any]:
    """The JSON schema of a create body of ``etype`` (related entities as links by id)."""
    writable = [p for p in etype.props if not p.read_only]
    properties: dict[str, Any] = {p.name: _prop_schema(p) for p in writable}
    properties.update({nav.name: ({"type": "array", "items": _LINK} if nav.many else _LINK) for nav in etype.navs})
    required = [p.name for p in writable if p.required]
    required += [n.name for n in etype.navs if getattr(n, "required", False)]
    return {"title": etype.name, "type": "object", "properties": properties, "required": required}


def entity_body() -> dict[str, Any]:
    """``openapi_extra`` of the create and update routes: a body of one of the entity types."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "anyOf": [entity_schema(t) for t in ENTITY_SETS.values()]}}}}}


def create_observations_body() -> dict[str, Any]:
    """``openapi_extra`` of ``CreateObservations``: data arrays per Datastream (§14.4)."""
    item = {"type": "object", "properties": {
        "Datastream": _LINK,
        "components": {"type": "array", "items": {"enum": ["phenomenonTime", "result", "resultTime", "FeatureOfInterest/id"]},
                       "minItems": 1},
        "dataArray": {"type": "array", "items": {"type": "array"}},
    }, "required": ["Datastream", "components", "dataArray"]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array", "items": item}}}}}
