"""Creating, updating and deleting SensorThings entities (deep insert included).

Every write runs inside the caller's transaction: a bad nested entity anywhere in a deep insert
raises :class:`~zhicheng.sensing.errors.BadRequest` with every problem found, and nothing of the
request is kept.

References
----------
OGC 18-088 §10.2 (create, deep insert, links by ``@iot.id``), §10.2.1.1 (HistoricalLocation made
when a Thing's Location changes), §10.3 (update: PATCH, PUT, JSON Patch), §10.4 (delete),
§8.2.7 (a FeatureOfInterest made from the Thing's Location when an Observation has none).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.sensing.errors import BadRequest, Conflict, NotFound, bad
from zhicheng.sensing.ingest import NO_FOI, ObservationColumns, insert_observations
from zhicheng.sensing.model import (
    DATASTREAM,
    ENTITY_SETS,
    FEATURE_OF_INTEREST,
    HISTORICAL_LOCATION,
    MULTI_DATASTREAM,
    OBSERVATION,
    OBSERVED_PROPERTY,
    EntityType,
    Nav,
    Prop,
    is_id,
)
from zhicheng.sensing.timefmt import now_micros, parse_instant, parse_time
from zhicheng.store import schema_sensing as s

#: Keys a nested entity may carry besides its properties and navigation properties.
META_KEYS = {"@iot.id", "@iot.selfLink", "id"}


def _column_values(prop: Prop, value: Any, where: str) -> dict[str, Any]:
    """Columns of one property value; :class:`BadRequest` on a wrong type."""
    if prop.kind == "text":
        if not isinstance(value, str):
            raise bad(f"{where}.{prop.name} must be text, not {_type_name(value)}", prop.name)
        return {prop.column: value}
    if prop.kind == "object":
        if value is not None and not isinstance(value, dict):
            raise bad(
                f"{where}.{prop.name} must be a JSON object, not {_type_name(value)}", prop.name
            )
        return {prop.column: value}
    if prop.kind == "instant":
        return {prop.column: parse_instant(value, f"{where}.{prop.name}")}
    if prop.kind in ("period", "time"):
        if value is None:
            return {prop.column: None, str(prop.end_column): None}
        start, end = parse_time(value, f"{where}.{prop.name}")
        return {prop.column: start, str(prop.end_column): end}
    if prop.kind == "result":
        return result_columns(value)
    return {prop.column: value}


def result_columns(value: Any) -> dict[str, Any]:
    """A result: numbers in ``result_number``, anything else as JSON in ``result_json``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"result_number": float(value), "result_json": None}
    return {"result_number": None, "result_json": value}


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "text",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number")


def check_keys(etype: EntityType, body: Mapping[str, Any], where: str) -> list[Problem]:
    """Problems for keys the entity type does not have."""
    known = {p.name for p in etype.props} | {n.name for n in etype.navs} | META_KEYS
    return [
        Problem(
            f"{where}: unknown property {key!r} of {etype.name}; it has {', '.join(sorted(known - META_KEYS))}",
            column=key,
        )
        for key in body
        if key not in known and not key.endswith("@iot.navigationLink")
    ]


def props_to_columns(
    etype: EntityType, body: Mapping[str, Any], where: str, full: bool
) -> dict[str, Any]:
    """Columns of the properties in ``body``; ``full`` also requires every required property."""
    problems = check_keys(etype, body, where)
    values: dict[str, Any] = {}
    for prop in etype.props:
        if prop.name in body:
            try:
                values.update(_column_values(prop, body[prop.name], where))
            except BadRequest as exc:
                problems.extend(exc.problems)
        elif full and prop.required:
            problems.append(Problem(f"{where}: {etype.name} needs {prop.name!r}", column=prop.name))
        elif full:
            values.update(
                _column_values(prop, None, where)
                if prop.kind in ("period", "time")
                else {prop.column: None}
            )
    if problems:
        raise BadRequest(problems=problems)
    return values


def reference(conn: sa.Connection, etype: EntityType, body: Mapping[str, Any], where: str) -> int:
    """The id of an existing entity named by ``{"@iot.id": n}``; 400 when it does not exist."""
    ref = body["@iot.id"]
    if not is_id(ref):
        raise bad(
            f"{where}: @iot.id must be a non-negative integer below 2^53, not {ref!r}", "@iot.id"
        )
    if conn.execute(_exists(etype.table), {"id": ref}).first() is None:
        raise bad(f"{where}: {etype.name} {ref} does not exist", "@iot.id")
    return ref


