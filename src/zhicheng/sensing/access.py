"""Who may write what in SensorThings: the role, and the Things a token is bound to.

=================  ==========================================================================
role               may write
=================  ==========================================================================
``admin``          everything
``operator``       every entity (registers and changes devices)
``device_manager`` every entity; bound to Things or a department: only those Things, their
                   Datastreams and Observations (links included)
``sensor``         Observations only (create); bound: only into its Things' Datastreams
others             nothing (reads only)
=================  ==========================================================================

A token is *bound* when it has Things (``zhicheng token create … --thing ID``) or a department
(``--department D``: the Things whose ``properties.department`` is ``D``). The one entry point is
:func:`check`, called by :func:`zhicheng.sensing.service.authorize` for every write of HTTP,
``$batch`` and MQTT; without a connection it checks what it can without the store (the role and
the kind of write), so a refused caller costs no body read and no query.

References
----------
OWASP API Security Top 10 (2023): API1 broken object-level authorization, API5 broken
function-level authorization.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa

from zhicheng.sensing.errors import Forbidden, Unauthorized
from zhicheng.sensing.model import DATASTREAM, MULTI_DATASTREAM, OBSERVATION, THING
from zhicheng.sensing.paths import Resource, Step, parse_path

#: Roles that register and change devices (every entity set).
DEVICE_ROLES = ("operator", "device_manager")
#: Roles that may write at all (``admin`` may do everything).
WRITER_ROLES = ("sensor", *DEVICE_ROLES)
class ScopedActor(Protocol):
    """A caller with a role and, perhaps, the Things or the department its token is bound to."""

    @property
    def role(self) -> str | None:
        """The token's role (None without a token)."""
        ...


def _things(actor: Any) -> frozenset[int]:
    return frozenset(getattr(actor, "things", frozenset()) or ())


def _department(actor: Any) -> str | None:
    department = getattr(actor, "department", None)
    return str(department) if department else None


def is_bound(actor: Any) -> bool:
    """True when the token is bound to Things or to a department."""
    return bool(_things(actor)) or _department(actor) is not None


def check(conn: sa.Connection | None, actor: ScopedActor, method: str, path: str, body: Any,
          resource: Resource | None) -> None:
    """Refuse (401/403) a write ``actor`` may not make; return when it may."""
    role = actor.role
    if role is None:
        raise Unauthorized("this operation needs a token (Bearer, or Basic with the token as password)")
    if role in ("admin", "operator"):
        return
    if role not in WRITER_ROLES:
        raise Forbidden(f"role {role!r} may not do this; needs one of {', '.join(WRITER_ROLES)}")
    if resource is None and path.strip("/") != "CreateObservations":
        try:
            resource = parse_path(path)
        except Exception:  # noqa: BLE001 - an unknown path is answered (404) by the call itself
            return
    if role == "sensor":
        _check_sensor(conn, actor, method, path, body, resource)
    elif is_bound(actor) and conn is not None:
        _check_bound_manager(conn, actor, method, body, resource)


# --- sensors: Observations only ------------------------------------------------------------------


def _check_sensor(conn: sa.Connection | None, actor: ScopedActor, method: str, path: str, body: Any,
                  resource: Resource | None) -> None:
    refusal = ("a sensor token creates Observations only (POST …/Observations, CreateObservations, "
               "MQTT); registering or changing devices needs an operator or device_manager token")
    if method.upper() != "POST":
        raise Forbidden(refusal)
    if resource is None:  # CreateObservations
        streams = _create_observations_streams(body)
        multis = _create_observations_streams(body, "MultiDatastream")
        if conn is not None and is_bound(actor):
            _require_streams(conn, actor, streams)
            _require_streams(conn, actor, multis, multi=True)
        return
    step = resource.step
    if step.etype is not OBSERVATION or resource.ref or resource.prop is not None or step.single:
        raise Forbidden(refusal)
    if body is not None:
        _plain_observation_body(body)
    if conn is None or not is_bound(actor):
        return
    parent = step.parent
    if parent is not None and parent.etype in (DATASTREAM, MULTI_DATASTREAM):
        table = parent.etype.table
        ids = [int(i) for i in conn.execute(sa.select(table.c.id).where(parent.cond)).scalars()]
        _require_streams(conn, actor, ids, multi=parent.etype is MULTI_DATASTREAM)
        return
    for nav, multi in (("Datastream", False), ("MultiDatastream", True)):
        if parent is None and isinstance(body, dict) and isinstance(body.get(nav), dict):
            _require_streams(conn, actor, [body[nav].get("@iot.id")], multi=multi)
            return
    raise Forbidden("a bound sensor token posts Observations to its own Datastreams "
                    "(Datastreams(id)/Observations, or with Datastream {\"@iot.id\": id})")


