"""Reading SensorThings entities: collections, single entities and navigation paths.

Paging is by keyset whenever the sort keys are non-null columns (always true for the default
order by ``id`` and for ``phenomenonTime``): ``@iot.nextLink`` carries the last row's sort
keys in ``$skiptoken`` and the next page starts with an index seek, so the thousandth page of
a million observations costs what the first one does. ``$skip`` keeps its meaning for the
first page a client asks for.

References
----------
OGC 18-088 §9.2 (resource path), §9.3 (query options), §9.3.3.5 (server-driven paging).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from zhicheng.sensing import geometry, multi
from zhicheng.sensing.errors import NotFound, bad
from zhicheng.sensing.filters import PathRef, compile_filter, resolve
from zhicheng.sensing.model import ENTITY_SETS, EntityType, Nav, Prop
from zhicheng.sensing.options import LIMITS, Expand, PageToken, QueryOptions
from zhicheng.sensing.timefmt import format_instant, format_time


@dataclass(frozen=True)
class Page:
    """One page of a collection."""

    value: list[dict[str, Any]]
    count: int | None
    next_link: str | None

    def document(self) -> dict[str, Any]:
        """The collection as its JSON document (OGC 18-088 §9.2.2)."""
        doc: dict[str, Any] = {}
        if self.count is not None:
            doc["@iot.count"] = self.count
        if self.next_link is not None:
            doc["@iot.nextLink"] = self.next_link
        doc["value"] = self.value
        return doc


def number_out(value: float | None) -> float | int | None:
    """A stored float as JSON: integral values as integers."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def prop_value(prop: Prop, row: Mapping[Any, Any]) -> Any:
    """The JSON value of ``prop`` from a table row."""
    if prop.kind == "instant":
        return format_instant(row[prop.column])
    if prop.kind in ("period", "time"):
        return format_time(row[prop.column], row[prop.end_column] if prop.end_column else None)
    if prop.kind == "result":
        number = row["result_number"]
        return number_out(number) if number is not None else row["result_json"]
    return row[prop.column]


def self_link(base: str, etype: EntityType, entity_id: int) -> str:
    """``@iot.selfLink`` of an entity."""
    return f"{base}/{etype.plural}({entity_id})"


def entity_json(
    etype: EntityType, row: Mapping[Any, Any], base: str, select: Sequence[str] | None
) -> dict[str, Any]:
    """An entity as JSON: id, selfLink, properties and navigation links (``$select`` applied)."""
    link = self_link(base, etype, row["id"])
    wanted = None if select is None else set(select)
    out: dict[str, Any] = {}
    if wanted is None or wanted & {"id", "@iot.id"}:
        out["@iot.id"] = row["id"]
    if wanted is None or wanted & {"selfLink", "@iot.selfLink"}:
        out["@iot.selfLink"] = link
    for prop in etype.props:
        if wanted is None or prop.name in wanted:
            out[prop.name] = prop_value(prop, row)
    for nav in etype.navs:
        if wanted is None or nav.name in wanted:
            out[f"{nav.name}@iot.navigationLink"] = f"{link}/{nav.name}"
    return out


def check_select(etype: EntityType, select: Sequence[str] | None) -> None:
    """400 when ``$select`` names something the type does not have."""
    if select is None:
        return
    known = {
        "id",
        "@iot.id",
        "selfLink",
        "@iot.selfLink",
        *(p.name for p in etype.props),
        *(n.name for n in etype.navs),
    }
    unknown = [s for s in select if s not in known]
    if unknown:
        raise bad(f"$select: {etype.name} has no {', '.join(map(repr, unknown))}", "$select")


