"""A small but real workspace for the cockpit's tests: eight real cities, real values, one run.

Units and boundaries come from the census panel (``data/city_indicators``); indicator values are
computed from the 300-city yearly statistics, the census and CEADs CO2 by the formulas in
``src/zhicheng/goals/README.md`` and written as one ingest batch; the run is made by the
evaluation service (:func:`zhicheng.evaluate.service.evaluate`) with the built-in framework.
The full demo (:func:`zhicheng.workspace.demo.build_demo`, 369 units) is what the benchmark uses;
eight cities keep the browser tests fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.units import label_point, wkt_to_geojson
from zhicheng.goals.loader import builtin_framework
from zhicheng.store import schema_sensing as s
from zhicheng.store.schema import (
    evaluation_results,
    indicator_values,
    ingest_batches,
    units,
)
from zhicheng.store.schema_events import events

DATA = Path(__file__).resolve().parents[2] / "data"
#: Census code → English name of the cities in the workspace (none of them a municipality, so
#: the census and the yearly statistics share their codes).
CITIES = {
    "320100": "Nanjing", "320500": "Suzhou", "330100": "Hangzhou", "330200": "Ningbo",
    "440100": "Guangzhou", "440300": "Shenzhen", "510100": "Chengdu", "420100": "Wuhan",
}
YEARS = range(2015, 2021)
RUN_PERIOD = "2020"
BASE_PERIOD = "2015"


@dataclass
class Workspace:
    """A built store, a client of the app on it and what the builder wrote."""

    engine: Engine
    client: TestClient
    built: dict[str, Any]


def _units() -> pd.DataFrame:
    census = pd.read_csv(DATA / "city_indicators" / "census_city_2010-2020_v1.csv.gz", encoding="utf-8-sig",
                         dtype={"city_code": str})
    census = census[census["city_code"].isin(CITIES)].copy()
    geoms = [wkt_to_geojson(t) for t in census["coord"]]
    points = [label_point(g) for g in geoms]
    return pd.DataFrame({
        "code": census["city_code"], "name_zh": census["city"], "name_en": census["city_code"].map(CITIES),
        "level": "city", "parent_code": None, "group_name": census["province"],
        "boundary": [json.dumps(g) for g in geoms],
        "lon": [p[0] for p in points], "lat": [p[1] for p in points],
        "urban_2010": census["popu_urban_2010"] / census["popu_2010"] * 100,
        "urban_2020": census["popu_urban_2020"] / census["popu_2020"] * 100,
        "old_2010": census["age_65_2010"], "old_2020": census["age_65_2020"],
    })


def _macro_values(u: pd.DataFrame) -> pd.DataFrame:
    macro = pd.read_csv(DATA / "city_indicators" / "china_300_cities_macro_2000_2024.csv.gz",
                        encoding="utf-8-sig", dtype={"城市代码": str})
    macro.columns = [c.replace("\r\n", "") for c in macro.columns]
    m = macro[macro["城市代码"].isin(CITIES) & macro["年份"].isin(YEARS)].copy()
    pop = m["常住人口(万人)"]
    formulas = {
        "D1.R1.I2": m["移动电话年末用户数(万户)"] / pop * 100,
        "D1.R8.I1": m["一般公共预算支出_教育(万元)"] / pop,
        "D1.R8.I2": m["一般公共预算支出_教育(万元)"] / m["一般公共预算支出(万元)"] * 100,
        "D1.R8.I3": m["普通高等学校在校学生数(万人)"] / pop * 10_000,
        "D4.R1.I2": m["地区生产总值(万元)"] / pop,
        "D4.R2.I1": m["第三产业增加值(万元)"] / m["地区生产总值(万元)"] * 100,
        "D6.R5.I1": m["一般公共预算支出_科学技术(万元)"] / m["一般公共预算支出(万元)"] * 100,
        "D6.R5.I2": m["一般公共预算支出_科学技术(万元)"] / pop,
    }
    frames = [pd.DataFrame({"unit_code": m["城市代码"], "indicator_id": k, "period": m["年份"].astype(str),
                            "value": v}) for k, v in formulas.items()]
    co2 = pd.read_csv(DATA / "energy_carbon" / "ceads_city_co2_1997_2019_long.csv.gz")
    # CEADs names a prefecture by its province's short name and its own, e.g. 江苏南京.
    by_name = {p.removesuffix("省") + n.removesuffix("市"): c
               for c, n, p in zip(u["code"], u["name_zh"], u["group_name"], strict=True)}
    co2 = co2[co2["city"].isin(by_name) & co2["year"].isin(YEARS)]
    joined = co2.assign(unit_code=co2["city"].map(by_name), period=co2["year"].astype(str)).merge(
        m.assign(unit_code=m["城市代码"], period=m["年份"].astype(str))[["unit_code", "period", "常住人口(万人)"]],
        on=["unit_code", "period"],
    )
    frames.append(pd.DataFrame({
        "unit_code": joined["unit_code"], "indicator_id": "D3.R3.I1", "period": joined["period"],
        "value": joined["co2_mt"] * 1e6 / (joined["常住人口(万人)"] * 1e4),
    }))
    return pd.concat(frames, ignore_index=True).dropna()


def _census_values(u: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for year in ("2010", "2020"):
        frames.append(pd.DataFrame({"unit_code": u["code"], "indicator_id": "D2.R5.I2", "period": year,
                                    "value": u[f"urban_{year}"]}))
        frames.append(pd.DataFrame({"unit_code": u["code"], "indicator_id": "D1.R7.I6", "period": year,
                                    "value": u[f"old_{year}"]}))
    return pd.concat(frames, ignore_index=True).dropna()


def build_workspace(engine: Engine, *, with_run: bool = True) -> dict[str, object]:
    """Write units, one ingest batch of values and (unless ``with_run`` is False) one scored run."""
    fw = builtin_framework()
    u = _units()
    values = pd.concat([_macro_values(u), _census_values(u)], ignore_index=True)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(units.insert(), u[["code", "name_zh", "name_en", "level", "parent_code", "group_name",
                                        "boundary", "lon", "lat"]].to_dict("records"))
        batch = conn.execute(ingest_batches.insert().values(
            source="data/city_indicators/china_300_cities_macro_2000_2024.csv.gz + census + CEADs",
            checksum="0" * 64, kind="file", ingested_by="cockpit-tests", ingested_at=now, row_count=len(values),
        )).inserted_primary_key[0]
        conn.execute(indicator_values.insert(), values.assign(batch_id=batch).to_dict("records"))
    run_id = None
    if with_run:
        # A run of rules 1 (score = attainment, graded by score), as runs stored before rules 2 are:
        # the read models must keep showing them as they were.
        rules1 = MethodConfig(rules=1, normalise={"method": "dist2targ", "cap_max": True}, lookback=1)
        run_id = evaluate(engine, RUN_PERIOD, config=rules1, base_period=BASE_PERIOD).run_id
    return {"run_id": run_id, "units": sorted(CITIES), "framework": fw, "values": values}


#: One station's constant hourly concentrations over a day [µg/m³] (CO [mg/m³]).
READINGS = {"SO2": 10.0, "NO2": 20.0, "CO": 0.5, "O3": 30.0, "PM10": 60.0, "PM2.5": 80.0}


def add_station(conn: Any, name: str, start: datetime, hours: int, readings: dict[str, float],
                lonlat: tuple[float, float] | None = None, name_zh: str | None = None) -> list[int]:
    """A SensorThings station (Thing, six pollutant Datastreams) with constant hourly readings."""
    props = {"station": name, "name_zh": name_zh} if name_zh else None
    thing = conn.execute(s.sta_things.insert().values(name=name, description="station",
                                                      properties=props)).inserted_primary_key[0]
    if lonlat is not None:
        loc = conn.execute(s.sta_locations.insert().values(
            name=name, description="-", encoding_type="application/geo+json",
            location={"type": "Point", "coordinates": list(lonlat)})).inserted_primary_key[0]
        conn.execute(s.sta_thing_locations.insert().values(thing_id=thing, location_id=loc))
    sensor = conn.execute(s.sta_sensors.insert().values(name="analyser", description="-", encoding_type="text/plain")).inserted_primary_key[0]
    foi = conn.execute(s.sta_features_of_interest.insert().values(name=name, description="-", encoding_type="application/geo+json")).inserted_primary_key[0]
    t0 = int(start.timestamp() * 1e6)
    streams = []
    for prop, value in readings.items():
        op = conn.execute(s.sta_observed_properties.insert().values(name=prop, definition=prop, description=prop)).inserted_primary_key[0]
        unit = {"symbol": "mg/m³" if prop == "CO" else "µg/m³"}
        ds = conn.execute(s.sta_datastreams.insert().values(
            name=f"{name} {prop}", description="-", unit_of_measurement=unit, observation_type="OM_Measurement",
            thing_id=thing, sensor_id=sensor, observed_property_id=op)).inserted_primary_key[0]
        times = t0 + np.arange(hours, dtype=np.int64) * 3_600_000_000
        conn.execute(s.sta_observations.insert(), [
            {"datastream_id": ds, "feature_of_interest_id": foi, "phenomenon_time_start": int(t), "result_number": value}
            for t in times
        ])
        streams.append(ds)
    return streams



def add_live_data(engine: Engine, now: datetime) -> None:
    """Two stations (2016-06-01, Beijing time), an active alert and four city events."""
    with engine.begin() as conn:
        streams = add_station(conn, "Dongsi", datetime(2016, 5, 31, 16, 0, tzinfo=UTC), 24, READINGS,
                              (116.417, 39.929), name_zh="东四")
        add_station(conn, "Tiantan", datetime(2016, 5, 31, 16, 0, tzinfo=UTC), 24,
                    {**READINGS, "PM2.5": 20.0, "PM10": 30.0}, (116.407, 39.886), name_zh="天坛")
        rule = conn.execute(s.alert_rules.insert().values(
            name="PM2.5 > 75", datastream_id=streams[-1], kind="threshold", threshold=75.0, created_by="test",
            created_at=now)).inserted_primary_key[0]
        at = int(now.timestamp() * 1e6)
        conn.execute(s.alerts.insert().values(rule_id=rule, datastream_id=streams[-1], started_at=at,
                                              peak_value=80.0, peak_at=at, message="PM2.5 80"))
        base = {"source": "citizen", "requested_at": now - timedelta(days=3), "updated_at": now, "department": None}
        conn.execute(events.insert(), [
            {**base, "service_code": "road-damage", "status": "dispatched", "department": "JTJ",
             "expected_at": now - timedelta(hours=5)},
            {**base, "service_code": "noise", "status": "submitted", "expected_at": now + timedelta(hours=5)},
            {**base, "service_code": "road-damage", "status": "reopened", "department": "JTJ",
             "expected_at": now - timedelta(hours=1)},
            {**base, "service_code": "streetlight-single", "status": "closed", "expected_at": now - timedelta(hours=9)},
        ])


def store_rows(engine: Engine, run_id: int) -> pd.DataFrame:
    """The stored results of ``run_id`` (for tests to compare the API against)."""
    with engine.connect() as conn:
        return pd.read_sql(sa.select(evaluation_results).where(evaluation_results.c.run_id == run_id), conn)
