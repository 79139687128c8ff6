"""The MultiDatastream extension: Observations whose result is an array, one member per ObservedProperty.

A MultiDatastream is a Datastream of complex observations: one Thing, one Sensor, several
ObservedProperties (in order, stored with their ``rank``) and, member for member, a unit of
measurement (``unitOfMeasurements``) and an observation type (``multiObservationDataTypes``).
The three lists must have the same length, and the result of each of its Observations is a JSON
array of that length. Reading, ``$filter``, ``$expand``, ``$select`` and ``$orderby`` work from the
data model like every other entity set; this module holds what is particular to the extension:
the constraints, the Observations (stored in the Observations table with ``multi_datastream_id``
instead of ``datastream_id``) and their data arrays.

References
----------
OGC 18-088 (SensorThings API Part 1: Sensing v1.1), the MultiDatastream extension, conformance
class Annex A.5 (``/req/multi-datastream``): ``properties`` (name, description,
unitOfMeasurements, observationType = OM_ComplexObservation, multiObservationDataTypes,
observedArea, phenomenonTime, resultTime, properties), ``relations`` (Thing 1, Sensor 1,
ObservedProperties 1..*, Observations 0..*) and ``constraints`` (the three lists of equal size; an
Observation's result an array of that size, in the order of the ObservedProperties); §8.2.7
(FeatureOfInterest from the Thing's Location); the data-array extension (Annex A.6) for
``CreateObservations`` and ``$resultFormat=dataArray``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.sensing import extent
from zhicheng.sensing.errors import BadRequest, bad
from zhicheng.sensing.model import COMPLEX_OBSERVATION, MULTI_DATASTREAM, OBSERVATION, Nav
from zhicheng.sensing.timefmt import now_micros
from zhicheng.store import schema_sensing as s

MDS = s.sta_multi_datastreams
LINK = s.sta_multi_datastream_observed_properties
OBS = s.sta_observations
#: Components a MultiDatastream's data array may carry (those of a Datastream's).
COMPONENTS = (
    "id",
    "phenomenonTime",
    "result",
    "resultTime",
    "resultQuality",
    "validTime",
    "parameters",
    "FeatureOfInterest/id",
)


def with_defaults(body: Mapping[str, Any]) -> dict[str, Any]:
    """A MultiDatastream body with its fixed ``observationType`` filled in when absent."""
    out = dict(body)
    if out.get("observationType") is None:
        out["observationType"] = COMPLEX_OBSERVATION
    return out


def size(conn: sa.Connection, mds_id: int) -> int:
    """How many ObservedProperties (result members) MultiDatastream ``mds_id`` has."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(LINK).where(LINK.c.multi_datastream_id == mds_id)
        ).scalar_one()
    )


def check_constraints(conn: sa.Connection, mds_id: int, where: str) -> None:
    """400 unless the MultiDatastream's lists agree (``/req/multi-datastream/constraints``)."""
    row = conn.execute(
        sa.select(MDS.c.unit_of_measurements, MDS.c.multi_observation_data_types, MDS.c.observation_type)
        .where(MDS.c.id == mds_id)
    ).one()
    units, types, kind = row
    problems: list[Problem] = []
    if kind != COMPLEX_OBSERVATION:
        problems.append(
            Problem(f"{where}.observationType must be {COMPLEX_OBSERVATION}, not {kind!r}", column="observationType")
        )
    if not isinstance(units, list) or not all(isinstance(u, dict) for u in units):
        problems.append(
            Problem(f"{where}.unitOfMeasurements must be an array of objects (one per ObservedProperty)", column="unitOfMeasurements")
        )
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        problems.append(
            Problem(
                f"{where}.multiObservationDataTypes must be an array of observation type URIs (one per ObservedProperty)",
                column="multiObservationDataTypes",
            )
        )
    if problems:
        raise BadRequest(problems=problems)
    n = size(conn, mds_id)
    if n == 0:
        raise bad(f"{where}: a MultiDatastream needs at least one ObservedProperty", "ObservedProperties")
    if not len(units) == len(types) == n:
        raise bad(
            f"{where}: unitOfMeasurements has {len(units)} members, multiObservationDataTypes "
            f"{len(types)} and ObservedProperties {n}; the three must have the same size",
            "unitOfMeasurements" if len(units) != n else "multiObservationDataTypes",
        )


