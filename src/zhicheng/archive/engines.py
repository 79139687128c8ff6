"""Running the archive's analytics on DuckDB (embedded, the default) or Spark (a cluster).

Both engines read the archive's Parquet files directly (the committed files ``manifest.json``
lists, or every ``*.parquet`` under ``year=*/month=*/`` when there is no manifest) and its
``datastreams.parquet``, and run the same generated SQL (:mod:`zhicheng.archive.hj663_sql`).
DuckDB streams the files with a memory limit (it spills to disk rather than holding the data set
in RAM); Spark submits to ``spark_master`` (``spark://host:7077``, or ``local[*]`` in-process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from zhicheng.archive import hj663_sql
from zhicheng.archive.location import DATASTREAMS, MANIFEST, Location

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def archive_files(loc: Location) -> list[str]:
    """URLs of the archive's observation files (committed ones when there is a manifest)."""
    manifest = loc.read_json(MANIFEST)
    if manifest is not None:
        return [loc.uri(f["path"]) for f in manifest["files"]]
    found = sorted(loc.fs.glob(loc.path("year=*/month=*/*.parquet")))
    return [loc.uri(str(p)[len(loc.root) + 1 :]) for p in found]


def hourly_select(d: hj663_sql.Dialect, observations: str, datastreams: str) -> str:
    """SQL of the long hourly view: datastream, local day number, hour, value."""
    local = f"(o.phenomenon_time_start + CAST(s.utc_offset_hours AS BIGINT) * {HOUR_US})"
    return (
        f"SELECT o.datastream_id AS datastream_id, {d.idiv(local, str(DAY_US))} AS dn, "
        f"{d.idiv(local, str(HOUR_US))} % 24 AS hour, o.result_number AS value "
        f"FROM {observations} o JOIN {datastreams} s ON o.datastream_id = s.datastream_id "
        "WHERE s.pollutant IS NOT NULL"
    )


def _finish(daily: pd.DataFrame, annual: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = daily.rename(columns={"primary_pollutant": "primary"}).drop(columns=["dn"])
    daily["date"] = pd.to_datetime(daily["date"]).to_numpy(dtype="datetime64[D]")
    daily = daily.sort_values(["station", "date"]).reset_index(drop=True)
    return daily, annual.sort_values(["station", "year"]).reset_index(drop=True)


@dataclass(frozen=True)
class Chain:
    """The HJ 663 chain's results: the daily table and the annual evaluation."""

    daily: pd.DataFrame
    annual: pd.DataFrame


def duckdb_chain(loc: Location, memory_limit: str = "3GB", threads: int | None = None,
                 spill: str | None = None) -> Chain:
    """The HJ 663 chain on DuckDB over the archive at ``loc``.

    Parameters
    ----------
    loc : Location
        The archive.
    memory_limit : str
        DuckDB's memory limit; beyond it operators spill to ``spill`` (a temporary folder).
    threads : int, optional
        Worker threads (default: DuckDB's, one per core).
    spill : str, optional
        Folder for operators that spill (default: DuckDB's, beside the database or in /tmp).
    """
    import duckdb

    files = archive_files(loc)
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if spill:
            con.execute(f"SET temp_directory = '{spill}'")
        if not _is_local(loc):
            import fsspec  # noqa: F401  (registered for the URL's scheme)

            con.register_filesystem(loc.fs)
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(
            "CREATE VIEW observations AS SELECT datastream_id, phenomenon_time_start, result_number "
            f"FROM read_parquet([{listing}])"
        )
        ds = loc.uri(DATASTREAMS).replace("'", "''")
        con.execute(f"CREATE VIEW datastreams AS SELECT * FROM read_parquet('{ds}')")
        d = hj663_sql.DUCKDB
        con.execute(f"CREATE VIEW hourly AS {hourly_select(d, 'observations', 'datastreams')}")
        con.execute(f"CREATE TABLE daily AS {hj663_sql.daily_sql(d, 'hourly', 'datastreams')}")
        daily = con.execute("SELECT * FROM daily").df()
        annual = con.execute(hj663_sql.annual_sql(d, "daily")).df()
    finally:
        con.close()
    return Chain(*_finish(daily, annual))


def _is_local(loc: Location) -> bool:
    protocol = loc.fs.protocol if isinstance(loc.fs.protocol, str) else loc.fs.protocol[0]
    return protocol in ("file", "local")


def spark_session(master: str, app: str = "zhicheng-archive", cores: int | None = None) -> Any:
    """A Spark session on ``master`` (``spark://…`` or ``local[*]``), Arrow transfers on."""
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master).appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
    )
    if cores:
        builder = builder.config("spark.cores.max", str(cores))
    return builder.getOrCreate()


def _python() -> str:
    import sys

    return sys.executable


def spark_chain(loc: Location, master: str | None = None, session: Any = None) -> Chain:
    """The HJ 663 chain on Spark over the archive at ``loc`` (the session's or ``master``'s)."""
    from zhicheng.settings import get_settings

    spark = session or spark_session(master or get_settings().spark_master)
    files = archive_files(loc)
    # Schemas given, not inferred from every file's footer.
    spark.read.schema("datastream_id BIGINT, phenomenon_time_start BIGINT, result_number DOUBLE") \
        .parquet(*files).createOrReplaceTempView("observations")
    spark.read.schema("datastream_id BIGINT, station STRING, pollutant STRING, utc_offset_hours INT") \
        .parquet(loc.uri(DATASTREAMS)).createOrReplaceTempView("datastreams")
    d = hj663_sql.SPARK
    spark.sql(hourly_select(d, "observations", "datastreams")).createOrReplaceTempView("hourly")
    daily = _run_steps(spark, hj663_sql.daily_sql(d, "hourly", "datastreams"), "daily")
    annual = _run_steps(spark, hj663_sql.annual_sql(d, "daily"), "annual").toPandas()
    return Chain(*_finish(daily.toPandas(), annual))


