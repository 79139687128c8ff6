"""Moving observations past the hot window from the store into Parquet, crash-safely.

The hot window is counted back from each Datastream's newest observation, so that replayed
historical data do not all turn cold at once. Cold observations go to one Parquet file per
calendar month (UTC) and run, under Hive-style partitions ``year=YYYY/month=MM/``, sorted by
datastream, phenomenon time and id. Each file goes through these steps:

1. its rows are streamed into a temporary name (``.part-….parquet.tmp``, invisible to globs);
2. the file is read back: its row count, distinct ids and SHA-256 are taken from the disk;
3. its manifest row is committed with state ``written``;
4. the file takes its final name (a rename);
5. one transaction deletes its observations from the store (by the ids in the file) and sets
   the manifest row to ``committed``.

A crash anywhere loses nothing and duplicates nothing: until step 5 commits, every row is still
in the store and readers take only ``committed`` files; after it, every row is only in the file.
The next run first reconciles: temporary files are removed, a ``written`` file whose final name
is missing is discarded, and one whose final name is there and verifies (row count and
checksum) is finished by step 5 (deleting ids already gone is a no-op). Moving is therefore
idempotent.

``ZHICHENG_ARCHIVE_CRASH_AT=<step>`` (``temp-written``, ``manifest-written``, ``renamed``,
``deleting``, ``committed``) kills the process with SIGKILL at that step of the first file: a
fault-injection point for the crash-safety tests, checked with one dictionary look-up.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.archive.location import DATASTREAMS, MANIFEST, Location
from zhicheng.errors import Invalid, Problem
from zhicheng.store.schema_archive import archive_files
from zhicheng.store.schema_sensing import (
    sta_datastreams,
    sta_observations,
    sta_observed_properties,
    sta_things,
)

DAY_US = 86_400 * 10**6
#: Rows per Parquet row group (and per fetch from the store).
ROW_GROUP = 100_000
#: Ids per DELETE statement (SQLite allows 32 766 bound parameters).
DELETE_CHUNK = 5_000

JSON_COLUMNS = ("result_json", "result_quality", "parameters")
#: The archive's Parquet schema: the columns of ``sta_observations``; JSON members as text.
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("datastream_id", pa.int64()),
        ("feature_of_interest_id", pa.int64()),
        ("phenomenon_time_start", pa.int64()),
        ("phenomenon_time_end", pa.int64()),
        ("result_time", pa.int64()),
        ("result_number", pa.float64()),
        ("result_json", pa.string()),
        ("result_quality", pa.string()),
        ("valid_time_start", pa.int64()),
        ("valid_time_end", pa.int64()),
        ("parameters", pa.string()),
    ]
)
#: Pollutant codes of the analytics from ObservedProperty / Datastream names.
POLLUTANT_CODES = {"pm2.5": "pm25", "pm25": "pm25", "pm10": "pm10", "so2": "so2",
                   "no2": "no2", "co": "co", "o3": "o3"}  # fmt: skip


def crash_point(step: str) -> None:
    """Kill this process with SIGKILL when ``ZHICHENG_ARCHIVE_CRASH_AT`` names ``step``."""
    if os.environ.get("ZHICHENG_ARCHIVE_CRASH_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class RunReport:
    """What one run did."""

    files: int = 0
    rows: int = 0
    reconciled: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _cutoffs(hot_days: int) -> Any:
    """Per Datastream: the first phenomenon time still hot [µs]."""
    obs = sta_observations.c
    return (
        sa.select(
            obs.datastream_id.label("ds"),
            (sa.func.max(obs.phenomenon_time_start) - hot_days * DAY_US).label("cutoff"),
        )
        .group_by(obs.datastream_id)
        .subquery("cutoffs")
    )


def _cold(hot_days: int) -> tuple[Any, Any]:
    cut = _cutoffs(hot_days)
    obs = sta_observations.c
    join = sta_observations.join(cut, obs.datastream_id == cut.c.ds)
    return join, obs.phenomenon_time_start < cut.c.cutoff


def cold_rows(engine: Engine, hot_days: int) -> tuple[int, int | None]:
    """How many observations are past the hot window, and the earliest one's time [µs]."""
    join, cold = _cold(hot_days)
    obs = sta_observations.c
    with engine.connect() as conn:
        n, first = conn.execute(
            sa.select(sa.func.count(), sa.func.min(obs.phenomenon_time_start)).select_from(join).where(cold)
        ).one()
    return int(n), None if first is None else int(first)


