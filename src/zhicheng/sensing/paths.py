"""Resource paths of any depth: ``Things(1)/Datastreams(2)/Observations``, ``…/$ref``, ``…/name/$value``.

A path is read into a chain of :class:`Step` objects, each the set of rows of one entity type that the
path addresses so far, as a SQL condition on that type's table. A step keyed by ``(id)`` or
reached through a to-one navigation property addresses at most one entity; every such step must
exist, so ``/Things(1)/Datastreams(2)`` is 404 when Datastream 2 is not Thing 1's.

References
----------
OGC 18-088 §9.2 (resource path: Req 2–8 of the ``resource-path`` class), §9.2.6 (``$ref``),
§10.2 (create related entities, links), OData 4.01 Part 2 §4 (resource path grammar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from zhicheng.sensing.errors import NotFound, bad
from zhicheng.sensing.model import ENTITY_SETS, EntityType, Nav

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*)(?:\((?P<key>[^)]*)\))?$")


@dataclass(frozen=True)
class Step:
    """Rows of ``etype`` addressed by the path so far."""

    etype: EntityType
    cond: ColumnElement[bool]
    #: At most one entity (keyed, or reached through a to-one navigation property).
    single: bool
    #: The id the path gives for this step, if it gives one.
    key: int | None = None
    #: The navigation property that led here from ``parent``.
    nav: Nav | None = None
    parent: Step | None = None

    def chain(self) -> list[Step]:
        """Every step from the entity set to this one."""
        steps: list[Step] = []
        step: Step | None = self
        while step is not None:
            steps.append(step)
            step = step.parent
        return steps[::-1]


@dataclass(frozen=True)
class Resource:
    """What a path addresses: a step, perhaps one property of it, its ``$value`` or its ``$ref``."""

    step: Step
    prop: str | None = None
    value: bool = False
    ref: bool = False


def _key(text: str | None, path: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) >= 2**53:
        raise NotFound(f"{path}: {text!r} is not an entity id (a non-negative integer)")
    return int(text)


def related_scope(step: Step, nav: Nav) -> ColumnElement[bool]:
    """Rows of ``nav``'s target related to any row of ``step``."""
    here = step.etype.table
    there = ENTITY_SETS[nav.target].table
    if step.key is not None and step.parent is None:
        from zhicheng.sensing.reader import nav_scope

        return nav_scope(step.etype, step.key, nav)
    ids = sa.select(here.c.id).where(step.cond)
    if nav.fk is not None:
        return there.c.id.in_(sa.select(here.c[nav.fk]).where(step.cond))
    if nav.back_fk is not None:
        return there.c[nav.back_fk].in_(ids)
    assert nav.link is not None and nav.link_here and nav.link_there
    link = nav.link
    return there.c.id.in_(sa.select(link.c[nav.link_there]).where(link.c[nav.link_here].in_(ids)))


def root_step(etype: EntityType, key: int | None) -> Step:
    """The entity set itself, or one entity of it."""
    if key is None:
        return Step(etype, sa.true(), single=False)
    return Step(etype, etype.table.c.id == key, single=True, key=key)


def parse_path(path: str) -> Resource:
    """The resource of ``path`` (relative to the service root); 404 for what does not exist."""
    segments = [s for s in path.strip("/").split("/")]
    if not segments or not segments[0]:
        raise NotFound("empty resource path")
    first = _SEGMENT.match(segments[0])
    if first is None or first["name"] not in ENTITY_SETS:
        raise NotFound(
            f"no entity set {segments[0]!r}; the sets are {', '.join(ENTITY_SETS)}"
        )
    step = root_step(ENTITY_SETS[first["name"]], _key(first["key"], path))
    rest = segments[1:]
    for i, segment in enumerate(rest):
        if segment == "$ref":
            if i != len(rest) - 1:
                raise NotFound(f"{path}: $ref must end the path")
            return Resource(step, ref=True)
        match = _SEGMENT.match(segment)
        if match is None:
            raise NotFound(f"{path}: cannot read segment {segment!r}")
        name, key = match["name"], _key(match["key"], path)
        nav = step.etype.nav(name)
        if nav is not None:
            step = _navigate(step, nav, key, path)
            continue
        if key is None and step.single and (name == "id" or step.etype.prop(name) is not None):
            tail = rest[i + 1 :]
            if tail not in ([], ["$value"]):
                raise NotFound(f"{path}: {name} is a property; only $value may follow it")
            return Resource(step, prop="id" if name == "id" else name, value=tail == ["$value"])
        what = "property or navigation property" if step.single else "segment after a collection"
        raise NotFound(f"{path}: {step.etype.name} has no {what} {segment!r}")
    return Resource(step)


