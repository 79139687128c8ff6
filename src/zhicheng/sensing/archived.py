"""Observations past the hot window, read from the Parquet archive beside the store's.

When the archive (setting ``ZHICHENG_ARCHIVE``) holds committed files for the Datastreams a
request of Observations addresses, the request is answered from both places as one series: the
archived rows of those Datastreams are loaded into an in-memory SQLite table of the same schema
(cached until the manifest changes), the same ``$filter`` and ``$orderby`` SQL runs on the store
and on that table, and the two ordered runs are merged. ``$top``, ``$skip``, ``$count`` and
``@iot.nextLink`` (offset tokens) then count over the merged series. The archive is read-only;
``$filter`` on archived rows may use the Observation's own properties (phenomenonTime,
resultTime, result, validTime …), not related entities; ``$expand`` and ``$resultFormat`` are not
served across the boundary.

Only committed files are read (``archive_files.state``), so an observation being moved is read
from the store until the transaction that deletes it there commits.

References
----------
OGC 18-088 §9.3.3 ($orderby, $top, $skip, $count, $filter), §9.3.3.5 (@iot.nextLink).
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from zhicheng.sensing import reader
from zhicheng.sensing.errors import bad
from zhicheng.sensing.model import EntityType
from zhicheng.sensing.options import PageToken, QueryOptions
from zhicheng.sensing.paths import Step
from zhicheng.settings import get_settings
from zhicheng.store.schema_archive import archive_files
from zhicheng.store.schema_sensing import sta_observations

_JSON = ("result_json", "result_quality", "parameters")
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[Any, ...], sa.Engine] = OrderedDict()
_lock = threading.Lock()


def _datastream_scope(step: Step) -> tuple[str, int | None] | None:
    """What the path scopes Observations to: all, one Datastream or one feature (else None)."""
    if step.parent is None:
        return ("all", None)
    parent = step.parent
    if parent.parent is not None or parent.key is None:
        return None
    if parent.etype.name == "Datastream":
        return ("datastream_id", parent.key)
    if parent.etype.name == "FeatureOfInterest":
        return ("feature_of_interest_id", parent.key)
    return None


def _files(conn: sa.Connection, column: str, key: int | None) -> list[Mapping[Any, Any]]:
    af = archive_files.c
    rows = conn.execute(
        sa.select(af.id, af.path, af.datastreams, af.sha256).where(af.state == "committed")
        .order_by(af.id)
    ).mappings().all()
    if column == "datastream_id":
        return [r for r in rows if key in (r["datastreams"] or [])]
    return list(rows)


def _archive_engine(root: str, files: Sequence[Mapping[Any, Any]], column: str, key: int | None) -> sa.Engine:
    """An in-memory SQLite database holding the archived rows in scope (cached)."""
    cache_key = (root, column, key, tuple((f["id"], f["sha256"]) for f in files))
    with _lock:
        if cache_key in _cache:
            _cache.move_to_end(cache_key)
            return _cache[cache_key]
    import fsspec
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    fs, base = fsspec.core.url_to_fs(root)
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,
                              connect_args={"check_same_thread": False})
    with engine.begin() as conn:
        sta_observations.create(conn)
        for f in files:
            with fs.open(f"{base.rstrip('/')}/{f['path']}", "rb") as fh:
                table = pq.read_table(fh)
            if key is not None:
                table = table.filter(pc.equal(table.column(column), key))
            rows = table.to_pylist()
            for row in rows:
                for name in _JSON:
                    if row[name] is not None:
                        row[name] = json.loads(row[name])
            if rows:
                conn.execute(sta_observations.insert(), rows)
    with _lock:
        _cache[cache_key] = engine
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)[1].dispose()
    return engine


def _rows(
    conn: sa.Connection, etype: EntityType, opts: QueryOptions, scope: Any, limit: int
) -> tuple[list[Mapping[Any, Any]], int | None, list[bool]]:
    """The first ``limit`` rows in order (with their sort keys ``_k<i>``), and the count."""
    keys = reader._order(etype, opts)
    conds = reader._conditions(etype, opts, scope)
    stmt = sa.select(etype.table, *(c.label(f"_k{i}") for i, (c, _) in enumerate(keys))).where(*conds)
    stmt = stmt.order_by(*(c.asc() if asc else c.desc() for c, asc in keys)).limit(limit)
    try:
        rows: list[Mapping[Any, Any]] = list(conn.execute(stmt).mappings().all())
        count = None
        if opts.count:
            count = int(conn.execute(
                sa.select(sa.func.count()).select_from(etype.table).where(*conds)).scalar_one())
    except sa.exc.OperationalError as exc:
        raise bad(
            "$filter and $orderby on archived Observations may use the Observation's own "
            f"properties only (phenomenonTime, resultTime, result …): {exc.orig}", "$filter"
        ) from None
    return rows, count, [asc for _, asc in keys]


def _compare(ascending: list[bool]) -> Any:
    def cmp(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> int:
        for i, asc in enumerate(ascending):
            x, y = a[f"_k{i}"], b[f"_k{i}"]
            if x == y:
                continue
            # NULL sorts first ascending (as SQLite and the store's default order do).
            less = True if x is None else False if y is None else x < y
            return (-1 if less else 1) * (1 if asc else -1)
        return 0

    return functools.cmp_to_key(cmp)


def read_page(conn: sa.Connection, step: Step, opts: QueryOptions, where: reader.Where) -> reader.Page | None:
    """A page of Observations from the store and the archive together; None: the store alone does.

    Parameters
    ----------
    conn : Connection
        The store.
    step : Step
        The Observations the path addresses (all, a Datastream's or a feature's).
    opts : QueryOptions
        The request options.
    where : Where
        The collection's URL (for ``@iot.nextLink``).
    """
    root = get_settings().archive
    if not root or step.etype.name != "Observation":
        return None
    scope = _datastream_scope(step)
    if scope is None:
        return None
    column, key = scope
    files = _files(conn, column, key)
    if not files:
        return None
    if opts.expand or (opts.result_format not in (None, "default")):
        raise bad("$expand and $resultFormat are not served on Observations that reach into the "
                  "archive; ask for them on the Datastream's recent Observations", "$expand")
    reader.check_select(step.etype, opts.select)
    offset = opts.skip
    if opts.skiptoken:
        token = PageToken.decode(opts.skiptoken)
        if token.offset is None:
            raise bad("$skiptoken does not match this request; follow @iot.nextLink as given",
                      "$skiptoken")
        offset = token.offset
    limit = opts.limit
    need = offset + limit + 1
    plain = replace(opts, skip=0, skiptoken=None)
    hot_scope = None if column == "all" else step.cond
    hot, hot_count, ascending = _rows(conn, step.etype, plain, hot_scope, need)
    archive = _archive_engine(root, files, column, key)
    with archive.connect() as aconn:
        cold_scope = None if column == "all" else sta_observations.c[column] == key
        cold, cold_count, _ = _rows(aconn, step.etype, plain, cold_scope, need)
    merged = sorted([*hot, *cold], key=_compare(ascending))
    page = merged[offset : offset + limit]
    value = [reader.entity_json(step.etype, r, where.base, opts.select) for r in page]
    next_link = None
    if len(merged) > offset + limit and page:
        next_link = where.next_link(limit, PageToken(offset=offset + limit))
    count = None if hot_count is None or cold_count is None else hot_count + cold_count
    return reader.Page(value, count, next_link)
