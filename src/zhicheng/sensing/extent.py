"""A Datastream's ``observedArea``: the bounding box of its Observations' FeaturesOfInterest.

Kept up to date as Observations come in: a FeatureOfInterest already inside the stored area
changes nothing (and is remembered, so that one-reading-per-request ingest pays no query for it);
a new one widens the area to the bounding box of both. Deleting Observations does not shrink it.
The area is GeoJSON: a Point when every feature is the same point, else a Polygon (the box); a
MultiDatastream's is always a Polygon.

References
----------
OGC 18-088 §8.2.4, Table 10: ``observedArea`` — "the spatial bounding box of the spatial extent
of all FeaturesOfInterest that belong to the Observations associated with this Datastream".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from zhicheng.sensing.geometry import shape_of
from zhicheng.store import schema_sensing as s

#: (store URL and table, Datastream, FeatureOfInterest) pairs known to lie inside the stored area.
_INSIDE: set[tuple[str, int, int]] = set()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _box(geoms: list[Any], polygon: bool = False) -> dict[str, Any] | None:
    import shapely
    from shapely.geometry import mapping

    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return None
    union = shapely.union_all(geoms)
    if polygon:  # always the box as a Polygon (degenerate for one point)
        x0, y0, x1, y1 = (float(v) for v in union.bounds)
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}
    envelope = union.envelope
    doc: dict[str, Any] = dict(mapping(envelope))
    return json.loads(json.dumps(doc))  # tuples → lists, plain JSON


def widen(
    conn: sa.Connection, pairs: Iterable[tuple[int, int]], table: sa.Table | None = None
) -> None:
    """Make each Datastream's ``observedArea`` cover the FeatureOfInterest of each (ds, foi) pair.

    ``table``: the MultiDatastreams table, whose ``observedArea`` is always a Polygon (the
    extension declares it so; one point gives a degenerate box).
    """
    ds_t = s.sta_datastreams if table is None else table
    url = f"{conn.engine.url}#{ds_t.name}"
    fresh = {(ds, foi) for ds, foi in pairs if (url, ds, foi) not in _INSIDE}
    if not fresh:
        return
    foi_t = s.sta_features_of_interest
    features = {
        r.id: shape_of(_text(r.feature) or "")
        for r in conn.execute(
            sa.select(foi_t.c.id, foi_t.c.feature).where(foi_t.c.id.in_({f for _, f in fresh}))
        )
    }
    by_ds: dict[int, list[int]] = {}
    for ds, foi in fresh:
        by_ds.setdefault(ds, []).append(foi)
    areas = {
        r.id: r.observed_area
        for r in conn.execute(
            sa.select(ds_t.c.id, ds_t.c.observed_area).where(ds_t.c.id.in_(list(by_ds)))
        )
    }
    for ds, fois in by_ds.items():
        current = shape_of(_text(areas.get(ds)) or "") if areas.get(ds) is not None else None
        new = [features.get(f) for f in fois]
        if current is not None and all(g is None or current.covers(g) for g in new):
            _INSIDE.update((url, ds, f) for f in fois)
            continue
        area = _box([current, *new], polygon=table is not None)
        if area is not None:
            conn.execute(sa.update(ds_t).where(ds_t.c.id == ds).values(observed_area=area))
    if len(_INSIDE) > 100_000:
        _INSIDE.clear()
