"""Grid cells of city management (网格化): a city's own grid file, else H3 hexagons; per-cell statistics.

A city that has divided itself into management grid cells loads them from a file (GeoJSON
features or CSV with WKT polygons, each with a code, a name and its parent unit): they become
units of level ``grid`` and an event's cell is the one whose polygon holds it (none outside them).
While no own grid is loaded, an event's cell is the H3 hexagon (Uber H3, the ``h3`` library) at the configured
resolution (``ZHICHENG_GRID_H3_RESOLUTION``, default 8: cells of about 0.74 km²); H3 cells are
stored as units too (code ``H3-<index>``, level ``grid``, boundary the hexagon, parent the city
named by ``ZHICHENG_GRID_CITY`` or by the caller), so events keep a foreign key to a real unit.

Per-cell statistics (:func:`grid_statistics`): volume, open and overdue events, closure within the
SLA (D2.R1.I1's formula per cell), mean handling time, and repeat locations (places reported more
than once: the same point to 1e-4° ≈ 11 m, or reports linked as duplicates).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.errors import EventError
from zhicheng.events.geo import load_grid_cells
from zhicheng.settings import Settings
from zhicheng.store.schema import units
from zhicheng.store.schema_events import events

H3_PREFIX = "H3-"
#: Resolution of H3 cells when the settings name none (edge ≈ 461 m, area ≈ 0.74 km²).
DEFAULT_H3_RESOLUTION = 8
#: Two reports are at one place when their coordinates agree to this many decimals (≈ 11 m).
REPEAT_DECIMALS = 4


def h3_code(cell: str) -> str:
    """The unit code of H3 cell ``cell`` (``H3-88283082b9fffff``)."""
    return f"{H3_PREFIX}{cell}"


def h3_cells(lon: Any, lat: Any, resolution: int) -> list[str]:
    """Unit codes of the H3 cells holding each point (lon, lat in degrees, WGS 84).

    References
    ----------
    Uber Technologies, H3: a hexagonal hierarchical geospatial indexing system, v4 API
    (``latlng_to_cell``), h3geo.org/docs.
    """
    import h3

    lons = np.atleast_1d(np.asarray(lon, dtype=float))
    lats = np.atleast_1d(np.asarray(lat, dtype=float))
    return [h3_code(h3.latlng_to_cell(float(y), float(x), resolution)) for x, y in zip(lons, lats, strict=True)]


def h3_unit(code: str, parent: str | None) -> dict[str, Any]:
    """The ``units`` row of an H3 cell: its hexagon as a GeoJSON Polygon [lon, lat] and its centre."""
    import h3

    cell = code.removeprefix(H3_PREFIX)
    ring = [[round(lng, 7), round(lat, 7)] for lat, lng in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    lat, lng = h3.cell_to_latlng(cell)
    return {
        "code": code, "name_zh": f"H3 网格 {cell}", "name_en": f"H3 cell {cell}", "level": "grid",
        "parent_code": parent, "group_name": f"H3 r{h3.get_resolution(cell)}",
        "boundary": json.dumps({"type": "Polygon", "coordinates": [ring]}), "lon": lng, "lat": lat,
    }


def _grid_parent(conn: sa.Connection, city: str | None) -> str | None:
    city = city or Settings().grid_city
    if city is None:
        return None
    found = conn.execute(sa.select(units.c.code).where(units.c.code == city)).scalar()
    return str(found) if found is not None else None


def assign_cells(
    conn: sa.Connection, lon: Sequence[float] | Any, lat: Sequence[float] | Any,
    city: str | None = None, resolution: int | None = None,
) -> list[str | None]:
    """Grid cell of each point: the own cell holding it when a grid is loaded, else its H3 cell.

    Points with a missing coordinate (or at exactly 0°, 0°) get None. New H3 cells are inserted into ``units`` under
    ``city`` (or ``ZHICHENG_GRID_CITY``) in the caller's transaction.
    """
    lons = np.atleast_1d(np.asarray(lon, dtype=float))
    lats = np.atleast_1d(np.asarray(lat, dtype=float))
    out: list[str | None] = [None] * len(lons)
    # (0, 0) is how some exports write an unknown place (LA 311 among them): no cell for it.
    ok = np.isfinite(lons) & np.isfinite(lats) & ~((lons == 0) & (lats == 0))
    if not ok.any():
        return out
    own = load_grid_cells(conn)
    idx = np.flatnonzero(ok)
    if own.codes:
        for i, f in zip(idx, own.locate(lons[idx], lats[idx]), strict=True):
            out[int(i)] = f
        return out
    rest: list[int] = [int(i) for i in idx]
    if rest:
        res = resolution if resolution is not None else Settings().grid_h3_resolution
        codes = h3_cells(lons[rest], lats[rest], res)
        for k, code in zip(rest, codes, strict=True):
            out[k] = code
        _store_h3_units(conn, sorted(set(codes)), _grid_parent(conn, city))
    return out


def _store_h3_units(conn: sa.Connection, codes: list[str], parent: str | None) -> None:
    have: set[str] = set()
    for start in range(0, len(codes), 900):
        part = codes[start:start + 900]
        have.update(conn.execute(sa.select(units.c.code).where(units.c.code.in_(part))).scalars())
    new = [h3_unit(c, parent) for c in codes if c not in have]
    if new:
        conn.execute(units.insert(), new)


def assign_missing_cells(engine: Engine, city: str | None = None, resolution: int | None = None,
                         where: sa.ColumnElement[bool] | None = None) -> int:
    """Give every located event without a grid cell its cell (one transaction); how many were set.

    ``where`` narrows the events (e.g. one city's replayed files). Running it again changes nothing.
    """
    cond = sa.and_(events.c.grid_code.is_(None), events.c.lat.is_not(None), events.c.lon.is_not(None))
    if where is not None:
        cond = sa.and_(cond, where)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(events.c.id, events.c.lon, events.c.lat).where(cond)).all()
        if not rows:
            return 0
        frame = pd.DataFrame(rows, columns=["id", "lon", "lat"])
        frame["grid_code"] = assign_cells(conn, frame["lon"].to_numpy(), frame["lat"].to_numpy(), city, resolution)
        frame = frame.dropna(subset=["grid_code"])
        stmt = events.update().where(events.c.id == sa.bindparam("_id")).values(grid_code=sa.bindparam("_grid"))
        conn.execute(stmt, [{"_id": int(i), "_grid": g} for i, g in zip(frame["id"], frame["grid_code"], strict=True)])
    return len(frame)


# --------------------------------------------------------------------------- a city's own grid file


@dataclass(frozen=True)
class GridCell:
    """One cell of a city's own grid: code, names, parent unit and polygon (GeoJSON, lon/lat)."""

    code: str
    name_zh: str
    name_en: str | None
    parent_code: str | None
    boundary: dict[str, Any]


def _polygonal(geometry: Any) -> bool:
    return isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon")


def _cell_from_properties(props: dict[str, Any], geometry: Any, file: str, row: int,
                          problems: list[Problem]) -> GridCell | None:
    code = str(props.get("code") or "").strip()
    name = str(props.get("name_zh") or props.get("name") or "").strip()
    if not code:
        problems.append(Problem("a grid cell needs a code", file, row, "code"))
    if not _polygonal(geometry):
        problems.append(Problem("a grid cell needs a Polygon or MultiPolygon", file, row, "geometry"))
    if not code or not _polygonal(geometry):
        return None
    if code.startswith(H3_PREFIX):
        problems.append(Problem(f"codes starting with {H3_PREFIX} are kept for H3 cells", file, row, "code"))
    parent = str(props.get("parent") or props.get("parent_code") or "").strip() or None
    return GridCell(code, name or code, props.get("name_en") or None, parent, geometry)


def _wkt_geometry(text: str) -> Any:
    from shapely import wkt
    from shapely.geometry import mapping

    try:
        return json.loads(json.dumps(mapping(wkt.loads(text))))
    except Exception:  # shapely raises its own GEOSException family on bad WKT
        return None


def parse_grid_file(path: str | Path) -> list[GridCell]:
    """Read a city's grid file; :class:`EventError` lists every problem, located.

    GeoJSON FeatureCollection (properties ``code``, ``name``/``name_zh``, ``name_en``,
    ``parent``) or CSV (columns ``code, name, parent, wkt``).
    """
    p = Path(path)
    file = p.name
    text = p.read_text(encoding="utf-8-sig")
    problems: list[Problem] = []
    cells: list[GridCell | None] = []
    if p.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise EventError(problems=[Problem(f"not valid JSON: {exc}", file)]) from None
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list):
            raise EventError(problems=[Problem("a GeoJSON FeatureCollection is expected", file)])
        for i, f in enumerate(features, start=1):
            f = f if isinstance(f, dict) else {}
            cells.append(_cell_from_properties(f.get("properties") or {}, f.get("geometry"), file, i, problems))
    else:
        reader = csv.DictReader(io.StringIO(text))
        for i, r in enumerate(reader, start=2):
            geometry = _wkt_geometry(r.get("wkt") or "")
            cells.append(_cell_from_properties(r, geometry, file, i, problems))
    found = [c for c in cells if c is not None]
    seen: set[str] = set()
    for i, c in enumerate(found, start=1):
        if c.code in seen:
            problems.append(Problem(f"grid cell {c.code!r} appears twice", file, i, "code"))
        seen.add(c.code)
    if not found and not problems:
        problems.append(Problem("the file has no grid cells", file))
    if problems:
        raise EventError(f"{file}: {len(problems)} problem(s)", problems)
    return found