@functools.cache
def _exists(table: sa.Table) -> sa.Select[tuple[int]]:
    """``SELECT id FROM table WHERE id = :id``, built once per table."""
    return sa.select(table.c.id).where(table.c.id == sa.bindparam("id"))


def _to_one(
    conn: sa.Connection,
    etype: EntityType,
    body: Mapping[str, Any],
    given: Mapping[str, int],
    where: str,
) -> dict[str, int]:
    fks: dict[str, int] = {}
    problems: list[Problem] = []
    for nav in etype.navs:
        if nav.many or nav.fk is None:
            continue
        if nav.name in body and body[nav.name] is not None:
            fks[nav.fk] = create(
                conn, ENTITY_SETS[nav.target], body[nav.name], where=f"{where}.{nav.name}"
            )
        elif nav.fk in given:
            fks[nav.fk] = given[nav.fk]
        elif nav.required:
            problems.append(
                Problem(
                    f"{where}: {etype.name} needs a {nav.name} (nested or {{'@iot.id': n}})",
                    column=nav.name,
                )
            )
    if problems:
        raise BadRequest(problems=problems)
    return fks


def create(
    conn: sa.Connection,
    etype: EntityType,
    body: Any,
    where: str | None = None,
    given: Mapping[str, int] | None = None,
) -> int:
    """Create an entity of ``etype`` from its JSON (with nested entities); return its id.

    A nested ``{"@iot.id": n}`` links an existing entity instead. ``given`` holds foreign keys
    set by the parent of a deep insert (a Datastream inside a Thing gets the Thing's id).
    """
    where = where or etype.name
    if not isinstance(body, dict):
        raise bad(f"{where} must be a JSON object, not {_type_name(body)}")
    if "@iot.id" in body:
        return reference(conn, etype, body, where)
    if etype is OBSERVATION:
        return create_observation(conn, body, where, given or {})
    if etype is MULTI_DATASTREAM:
        body = _multi().with_defaults(body)
    values = props_to_columns(etype, body, where, full=True)
    values.update(_to_one(conn, etype, body, given or {}, where))
    new_id = int(
        conn.execute(
            sa.insert(etype.table).values(**values).returning(etype.table.c.id)
        ).scalar_one()
    )
    _to_many(conn, etype, new_id, body, where)
    if etype is MULTI_DATASTREAM:
        _multi().check_constraints(conn, new_id, where)
    return new_id


def _multi() -> Any:
    """The MultiDatastream extension (imported on first use: it builds on this module)."""
    from zhicheng.sensing import multi

    return multi


def _to_many(
    conn: sa.Connection, etype: EntityType, new_id: int, body: Mapping[str, Any], where: str
) -> None:
    for nav in etype.navs:
        if not nav.many or nav.name not in body:
            continue
        items = body[nav.name]
        if not isinstance(items, list):
            raise bad(f"{where}.{nav.name} must be an array of {nav.target}", nav.name)
        target = ENTITY_SETS[nav.target]
        ids = []
        for i, item in enumerate(items):
            given = {nav.back_fk: new_id} if nav.back_fk else {}
            ids.append(create(conn, target, item, where=f"{where}.{nav.name}[{i}]", given=given))
        if nav.link is not None and ids:
            link(conn, nav, new_id, ids)


def link(conn: sa.Connection, nav: Nav, here_id: int, there_ids: list[int]) -> None:
    """Add many-to-many links (and a HistoricalLocation when a Thing gets Locations)."""
    assert nav.link is not None and nav.link_here and nav.link_there
    existing = {
        r[0]
        for r in conn.execute(
            sa.select(nav.link.c[nav.link_there]).where(
                nav.link.c[nav.link_here] == here_id, nav.link.c[nav.link_there].in_(there_ids)
            )
        )
    }
    fresh = [t for t in dict.fromkeys(there_ids) if t not in existing]
    if fresh:
        rows = [{nav.link_here: here_id, nav.link_there: t} for t in fresh]
        if "rank" in nav.link.c:  # ordered links (a MultiDatastream's ObservedProperties)
            rows = _multi().ranked(conn, rows)
        conn.execute(sa.insert(nav.link), rows)
    if nav.link is s.sta_thing_locations:
        pairs = (
            [(here_id, fresh)] if nav.link_here == "thing_id" else [(t, [here_id]) for t in fresh]
        )
        for thing_id, location_ids in pairs:
            if location_ids:
                record_history(conn, thing_id, location_ids)


