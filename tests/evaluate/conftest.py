"""Fixtures of the intake and evaluation tests: a real store with a few real units."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.conftest import postgres_database, postgres_url
from zhicheng.evaluate import ingest_file
from zhicheng.store import init_store
from zhicheng.store.schema import (
    evaluation_results,
    evaluation_runs,
    indicator_values,
    ingest_batches,
    units,
)

HERE = Path(__file__).parent
BROKEN = HERE / "broken"

#: Eight cities (codes as GB/T 2260) under two provinces, with square test boundaries.
UNITS_CSV = """code,name,province_code,province,boundary
440100,广州市,440000,广东省,"POLYGON((113 23, 114 23, 114 24, 113 24, 113 23))"
440300,深圳市,440000,广东省,"POLYGON((114 22, 115 22, 115 23, 114 23, 114 22))"
440400,珠海市,440000,广东省,
440600,佛山市,440000,广东省,
320100,南京市,320000,江苏省,"MULTIPOLYGON(((118 31, 119 31, 119 32, 118 32, 118 31)),((120 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30)))"
320200,无锡市,320000,江苏省,
320500,苏州市,320000,江苏省,
320600,南通市,320000,江苏省,
"""
UNITS_MAPPING = """kind: units
code: code
name_zh: name
parent_code: province_code
parent_name_zh: province
group: province
boundary: boundary
"""
CITIES = ["440100", "440300", "440400", "440600", "320100", "320200", "320500", "320600"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _with_units(url: str, folder: Path) -> Engine:
    engine = init_store(url)
    data = write(folder / "units.csv", UNITS_CSV)
    mapping = write(folder / "units.yaml", UNITS_MAPPING)
    ingest_file(engine, data, mapping=mapping)
    return engine


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An initialised store holding the eight test cities and their provinces."""
    engine = _with_units(db_url, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Like ``store`` but one per module and backend, for tests that must leave it unchanged."""
    folder = tmp_path_factory.mktemp("shared")
    if request.param == "sqlite":
        engine = _with_units(f"sqlite:///{folder / 'store.db'}", folder)
        yield engine
        engine.dispose()
        return
    url = postgres_url()
    if not url:
        pytest.skip("no PostgreSQL configured (set ZHICHENG_TEST_PG_URL; .ci/run does)")
    name = f"zt_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**9}_shared"
    with postgres_database(url, name) as db:
        engine = _with_units(db, folder)
        yield engine
        engine.dispose()


def store_fingerprint(engine: Engine) -> dict[str, object]:
    """Row counts of every intake/evaluation table and a checksum of the stored values."""
    with engine.connect() as conn:
        out: dict[str, object] = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (units, ingest_batches, indicator_values, evaluation_runs, evaluation_results)
        }
        out["value_sum"] = conn.execute(sa.select(sa.func.sum(indicator_values.c.value))).scalar()
        out["units_boundary"] = conn.execute(
            sa.select(sa.func.count()).select_from(units).where(units.c.boundary.is_not(None))
        ).scalar_one()
    return out


@pytest.fixture
def fingerprint() -> object:
    """A function giving a store's row counts and value checksum (to show nothing changed)."""
    return store_fingerprint


@pytest.fixture
def broken() -> Path:
    """The folder of broken input files."""
    return BROKEN