def _plain_observation_body(body: Any) -> None:
    """A sensor's Observation links existing entities by id; it creates no other entity."""
    if not isinstance(body, dict):
        return  # the writer answers 400
    if "@iot.id" in body:
        raise Forbidden("a sensor token creates new Observations; it cannot move existing ones")
    for nav in ("Datastream", "FeatureOfInterest", "MultiDatastream"):
        value = body.get(nav)
        if isinstance(value, dict) and "@iot.id" not in value:
            raise Forbidden(f"{nav}: a sensor token links an existing {nav} by @iot.id; it creates none")


def _create_observations_streams(body: Any, nav: str = "Datastream") -> list[Any]:
    """The ids of the ``nav`` entities (Datastream or MultiDatastream) a CreateObservations body names.

    A member with ``@iot.id`` links an existing entity (the writer ignores its other members);
    one without would create an entity, which a sensor may not.
    """
    if not isinstance(body, list):
        return []
    streams = []
    for item in body:
        ds = item.get(nav) if isinstance(item, dict) else None
        if isinstance(ds, dict):
            if "@iot.id" not in ds:
                raise Forbidden(f"{nav}: a sensor token links an existing {nav} by @iot.id; it creates none")
            streams.append(ds.get("@iot.id"))
    return streams


def _require_streams(conn: sa.Connection, actor: ScopedActor, ids: Iterable[Any],
                     multi: bool = False) -> None:
    wanted = {i for i in ids if type(i) is int}
    if not wanted:
        return  # no Datastream named: the write itself answers 400
    table = (MULTI_DATASTREAM if multi else DATASTREAM).table
    rows = conn.execute(sa.select(table.c.id, table.c.thing_id).where(table.c.id.in_(wanted)))
    owners = {int(ds): int(thing) for ds, thing in rows}
    allowed = scope(conn, actor)
    foreign = sorted(i for i, thing in owners.items() if thing not in allowed)
    if foreign:
        kind = "MultiDatastream" if multi else "Datastream"
        raise Forbidden(f"{kind} {foreign[0]} is not one of this token's Things' {kind}s")


# --- bound device managers: their Things and what hangs from them ------------------------------


def _check_bound_manager(conn: sa.Connection, actor: ScopedActor, method: str, body: Any,
                         resource: Resource | None) -> None:
    if resource is None:  # CreateObservations
        _require_streams(conn, actor, _create_observations_streams(body))
        _require_streams(conn, actor, _create_observations_streams(body, "MultiDatastream"), multi=True)
        return
    step = resource.step
    creates = method.upper() == "POST"
    anchor = step.parent if (creates or resource.ref) and step.parent is not None else step
    if creates and step.parent is None:
        if step.etype is OBSERVATION and isinstance(body, dict) and isinstance(body.get("Datastream"), dict):
            _require_streams(conn, actor, [body["Datastream"].get("@iot.id")])
            return
        raise Forbidden(f"a token bound to Things cannot create {step.etype.plural} outside them")
    touched = _things_of(conn, anchor)
    if touched is None:
        raise Forbidden(f"a token bound to Things writes only those Things, their Datastreams and "
                        f"Observations, not {anchor.etype.plural}")
    outside = sorted(touched - scope(conn, actor))
    if outside:
        raise Forbidden(f"Thing {outside[0]} is not one of this token's Things")


def _things_of(conn: sa.Connection, step: Step) -> set[int] | None:
    """The Things whose entities ``step`` addresses; None for entity types not owned by a Thing."""
    if step.etype is THING:
        query = sa.select(THING.table.c.id).where(step.cond)
    elif step.etype in (DATASTREAM, MULTI_DATASTREAM):
        query = sa.select(step.etype.table.c.thing_id).where(step.cond)
    elif step.etype is OBSERVATION:
        obs, ds, mds = OBSERVATION.table, DATASTREAM.table, MULTI_DATASTREAM.table
        query = (
            sa.select(sa.func.coalesce(ds.c.thing_id, mds.c.thing_id))
            .select_from(obs.outerjoin(ds, obs.c.datastream_id == ds.c.id)
                         .outerjoin(mds, obs.c.multi_datastream_id == mds.c.id))
            .where(step.cond)
        )
    else:
        return None
    return {int(t) for t in conn.execute(query.distinct()).scalars()}


def scope(conn: sa.Connection, actor: Any) -> frozenset[int]:
    """The Things a bound token may write: its own, and its department's."""
    things = set(_things(actor))
    department = _department(actor)
    if department is not None:
        table = THING.table
        for thing_id, props in conn.execute(sa.select(table.c.id, table.c.properties)):
            if isinstance(props, dict) and props.get("department") == department:
                things.add(int(thing_id))
    return frozenset(things)
