"""``zhicheng report``: evaluation reports (评估报告) as PDF, Word or HTML, one unit or every unit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zhicheng.cli.common import DbOption, console, handle_errors, store_location


def cmd_report(
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="City report of this unit: a code or a name (深圳, Shenzhen).")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Domain report across units (D1 … D7).")] = None,
    campaign: Annotated[int | None, typer.Option("--campaign", help="Campaign report (campaign number).")] = None,
    all_units: Annotated[bool, typer.Option("--all-units", help="City report of every city the run scored, in parallel.")] = False,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Evaluation period (the newest run of it).")] = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: the newest, of --period when given).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = "zh",
    fmt: Annotated[str, typer.Option("--format", "-f", help="pdf | docx | html")] = "pdf",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (one report) or folder (--all-units).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes for --all-units (default: CPUs).")] = None,
    level: Annotated[str, typer.Option("--level", help="With --all-units: the unit level to render (city); all for every level.")] = "city",
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of edited templates (*.html.j2, report.css).")] = None,
    db: DbOption = None,
) -> None:
    """Write an evaluation report: a city (--unit), a domain (--domain), a campaign (--campaign) or every city."""
    from zhicheng.report.document import ReportError, check

    chosen = [x for x in (unit, domain, campaign, all_units or None) if x is not None]
    if len(chosen) != 1:
        raise ReportError("name one report: --unit U, --domain D, --campaign C or --all-units")
    kind = "domain" if domain else "campaign" if campaign is not None else "city"
    check(kind, fmt, lang)
    from zhicheng.cli.workspace import _engine, _unit_code
    from zhicheng.evaluate.results import get_run

    engine = _engine(db)
    run_id = None if kind == "campaign" else get_run(engine, run, period=period).run_id
    if all_units:
        _all_units(engine, db, run_id, lang, fmt, out, jobs, level, templates)
        return
    from zhicheng.workspace.reports import report_name, write_report

    if kind == "city":
        assert unit is not None
        key = _unit_code(engine, unit, run_id)
        info = get_run(engine, run_id)
        target = out or Path(report_name(key, info.period, lang, fmt))
    elif kind == "domain":
        assert domain is not None
        key = domain
        target = out or Path(f"report-{domain}-{get_run(engine, run_id).period}-{lang}.{fmt}")
    else:
        key = str(campaign)
        target = out or Path(f"report-campaign-{campaign}-{lang}.{fmt}")
    path, doc = write_report(engine, kind, key, target, fmt=fmt, lang=lang, run_id=run_id, templates=templates)
    console.print(f"wrote {path} ({doc.title}; fingerprint {doc.fingerprint()[:12]}, provenance {path}.provenance.json)",
                  highlight=False)


def _all_units(engine: Any, db: str | None, run_id: int | None, lang: str, fmt: str, out: Path | None,
               jobs: int | None, level: str, templates: Path | None) -> None:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zhicheng.store import store_url
    from zhicheng.workspace.reports import render_all_units, unit_codes

    assert run_id is not None
    codes = unit_codes(engine, run_id, None if level == "all" else level)
    folder = out or Path(f"reports-run{run_id}-{lang}")
    start = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task(f"reports → {folder}", total=len(codes))
        render_all_units(store_url(store_location(db)), codes, folder, run_id=run_id, fmt=fmt, lang=lang, jobs=jobs,
                         templates=templates, done=lambda *_: bar.advance(task))
    console.print(f"wrote {len(codes)} reports to {folder} in {time.perf_counter() - start:.1f} s", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``zhicheng`` command."""
    app.command("report")(handle_errors(cmd_report))
