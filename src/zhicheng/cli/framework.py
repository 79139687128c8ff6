"""`zhicheng framework` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="framework commands", no_args_is_help=True)