def ranked(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New link rows with their ``rank``: after the ObservedProperties already linked, in order."""
    wanted = sorted({int(r["multi_datastream_id"]) for r in rows})
    top = {
        int(k): int(v)
        for k, v in conn.execute(
            sa.select(LINK.c.multi_datastream_id, sa.func.max(LINK.c.rank))
            .where(LINK.c.multi_datastream_id.in_(wanted))
            .group_by(LINK.c.multi_datastream_id)
        )
    }
    out = []
    for r in rows:
        key = int(r["multi_datastream_id"])
        top[key] = top.get(key, -1) + 1
        out.append({**r, "rank": top[key]})
    return out


def after_link_change(conn: sa.Connection, nav: Nav, here_id: int, there_id: int) -> None:
    """After a ``$ref`` link was added or removed: a MultiDatastream's lists must still agree."""
    if nav.link is not LINK:
        return
    mds_id = here_id if nav.link_here == "multi_datastream_id" else there_id
    check_constraints(conn, mds_id, f"MultiDatastream({mds_id})")


def with_parent(nav: Nav, body: Any, parent_id: int) -> Any:
    """``POST /ObservedProperties(1)/MultiDatastreams``: that ObservedProperty put in the body.

    It comes last among the body's ObservedProperties (unless named already), so that the
    constraints hold when the MultiDatastream is created.
    """
    if nav.link is not LINK or nav.link_here != "observed_property_id" or not isinstance(body, dict):
        return body
    ops = body.get("ObservedProperties", [])
    if not isinstance(ops, list) or any(isinstance(o, dict) and o.get("@iot.id") == parent_id for o in ops):
        return body
    return {**body, "ObservedProperties": [*ops, {"@iot.id": parent_id}]}


def delete_with_observed_property(conn: sa.Connection, observed_property_id: int) -> None:
    """Deleting an ObservedProperty deletes the MultiDatastreams it is part of (OGC 18-088 §10.4)."""
    ids = sa.select(LINK.c.multi_datastream_id).where(LINK.c.observed_property_id == observed_property_id)
    conn.execute(sa.delete(MDS).where(MDS.c.id.in_(ids)))


def check_result(
    conn: sa.Connection, mds_id: int, result: Any, where: str, n: int | None = None
) -> None:
    """400 unless ``result`` is an array with one member per ObservedProperty of ``mds_id``.

    ``n``: that number, when the caller knows it already.
    """
    n = size(conn, mds_id) if n is None else n
    if not isinstance(result, list) or len(result) != n:
        got = f"an array of {len(result)}" if isinstance(result, list) else _kind(result)
        raise bad(
            f"{where}.result must be an array of {n} values (one per ObservedProperty of "
            f"MultiDatastream {mds_id}, in order), not {got}",
            "result",
        )


def _kind(value: Any) -> str:
    return {dict: "an object", str: "text", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def feature_for(conn: sa.Connection, mds_id: int) -> int:
    """The FeatureOfInterest made from the Location of the MultiDatastream's Thing (§8.2.7)."""
    from zhicheng.sensing.ingest import feature_from_location

    tl, foi = s.sta_thing_locations, s.sta_features_of_interest
    found = conn.execute(
        sa.select(tl.c.location_id, foi.c.id.label("foi_id"))
        .select_from(MDS)
        .join(tl, tl.c.thing_id == MDS.c.thing_id)
        .outerjoin(foi, foi.c.location_id == tl.c.location_id)
        .where(MDS.c.id == mds_id)
        .order_by(tl.c.location_id.desc(), foi.c.id)
        .limit(1)
    ).first()
    if found is None:
        raise bad(
            f"Observations of MultiDatastream {mds_id} need a FeatureOfInterest: its Thing has no Location to make one from",
            "FeatureOfInterest",
        )
    if found.foi_id is not None:
        return int(found.foi_id)
    return feature_from_location(conn, int(found.location_id))


def _widen(conn: sa.Connection, mds_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Widen the MultiDatastream's phenomenonTime, resultTime and observedArea to cover ``rows``."""
    current = conn.execute(
        sa.select(
            MDS.c.phenomenon_time_start,
            MDS.c.phenomenon_time_end,
            MDS.c.result_time_start,
            MDS.c.result_time_end,
        ).where(MDS.c.id == mds_id)
    ).one()
    starts = [r["phenomenon_time_start"] for r in rows]
    ends = [r.get("phenomenon_time_end") or r["phenomenon_time_start"] for r in rows]
    lo = min([*starts, *([current[0]] if current[0] is not None else [])])
    old_hi = current[1] if current[1] is not None else current[0]
    hi = max([*ends, *([old_hi] if old_hi is not None else [])])
    values: dict[str, Any] = {"phenomenon_time_start": lo, "phenomenon_time_end": hi}
    results = [r["result_time"] for r in rows if r.get("result_time") is not None]
    if results:
        rlo = min([*results, *([current[2]] if current[2] is not None else [])])
        old_rhi = current[3] if current[3] is not None else current[2]
        values["result_time_start"] = rlo
        values["result_time_end"] = max([*results, *([old_rhi] if old_rhi is not None else [])])
    conn.execute(sa.update(MDS).where(MDS.c.id == mds_id).values(**values))
    extent.widen(conn, {(mds_id, int(r["feature_of_interest_id"])) for r in rows}, MDS)


def _values(
    conn: sa.Connection,
    body: Mapping[str, Any],
    where: str,
    given: Mapping[str, int],
    n: int | None = None,
) -> dict[str, Any]:
    """The row of one new Observation of a MultiDatastream (checked, nothing written but nested entities).

    ``n``: the MultiDatastream's number of ObservedProperties, when the caller knows it.
    """
    from zhicheng.sensing import writer
    from zhicheng.sensing.model import FEATURE_OF_INTEREST

    if body.get("Datastream") is not None or "datastream_id" in given:
        raise bad(
            f"{where}: an Observation belongs to a Datastream or to a MultiDatastream, not to both",
            "MultiDatastream",
        )
    values = writer.props_to_columns(OBSERVATION, body, where, full=True)
    if body.get("MultiDatastream") is not None:
        mds_id = writer.create(conn, MULTI_DATASTREAM, body["MultiDatastream"], where=f"{where}.MultiDatastream")
    else:
        mds_id = int(given["multi_datastream_id"])
    check_result(conn, mds_id, body.get("result"), where, n)
    if body.get("FeatureOfInterest") is not None:
        foi = writer.create(conn, FEATURE_OF_INTEREST, body["FeatureOfInterest"], where=f"{where}.FeatureOfInterest")
    elif "feature_of_interest_id" in given:
        foi = int(given["feature_of_interest_id"])
    else:
        foi = feature_for(conn, mds_id)
    if values.get("phenomenon_time_start") is None:
        values["phenomenon_time_start"] = now_micros()
    return {
        **values,
        "datastream_id": None,
        "multi_datastream_id": mds_id,
        "feature_of_interest_id": foi,
    }


def observation_row(
    conn: sa.Connection, body: Mapping[str, Any], where: str, given: Mapping[str, int]
) -> dict[str, Any]:
    """Create one Observation of a MultiDatastream; its stored row (``POST``, deep insert, MQTT)."""
    row = _values(conn, body, where, given)
    new_id = int(conn.execute(sa.insert(OBS).values(**row).returning(OBS.c.id)).scalar_one())
    _widen(conn, int(row["multi_datastream_id"]), [row])
    return {**row, "id": new_id}


def check_observation(conn: sa.Connection, observation_id: int, where: str) -> None:
    """After an update: the Observation has one Datastream or one MultiDatastream, and a fitting result."""
    row = conn.execute(
        sa.select(OBS.c.datastream_id, OBS.c.multi_datastream_id, OBS.c.result_number, OBS.c.result_json)
        .where(OBS.c.id == observation_id)
    ).one()
    if (row.datastream_id is None) == (row.multi_datastream_id is None):
        raise bad(
            f"{where}: an Observation belongs to exactly one Datastream or one MultiDatastream",
            "MultiDatastream",
        )
    if row.multi_datastream_id is not None:
        result = row.result_number if row.result_number is not None else row.result_json
        check_result(conn, int(row.multi_datastream_id), result, where)


def _row_body(comps: Sequence[str], data_row: Sequence[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for comp, value in zip(comps, data_row, strict=True):
        if comp == "FeatureOfInterest/id":
            body["FeatureOfInterest"] = {"@iot.id": value}
        elif comp != "id":
            body[comp] = value
    return body


def create_from_array(
    conn: sa.Connection, item: Mapping[str, Any], i: int, row_errors: bool
) -> list[int | None]:
    """One ``CreateObservations`` data array of a MultiDatastream: the new id of each row.

    With ``row_errors`` a row that cannot be stored answers None (``"error"``) and the others are
    stored; without, any bad row refuses the array (every problem listed).
    """
    from zhicheng.sensing.writer import reference

    where = f"CreateObservations[{i}]"
    mds_id = int(item["MultiDatastream"]["@iot.id"])
    comps: list[str] = item["components"]
    data: list[Any] = item["dataArray"]
    if conn.execute(sa.select(MDS.c.id).where(MDS.c.id == mds_id)).first() is None:
        if row_errors:
            return [None] * len(data)
        raise bad(f"{where}: MultiDatastream {mds_id} does not exist", "MultiDatastream")
    given = {"multi_datastream_id": mds_id}
    n = size(conn, mds_id)
    rows: list[dict[str, Any] | None] = []
    problems: list[Problem] = []
    default_foi: int | None = None
    for j, data_row in enumerate(data):
        at = f"{where}.dataArray[{j}]"
        try:
            if not isinstance(data_row, list) or len(data_row) != len(comps):
                raise bad(f"{at} must be an array of {len(comps)} values", "dataArray")
            body = _row_body(comps, data_row)
            foi = body.pop("FeatureOfInterest", None)
            mine = dict(given)
            if foi is not None:
                mine["feature_of_interest_id"] = _foi(conn, foi, at, reference)
            elif default_foi is not None:
                mine["feature_of_interest_id"] = default_foi
            row = _values(conn, body, at, mine, n)
            if foi is None:
                default_foi = int(row["feature_of_interest_id"])
            rows.append(row)
        except BadRequest as exc:
            if not row_errors:
                problems.extend(Problem(p.reason, row=j, column=p.column) for p in exc.problems)
            rows.append(None)
    if problems:
        raise BadRequest(problems=problems)
    good = [r for r in rows if r is not None]
    if not good:
        return [None] * len(rows)
    # One statement stream; the ids come back in the order of the rows.
    new_ids = [
        int(i)
        for i in conn.execute(
            sa.insert(OBS).returning(OBS.c.id, sort_by_parameter_order=True), good
        ).scalars()
    ]
    _widen(conn, mds_id, good)
    ids = iter(new_ids)
    return [next(ids) if r is not None else None for r in rows]


def _foi(conn: sa.Connection, ref: Any, where: str, reference: Any) -> int:
    from zhicheng.sensing.model import FEATURE_OF_INTEREST

    if not isinstance(ref, dict):
        raise bad(f"{where}: FeatureOfInterest/id must be an integer", "FeatureOfInterest/id")
    return int(reference(conn, FEATURE_OF_INTEREST, ref, where))


def data_array_groups(
    rows: Sequence[Mapping[str, Any]], records: Sequence[list[Any]], base: str, components: list[str]
) -> list[dict[str, Any]]:
    """``$resultFormat=dataArray``: rows grouped by their Datastream or MultiDatastream, in order."""
    groups: dict[tuple[str, int], list[list[Any]]] = {}
    for row, record in zip(rows, records, strict=True):
        key = (
            ("MultiDatastream", int(row["multi_datastream_id"]))
            if row.get("multi_datastream_id") is not None
            else ("Datastream", int(row["datastream_id"]))
        )
        groups.setdefault(key, []).append(record)
    return [
        {
            f"{kind}@iot.navigationLink": f"{base}/{kind}s({ref})",
            "components": components,
            "dataArray@iot.count": len(data),
            "dataArray": data,
        }
        for (kind, ref), data in groups.items()
    ]


def rank_order(nav: Nav, here: Any) -> Any:
    """The order of ``nav``'s targets by link rank (ObservedProperties of a MultiDatastream); else None.

    ``here``: the id (or an id subquery) of the entity on this side of the link.
    """
    if nav.link is not LINK or nav.link_here != "multi_datastream_id":
        return None
    target = s.sta_observed_properties
    cond = LINK.c.multi_datastream_id.in_(here) if isinstance(here, sa.Select) else LINK.c.multi_datastream_id == here
    return (
        sa.select(sa.func.min(LINK.c.rank))
        .where(LINK.c.observed_property_id == target.c.id, cond)
        .scalar_subquery()
    )
