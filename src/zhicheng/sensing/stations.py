"""The station behind a Datastream: its name, the pollutant it measures and where it stands."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zhicheng.store import schema_sensing as s


def datastream_station(conn: sa.Connection, datastream_id: int) -> dict[str, Any] | None:
    """Station (Thing) name, pollutant (ObservedProperty) and point of a Datastream; None if unknown.

    The name is the Thing's ``properties.name_zh`` when it has one, else its name; ``lon`` and
    ``lat`` [degrees, WGS 84] come from the Thing's first GeoJSON Point Location (None without one).
    """
    d, t, op = s.sta_datastreams, s.sta_things, s.sta_observed_properties
    row = conn.execute(
        sa.select(t.c.id.label("thing_id"), t.c.name.label("thing"), t.c.properties, op.c.name.label("pollutant"))
        .select_from(d.join(t, t.c.id == d.c.thing_id).join(op, op.c.id == d.c.observed_property_id))
        .where(d.c.id == datastream_id)
    ).mappings().first()
    if row is None:
        return None
    props = row["properties"] or {}
    lon, lat = thing_point(conn, int(row["thing_id"]))
    return {"station": str(s.thing_name(row["thing"], props)), "pollutant": row["pollutant"],
            "lon": lon, "lat": lat}


def thing_point(conn: sa.Connection, thing_id: int) -> tuple[float | None, float | None]:
    """Longitude and latitude of the Thing's first GeoJSON Point Location."""
    tl, loc = s.sta_thing_locations, s.sta_locations
    rows = conn.execute(
        sa.select(loc.c.location).select_from(tl.join(loc, loc.c.id == tl.c.location_id))
        .where(tl.c.thing_id == thing_id).order_by(loc.c.id)
    ).scalars()
    for geometry in rows:
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) >= 2:
                return float(coords[0]), float(coords[1])
    return None, None
