"""`zhicheng air` commands: daily AQI and annual evaluation of hourly air-quality files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zhicheng.cli.common import console, handle_errors
from zhicheng.errors import Problem

if TYPE_CHECKING:  # pandas and the AQI engine are imported by the commands that run them
    import pandas as pd

app = typer.Typer(
    help="Air quality: HJ 633 AQI and HJ 663 evaluation (空气质量)", no_args_is_help=True
)

#: Daily columns written by ``zhicheng air daily`` (hour counts and flags stay in the library).
DAILY_COLUMNS = [
    "date", "station", "standard",
    "so2_24h", "no2_24h", "co_24h", "pm10_24h", "pm25_24h", "o3_1h_max", "o3_8h_max",
    "iaqi_so2_24h", "iaqi_no2_24h", "iaqi_co_24h", "iaqi_pm10_24h", "iaqi_pm25_24h",
    "iaqi_o3_1h_max", "iaqi_o3_8h_max",
    "aqi", "level", "level_en", "colour", "primary", "exceeding", "valid", "missing",
]  # fmt: skip

Inputs = Annotated[
    list[Path],
    typer.Argument(help="Hourly CSV file(s) or folder(s): Beijing layout or plain layout"),
]
Out = Annotated[Path, typer.Option("--out", "-o", help="Output CSV file")]
HourLabel = Annotated[
    str,
    typer.Option("--hour-label", help="start: label h covers [h, h+1); end: the hour ending at h"),
]
Standard = Annotated[
    str | None,
    typer.Option(
        "--standard",
        help="HJ633-2026, HJ633-2012 or (daily only, no --city) EPA2024 "
        "(default: the HJ 633 edition in force on each day)",
    ),
]
City = Annotated[
    str | None,
    typer.Option(
        "--city", help="Also compute the city from its stations, under this name (e.g. Beijing)"
    ),
]
Units = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        help="Plain layout: unit of a pollutant, e.g. --unit co=ug/m3 (default µg/m³, CO mg/m³)",
    ),
]


def _units(options: list[str] | None) -> dict[str, str]:
    from zhicheng.air.errors import AirInputError

    units: dict[str, str] = {}
    problems = []
    for opt in options or []:
        name, sep, unit = opt.partition("=")
        if not sep:
            problems.append(Problem(f"expected POLLUTANT=UNIT, got {opt!r}", column="--unit"))
            continue
        key = name.strip().lower().replace("pm2.5", "pm25")
        if key in units and units[key] != unit.strip():
            problems.append(
                Problem(f"mixed units for {key}: {units[key]} and {unit.strip()}", column="--unit")
            )
        units[key] = unit.strip()
    if problems:
        raise AirInputError(problems=problems)
    return units


def _write(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
    tmp.replace(out)  # never leave a half-written output


def _daily(
    inputs: list[Path],
    standard: str | None,
    hour_label: str,
    units: list[str] | None,
    city: str | None,
) -> pd.DataFrame:
    import pandas as pd

    from zhicheng.air import city_daily, daily_aqi
    from zhicheng.air.errors import AirInputError
    from zhicheng.air.iaqi import as_standard
    from zhicheng.air.io import read_hourly

    if standard == "EPA2024" and city:
        raise AirInputError(
            problems=[
                Problem(
                    "--city is an HJ 663 aggregation; not available with EPA2024",
                    column="--city",
                )
            ]
        )
    with console.status("reading hourly data…"):
        hourly = read_hourly(inputs, _units(units))
    with console.status(f"daily AQI of {len(hourly):,} hourly rows…"):
        table = daily_aqi(hourly, standard=as_standard(standard), hour_label=hour_label)
    if city:
        town = city_daily(table, city=city, standard=as_standard(standard))
        table = pd.concat(
            [table, town[[c for c in table.columns if c in town.columns]]], ignore_index=True
        )
    return table


@app.command("daily")
@handle_errors
def daily(
    inputs: Inputs,
    out: Out,
    standard: Standard = None,
    hour_label: HourLabel = "start",
    unit: Units = None,
    city: City = None,
) -> None:
    """Daily AQI (日报) of every station-day: statistics, IAQIs, AQI, level, primary, validity."""
    from zhicheng.air.epa_daily import EPA_DAILY_COLUMNS

    table = _daily(inputs, standard, hour_label, unit, city)
    _write(table[EPA_DAILY_COLUMNS if standard == "EPA2024" else DAILY_COLUMNS], out)
    valid = int(table["valid"].sum())
    console.print(f"{len(table):,} station-days written to {out} ({valid:,} valid days)")


@app.command("annual")
@handle_errors
def annual(
    inputs: Inputs,
    out: Out,
    standard: Standard = None,
    hour_label: HourLabel = "start",
    unit: Units = None,
    city: City = None,
) -> None:
    """Annual evaluation (HJ 663) of every station-year: means, percentiles, good days."""
    from zhicheng.air import annual_evaluation
    from zhicheng.air.errors import AirInputError

    if standard == "EPA2024":
        raise AirInputError(
            problems=[
                Problem(
                    "the annual evaluation is HJ 663's; use HJ633-2026 or HJ633-2012",
                    column="--standard",
                )
            ]
        )
    table = annual_evaluation(_daily(inputs, standard, hour_label, unit, city))
    _write(table, out)
    console.print(f"{len(table):,} station-years written to {out}")
