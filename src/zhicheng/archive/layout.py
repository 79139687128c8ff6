"""Writing hourly station data straight into the archive's layout (no store in between).

The engines read what :mod:`zhicheng.archive.mover` writes: observations under
``year=YYYY/month=MM/part-….parquet`` (UTC months, sorted by datastream and time),
``datastreams.parquet`` and ``manifest.json``. This module writes the same layout from a wide
hourly frame (``station``, local ``time``, one column per pollutant), for the Beijing files and
for the synthetic scale generator; a missing value is kept as a row with a NULL result, as a
station that reports "no value" does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from zhicheng.air.breakpoints import POLLUTANTS
from zhicheng.archive.location import DATASTREAMS, MANIFEST, Location
from zhicheng.archive.mover import DATASTREAM_SCHEMA, SCHEMA

HOUR_US = 3_600_000_000
UNITS = {p: ("mg/m³" if p == "co" else "µg/m³") for p in POLLUTANTS}


def datastreams_for(stations: Iterable[str], utc_offset_hours: int, first_id: int = 1) -> pa.Table:
    """One Datastream per station and pollutant, ids from ``first_id`` (station-major)."""
    names = list(stations)
    n = len(names) * len(POLLUTANTS)
    return pa.table({
        "datastream_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "name": [f"{s} {p}" for s in names for p in POLLUTANTS],
        "station": [s for s in names for _ in POLLUTANTS],
        "pollutant": [p for _ in names for p in POLLUTANTS],
        "unit": [UNITS[p] for _ in names for p in POLLUTANTS],
        "utc_offset_hours": np.full(n, utc_offset_hours, dtype=np.int32),
    }, schema=DATASTREAM_SCHEMA)


def long_observations(hourly: pd.DataFrame, datastreams: pa.Table, utc_offset_hours: int,
                      first_obs_id: int = 1) -> pa.Table:
    """A wide hourly frame (local times) as archive rows, sorted by datastream and time."""
    ids = {(s, p): i for s, p, i in zip(datastreams.column("station").to_pylist(),
                                        datastreams.column("pollutant").to_pylist(),
                                        datastreams.column("datastream_id").to_pylist(), strict=True)}
    local = pd.to_datetime(hourly["time"]).to_numpy(dtype="datetime64[us]").astype(np.int64)
    utc = local - utc_offset_hours * HOUR_US
    stations = hourly["station"].astype(str).to_numpy()
    parts_ds, parts_t, parts_v = [], [], []
    for p in POLLUTANTS:
        ds = np.array([ids[(s, p)] for s in stations], dtype=np.int64) if len(stations) < 1000 else \
            pd.Series(stations).map({s: ids[(s, p)] for s in set(stations)}).to_numpy(dtype=np.int64)
        parts_ds.append(ds)
        parts_t.append(utc)
        parts_v.append(hourly[p].to_numpy(dtype=np.float64))
    ds_all = np.concatenate(parts_ds)
    t_all = np.concatenate(parts_t)
    v_all = np.concatenate(parts_v)
    order = np.lexsort((t_all, ds_all))
    n = len(order)
    value = v_all[order]
    return _table(ds_all[order], t_all[order], value, first_obs_id, n)


def _table(ds: np.ndarray, t: np.ndarray, value: np.ndarray, first_id: int, n: int) -> pa.Table:
    nulls = pa.nulls(n, pa.int64())
    text = pa.nulls(n, pa.string())
    return pa.table({
        "id": np.arange(first_id, first_id + n, dtype=np.int64),
        "datastream_id": ds,
        "feature_of_interest_id": nulls,
        "phenomenon_time_start": t,
        "phenomenon_time_end": nulls,
        "result_time": nulls,
        "result_number": pa.array(value, mask=np.isnan(value)),
        "result_json": text,
        "result_quality": text,
        "valid_time_start": nulls,
        "valid_time_end": nulls,
        "parameters": text,
    }, schema=SCHEMA)


def month_key(t_us: np.ndarray) -> np.ndarray:
    """UTC year · 100 + month of each time [µs]."""
    months = t_us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    return (months // 12 + 1970) * 100 + months % 12 + 1


class Writer:
    """Appends observation tables to the archive layout and closes with its manifest."""

    def __init__(self, loc: Location, label: str, note: str = "") -> None:
        self.loc = loc
        self.files: list[dict[str, object]] = []
        self.label = label
        self.note = note
        self._seq = 0

    def write(self, table: pa.Table) -> None:
        """Write rows (sorted by datastream and time) into their months' partitions."""
        keys = month_key(table.column("phenomenon_time_start").to_numpy())
        for key in np.unique(keys):
            rows = table.filter(pa.array(keys == key))
            year, month = int(key) // 100, int(key) % 100
            self._seq += 1
            relative = f"year={year}/month={month:02d}/part-{self.label}-{self._seq:06d}.parquet"
            self.loc.fs.makedirs(self.loc.path(relative.rpartition("/")[0]), exist_ok=True)
            with self.loc.fs.open(self.loc.path(relative), "wb") as fh:
                pq.write_table(rows, fh, compression="zstd", row_group_size=1_000_000)
            digest, size = self.loc.sha256(relative)
            ids = rows.column("id")
            times = rows.column("phenomenon_time_start")
            self.files.append({
                "path": relative, "year": year, "month": month, "rows": rows.num_rows,
                "sha256": digest, "bytes": size,
                "min_id": int(pa.compute.min(ids).as_py()), "max_id": int(pa.compute.max(ids).as_py()),
                "min_time": int(pa.compute.min(times).as_py()), "max_time": int(pa.compute.max(times).as_py()),
                "datastreams": sorted(set(rows.column("datastream_id").to_pylist())),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
            })

    def close(self, datastreams: pa.Table) -> None:
        """Write ``datastreams.parquet`` and ``manifest.json``."""
        with self.loc.fs.open(self.loc.path(DATASTREAMS), "wb") as fh:
            pq.write_table(datastreams, fh)
        self.loc.write_json(MANIFEST, {
            "format": "zhicheng-archive/1", "partitioning": "hive:year,month",
            "sort": ["datastream_id", "phenomenon_time_start", "id"],
            "time_unit": "microseconds since 1970-01-01T00:00:00Z",
            "note": self.note, "files": self.files,
        })


