"""``zhicheng archive``: move observations past the hot window to Parquet, show and verify it."""

from __future__ import annotations

from typing import Annotated

import typer

from zhicheng.cli.common import DbOption, console, handle_errors, init_store, store_location

app = typer.Typer(
    help="观测归档 Observation archive: observations past the hot window as Parquet (run, status, verify).",
    no_args_is_help=True,
)

ArchiveOption = Annotated[
    str | None,
    typer.Option("--archive", help="Archive folder or fsspec URL (s3://…) [env ZHICHENG_ARCHIVE]"),
]
HotOption = Annotated[
    int | None,
    typer.Option("--hot-days", help="Hot window [days] back from each Datastream's newest observation "
                 "[env ZHICHENG_ARCHIVE_HOT_DAYS, default 90]"),
]


@app.command("run")
@handle_errors
def cmd_run(archive: ArchiveOption = None, hot_days: HotOption = None, db: DbOption = None) -> None:
    """归档 Move the observations past the hot window into the archive.

    Idempotent: a re-run finishes or discards what a crash left.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from zhicheng.archive import service

    engine = init_store(store_location(db))
    loc = service.location(archive)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("归档 archiving", total=None)

        def on_rows(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = service.run(engine, loc, hot_days, on_rows)
    for line in report.reconciled:
        console.print(f"reconciled: {line}", highlight=False)
    rate = report.rows / report.seconds if report.seconds else 0.0
    console.print(f"归档 archived {report.rows:,} observations into {report.files} file(s) at "
                  f"{loc.url} in {report.seconds:.1f} s ({rate:,.0f} rows/s)", highlight=False)


@app.command("status")
@handle_errors
def cmd_status(hot_days: HotOption = None, db: DbOption = None) -> None:
    """状态 Rows in the store, past the hot window, and in the archive by year."""
    from rich.table import Table

    from zhicheng.archive import service

    st = service.status(init_store(store_location(db)), hot_days)
    console.print(f"库内观测 store: {st.store_rows:,} observations; past the {st.hot_days}-day hot "
                  f"window: {st.cold_rows:,}", highlight=False)
    console.print(f"归档 archive: {st.archived_rows:,} observations, {st.archived_bytes:,} bytes; files "
                  + ", ".join(f"{k} {v}" for k, v in sorted(st.files.items())), highlight=False)
    table = Table(title="归档年份 Archive by year")
    for col in ("year", "files", "rows"):
        table.add_column(col, justify="right")
    for year, files, rows in st.by_year:
        table.add_row(str(year), str(files), f"{rows:,}")
    console.print(table)


@app.command("verify")
@handle_errors
def cmd_verify(archive: ArchiveOption = None, db: DbOption = None) -> None:
    """校验 Check every archive file against the manifest and the store (exit 1 on a problem)."""
    from zhicheng.archive import service

    result = service.verify(init_store(store_location(db)), service.location(archive))
    for problem in result.problems:
        console.print(f"problem: {problem}", highlight=False)
    console.print(f"校验 verified {result.files} file(s), {result.rows:,} observations: "
                  + ("完好 ok" if result.ok else f"{len(result.problems)} problem(s)"), highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("hj663")
@handle_errors
def cmd_hj663(
    archive: ArchiveOption = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded) | spark")] = "duckdb",
    spark: Annotated[str | None, typer.Option(
        "--spark", help="Spark master URL (spark://host:7077) [env ZHICHENG_SPARK_MASTER, default local[*]]")] = None,
    daily: Annotated[str | None, typer.Option("--daily", help="Write the daily table (CSV) here.")] = None,
    annual: Annotated[str | None, typer.Option("--annual", help="Write the annual evaluation (CSV) here.")] = None,
) -> None:
    """评价 The HJ 663 chain on the archive: daily AQI with validity, annual statistics, good-day shares."""
    from rich.table import Table

    from zhicheng.archive import engines, service
    from zhicheng.errors import Invalid, Problem

    loc = service.location(archive)
    if engine == "duckdb":
        chain = engines.duckdb_chain(loc)
    elif engine == "spark":
        chain = engines.spark_chain(loc, master=spark)
    else:
        raise Invalid(f"unknown engine {engine!r}: use duckdb or spark", [Problem("unknown", column="--engine")])
    if daily:
        chain.daily.to_csv(daily, index=False)
    if annual:
        chain.annual.to_csv(annual, index=False)
    table = Table(title=f"HJ 663 年度评价 annual evaluation ({engine})")
    columns = ["station", "year", "valid_days", "good_days", "good_day_share", "pm25_annual", "pm10_annual",
               "o3_8h_p90", "co_p95", "meets_grade2"]
    for col in columns:
        table.add_column(col, justify="left" if col == "station" else "right")
    for row in chain.annual[columns].itertuples(index=False):
        table.add_row(*["–" if v is None or v != v else str(v) for v in row])
    console.print(table)


@app.command("meters")
@handle_errors
def cmd_meters(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, the city's time zone).")],
    end: Annotated[str, typer.Option("--to", help="Day after the last (YYYY-MM-DD, the city's time zone).")],
    period: Annotated[str, typer.Option("--period", help="day | month")] = "day",
    archive: ArchiveOption = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded) | spark")] = "duckdb",
    spark: Annotated[str | None, typer.Option(
        "--spark", help="Spark master URL (spark://host:7077) [env ZHICHENG_SPARK_MASTER, default local[*]]")] = None,
    out: Annotated[str | None, typer.Option("--out", help="Write every meter's consumption per period (CSV) here.")] = None,
    db: DbOption = None,
) -> None:
    """能耗 Energy meters' consumption per day or month from the archive (registers interpolated at the boundaries).

    Reads the archive only: readings still in the hot window are not counted (ask for periods
    the archive covers).
    """
    import pandas as pd
    from rich.table import Table

    from zhicheng.archive import engines, service
    from zhicheng.carbon.meter_emissions import meter_kinds
    from zhicheng.errors import Invalid, Problem
    from zhicheng.settings import get_settings

    zone = get_settings().time_zone
    try:
        first, last = pd.Timestamp(start, tz=zone), pd.Timestamp(end, tz=zone)
    except ValueError as exc:
        raise Invalid(f"--from/--to must be dates (YYYY-MM-DD): {exc}", [Problem("bad date", column="--from")]) from None
    if period not in ("day", "month"):
        raise Invalid(f"unknown period {period!r}: use day or month", [Problem("unknown", column="--period")])
    if engine not in ("duckdb", "spark"):
        raise Invalid(f"unknown engine {engine!r}: use duckdb or spark", [Problem("unknown", column="--engine")])
    bounds = pd.date_range(first, last, freq="D" if period == "day" else "MS")
    if len(bounds) < 2 or bounds[-1] != last:
        raise Invalid("--to must be at least one whole period after --from (a month's first day for months)",
                      [Problem("too short", column="--to")])
    edges = (bounds.tz_convert("UTC").as_unit("us").asi8).tolist()
    store = init_store(store_location(db))
    with store.connect() as conn:
        kinds = meter_kinds(conn)
    store.dispose()
    if kinds.empty:
        console.print("没有能耗计量表 No energy-meter Datastreams (unit kWh, m³ or GJ) in the store.")
        return
    loc = service.location(archive)
    if engine == "duckdb":
        result = engines.duckdb_meter_consumption(loc, kinds, edges)
    else:
        result = engines.spark_meter_consumption(loc, kinds, edges, master=spark)
    periods = result.periods.merge(kinds[["datastream_id", "thing", "unit"]], on="datastream_id")
    periods["period_start"] = pd.to_datetime(periods["start_us"], unit="us", utc=True).dt.tz_convert(zone)
    if out:
        periods[["datastream_id", "thing", "unit", "period", "period_start", "consumption"]].to_csv(out, index=False)
    table = Table(title=f"能耗 consumption per {period} ({engine}), {start} – {end}")
    for col in ("datastream_id", "thing", "unit", "periods", "covered", "total", "resets"):
        table.add_column(col, justify="left" if col in ("thing", "unit") else "right")
    resets = dict(zip(result.resets["datastream_id"], result.resets["resets"], strict=True))
    for ds, part in periods.groupby("datastream_id", sort=True):
        covered = part["consumption"].notna()
        table.add_row(str(ds), str(part["thing"].iloc[0]), str(part["unit"].iloc[0]), str(len(part)),
                      str(int(covered.sum())), f"{part['consumption'].sum():.3f}", str(resets.get(ds, 0)))
    console.print(table)
