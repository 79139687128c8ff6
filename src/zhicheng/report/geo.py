"""Unit boundaries from the store as one GeoJSON FeatureCollection for the cockpit's map.

The map is drawn offline from these boundaries (no tiles). Coordinates are rounded to a fixed grid
and repeated points dropped, which shrinks prefecture outlines several-fold while staying well
below a screen pixel at city scale.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

#: Decimal places kept [degrees]: 0.001° is about 100 m, far below a pixel of a city map.
DECIMALS = 3


def _ring(coords: Any) -> list[list[float]]:
    """One linear ring rounded to the grid, consecutive duplicates removed (closed ring kept)."""
    arr = np.round(np.asarray(coords, dtype=float).reshape(-1, 2), DECIMALS)
    if len(arr) > 1:
        keep = np.ones(len(arr), dtype=bool)
        keep[1:] = np.any(arr[1:] != arr[:-1], axis=1)
        arr = arr[keep]
    if len(arr) < 4:  # too small to draw at this precision
        return []
    out: list[list[float]] = arr.tolist()
    return out


def simplify(geometry: dict[str, Any]) -> dict[str, Any] | None:
    """A Polygon or MultiPolygon rounded to the grid; None for other or degenerate geometries."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry.get("coordinates") or []]
    elif kind == "MultiPolygon":
        polygons = geometry.get("coordinates") or []
    else:
        return None
    out = []
    for polygon in polygons:
        rings = [r for r in (_ring(ring) for ring in polygon) if r]
        if rings:
            out.append(rings)
    if not out:
        return None
    return {"type": "MultiPolygon", "coordinates": out}


def feature_collection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Boundary rows ``(code, name_zh, name_en, boundary)`` as a FeatureCollection keyed by code."""
    features = []
    for row in rows:
        try:
            geometry = json.loads(row["boundary"])
        except (TypeError, ValueError):
            continue
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry") or {}
        shape = simplify(geometry) if isinstance(geometry, dict) else None
        if shape is None:
            continue
        features.append({
            "type": "Feature",
            "properties": {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"]},
            "geometry": shape,
        })
    return {"type": "FeatureCollection", "features": features}