def record_history(conn: sa.Connection, thing_id: int, location_ids: list[int]) -> None:
    """A HistoricalLocation of ``thing_id`` at these Locations, now (OGC 18-088 §8.2.3)."""
    hl_id = conn.execute(
        sa.insert(s.sta_historical_locations)
        .values(thing_id=thing_id, time=now_micros())
        .returning(s.sta_historical_locations.c.id)
    ).scalar_one()
    conn.execute(
        sa.insert(s.sta_historical_location_locations),
        [{"historical_location_id": hl_id, "location_id": loc} for loc in location_ids],
    )


def _require(conn: sa.Connection, etype: EntityType, entity_id: int) -> dict[str, Any]:
    row = (
        conn.execute(sa.select(etype.table).where(etype.table.c.id == entity_id)).mappings().first()
    )
    if row is None:
        raise NotFound(f"{etype.name} {entity_id} does not exist")
    return dict(row)


def update(
    conn: sa.Connection, etype: EntityType, entity_id: int, body: Any, replace_all: bool = False
) -> None:
    """PATCH (``replace_all`` False: only the given properties) or PUT (all properties)."""
    _require(conn, etype, entity_id)
    where = f"{etype.name}({entity_id})"
    if not isinstance(body, dict):
        raise bad(f"{where}: the body must be a JSON object, not {_type_name(body)}")
    if etype is MULTI_DATASTREAM and replace_all:
        body = _multi().with_defaults(body)
    values = props_to_columns(etype, body, where, full=replace_all)
    for nav in etype.navs:
        if nav.name not in body:
            continue
        if not nav.many and nav.fk is not None:
            values[nav.fk] = create(
                conn, ENTITY_SETS[nav.target], body[nav.name], where=f"{where}.{nav.name}"
            )
        elif nav.link is not None:
            _relink(conn, etype, entity_id, nav, body[nav.name], where)
        else:
            raise bad(
                f"{where}: {nav.name} cannot be changed from this side; update the {nav.target} instead",
                nav.name,
            )
    if values:
        conn.execute(sa.update(etype.table).where(etype.table.c.id == entity_id).values(**values))
    if etype is MULTI_DATASTREAM:
        _multi().check_constraints(conn, entity_id, where)
    elif etype is OBSERVATION:
        _multi().check_observation(conn, entity_id, where)


def _relink(
    conn: sa.Connection, etype: EntityType, entity_id: int, nav: Nav, items: Any, where: str
) -> None:
    """Replace the many-to-many links of ``nav`` (a Thing's Locations, say)."""
    if not isinstance(items, list):
        raise bad(f"{where}.{nav.name} must be an array", nav.name)
    target = ENTITY_SETS[nav.target]
    ids = [
        create(conn, target, item, where=f"{where}.{nav.name}[{i}]") for i, item in enumerate(items)
    ]
    assert nav.link is not None and nav.link_here
    conn.execute(sa.delete(nav.link).where(nav.link.c[nav.link_here] == entity_id))
    if ids:
        link(conn, nav, entity_id, ids)


