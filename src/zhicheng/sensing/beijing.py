"""The 12 Beijing air-quality stations (2013–2017) replayed as live sensors through the API.

Data: ``data/air_quality/beijing_multisite`` (UCI dataset 501, Beijing Municipal Environmental
Monitoring Center; see its PROVENANCE.md): hourly PM2.5, PM10, SO2, NO2, CO, O3 in µg/m³
(CO too, converted here to mg/m³ as HJ 633 indexes it), local time (UTC+8), hour labels
marking the start of the hour.

Each station becomes a Thing (with its Location) and six Datastreams created by one deep
insert; observations go in by ``CreateObservations`` in batches, so the replay exercises the
same path a real station's data logger uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zhicheng.errors import Problem, ZhichengError

#: Station → (Chinese name, longitude [°E], latitude [°N]). Approximate site coordinates
#: (±0.01°) of the Beijing Municipal Ecological and Environmental Monitoring Center stations,
#: as published in the national real-time air-quality station list (CNEMC, 城市空气质量
#: 实时发布平台 站点列表) and used in studies of the UCI data (e.g. Zhang et al. 2017, Fig. 1).
STATIONS: dict[str, tuple[str, float, float]] = {
    "Aotizhongxin": ("奥体中心", 116.397, 39.982),
    "Changping": ("昌平镇", 116.230, 40.217),
    "Dingling": ("定陵", 116.220, 40.292),
    "Dongsi": ("东四", 116.417, 39.929),
    "Guanyuan": ("官园", 116.339, 39.929),
    "Gucheng": ("古城", 116.184, 39.914),
    "Huairou": ("怀柔镇", 116.628, 40.328),
    "Nongzhanguan": ("农展馆", 116.461, 39.937),
    "Shunyi": ("顺义新城", 116.655, 40.127),
    "Tiantan": ("天坛", 116.407, 39.886),
    "Wanliu": ("海淀区万柳", 116.287, 39.987),
    "Wanshouxigong": ("万寿西宫", 116.352, 39.878),
}
NETWORK = "beijing-multisite"
#: Column in the files → (ObservedProperty name, unit symbol, factor to that unit).
POLLUTANT_COLUMNS: dict[str, tuple[str, str, float]] = {
    "PM2.5": ("PM2.5", "µg/m³", 1.0),
    "PM10": ("PM10", "µg/m³", 1.0),
    "SO2": ("SO2", "µg/m³", 1.0),
    "NO2": ("NO2", "µg/m³", 1.0),
    "CO": ("CO", "mg/m³", 1e-3),
    "O3": ("O3", "µg/m³", 1.0),
}
UTC_OFFSET_HOURS = 8
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


class ReplayError(ZhichengError):
    """The data files or the server refused the replay."""


class StaClient(Protocol):
    """The two calls the replay needs (``httpx.Client`` and FastAPI's ``TestClient`` both fit)."""

    def get(self, url: str, *, params: Any = ...) -> Any:
        """GET ``url``."""

    def post(self, url: str, *, json: Any = ...) -> Any:
        """POST ``url`` with a JSON body."""


def station_files(data_dir: Path) -> dict[str, Path]:
    """The file of each known station in ``data_dir``; a missing file is an error."""
    files = {
        name: next(iter(sorted(data_dir.glob(f"PRSA_Data_{name}_*.csv*"))), None)
        for name in STATIONS
    }
    missing = [name for name, path in files.items() if path is None]
    if missing:
        raise ReplayError(
            problems=[
                Problem(f"no PRSA_Data_{m}_*.csv(.gz) file", file=str(data_dir)) for m in missing
            ]
        )
    return {name: path for name, path in files.items() if path is not None}


def read_station(path: Path) -> pd.DataFrame:
    """One station's hourly file as ``time`` [µs since epoch, UTC] and one column per pollutant.

    CO is converted from µg/m³ to mg/m³; missing values stay NaN.
    """
    frame = pd.read_csv(path, usecols=["year", "month", "day", "hour", *POLLUTANT_COLUMNS])
    local = pd.to_datetime(frame[["year", "month", "day", "hour"]])
    utc = local - pd.Timedelta(hours=UTC_OFFSET_HOURS)
    out = pd.DataFrame({"time": utc.to_numpy(dtype="datetime64[us]").astype(np.int64)})
    for column, (_, _, factor) in POLLUTANT_COLUMNS.items():
        out[column] = (
            pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64) * factor
        )
    return out


