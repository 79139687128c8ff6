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
    app.command("forecast")(handle_errors(forecast_cmd))
    app.command("backtest")(handle_errors(backtest_cmd))
    _register_readiness(app)


def forecast_cmd(
    kind: Annotated[str, typer.Option(help="volume (events per category) or episode (Beijing stations).")] = "volume",
    freq: Annotated[str, typer.Option(help="h (hourly) or D (daily), for volumes.")] = "h",
    by_cell: Annotated[bool, typer.Option("--by-cell/--city", help="Volumes per category and grid cell, or city-wide.")] = False,
    alerts: Annotated[bool, typer.Option("--alerts/--no-alerts", help="Raise alerts (and events) for surges and episodes.")] = True,
    data: Annotated[str | None, typer.Option(help="Beijing multi-site folder (episodes); default: the shipped one.")] = None,
    stations: Annotated[str | None, typer.Option(help="Stations, comma separated (episodes).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store: SQLite path or postgresql+psycopg:// URL [env ZHICHENG_DB]")] = None,
) -> None:
    """Forecast event volumes (with 95 % intervals; surges raise alerts) or pollution episodes."""
    from zhicheng.cli.common import init_store, store_location

    engine = init_store(store_location(db))
    if kind == "episode":
        _episode_forecast(engine, data, stations, alerts)
        return
    if kind != "volume" or freq not in ("h", "D"):
        from zhicheng.errors import Problem
        from zhicheng.events.errors import EventError

        raise EventError(problems=[Problem("--kind must be volume or episode and --freq h or D")])
    from zhicheng.events.forecast import volume_series, volume_view
    from zhicheng.workspace.forecasts import raise_surge_alerts

    series = volume_series(engine, freq, ("service_code",))  # type: ignore[arg-type]
    table = Table("category", "next period", "forecast", "95 % interval", "last count", "surge",
                  title="event volume forecast 事件量预测")
    for code, s in series.groupby("service_code"):
        if s["count"].sum() < 20 or len(s) < 2 * (24 if freq == "h" else 7):
            continue
        view = volume_view(s[["period", "count"]], freq)  # type: ignore[arg-type]
        nxt, last = view["ahead"][0], view["history"][-1]
        table.add_row(str(code), str(nxt["period"]), f"{nxt['forecast']:.1f}", f"{nxt['lower']:.0f}–{nxt['upper']:.0f}",
                      str(last["count"]), "[red]yes[/red]" if last["surge"] else "")
    console.print(table)
    if alerts:
        surges = raise_surge_alerts(engine, freq, by_cell=by_cell)
        console.print(f"{len(surges)} surge(s) in the last period; alerts raised for new ones")


def _episode_forecast(engine: object, data: str | None, stations: str | None, alerts: bool) -> None:
    from pathlib import Path

    from zhicheng.workspace.demo import AIR_DIR, default_data_dir
    from zhicheng.workspace.forecasts import forecast_stations

    folder = Path(data) if data else default_data_dir() / AIR_DIR
    chosen = [s.strip() for s in stations.split(",")] if stations else None
    if alerts:
        fc = forecast_stations(engine, folder, chosen)  # type: ignore[arg-type]
    else:
        import pandas as pd

        from zhicheng.air.forecast import forecast_ahead, read_station_days

        fc = pd.concat([forecast_ahead(read_station_days(p)) for p in sorted(folder.glob("PRSA_Data_*.csv*"))
                        if not chosen or p.name.split("_")[2] in chosen], ignore_index=True)
    table = Table("station", "issued after", "for", "PM2.5 µg/m³", "level", "warning", title="pollution episode forecast 重污染预判")
    for r in fc.to_dict("records"):
        table.add_row(str(r["station"]), f"{r['origin']:%Y-%m-%d}", f"{r['target']:%Y-%m-%d}", f"{r['pm25']:.0f}",
                      str(int(r["level_index"]) + 1), "[red]≥ 5[/red]" if r["warn"] else "")
    console.print(table)


