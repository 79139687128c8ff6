"""Top-level workspace commands: init, ingest, evaluate, results, gaps, demo."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the workspace commands to the main app."""
