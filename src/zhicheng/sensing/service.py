"""One SensorThings request (method, resource path, options, body) answered on one connection.

The HTTP routes, every part of a ``$batch`` and every MQTT message become a :class:`Call` and go
through :func:`execute`; every write among them passes :func:`authorize` first, the one place
where who-may-write-what is decided.

References
----------
OGC 18-088 §9.2 (resource paths), §9.2.6 (``$ref``), §9.3 (request data), §10.2–10.4 (create,
update, delete; links), §14.4 (``CreateObservations``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import sqlalchemy as sa

from zhicheng.sensing import access, archived, changes, multi, reader, writer
from zhicheng.sensing.errors import NotAllowed, NotFound, bad
from zhicheng.sensing.ingest import create_observations
from zhicheng.sensing.model import ENTITY_SETS, OBSERVATION, EntityType
from zhicheng.sensing.options import QueryOptions, parse_options
from zhicheng.sensing.paths import (
    Resource,
    Step,
    check_exists,
    entity_id,
    parse_path,
    ref_target,
)
from zhicheng.sensing.writer import observation_row

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
#: Roles that may write SensorThings entities (``admin`` may do everything; see :mod:`.access`).
WRITER_ROLES = access.WRITER_ROLES


class Actor(Protocol):
    """Who calls: a token's name and role (the API's principal has this shape)."""

    @property
    def name(self) -> str:
        """The token's name (``anonymous`` without one)."""
        ...

    @property
    def role(self) -> str | None:
        """The token's role (None without a token)."""
        ...

    def has_role(self, *roles: str) -> bool:
        """True when the caller holds one of ``roles``."""
        ...


@dataclass(frozen=True)
class Call:
    """One request: ``method`` on ``path`` (relative to the service root ``base``)."""

    method: str
    path: str
    base: str
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    content_type: str = "application/json"

    @property
    def url(self) -> str:
        """The absolute URL of the addressed resource (without query)."""
        return f"{self.base}/{self.path.strip('/')}"


