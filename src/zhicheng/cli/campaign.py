"""`zhicheng campaign create|assign|status|export`: self-assessment campaigns from the shell.

The shell acts with the store's own authority (as an admin named after the login user, or
``--by``); departments fill in their submissions through the server and the cockpit.
"""

from __future__ import annotations

import csv
import getpass
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from zhicheng.cli.common import DbOption, console, handle_errors, init_store, store_location
from zhicheng.errors import Problem

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from zhicheng.campaign import Actor, AssignmentSpec

app = typer.Typer(help="Self-assessment campaigns (城市自评): create, assign, status, export.", no_args_is_help=True)

ByOption = Annotated[str | None, typer.Option("--by", help="Name recorded as the actor (default: login user).")]


def _actor(by: str | None) -> Actor:
    from zhicheng.campaign import Actor

    try:
        name = by or getpass.getuser()
    except (OSError, KeyError):
        name = "cli"
    return Actor(name=name, role="admin")


def _engine(db: str | None) -> Engine:
    return init_store(store_location(db))


@app.command("create")
@handle_errors
def create(
    name: Annotated[str, typer.Option(help="Campaign name, e.g. '2024 年度城市自评'.")],
    period: Annotated[str, typer.Option(help="Period the values are for: YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn or YYYYHn.")],
    deadline: Annotated[str, typer.Option(help="Due date (YYYY-MM-DD, end of day UTC+8) or ISO datetime.")],
    unit: Annotated[list[str], typer.Option("--unit", help="Unit code (repeat for several).")],
    note: Annotated[str | None, typer.Option(help="Free note.")] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Create an open campaign over the built-in framework; prints its id."""
    from zhicheng.campaign import create_campaign

    cid = create_campaign(_engine(db), _actor(by), name=name, period=period, deadline=deadline,
                          units_=unit, note=note)
    console.print(f"campaign {cid} created: {name} ({period}, {len(set(unit))} units)")
    typer.echo(cid)


def _read_assignments(path: Path) -> list[AssignmentSpec]:
    """Assignments from a CSV with columns indicator_id, department[, assignees separated by ';']."""
    from zhicheng.campaign import AssignmentSpec, CampaignError

    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("indicator_id", "department") if c not in (reader.fieldnames or [])]
    if missing:
        raise CampaignError(problems=[Problem("missing column", str(path), 1, c) for c in missing])
    out: list[AssignmentSpec] = []
    for row in reader:
        names = tuple(n.strip() for n in (row.get("assignees") or "").split(";") if n.strip())
        out.append(AssignmentSpec((row["indicator_id"] or "").strip(), (row["department"] or "").strip(), names))
    return out


@app.command("assign")
@handle_errors
def assign(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id.")],
    indicator: Annotated[list[str] | None, typer.Option("--indicator", help="Indicator id (repeatable).")] = None,
    department: Annotated[str | None, typer.Option(help="Department the --indicator ids go to.")] = None,
    user: Annotated[list[str] | None, typer.Option("--user", help="Named analyst (repeatable).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="CSV: indicator_id,department,assignees (a;b).")] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Assign indicators to a department (and named analysts), from options or a CSV file."""
    from zhicheng.campaign import AssignmentSpec, CampaignError
    from zhicheng.campaign import assign as do_assign

    specs: list[AssignmentSpec] = _read_assignments(file) if file else []
    if indicator:
        if not department:
            raise CampaignError("--indicator needs --department")
        specs += [AssignmentSpec(i, department, tuple(user or ())) for i in indicator]
    if not specs:
        raise CampaignError("nothing to assign: give --indicator and --department, or --file")
    rows = do_assign(_engine(db), _actor(by), campaign_id, specs)
    console.print(f"campaign {campaign_id}: {len(specs)} assignment(s) written, {len(rows)} in all")


@app.command("status")
@handle_errors
def status(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id.")],
    by_indicator: Annotated[bool, typer.Option("--by-indicator", help="One row per indicator.")] = False,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    db: DbOption = None,
) -> None:
    """Progress per department (or indicator): counts by state, completion, overdue."""
    from zhicheng.campaign import Actor, progress

    board = progress(_engine(db), Actor("cli", "admin"), campaign_id, lang=lang)
    camp = board["campaign"]
    console.print(f"[bold]{camp['name']}[/bold] · {camp['period']} · due {camp['deadline']:%Y-%m-%d %H:%M} UTC"
                  + (" · [red]past the deadline[/red]" if board["overdue_now"] else ""))
    rows = board["indicators"] if by_indicator else board["departments"]
    keys = ["department", *(["indicator_id"] if by_indicator else [])]
    table = Table(*keys, "expected", "missing", "draft", "submitted", "returned", "resubmitted", "approved",
                  "completion", "overdue")
    for r in [*rows, {**board["totals"], "department": "all", "indicator_id": ""}]:
        table.add_row(*(str(r[k]) for k in keys), *(str(r[k]) for k in (
            "expected", "missing", "draft", "submitted", "returned", "resubmitted", "approved")),
            f"{r['completion']:.0%}", str(r["overdue"]))
    console.print(table)


@app.command("export")
@handle_errors
def export(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Target file: .csv or .xlsx.")],
    lang: Annotated[str, typer.Option(help="Language of indicator names: zh or en.")] = "zh",
    db: DbOption = None,
) -> None:
    """Export every expected submission (value, answer, state, review, evidence) to CSV or XLSX."""
    from zhicheng.campaign import export_frame, write_export

    frame = export_frame(_engine(db), campaign_id, lang=lang)
    path = write_export(frame, out)
    console.print(f"{len(frame)} rows written to {path}")