def month_bounds(first_us: int, last_us: int) -> Iterator[tuple[int, int, int, int]]:
    """(year, month, start [µs], end [µs]) of every UTC month from ``first_us`` to ``last_us``."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=first_us)
    year, month = t.year, t.month
    while True:
        start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        nxt = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        s_us = _micros(start)
        if s_us > last_us:
            return
        yield year, month, s_us, _micros(nxt)
        year, month = nxt.year, nxt.month


def _micros(t: dt.datetime) -> int:
    return (t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _batch(rows: Sequence[Any]) -> pa.RecordBatch:
    """Rows selected in :data:`SCHEMA` order as one Arrow batch (columns transposed at once)."""
    columns = [list(c) for c in zip(*rows, strict=True)]
    for i, name in enumerate(SCHEMA.names):
        if name in JSON_COLUMNS:
            columns[i] = [None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                          for v in columns[i]]
    return pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, SCHEMA, strict=True)],
                                      schema=SCHEMA)


@dataclass(frozen=True)
class Written:
    """A verified temporary file and what it holds."""

    rows: int
    sha256: str
    size: int
    min_id: int
    max_id: int
    min_time: int
    max_time: int
    datastreams: list[int]


def _write_month(
    engine: Engine, loc: Location, tmp: str, hot_days: int, start: int, end: int
) -> Written | None:
    """Stream a month's cold rows into ``tmp`` and verify it from the disk (None: no rows)."""
    join, cold = _cold(hot_days)
    obs = sta_observations.c
    stmt = (
        sa.select(*(sta_observations.c[n] for n in SCHEMA.names))
        .select_from(join)
        .where(cold, obs.phenomenon_time_start >= start, obs.phenomenon_time_start < end)
        .order_by(obs.datastream_id, obs.phenomenon_time_start, obs.id)
    )
    count = 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=ROW_GROUP).execute(stmt)
        first = result.fetchmany(ROW_GROUP)
        if not first:
            return None
        with loc.fs.open(loc.path(tmp), "wb") as fh, pq.ParquetWriter(
            fh, SCHEMA, compression="zstd"
        ) as writer:
            part: Sequence[Any] = first
            while part:
                writer.write_batch(_batch(part), row_group_size=ROW_GROUP)
                count += len(part)
                part = result.fetchmany(ROW_GROUP)
    return _verify_file(loc, tmp, expected_rows=count)


def read_columns(loc: Location, relative: str, columns: list[str]) -> pa.Table:
    """Columns of one archive file."""
    with loc.fs.open(loc.path(relative), "rb") as fh:
        return pq.read_table(fh, columns=columns)


def _verify_file(loc: Location, relative: str, expected_rows: int) -> Written:
    """Row count, distinct ids, time and id ranges and SHA-256 of a file, read from the disk."""
    table = read_columns(loc, relative, ["id", "datastream_id", "phenomenon_time_start"])
    ids = table.column("id")
    n = table.num_rows
    distinct = len(pa.compute.unique(ids))
    if n != expected_rows or distinct != n:
        raise Invalid(
            f"archive file {relative}: {n} rows ({distinct} distinct ids) read back, "
            f"{expected_rows} written",
            [Problem("row count does not verify", file=relative)],
        )
    digest, size = loc.sha256(relative)
    times = pa.compute.min_max(table.column("phenomenon_time_start"))
    id_range = pa.compute.min_max(ids)
    return Written(
        rows=n,
        sha256=digest,
        size=size,
        min_id=int(id_range["min"].as_py()),
        max_id=int(id_range["max"].as_py()),
        min_time=int(times["min"].as_py()),
        max_time=int(times["max"].as_py()),
        datastreams=sorted(int(x) for x in pa.compute.unique(table.column("datastream_id")).to_pylist()),
    )