@dataclass
class Answer:
    """What a call answers: HTTP status, JSON document (or text), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: bool = False


def authorize(conn: sa.Connection | None, actor: Actor, call: Call, resource: Resource | None) -> None:
    """The one check every SensorThings write goes through (HTTP, ``$batch`` part, MQTT message).

    The rules (role, and the Things a token is bound to) are :mod:`zhicheng.sensing.access`'s.
    ``resource`` is the parsed target (None for ``CreateObservations``, whose Datastreams are in
    the body); without ``conn`` only what needs no store is checked (before the body is read).
    """
    access.check(conn, actor, call.method, call.path, call.body, resource)


def execute(conn: sa.Connection, actor: Actor, call: Call) -> Answer:
    """Answer ``call`` on ``conn`` (inside the caller's transaction when it writes)."""
    method = call.method.upper()
    if call.path.strip("/") == "CreateObservations":
        if method != "POST":
            raise NotAllowed("CreateObservations takes POST")
        authorize(conn, actor, call, None)
        result = create_observations(conn, call.body, row_errors=True)
        if changes.ON_CHANGE and result.ids:
            rows = conn.execute(
                sa.select(OBSERVATION.table).where(OBSERVATION.table.c.id.in_(result.ids))
            ).mappings()
            made = [reader.entity_json(OBSERVATION, r, call.base, None) for r in rows]
            changes.note(conn, OBSERVATION, made, created=True)
        return Answer(201, result.answers(call.base))
    resource = parse_path(call.path)
    if method in WRITE_METHODS:
        authorize(conn, actor, call, resource)
    handler = {
        "GET": _get,
        "POST": _post,
        "PATCH": _patch,
        "PUT": _put,
        "DELETE": _delete,
    }.get(method)
    if handler is None:
        raise NotAllowed(f"method {method} is not allowed here")
    return handler(conn, call, resource)


# --- reading -------------------------------------------------------------------------------------


def _options(call: Call) -> QueryOptions:
    return parse_options(dict(call.params))


def _where(call: Call) -> reader.Where:
    return reader.Where(call.base, call.url, call.params)


def read_single(
    conn: sa.Connection, step: Step, opts: QueryOptions, call: Call
) -> dict[str, Any]:
    """The one entity of ``step`` with ``$select``/``$expand``; 404 when it does not exist."""
    check_exists(conn, step, include_self=False)
    page = reader.read_page(
        conn,
        step.etype,
        replace(opts, top=1, skip=0, count=False, filter=None, skiptoken=None),
        reader.Where(call.base, call.url),
        step.cond,
    )
    if not page.value:
        raise NotFound(f"{call.path} does not exist")
    return page.value[0]


def _get(conn: sa.Connection, call: Call, resource: Resource) -> Answer:
    step = resource.step
    opts = _options(call)
    if resource.ref:
        opts = replace(opts, select=("@iot.selfLink",), expand=())
    if resource.prop is not None:
        entity = read_single(conn, step, QueryOptions(), call)
        value = entity["@iot.id"] if resource.prop == "id" else entity[resource.prop]
        if value is None:
            return Answer(204)
        if resource.value:
            import json

            return Answer(200, value if isinstance(value, str) else json.dumps(value), text=True)
        return Answer(200, {resource.prop: value})
    if step.single:
        return Answer(200, read_single(conn, step, opts, call))
    check_exists(conn, step)
    order = None
    if step.nav is not None and step.parent is not None:
        parent = step.parent
        here = (
            parent.key
            if parent.key is not None and parent.parent is None
            else sa.select(parent.etype.table.c.id).where(parent.cond)
        )
        order = multi.rank_order(step.nav, here)
    # Observations reaching past the hot window: the store and the archive as one series.
    page = archived.read_page(conn, step, opts, _where(call)) if order is None else None
    if page is None:
        page = reader.read_page(conn, step.etype, opts, _where(call), step.cond, order)
    return Answer(200, page.document())


# --- writing -------------------------------------------------------------------------------------


def _created(conn: sa.Connection, etype: EntityType, entity: dict[str, Any]) -> Answer:
    changes.note(conn, etype, [entity], created=True)
    return Answer(201, entity, {"Location": entity["@iot.selfLink"]})


def _updated(conn: sa.Connection, etype: EntityType, entity: dict[str, Any]) -> Answer:
    changes.note(conn, etype, [entity], created=False)
    return Answer(200, entity)


def _new_observation(body: Any) -> bool:
    return isinstance(body, dict) and "@iot.id" not in body


def _post(conn: sa.Connection, call: Call, resource: Resource) -> Answer:
    step = resource.step
    if resource.prop is not None or step.single and not resource.ref:
        raise NotAllowed(f"POST {call.path}: create in a collection, not on one entity")
    if resource.ref:
        return _add_link(conn, call, step)
    target = step.etype
    if step.parent is None:
        if target is OBSERVATION and _new_observation(call.body):
            # The commonest write of all (one reading per request): answer from the stored row.
            entity = reader.entity_json(target, observation_row(conn, call.body), call.base, None)
            return _created(conn, target, entity)
        new_id = writer.create(conn, target, call.body)
        return _created(conn, target, reader.read_entity(conn, target, new_id, QueryOptions(), call.base))
    nav = step.nav
    assert nav is not None
    parent_id = entity_id(conn, step.parent)
    given = {nav.back_fk: parent_id} if nav.back_fk else {}
    if target is OBSERVATION and nav.link is None and _new_observation(call.body):
        row = observation_row(conn, call.body, given=given)
        return _created(conn, target, reader.entity_json(target, row, call.base, None))
    body = multi.with_parent(nav, call.body, parent_id)
    new_id = writer.create(conn, target, body, given=given)
    if nav.link is not None:
        writer.link(conn, nav, parent_id, [new_id])
        multi.after_link_change(conn, nav, parent_id, new_id)
    elif nav.back_fk is not None and isinstance(call.body, dict) and "@iot.id" in call.body:
        # An existing entity posted to a parent's collection is moved under that parent.
        conn.execute(
            sa.update(target.table).where(target.table.c.id == new_id).values({nav.back_fk: parent_id})
        )
    return _created(conn, target, reader.read_entity(conn, target, new_id, QueryOptions(), call.base))


def _add_link(conn: sa.Connection, call: Call, step: Step) -> Answer:
    """``POST /Things(1)/Locations/$ref`` with ``{"@iot.selfLink": …}``: link an existing entity."""
    nav, parent = step.nav, step.parent
    if step.single or nav is None or parent is None:
        raise NotAllowed("POST $ref adds to a related collection, e.g. Things(1)/Locations/$ref")
    parent_id = entity_id(conn, parent)
    target_id = ref_target(call.body, step.etype, call.base)
    if not reader.entity_exists(conn, step.etype, target_id):
        raise NotFound(f"{step.etype.name} {target_id} does not exist")
    if nav.link is not None:
        writer.link(conn, nav, parent_id, [target_id])
        multi.after_link_change(conn, nav, parent_id, target_id)
    else:
        assert nav.back_fk is not None
        table = step.etype.table
        conn.execute(sa.update(table).where(table.c.id == target_id).values({nav.back_fk: parent_id}))
    return Answer(204)


def _entity_target(conn: sa.Connection, call: Call, resource: Resource) -> tuple[EntityType, int]:
    if resource.prop is not None or resource.ref or not resource.step.single:
        raise NotAllowed(f"{call.method} {call.path}: address one entity")
    return resource.step.etype, entity_id(conn, resource.step)


def _patch(conn: sa.Connection, call: Call, resource: Resource) -> Answer:
    etype, eid = _entity_target(conn, call, resource)
    if "json-patch" in call.content_type:
        current = reader.read_entity(conn, etype, eid, QueryOptions(), call.base)
        writer.json_patch(conn, etype, eid, call.body, current)
    elif "merge-patch" in call.content_type:
        writer.merge_patch(conn, etype, eid, call.body)
    else:
        writer.update(conn, etype, eid, call.body)
    return _updated(conn, etype, reader.read_entity(conn, etype, eid, QueryOptions(), call.base))


def _put(conn: sa.Connection, call: Call, resource: Resource) -> Answer:
    if resource.ref:
        return _set_link(conn, call, resource.step)
    etype, eid = _entity_target(conn, call, resource)
    writer.update(conn, etype, eid, call.body, replace_all=True)
    return _updated(conn, etype, reader.read_entity(conn, etype, eid, QueryOptions(), call.base))


def _set_link(conn: sa.Connection, call: Call, step: Step) -> Answer:
    """``PUT /Datastreams(1)/Sensor/$ref``: point a to-one navigation property elsewhere."""
    nav, parent = step.nav, step.parent
    if nav is None or parent is None or nav.fk is None:
        raise NotAllowed("PUT $ref sets a single related entity, e.g. Datastreams(1)/Sensor/$ref")
    parent_id = entity_id(conn, parent)
    target_id = ref_target(call.body, step.etype, call.base)
    if not reader.entity_exists(conn, step.etype, target_id):
        raise NotFound(f"{step.etype.name} {target_id} does not exist")
    table = parent.etype.table
    conn.execute(sa.update(table).where(table.c.id == parent_id).values({nav.fk: target_id}))
    return Answer(204)


def _delete(conn: sa.Connection, call: Call, resource: Resource) -> Answer:
    if resource.ref:
        return _remove_link(conn, call, resource.step)
    etype, eid = _entity_target(conn, call, resource)
    writer.delete(conn, etype, eid)
    return Answer(200)


def _remove_link(conn: sa.Connection, call: Call, step: Step) -> Answer:
    """``DELETE /Things(1)/Locations(2)/$ref``: the link goes, both entities stay."""
    nav, parent = step.nav, step.parent
    if nav is None or parent is None or not step.single:
        raise NotAllowed("DELETE $ref removes one link, e.g. Things(1)/Locations(2)/$ref")
    parent_id = entity_id(conn, parent)
    target_id = entity_id(conn, step)
    if nav.link is not None and nav.link_here and nav.link_there:
        conn.execute(
            sa.delete(nav.link).where(
                nav.link.c[nav.link_here] == parent_id, nav.link.c[nav.link_there] == target_id
            )
        )
        multi.after_link_change(conn, nav, parent_id, target_id)
        return Answer(204)
    column = (
        parent.etype.table.c[nav.fk] if nav.fk is not None else step.etype.table.c[str(nav.back_fk)]
    )
    if not column.nullable:
        other = ENTITY_SETS[nav.target].name if nav.fk else step.etype.name
        raise bad(f"the link cannot be removed: every {other if nav.fk is None else parent.etype.name} needs its {nav.name if nav.fk else parent.etype.name}")
    if nav.fk is not None:
        conn.execute(sa.update(parent.etype.table).where(parent.etype.table.c.id == parent_id).values({nav.fk: None}))
    else:
        conn.execute(sa.update(step.etype.table).where(step.etype.table.c.id == target_id).values({str(nav.back_fk): None}))
    return Answer(204)