def _run_steps(spark: Any, sql: str, name: str) -> Any:
    """Run a generated query step by step, each step materialised; the result is view ``name``."""
    frame = None
    for step, body in hj663_sql.steps(sql):
        frame = spark.sql(body)
        if step in MATERIALISED:
            frame = frame.localCheckpoint()
        frame.createOrReplaceTempView(name if step == "result" else step)
    return frame


#: Steps whose results Spark computes once (their columns carry large expressions, or they are
#: read twice); the others stay views that Spark folds into the next step.
MATERIALISED = {"per_stream", "per_day", "mda8", "stats", "indexed", "result", "a", "v"}


Runner = Callable[[Location], Chain]


def duckdb_event_statistics(events: str, by: str | None = "service_code") -> pd.DataFrame:
    """Event closure statistics per ``by`` on DuckDB from a Parquet file of events (one row each)."""
    import duckdb

    from zhicheng.archive import events_sql

    con = duckdb.connect()
    try:
        path = events.replace("'", "''")
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
        frame = con.execute(events_sql.closure_sql("events", by, events_sql.DUCKDB_QUANTILE)).df()
    finally:
        con.close()
    return frame.set_index("key").rename_axis(by or "all")


def spark_event_statistics(events: str, by: str | None = "service_code", master: str | None = None,
                           session: Any = None) -> pd.DataFrame:
    """Event closure statistics per ``by`` on Spark from a Parquet file of events."""
    from zhicheng.archive import events_sql
    from zhicheng.settings import get_settings

    spark = session or spark_session(master or get_settings().spark_master)
    spark.read.parquet(events).createOrReplaceTempView("events")
    frame = spark.sql(events_sql.closure_sql("events", by, events_sql.SPARK_QUANTILE)).toPandas()
    return frame.set_index("key").rename_axis(by or "all")


@dataclass(frozen=True)
class Consumption:
    """Meter consumption per period and the registers' resets.

    ``periods``: :data:`~zhicheng.archive.meters_sql.CONSUMPTION_COLUMNS`; ``resets``:
    ``datastream_id, resets`` (register decreases of each cumulative meter).
    """

    periods: pd.DataFrame
    resets: pd.DataFrame


def _meter_frames(meters: pd.DataFrame, edges_us: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    from zhicheng.archive import meters_sql

    kinds = set(meters["kind"])
    if not kinds <= {"cumulative", "interval"}:
        raise ValueError(f"meter kind must be cumulative or interval, not {sorted(kinds - {'cumulative', 'interval'})}")
    edges = pd.DataFrame(meters_sql.edges_rows(edges_us), columns=["k", "edge", "next_edge"]).astype(
        {"k": "int64", "edge": "int64", "next_edge": "Int64"})
    return meters[["datastream_id", "kind"]].astype({"datastream_id": "int64", "kind": str}), edges


def _consumption(periods: pd.DataFrame, resets: pd.DataFrame) -> Consumption:
    periods = periods.astype({"datastream_id": "int64", "period": "int64", "start_us": "int64",
                              "end_us": "int64", "consumption": "float64"})
    return Consumption(periods.reset_index(drop=True), resets.astype("int64").reset_index(drop=True))


def duckdb_meter_consumption(loc: Location, meters: pd.DataFrame, edges_us: Any,
                             memory_limit: str = "3GB") -> Consumption:
    """Consumption per period of the ``meters`` (``datastream_id, kind``) archived at ``loc`` on DuckDB.

    ``edges_us``: the period boundaries [µs since 1970, UTC], ascending (n edges, n − 1 periods).
    """
    import duckdb

    from zhicheng.archive import meters_sql

    meter_frame, edges = _meter_frames(meters, edges_us)
    files = archive_files(loc)
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        if not _is_local(loc):
            con.register_filesystem(loc.fs)
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute("CREATE VIEW observations AS SELECT datastream_id, phenomenon_time_start, result_number "
                    f"FROM read_parquet([{listing}])")
        con.register("meters", meter_frame)
        con.register("edges", edges)
        periods = con.execute(meters_sql.consumption_sql(len(edges))).df()
        resets = con.execute(meters_sql.resets_sql()).df()
    finally:
        con.close()
    return _consumption(periods, resets)


def spark_meter_consumption(loc: Location, meters: pd.DataFrame, edges_us: Any, master: str | None = None,
                            session: Any = None) -> Consumption:
    """:func:`duckdb_meter_consumption` on Spark (the session's or ``master``'s), the same SQL."""
    from zhicheng.archive import meters_sql
    from zhicheng.settings import get_settings

    meter_frame, edges = _meter_frames(meters, edges_us)
    spark = session or spark_session(master or get_settings().spark_master)
    spark.read.schema("datastream_id BIGINT, phenomenon_time_start BIGINT, result_number DOUBLE") \
        .parquet(*archive_files(loc)).createOrReplaceTempView("observations")
    spark.createDataFrame(meter_frame, "datastream_id BIGINT, kind STRING").createOrReplaceTempView("meters")
    rows = [(int(k), int(e), None if pd.isna(n) else int(n)) for k, e, n in edges.itertuples(index=False)]
    spark.createDataFrame(rows, "k BIGINT, edge BIGINT, next_edge BIGINT").createOrReplaceTempView("edges")
    periods = spark.sql(meters_sql.consumption_sql(len(edges))).toPandas()
    resets = spark.sql(meters_sql.resets_sql()).toPandas()
    return _consumption(periods, resets)
