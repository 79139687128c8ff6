"""Units (cities, districts, grid cells …) and their boundaries, loaded from WKT or GeoJSON.

Boundaries are stored as GeoJSON geometry text (RFC 7946, lon/lat order) so that the API and the
cockpit's maps use them as they are; WKT input (OGC 06-103r4 Simple Features, §7) is converted on
load. A label point (area-weighted centroid of the largest polygon) fills ``lon``/``lat``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.ingest_report import IngestReport
from zhicheng.evaluate.mapping import UnitsMapping
from zhicheng.readers import ROW, SourceTable, header_key
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import units
from zhicheng.store.values import new_batch, read_units

_PAIR = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_WKT = re.compile(r"^\s*(POINT|POLYGON|MULTIPOLYGON)\s*(\(.*\))\s*$", re.IGNORECASE | re.DOTALL)
_GEOJSON_TYPES = {"Point": 1, "Polygon": 3, "MultiPolygon": 4}
UNIT_FIELDS = ["code", "name_zh", "name_en", "level", "parent_code", "group_name", "boundary", "lon", "lat"]


class GeometryError(ValueError):
    """A boundary is not a valid WKT or GeoJSON point, polygon or multipolygon."""


def wkt_to_geojson(text: str) -> dict[str, Any]:
    """Convert a WKT POINT, POLYGON or MULTIPOLYGON to a GeoJSON geometry object.

    References
    ----------
    OGC 06-103r4, Simple Feature Access Part 1, §7 (WKT); IETF RFC 7946, §3.1 (GeoJSON geometry).
    """
    match = _WKT.match(text)
    if not match:
        raise GeometryError("not WKT POINT, POLYGON or MULTIPOLYGON")
    kind = match.group(1).upper()
    body = _PAIR.sub(r"[\1,\2]", match.group(2)).replace("(", "[").replace(")", "]")
    try:
        coords = json.loads(body)
    except json.JSONDecodeError:
        raise GeometryError("malformed WKT coordinates") from None
    name = {"POINT": "Point", "POLYGON": "Polygon", "MULTIPOLYGON": "MultiPolygon"}[kind]
    if name == "Point":
        coords = coords[0]
    geometry = {"type": name, "coordinates": coords}
    check_geometry(geometry)
    return geometry


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        value = value[0]
        depth += 1
    return depth


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def check_geometry(geometry: dict[str, Any]) -> None:
    """Raise :class:`GeometryError` unless ``geometry`` is a well-formed lon/lat geometry."""
    kind = geometry.get("type")
    if kind not in _GEOJSON_TYPES:
        raise GeometryError(f"geometry type {kind!r} is not Point, Polygon or MultiPolygon")
    coords = geometry.get("coordinates")
    if _depth(coords) != _GEOJSON_TYPES[kind]:
        raise GeometryError(f"{kind} coordinates are nested wrongly")
    points = [coords] if kind == "Point" else [p for poly in _polygons(geometry) for ring in poly for p in ring]
    try:
        arr = np.asarray(points, dtype=float)
    except ValueError:
        raise GeometryError("coordinates must be [lon, lat] pairs") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all():
        raise GeometryError("coordinates must be [lon, lat] pairs of numbers")
    if (np.abs(arr[:, 0]) > 180).any() or (np.abs(arr[:, 1]) > 90).any():
        raise GeometryError("coordinates out of lon [-180, 180] / lat [-90, 90]")
    for poly in _polygons(geometry):
        for ring in poly:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise GeometryError("every ring needs at least 4 positions and must be closed")


def label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """Area-weighted centroid of the largest polygon's outer ring (shoelace formula) [deg]."""
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        return float(lon), float(lat)
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for poly in _polygons(geometry):
        ring = np.asarray(poly[0], dtype=float)
        x, y = ring[:-1, 0], ring[:-1, 1]
        x1, y1 = np.roll(x, -1), np.roll(y, -1)
        cross = x * y1 - x1 * y
        area = cross.sum() / 2
        if abs(area) > best[0]:
            if area == 0:
                best = (0.0, float(x.mean()), float(y.mean()))
            else:
                best = (abs(area), float(((x + x1) * cross).sum() / (6 * area)),
                        float(((y + y1) * cross).sum() / (6 * area)))
    return best[1], best[2]


def parse_boundary(text: str) -> dict[str, Any]:
    """A boundary given as WKT or as GeoJSON (geometry, Feature) text, as a GeoJSON geometry."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise GeometryError(f"not valid GeoJSON: {exc.msg}") from None
        if isinstance(doc, dict) and doc.get("type") == "Feature":
            doc = doc.get("geometry") or {}
        if not isinstance(doc, dict):
            raise GeometryError("GeoJSON boundary must be an object")
        check_geometry(doc)
        return {"type": doc["type"], "coordinates": doc["coordinates"]}
    return wkt_to_geojson(stripped)


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    if name is None:
        return pd.Series("", index=frame.index)
    return frame[header_key(name)].astype(str).str.strip()


def _code(series: pd.Series, recode: dict[str, str]) -> pd.Series:
    return series.str.replace(r"\.0$", "", regex=True).replace(recode)


def _boundaries(frame: pd.DataFrame, column: str | None, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """GeoJSON text and label points for each row's boundary (blank = no boundary)."""
    out = pd.DataFrame({"boundary": None, "lon": np.nan, "lat": np.nan}, index=frame.index).astype(object)
    problems: list[Problem] = []
    if column is None:
        return out, problems
    texts = frame[header_key(column)].astype(str)
    for idx, text, row in zip(frame.index, texts, frame[ROW], strict=True):
        if not text.strip():
            continue
        try:
            geometry = parse_boundary(text)
        except GeometryError as exc:
            problems.append(Problem(f"bad boundary: {exc}", file, int(row), column))
            continue
        out.at[idx, "boundary"] = json.dumps(geometry, separators=(",", ":"))
        out.at[idx, "lon"], out.at[idx, "lat"] = label_point(geometry)
    return out, problems


