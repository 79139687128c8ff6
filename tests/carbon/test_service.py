"""The carbon service on real stores (SQLite file and PostgreSQL): load, reload, read back, analyse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.carbon.conftest import CITIES, PROVINCES, municipality_units
from zhicheng.carbon import report, service
from zhicheng.store import init_store
from zhicheng.store.schema import indicator_values, ingest_batches
from zhicheng.store.schema_carbon import carbon_findings, carbon_inventory
from zhicheng.store.values import new_batch

YEARS = (2005, 2010, 2015, 2019)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Four of the shipped workbooks (the service reads any folder of them)."""
    out = tmp_path / "provinces"
    out.mkdir()
    for path in PROVINCES.glob("*.xlsx"):
        if any(str(y) in path.name for y in YEARS):
            shutil.copy(path, out / path.name)
    return out


def _stats(engine) -> None:
    """Population and GDP of Beijing's city unit (real figures would come from the intake; these are synthetic)."""
    with engine.begin() as conn:
        batch = new_batch(conn, source="synthetic test statistics", checksum="t", ingested_by="test", row_count=8)
        rows = []
        for year, pop, gdp in ((2005, 15.4e6, 6.97e11), (2010, 19.6e6, 1.41e12), (2015, 21.7e6, 2.30e12),
                               (2019, 21.5e6, 3.54e12)):
            rows += [{"unit_code": "110100", "indicator_id": "den.population", "period": str(year), "value": pop,
                      "batch_id": batch},
                     {"unit_code": "110100", "indicator_id": "den.gdp", "period": str(year), "value": gdp,
                      "batch_id": batch}]
        conn.execute(indicator_values.insert(), rows)


def test_load_read_and_analyse(db_url: str, folder: Path) -> None:
    engine = init_store(db_url)
    municipality_units(engine)
    _stats(engine)
    first = service.load_provinces(engine, folder, ingested_by="test")
    assert first.read == 30 * len(YEARS) and first.rows > 0 and not first.already_loaded
    assert first.units_added == 25  # the municipalities' and Hebei's provinces already existed
    again = service.load_provinces(engine, folder)
    assert again.already_loaded and again.batch_id == first.batch_id and again.rows == first.rows
    cities = service.load_cities(engine, CITIES, ingested_by="test")
    assert set(cities.unmatched) >= {"河北保定"} and cities.rows > 0
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(carbon_inventory)).scalar_one()
        batches = conn.execute(sa.select(sa.func.count()).select_from(ingest_batches)
                               .where(ingest_batches.c.kind == "carbon")).scalar_one()
        prov = service.provenance(conn)
    assert count == first.rows + cities.rows and batches == 2
    assert {p["dataset"] for p in prov} == {"ceads-province", "ceads-city"}
    assert all(p["checksum"] and p["citation"] for p in prov)

    ws = service.Workspace.read(engine)
    # Stored totals equal the sheets' TotalEmissions: Beijing 2019 89.18 Mt (CEADs).
    em = ws.emissions("1").set_index(["unit_code", "year"])["co2_mt"]
    assert em[("110000", 2019)] == pytest.approx(89.1845, abs=1e-4)
    # Beijing's province gets its population and GDP from its only city unit.
    stats = ws.stats.set_index(["unit_code", "year"])
    assert stats.loc[("110000", 2019), "gdp"] == pytest.approx(3.54e12)
    # Hebei has a city without statistics: no partial sum.
    assert ("130000", 2019) not in stats.index

    # Cross-source check (PROVENANCE: Beijing 2019 is 88.16 Mt in the city file, 89.18 Mt in the inventory).
    checks = service.crosscheck(ws).set_index(["city_code", "year"])
    bj = checks.loc[("110100", 2019)]
    assert bj["city_mt"] == pytest.approx(88.16, abs=0.005) and bj["province_mt"] == pytest.approx(89.18, abs=0.005)
    assert not bj["agrees"]

    d = service.decompose(ws, "110000", 2015, 2019)
    assert d.model == "inventory+kaya" and abs(d.residual) <= 1e-9
    assert set(d.effects) == {"population", "affluence", "intensity", "structure", "fuel_mix"}
    hebei = service.decompose(ws, "130000", 2005, 2019)
    assert hebei.model == "inventory" and abs(hebei.residual) <= 1e-9
    city = service.decompose(ws, "110100", 2015, 2019)
    assert city.model == "kaya" and abs(city.residual) <= 1e-9
    with pytest.raises(service.CarbonError, match="no inventory for 2012"):
        service.decompose(ws, "110000", 2012, 2019)

    page = report.unit_report(ws, "110000", "en", year_from=2015, year_to=2019)
    assert page["peak"]["status"] in {"peaked", "plateau", "rising", "unknown"}
    assert page["decomposition"]["year_from"] == 2015
    assert abs(sum(e["value"] for e in page["decomposition"]["effects"]) - page["decomposition"]["change"]) < 1e-3
    cn13 = next(t for t in page["targets"] if t["id"] == "cn_13fyp")
    assert cn13["prices"] == "current prices" and cn13["latest_year"] == 2019
    assert cn13["path"]["2020"] == pytest.approx(cn13["base_value"] * 0.82, rel=1e-3)

    feed = report.indicator_feed(ws)
    assert set(feed["indicator_id"]) >= {"D3.R3.I1", "D3.R3.I2", "D3.R3.I8"}
    assert feed.duplicated(["unit_code", "indicator_id", "period"]).sum() == 0


def test_a_bad_workbook_loads_nothing(db_url: str, tmp_path: Path) -> None:
    import openpyxl

    folder = tmp_path / "bad"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Atlantis2019"
    ws.append(["", "Raw Coal"])
    wb.save(folder / "Emission_Inventories_for_30_Provinces_2019.xlsx")
    engine = init_store(db_url)
    with pytest.raises(service.CarbonError) as info:
        service.load_provinces(engine, folder)
    assert any("Atlantis2019" in str(p) for p in info.value.problems)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(carbon_inventory)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(carbon_findings)).scalar_one() == 0


def test_a_bad_city_file_is_located(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "cities.csv"
    path.write_text("id,city,year,co2_mt\n北京2019,北京,2019,88.2\n北京20x,北京,20x,1\n天津2019,天津,2019,-3\n",
                    encoding="utf-8")
    engine = init_store(db_url)
    with pytest.raises(service.CarbonError) as info:
        service.load_cities(engine, path)
    where = {(p.row, p.column) for p in info.value.problems}
    assert where == {(3, "year"), (4, "co2_mt")}
