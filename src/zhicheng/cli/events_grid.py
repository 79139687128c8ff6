"""`zhicheng events grid …`: load a city's own grid, give events their cells, statistics per cell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zhicheng.cli.common import DbOption, console, handle_errors, init_store, store_location

app = typer.Typer(help="Grid cells (网格): own grid file or H3; per-cell statistics.", no_args_is_help=True)


@app.command("load")
@handle_errors
def load_cmd(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection or CSV (code, name, parent, wkt).")],
    city: Annotated[str | None, typer.Option(help="Parent unit of cells whose file names none.")] = None,
    db: DbOption = None,
) -> None:
    """Store a city's own grid cells (units of level grid); events are then placed in them."""
    from zhicheng.events.grid import load_grid

    n = load_grid(init_store(store_location(db)), file, city)
    console.print(f"{n} grid cells stored from {file.name}")


@app.command("assign")
@handle_errors
def assign_cmd(
    city: Annotated[str | None, typer.Option(help="Parent unit of new H3 cells [env ZHICHENG_GRID_CITY].")] = None,
    resolution: Annotated[int | None, typer.Option(min=0, max=15, help="H3 resolution [env ZHICHENG_GRID_H3_RESOLUTION].")] = None,
    db: DbOption = None,
) -> None:
    """Give every located event without a cell its cell (own grid, else H3); idempotent."""
    from zhicheng.events.grid import assign_missing_cells

    n = assign_missing_cells(init_store(store_location(db)), city, resolution)
    console.print(f"{n} events placed on grid cells")


@app.command("stats")
@handle_errors
def stats_cmd(
    top: Annotated[int, typer.Option(min=1, help="Cells shown, busiest first.")] = 20,
    service: Annotated[str | None, typer.Option(help="One service code.")] = None,
    db: DbOption = None,
) -> None:
    """Volume, closure within SLA and repeat locations per grid cell."""
    from zhicheng.events.grid import grid_statistics

    stats = grid_statistics(init_store(store_location(db)), service_code=service)
    table = Table("cell", "events", "open", "overdue", "within SLA %", "mean h", "repeat places",
                  title=f"{len(stats)} grid cells with events 网格事件统计")
    def one(value: object) -> str:
        number = float(value)  # type: ignore[arg-type]
        return "" if number != number else f"{number:.1f}"

    for r in stats.head(top).to_dict("records"):
        table.add_row(str(r["grid_code"]), str(r["events"]), str(r["open"]), str(r["overdue"]),
                      one(r["closed_within_sla_pct"]), one(r["mean_hours"]), str(r["repeat_locations"]))
    console.print(table)
