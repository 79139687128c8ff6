"""`zhicheng events …`: list, show and move city events; replay real LA 311 requests."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from zhicheng.cli import events_extra, events_grid
from zhicheng.cli.common import DbOption, console, handle_errors, init_store, store_location

app = typer.Typer(help="City events (Open311): list, show, transition, replay LA 311.", no_args_is_help=True)
app.add_typer(events_grid.app, name="grid")
events_extra.register(app)

#: The project's copies of the real LA 311 files (see data/service_requests/PROVENANCE.md).
LA311_DIR = Path(__file__).resolve().parents[3] / "data" / "service_requests"



def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


@app.command("list")
@handle_errors
def list_cmd(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="Workflow states, comma separated.")] = None,
    service: Annotated[str | None, typer.Option(help="Service codes, comma separated.")] = None,
    department: Annotated[str | None, typer.Option(help="Responsible department code.")] = None,
    grid: Annotated[str | None, typer.Option(help="Grid cell code.")] = None,
    source: Annotated[str | None, typer.Option(help="citizen, sensor or inspector.")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help="Past the SLA deadline and open.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Requested at or after (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Requested at or before (UTC).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """List events, newest first, with filters."""
    from zhicheng.events.service import EventFilter, list_events
    from zhicheng.events.workflow import STATES

    bad = [s for s in _split(status) if s not in STATES]
    if bad:
        from zhicheng.events.errors import EventError

        raise EventError(f"unknown state(s) {', '.join(bad)}; states are {', '.join(STATES)}")
    f = EventFilter(_split(status), _split(service), department, grid, source, overdue, since, until)
    total, rows = list_events(init_store(store_location(db)), f, limit)
    table = Table("id", "service", "status", "source", "department", "grid", "requested (UTC)",
                  "due (UTC)", "overdue", title=f"{len(rows)} of {total} events")
    for r in rows:
        table.add_row(r["public_id"], r["service_code"], r["status"], r["source"], r["department"] or "",
                      r["grid_code"] or "", _when(r["requested_at"]), _when(r["expected_at"]),
                      "[red]yes[/red]" if r["overdue"] else "")
    console.print(table)


@app.command("show")
@handle_errors
def show_cmd(event_id: Annotated[str, typer.Argument(help="Event id (Open311 service_request_id).")],
             db: DbOption = None) -> None:
    """Show one event and its workflow history."""
    from zhicheng.events.service import get_event

    e = get_event(init_store(store_location(db)), event_id)
    console.print(f"[bold]{e['public_id']}[/bold] {e['service_code']} — {e['status_label_zh']} / "
                  f"{e['status_label_en']}" + ("  [red]overdue 已超期[/red]" if e["overdue"] else ""))
    for key in ("source", "department", "grid_code", "address", "lat", "lon", "description",
                "duplicate_of", "requested_at", "expected_at", "closed_at", "reopen_count"):
        if e.get(key) not in (None, ""):
            console.print(f"  {key}: {e[key]}", markup=False)
    table = Table("at (UTC)", "from", "to", "actor", "role", "department", "grid", "note", title="history")
    for h in e["history"]:
        table.add_row(_when(h["at"]), h["from_status"] or "", h["to_status"], h["actor"], h["role"] or "",
                      h["department"] or "", h["grid_code"] or "", h["note"] or "")
    console.print(table)


@app.command("transition")
@handle_errors
def transition_cmd(
    event_id: Annotated[str, typer.Argument(help="Event id (Open311 service_request_id).")],
    to: Annotated[str, typer.Option("--to", help="Target state.")],
    note: Annotated[str, typer.Option("--note", help="Why (kept in the history).")],
    department: Annotated[str | None, typer.Option(help="Department (when dispatching).")] = None,
    grid: Annotated[str | None, typer.Option(help="Grid cell code.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who moves it (default: the login name).")] = None,
    db: DbOption = None,
) -> None:
    """Move an event through the workflow (as an administrator of the local store)."""
    from zhicheng.events.service import transition_event

    who = actor or getpass.getuser()
    e = transition_event(init_store(store_location(db)), event_id, to, note, who, "admin", department, grid)
    console.print(f"{e['public_id']}: now {e['status']} ({e['status_label_zh']})")


@app.command("load-la311")
@handle_errors
def load_la311_cmd(
    db: DbOption = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="MyLA311 CSV(.gz); default: both shipped files.")] = None,
) -> None:
    """Replay real Los Angeles 311 requests (timestamps, statuses, departments) into the store."""
    from zhicheng.events.replay import load_la311
    from zhicheng.events.stats import event_statistics

    files = file or sorted(LA311_DIR.glob("*.csv.gz"))
    if not files:
        raise FileNotFoundError(2, "no LA 311 files found", str(LA311_DIR))
    engine = init_store(store_location(db))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for path in files:
            task = progress.add_task(path.name, total=None)

            def step(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            result = load_la311(engine, path, progress=step)
            progress.update(task, completed=1, total=1)
            console.print(f"{path.name}: {result.loaded} loaded, {result.skipped} already present")
    stats = event_statistics(engine)
    table = Table("service", "events", "closed", "within SLA %", "mean h", "median h", "p90 h",
                  title="closure time by service 各类事件办结时长")
    for code, r in stats.iterrows():
        pct = "" if r["closed"] == 0 else f"{r['closed_within_sla_pct']:.1f}"
        fmt = (lambda v: "" if v != v else f"{v:.1f}")  # noqa: E731 - NaN-safe formatting
        table.add_row(str(code), str(int(r["events"])), str(int(r["closed"])), pct,
                      fmt(r["mean_hours"]), fmt(r["median_hours"]), fmt(r["p90_hours"]))
    console.print(table)


@app.command("indicators")
@handle_errors
def indicators_cmd(
    period: Annotated[str, typer.Argument(help="YYYY or YYYY-MM (UTC) of the requests counted.")],
    city: Annotated[str | None, typer.Option(help="Unit code that gets every event of the period.")] = None,
    db: DbOption = None,
) -> None:
    """Write D2.R1.I1 (closed within SLA, %) and D2.R1.I2 (mean handling time, h) into the store."""
    from zhicheng.events.stats import event_indicators, store_event_indicators

    engine = init_store(store_location(db))
    written = store_event_indicators(engine, period, city, actor=getpass.getuser())
    table = Table("unit", "indicator", "period", "value", title=f"{written} indicator values written")
    for r in event_indicators(engine, period, city).itertuples():
        table.add_row(str(r.unit_code), str(r.indicator_id), str(r.period), f"{r.value:.2f}")
    console.print(table)
