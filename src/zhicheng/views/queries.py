"""The SQL behind the read models: small indexed selects and GROUP BYs, never raw observations.

Each function takes an open connection and returns plain rows (dicts), so the read models above
stay free of SQL and every query here can be timed and explained on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.store.schema import (
    RESULT_COLUMNS,
    evaluation_results,
    evaluation_runs,
    framework_versions,
    indicator_values,
    ingest_batches,
    units,
)

Row = dict[str, Any]

#: Tables and columns an uncertainty analysis may keep its rank intervals in, first match wins.
RANK_INTERVAL_SOURCES = (
    ("evaluation_uncertainty", "rank_q5", "rank_q95"),
    ("evaluation_rank_intervals", "rank_q5", "rank_q95"),
    ("evaluation_uncertainty", "q5", "q95"),
)


def _dicts(result: sa.CursorResult[Any]) -> list[Row]:
    return [dict(r) for r in result.mappings()]


def runs(conn: Connection) -> list[Row]:
    """Every evaluation run with its framework, newest first."""
    r, f = evaluation_runs, framework_versions
    query = (
        sa.select(
            r.c.id, r.c.period, r.c.base_period, r.c.unit_count, r.c.created_at, r.c.note,
            r.c.framework_version_id, f.c.framework_id, f.c.version,
        )
        .join(f, f.c.id == r.c.framework_version_id)
        .order_by(r.c.id.desc())
    )
    out = _dicts(conn.execute(query))
    for row in out:
        row["created_at"] = row["created_at"].isoformat() if row["created_at"] else None
    return out


def framework_version(conn: Connection, version_id: int) -> Row | None:
    """A stored framework version (id, version, content)."""
    f = framework_versions
    row = conn.execute(
        sa.select(f.c.framework_id, f.c.version, f.c.content).where(f.c.id == version_id)
    ).mappings().first()
    return dict(row) if row else None


def run_units(conn: Connection, run_id: int) -> list[Row]:
    """The units a run scored (at its top level), with names, group and level from ``units``."""
    res, u = evaluation_results, units
    query = (
        sa.select(
            res.c.unit_code.label("code"), u.c.name_zh, u.c.name_en, u.c.level, u.c.group_name,
            u.c.parent_code, u.c.lon, u.c.lat, (u.c.boundary.is_not(None)).label("has_boundary"),
        )
        .select_from(res.outerjoin(u, u.c.code == res.c.unit_code))
        .where(res.c.run_id == run_id, res.c.level == "index")
        .order_by(res.c.unit_code)
    )
    return _dicts(conn.execute(query))


def results(conn: Connection, run_id: int, *, levels: Sequence[str] | None = None,
            code: str | None = None, unit: str | None = None,
            codes: Iterable[str] | None = None) -> list[Row]:
    """Result rows of a run, filtered by level(s), node code(s) and unit (all indexed)."""
    res = evaluation_results
    query = sa.select(*(res.c[c] for c in RESULT_COLUMNS)).where(res.c.run_id == run_id)
    if levels is not None:
        query = query.where(res.c.level.in_(list(levels)))
    if code is not None:
        query = query.where(res.c.code == code)
    if codes is not None:
        query = query.where(res.c.code.in_(list(codes)))
    if unit is not None:
        query = query.where(res.c.unit_code == unit)
    return _dicts(conn.execute(query))


def rank_intervals(conn: Connection, run_id: int) -> dict[str, tuple[float, float]]:
    """Rank intervals (Q5, Q95) per unit from a stored uncertainty analysis; empty when none."""
    names = set(sa.inspect(conn).get_table_names())
    for table_name, lo, hi in RANK_INTERVAL_SOURCES:
        if table_name not in names:
            continue
        columns = {c["name"] for c in sa.inspect(conn).get_columns(table_name)}
        if not {"run_id", "unit_code", lo, hi} <= columns:
            continue
        cols: list[sa.ColumnClause[Any]] = [sa.column("run_id"), sa.column("unit_code"), sa.column(lo), sa.column(hi)]
        if "level" in columns:
            cols.append(sa.column("level"))
        table = sa.table(table_name, *cols)
        query = sa.select(table.c.unit_code, table.c[lo], table.c[hi]).where(table.c.run_id == run_id)
        if "level" in columns:
            query = query.where(table.c.level == "index")
        return {
            str(u): (float(a), float(b))
            for u, a, b in conn.execute(query)
            if a is not None and b is not None
        }
    return {}


def indicator_series(conn: Connection, indicator_id: str, unit: str) -> list[Row]:
    """One unit's values of one indicator over every period, with the batch each came from."""
    v = indicator_values
    query = (
        sa.select(v.c.period, v.c.value, v.c.batch_id)
        .where(v.c.indicator_id == indicator_id, v.c.unit_code == unit)
        .order_by(v.c.period)
    )
    return _dicts(conn.execute(query))


def indicator_across(conn: Connection, indicator_id: str, period: str) -> list[Row]:
    """Every unit's value of one indicator in one period (uses the period/indicator index)."""
    v = indicator_values
    query = (
        sa.select(v.c.unit_code, v.c.value, v.c.batch_id)
        .where(v.c.period == period, v.c.indicator_id == indicator_id)
        .order_by(v.c.value.desc())
    )
    return _dicts(conn.execute(query))


