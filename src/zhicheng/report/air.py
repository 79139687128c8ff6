"""Live air quality of the monitoring stations for the overview: real-time AQI with its colours.

Each SensorThings Thing with Datastreams of the six AQI pollutants is a station. Only the last
24 hours before each station's newest reading are read (an index range per Datastream, never a
scan of the observations), and the real-time AQI of that newest hour comes from
:func:`zhicheng.air.realtime.hourly_aqi`: HJ 633-2026 from 2026-03-01, HJ 633-2012 before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.air.realtime import hourly_aqi
from zhicheng.errors import ZhichengError
from zhicheng.store.schema_sensing import (
    sta_datastreams,
    sta_observations,
    sta_observed_properties,
    sta_things,
)

#: Window read before a station's newest hour [µs]: the 24 h moving means of HJ 633-2012 need it.
WINDOW_MICROS = 24 * 3600 * 1_000_000
POLLUTANT_COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")
_SQUASH = re.compile(r"[\s._\-]")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def pollutant_of(name: str) -> str | None:
    """The AQI pollutant an observed property's name stands for (``PM2.5`` → ``pm25``), or None."""
    key = _SQUASH.sub("", name.lower().translate(_SUBSCRIPTS))
    return key if key in POLLUTANT_COLUMNS else None


def _datastreams(conn: Connection) -> pd.DataFrame:
    d, op, th = sta_datastreams, sta_observed_properties, sta_things
    rows = conn.execute(
        sa.select(d.c.id, d.c.thing_id, th.c.name.label("station"), op.c.name.label("property"),
                  d.c.unit_of_measurement)
        .select_from(d.join(op, op.c.id == d.c.observed_property_id).join(th, th.c.id == d.c.thing_id))
    ).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=["id", "thing_id", "station", "property", "unit_of_measurement"])
    frame["pollutant"] = [pollutant_of(str(p)) for p in frame["property"]]
    return frame.dropna(subset=["pollutant"])


def _latest_times(conn: Connection, ids: list[int]) -> dict[int, int]:
    """Newest phenomenon time of each Datastream: one index seek each (max on the index's tail)."""
    o = sta_observations
    latest = {}
    for ds in ids:
        t = conn.execute(sa.select(sa.func.max(o.c.phenomenon_time_start)).where(o.c.datastream_id == ds)).scalar()
        if t is not None:
            latest[ds] = int(t)
    return latest


def _co_factor(unit: Any) -> float:
    """CO concentrations are indexed in mg/m³; a µg/m³ Datastream is divided by 1000."""
    symbol = str((unit or {}).get("symbol", "")) if isinstance(unit, dict) else ""
    return 1e-3 if "µg" in symbol or "ug" in symbol.lower() else 1.0


def _window(conn: Connection, streams: pd.DataFrame, ends: dict[int, int]) -> pd.DataFrame:
    """Hourly rows (station, time, six pollutants) of each station's last 24 hours."""
    o = sta_observations
    frames = []
    for thing_id, group in streams.groupby("thing_id"):
        end = max(ends[int(i)] for i in group["id"] if int(i) in ends)
        rows = conn.execute(
            sa.select(o.c.datastream_id, o.c.phenomenon_time_start, o.c.result_number).where(
                o.c.datastream_id.in_([int(i) for i in group["id"]]),
                o.c.phenomenon_time_start > end - WINDOW_MICROS,
                o.c.phenomenon_time_start <= end,
            )
        ).all()
        if not rows:
            continue
        obs = pd.DataFrame(rows, columns=["ds", "t", "value"])
        meta = group.set_index("id")
        obs["pollutant"] = obs["ds"].map(meta["pollutant"])
        factor = obs["ds"].map({ds: _co_factor(unit) for ds, unit in meta["unit_of_measurement"].items()})
        obs["value"] = np.where(obs["pollutant"] == "co", obs["value"] * factor, obs["value"])
        wide = obs.pivot_table(index="t", columns="pollutant", values="value", aggfunc="mean")
        wide = wide.reindex(columns=list(POLLUTANT_COLUMNS))
        wide["station"] = str(thing_id)
        wide["end"] = end
        frames.append(wide.reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _worst_first(station: dict[str, Any]) -> tuple[int, str]:
    aqi = station["aqi"]
    return (-aqi if isinstance(aqi, int) else 1, str(station["name"]))


def stations_air(conn: Connection, lang: str = "zh") -> dict[str, Any]:
    """Real-time AQI of every station at its newest hour, with level names and official colours."""
    streams = _datastreams(conn)
    if streams.empty:
        return {"available": False, "stations": []}
    ends = _latest_times(conn, [int(i) for i in streams["id"]])
    streams = streams[streams["id"].isin(list(ends))]
    hourly = _window(conn, streams, ends)
    if hourly.empty:
        return {"available": False, "stations": []}
    # China's AQI hours and edition dates are Beijing time (UTC+8).
    hourly["time"] = pd.to_datetime(hourly["t"], unit="us", utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    try:
        scored = hourly_aqi(hourly[["station", "time", *POLLUTANT_COLUMNS]])
    except ZhichengError as exc:  # readings the AQI cannot use: say so, keep the page
        return {"available": False, "stations": [], "problem": str(exc)}
    newest = (hourly["t"] == hourly["end"]).to_numpy()
    names = streams.drop_duplicates("thing_id").set_index("thing_id")["station"]
    stations = []
    for i in np.flatnonzero(newest):
        row, aqi = scored.iloc[i], scored["aqi"].iloc[i]
        thing = int(hourly["station"].iloc[i])
        stations.append({
            "id": thing,
            "name": str(names.get(thing, thing)),
            "at": datetime.fromtimestamp(int(hourly["t"].iloc[i]) / 1e6, UTC).isoformat(),
            "aqi": None if pd.isna(aqi) else int(aqi),
            "level": None if pd.isna(row["level"]) else str(row["level"]),
            "level_en": None if pd.isna(row["level_en"]) else str(row["level_en"]),
            "level_name": None if pd.isna(row["level"]) else str(row["level_en" if lang == "en" else "level"]),
            "colour": None if pd.isna(row["colour"]) else str(row["colour"]),
            "primary": None if pd.isna(row["primary"]) else str(row["primary"]),
            "standard": str(row["standard"]),
        })
    stations.sort(key=_worst_first)
    return {"available": True, "stations": stations}
