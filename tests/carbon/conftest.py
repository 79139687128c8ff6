"""Shared fixtures of the carbon tests: the real CEADs workbooks parsed once per test session."""

from __future__ import annotations

from pathlib import Path

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


def write_path(tmp: Path, name: str) -> Path:
    return tmp / name