def nav_scope(etype: EntityType, entity_id: int, nav: Nav) -> ColumnElement[bool]:
    """Rows of ``nav``'s target related to entity ``entity_id`` of ``etype``."""
    target = ENTITY_SETS[nav.target].table
    here = etype.table
    if nav.fk is not None:
        return (
            target.c.id == sa.select(here.c[nav.fk]).where(here.c.id == entity_id).scalar_subquery()
        )
    if nav.back_fk is not None:
        return target.c[nav.back_fk] == entity_id
    assert nav.link is not None and nav.link_here and nav.link_there
    link = nav.link
    return target.c.id.in_(
        sa.select(link.c[nav.link_there]).where(link.c[nav.link_here] == entity_id)
    )


@dataclass(frozen=True)
class Where:
    """Where a collection lives: its absolute URL and the query parameters it was asked with."""

    base: str
    url: str
    params: tuple[tuple[str, str], ...] = ()

    def next_link(self, top: int, token: PageToken) -> str:
        """The URL of the next page (other options kept, ``$skip`` replaced by ``$skiptoken``)."""
        kept = [(k, v) for k, v in self.params if k not in ("$skip", "$skiptoken", "$top")]
        kept += [("$top", str(top)), ("$skiptoken", token.encode())]
        return f"{self.url}?{urlencode(kept, safe='$()/,')}"


def _order(
    etype: EntityType, opts: QueryOptions, default: ColumnElement[Any] | None = None
) -> list[tuple[ColumnElement[Any], bool]]:
    keys: list[tuple[ColumnElement[Any], bool]] = []
    if default is not None and not opts.orderby:
        keys.append((default, True))
    for order in opts.orderby:
        # A related entity's property (``Datastream/name``) orders by a correlated subquery.
        path = PathRef(tuple(order.path.split("/")))
        keys.append(
            (
                resolve(etype, path, "number" if path.segments[-1] == "result" else "string"),
                order.ascending,
            )
        )
    if not any(isinstance(c, sa.Column) and c.name == "id" for c, _ in keys):
        keys.append((etype.table.c.id, keys[-1][1] if keys else True))
    return keys


def _keyset_ok(keys: list[tuple[ColumnElement[Any], bool]]) -> bool:
    return all(isinstance(c, sa.Column) and not c.nullable for c, _ in keys)


