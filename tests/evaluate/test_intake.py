"""Intake of good files: layouts, formats, conversions, derived indicators, idempotency, quality checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from sqlalchemy.engine import Engine

from zhicheng.evaluate import ingest_file
from zhicheng.store.schema import ingest_batches
from zhicheng.store.values import read_values

LONG = """unit,indicator,period,value
440100,D4.R1.I2,2020,135047.7
440300,D4.R1.I2,2020,159309
440100,D4.R2.I1,2020,72.51
440300,D4.R2.I1,2020,62.13
440100,D4.R1.I2,2019,156427
"""


def stored(engine: Engine, **filters: Any) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = read_values(conn, **filters)
    return (frame.drop(columns="batch_id").sort_values(["unit_code", "indicator_id", "period"])
            .reset_index(drop=True))


def expected(text: str) -> pd.DataFrame:
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype={"unit_code": str, "period": str})
    return frame.sort_values(["unit_code", "indicator_id", "period"]).reset_index(drop=True)


def test_long_csv_values_are_stored_exactly(store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(LONG, encoding="utf-8")
    report = ingest_file(store, path, ingested_by="tester")
    assert (report.values_new, report.values_updated, report.rows_read) == (5, 0, 5)
    want = expected(LONG.replace("unit,indicator,", "unit_code,indicator_id,"))
    assert_frame_equal(stored(store), want, check_exact=True)
    with store.connect() as conn:
        batch = conn.execute(sa.select(ingest_batches).where(ingest_batches.c.id == report.batch_id)).one()
    assert (batch.row_count, batch.ingested_by, batch.source) == (5, "tester", str(path))


def test_xlsx_and_json_give_the_same_values_as_csv(store: Engine, tmp_path: Path) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(LONG), dtype=str)
    xlsx = tmp_path / "long.xlsx"
    frame.to_excel(xlsx, index=False)
    ingest_file(store, xlsx)
    from_xlsx = stored(store)
    js = tmp_path / "long.json"
    records = [{**r, "value": float(r["value"]), "period": int(r["period"])} for r in frame.to_dict("records")]
    js.write_text(json.dumps({"data": records}), encoding="utf-8")
    report = ingest_file(store, js)
    # Same keys and values: the JSON file changes nothing.
    assert (report.values_new, report.values_updated, report.values_unchanged, report.batch_id) == (0, 0, 5, None)
    assert_frame_equal(stored(store), from_xlsx)
    assert from_xlsx["value"].tolist() == [156427.0, 135047.7, 72.51, 159309.0, 62.13]


def test_reingest_is_idempotent_and_a_revision_updates_only_changed_values(
    store: Engine, tmp_path: Path, fingerprint: Any
) -> None:
    path = tmp_path / "long.csv"
    path.write_text(LONG, encoding="utf-8")
    first = ingest_file(store, path)
    after_first = fingerprint(store)
    again = ingest_file(store, path)
    assert again.already_ingested_as == first.batch_id
    assert fingerprint(store) == after_first
    revised = tmp_path / "revised.csv"
    revised.write_text(LONG.replace("62.13", "62.2"), encoding="utf-8")
    report = ingest_file(store, revised)
    assert (report.values_new, report.values_updated, report.values_unchanged) == (0, 1, 4)
    row = stored(store, units_=["440300"], indicators=["D4.R2.I1"])
    assert row["value"].tolist() == [62.2]


def test_wide_file_with_mapping_converts_units_and_derives_indicators(store: Engine, tmp_path: Path) -> None:
    # 2020 figures of Guangzhou and Shenzhen as a yearbook gives them (10^4 CNY, 10^4 persons).
    data = tmp_path / "yearbook.csv"
    data.write_text(
        "城市代码,年份,\"地区生产总值\n(万元)\",常住人口(万人),第三产业比重,在校生(万人)\n"
        "440100,2020,\"250,191,100\",1874.03,0.7251,130.66\n"
        "440300,2020,276702400,1763.38,0.6213,—\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "yearbook.yaml"
    mapping.write_text(
        "unit: {column: 城市代码}\nperiod: {column: 年份}\ncolumns:\n"
        "  gdp: {column: \"地区生产总值\\n(万元)\", convert: 万元->元}\n"
        "  pop: {column: 常住人口(万人), convert: 万人->人}\n"
        "  tertiary: {column: 第三产业比重}\n"
        "  students: {column: 在校生(万人), convert: 万人->人}\n"
        "indicators:\n"
        "  D4.R1.I2: {expr: gdp / pop}\n"
        "  D4.R2.I1: {from: tertiary, convert: fraction->%}\n"
        "  D1.R8.I3: {expr: students / pop * 10000}\n"
        "  den.population: {from: pop}\n",
        encoding="utf-8",
    )
    report = ingest_file(store, data, mapping=mapping)
    assert report.values_new == 7  # Shenzhen's students are missing ("—")
    got = stored(store).set_index(["unit_code", "indicator_id"])["value"]
    assert got[("440100", "D4.R1.I2")] == pytest.approx(250_191_100e4 / 1874.03e4, rel=1e-12)
    assert got[("440300", "D4.R1.I2")] == pytest.approx(276_702_400 / 1763.38, rel=1e-12)
    assert got[("440100", "D4.R2.I1")] == pytest.approx(72.51, rel=1e-12)
    assert got[("440100", "D1.R8.I3")] == pytest.approx(130.66 / 1874.03 * 1e4, rel=1e-12)
    assert got[("440300", "den.population")] == pytest.approx(17_633_800.0, rel=1e-12)
    assert ("440300", "D1.R8.I3") not in got.index
    assert "D4.R2.I1 (第三产业比重): fraction->%" in report.conversions
    assert sorted(report.conversions) == ["D4.R2.I1 (第三产业比重): fraction->%", "在校生(万人): 万人->人",
                                          "地区生产总值\n(万元): 万元->元", "常住人口(万人): 万人->人"]


def test_store_inputs_and_unit_names_with_province_prefix(store: Engine, tmp_path: Path) -> None:
    pop = tmp_path / "pop.csv"
    pop.write_text("unit,indicator,period,value\n440100,den.population,2019,15305900\n"
                   "320100,den.population,2019,8500000\n", encoding="utf-8")
    ingest_file(store, pop)
    co2 = tmp_path / "co2.csv"
    co2.write_text("city,year,co2_mt\n广东广州,2019,68.9\n南京,2019,145.2\n四川成都,2019,50.1\n", encoding="utf-8")
    mapping = tmp_path / "co2.yaml"
    mapping.write_text(
        "unit: {column: city, by: name, level: city, unknown: skip}\nperiod: {column: year}\n"
        "columns:\n  co2: {column: co2_mt, convert: Mt->t}\nstore_inputs:\n  pop: den.population\n"
        "indicators:\n  D3.R3.I1: {expr: co2 / pop}\n", encoding="utf-8")
    report = ingest_file(store, co2, mapping=mapping)
    got = stored(store, indicators=["D3.R3.I1"]).set_index("unit_code")["value"]
    assert got["440100"] == pytest.approx(68.9e6 / 15305900, rel=1e-12)
    assert got["320100"] == pytest.approx(145.2e6 / 8.5e6, rel=1e-12)
    assert [w.reason for w in report.warnings] == ["skipped: unknown unit '四川成都'"]
    assert report.warnings[0].row == 4


def test_suspicious_repeats_can_be_excluded_visibly(store: Engine, tmp_path: Path, broken: Path) -> None:
    mapping = tmp_path / "exclude.yaml"
    mapping.write_text("layout: long\nsuspicious: {action: exclude}\n", encoding="utf-8")
    report = ingest_file(store, broken / "suspicious_repeat.csv", mapping=mapping)
    assert (report.values_new, report.values_excluded, report.batch_id) == (0, 8, None)
    assert len(report.warnings) == 1 and "excluded, suspicious" in report.warnings[0].reason
    assert stored(store).empty


def test_out_of_range_values_can_be_excluded_one_by_one(store: Engine, tmp_path: Path, broken: Path) -> None:
    mapping = tmp_path / "exclude.yaml"
    mapping.write_text("layout: long\nout_of_range: exclude\n", encoding="utf-8")
    report = ingest_file(store, broken / "out_of_range.csv", mapping=mapping)
    assert (report.values_new, report.values_excluded) == (1, 1)
    assert report.warnings[0].row == 2 and "130 is outside" in report.warnings[0].reason
    assert stored(store)["value"].tolist() == [62.5]


def test_periods_in_column_names(store: Engine, tmp_path: Path) -> None:
    data = tmp_path / "census.csv"
    data.write_text("city_code,popu_2010,popu_urban_2010,popu_2020,popu_urban_2020\n"
                    "440100,12701948,10641408,18676605,16106201\n", encoding="utf-8")
    mapping = tmp_path / "census.yaml"
    mapping.write_text("unit: {column: city_code}\nperiod: {values: [2010, 2020]}\ncolumns:\n"
                       "  pop: {column: 'popu_{period}'}\n  urban: {column: 'popu_urban_{period}'}\n"
                       "indicators:\n  D2.R5.I2: {expr: urban / pop * 100}\n", encoding="utf-8")
    ingest_file(store, data, mapping=mapping)
    got = stored(store)
    assert got["period"].tolist() == ["2010", "2020"]
    assert got["value"].tolist() == pytest.approx([10641408 / 12701948 * 100, 16106201 / 18676605 * 100], rel=1e-12)