def json_patch(
    conn: sa.Connection, etype: EntityType, entity_id: int, ops: Any, current: dict[str, Any]
) -> None:
    """Apply a JSON Patch (RFC 6902: add, remove, replace, move, copy, test) to the entity.

    The patch applies to the entity's properties as one JSON document (``/properties/owner``,
    ``/name`` …); a property the patch removes becomes null (and is refused when required). A
    failed ``test`` is 409 and changes nothing.
    """
    import jsonpatch
    import jsonpointer

    if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
        raise bad("a JSON Patch body must be an array of operations")
    doc = {p.name: current.get(p.name) for p in etype.props}
    try:
        patched = jsonpatch.JsonPatch(ops).apply(doc)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise Conflict(f"JSON Patch test failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError) as exc:
        raise bad(f"JSON Patch cannot be applied: {exc}") from None
    if not isinstance(patched, dict):
        raise bad("JSON Patch must leave the entity an object")
    unknown = [k for k in patched if etype.prop(k) is None]
    if unknown:
        raise bad(f"JSON Patch: {etype.name} has no property {unknown[0]!r}", unknown[0])
    changed = {
        p.name: patched.get(p.name)
        for p in etype.props
        if patched.get(p.name) != current.get(p.name)
    }
    read_only = [k for k in changed if _prop(etype, k).read_only]
    if read_only:
        raise bad(f"JSON Patch: {read_only[0]} is computed by the service", read_only[0])
    if changed:
        update(conn, etype, entity_id, changed)


def _prop(etype: EntityType, name: str) -> Prop:
    prop = etype.prop(name)
    assert prop is not None
    return prop


def merge(target: Any, patch: Any) -> Any:
    """RFC 7396 §2 MergePatch: members set, ``null`` members removed, non-objects replace."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out


def merge_patch(conn: sa.Connection, etype: EntityType, entity_id: int, body: Any) -> None:
    """PATCH with ``application/merge-patch+json`` (RFC 7396): JSON members merged in depth."""
    row = _require(conn, etype, entity_id)
    where = f"{etype.name}({entity_id})"
    if not isinstance(body, dict):
        raise bad(f"{where}: a merge patch must be a JSON object, not {_type_name(body)}")
    values: dict[str, Any] = {}
    for key, value in body.items():
        prop = etype.prop(key)
        if prop is not None and prop.kind in ("object", "json") and isinstance(value, dict):
            values[key] = merge(row[prop.column], value)
        else:
            values[key] = value
    update(conn, etype, entity_id, values)


def delete(conn: sa.Connection, etype: EntityType, entity_id: int) -> None:
    """Delete an entity; entities that cannot exist without it go too (OGC 18-088 §10.4)."""
    _require(conn, etype, entity_id)
    if etype is OBSERVED_PROPERTY:
        _multi().delete_with_observed_property(conn, entity_id)
    if etype is HISTORICAL_LOCATION:
        conn.execute(
            sa.delete(s.sta_historical_location_locations).where(
                s.sta_historical_location_locations.c.historical_location_id == entity_id
            )
        )
    conn.execute(sa.delete(etype.table).where(etype.table.c.id == entity_id))


def create_observation(
    conn: sa.Connection, body: Mapping[str, Any], where: str, given: Mapping[str, int]
) -> int:
    """Create one Observation from its JSON (``POST /Observations`` or a nested one)."""
    return int(observation_row(conn, body, where, given)["id"])


def observation_row(
    conn: sa.Connection,
    body: Mapping[str, Any],
    where: str = "Observation",
    given: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Create one Observation and return its stored row (so the response needs no re-read)."""
    given = given or {}
    if body.get("MultiDatastream") is not None or "multi_datastream_id" in given:
        return dict(_multi().observation_row(conn, body, where, given))
    values = props_to_columns(OBSERVATION, body, where, full=True)
    ds_body = body.get("Datastream")
    if ds_body is not None:
        ds_id = create(conn, DATASTREAM, ds_body, where=f"{where}.Datastream")
    elif "datastream_id" in given:
        ds_id = given["datastream_id"]
    else:
        raise bad(
            f"{where}: an Observation needs a Datastream or a MultiDatastream (nested or {{'@iot.id': n}})", "Datastream"
        )
    foi = NO_FOI
    if body.get("FeatureOfInterest") is not None:
        foi = create(
            conn, FEATURE_OF_INTEREST, body["FeatureOfInterest"], where=f"{where}.FeatureOfInterest"
        )
    elif "feature_of_interest_id" in given:
        foi = given["feature_of_interest_id"]
    if values.get("phenomenon_time_start") is None:
        values["phenomenon_time_start"] = now_micros()
    batch = ObservationColumns(
        datastream_id=ds_id,
        phenomenon_start=np.array([values["phenomenon_time_start"]], dtype=np.int64),
        phenomenon_end=[values.get("phenomenon_time_end")],
        result_number=np.array(
            [np.nan if values["result_number"] is None else values["result_number"]]
        ),
        result_json=[values["result_json"]],
        result_time=[values.get("result_time")],
        foi=np.array([foi], dtype=np.int64),
        extra={
            k: [values.get(k)]
            for k in ("result_quality", "valid_time_start", "valid_time_end", "parameters")
        },
    )
    result = insert_observations(conn, [batch], verified=True)
    return {
        **values,
        "id": result.ids[0],
        "datastream_id": ds_id,
        "feature_of_interest_id": result.foi[0],
    }
