"""`zhicheng sensors …`: live sensors — replay the Beijing stations through the SensorThings API."""

from __future__ import annotations

import warnings
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from zhicheng.cli.common import console, handle_errors, store_location
from zhicheng.errors import ZhichengError

app = typer.Typer(
    help="Live sensors (OGC SensorThings): load and replay station data.", no_args_is_help=True
)

#: The project's copy of the Beijing data (PROVENANCE.md beside it).
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "data" / "air_quality" / "beijing_multisite"


def _date(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ZhichengError(
            f"{option}: {text!r} is not an ISO date (YYYY-MM-DD) or date-time"
        ) from None


def _client(stack: ExitStack, url: str | None, token: str | None, db: str | None) -> Any:
    """An HTTP client for a running server (``--url``) or for the app on a store (``--db``)."""
    if url is not None:
        import httpx

        if not token:
            raise ZhichengError("--url needs --token (a device_manager, operator or admin token)")
        return stack.enter_context(
            httpx.Client(
                base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # starlette's notice about httpx
        from fastapi.testclient import TestClient

    from zhicheng.api import create_app
    from zhicheng.auth import create_token, list_tokens, revoke_token

    app = create_app(store_location(db))
    engine = app.state.engine
    # Registering the stations is a device manager's right; the token lives for this run only.
    secret = create_token(engine, "device_manager", "zhicheng sensors load-beijing")
    mine = [t["id"] for t in list_tokens(engine) if t["name"] == "zhicheng sensors load-beijing"]
    token_id = max(int(str(i)) for i in mine)
    stack.callback(engine.dispose)
    stack.callback(revoke_token, engine, token_id)
    return stack.enter_context(
        TestClient(
            app, base_url="http://zhicheng.local", headers={"Authorization": f"Bearer {secret}"}
        )
    )


@app.command("load-beijing")
@handle_errors
def load_beijing(
    url: Annotated[
        str | None, typer.Option(help="Base URL of a running server, e.g. http://127.0.0.1:8000")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="Bearer token for --url (role device_manager, operator or admin: the "
                          "stations are registered, then their readings sent)"),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Without --url: the store to load in-process [env ZHICHENG_DB]"),
    ] = None,
    data: Annotated[
        Path, typer.Option(help="Folder of PRSA_Data_<Station>_*.csv.gz files")
    ] = DEFAULT_DATA,
    since: Annotated[
        str | None, typer.Option(help="First local (Beijing) date or time to send, ISO 8601")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Send only before this local date or time, ISO 8601")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Only the last N days of the data")
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, max=10000, help="Observations per CreateObservations request")
    ] = 1000,
    station: Annotated[
        list[str] | None, typer.Option(help="Only this station (repeatable); default all 12")
    ] = None,
) -> None:
    """Register the 12 Beijing stations and replay their hourly data through the API."""
    from zhicheng.sensing.beijing import replay

    lo, hi = _date(since, "--since"), _date(until, "--until")
    with ExitStack() as stack:
        client = _client(stack, url, token, db)
        columns = (
            TextColumn("[bold]replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("observations"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("replay", total=None)
            sent = replay(
                client,
                data,
                lo,
                hi,
                days,
                batch,
                station,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
    total = sum(sent.values())
    console.print(f"sent {total:,} observations from {len(sent)} stations")
    for name, n in sent.items():
        console.print(f"  {name}: {n:,}")