def _frame_units(source: SourceTable, m: UnitsMapping) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """The file's units (and parents, when the mapping asks) as frames, with every problem."""
    frame, file = source.frame, source.name
    wanted = [m.code, m.name_zh, m.name_en, m.parent_code, m.group, m.boundary, m.parent_name_zh]
    missing = [c for c in wanted if c is not None and header_key(c) not in frame.columns]
    if missing:
        raise IngestError([Problem("missing column (the units mapping needs it)", file, 1, c) for c in missing])
    problems: list[Problem] = []
    table = pd.DataFrame({
        "code": _code(_column(frame, m.code), m.recode), "name_zh": _column(frame, m.name_zh),
        "name_en": _column(frame, m.name_en).replace("", None), "level": m.level,
        "parent_code": _code(_column(frame, m.parent_code), m.recode).replace("", None),
        "group_name": _column(frame, m.group).replace("", None), ROW: frame[ROW],
    })
    for col, label in (("code", m.code), ("name_zh", m.name_zh)):
        empty = table[col] == ""
        problems += [Problem(f"empty {col}", file, int(r), label) for r in table.loc[empty, ROW]]
    dup = table.duplicated("code", keep="first") & (table["code"] != "")
    problems += [Problem(f"duplicate unit code {c!r}", file, int(r), m.code)
                 for c, r in zip(table.loc[dup, "code"], table.loc[dup, ROW], strict=True)]
    geo, geo_problems = _boundaries(frame, m.boundary, file)
    problems += geo_problems
    table = pd.concat([table, geo], axis=1)
    parents = table.iloc[:0][["code", "name_zh"]]
    if m.parent_name_zh is not None and m.parent_code is not None:
        parents = pd.DataFrame({"code": table["parent_code"], "name_zh": _column(frame, m.parent_name_zh)})
        parents = parents.dropna().drop_duplicates("code")
        parents = parents[~parents["code"].isin(table["code"])]
    return table, parents.assign(level=m.parent_level), problems


def _upsert(conn: sa.Connection, incoming: pd.DataFrame, existing: pd.DataFrame) -> tuple[int, int]:
    """Insert new units and update changed ones; returns (new, updated)."""
    fields = [f for f in UNIT_FIELDS if f in incoming.columns]
    incoming = incoming[fields]
    is_new = ~incoming["code"].isin(existing["code"])
    bulk_insert(conn, units, incoming[is_new])
    old = existing.set_index("code").reindex(incoming.loc[~is_new, "code"])
    cur = incoming[~is_new].set_index("code")
    compare = [f for f in fields if f != "code"]
    a = cur[compare].astype(object).where(cur[compare].notna(), None)
    b = old[compare].astype(object).where(old[compare].notna(), None)
    diff = ~(a.eq(b) | (a.isna() & b.isna())).all(axis=1)
    changed = a[diff]
    if not changed.empty:
        rows: list[dict[str, Any]] = [
            {"c": code, **{str(k): (None if pd.isna(v) else v) for k, v in rec.items()}}
            for code, rec in changed.to_dict("index").items()
        ]
        stmt = sa.update(units).where(units.c.code == sa.bindparam("c")).values(
            {k: sa.bindparam(k) for k in compare})
        conn.execute(stmt, rows)
    return int(is_new.sum()), int(diff.sum())


def ingest_units(engine: Engine, source: SourceTable, mapping: UnitsMapping, digest: str, *,
                 dry_run: bool, user: str) -> IngestReport:
    """Validate and store the units of ``source`` (one transaction); see :func:`ingest_file`."""
    table, parents, problems = _frame_units(source, mapping)
    with engine.begin() as conn:
        existing = read_units(conn, with_boundary=True)
        known = set(existing["code"]) | set(table["code"]) | set(parents["code"])
        orphan = table["parent_code"].notna() & ~table["parent_code"].isin(known)
        problems += [Problem(f"unknown parent unit {p!r}", source.name, int(r), mapping.parent_code)
                     for p, r in zip(table.loc[orphan, "parent_code"], table.loc[orphan, ROW], strict=True)]
        if problems:
            raise IngestError(problems)
        report = IngestReport(source=source.name, checksum=digest, dry_run=dry_run, rows_read=len(table))
        if dry_run:
            return report
        new_p, upd_p = _upsert(conn, parents, existing)
        new_u, upd_u = _upsert(conn, table.drop(columns=ROW), existing)
        if new_p + upd_p + new_u + upd_u == 0:
            return report
        batch = new_batch(conn, source=source.name, checksum=digest, ingested_by=user,
                          row_count=new_p + upd_p + new_u + upd_u, kind="units")
    from dataclasses import replace

    return replace(report, batch_id=batch, units_new=new_p + new_u, units_updated=upd_p + upd_u)