def window(
    frame: pd.DataFrame,
    since: date | datetime | None,
    until: date | datetime | None,
    days: int | None,
) -> pd.DataFrame:
    """Rows in the local-time window: ``[since, until)`` or the last ``days`` days of the data."""
    local = pd.to_datetime(frame["time"], unit="us") + pd.Timedelta(hours=UTC_OFFSET_HOURS)
    keep = np.ones(len(frame), dtype=bool)
    if days is not None:
        last_day = local.max().normalize()
        keep &= (local >= last_day - pd.Timedelta(days=days - 1)).to_numpy()
    if since is not None:
        keep &= (local >= pd.Timestamp(since)).to_numpy()
    if until is not None:
        keep &= (local < pd.Timestamp(until)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def thing_body(name: str, observed_properties: dict[str, int]) -> dict[str, Any]:
    """Deep-insert body of a station: Thing, Location and six Datastreams."""
    name_zh, lon, lat = STATIONS[name]
    datastreams = []
    for column, (prop, unit, _) in POLLUTANT_COLUMNS.items():
        op: dict[str, Any] = (
            {"@iot.id": observed_properties[prop]}
            if prop in observed_properties
            else {
                "name": prop,
                "definition": f"urn:zhicheng:pollutant:{prop}",
                "description": f"{prop} mass concentration",
            }
        )
        datastreams.append(
            {
                "name": f"{name} {column}",
                "description": f"{name_zh} {prop} hourly mean",
                "observationType": OM_MEASUREMENT,
                "unitOfMeasurement": {
                    "name": unit,
                    "symbol": unit,
                    "definition": "http://unitsofmeasure.org",
                },
                "properties": {"pollutant": column},
                "Sensor": {
                    "name": f"{name} {prop} analyser",
                    "description": f"{prop} analyser at {name_zh}",
                    "encodingType": "text/plain",
                    "metadata": "Beijing MEMC automatic monitoring",
                },
                "ObservedProperty": op,
            }
        )
    return {
        "name": name,
        "description": f"{name_zh} air-quality monitoring station, Beijing",
        "properties": {
            "station": name,
            "name_zh": name_zh,
            "network": NETWORK,
            "kind": "air_station",
            "utc_offset_hours": UTC_OFFSET_HOURS,
        },
        "Locations": [
            {
                "name": f"{name_zh} ({name})",
                "description": f"site of {name} station",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": datastreams,
    }


def _check(response: Any, what: str) -> Any:
    if response.status_code >= 400:
        try:
            detail = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = response.text[:300]
        raise ReplayError(f"{what}: HTTP {response.status_code}: {detail}")
    return response.json()


@dataclass(frozen=True)
class Registered:
    """A station on the server: its Thing and, per pollutant column, Datastream id and last time [µs]."""

    thing_id: int
    datastreams: dict[str, tuple[int, int | None]]


def register(client: StaClient, name: str) -> Registered:
    """Find the station's Thing (by ``properties/station``) or create it; return its Datastreams."""
    found = _check(
        client.get(
            "/v1.1/Things",
            params={
                "$filter": f"properties/station eq '{name}' and properties/network eq '{NETWORK}'"
            },
        ),
        f"looking up {name}",
    )
    if found["value"]:
        thing_id = int(found["value"][0]["@iot.id"])
    else:
        ops = _check(
            client.get("/v1.1/ObservedProperties", params={"$select": "id,name", "$top": 1000}),
            "reading ObservedProperties",
        )
        known = {op["name"]: int(op["@iot.id"]) for op in ops["value"]}
        thing_id = int(
            _check(client.post("/v1.1/Things", json=thing_body(name, known)), f"creating {name}")[
                "@iot.id"
            ]
        )
    streams = _check(
        client.get(
            f"/v1.1/Things({thing_id})/Datastreams",
            params={"$select": "id,properties,phenomenonTime", "$top": 100},
        ),
        f"reading {name}'s Datastreams",
    )
    out: dict[str, tuple[int, int | None]] = {}
    for ds in streams["value"]:
        column = (ds.get("properties") or {}).get("pollutant")
        if column in POLLUTANT_COLUMNS:
            period = ds.get("phenomenonTime")
            last = None
            if period:
                from zhicheng.sensing.timefmt import parse_time

                start, end = parse_time(period)
                last = end if end is not None else start
            out[column] = (int(ds["@iot.id"]), last)
    return Registered(thing_id, out)


def batches(
    frame: pd.DataFrame, station: Registered, size: int
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """CreateObservations bodies of at most ``size`` observations, newer than what the server has."""
    for column, (ds_id, last) in station.datastreams.items():
        values = frame[column].to_numpy()
        times = frame["time"].to_numpy()
        keep = ~np.isnan(values)
        if last is not None:
            keep &= times > last
        t, v = times[keep], values[keep]
        stamps = pd.to_datetime(t, unit="us").strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
        numbers = np.round(v, 6).tolist()
        for start in range(0, len(t), size):
            rows = [
                list(pair)
                for pair in zip(
                    stamps[start : start + size], numbers[start : start + size], strict=True
                )
            ]
            yield (
                len(rows),
                [
                    {
                        "Datastream": {"@iot.id": ds_id},
                        "components": ["phenomenonTime", "result"],
                        "dataArray": rows,
                    }
                ],
            )


def replay(
    client: StaClient,
    data_dir: Path,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    days: int | None = None,
    batch_size: int = 1000,
    stations: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Register the stations and send their observations; return observations sent per station.

    ``progress(done, total)`` is called after each batch.
    """
    names = stations or list(STATIONS)
    unknown = [n for n in names if n not in STATIONS]
    if unknown:
        raise ReplayError(
            problems=[
                Problem(f"unknown station {n!r}; the stations are {', '.join(STATIONS)}")
                for n in unknown
            ]
        )
    files = station_files(data_dir)
    frames = {name: window(read_station(files[name]), since, until, days) for name in names}
    registered = {name: register(client, name) for name in names}
    plans = {name: list(batches(frames[name], registered[name], batch_size)) for name in names}
    total = sum(n for plan in plans.values() for n, _ in plan)
    done = 0
    sent: dict[str, int] = {}
    for name, plan in plans.items():
        sent[name] = 0
        for n, body in plan:
            _check(
                client.post("/v1.1/CreateObservations", json=body), f"sending {name} observations"
            )
            done += n
            sent[name] += n
            if progress is not None:
                progress(done, total)
    return sent
