"""Unit boundaries from the store as one GeoJSON FeatureCollection for the cockpit's map.

The map is drawn offline from these boundaries (no tiles). When the units tile the plane without
gaps or overlaps (a valid polygonal coverage, as administrative divisions do), they are first
simplified together (``shapely.coverage_simplify``, GEOS' Visvalingam–Whyatt coverage
simplifier) to half a grid cell, so neighbours keep one shared border; then coordinates are
snapped to a grid of 1/:data:`GRID_CELLS` of the map's extent and repeated and collinear points
dropped. On a wall screen a map is at most a few thousand pixels wide, so the outlines look the
same while the boundaries shrink about fifteenfold (the demo's 368 prefecture-level units from
192k points to 13k) and the browser draws the map in a fraction of the time. Grid cells of one
district keep their detail, the grid being finer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

#: Grid cells across the map's larger side: finer than the pixels of the map's card on any screen.
GRID_CELLS = 500


def _polygons(geometry: Any) -> list[Any]:
    """The polygons of a (Multi)Polygon mapping, each a list of rings."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry.get("coordinates") or []]
    if kind == "MultiPolygon":
        return list(geometry.get("coordinates") or [])
    return []


def _snap(ring: Any, step: float, decimals: int) -> list[list[float]]:
    """One ring snapped to the grid, repeated and collinear points removed; empty when it collapses.

    Works on whole grid cells (integers), so "collinear" is exact: a point in the middle of a
    straight run is dropped from both neighbours that share the run.
    """
    cells = np.round(np.asarray(ring, dtype=float).reshape(-1, 2) / step).astype(np.int64)
    if len(cells) > 1:
        keep = np.ones(len(cells), dtype=bool)
        keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
        cells = cells[keep]
    if len(cells) >= 4 and (cells[0] == cells[-1]).all():
        inner = cells[:-1]  # the open ring: the closing point comes back at the end
        before, after = np.roll(inner, 1, axis=0), np.roll(inner, -1, axis=0)
        d1, d2 = inner - before, after - inner
        turns = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0] != 0
        inner = inner[turns]
        cells = np.vstack([inner, inner[:1]])
    if len(cells) < 4:  # a closed ring needs three corners and the closing point
        return []
    out: list[list[float]] = np.round(cells * step, decimals).tolist()
    return out


def _read(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The rows whose boundary is a readable, non-empty (Multi)Polygon, and those geometries.

    A boundary is GeoJSON text, a geometry or a Feature; unreadable text is skipped.
    """
    texts = [row["boundary"] if isinstance(row["boundary"], str | bytes) else "null" for row in rows]
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)  # Polygon, MultiPolygon
    return [row for row, ok in zip(rows, polygonal, strict=True) if ok], geoms[polygonal]


def _coverage_simplified(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """``geoms`` simplified together when they form a valid coverage, else as given.

    A set that is not a coverage (overlaps, gaps inside, invalid rings) is left as it is:
    simplifying its members one by one would open slivers between neighbours.
    """
    if len(geoms) == 0 or not shapely.is_valid(geoms).all() or not shapely.coverage_is_valid(geoms):
        return geoms
    try:
        return np.asarray(shapely.coverage_simplify(geoms, tolerance))
    except shapely.errors.GEOSException:
        return geoms


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Boundary rows ``(code, name_zh, name_en, boundary)`` as a FeatureCollection keyed by code.

    Geometries are MultiPolygons, simplified as a coverage and snapped to the grid; rows without a
    readable polygon are skipped.
    """
    kept, geoms = _read(rows)
    if not kept:
        return {"type": "FeatureCollection", "features": []}
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    size = float(max(xmax - xmin, ymax - ymin))
    step = (size if size > 0 else 1.0) / GRID_CELLS
    decimals = max(0, math.ceil(-math.log10(step)) + 1)
    features = []
    for row, geom in zip(kept, _coverage_simplified(geoms, step / 2), strict=True):
        out = []
        for polygon in _polygons(mapping(geom)):
            rings = [_snap(ring, step, decimals) for ring in polygon]
            if rings and rings[0]:  # a polygon whose outline collapses is dropped, holes and all
                out.append([r for r in rings if r])
        if out:
            features.append({
                "type": "Feature",
                "properties": {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"]},
                "geometry": {"type": "MultiPolygon", "coordinates": out},
            })
    return {"type": "FeatureCollection", "features": features}