def backtest_cmd(
    kind: Annotated[str, typer.Option(help="episode or volume.")] = "episode",
    stations: Annotated[str | None, typer.Option(help="Stations, comma separated (default: all 12).")] = None,
    data: Annotated[str | None, typer.Option(help="Beijing multi-site folder; default: the shipped one.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Store with events (volumes) [env ZHICHENG_DB]")] = None,
) -> None:
    """Rolling-origin backtest: episodes against persistence and seasonal; volumes by MASE."""
    if kind == "episode":
        from pathlib import Path

        import pandas as pd

        from zhicheng.air.forecast import forecast_station, read_station_days, scores, yearly_folds
        from zhicheng.workspace.demo import AIR_DIR, default_data_dir

        folder = Path(data) if data else default_data_dir() / AIR_DIR
        chosen = [s.strip() for s in stations.split(",")] if stations else None
        parts = [forecast_station(read_station_days(p), yearly_folds()) for p in sorted(folder.glob("PRSA_Data_*.csv*"))
                 if not chosen or p.name.split("_")[2] in chosen]
        s = scores(pd.concat(parts, ignore_index=True))
        table = Table("horizon h", "method", "days", "MAE µg/m³", "hit rate", "false alarms", title="episode backtest")
        for r in s.to_dict("records"):
            table.add_row(str(r["horizon_hours"]), str(r["method"]), str(r["days"]), f"{r['mae']:.1f}",
                          f"{r['hit_rate']:.2f}", f"{r['false_alarm_ratio']:.2f}")
        console.print(table)
        return
    from zhicheng.cli.common import init_store, store_location
    from zhicheng.events.forecast import backtest_volume, mase, volume_series

    series = volume_series(init_store(store_location(db)), "h", ("service_code",))
    series["day"] = series["period"].dt.year
    table = Table("year", "category", "hours", "MASE model", "MASE seasonal naive", "coverage", title="volume backtest (hourly)")
    for (year, code), s in series.groupby(["day", "service_code"]):
        s = s[["period", "count"]].reset_index(drop=True)
        if s["count"].sum() < 200 or len(s) < 60:
            continue
        m = mase(backtest_volume(s, "h"), s, "h")
        table.add_row(str(year), str(code), str(len(s)), f"{m['mase_model']:.2f}", f"{m['mase_seasonal_naive']:.2f}",
                      f"{m['coverage']:.2f}")
    console.print(table)


readiness_app = typer.Typer(help="Emergency readiness (预案, 应急演练, 物资保障): load records, D2.R3 indicators.",
                            no_args_is_help=True)


@readiness_app.command("load")
def readiness_load_cmd(
    file: Annotated[str, typer.Argument(help="YAML with plans, drills and depots (see the README).")],
    db: Annotated[str | None, typer.Option("--db", help="Store [env ZHICHENG_DB]")] = None,
) -> None:
    """Load plans, drills (follow-up actions become events) and supplies (shortages raise alerts)."""
    from zhicheng.cli.common import init_store, store_location
    from zhicheng.events.readiness import load_readiness

    r = load_readiness(init_store(store_location(db)), file)
    console.print(f"{r.plans} plans, {r.drills} drills ({r.actions} follow-up events), {r.depots} depots, "
                  f"{r.stocks} stocks; {r.shortage_alerts} supply alerts raised")


@readiness_app.command("indicators")
def readiness_indicators_cmd(
    year: Annotated[int, typer.Argument(help="Year of the drills counted.")],
    unit: Annotated[str | None, typer.Option(help="Unit whose records count; with --store its values are written.")] = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Write the values into the store (needs --unit).")] = False,
    db: Annotated[str | None, typer.Option("--db", help="Store [env ZHICHENG_DB]")] = None,
) -> None:
    """D2.R3.I3 (drills held as planned), D2.R3.I5 (digital depots), supply coverage [%]."""
    from zhicheng.cli.common import init_store, store_location
    from zhicheng.events.readiness import readiness_indicators, store_readiness_indicators

    engine = init_store(store_location(db))
    values = readiness_indicators(engine, year, unit)
    table = Table("indicator", "value %", title=f"readiness {year} {unit or ''}")
    for k, v in values.items():
        table.add_row(k, "" if v is None else f"{v:.1f}")
    console.print(table)
    if store and unit:
        console.print(f"{store_readiness_indicators(engine, year, unit)} values written")


def _register_readiness(app: typer.Typer) -> None:
    for command in readiness_app.registered_commands:
        if command.callback is not None and not getattr(command.callback, "_wrapped", False):
            wrapped = handle_errors(command.callback)
            wrapped._wrapped = True  # type: ignore[attr-defined]
            command.callback = wrapped
    app.add_typer(readiness_app, name="readiness")
