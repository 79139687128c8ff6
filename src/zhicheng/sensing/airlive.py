"""Live air quality of the stations: current hourly AQI and daily AQI from their Datastreams.

A station is a Thing with Datastreams whose ObservedProperty is one of PM2.5, PM10, SO2, NO2,
CO, O3 (concentrations in µg/m³, CO in mg/m³; a Datastream in the other unit is converted).
The heavy reduction — raw observations to hourly means per Datastream — runs in the database
as a SQL ``GROUP BY`` on the integer hour; the AQI itself comes from :mod:`zhicheng.air`
(HJ 633 real-time and daily AQI, validity by GB 3095 / HJ 663).

Times: the standards work on local natural days and hours (China Standard Time, UTC+8); a
Thing may say otherwise with ``properties/utc_offset_hours``.

References
----------
HJ 633-2026 §4.2.2, §4.2.3, Table 5 (daily and real-time AQI); HJ 633-2012 §5.1;
GB 3095-2026 Table 4 (validity of means); OGC 18-088 §8.2 (Thing, Datastream, Observation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from zhicheng.air.editions import daily_aqi
from zhicheng.air.iaqi import as_standard
from zhicheng.air.realtime import hourly_aqi
from zhicheng.sensing.alerts import POLLUTANT_OF
from zhicheng.sensing.errors import NotFound
from zhicheng.sensing.timefmt import format_instant
from zhicheng.store import schema_sensing as s

HOUR_US = 3_600_000_000
#: China Standard Time [h east of UTC], the day boundary of the Chinese standards.
DEFAULT_UTC_OFFSET_HOURS = 8
POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
#: Hours of history read to give the moving means of a real-time AQI (24 h PM in HJ 633-2012).
HISTORY_HOURS = 24
_MICRO_G = {"µg/m³", "μg/m³", "ug/m3", "µg/m3", "μg/m3", "ug/m³"}
_MILLI_G = {"mg/m³", "mg/m3"}


@dataclass(frozen=True)
class StationStream:
    """One pollutant Datastream of a station."""

    thing_id: int
    datastream_id: int
    pollutant: str
    #: Factor from the Datastream's unit to the standard's unit (µg/m³; CO mg/m³).
    factor: float


def _factor(pollutant: str, unit: Any) -> float:
    symbol = str((unit or {}).get("symbol", "")).strip() if isinstance(unit, dict) else ""
    if pollutant == "co" and symbol in _MICRO_G:
        return 1e-3
    if pollutant != "co" and symbol in _MILLI_G:
        return 1e3
    return 1.0


def station_streams(conn: sa.Connection, thing_id: int | None = None) -> list[StationStream]:
    """Pollutant Datastreams of every station (or of one Thing)."""
    d, op = s.sta_datastreams, s.sta_observed_properties
    stmt = (
        sa.select(d.c.thing_id, d.c.id, op.c.name, d.c.unit_of_measurement)
        .join(op, op.c.id == d.c.observed_property_id)
        .where(op.c.name.in_(list(POLLUTANT_OF)))
        .order_by(d.c.thing_id, d.c.id)
    )
    if thing_id is not None:
        stmt = stmt.where(d.c.thing_id == thing_id)
    return [
        StationStream(int(r[0]), int(r[1]), POLLUTANT_OF[r[2]], _factor(POLLUTANT_OF[r[2]], r[3]))
        for r in conn.execute(stmt)
    ]


def hourly_means(
    conn: sa.Connection, ds_ids: list[int], since: int | None = None, until: int | None = None
) -> pd.DataFrame:
    """Hourly means per Datastream by SQL ``GROUP BY`` on the UTC hour.

    Returns ``datastream_id``, ``hour`` [µs since epoch, start of the UTC hour], ``mean`` and
    ``n`` (observations in the hour). ``since``/``until`` [µs] bound the phenomenon time.
    """
    o = s.sta_observations
    t = o.c.phenomenon_time_start
    hour = (t - t % HOUR_US).label("hour")
    stmt = (
        sa.select(
            o.c.datastream_id,
            hour,
            sa.func.avg(o.c.result_number).label("mean"),
            sa.func.count(o.c.result_number).label("n"),
        )
        .where(o.c.datastream_id.in_(ds_ids), o.c.result_number.is_not(None))
        .group_by(o.c.datastream_id, hour)
    )
    if since is not None:
        stmt = stmt.where(t >= since)
    if until is not None:
        stmt = stmt.where(t < until)
    rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["datastream_id", "hour", "mean", "n"])
    return frame.astype(
        {"datastream_id": "int64", "hour": "int64", "mean": "float64", "n": "int64"}
    )


def _offset_us(conn: sa.Connection, thing_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        sa.select(s.sta_things.c.id, s.sta_things.c.properties).where(
            s.sta_things.c.id.in_(thing_ids)
        )
    )
    out = {}
    for thing_id, props in rows:
        hours = (
            (props or {}).get("utc_offset_hours", DEFAULT_UTC_OFFSET_HOURS)
            if isinstance(props, dict)
            else DEFAULT_UTC_OFFSET_HOURS
        )
        out[int(thing_id)] = int(float(hours) * HOUR_US)
    return out


def hourly_frame(
    conn: sa.Connection,
    streams: list[StationStream],
    since: int | None = None,
    until: int | None = None,
) -> pd.DataFrame:
    """One row per station and local hour with the six pollutants (the air module's input).

    Columns ``station`` (the Thing id), ``time`` (local, naive, start of hour), ``utc_hour``
    [µs] and ``so2`` … ``pm25`` (NaN where there is no value; negative readings are invalid).
    """
    columns = ["station", "time", "utc_hour", *POLLUTANTS]
    if not streams:
        return pd.DataFrame(columns=columns)
    means = hourly_means(conn, [st.datastream_id for st in streams], since, until)
    meta = pd.DataFrame([st.__dict__ for st in streams]).rename(columns={"datastream_id": "ds"})
    merged = means.merge(meta, left_on="datastream_id", right_on="ds")
    merged["value"] = (merged["mean"] * merged["factor"]).where(lambda v: v >= 0)
    wide = merged.pivot_table(
        index=["thing_id", "hour"], columns="pollutant", values="value", aggfunc="mean"
    )
    wide = wide.reindex(columns=list(POLLUTANTS)).reset_index()
    offsets = _offset_us(conn, [int(x) for x in wide["thing_id"].unique()])
    local = wide["hour"].to_numpy(np.int64) + wide["thing_id"].map(offsets).to_numpy(np.int64)
    out = pd.DataFrame(
        {
            "station": wide["thing_id"].astype("int64"),
            "time": pd.to_datetime(local, unit="us"),
            "utc_hour": wide["hour"].astype("int64"),
        }
    )
    for p in POLLUTANTS:
        out[p] = wide[p].astype("float64").to_numpy()
    return out.sort_values(["station", "time"], ignore_index=True)


def _station_meta(conn: sa.Connection, thing_ids: list[int]) -> dict[int, dict[str, Any]]:
    t, tl, loc = s.sta_things, s.sta_thing_locations, s.sta_locations
    rows = conn.execute(
        sa.select(t.c.id, t.c.name, t.c.properties, loc.c.location)
        .outerjoin(tl, tl.c.thing_id == t.c.id).outerjoin(loc, loc.c.id == tl.c.location_id)
        .where(t.c.id.in_(thing_ids)).order_by(t.c.id, loc.c.id)
    ).all()  # fmt: skip
    meta: dict[int, dict[str, Any]] = {}
    for thing_id, name, props, location in rows:
        entry = meta.setdefault(
            int(thing_id),
            {"id": int(thing_id), "name": name, "properties": props, "location": None},
        )
        if location is not None:
            entry["location"] = location
    return meta


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def current_aqi(conn: sa.Connection, standard: str | None = None) -> list[dict[str, Any]]:
    """Every station's latest hour: concentrations and real-time AQI (HJ 633).

    The latest hour is the last hour with any pollutant value; the hours before it (up to
    :data:`HISTORY_HOURS`) give the moving means that HJ 633-2012 asks for.
    """
    streams = station_streams(conn)
    if not streams:
        return []
    latest = _latest_hours(conn, streams)
    frames = []
    for thing_id, last in latest.items():
        mine = [st for st in streams if st.thing_id == thing_id]
        frames.append(
            hourly_frame(conn, mine, last - (HISTORY_HOURS - 1) * HOUR_US, last + HOUR_US)
        )
    hourly = pd.concat(frames, ignore_index=True)
    hourly = _complete_hours(hourly)
    aqi = hourly_aqi(hourly[["station", "time", *POLLUTANTS]], standard=as_standard(standard))
    table = pd.concat([hourly, aqi], axis=1)
    last_rows = table[table["utc_hour"] == table["station"].map(latest)]
    meta = _station_meta(conn, list(latest))
    return [_station_json(meta[int(r["station"])], r) for _, r in last_rows.iterrows()]


def _latest_hours(conn: sa.Connection, streams: list[StationStream]) -> dict[int, int]:
    """Start of the last UTC hour with data, per station (index seek per Datastream).

    A correlated ``max`` per Datastream is one backward seek on
    ``ix_sta_observations_ds_time``; ``GROUP BY datastream_id`` over the observations
    would read every row of each Datastream instead (neither SQLite nor PostgreSQL
    skip-scans it).
    """
    o, d = s.sta_observations, s.sta_datastreams
    last = (
        sa.select(sa.func.max(o.c.phenomenon_time_start))
        .where(o.c.datastream_id == d.c.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(d.c.id, last).where(d.c.id.in_([st.datastream_id for st in streams]))
    ).all()
    by_ds = {int(d): int(t) for d, t in rows if t is not None}
    latest: dict[int, int] = {}
    for st in streams:
        t = by_ds.get(st.datastream_id)
        if t is not None:
            latest[st.thing_id] = max(latest.get(st.thing_id, 0), t - t % HOUR_US)
    return latest


def _complete_hours(hourly: pd.DataFrame) -> pd.DataFrame:
    """Add the missing hours (all NaN) so moving means see gaps as gaps."""
    parts = []
    for station, part in hourly.groupby("station", sort=True):
        hours = np.arange(
            part["utc_hour"].min(), part["utc_hour"].max() + HOUR_US, HOUR_US, dtype=np.int64
        )
        offset = (
            part["time"].iloc[0] - pd.to_datetime(part["utc_hour"].iloc[0], unit="us")
        ).value // 1000
        full = pd.DataFrame({"utc_hour": hours})
        full = full.merge(part.drop(columns=["station", "time"]), on="utc_hour", how="left")
        full.insert(0, "station", station)
        full.insert(1, "time", pd.to_datetime(hours + offset, unit="us"))
        parts.append(full)
    return pd.concat(parts, ignore_index=True)


def _station_json(meta: dict[str, Any], row: pd.Series) -> dict[str, Any]:
    return {
        "thing_id": meta["id"],
        "name": meta["name"],
        # The station's Chinese name where its properties carry one (the Beijing network's do).
        "name_zh": (meta["properties"] or {}).get("name_zh")
        if isinstance(meta["properties"], dict)
        else None,
        "station": (meta["properties"] or {}).get("station")
        if isinstance(meta["properties"], dict)
        else None,
        "location": meta["location"],
        "hour_start": format_instant(int(row["utc_hour"])),
        "local_time": row["time"].isoformat(),
        "standard": _clean(row["standard"]),
        "concentrations": {p: _clean(row[p]) for p in POLLUTANTS},
        "iaqi": {
            k.removeprefix("iaqi_"): _clean(row[k])
            for k in row.index
            if str(k).startswith("iaqi_") and _clean(row[k]) is not None
        },
        "aqi": _clean(row["aqi"]),
        "primary": _clean(row["primary"]),
        "level": _clean(row["level"]),
        "level_en": _clean(row["level_en"]),
        "colour": _clean(row["colour"]),
        "complete": _clean(row["complete"]),
    }


def daily_station_aqi(
    conn: sa.Connection,
    thing_id: int,
    since: int | None = None,
    until: int | None = None,
    standard: str | None = None,
) -> list[dict[str, Any]]:
    """Daily AQI of one station for the local days within ``since``/``until`` [µs, UTC]."""
    streams = _require_station(conn, thing_id)
    hourly = hourly_frame(conn, streams, since, until)
    if hourly.empty:
        return []
    days = daily_aqi(hourly[["station", "time", *POLLUTANTS]], standard=as_standard(standard))
    keep = [c for c in days.columns if c != "station"]
    out = []
    for _, row in days.iterrows():
        item = {c: _clean(row[c]) for c in keep}
        item["date"] = pd.Timestamp(row["date"]).date().isoformat()
        out.append(item)
    return out


def _require_station(conn: sa.Connection, thing_id: int) -> list[StationStream]:
    exists = conn.execute(sa.select(s.sta_things.c.id).where(s.sta_things.c.id == thing_id)).first()
    if exists is None:
        raise NotFound(f"Thing {thing_id} does not exist")
    streams = station_streams(conn, thing_id)
    if not streams:
        raise NotFound(
            f"Thing {thing_id} has no air-quality Datastreams (PM2.5, PM10, SO2, NO2, CO, O3)"
        )
    return streams


def station_hourly_aqi(
    conn: sa.Connection, thing_id: int, hours: int = 72, standard: str | None = None
) -> list[dict[str, Any]]:
    """Real-time (hourly) AQI of one station for its last ``hours`` hours with data, oldest first.

    The hours end at the station's latest hour with any value; missing hours are kept (no AQI),
    and the :data:`HISTORY_HOURS` before the first give the moving means HJ 633-2012 asks for.
    Each hour as :func:`current_aqi` gives a station.
    """
    streams = _require_station(conn, thing_id)
    last = _latest_hours(conn, streams).get(thing_id)
    if last is None:
        return []
    first = last - (hours - 1) * HOUR_US
    hourly = hourly_frame(conn, streams, first - HISTORY_HOURS * HOUR_US, last + HOUR_US)
    if hourly.empty:
        return []
    hourly = _complete_hours(hourly)
    aqi = hourly_aqi(hourly[["station", "time", *POLLUTANTS]], standard=as_standard(standard))
    table = pd.concat([hourly, aqi], axis=1)
    shown = table[table["utc_hour"] >= first]
    meta = _station_meta(conn, [thing_id])[thing_id]
    return [_station_json(meta, r) for _, r in shown.iterrows()]


def station_current(conn: sa.Connection, thing_id: int, standard: str | None = None) -> dict[str, Any]:
    """One station: name, location and its latest hour (as :func:`current_aqi` gives it).

    A station without any reading yet has ``aqi`` None and no ``hour_start``.
    """
    _require_station(conn, thing_id)
    latest = station_hourly_aqi(conn, thing_id, 1, standard)
    if latest:
        return latest[-1]
    meta = _station_meta(conn, [thing_id])[thing_id]
    return {"thing_id": thing_id, "name": meta["name"], "location": meta["location"], "aqi": None,
            "hour_start": None}
