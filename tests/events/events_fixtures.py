"""Helpers of the events tests: paths of the real LA 311 files and a small district with grid cells."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.store.schema import units

DATA = Path(__file__).resolve().parents[2] / "data" / "service_requests"
LA2017 = DATA / "MyLA311_Service_Request_Data_2017_Subset.csv.gz"
LA2020 = DATA / "la311_requests_2020-01-01_to_03_seed.csv.gz"


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def add_grid(engine: Engine) -> None:
    """A city, one district and three grid cells (lon/lat boxes), one with a hole, one in two parts.

    G1: 116.30–116.35 E × 39.90–39.95 N with a hole 116.32–116.33 × 39.92–39.93.
    G2: 116.35–116.40 E × 39.90–39.95 N.
    G3: two boxes, 116.30–116.32 × 39.95–39.97 and 116.38–116.40 × 39.95–39.97.
    """
    g1 = {"type": "Polygon", "coordinates": [square(116.30, 39.90, 116.35, 39.95),
                                             square(116.32, 39.92, 116.33, 39.93)]}
    g2 = {"type": "Polygon", "coordinates": [square(116.35, 39.90, 116.40, 39.95)]}
    g3 = {"type": "MultiPolygon", "coordinates": [[square(116.30, 39.95, 116.32, 39.97)],
                                                  [square(116.38, 39.95, 116.40, 39.97)]]}
    rows = [
        {"code": "C1", "name_zh": "示范市", "name_en": "Demo city", "level": "city", "parent_code": None, "boundary": None},
        {"code": "D1", "name_zh": "一区", "name_en": "District 1", "level": "district", "parent_code": "C1", "boundary": None},
        {"code": "G1", "name_zh": "网格一", "name_en": "Grid 1", "level": "grid", "parent_code": "D1", "boundary": json.dumps(g1)},
        {"code": "G2", "name_zh": "网格二", "name_en": "Grid 2", "level": "grid", "parent_code": "D1", "boundary": json.dumps(g2)},
        {"code": "G3", "name_zh": "网格三", "name_en": "Grid 3", "level": "grid", "parent_code": "D1", "boundary": json.dumps(g3)},
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(units), rows)
