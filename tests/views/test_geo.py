"""The map's boundaries: simplified as one coverage (shared borders stay shared), then snapped.

Synthetic shapes only (labelled so): two neighbours sharing a wiggly border, an overlapping pair,
and rows that are not polygons.
"""

from __future__ import annotations

import json

import numpy as np
import shapely
from shapely.geometry import shape

from zhicheng.views import geo


def _row(code: str, geometry: dict[str, object] | str | None) -> dict[str, object]:
    text = geometry if isinstance(geometry, str) or geometry is None else json.dumps(geometry)
    return {"code": code, "name_zh": code, "name_en": code, "boundary": text}


def _neighbours(points: int = 2000, wiggle: float = 0.001) -> tuple[dict[str, object], dict[str, object]]:
    """Two 10° × 10° cells (synthetic) sharing the meridian x = 10 as a border that wiggles by
    ``wiggle`` degrees (the default is far under a grid cell, 0.04°)."""
    ys = np.linspace(0.0, 10.0, points)
    border = np.column_stack([10.0 + wiggle * np.sin(ys * 40), ys])
    west = [[0.0, 0.0], *border.tolist(), [0.0, 10.0], [0.0, 0.0]]
    east = [*border.tolist(), [20.0, 10.0], [20.0, 0.0], border[0].tolist()]
    return ({"type": "Polygon", "coordinates": [west]}, {"type": "Polygon", "coordinates": [east]})


def test_neighbours_are_simplified_together_and_keep_one_border() -> None:
    west, east = _neighbours()
    served = geo.feature_collection([_row("W", west), _row("E", east)])
    shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in served["features"]}
    points = sum(shapely.get_num_coordinates(g) for g in shapes.values())
    assert points < 40  # from 4,008: the wiggle is far under half a grid cell
    # One shared border: no gap and no overlap between the two (areas in square degrees).
    assert shapes["W"].intersection(shapes["E"]).area == 0.0
    assert abs(shapes["W"].union(shapes["E"]).area - 200.0) < 1e-9
    assert abs(shapes["W"].area - 100.0) < 0.05 and abs(shapes["E"].area - 100.0) < 0.05


def test_shapes_that_are_not_a_coverage_are_snapped_only() -> None:
    west, _ = _neighbours(400, wiggle=0.05)
    overlapping = {"type": "Polygon", "coordinates": [[[5.0, 0.0], [15.0, 0.0], [15.0, 10.0], [5.0, 10.0], [5.0, 0.0]]]}
    served = geo.feature_collection([_row("W", west), _row("O", overlapping)])
    kept = {f["properties"]["code"]: f["geometry"]["coordinates"] for f in served["features"]}
    # Not simplified (that would open slivers between overlapping shapes): only snapped, to a
    # grid of 15° / GRID_CELLS, the two shapes' extent.
    step = 15.0 / geo.GRID_CELLS
    assert kept["W"] == [[geo._snap(west["coordinates"][0], step, 3)]]  # type: ignore[index]
    assert shape({"type": "MultiPolygon", "coordinates": kept["W"]}).intersection(
        shape({"type": "MultiPolygon", "coordinates": kept["O"]})).area > 40  # the overlap stays


def test_rows_without_a_readable_polygon_are_skipped() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    feature = {"type": "Feature", "properties": {}, "geometry": square}
    rows = [_row("text", "not json"), _row("none", None), _row("point", {"type": "Point", "coordinates": [1, 2]}),
            _row("feature", feature), _row("plain", square)]
    served = geo.feature_collection(rows)
    assert [f["properties"]["code"] for f in served["features"]] == ["feature", "plain"]
    assert served["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert geo.feature_collection([]) == {"type": "FeatureCollection", "features": []}
