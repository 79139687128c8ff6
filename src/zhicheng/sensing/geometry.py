"""Geometry for ``$filter``'s ``geo.*`` and ``st_*`` functions, by GEOS (shapely) or PostGIS.

On PostgreSQL the functions compile to PostGIS (``ST_Within(ST_GeomFromGeoJSON(…), …)``); on
SQLite they call GEOS through shapely, registered as SQL functions on each connection. Stored
geometries are GeoJSON (a geometry or a Feature); literals are WKT (``geography'POINT(1 2)'``).
Coordinates are longitude/latitude (CRS84); distances and lengths are in the units of those
coordinates [degrees], planar, as PostGIS computes them on ``geometry``.

References
----------
OGC 18-088 §9.3.3.5.2, Table 12 (geospatial functions); OGC 06-103r4 Simple Features §6.1.15
(spatial relations: equals, disjoint, touches, within, overlaps, crosses, intersects, contains,
relate); RFC 7946 (GeoJSON).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from zhicheng.sensing.errors import bad

#: Boolean relations (name in ``$filter`` → PostGIS function).
RELATIONS = {
    "st_equals": "ST_Equals",
    "st_disjoint": "ST_Disjoint",
    "st_touches": "ST_Touches",
    "st_within": "ST_Within",
    "st_overlaps": "ST_Overlaps",
    "st_crosses": "ST_Crosses",
    "st_intersects": "ST_Intersects",
    "st_contains": "ST_Contains",
    "geo.intersects": "ST_Intersects",
}
#: Functions with a number as value.
MEASURES = {"geo.distance": "ST_Distance", "geo.length": "ST_Length"}
_REGISTERED = "zhicheng.sensing.geometry"


@functools.lru_cache(maxsize=8192)
def shape_of(text: str) -> Any:
    """A shapely geometry from GeoJSON text (geometry or Feature) or WKT; None if unreadable."""
    import shapely
    from shapely.geometry import shape

    try:
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
            if isinstance(doc, dict) and doc.get("type") == "Feature":
                doc = doc.get("geometry")
            return shape(doc) if isinstance(doc, dict) else None
        return shapely.from_wkt(text)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
        return None


def check_wkt(text: str) -> str:
    """``text`` when it is readable WKT; 400 otherwise."""
    if shape_of(text) is None or text.lstrip().startswith("{"):
        raise bad(f"$filter: {text!r} is not a WKT geometry, e.g. POINT(116.4 39.9)", "$filter")
    return text


def _sqlite_geo(name: str, a: Any, b: Any = None, pattern: Any = None) -> float | int | None:
    """``zc_geo(name, a[, b[, pattern]])`` on SQLite: one relation or measure by GEOS."""
    first = shape_of(a) if isinstance(a, str) else None
    if first is None:
        return None
    if name == "geo.length":
        return float(first.length)
    second = shape_of(b) if isinstance(b, str) else None
    if second is None:
        return None
    if name == "geo.distance":
        return float(first.distance(second))
    if name == "st_relate":
        return int(bool(first.relate_pattern(second, str(pattern))))
    method = RELATIONS[name].removeprefix("ST_").lower()
    return int(bool(getattr(first, method)(second)))


def prepare(conn: sa.Connection) -> None:
    """Make the geometry functions available on ``conn`` (SQLite; PostGIS needs nothing)."""
    if conn.dialect.name != "sqlite":
        return
    record = conn.connection
    if record.info.get(_REGISTERED):
        return
    dbapi = record.dbapi_connection
    assert dbapi is not None
    dbapi.create_function("zc_geo", -1, _sqlite_geo, deterministic=True)
    record.info[_REGISTERED] = True


class GeoCall(FunctionElement[Any]):
    """A geometry function of stored GeoJSON columns and WKT literals, compiled per dialect.

    One subclass per function name (:func:`call`), so that each caches its own SQL.
    """

    inherit_cache = True
    name = "zc_geo"
    fn = "st_intersects"
    type: sa.types.TypeEngine[Any] = sa.Boolean()


class GeoMeasure(GeoCall):
    """A geometry function with a number as value (distance, length)."""

    inherit_cache = True
    type: sa.types.TypeEngine[Any] = sa.Float()


@compiles(GeoCall)
def _compile_sqlite(element: GeoCall, compiler: Any, **kw: Any) -> str:
    args = ", ".join(compiler.process(a, **kw) for a in element.clauses)
    if element.fn in MEASURES:
        return f"zc_geo('{element.fn}', {args})"
    return f"(zc_geo('{element.fn}', {args}) = 1)"


@compiles(GeoCall, "postgresql")
def _compile_postgis(element: GeoCall, compiler: Any, **kw: Any) -> str:
    args = [compiler.process(a, **kw) for a in element.clauses]
    if element.fn == "st_relate":
        return f"ST_Relate({args[0]}, {args[1]}, {args[2]})"
    pg = RELATIONS.get(element.fn) or MEASURES[element.fn]
    return f"{pg}({', '.join(args)})"


class PostgisGeometry(FunctionElement[Any]):
    """A stored GeoJSON column (geometry or Feature) as a PostGIS geometry; the text itself on SQLite."""

    inherit_cache = True
    name = "zc_geometry"


@compiles(PostgisGeometry)
def _geometry_sqlite(element: PostgisGeometry, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return str(compiler.process(column, **kw))


@compiles(PostgisGeometry, "postgresql")
def _geometry_postgis(element: PostgisGeometry, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    col = compiler.process(column, **kw)
    return (
        f"ST_SetSRID(ST_GeomFromGeoJSON((CASE WHEN ({col})::jsonb ->> 'type' = 'Feature' "
        f"THEN ({col})::jsonb -> 'geometry' ELSE ({col})::jsonb END)::text), 4326)"
    )


class WktGeometry(FunctionElement[Any]):
    """A WKT literal as a geometry (PostGIS, SRID 4326); the text itself on SQLite."""

    inherit_cache = True
    name = "zc_wkt"


@compiles(WktGeometry)
def _wkt_sqlite(element: WktGeometry, compiler: Any, **kw: Any) -> str:
    (text,) = element.clauses
    return str(compiler.process(text, **kw))


@compiles(WktGeometry, "postgresql")
def _wkt_postgis(element: WktGeometry, compiler: Any, **kw: Any) -> str:
    (text,) = element.clauses
    return f"ST_GeomFromText({compiler.process(text, **kw)}, 4326)"


def stored(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A GeoJSON column as a geometry operand."""
    return PostgisGeometry(column)


def literal(wkt: str) -> ColumnElement[Any]:
    """A WKT literal as a geometry operand (a bound parameter)."""
    return WktGeometry(sa.literal(check_wkt(wkt), sa.Text))


def call(fn: str, args: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """``fn(args…)`` as SQL: a relation (true/false), a measure (number) or ``st_relate``."""
    expected = 1 if fn == "geo.length" else 3 if fn == "st_relate" else 2
    if len(args) != expected:
        raise bad(f"$filter: {fn}() takes {expected} argument(s)", "$filter")
    from zhicheng.sensing.sqltime import variant

    cls = variant(GeoMeasure if fn in MEASURES else GeoCall, "fn", fn)
    result: ColumnElement[Any] = cls(*args)
    return result
