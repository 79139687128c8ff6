"""Units and boundaries: WKT and GeoJSON in, GeoJSON stored, label points, parents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate import ingest_file
from zhicheng.evaluate.units import GeometryError, label_point, parse_boundary, wkt_to_geojson
from zhicheng.store.values import read_units

DATA = Path(__file__).resolve().parents[2] / "data"


def test_wkt_polygon_and_multipolygon_become_geojson() -> None:
    # RFC 7946 §3.1.6 / §3.1.7 coordinate nesting; OGC 06-103r4 §7 WKT grammar.
    poly = wkt_to_geojson("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))")
    assert poly == {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
                                                       [[1, 1], [2, 1], [2, 2], [1, 1]]]}
    multi = wkt_to_geojson("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))")
    assert multi["type"] == "MultiPolygon" and len(multi["coordinates"]) == 2
    assert wkt_to_geojson("POINT (116.4 39.9)") == {"type": "Point", "coordinates": [116.4, 39.9]}


def test_label_point_is_the_area_weighted_centroid_of_the_largest_polygon() -> None:
    # Square [0,4]x[0,4]: centroid (2, 2). L-shape = rectangle (0..2)x(0..1) (area 2, centroid
    # (1, 0.5)) + square (0..1)x(1..2) (area 1, centroid (0.5, 1.5)): centroid (2.5/3, 2.5/3).
    assert label_point(wkt_to_geojson("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))")) == pytest.approx((2.0, 2.0))
    shape = wkt_to_geojson("POLYGON((0 0, 2 0, 2 1, 1 1, 1 2, 0 2, 0 0))")
    assert label_point(shape) == pytest.approx((5 / 6, 5 / 6), abs=1e-12)
    multi = wkt_to_geojson("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((10 10, 13 10, 13 13, 10 13, 10 10)))")
    assert label_point(multi) == pytest.approx((11.5, 11.5))


@pytest.mark.parametrize("text, reason", [
    ("POLYGON((0 0, 1 0, 1 1))", "closed"),
    ("LINESTRING(0 0, 1 1)", "not WKT"),
    ("POLYGON((0 0, 200 0, 200 1, 0 0))", "out of lon"),
    ('{"type": "Polygon", "coordinates": [[0, 0]]}', "nested wrongly"),
    ('{"type": "Polygon", ', "not valid GeoJSON"),
])
def test_bad_geometries_are_refused(text: str, reason: str) -> None:
    with pytest.raises(GeometryError, match=reason):
        parse_boundary(text)


def test_geojson_feature_input_keeps_its_geometry() -> None:
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [113.3, 23.1]}}
    assert parse_boundary(json.dumps(feature)) == {"type": "Point", "coordinates": [113.3, 23.1]}


def test_units_with_parents_and_boundaries_are_stored(store: Engine) -> None:
    with store.connect() as conn:
        units = read_units(conn, with_boundary=True).set_index("code")
    assert len(units) == 10  # eight cities and two provinces
    assert units.loc["440000", ["name_zh", "level"]].tolist() == ["广东省", "province"]
    gz = units.loc["440100"]
    assert (gz["parent_code"], gz["group_name"], gz["level"]) == ("440000", "广东省", "city")
    assert json.loads(gz["boundary"])["type"] == "Polygon"
    assert (gz["lon"], gz["lat"]) == pytest.approx((113.5, 23.5))
    with store.connect() as conn:
        no_boundary = conn.execute(sa.text("select count(*) from units where boundary is null")).scalar_one()
    assert no_boundary == 2 + 5  # the provinces and the five cities given without one


def test_census_units_load_with_real_boundaries(db_url: str) -> None:
    from zhicheng.store import init_store

    engine = init_store(db_url)
    report = ingest_file(engine, DATA / "city_indicators/census_city_2010-2020_v1.csv.gz",
                         mapping=DATA / "mappings/census_units.yaml")
    assert report.units_new == 369 + 31
    with engine.connect() as conn:
        units = read_units(conn).set_index("code")
        bj = conn.execute(sa.text("select boundary from units where code = '110100'")).scalar_one()
    assert units["level"].value_counts().to_dict() == {"city": 369, "province": 31}
    # Beijing's label point lies inside the municipality (115.4–117.5 °E, 39.4–41.1 °N).
    lon, lat = units.loc["110100", ["lon", "lat"]]
    assert 115.4 < lon < 117.5 and 39.4 < lat < 41.1
    assert json.loads(bj)["type"] in {"Polygon", "MultiPolygon"}
    again = ingest_file(engine, DATA / "city_indicators/census_city_2010-2020_v1.csv.gz",
                        mapping=DATA / "mappings/census_units.yaml")
    assert again.already_ingested_as == report.batch_id
    engine.dispose()