def _navigate(step: Step, nav: Nav, key: int | None, path: str) -> Step:
    if not step.single:
        raise bad(
            f"{path}: {nav.name} follows a collection; address one entity first, e.g. {step.etype.plural}(1)/{nav.name}"
        )
    if key is not None and not nav.many:
        raise NotFound(f"{path}: {nav.name} is a single entity and takes no id")
    target = ENTITY_SETS[nav.target]
    cond = related_scope(step, nav)
    if key is not None:
        cond = sa.and_(cond, target.table.c.id == key)
    return Step(target, cond, single=key is not None or not nav.many, key=key, nav=nav, parent=step)


def check_exists(conn: sa.Connection, step: Step, include_self: bool = True) -> None:
    """404 unless every single entity along the path (up to ``step``) exists."""
    chain = step.chain() if include_self else step.chain()[:-1]
    for s in chain:
        if not s.single:
            continue
        found = conn.execute(sa.select(s.etype.table.c.id).where(s.cond).limit(1)).first()
        if found is None:
            raise NotFound(f"{_describe(s)} does not exist")


def entity_id(conn: sa.Connection, step: Step) -> int:
    """The id of the one entity ``step`` addresses; 404 when there is none."""
    if not step.single:
        raise bad(f"{step.etype.plural} is a collection; address one entity")
    if step.key is not None and step.parent is None:
        check_exists(conn, step)
        return step.key
    check_exists(conn, step, include_self=False)
    found = conn.execute(sa.select(step.etype.table.c.id).where(step.cond).limit(1)).first()
    if found is None:
        raise NotFound(f"{_describe(step)} does not exist")
    return int(found[0])


def _describe(step: Step) -> str:
    if step.parent is None:
        return f"{step.etype.name} {step.key}"
    nav = step.nav.name if step.nav else step.etype.plural
    key = f"({step.key})" if step.key is not None else ""
    return f"{_describe(step.parent)}/{nav}{key}"


def ref_target(body: Any, etype: EntityType, base: str) -> int:
    """The id an ``{"@iot.id": n}`` or ``{"@iot.selfLink": url}`` body names (an entity of ``etype``)."""
    if not isinstance(body, dict):
        raise bad('a $ref body is {"@iot.selfLink": "<url>"} or {"@iot.id": <id>}')
    if "@iot.id" in body:
        ref = body["@iot.id"]
        if type(ref) is not int or not 0 <= ref < 2**53:
            raise bad(f"@iot.id must be a non-negative integer, not {ref!r}", "@iot.id")
        return ref
    link = body.get("@iot.selfLink")
    if not isinstance(link, str):
        raise bad('a $ref body is {"@iot.selfLink": "<url>"} or {"@iot.id": <id>}')
    tail = link[len(base) :] if link.startswith(base) else link.rsplit("/", 1)[-1]
    resource = parse_path(tail)
    step = resource.step
    if step.parent is not None or step.key is None or resource.prop or resource.ref:
        raise bad(f"@iot.selfLink {link!r} does not name one entity")
    if step.etype is not etype:
        raise bad(f"@iot.selfLink {link!r} names a {step.etype.name}, not a {etype.name}")
    return step.key
