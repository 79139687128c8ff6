"""A small real store of hourly observations to archive (synthetic values, labelled so)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from zhicheng.store import schema_sensing as s

HOUR_US = 3_600_000_000
#: Stations, their last observation (so that each Datastream's hot window ends elsewhere) and
#: the days of hourly data before it. Synthetic.
STATIONS = {"Dongsi": (datetime(2016, 6, 30, 23, tzinfo=UTC), 150),
            "Tiantan": (datetime(2016, 4, 15, 11, tzinfo=UTC), 130)}


def add_observations(engine: sa.Engine, seed: int = 7) -> pd.DataFrame:
    """Two stations with a PM2.5 and a CO Datastream each; returns every observation written."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for name, (last, days) in STATIONS.items():
            thing = conn.execute(s.sta_things.insert().values(
                name=name, description="synthetic station",
                properties={"station": name, "utc_offset_hours": 8})).inserted_primary_key[0]
            sensor = conn.execute(s.sta_sensors.insert().values(
                name="analyser", description="-", encoding_type="text/plain")).inserted_primary_key[0]
            foi = conn.execute(s.sta_features_of_interest.insert().values(
                name=name, description="-", encoding_type="application/geo+json")).inserted_primary_key[0]
            n = days * 24
            t = int(last.timestamp() * 1e6) - np.arange(n)[::-1].astype(np.int64) * HOUR_US
            for prop, unit, scale in (("PM2.5", "µg/m³", 80.0), ("CO", "mg/m³", 1.2)):
                op = conn.execute(s.sta_observed_properties.insert().values(
                    name=prop, definition=prop, description=prop)).inserted_primary_key[0]
                ds = conn.execute(s.sta_datastreams.insert().values(
                    name=f"{name} {prop}", description="-", unit_of_measurement={"symbol": unit},
                    observation_type="OM_Measurement", properties={"pollutant": prop},
                    thing_id=thing, sensor_id=sensor, observed_property_id=op)).inserted_primary_key[0]
                values = np.round(rng.gamma(2.0, scale / 2, n), 1)
                batch = [{"datastream_id": ds, "feature_of_interest_id": foi,
                          "phenomenon_time_start": int(ti), "result_number": float(v),
                          "parameters": {"synthetic": True} if i % 500 == 0 else None}
                         for i, (ti, v) in enumerate(zip(t, values, strict=True))]
                conn.execute(s.sta_observations.insert(), batch)
                rows += batch
    return observations(engine)


def observations(engine: sa.Engine) -> pd.DataFrame:
    """Every observation in the store (id, datastream, time, result, parameters), by id."""
    o = s.sta_observations.c
    with engine.connect() as conn:
        got = conn.execute(sa.select(o.id, o.datastream_id, o.phenomenon_time_start, o.result_number,
                                     o.parameters).order_by(o.id)).all()
    frame = pd.DataFrame(got, columns=["id", "datastream_id", "phenomenon_time_start", "result_number",
                                       "parameters"])
    frame["parameters"] = frame["parameters"].map(lambda v: None if v is None else repr(sorted(v.items())))
    return frame
