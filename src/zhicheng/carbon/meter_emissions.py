"""Emissions of metered energy: the meters' readings from the store, by building or group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.carbon import catalogue
from zhicheng.carbon.sources import CarbonError
from zhicheng.store.values import fetch_rows


def meter_kinds(conn: sa.Connection) -> pd.DataFrame:
    """Every energy-meter Datastream (unit kWh, m³ or GJ) in the SensorThings tables.

    Returns ``datastream_id, thing_id, thing, properties, unit, kind``: ``kind`` is the Datastream
    property ``meter`` (``cumulative`` by default, or ``interval``).
    """
    from zhicheng.carbon.meters import carrier_of
    from zhicheng.store import schema_sensing as s

    d, t = s.sta_datastreams, s.sta_things
    streams = conn.execute(sa.select(d.c.id, d.c.unit_of_measurement, d.c.properties, t.c.id.label("thing_id"),
                                     t.c.name, t.c.properties.label("thing_properties"))
                           .select_from(d.join(t, t.c.id == d.c.thing_id)).order_by(d.c.id)).all()
    rows = []
    for r in streams:
        symbol = str((r.unit_of_measurement or {}).get("symbol", ""))
        if carrier_of(symbol) is None:
            continue
        kind = str((r.properties or {}).get("meter", "cumulative"))
        rows.append((r.id, r.thing_id, r.name, dict(r.thing_properties or {}), symbol, kind))
    return pd.DataFrame(rows, columns=["datastream_id", "thing_id", "thing", "properties", "unit", "kind"])


def meter_readings(conn: sa.Connection) -> pd.DataFrame:
    """Readings of every energy-meter Datastream (:func:`meter_kinds`) from the SensorThings tables.

    Returns ``datastream_id, thing_id, thing, properties, unit, kind, time_us, value``.
    """
    from zhicheng.store import schema_sensing as s

    info = meter_kinds(conn)
    if info.empty:
        return info.assign(time_us=pd.Series(dtype="int64"), value=pd.Series(dtype="float64"))
    o = s.sta_observations
    obs = fetch_rows(conn, sa.select(o.c.datastream_id, o.c.phenomenon_time_start, o.c.result_number)
                     .where(o.c.datastream_id.in_(info["datastream_id"].tolist()), o.c.result_number.is_not(None))
                     .order_by(o.c.datastream_id, o.c.phenomenon_time_start))
    frame = pd.DataFrame(obs, columns=["datastream_id", "time_us", "value"])
    return info.merge(frame, on="datastream_id", how="inner")


def meter_emissions(engine: Engine, edges_us: Sequence[int], *, group: str = "building") -> pd.DataFrame:
    """Consumption and scope-1/2 emissions per meter and period, labelled by the Thing's ``group`` property.

    ``edges_us`` are period boundaries [µs since 1970, UTC]. Each row: ``datastream_id, thing,
    <group>, carrier, unit, period_start_us, period_end_us, consumption, factor_id, scope, t_co2,
    resets``. The factor is the carrier's version for the period's year.
    """
    import datetime as dt

    from zhicheng.carbon import meters

    with engine.connect() as conn:
        readings = meter_readings(conn)
    edges = np.asarray(edges_us, dtype=np.int64)
    if len(edges) < 2:
        raise CarbonError("periods need at least two boundaries")
    rows = []
    for _, part in readings.groupby("datastream_id", sort=True):
        first = part.iloc[0]
        ds = int(first["datastream_id"])
        carrier = meters.carrier_of(first["unit"])
        used, resets = meters.consumption(part["time_us"].to_numpy(), part["value"].to_numpy(), edges,
                                          kind=first["kind"])
        for k in range(len(edges) - 1):
            year = dt.datetime.fromtimestamp(edges[k] / 1e6, dt.UTC).year
            factor = catalogue.factor_for(str(carrier), year)
            rows.append({"datastream_id": ds, "thing": first["thing"],
                         group: first["properties"].get(group), "carrier": carrier, "unit": first["unit"],
                         "period_start_us": int(edges[k]), "period_end_us": int(edges[k + 1]),
                         "consumption": float(used[k]), "factor_id": factor.id, "scope": factor.scope,
                         "t_co2": float(meters.emissions_t(np.array([used[k]]), factor)[0]), "resets": resets})
    return pd.DataFrame(rows)