def _after(
    keys: list[tuple[ColumnElement[Any], bool]], values: Sequence[object]
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (a keyset seek)."""
    if len(values) != len(keys):
        raise bad(
            "$skiptoken does not match this request's $orderby; follow @iot.nextLink as given",
            "$skiptoken",
        )
    if all(asc for _, asc in keys) or not any(asc for _, asc in keys):
        cols = sa.tuple_(*(c for c, _ in keys))
        vals = sa.tuple_(*(sa.literal(v) for v in values))
        return cols > vals if keys[0][1] else cols < vals
    terms = []
    for i, (col, asc) in enumerate(keys):
        same = [c == sa.literal(v) for (c, _), v in zip(keys[:i], values, strict=False)]
        step = col > sa.literal(values[i]) if asc else col < sa.literal(values[i])
        terms.append(sa.and_(*same, step))
    return sa.or_(*terms)


def _conditions(
    etype: EntityType, opts: QueryOptions, scope: ColumnElement[bool] | None
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if scope is not None:
        conds.append(scope)
    if opts.filter:
        conds.append(compile_filter(etype, opts.filter))
    return conds


def read_page(
    conn: sa.Connection,
    etype: EntityType,
    opts: QueryOptions,
    where: Where,
    scope: ColumnElement[bool] | None = None,
    order: ColumnElement[Any] | None = None,
) -> Page:
    """One page of a collection of ``etype`` (within ``scope``), with options applied.

    ``order``: the sort key when the request gives no ``$orderby`` (before ``id``).
    """
    check_select(etype, opts.select)
    table = etype.table
    conds = _conditions(etype, opts, scope)
    if opts.filter:
        geometry.prepare(conn)
    keys = _order(etype, opts, order)
    keyset = _keyset_ok(keys)
    stmt = sa.select(table, *(c.label(f"_k{i}") for i, (c, _) in enumerate(keys))).where(*conds)
    stmt = stmt.order_by(*(c.asc() if asc else c.desc() for c, asc in keys))
    offset = opts.skip
    if opts.skiptoken:
        token = PageToken.decode(opts.skiptoken)
        if token.keys is not None and keyset:
            stmt = stmt.where(_after(keys, token.keys))
            offset = 0
        elif token.offset is not None:
            offset = token.offset
        else:
            raise bad(
                "$skiptoken does not match this request; follow @iot.nextLink as given",
                "$skiptoken",
            )
    limit = opts.limit
    rows = conn.execute(stmt.limit(limit + 1).offset(offset or None)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    value = [entity_json(etype, r, where.base, opts.select) for r in rows]
    for spec in opts.expand:
        _expand(conn, etype, rows, value, spec, where.base)
    next_link = None
    if more and rows:
        last = rows[-1]
        token = (
            PageToken(keys=tuple(last[f"_k{i}"] for i in range(len(keys))))
            if keyset
            else PageToken(offset=offset + limit)
        )
        next_link = where.next_link(limit, token)
    count = None
    if opts.count:
        count = int(
            conn.execute(sa.select(sa.func.count()).select_from(table).where(*conds)).scalar_one()
        )
    if opts.result_format is not None:
        value = _result_format(etype, rows, value, opts, where.base)
    return Page(value, count, next_link)


def _result_format(
    etype: EntityType,
    rows: Sequence[Mapping[Any, Any]],
    value: list[dict[str, Any]],
    opts: QueryOptions,
    base: str,
) -> list[dict[str, Any]]:
    """``$resultFormat=dataArray``: Observations grouped by Datastream as rows of components (§14.3)."""
    if opts.result_format == "default":
        return value
    if opts.result_format != "dataArray" or etype.name != "Observation":
        raise bad(
            "$resultFormat: only dataArray on Observations (or default) is supported",
            "$resultFormat",
        )
    components = [
        c
        for c in (opts.select or ("id", "phenomenonTime", "resultTime", "result"))
        if c in DATA_ARRAY_COMPONENTS
    ]
    records: list[list[Any]] = []
    for row, entity in zip(rows, value, strict=True):
        full = (
            entity
            if opts.select is None
            else {
                **entity,
                **{p.name: prop_value(p, row) for p in etype.props},
                "@iot.id": row["id"],
            }
        )
        records.append([full["@iot.id"] if c == "id" else full.get(c) for c in components])
    return multi.data_array_groups(rows, records, base, components)


#: Properties a data array may carry (OGC 18-088 §14.3).
DATA_ARRAY_COMPONENTS = (
    "id",
    "phenomenonTime",
    "resultTime",
    "result",
    "resultQuality",
    "validTime",
    "parameters",
)


#: Expanded entities the answer being built may still hold (None: no answer is being built).
_BUDGET: ContextVar[list[int] | None] = ContextVar("sta_expand_budget", default=None)


@contextmanager
def expansion_budget(entities: int) -> Iterator[None]:
    """Bound the expanded entities of everything read inside (one answer) to ``entities``."""
    token = _BUDGET.set([entities])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _take_budget(wanted: int) -> int:
    budget = _BUDGET.get()
    if budget is None:
        return wanted
    if budget[0] <= 0:
        raise bad(
            "$expand: this answer would hold more expanded entities than the server allows "
            f"({LIMITS.get().max_expanded_entities}); ask for fewer ($top, also inside $expand)",
            "$expand",
        )
    return min(wanted, budget[0])


def _spend_budget(used: int) -> None:
    # Spent after the page is read: its own nested expansions have spent theirs by then.
    budget = _BUDGET.get()
    if budget is not None:
        budget[0] -= used


def _expand(
    conn: sa.Connection,
    etype: EntityType,
    rows: Sequence[Mapping[Any, Any]],
    value: list[dict[str, Any]],
    spec: Expand,
    base: str,
) -> None:
    """Put the entities behind ``spec.nav`` into each entity of ``value`` (one query per entity)."""
    nav = etype.nav(spec.nav)
    if nav is None:
        known = ", ".join(n.name for n in etype.navs)
        raise bad(
            f"$expand: {etype.name} has no navigation property {spec.nav!r}; it has {known}",
            "$expand",
        )
    target = ENTITY_SETS[nav.target]
    for row, out in zip(rows, value, strict=True):
        room = _take_budget(1 if not nav.many else spec.options.limit)
        link = f"{self_link(base, etype, row['id'])}/{nav.name}"
        where = Where(base, link, _raw_options(spec.options))
        if not nav.many:
            fk = row[nav.fk] if nav.fk else None
            if fk is None:
                out[nav.name] = None
                continue
            page = read_page(
                conn,
                target,
                replace(spec.options, top=1, skip=0, count=False),
                where,
                target.table.c.id == fk,
            )
            out[nav.name] = page.value[0] if page.value else None
            _spend_budget(len(page.value))
            continue
        # Server-driven paging inside the expansion when the answer's budget runs short.
        options = spec.options if room >= spec.options.limit else replace(spec.options, top=room)
        page = read_page(
            conn,
            target,
            options,
            where,
            nav_scope(etype, row["id"], nav),
            multi.rank_order(nav, row["id"]),
        )
        _spend_budget(len(page.value))
        out[nav.name] = page.value
        if page.next_link:
            out[f"{nav.name}@iot.nextLink"] = page.next_link
        if page.count is not None:
            out[f"{nav.name}@iot.count"] = page.count


def _raw_options(opts: QueryOptions) -> tuple[tuple[str, str], ...]:
    """Options of an expanded navigation property that a nextLink must carry on."""
    kept: list[tuple[str, str]] = []
    if opts.filter:
        kept.append(("$filter", opts.filter))
    if opts.orderby:
        kept.append(
            (
                "$orderby",
                ",".join(f"{o.path} {'asc' if o.ascending else 'desc'}" for o in opts.orderby),
            )
        )
    if opts.select:
        kept.append(("$select", ",".join(opts.select)))
    return tuple(kept)


def entity_exists(conn: sa.Connection, etype: EntityType, entity_id: int) -> bool:
    """True when entity ``entity_id`` of ``etype`` exists."""
    return (
        conn.execute(sa.select(etype.table.c.id).where(etype.table.c.id == entity_id)).first()
        is not None
    )


def read_entity(
    conn: sa.Connection, etype: EntityType, entity_id: int, opts: QueryOptions, base: str
) -> dict[str, Any]:
    """One entity with ``$select`` and ``$expand`` applied; 404 when it does not exist."""
    where = Where(base, self_link(base, etype, entity_id))
    page = read_page(
        conn,
        etype,
        replace(opts, top=1, skip=0, count=False, filter=None, skiptoken=None),
        where,
        etype.table.c.id == entity_id,
    )
    if not page.value:
        raise NotFound(f"{etype.name} {entity_id} does not exist")
    return page.value[0]


def read_navigation(
    conn: sa.Connection,
    etype: EntityType,
    entity_id: int,
    nav_name: str,
    opts: QueryOptions,
    where: Where,
) -> dict[str, Any]:
    """``/Set(id)/Nav``: the related entity (to-one) or a page of them (to-many)."""
    nav = etype.nav(nav_name)
    if nav is None:
        raise NotFound(f"{etype.name} has no navigation property {nav_name!r}")
    if not entity_exists(conn, etype, entity_id):
        raise NotFound(f"{etype.name} {entity_id} does not exist")
    target = ENTITY_SETS[nav.target]
    scope = nav_scope(etype, entity_id, nav)
    if nav.many:
        return read_page(
            conn, target, opts, where, scope, multi.rank_order(nav, entity_id)
        ).document()
    page = read_page(
        conn, target, replace(opts, top=1, skip=0, count=False, skiptoken=None), where, scope
    )
    if not page.value:
        raise NotFound(f"{etype.name} {entity_id} has no {nav.name}")
    return page.value[0]
