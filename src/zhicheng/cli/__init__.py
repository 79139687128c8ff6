"""The ``zhicheng`` command: one Typer app with a subcommand group per capability."""

from __future__ import annotations

import typer

from zhicheng.cli import (
    air,
    archive,
    campaign,
    carbon,
    events,
    framework,
    index,
    report,
    sensors,
    server,
    survey,
    workspace,
)

app = typer.Typer(
    name="zhicheng",
    help="zhicheng (智城): smart-city goal model, evaluation, live data, events and cockpit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(framework.app, name="framework")
app.add_typer(index.app, name="index")
app.add_typer(air.app, name="air")
app.add_typer(sensors.app, name="sensors")
app.add_typer(events.app, name="events")
app.add_typer(campaign.app, name="campaign")
app.add_typer(survey.app, name="survey")
app.add_typer(carbon.app, name="carbon")
app.add_typer(archive.app, name="archive")
workspace.register(app)
server.register(app)
report.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()