def indicator_coverage(conn: Connection, indicator_id: str) -> list[Row]:
    """Units with a value of the indicator, per period (one GROUP BY)."""
    v = indicator_values
    query = (
        sa.select(v.c.period, sa.func.count().label("units"))
        .where(v.c.indicator_id == indicator_id)
        .group_by(v.c.period)
        .order_by(v.c.period)
    )
    return _dicts(conn.execute(query))


def batches(conn: Connection, ids: Iterable[int]) -> list[Row]:
    """The ingest batches ``ids``: source file, checksum, who and when."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    b = ingest_batches
    query = sa.select(
        b.c.id, b.c.source, b.c.checksum, b.c.kind, b.c.ingested_by, b.c.ingested_at,
        b.c.row_count, b.c.note,
    ).where(b.c.id.in_(wanted)).order_by(b.c.id)
    out = _dicts(conn.execute(query))
    for row in out:
        row["ingested_at"] = row["ingested_at"].isoformat() if row["ingested_at"] else None
    return out


def unit_names(conn: Connection, codes: Iterable[str]) -> dict[str, Row]:
    """Names, level and group of the units ``codes``."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    u = units
    query = sa.select(u.c.code, u.c.name_zh, u.c.name_en, u.c.level, u.c.group_name).where(
        u.c.code.in_(wanted)
    )
    return {r["code"]: dict(r) for r in conn.execute(query).mappings()}


def boundaries(conn: Connection, levels: Iterable[str] | None = None) -> list[Row]:
    """Boundaries (GeoJSON geometry text) of the units at ``levels`` (every level when None)."""
    u = units
    query = sa.select(u.c.code, u.c.name_zh, u.c.name_en, u.c.boundary).where(u.c.boundary.is_not(None))
    if levels is not None:
        query = query.where(u.c.level.in_(sorted(set(levels))))
    return _dicts(conn.execute(query.order_by(u.c.code)))


def boundary_count(conn: Connection, levels: Iterable[str] | None = None) -> int:
    """How many units at ``levels`` have a boundary (the NULL test reads no geometry)."""
    u = units
    query = sa.select(sa.func.count()).select_from(u).where(u.c.boundary.is_not(None))
    if levels is not None:
        query = query.where(u.c.level.in_(sorted(set(levels))))
    return int(conn.execute(query).scalar_one())


def unit_trend(conn: Connection, unit: str, framework_id: str | None, levels: Sequence[str]) -> list[Row]:
    """A unit's scores at ``levels`` in every run of the framework, oldest period first.

    Each period counts once: its newest run (runs are the periods a trend is drawn over).
    """
    res, r, f = evaluation_results, evaluation_runs, framework_versions
    query = (
        sa.select(r.c.id.label("run_id"), r.c.period, res.c.code, res.c.level, res.c.score, res.c.raw_value)
        .select_from(res.join(r, r.c.id == res.c.run_id).join(f, f.c.id == r.c.framework_version_id))
        .where(res.c.unit_code == unit, res.c.level.in_(list(levels)))
    )
    if framework_id is not None:
        query = query.where(f.c.framework_id == framework_id)
    rows = _dicts(conn.execute(query.order_by(r.c.period, r.c.id)))
    newest = {row["period"]: row["run_id"] for row in rows}
    return [row for row in rows if newest[row["period"]] == row["run_id"]]


def node_trend(conn: Connection, code: str, unit: str, framework_id: str | None) -> list[Row]:
    """One node's score for one unit in every run of the framework (newest run per period)."""
    res, r, f = evaluation_results, evaluation_runs, framework_versions
    query = (
        sa.select(r.c.id.label("run_id"), r.c.period, res.c.score, res.c.raw_value, res.c.rank)
        .select_from(res.join(r, r.c.id == res.c.run_id).join(f, f.c.id == r.c.framework_version_id))
        .where(res.c.unit_code == unit, res.c.code == code)
    )
    if framework_id is not None:
        query = query.where(f.c.framework_id == framework_id)
    rows = _dicts(conn.execute(query.order_by(r.c.period, r.c.id)))
    newest = {row["period"]: row["run_id"] for row in rows}
    return [row for row in rows if newest[row["period"]] == row["run_id"]]


def child_units(conn: Connection, parent: str) -> list[Row]:
    """The units whose parent is ``parent`` (e.g. a city's districts and counties)."""
    u = units
    query = sa.select(u.c.code, u.c.name_zh, u.c.name_en, u.c.level).where(u.c.parent_code == parent)
    return _dicts(conn.execute(query.order_by(u.c.code)))


def latest_values(conn: Connection, unit_codes: Sequence[str], up_to: str) -> list[Row]:
    """Each unit's newest value of each indicator in a period up to ``up_to`` (one GROUP BY)."""
    if not unit_codes:
        return []
    v = indicator_values
    newest = (
        sa.select(v.c.unit_code, v.c.indicator_id, sa.func.max(v.c.period).label("period"))
        .where(v.c.unit_code.in_(list(unit_codes)), v.c.period <= up_to)
        .group_by(v.c.unit_code, v.c.indicator_id)
        .subquery()
    )
    query = sa.select(v.c.unit_code, v.c.indicator_id, v.c.period, v.c.value, v.c.batch_id).join(
        newest, sa.and_(v.c.unit_code == newest.c.unit_code, v.c.indicator_id == newest.c.indicator_id,
                        v.c.period == newest.c.period))
    return _dicts(conn.execute(query.order_by(v.c.unit_code, v.c.indicator_id)))
