"""Unit boundaries from the store as one GeoJSON FeatureCollection for the cockpit's map.

The map is drawn offline from these boundaries (no tiles). Coordinates are snapped to a grid of
1/:data:`GRID_CELLS` of the map's extent and repeated points dropped: on a wall screen a map is at
most a few thousand pixels wide, so the outlines look the same while prefecture-level boundaries
shrink several-fold (and grid cells of one district keep their detail, the grid being finer).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

#: Grid cells across the map's larger side: finer than the pixels of the map's card on any screen.
GRID_CELLS = 500


def _polygons(geometry: Any) -> list[Any]:
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry.get("coordinates") or []]
    if kind == "MultiPolygon":
        return list(geometry.get("coordinates") or [])
    return []


def _snap(ring: Any, step: float, decimals: int) -> list[list[float]]:
    """One ring snapped to the grid, consecutive duplicates removed; empty when it collapses."""
    arr = np.asarray(ring, dtype=float).reshape(-1, 2)
    arr = np.round(np.round(arr / step) * step, decimals)
    if len(arr) > 1:
        keep = np.ones(len(arr), dtype=bool)
        keep[1:] = np.any(arr[1:] != arr[:-1], axis=1)
        arr = arr[keep]
    if len(arr) < 4:  # a closed ring needs three corners and the closing point
        return []
    out: list[list[float]] = arr.tolist()
    return out


def _extent(shapes: list[list[Any]]) -> float:
    lo = np.array([np.inf, np.inf])
    hi = -lo
    for polygons in shapes:
        for polygon in polygons:
            if polygon:
                outer = np.asarray(polygon[0], dtype=float).reshape(-1, 2)
                lo = np.minimum(lo, outer.min(axis=0))
                hi = np.maximum(hi, outer.max(axis=0))
    size = float(np.max(hi - lo)) if np.all(np.isfinite(lo)) else 0.0
    return size if size > 0 else 1.0


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Boundary rows ``(code, name_zh, name_en, boundary)`` as a FeatureCollection keyed by code.

    Geometries are MultiPolygons snapped to the grid; rows without a readable polygon are skipped.
    """
    shapes: list[list[Any]] = []
    kept: list[dict[str, Any]] = []
    for row in rows:
        try:
            polygons = _polygons(json.loads(row["boundary"]))
        except (TypeError, ValueError):
            continue
        if polygons:
            shapes.append(polygons)
            kept.append(row)
    step = _extent(shapes) / GRID_CELLS
    decimals = max(0, math.ceil(-math.log10(step)) + 1)
    features = []
    for row, polygons in zip(kept, shapes, strict=True):
        out = []
        for polygon in polygons:
            rings = [r for r in (_snap(ring, step, decimals) for ring in polygon) if r]
            if rings:
                out.append(rings)
        if out:
            features.append({
                "type": "Feature",
                "properties": {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"]},
                "geometry": {"type": "MultiPolygon", "coordinates": out},
            })
    return {"type": "FeatureCollection", "features": features}
