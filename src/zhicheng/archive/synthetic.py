"""A national-sized synthetic air network made from the real Beijing series, for scale tests.

**Synthetic data**: every station is one of the 12 Beijing stations' real hourly series
(2013-03 to 2017-02), each pollutant scaled by its own factor (log-normal, σ = 0.3) and read from
its own starting hour, on a calendar starting 2021-01-01 (local time, UTC+8). Station names are
``SYN-00001`` …, the manifest's note says "synthetic"; nothing here is a measurement, and the
demo never uses it. The values keep the source's resolution (1 µg/m³, CO 0.1 mg/m³ after
scaling). The generator is seeded and writes straight into the archive's Parquet layout, one
block of stations at a time, so a 100-million-row network needs no more memory than one block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zhicheng.air.breakpoints import HJ_DECIMALS, POLLUTANTS
from zhicheng.archive.layout import HOUR_US, Writer, _table, datastreams_for
from zhicheng.archive.location import Location

SEED = 20130301
START = np.datetime64("2021-01-01T00", "h")
UTC_OFFSET_HOURS = 8
HOURS_PER_YEAR = 8760
NOTE = ("synthetic: a national-sized network made from the real Beijing 2013-2017 series "
        "(scaled, shifted); not measurements")


@dataclass(frozen=True)
class Network:
    """What was generated."""

    stations: int
    hours: int
    rows: int


def stations_for(rows: int, years: int = 1) -> int:
    """Stations needed for about ``rows`` hourly pollutant rows over ``years`` years."""
    return max(1, round(rows / (len(POLLUTANTS) * HOURS_PER_YEAR * years)))


def generate(
    loc: Location,
    base: pd.DataFrame,
    stations: int,
    years: int = 1,
    seed: int = SEED,
    block: int = 100,
    on_block: Callable[[int, int], None] | None = None,
) -> Network:
    """Write a synthetic network of ``stations`` × ``years`` × 8,760 hours × 6 pollutants.

    Parameters
    ----------
    loc : Location
        An empty archive folder.
    base : pandas.DataFrame
        The Beijing hourly frame (:func:`zhicheng.air.io.read_beijing`): ``station``, ``time``
        and the six pollutants [µg/m³] (CO [mg/m³]).
    stations, years : int
        Size of the network.
    seed : int
        Seed of the scale factors and starting hours.
    block : int
        Stations generated and written at a time.
    on_block : callable, optional
        Called with (stations written, stations) after each block.
    """
    rng = np.random.default_rng(seed)
    names = sorted(base["station"].astype(str).unique())
    frame = base.sort_values(["station", "time"])
    series = {p: frame[p].to_numpy(dtype=np.float64).reshape(len(names), -1) for p in POLLUTANTS}
    length = series[POLLUTANTS[0]].shape[1]
    hours = years * HOURS_PER_YEAR
    local = (START + np.arange(hours)).astype("datetime64[us]").astype(np.int64)
    utc = local - UTC_OFFSET_HOURS * HOUR_US
    source = rng.integers(0, len(names), stations)
    shift = rng.integers(0, length, stations)
    factor = rng.lognormal(0.0, 0.3, (stations, len(POLLUTANTS)))
    station_names = [f"SYN-{i + 1:05d}" for i in range(stations)]
    writer = Writer(loc, "synthetic", NOTE)
    obs_id = 1
    n_p = len(POLLUTANTS)
    for first in range(0, stations, block):
        last = min(stations, first + block)
        k = np.arange(first, last)
        idx = (shift[k, None] + np.arange(hours)[None, :]) % length  # (stations, hours)
        values = np.empty((len(k), n_p, hours), dtype=np.float64)
        for j, p in enumerate(POLLUTANTS):
            raw = series[p][source[k, None], idx] * factor[k, j, None]
            values[:, j, :] = np.round(raw, HJ_DECIMALS[p])
        ds = (np.repeat(k * n_p, n_p) + np.tile(np.arange(n_p), len(k)) + 1).astype(np.int64)
        n = len(k) * n_p * hours
        table = _table(np.repeat(ds, hours), np.tile(utc, len(k) * n_p), values.reshape(-1), obs_id, n)
        obs_id += n
        writer.write(table)
        if on_block:
            on_block(last, stations)
    writer.close(datastreams_for(station_names, UTC_OFFSET_HOURS))
    return Network(stations=stations, hours=hours, rows=stations * n_p * hours)


def wide_hourly(loc: Location) -> pd.DataFrame:
    """The synthetic network back as the pure cores' wide hourly frame (local times)."""
    import duckdb

    from zhicheng.archive.engines import archive_files
    from zhicheng.archive.location import DATASTREAMS

    files = ", ".join(f"'{f}'" for f in archive_files(loc))
    con = duckdb.connect()
    pivot = ", ".join(f"MAX(CASE WHEN s.pollutant = '{p}' THEN o.result_number END) AS {p}" for p in POLLUTANTS)
    frame = con.execute(
        f"SELECT s.station, o.phenomenon_time_start + s.utc_offset_hours * {HOUR_US} AS t, {pivot} "
        f"FROM read_parquet([{files}]) o JOIN read_parquet('{loc.uri(DATASTREAMS)}') s "
        "USING (datastream_id) GROUP BY ALL ORDER BY 1, 2"
    ).df()
    con.close()
    frame["time"] = pd.to_datetime(frame.pop("t"), unit="us")
    frame["station"] = frame["station"].astype("category")
    return frame[["station", "time", *POLLUTANTS]]


__all__ = ["NOTE", "Network", "generate", "stations_for", "wide_hourly"]
