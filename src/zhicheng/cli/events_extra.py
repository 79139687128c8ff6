"""More `zhicheng events …` commands: catalogues by jurisdiction, forecasts, warnings, readiness.

Registered onto the events group by :func:`register`; heavy imports stay inside the commands.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from zhicheng.cli.common import console, handle_errors


def services_cmd(
    jurisdiction: Annotated[str | None, typer.Option(help="Open311 jurisdiction_id (default: the server's catalogue).")] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """List the event types of a catalogue with department and SLA (e.g. --jurisdiction cn-12345)."""
    from zhicheng.events.catalogue import catalogue_for

    cat = catalogue_for(jurisdiction)
    names = {d.code: (d.name_zh if lang == "zh" else d.name_en) for d in cat.departments}
    title = (cat.name_zh if lang == "zh" else cat.name_en) or cat.version
    table = Table("code", "group", "name", "department", "SLA h", title=title)
    for s in cat.services:
        table.add_row(s.code, s.group, s.name_zh if lang == "zh" else s.name_en, names.get(s.department, s.department),
                      f"{s.sla_hours:g}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``events`` group."""
    app.command("services")(handle_errors(services_cmd))