def _delete_and_commit(engine: Engine, loc: Location, file_id: int, relative: str) -> int:
    """One transaction: delete the file's observations from the store, mark it committed."""
    ids = read_columns(loc, relative, ["id"]).column("id").to_pylist()
    deleted = 0
    with engine.begin() as conn:
        for i in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[i : i + DELETE_CHUNK]
            deleted += conn.execute(
                sa.delete(sta_observations).where(sta_observations.c.id.in_(chunk))
            ).rowcount
            if i == 0:
                crash_point("deleting")
        conn.execute(
            sa.update(archive_files).where(archive_files.c.id == file_id).values(state="committed")
        )
    return deleted


def reconcile(engine: Engine, loc: Location) -> list[str]:
    """Finish or discard what a crashed run left; returns what was done, one line per file."""
    done: list[str] = []
    with engine.connect() as conn:
        pending = conn.execute(
            sa.select(archive_files).where(archive_files.c.state == "written")
        ).mappings().all()
    for entry in pending:
        path = entry["path"]
        tmp = _tmp_name(path)
        if loc.exists(path):
            try:
                digest, size = loc.sha256(path)
                rows = pq.ParquetFile(loc.fs.open(loc.path(path), "rb")).metadata.num_rows
            except (OSError, pa.ArrowException):
                digest, size, rows = "", -1, -1
            if digest == entry["sha256"] and size == entry["bytes"] and rows == entry["rows"]:
                _delete_and_commit(engine, loc, entry["id"], path)
                done.append(f"finished {path}")
                continue
            loc.remove(path)
        loc.remove(tmp)
        with engine.begin() as conn:
            conn.execute(sa.delete(archive_files).where(archive_files.c.id == entry["id"]))
        done.append(f"discarded {path}")
    with engine.connect() as conn:
        known = {_tmp_name(p) for p in conn.execute(sa.select(archive_files.c.path)).scalars()}
    for tmp in loc.temporary_files():
        if tmp not in known:
            loc.remove(tmp)
            done.append(f"removed {tmp}")
    return done


def _tmp_name(path: str) -> str:
    folder, _, name = path.rpartition("/")
    return f"{folder}/.{name}.tmp"


