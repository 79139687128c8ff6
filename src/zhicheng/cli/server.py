"""`zhicheng serve` and `zhicheng token …`: the server and its API tokens."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from zhicheng.cli.common import DbOption, console, handle_errors, init_store, store_location

token_app = typer.Typer(help="API tokens: create (shown once), list, rotate, revoke.", no_args_is_help=True)

ExpiresOption = Annotated[
    str | None,
    typer.Option(help="When the token stops working: an ISO date-time with time zone, or a "
                      "duration from now such as 90d, 12h or 30m."),
]


def _expiry(text: str | None) -> datetime | None:
    """``--expires``: an ISO 8601 instant (with offset) or ``<n>d``/``<n>h``/``<n>m`` from now."""
    if text is None:
        return None
    import re

    from zhicheng.errors import ZhichengError

    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if match:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return datetime.now(UTC) + timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ZhichengError(f"--expires: {text!r} is neither an ISO date-time nor a duration like 90d") from None
    if when.tzinfo is None:
        raise ZhichengError(f"--expires: {text!r} needs a time zone, e.g. {text}+08:00")
    return when


@handle_errors
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    mqtt_port: Annotated[
        int | None,
        typer.Option(
            help="Port of the embedded MQTT broker (SensorThings over MQTT); 0: none. "
            "Default: ZHICHENG_MQTT_PORT, else 1883."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API, the cockpit and SensorThings over MQTT."""
    import uvicorn

    from zhicheng.api import create_app
    from zhicheng.settings import Settings

    settings = Settings()
    updates: dict[str, object] = {}
    if "ZHICHENG_PUBLIC_URL" not in os.environ:
        updates["public_url"] = f"http://{host}:{port}"
    if mqtt_port is not None:
        updates["mqtt_port"] = mqtt_port
    elif not settings.mqtt_port and "ZHICHENG_MQTT_PORT" not in os.environ:
        updates["mqtt_port"] = 1883
    settings = settings.model_copy(update=updates)
    app = create_app(store_location(db), settings=settings)
    console.print(f"zhicheng serving on http://{host}:{port}/ (store: {app.state.engine.url!r})")
    if settings.mqtt_broker:
        console.print(f"SensorThings MQTT through the broker at {settings.mqtt_broker}")
    elif settings.mqtt_port:
        console.print(f"SensorThings MQTT on mqtt://{settings.mqtt_host}:{settings.mqtt_port}")
    # X-Forwarded-For is read by the server itself, only from ZHICHENG_TRUSTED_PROXIES: uvicorn's
    # own proxy handling (which trusts loopback) stays off.
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@token_app.command("create")
@handle_errors
def token_create(
    role: Annotated[
        str, typer.Option(help="admin, analyst, operator, device_manager, sensor, viewer or reviewer")
    ],
    name: Annotated[str, typer.Option(help="Who or what holds the token.")],
    department: Annotated[
        str | None,
        typer.Option(help="Department of the holder; a sensor or device_manager token is then "
                          "bound to the Things whose properties.department is this."),
    ] = None,
    thing: Annotated[
        list[int] | None,
        typer.Option("--thing", help="Bind the token to this Thing (repeatable): a sensor writes "
                                     "only its Datastreams' Observations, a device_manager only it."),
    ] = None,
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from zhicheng.auth import create_token

    token = create_token(init_store(store_location(db)), role, name, department,
                         things=thing or (), expires_at=_expiry(expires))
    typer.echo(token)


@token_app.command("list")
@handle_errors
def token_list(db: DbOption = None) -> None:
    """List tokens (never their secret)."""
    from zhicheng.auth import list_tokens

    table = Table("id", "name", "role", "department", "created", "revoked", "expires", "things")
    for t in list_tokens(init_store(store_location(db))):
        things = t.pop("things")
        table.add_row(*(str(t[k]) if t[k] is not None else "" for k in
                        ("id", "name", "role", "department", "created_at", "revoked_at", "expires_at")),
                      " ".join(str(i) for i in things))  # type: ignore[attr-defined]
    console.print(table)


@token_app.command("rotate")
@handle_errors
def token_rotate(
    token_id: Annotated[int, typer.Argument(help="Id from `zhicheng token list`.")],
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Replace a token's secret: print the new one (same name, role and binding); the old one stops at once."""
    from zhicheng.auth import rotate_token

    typer.echo(rotate_token(init_store(store_location(db)), token_id, expires_at=_expiry(expires)))


@token_app.command("revoke")
@handle_errors
def token_revoke(token_id: Annotated[int, typer.Argument(help="Id from `zhicheng token list`.")], db: DbOption = None) -> None:
    """Revoke a token."""
    from zhicheng.auth import revoke_token

    revoke_token(init_store(store_location(db)), token_id)
    console.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    """Add `serve` and the `token` group to the main app."""
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")
