"""Shared fixtures of the carbon tests: the real CEADs workbooks parsed once per test session."""

from __future__ import annotations

import pytest

from tests.conftest import DATA

PROVINCES = DATA / "energy_carbon" / "provinces"
CITIES = DATA / "energy_carbon" / "ceads_city_co2_1997_2019_long.csv.gz"


@pytest.fixture(scope="session")
def sheets() -> list:
    """Every province sheet of the 23 shipped workbooks, parsed and checked."""
    from zhicheng.carbon.service import read_workbooks, workbook_files

    return read_workbooks(workbook_files(PROVINCES))


@pytest.fixture(scope="session")
def long_table(sheets: list):
    """The long inventory table of all sheets."""
    from zhicheng.carbon.inventory import combine

    return combine(sheets)


def municipality_units(engine) -> None:
    """The four municipalities' city units (and their provinces), as the census units name them."""
    import sqlalchemy as sa

    from zhicheng.store.schema import units

    rows = [("110000", "北京市", "province", None), ("110100", "北京市", "city", "110000"),
            ("120000", "天津市", "province", None), ("120100", "天津市", "city", "120000"),
            ("310000", "上海市", "province", None), ("310100", "上海市", "city", "310000"),
            ("500000", "重庆市", "province", None), ("500100", "重庆市", "city", "500000"),
            ("130000", "河北省", "province", None), ("130100", "石家庄市", "city", "130000")]
    with engine.begin() as conn:
        conn.execute(units.insert(), [{"code": c, "name_zh": n, "level": lvl, "parent_code": p} for c, n, lvl, p in rows])
    _ = sa


#: Years of the small built store the CLI and API tests share.
STORE_YEARS = (2005, 2010, 2014, 2015, 2019)


def synthetic_stats(engine) -> None:
    """Population and GDP of Beijing's city unit for the store years (synthetic values, for the tests only)."""
    from zhicheng.store.schema import indicator_values
    from zhicheng.store.values import new_batch

    figures = {2005: (15.4e6, 6.97e11), 2010: (19.6e6, 1.41e12), 2014: (21.5e6, 2.13e12), 2015: (21.7e6, 2.30e12),
               2019: (21.5e6, 3.54e12)}
    with engine.begin() as conn:
        batch = new_batch(conn, source="synthetic test statistics", checksum="synthetic", ingested_by="test",
                          row_count=2 * len(figures))
        rows = []
        for year, (pop, gdp) in figures.items():
            rows += [{"unit_code": "110100", "indicator_id": "den.population", "period": str(year), "value": pop,
                      "batch_id": batch},
                     {"unit_code": "110100", "indicator_id": "den.gdp", "period": str(year), "value": gdp,
                      "batch_id": batch}]
        conn.execute(indicator_values.insert(), rows)


@pytest.fixture(scope="session")
def carbon_db(tmp_path_factory) -> str:
    """A SQLite store with five years of the provincial inventories, the city totals and Beijing's statistics."""
    import shutil

    from zhicheng.carbon import service
    from zhicheng.store import init_store

    root = tmp_path_factory.mktemp("carbon")
    folder = root / "provinces"
    folder.mkdir()
    for path in PROVINCES.glob("*.xlsx"):
        if any(str(y) in path.name for y in STORE_YEARS):
            shutil.copy(path, folder / path.name)
    db = root / "carbon.db"
    engine = init_store(db)
    municipality_units(engine)
    synthetic_stats(engine)
    service.load_provinces(engine, folder, ingested_by="test")
    service.load_cities(engine, CITIES, ingested_by="test")
    engine.dispose()
    return str(db)