def run(
    engine: Engine,
    loc: Location,
    hot_days: int,
    on_rows: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Reconcile, then move every observation past the hot window into the archive.

    Parameters
    ----------
    engine : Engine
        The store.
    loc : Location
        The archive.
    hot_days : int
        The hot window [days], counted back from each Datastream's newest observation.
    on_rows : callable, optional
        Called with (rows moved so far, rows to move) after each file.
    """
    if hot_days < 0:
        raise Invalid("the hot window must be >= 0 days", [Problem("negative", column="hot_days")])
    import time

    t0 = time.perf_counter()
    report = RunReport(reconciled=reconcile(engine, loc))
    total, first = cold_rows(engine, hot_days)
    if on_rows:
        on_rows(0, total)
    if first is not None:
        with engine.connect() as conn:
            last = conn.execute(
                sa.select(sa.func.max(sa.func.coalesce(_cutoffs(hot_days).c.cutoff, 0)))
            ).scalar_one()
        for year, month, start, end in month_bounds(first, int(last)):
            relative = f"year={year}/month={month:02d}/part-{uuid.uuid4().hex}.parquet"
            tmp = _tmp_name(relative)
            loc.fs.makedirs(loc.path(relative.rpartition("/")[0]), exist_ok=True)
            written = _write_month(engine, loc, tmp, hot_days, start, end)
            if written is None:
                continue
            crash_point("temp-written")
            with engine.begin() as conn:
                file_id = conn.execute(
                    sa.insert(archive_files).values(
                        path=relative, year=year, month=month, rows=written.rows,
                        sha256=written.sha256, bytes=written.size, min_id=written.min_id,
                        max_id=written.max_id, min_time=written.min_time,
                        max_time=written.max_time, datastreams=written.datastreams,
                        state="written", created_at=dt.datetime.now(dt.UTC),
                    ).returning(archive_files.c.id)
                ).scalar_one()
            crash_point("manifest-written")
            loc.rename(tmp, relative)
            crash_point("renamed")
            _delete_and_commit(engine, loc, file_id, relative)
            crash_point("committed")
            report.files += 1
            report.rows += written.rows
            if on_rows:
                on_rows(report.rows, total)
    write_manifest(engine, loc)
    report.seconds = time.perf_counter() - t0
    return report


def committed_files(conn: sa.Connection) -> list[dict[str, Any]]:
    """The committed files of the manifest, oldest first."""
    rows = conn.execute(
        sa.select(archive_files).where(archive_files.c.state == "committed").order_by(
            archive_files.c.min_time, archive_files.c.id)
    ).mappings().all()
    return [dict(r) for r in rows]


def write_manifest(engine: Engine, loc: Location) -> None:
    """Write ``manifest.json`` (committed files) and ``datastreams.parquet`` (their Datastreams)."""
    with engine.connect() as conn:
        files = committed_files(conn)
        ds = datastream_table(conn)
    loc.write_json(MANIFEST, {
        "format": "zhicheng-archive/1",
        "partitioning": "hive:year,month",
        "sort": ["datastream_id", "phenomenon_time_start", "id"],
        "time_unit": "microseconds since 1970-01-01T00:00:00Z",
        "files": [
            {k: (f[k].isoformat() if k == "created_at" else f[k])
             for k in ("path", "year", "month", "rows", "sha256", "bytes", "min_id", "max_id",
                       "min_time", "max_time", "datastreams", "created_at")}
            for f in files
        ],
    })
    tmp = f".{DATASTREAMS}.tmp"
    with loc.fs.open(loc.path(tmp), "wb") as fh:
        pq.write_table(ds, fh)
    loc.rename(tmp, DATASTREAMS)


def pollutant_code(name: str | None) -> str | None:
    """The analytics' pollutant code of an ObservedProperty or column name (None: not one)."""
    if not name:
        return None
    return POLLUTANT_CODES.get(name.strip().lower())


def datastream_table(conn: sa.Connection) -> pa.Table:
    """Every Datastream with its station, pollutant code, unit and the station's UTC offset."""
    ds, th, op = sta_datastreams.c, sta_things.c, sta_observed_properties.c
    rows = conn.execute(
        sa.select(ds.id, ds.name, ds.properties, ds.unit_of_measurement, th.name.label("thing"),
                  th.properties.label("thing_properties"), op.name.label("observed_property"))
        .join(sta_things, th.id == ds.thing_id)
        .join(sta_observed_properties, op.id == ds.observed_property_id)
        .order_by(ds.id)
    ).mappings().all()
    out: dict[str, list[Any]] = {k: [] for k in ("datastream_id", "name", "station", "pollutant",
                                                 "unit", "utc_offset_hours")}
    for r in rows:
        props = r["properties"] if isinstance(r["properties"], dict) else {}
        tprops = r["thing_properties"] if isinstance(r["thing_properties"], dict) else {}
        unit = r["unit_of_measurement"] if isinstance(r["unit_of_measurement"], dict) else {}
        out["datastream_id"].append(int(r["id"]))
        out["name"].append(r["name"])
        out["station"].append(str(tprops.get("station") or r["thing"]))
        out["pollutant"].append(pollutant_code(props.get("pollutant")) or pollutant_code(r["observed_property"]))
        out["unit"].append(unit.get("symbol"))
        offset = tprops.get("utc_offset_hours", 0)
        out["utc_offset_hours"].append(int(offset) if isinstance(offset, int | float) else 0)
    return pa.table(out, schema=DATASTREAM_SCHEMA)


DATASTREAM_SCHEMA = pa.schema([
    ("datastream_id", pa.int64()), ("name", pa.string()), ("station", pa.string()),
    ("pollutant", pa.string()), ("unit", pa.string()), ("utc_offset_hours", pa.int32()),
])