def write_hourly(loc: Location, hourly: pd.DataFrame, utc_offset_hours: int, label: str = "hourly",
                 note: str = "") -> pa.Table:
    """Write a wide hourly frame (local times) as an archive; returns its Datastreams."""
    stations = sorted(hourly["station"].astype(str).unique())
    ds = datastreams_for(stations, utc_offset_hours)
    writer = Writer(loc, label, note)
    writer.write(long_observations(hourly, ds, utc_offset_hours))
    writer.close(ds)
    return ds


def write_readings(loc: Location, readings: pd.DataFrame, names: dict[int, str], unit: str,
                   label: str = "readings", note: str = "") -> None:
    """Write long readings (``datastream_id, time_us, value``) of other Datastreams as an archive.

    Meters, say: ``names`` names each Datastream, ``unit`` is their unit of measurement.
    """
    ds_ids = readings["datastream_id"].to_numpy(dtype=np.int64)
    t = readings["time_us"].to_numpy(dtype=np.int64)
    value = readings["value"].to_numpy(dtype=np.float64)
    order = np.lexsort((t, ds_ids))
    writer = Writer(loc, label, note)
    writer.write(_table(ds_ids[order], t[order], value[order], 1, len(order)))
    ids = sorted(names)
    writer.close(pa.table({
        "datastream_id": np.array(ids, dtype=np.int64), "name": [names[i] for i in ids],
        "station": [names[i] for i in ids], "pollutant": pa.nulls(len(ids), pa.string()),
        "unit": [unit] * len(ids), "utc_offset_hours": np.zeros(len(ids), dtype=np.int32),
    }, schema=DATASTREAM_SCHEMA))