def load_grid(engine: Engine, path: str | Path, city: str | None = None) -> int:
    """Store a city's own grid cells as units (level ``grid``), replacing earlier versions of them.

    A cell's parent is its ``parent`` in the file (a unit of the store or another cell of the
    file), else ``city``. Returns how many cells were stored; nothing is written on a problem.
    """
    cells = parse_grid_file(path)
    file = Path(path).name
    with engine.begin() as conn:
        known = set(conn.execute(sa.select(units.c.code)).scalars())
        codes = {c.code for c in cells}
        problems = [Problem(f"parent {c.parent_code!r} of {c.code!r} is neither a unit nor a cell of the file",
                            file, None, "parent")
                    for c in cells if c.parent_code and c.parent_code not in known | codes]
        if city and city not in known:
            problems.append(Problem(f"city {city!r} is not a unit of the store", file, None, "city"))
        if problems:
            raise EventError(f"{file}: {len(problems)} problem(s)", problems)
        # Parents first: cells whose parent is another cell come after it.
        ordered = sorted(cells, key=lambda c: c.parent_code in codes)
        for c in ordered:
            row = {"name_zh": c.name_zh, "name_en": c.name_en, "level": "grid",
                   "parent_code": c.parent_code or city, "group_name": f"grid:{file}",
                   "boundary": json.dumps(c.boundary, ensure_ascii=False)}
            if c.code in known:
                conn.execute(units.update().where(units.c.code == c.code).values(**row))
            else:
                conn.execute(units.insert().values(code=c.code, **row))
    return len(cells)


