"""``zhicheng carbon``: load the CO2 inventories, show inventories, peaking, decompositions, targets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from zhicheng.cli.common import DbOption, console, handle_errors, store_location

app = typer.Typer(help="碳排放与能源核算 Carbon and energy accounting: inventories, peaking, LMDI drivers, targets.",
                  no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table | csv | xlsx | json")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output file (csv, json: stdout by default; xlsx needs it).")]
LangOption = Annotated[str, typer.Option("--lang", help="zh | en (names in the output)")]
UnitOption = Annotated[str | None, typer.Option("--unit", "-u", help="Unit code (e.g. 110000 北京市, 130000 河北省).")]


def _engine(db: str | None) -> Any:
    from zhicheng.store import init_store

    return init_store(store_location(db))


def _workspace(db: str | None) -> Any:
    from zhicheng.carbon.service import CarbonError, Workspace

    ws = Workspace.read(_engine(db))
    if ws.inventory.empty:
        raise CarbonError("the store has no CO2 inventories yet: run `zhicheng carbon load` (or `zhicheng demo`)")
    return ws


def _emit(frame: Any, fmt: str, out: Path | None, title: str) -> None:
    """The frame as a table on the terminal, or CSV / JSON / XLSX (to ``out`` or stdout)."""
    from zhicheng.carbon import export
    from zhicheng.carbon.service import CarbonError

    if fmt not in ("table", *export.FORMATS):
        raise CarbonError(f"unknown format {fmt!r}: use table, csv, xlsx or json")
    if fmt == "table":
        from rich.table import Table

        from zhicheng.carbon.report import num

        table = Table(title=title)
        for col in frame.columns:
            table.add_column(str(col), justify="right" if frame[col].dtype.kind in "fi" else "left")
        for row in frame.itertuples(index=False):
            table.add_row(*["–" if v is None or v != v else (f"{num(v):,}" if isinstance(v, float) else str(v))
                            for v in row])
        console.print(table)
        return
    if out is None:
        if fmt == "xlsx":
            raise CarbonError("--format xlsx needs --out FILE.xlsx")
        text = export.to_text(frame, fmt)
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return
    export.write(frame, out, fmt, sheet=title)
    console.print(f"wrote {out}", highlight=False)


@app.command("load")
@handle_errors
def cmd_load(
    provinces: Annotated[Path | None, typer.Option("--provinces", help="Folder of CEADs provincial workbooks.")] = None,
    cities: Annotated[Path | None, typer.Option("--cities", help="CEADs city totals (city, year, co2_mt).")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="The project's data folder (default for both).")] = None,
    db: DbOption = None,
) -> None:
    """载入碳排放清单 Load the CEADs provincial inventories and the city totals into the store."""
    from zhicheng.carbon import service

    root = data or service.default_data_dir()
    engine = _engine(db)
    prov = service.load_provinces(engine, provinces or root / service.PROVINCES_DIR, ingested_by="cli")
    _report(prov, "省级清单 provincial inventories")
    city = service.load_cities(engine, cities or root / service.CITIES_FILE, ingested_by="cli")
    _report(city, "城市排放总量 city totals")


def _report(r: Any, label: str) -> None:
    if r.already_loaded:
        console.print(f"{label}: already loaded as batch {r.batch_id} ({r.rows:,} rows): nothing changed", highlight=False)
        return
    extra = f"; {r.units_added} province units added" if r.units_added else ""
    console.print(f"{label}: {r.read:,} read, {r.rows:,} rows stored as batch {r.batch_id}{extra}", highlight=False)
    for p in r.findings[:5]:
        console.print(f"  [yellow]![/] {p}", highlight=False, soft_wrap=True)
    if len(r.findings) > 5:
        console.print(f"  … and {len(r.findings) - 5} more findings", highlight=False)


@app.command("inventory")
@handle_errors
def cmd_inventory(
    unit: UnitOption = None,
    by: Annotated[str, typer.Option("--by", help="group | sector | field | source | fuel_group | total")] = "group",
    scope: Annotated[str, typer.Option("--scope", help="1 (direct) | 1+2 (with purchased heat and power)")] = "1",
    year: Annotated[int | None, typer.Option("--year", "-y", help="Only this year.")] = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """排放清单 Emissions by sector group, sector, activity field, fuel or in total [Mt CO2]."""
    from zhicheng.carbon import analysis, report
    from zhicheng.carbon.service import CarbonError

    if by not in (*analysis.BY, "total"):
        raise CarbonError(f"unknown breakdown {by!r}: use {', '.join(analysis.BY)} or total")
    if scope not in analysis.SCOPES:
        raise CarbonError(f"unknown scope {scope!r}: use 1 or 1+2")
    frame = report.inventory_frame(_workspace(db), unit, by=by, scope=scope, year=year, lang=lang)
    _emit(frame, fmt, out, f"CO2 inventory by {by} (Mt CO2, scope {scope})")


@app.command("peak")
@handle_errors
def cmd_peak(unit: UnitOption = None, fmt: FormatOption = "table", out: OutOption = None, lang: LangOption = "zh",
             db: DbOption = None) -> None:
    """达峰判断 Peaking status of every unit (peaked / plateau / still rising) by the stated rule."""
    from zhicheng.carbon import report

    frame = report.peak_frame(_workspace(db), unit, lang)
    _emit(frame, fmt, out, "peaking status (centred 3-year mean; see `zhicheng carbon peak --help`)")


@app.command("decompose")
@handle_errors
def cmd_decompose(
    year_from: Annotated[int, typer.Option("--from", help="First year.")],
    year_to: Annotated[int, typer.Option("--to", help="Second year.")],
    unit: UnitOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """LMDI 分解 Additive LMDI-I drivers of the change in CO2 between two years (all units without --unit)."""
    from zhicheng.carbon import report

    frame = report.decompose_frame(_workspace(db), unit, year_from, year_to, lang)
    _emit(frame, fmt, out, f"LMDI-I decomposition {year_from}→{year_to} (Mt CO2; GDP at current prices)")


@app.command("targets")
@handle_errors
def cmd_targets(
    unit: Annotated[str, typer.Option("--unit", "-u", help="Unit code.")],
    peak_by: Annotated[int | None, typer.Option("--peak-by", help="User target: peak by this year.")] = None,
    cap: Annotated[float | None, typer.Option("--cap", help="User target: cap [Mt CO2] from --cap-year on.")] = None,
    cap_year: Annotated[int | None, typer.Option("--cap-year", help="Year the cap applies from.")] = None,
    base: Annotated[int, typer.Option("--base", help="Base year of the user targets.")] = 2015,
    fmt: FormatOption = "table",
    out: OutOption = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """目标路径 The unit against the national intensity targets (current prices) and the user's targets."""
    from zhicheng.carbon import report, service

    extra = []
    if peak_by is not None:
        extra.append(service.user_target("peak", base, peak_by))
    if cap is not None:
        if cap_year is None:
            raise service.CarbonError("--cap needs --cap-year")
        extra.append(service.user_target("cap", base, cap_year, cap_mt=cap))
    frame = report.targets_frame(_workspace(db), unit, extra, lang)
    _emit(frame, fmt, out, "targets (intensity at current prices: not the official constant-price metric)")


@app.command("checks")
@handle_errors
def cmd_checks(fmt: FormatOption = "table", out: OutOption = None, db: DbOption = None) -> None:
    """数据核对 The municipalities' city totals against their provincial inventories (1 % tolerance)."""
    from zhicheng.carbon import report

    frame = report.checks_frame(_workspace(db))
    _emit(frame, fmt, out, "city file vs provincial inventory (municipalities)")
