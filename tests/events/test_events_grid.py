"""Grid cells at intake (a city's own grid file, else H3) and the statistics per cell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.events.events_fixtures import LA2020, square
from tests.events.test_events_stats import T0, handled
from zhicheng.events import NewEvent, create_event, load_la311
from zhicheng.events.errors import EventError
from zhicheng.events.grid import (
    assign_missing_cells,
    grid_features,
    grid_statistics,
    h3_cells,
    load_grid,
)
from zhicheng.store.schema import units
from zhicheng.store.schema_events import events


def add_city(engine: Engine, code: str = "C1") -> None:
    with engine.begin() as conn:
        conn.execute(units.insert().values(code=code, name_zh="示范市", name_en="Demo city", level="city"))


def test_h3_cell_matches_the_library_reference() -> None:
    # The h3 README's example: latlng_to_cell(37.3615593, -122.0553238, 5) == '85283473fffffff'.
    assert h3_cells(-122.0553238, 37.3615593, 5) == ["H3-85283473fffffff"]
    assert h3_cells([-122.0553238, 116.39], [37.3615593, 39.91], 5)[0] == "H3-85283473fffffff"


def test_without_an_own_grid_events_get_h3_cells(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    add_city(engine)
    monkeypatch.setenv("ZHICHENG_GRID_CITY", "C1")
    monkeypatch.setenv("ZHICHENG_GRID_H3_RESOLUTION", "9")
    created = create_event(engine, NewEvent(service_code="noise", lat=39.9100, lon=116.3100), actor="t")
    assert created.grid_code == h3_cells(116.31, 39.91, 9)[0]
    again = create_event(engine, NewEvent(service_code="noise", lat=39.9101, lon=116.3101), actor="t")
    assert again.grid_code == created.grid_code  # ~14 m apart, one r9 cell (edge ≈ 174 m)
    with engine.connect() as conn:
        cell = conn.execute(sa.select(units).where(units.c.code == created.grid_code)).one()
    assert (cell.level, cell.parent_code) == ("grid", "C1")
    ring = json.loads(cell.boundary)["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]  # a hexagon, closed
    assert abs(cell.lon - 116.31) < 0.01 and abs(cell.lat - 39.91) < 0.01


def own_grid_file(tmp_path: Path) -> Path:
    features = [
        {"type": "Feature", "properties": {"code": "W1", "name": "东华门街道", "name_en": "Donghuamen", "parent": "C1"},
         "geometry": {"type": "Polygon", "coordinates": [square(116.30, 39.90, 116.35, 39.95)]}},
        {"type": "Feature", "properties": {"code": "W1-01", "name": "网格一", "parent": "W1"},
         "geometry": {"type": "Polygon", "coordinates": [square(116.30, 39.90, 116.32, 39.92)]}},
    ]
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_own_grid_file_places_events_and_nothing_outside(engine: Engine, tmp_path: Path) -> None:
    add_city(engine)
    csv_path = tmp_path / "grid.csv"
    csv_path.write_text("code,name,parent,wkt\nW2,朝阳门网格,C1,\"POLYGON ((116.40 39.90, 116.45 39.90, "
                        "116.45 39.95, 116.40 39.95, 116.40 39.90))\"\n", encoding="utf-8")
    assert load_grid(engine, own_grid_file(tmp_path)) == 2
    assert load_grid(engine, csv_path) == 1
    inside = create_event(engine, NewEvent(service_code="noise", lat=39.91, lon=116.31), actor="t")
    # W1-01 lies inside W1: the first cell by code holds the point.
    assert inside.grid_code in ("W1", "W1-01")
    assert create_event(engine, NewEvent(service_code="noise", lat=39.92, lon=116.42), actor="t").grid_code == "W2"
    outside = create_event(engine, NewEvent(service_code="noise", lat=31.2, lon=121.5), actor="t")
    assert outside.grid_code is None
    with engine.connect() as conn:
        parents = dict(conn.execute(sa.select(units.c.code, units.c.parent_code).where(units.c.level == "grid")).all())
    assert parents == {"W1": "C1", "W1-01": "W1", "W2": "C1"}


def test_bad_grid_files_are_refused_with_located_problems(engine: Engine, tmp_path: Path) -> None:
    add_city(engine)
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "无编码"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        {"type": "Feature", "properties": {"code": "X", "parent": "NOWHERE"},
         "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 1, 1)]}},
    ]}), encoding="utf-8")
    with pytest.raises(EventError) as err:
        load_grid(engine, bad)
    reasons = [(p.reason, p.row, p.column) for p in err.value.problems]
    assert reasons == [("a grid cell needs a code", 1, "code"),
                       ("a grid cell needs a Polygon or MultiPolygon", 1, "geometry")]
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "X", "parent": "NOWHERE"},
         "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 1, 1)]}}]}), encoding="utf-8")
    with pytest.raises(EventError, match="1 problem"):
        load_grid(engine, bad)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(units).where(units.c.level == "grid")).scalar() == 0


def test_statistics_per_cell(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHICHENG_GRID_H3_RESOLUTION", "8")
    # noise: SLA 48 h. Cell A: three reports at one place (days apart: not linked) and one
    # elsewhere in the cell; cell B: one report.
    handled(engine, "noise", 39.9100, 116.3100, 10.0, T0)
    handled(engine, "noise", 39.9100, 116.3100, 60.0, T0.replace(day=10))
    handled(engine, "noise", 39.9100, 116.3100, None, T0.replace(day=20))
    handled(engine, "noise", 39.9080, 116.3080, 30.0, T0.replace(day=21))
    handled(engine, "noise", 39.9800, 116.4500, None, T0)
    a, b = h3_cells([116.31, 116.45], [39.91, 39.98], 8)
    assert h3_cells(116.308, 39.908, 8) == [a]
    stats = grid_statistics(engine).set_index("grid_code")
    # Expected by hand: A has 4 events, 3 closed, 2 within 48 h (10 h and 30 h), mean (10+60+30)/3 h.
    assert stats.loc[a, ["events", "open", "closed_timed", "closed_within_sla", "repeat_locations",
                         "repeat_events"]].tolist() == [4, 1, 3, 2, 1, 3]
    assert stats.loc[a, "closed_within_sla_pct"] == pytest.approx(200.0 / 3, abs=1e-9)
    assert stats.loc[a, "mean_hours"] == pytest.approx(100.0 / 3, abs=1e-6)
    assert stats.loc[b, ["events", "open", "overdue", "repeat_locations"]].tolist() == [1, 1, 1, 0]
    assert pd.isna(stats.loc[b, "closed_within_sla_pct"])
    june = grid_statistics(engine, start=T0, end=datetime(2025, 6, 15, tzinfo=UTC)).set_index("grid_code")
    assert june.loc[a, "events"] == 2 and june.loc[a, "repeat_locations"] == 1
    fc = grid_features(engine, grid_statistics(engine))
    assert [f["id"] for f in fc["features"]] == [a, b]
    assert fc["features"][1]["properties"]["closed_within_sla_pct"] is None
    assert fc["features"][0]["properties"]["kind"] == "h3"


@pytest.mark.slow
def test_replayed_events_get_cells_and_backfill_is_idempotent(sqlite_engine: Engine) -> None:
    add_city(sqlite_engine, "LA")
    result = load_la311(sqlite_engine, LA2020, city="LA")
    with sqlite_engine.connect() as conn:
        located, gridded = conn.execute(sa.select(
            sa.func.count(events.c.lat), sa.func.count(events.c.grid_code))).one()
        parents = set(conn.execute(sa.select(units.c.parent_code).where(units.c.level == "grid")).scalars())
    assert result.loaded > 0 and gridded > 0 and parents == {"LA"}
    # Coordinates of 0, 0 (unknown place) get no cell; every other located event has one.
    with sqlite_engine.connect() as conn:
        zero = conn.execute(sa.select(sa.func.count()).select_from(events).where(events.c.lat == 0, events.c.lon == 0)).scalar()
    assert gridded == located - zero
    with sqlite_engine.begin() as conn:
        conn.execute(events.update().values(grid_code=None))
    assert assign_missing_cells(sqlite_engine, city="LA") == gridded
    assert assign_missing_cells(sqlite_engine, city="LA") == 0
