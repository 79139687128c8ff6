"""Geometry for events: great-circle distances and grid cells by point-in-polygon (numpy).

Grid cells are rows of ``units`` with level ``grid`` and a GeoJSON ``boundary`` (Polygon or
MultiPolygon, lon/lat). Containment uses the even-odd ray-casting rule, vectorised over points
and edges, so holes and multi-part cells are handled by the same crossing count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.store.schema import units

#: Mean Earth radius [m] (IUGG R1), as used for haversine distances.
EARTH_RADIUS_M = 6_371_008.8
FloatArray = npt.NDArray[np.float64]


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Great-circle distance between points [m].

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Latitudes and longitudes [degrees, WGS 84]; scalars or arrays that broadcast.

    Returns
    -------
    numpy.ndarray
        Distance [m] on a sphere of radius :data:`EARTH_RADIUS_M`.

    References
    ----------
    R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984);
    IUGG mean Earth radius R1 = 6 371 008.8 m (Moritz, Geodetic Reference System 1980).
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


@dataclass(frozen=True)
class GridCells:
    """Every grid cell's edges in flat arrays: edge k runs (x0[k], y0[k]) → (x1[k], y1[k])."""

    codes: tuple[str, ...]
    x0: FloatArray
    y0: FloatArray
    x1: FloatArray
    y1: FloatArray
    #: Index into ``codes`` of each edge's cell.
    owner: npt.NDArray[np.int64]

    def locate(self, lon: Any, lat: Any) -> list[str | None]:
        """Code of the cell holding each point (first by code when cells overlap), else None."""
        return locate_points(self, np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float)))


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    if kind == "Feature":
        return _rings(geometry.get("geometry") or {})
    return []


def grid_cells_from(boundaries: list[tuple[str, str]]) -> GridCells:
    """Build :class:`GridCells` from ``(code, GeoJSON text)`` pairs; cells without rings are skipped."""
    codes: list[str] = []
    parts: list[FloatArray] = []
    owners: list[npt.NDArray[np.int64]] = []
    for code, text in sorted(boundaries):
        try:
            rings = _rings(json.loads(text))
        except (ValueError, TypeError, AttributeError):
            continue
        edges = []
        for ring in rings:
            pts = np.asarray(ring, dtype=float)
            if pts.ndim != 2 or len(pts) < 3:
                continue
            edges.append(np.column_stack([pts[:, :2], np.roll(pts[:, :2], -1, axis=0)]))
        if not edges:
            continue
        stacked = np.vstack(edges)
        parts.append(stacked)
        owners.append(np.full(len(stacked), len(codes), dtype=np.int64))
        codes.append(code)
    if not parts:
        empty = np.empty(0)
        return GridCells((), empty, empty, empty, empty, np.empty(0, dtype=np.int64))
    e = np.vstack(parts)
    return GridCells(tuple(codes), e[:, 0], e[:, 1], e[:, 2], e[:, 3], np.concatenate(owners))


def locate_points(cells: GridCells, lon: FloatArray, lat: FloatArray) -> list[str | None]:
    """Cell code for each point by the even-odd ray-casting rule (None outside every cell).

    A horizontal ray from the point towards +x crosses edge (x0, y0)–(x1, y1) when
    ``(y0 > y) != (y1 > y)`` and ``x < x0 + (y − y0)(x1 − x0)/(y1 − y0)``; an odd number of
    crossings over a cell's rings (outer and holes) means inside.

    References
    ----------
    W. R. Franklin, "PNPOLY — Point Inclusion in Polygon Test" (1970/2006), the crossing-number
    test; E. Haines, "Point in Polygon Strategies", Graphics Gems IV (1994).
    """
    n = len(lon)
    out: list[str | None] = [None] * n
    if n == 0 or not cells.codes:
        return out
    n_cells = len(cells.codes)
    dy = cells.y1 - cells.y0
    safe_dy = np.where(dy == 0, 1.0, dy)
    chunk = max(1, 4_000_000 // max(1, len(cells.x0)))
    for start in range(0, n, chunk):
        x = lon[start:start + chunk, None]
        y = lat[start:start + chunk, None]
        straddles = (cells.y0 > y) != (cells.y1 > y)
        x_cross = cells.x0 + (y - cells.y0) * (cells.x1 - cells.x0) / safe_dy
        crossings = straddles & (x < x_cross)
        counts = np.zeros((len(x), n_cells), dtype=np.int64)
        rows, edges = np.nonzero(crossings)
        np.add.at(counts, (rows, cells.owner[edges]), 1)
        inside = (counts % 2) == 1
        hit = inside.any(axis=1)
        first = inside.argmax(axis=1)
        for i in np.flatnonzero(hit):
            out[start + int(i)] = cells.codes[int(first[i])]
    return out


_CACHE: dict[tuple[str, tuple[Any, ...]], GridCells] = {}
#: A city's own cells: H3 cells (code ``H3-…``, see :mod:`zhicheng.events.grid`) are found by index.
_GRID_WHERE = (units.c.level == "grid") & units.c.boundary.is_not(None) & ~units.c.code.like("H3-%")
#: A cheap fingerprint of the grid cells: the cache is rebuilt when it changes.
_GRID_STAMP = sa.select(
    sa.func.count(), sa.func.max(units.c.code), sa.func.sum(sa.func.length(units.c.boundary))
).where(_GRID_WHERE)
_GRID_ROWS = sa.select(units.c.code, units.c.boundary).where(_GRID_WHERE)


def load_grid_cells(conn: sa.Connection) -> GridCells:
    """The store's grid cells (units of level ``grid`` with a boundary), cached until they change."""
    stamp = conn.execute(_GRID_STAMP).one()
    key = (str(conn.engine.url), tuple(stamp))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    rows = conn.execute(_GRID_ROWS).all()
    cells = grid_cells_from([(r.code, r.boundary) for r in rows])
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = cells
    return cells


def grid_for_point(engine: Engine | sa.Connection, lon: float, lat: float) -> str | None:
    """Code of the grid cell holding (lon, lat), or None."""
    if isinstance(engine, sa.Connection):
        return load_grid_cells(engine).locate(lon, lat)[0]
    with engine.connect() as conn:
        return load_grid_cells(conn).locate(lon, lat)[0]
