"""Beijing's air quality in the demo: the 12 stations as units and their HJ 663 annual values as one batch."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.intake import IngestReport, split_stored
from zhicheng.store.schema import units
from zhicheng.store.values import batch_with_checksum, new_batch, write_values
from zhicheng.workspace.demo_sources import (
    BACKGROUND_STATIONS,
    BEIJING_CITY,
    GOOD_DAYS,
    MIN_VALID_DAYS,
    PM25_ANNUAL,
    _digest,
)


def station_unit(station: str) -> str:
    """The unit code of a Beijing station (``110100-Dongsi``)."""
    return f"{BEIJING_CITY}-{station}"


def air_indicator_values(air_dir: Path) -> pd.DataFrame:
    """D3.R1.I1 and D3.R1.I2 of every station-year and of Beijing, from the hourly files.

    The share of good-air days [%] is kept for years with at least 324 valid days, the PM2.5
    annual mean [µg/m³] where its year is valid; the city's daily values are the means of its
    city stations (background stations left out), evaluated like a station's.

    Returns columns unit_code, indicator_id, period, value.

    References
    ----------
    HJ 663-2013 §4 (city concentration from the city stations), §5.1 and §6.1 (annual
    statistics and their validity); HJ 633-2012 (daily AQI before 2026-03-01).
    """
    from zhicheng.air import annual_evaluation, city_daily, daily_aqi
    from zhicheng.air.io import read_hourly

    daily = daily_aqi(read_hourly([air_dir]))
    stations = [str(s) for s in pd.unique(daily["station"]) if str(s) not in BACKGROUND_STATIONS]
    per_station = annual_evaluation(daily)
    per_station["unit_code"] = per_station["station"].astype(str).map(station_unit)
    city = annual_evaluation(city_daily(daily, city=BEIJING_CITY, stations=stations))
    city["unit_code"] = BEIJING_CITY
    table = pd.concat([per_station, city], ignore_index=True)
    good = table[table["valid_days"] >= MIN_VALID_DAYS]
    pm25 = table[table["pm25_year_valid"].astype(bool)]
    out = pd.concat([
        pd.DataFrame({"unit_code": good["unit_code"], "indicator_id": GOOD_DAYS, "period": good["year"].astype(str),
                      "value": good["good_day_share"].astype(float)}),
        pd.DataFrame({"unit_code": pm25["unit_code"], "indicator_id": PM25_ANNUAL, "period": pm25["year"].astype(str),
                      "value": pm25["pm25_annual"].astype(float)}),
    ], ignore_index=True)
    return out.dropna(subset=["value"]).sort_values(["indicator_id", "unit_code", "period"], ignore_index=True)


def _station_units(conn: sa.Connection) -> int:
    """Add the 12 stations as units under Beijing (those missing); return how many were added."""
    from zhicheng.sensing.beijing import STATIONS

    have = set(conn.execute(sa.select(units.c.code).where(units.c.parent_code == BEIJING_CITY)).scalars())
    rows = [
        {"code": station_unit(name), "name_zh": f"{zh}监测站", "name_en": f"{name} monitoring station",
         "level": "station", "parent_code": BEIJING_CITY, "group_name": "北京市", "lon": lon, "lat": lat}
        for name, (zh, lon, lat) in STATIONS.items() if station_unit(name) not in have
    ]
    if rows:
        if conn.execute(sa.select(units.c.code).where(units.c.code == BEIJING_CITY)).scalar() is None:
            raise EvaluationError(f"Beijing's unit {BEIJING_CITY} is missing: load the census units first")
        conn.execute(units.insert(), rows)
    return len(rows)


def ingest_beijing_air(engine: Engine, air_dir: Path, by: str = "demo") -> tuple[IngestReport, pd.DataFrame]:
    """Store the stations as units and their air indicators as one ingest batch (source: the folder).

    A folder already ingested (same files, by checksum) is not read again.
    """
    files = sorted(air_dir.glob("PRSA_Data_*.csv*"))
    if not files:
        raise EvaluationError(f"no PRSA_Data_*.csv(.gz) files in {air_dir}")
    digest = _digest(files, "demo air v1: HJ 663 good-day share and PM2.5 annual mean")
    with engine.connect() as conn:
        earlier = batch_with_checksum(conn, digest)
    if earlier is not None:
        return IngestReport(source=str(air_dir), checksum=digest, dry_run=False, already_ingested_as=earlier,
                            rows_read=len(files)), pd.DataFrame()
    values = air_indicator_values(air_dir)
    with engine.begin() as conn:
        added = _station_units(conn)
        new, changed, unchanged = split_stored(conn, values)
        note = json.dumps({"files": [f.name for f in files], "method": "HJ 663 annual evaluation; city = mean "
                           f"of the city stations (without {', '.join(BACKGROUND_STATIONS)})"}, ensure_ascii=False)
        batch = new_batch(conn, source=str(air_dir), checksum=digest, ingested_by=by,
                          row_count=len(new) + len(changed), kind="air", note=note)
        write_values(conn, new, changed, batch)
    counts = {str(k): int(v) for k, v in values["indicator_id"].value_counts().sort_index().items()}
    report = IngestReport(source=str(air_dir), checksum=digest, dry_run=False, batch_id=batch, rows_read=len(files),
                          values_new=len(new), values_updated=len(changed), values_unchanged=unchanged,
                          units_new=added, indicators=counts)
    return report, values
