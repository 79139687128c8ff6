"""Entities created or updated in a transaction, handed to listeners (MQTT) after it commits.

A write notes each entity it created or changed on its connection; :func:`committed` runs a
write in one transaction and then gives the alerts it opened and the changes it made to their
listeners. Without a listener, noting costs nothing.

References
----------
OGC 18-088 §14.2 (receiving updates via MQTT: entity, collection and navigation topics).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.sensing.alerts import fire_opened, take_opened
from zhicheng.sensing.model import ENTITY_SETS, EntityType

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """One entity created or updated: its set, its JSON and every topic it is published on."""

    entity_set: str
    entity: dict[str, Any]
    #: Resource paths (without version) whose subscribers see the entity.
    paths: tuple[str, ...]
    created: bool


#: Called with the changes of each committed transaction (a failing listener is logged).
ON_CHANGE: list[Callable[[list[Change]], None]] = []
_PENDING = "zhicheng.sensing.changes"


def paths_of(
    etype: EntityType, entity_id: int, fks: dict[str, Any], created: bool = False
) -> tuple[str, ...]:
    """The paths an entity is published on: its set, itself and its parents' collections.

    A new entity is not published on its own entity topic: nobody can have subscribed to it yet.
    """
    paths = [etype.plural] if created else [etype.plural, f"{etype.plural}({entity_id})"]
    for nav in etype.navs:
        if nav.fk is None or fks.get(nav.fk) is None:
            continue
        target = ENTITY_SETS[nav.target]
        back = next((n for n in target.navs if n.back_fk == nav.fk and n.target == etype.plural), None)
        if back is not None:
            paths.append(f"{target.plural}({fks[nav.fk]})/{back.name}")
    return tuple(paths)


def note(conn: sa.Connection, etype: EntityType, entities: Sequence[dict[str, Any]], created: bool) -> None:
    """Remember ``entities`` (JSON with ``@iot.id``) as changed in this transaction."""
    if not ON_CHANGE or not entities:
        return
    fk_cols = [etype.table.c[n.fk] for n in etype.navs if n.fk is not None]
    ids = [int(e["@iot.id"]) for e in entities]
    fks: dict[int, dict[str, Any]] = {}
    if fk_cols:
        for row in conn.execute(
            sa.select(etype.table.c.id, *fk_cols).where(etype.table.c.id.in_(ids))
        ).mappings():
            fks[int(row["id"])] = dict(row)
    note_known(conn, etype, [(e, fks.get(i, {})) for e, i in zip(entities, ids, strict=True)], created)


def note_known(
    conn: sa.Connection,
    etype: EntityType,
    items: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    created: bool,
) -> None:
    """Like :func:`note`, with each entity's foreign keys already known (no query)."""
    if not ON_CHANGE or not items:
        return
    pending = conn.info.setdefault(_PENDING, [])
    for entity, fks in items:
        paths = paths_of(etype, int(entity["@iot.id"]), fks, created)
        pending.append(Change(etype.plural, entity, paths, created))


def take(conn: sa.Connection) -> list[Change]:
    """The changes noted on this connection since the last call (and forget them)."""
    taken: list[Change] = conn.info.pop(_PENDING, [])
    return taken


def fire(changes: list[Change]) -> None:
    """Give ``changes`` to every listener."""
    if not changes:
        return
    for listener in ON_CHANGE:
        try:
            listener(changes)
        except Exception:  # a listener's failure must not undo a committed write
            log.exception("change listener %r failed", listener)


def committed(engine: Engine, work: Callable[[sa.Connection], T]) -> T:
    """Run ``work(conn)`` in one transaction; after commit, fire its alerts and changes."""
    with engine.begin() as conn:
        take_opened(conn)
        take(conn)
        result = work(conn)
        opened = take_opened(conn)
        changes = take(conn)
    fire_opened(opened)
    fire(changes)
    return result