# --------------------------------------------------------------------------- per-cell statistics

GRID_COLUMNS = ("grid_code", "events", "open", "overdue", "closed_timed", "closed_within_sla",
                "closed_within_sla_pct", "mean_hours", "repeat_locations", "repeat_events", "lon", "lat")


def grid_statistics(engine: Engine, start: datetime | None = None, end: datetime | None = None,
                    service_code: str | None = None) -> pd.DataFrame:
    """Statistics per grid cell of the events requested in [start, end) (one row per cell).

    Columns: events (volume), open, overdue, closed_timed, closed_within_sla,
    closed_within_sla_pct [%], mean_hours [h], repeat_locations (places with ≥ 2 reports),
    repeat_events (reports at such a place or linked as a duplicate), lon/lat of the cell centre.

    References
    ----------
    Goal model D2.R1.I1 (事件按时办结率) and D2.R1.I2 (事件平均处置时长), per cell; the grid
    management practice of GB/T 30428.1-2013 (数字化城市管理信息系统 第1部分: 单元网格).
    """
    from zhicheng.events.service import utc
    from zhicheng.events.stats import _hours_between
    from zhicheng.events.workflow import OPEN_STATES

    start = utc(start) if start is not None else None
    end = utc(end) if end is not None else None

    with engine.connect() as conn:
        closed = events.c.status == "closed"
        stmt = sa.select(
            events.c.grid_code, events.c.status, events.c.lat, events.c.lon, events.c.duplicate_of,
            sa.case((closed, _hours_between(conn, events.c.requested_at, events.c.closed_at)), else_=None).label("hours"),
            sa.case((sa.and_(closed, events.c.closed_at <= events.c.expected_at), 1), else_=0).label("on_time"),
        ).where(events.c.grid_code.is_not(None))
        if start is not None:
            stmt = stmt.where(events.c.requested_at >= start)
        if end is not None:
            stmt = stmt.where(events.c.requested_at < end)
        if service_code:
            stmt = stmt.where(events.c.service_code == service_code)
        frame = pd.DataFrame(conn.execute(stmt).all(),
                             columns=["grid_code", "status", "lat", "lon", "duplicate_of", "hours", "on_time"])
        centres = pd.DataFrame(conn.execute(sa.select(units.c.code, units.c.lon, units.c.lat).where(
            units.c.code.in_(sorted(set(frame["grid_code"]))))).all(), columns=["grid_code", "lon", "lat"])
    if frame.empty:
        return pd.DataFrame(columns=list(GRID_COLUMNS))
    frame["hours"] = pd.to_numeric(frame["hours"], errors="coerce")
    place = frame["lat"].round(REPEAT_DECIMALS).astype(str) + "," + frame["lon"].round(REPEAT_DECIMALS).astype(str)
    frame["_place"] = place.where(frame["lat"].notna())
    per_place = frame.groupby(["grid_code", "_place"]).size()
    repeated = per_place[per_place >= 2]
    frame["_repeat"] = frame.set_index(["grid_code", "_place"]).index.isin(repeated.index) | frame["duplicate_of"].notna()
    frame["_open"] = frame["status"].isin(OPEN_STATES)
    frame["_timed"] = (frame["status"] == "closed") & frame["hours"].notna()
    g = frame.groupby("grid_code")
    out = pd.DataFrame({
        "events": g.size(), "open": g["_open"].sum(), "closed_timed": g["_timed"].sum(),
        "closed_within_sla": g["on_time"].sum(), "mean_hours": g["hours"].mean(),
        "repeat_events": g["_repeat"].sum(),
    })
    out["repeat_locations"] = repeated.groupby(level=0).size().reindex(out.index).fillna(0).astype(int)
    from zhicheng.events.service import now_utc

    now = now_utc()
    with engine.connect() as conn:
        late = sa.and_(events.c.status.in_(OPEN_STATES), events.c.expected_at < now, events.c.grid_code.is_not(None))
        overdue: dict[str, int] = dict(conn.execute(sa.select(events.c.grid_code, sa.func.count()).where(late)
                                    .group_by(events.c.grid_code)).all())
    out["overdue"] = [int(overdue.get(c, 0)) for c in out.index]
    timed = out["closed_timed"].astype(float)
    out["closed_within_sla_pct"] = (100.0 * out["closed_within_sla"] / timed.where(timed > 0)).astype(float)
    out = out.reset_index().merge(centres, on="grid_code", how="left")
    for col in ("events", "open", "closed_timed", "closed_within_sla", "repeat_events"):
        out[col] = out[col].astype(int)
    return out[list(GRID_COLUMNS)].sort_values("events", ascending=False, ignore_index=True)


def grid_features(engine: Engine, stats: pd.DataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the cells in ``stats`` with their statistics as properties."""
    codes = [str(c) for c in stats["grid_code"]]
    with engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(sa.select(units.c.code, units.c.name_zh, units.c.name_en,
                                                          units.c.parent_code, units.c.boundary)
                                                .where(units.c.code.in_(codes)))}
    features = []
    for rec in stats.to_dict("records"):
        r = rows.get(rec["grid_code"])
        if r is None or not r.boundary:
            continue
        props = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        props.update(name_zh=r.name_zh, name_en=r.name_en, parent_code=r.parent_code,
                     kind="h3" if str(r.code).startswith(H3_PREFIX) else "own")
        features.append({"type": "Feature", "id": r.code, "geometry": json.loads(r.boundary), "properties": props})
    return {"type": "FeatureCollection", "features": features}
