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
