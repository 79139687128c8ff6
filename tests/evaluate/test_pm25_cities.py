"""Intake of city PM2.5 files: join by coordinates, county-level cities, GB 3095 statistics, precedence.

The daily file here is synthetic (labelled so in its rows' city names' comments below), built so
that every expected figure is worked out by hand from GB 3095-2012 Table 1 (24-h grade II limit
75 µg/m³), HJ 663-2013 §5.1 (≥ 324 daily values) and GB/T 8170 rounding (half to even).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.pm25_cities import ingest_cities_pm25
from zhicheng.evaluate.sources import disagreements, read_sources, record_sources
from zhicheng.store.schema import indicator_values, units
from zhicheng.store.values import new_batch, write_values

DAYS = 365


def _city(name: str, lon: float, lat: float, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"year": 2016, "day_index": np.arange(1, len(values) + 1), "city": name, "lon": lon,
                         "lat": lat, "pm25_ugm3": values})


def synthetic_file(path: Path) -> Path:
    """Synthetic daily PM2.5 (test data only): five cities against the test boundaries."""
    guangzhou = [30.0] * 298 + [80.0] * 65 + [75.4, 75.5]           # 75.4 → 75 (not over), 75.5 → 76 (over)
    shenzhen = [40.0] * 300 + [float("nan")] * 65                    # 300 valid days < 324: no annual value
    frame = pd.concat([
        _city("Guangzhou", 113.5, 23.5, guangzhou),
        _city("Shenzhen", 114.5, 22.5, shenzhen),
        _city("Nanjing", 118.5, 31.5, [50.0] * DAYS),
        _city("Gaochun", 118.9, 31.1, [60.0] * DAYS),                # a second city inside 南京: its own child unit
        _city("Kunshan", 118.2, 31.8, [55.0] * DAYS),                # county-level city of 苏州 whose point is off
        _city("Fuzhou", 10.0, 10.0, [20.0] * DAYS),                  # in no stored boundary
    ], ignore_index=True)
    frame.to_csv(path, index=False)
    return path


def _value(engine: Engine, unit: str, indicator: str, period: str = "2016") -> float | None:
    t = indicator_values
    with engine.connect() as conn:
        return conn.execute(sa.select(t.c.value).where(t.c.unit_code == unit, t.c.indicator_id == indicator,
                                                       t.c.period == period)).scalar()


def test_join_statistics_children_and_findings(store: Engine, tmp_path: Path) -> None:
    # A station network already gives 广州's 2016 PM2.5 annual mean: 45.0 µg/m³.
    station = pd.DataFrame({"unit_code": ["440100"], "indicator_id": ["D3.R1.I2"], "period": ["2016"],
                            "value": [45.0]})
    with store.begin() as conn:
        batch = new_batch(conn, source="stations (test)", checksum="t" * 64, ingested_by="test", row_count=1,
                          kind="air")
        write_values(conn, station, station.iloc[:0], batch)
        record_sources(conn, station, "station_network_hj663", batch)
    report, joins = ingest_cities_pm25(store, synthetic_file(tmp_path / "pm25.csv"), by="test")
    where = {j.city: (j.role, j.unit_code) for j in joins}
    assert where["Guangzhou"] == ("prefecture", "440100") and where["Nanjing"] == ("prefecture", "320100")
    assert where["Gaochun"] == ("child", "320100-Gaochun")
    # Kunshan's point lies in 南京's square, but Kunshan belongs to 苏州 (320500): joined there, as a child.
    assert where["Kunshan"] == ("child", "320500-Kunshan")
    assert where["Fuzhou"] == ("unmatched", None)
    text = "\n".join(str(w) for w in report.warnings)
    assert "the source's point of Kunshan (118.2, 31.8) lies in 南京市" in text
    assert "city 'Fuzhou' at (10.0, 10.0) lies in no stored boundary" in text
    assert "Shenzhen 2016 has 300 daily values (< 324, HJ 663)" in text
    assert "filled by the publishers" in text
    # 广州: mean (298·30 + 65·80 + 75.4 + 75.5) / 365 = 39.153… → 39.2; days over 75 after rounding: 65 + 1.
    with store.connect() as conn:
        sources = read_sources(conn, ["D3.R1.I2", "D3.R1.I7"]).set_index(["unit_code", "indicator_id", "source_kind"])
        found = disagreements(conn)
    assert sources.at[("440100", "D3.R1.I2", "derived_file"), "value"] == pytest.approx(39.2, abs=1e-9)
    assert _value(store, "440100", "D3.R1.I7") == 66
    assert _value(store, "320100", "D3.R1.I2") == 50 and _value(store, "320100", "D3.R1.I7") == 0
    assert _value(store, "320100-Gaochun", "D3.R1.I2") == 60
    assert _value(store, "440300", "D3.R1.I2") is None
    # Precedence: the station value stays the one used; both are kept; 12.9 % apart is a finding.
    assert _value(store, "440100", "D3.R1.I2") == 45.0
    assert found[["unit_code", "used_source", "other_source"]].values.tolist() == [
        ["440100", "station_network_hj663", "derived_file"]]
    assert found["relative_difference"].iloc[0] == pytest.approx((45.0 - 39.2) / 45.0, abs=1e-9)
    assert "two sources disagree on D3.R1.I2 2016: station_network_hj663 45.0 (used, precedence) vs " \
           "derived_file 39.2" in text
    with store.connect() as conn:
        child = conn.execute(sa.select(units.c.name_zh, units.c.level, units.c.parent_code)
                             .where(units.c.code == "320500-Kunshan")).one()
    assert tuple(child) == ("昆山市", "county", "320500")
    again, _ = ingest_cities_pm25(store, tmp_path / "pm25.csv", by="test")
    assert again.already_ingested_as == report.batch_id and again.written == 0


def test_a_broken_file_is_located_and_writes_nothing(store: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("year,day_index,city,lon,lat,pm25_ugm3\n2016,1,Nanjing,118.5,31.5,x\n2016,2,Nanjing,118.5,31.5,-3\n",
                   encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest_cities_pm25(store, bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}, row 2, column 'pm25_ugm3': not a number: 'x'", f"{bad}, row 3, column 'pm25_ugm3': negative concentration"]
    missing = tmp_path / "missing.csv"
    missing.write_text("year,city,lon,lat\n2016,Nanjing,118.5,31.5\n", encoding="utf-8")
    with pytest.raises(IngestError) as gone:
        ingest_cities_pm25(store, missing)
    assert [p.reason for p in gone.value.problems] == ["missing column 'day_index'", "missing column 'pm25_ugm3'"]
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(indicator_values)).scalar_one() == 0
