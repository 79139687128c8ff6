"""Top-level workspace commands: init, ingest, evaluate, uncertainty, results, gaps, demo."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhicheng.cli.common import DbOption, console, handle_errors, store_location
from zhicheng.errors import Problem

if TYPE_CHECKING:  # pandas and the services are imported by the commands that use them
    import pandas as pd

LEVELS = ("index", "domain", "requirement", "indicator")
#: Warnings of one kind shown before the rest are counted.
SHOWN_PER_KIND = 3


def _wide() -> Console:
    """The console for wide tables: the terminal's width, or 140 columns when output is piped."""
    return console if console.is_terminal else Console(width=max(console.width, 140))


def _engine(db: str | None) -> Any:
    import sqlalchemy as sa

    from zhicheng.store import StoreError, init_store, store_url

    target = store_location(db)
    try:
        return init_store(target)
    except (sa.exc.OperationalError, sa.exc.ArgumentError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StoreError(f"cannot open the store {store_url(target)}: {str(reason).strip()}") from None


def _fmt(value: Any, digits: int = 1) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _kind(problem: Problem) -> str:
    """A warning's kind: its reason without the specifics (for grouping)."""
    reason = problem.reason
    for key in ("skipped: unknown unit", "excluded, suspicious", "not derived"):
        if key in reason:
            return key
    if "outside the plausible range" in reason:
        return "excluded, outside the plausible range"
    return re.sub(r"[\d.]+", "#", reason)[:40]


def print_warnings(warnings: tuple[Problem, ...] | list[Problem], indent: str = "  ") -> None:
    """Data-quality warnings, a few of each kind and a count of the rest."""
    kinds: dict[str, list[Problem]] = {}
    for w in warnings:
        kinds.setdefault(_kind(w), []).append(w)
    for kind, items in kinds.items():
        for w in items[:SHOWN_PER_KIND]:
            console.print(f"{indent}[yellow]![/] {w}", markup=True, highlight=False, soft_wrap=True)
        if len(items) > SHOWN_PER_KIND:
            console.print(f"{indent}  … and {len(items) - SHOWN_PER_KIND} more ({kind})", highlight=False)


def print_report(report: Any, indent: str = "  ") -> None:
    """One ingest report: what was written, converted, skipped or excluded."""
    if report.already_ingested_as is not None:
        console.print(f"{indent}already ingested as batch {report.already_ingested_as}: nothing changed")
        return
    verb = "would write" if report.dry_run else "wrote"
    if report.units_new or report.units_updated:
        console.print(f"{indent}{verb} {report.units_new} new and {report.units_updated} changed units")
    else:
        console.print(
            f"{indent}{report.rows_read:,} rows read; {verb} {report.values_new:,} new and "
            f"{report.values_updated:,} changed values; {report.values_unchanged:,} unchanged; "
            f"{report.values_excluded:,} excluded by the checks"
            + (f" (batch {report.batch_id})" if report.batch_id else "")
        )
    for line in report.conversions:
        console.print(f"{indent}converted {line}", highlight=False)
    print_warnings(report.warnings, indent)


def cmd_init(db: DbOption = None) -> None:
    """Create the store (or bring it to the latest schema)."""
    from zhicheng.store import store_url

    target = store_location(db)
    _engine(target)
    console.print(f"store ready: {store_url(target)}", highlight=False)


def cmd_ingest(
    file: Annotated[Path, typer.Argument(help="CSV (.csv/.csv.gz), XLSX or JSON file.")],
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="Mapping YAML.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    db: DbOption = None,
) -> None:
    """Validate a file and store its values (or units) in one transaction."""
    from zhicheng.evaluate import ingest_file

    engine = _engine(db)
    report = ingest_file(engine, file, mapping=mapping, dry_run=dry_run,
                         progress=lambda m: console.print(m, highlight=False))
    console.print(f"{file}:", highlight=False)
    print_report(report)


def cmd_evaluate(
    period: Annotated[str | None, typer.Option("--period", "-p", help="Period, e.g. 2020 (default: latest suitable).")] = None,
    units: Annotated[str | None, typer.Option("--units", help="Comma-separated unit codes (default: all with enough data).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Method configuration YAML.")] = None,
    trend_from: Annotated[str | None, typer.Option("--trend-from", help="Base period for change and CAGR.")] = None,
    uncertainty: Annotated[int, typer.Option("--uncertainty", min=0,
                                             help="Replications of an uncertainty analysis of the ranks (0 = none).")] = 0,
    db: DbOption = None,
) -> None:
    """Evaluate units for a period and store the run (scores, ranks, grades, gaps, trends).

    Without --config the workspace's stored method is used (the one the demo stored), else the default.
    """
    from zhicheng.evaluate.config import load_config
    from zhicheng.evaluate.service import evaluate, suggest_period
    from zhicheng.evaluate.workspace_method import workspace_method

    engine = _engine(db)
    stored = None if config is not None else workspace_method(engine)
    method = stored.config if stored is not None else load_config(config)
    console.print(f"method: {stored.describe() if stored is not None else (config or 'the default (no --config)')}",
                  highlight=False)
    chosen = period or suggest_period(engine, lookback=method.lookback)
    unit_list = [u.strip() for u in units.split(",") if u.strip()] if units else None
    base = trend_from or (stored.base_period(chosen) if stored is not None else None)
    run = evaluate(engine, chosen, units=unit_list, config=method, base_period=base,
                   reuse=stored is not None and trend_from is None)
    print_run_summary(run)
    _print_board(run.run_id, engine, top=10, bottom=0)
    if uncertainty:
        _uncertainty(engine, run.run_id, n=uncertainty, noise=0.25, seed=1)


def _uncertainty(engine: Any, run_id: int | None, *, n: int, noise: float, seed: int, top: int = 10) -> None:
    """Run the uncertainty analysis with a progress bar and show the widest rank intervals."""
    from zhicheng.evaluate.uncertainty import run_uncertainty, widest

    with Progress(TextColumn("rank intervals"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("replications", total=n)
        frame = run_uncertainty(engine, run_id, n=n, noise=noise, seed=seed,
                                progress=lambda done: bar.update(task, completed=done))
    spec = json.loads(str(frame["spec"].iloc[0])) if len(frame) else {}
    varied = ", ".join(i["name"] for i in spec.get("inputs", []))
    console.print(f"rank intervals of {len(frame)} units from {n} replications (varied: {varied}; weights "
                  f"±{noise:.0%}), stored", highlight=False)
    shown = widest(frame, top)
    names = _unit_names(engine, list(shown["unit_code"]))
    table = Table(title=f"widest rank intervals (Q5–Q95), top {top}", title_justify="left")
    for col in ("unit", "name", "rank", "median", "Q5", "Q95", "width"):
        table.add_column(col, justify="left" if col in {"unit", "name"} else "right")
    for _, r in shown.iterrows():
        table.add_row(str(r["unit_code"]), names.get(str(r["unit_code"]), "–"), _fmt(r["rank_nominal"], 0),
                      _fmt(r["rank_median"]), _fmt(r["rank_q5"], 0), _fmt(r["rank_q95"], 0), _fmt(r["width"], 0))
    _wide().print(table)


def _unit_names(engine: Any, codes: list[str]) -> dict[str, str]:
    """Chinese names of some units (by code)."""
    import sqlalchemy as sa

    from zhicheng.store.schema import units

    with engine.connect() as conn:
        rows = conn.execute(sa.select(units.c.code, units.c.name_zh).where(units.c.code.in_(codes)))
        return {str(c): str(n) for c, n in rows if n}


def cmd_uncertainty(
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: the latest).")] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=2, help="Replications.")] = 1000,
    noise: Annotated[float, typer.Option("--noise", help="Weight noise, a fraction of each weight (0 ≤ f < 1).")] = 0.25,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same intervals).")] = 1,
    db: DbOption = None,
) -> None:
    """Rank intervals (Q5–Q95) of a run's units under noisy weights, stored for the cockpit."""
    _uncertainty(_engine(db), run, n=n, noise=noise, seed=seed)


def print_run_summary(run: Any) -> None:
    """How many units the run ranks, which are not ranked or not in it, and which indicators it left out."""
    from collections import Counter

    from zhicheng.evaluate.rules import status_label

    ranked = run.ranked
    console.print(f"run {run.run_id}: {len(run.units)} units evaluated for {run.period}, {len(ranked)} ranked"
                  + (f"; {len(run.left_out)} not ranked for too little data" if run.left_out else ""),
                  highlight=False)
    for group, info in (run.groups or {}).items():
        left = info.get("left_out_indicators") or {}
        console.print(f"  {group}: {info['ranked']} of {info['members']} units ranked on {len(info['common'])} "
                      "common indicators" + ("; left out (too few units have them): " + ", ".join(
                          f"{c} {_share(v)}" for c, v in sorted(left.items())) if left else ""), highlight=False)
    if run.not_in_run:
        kinds = Counter(str(v).split(":")[0] for v in run.not_in_run.values())
        console.print("  not in the run: " + ", ".join(f"{n} {status_label(k)}" for k, n in sorted(kinds.items())),
                      highlight=False)


def _share(value: float) -> str:
    """A share as a whole percentage; a small non-zero one as ``<1%``."""
    return "<1%" if 0 < value < 0.005 else f"{value:.0%}"


def _missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA (without importing pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType"


def _pct(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.0%}"


def _grade_cell(row: Any) -> str:
    """The grade, or 证据不足 with the provisional grade (labelled) where the evidence is insufficient."""
    from zhicheng.evaluate.rules import NO_EVIDENCE, status_label

    if row.get("grade_status") == NO_EVIDENCE:
        prov = row.get("provisional_grade")
        return status_label(NO_EVIDENCE) + ("" if _missing(prov) else f" (暂定 {int(prov)})")
    return _fmt(row.get("grade"), 0)


def _board_table(board: pd.DataFrame, title: str) -> Table:
    domains = [c for c in board.columns if re.fullmatch(r"D\d+", str(c))]
    table = Table(title=title, title_justify="left")
    for col in ("rank", "unit", "province", "index", "coverage", "attainment", "grade", *domains):
        table.add_column(col, justify="left" if col in {"unit", "province", "grade"} else "right")
    for _, row in board.iterrows():
        table.add_row(_fmt(row["rank"], 0), str(row["unit_name_zh"]), _fmt(row["group_name"]), _fmt(row["score"]),
                      _pct(row["coverage"]), _fmt(row.get("attainment")), _grade_cell(row),
                      *[f"{_fmt(row[d], 0)} ({_pct(row.get(f'{d} coverage'))})" if not _missing(row[d]) else "–"
                        for d in domains])
    return table


def _print_board(run_id: int, engine: Any, *, top: int, bottom: int) -> None:
    from zhicheng.evaluate.results import scoreboard
    from zhicheng.evaluate.rules import status_label

    board = scoreboard(engine, run_id)
    ranked = board[board["rank"].notna()]
    _wide().print(_board_table(ranked.head(top), f"top {top}"))
    if bottom:
        _wide().print(_board_table(ranked.tail(bottom), f"bottom {bottom}"))
    rest = board[board["rank"].isna()]
    if len(rest):
        listed = ", ".join(f"{r['unit_name_zh']} ({status_label(r['rank_status'])}, coverage {_pct(r['coverage'])})"
                           for _, r in rest.head(8).iterrows())
        console.print(f"not ranked ({len(rest)}): {listed}" + (" …" if len(rest) > 8 else ""), highlight=False)


def cmd_results(
    level: Annotated[str, typer.Option("--level", "-l", help="index | domain | requirement | indicator | all")] = "index",
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="Only this unit: a code or a name (深圳, Shenzhen).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | xlsx | json")] = "table",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (csv, json: stdout by default).")] = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: the latest).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="XLSX headers and labels: zh | en")] = "zh",
    db: DbOption = None,
) -> None:
    """Show or export the results of an evaluation run: exactly the level asked (or all)."""
    from zhicheng.evaluate.errors import EvaluationError
    from zhicheng.evaluate.export import export, results_table

    if fmt not in {"table", "csv", "xlsx", "json"}:
        raise EvaluationError(f"unknown format {fmt!r}: use table, csv, xlsx or json")
    if level not in (*LEVELS, "all"):
        raise EvaluationError(f"unknown level {level!r}: use one of {', '.join(LEVELS)} or all")
    if lang not in ("zh", "en"):
        raise EvaluationError(f"unknown language {lang!r}: use zh or en")
    if fmt == "xlsx" and out is None:
        raise EvaluationError("--format xlsx needs --out FILE.xlsx")
    engine = _engine(db)
    code = _unit_code(engine, unit, run) if unit is not None else None
    frame, levels = results_table(engine, run, level, code)
    if fmt == "table":
        _results_table(frame)
        return
    written = export(frame, out, fmt, levels=levels, lang=lang)
    if out is None:
        text = str(written)
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return
    console.print(f"wrote {out}", highlight=False)


def _results_table(frame: pd.DataFrame) -> None:

    from zhicheng.evaluate.rules import status_label

    table = Table(title=f"run {frame['run_id'].iloc[0]} · {frame['period'].iloc[0]}" if len(frame) else "no results")
    for col in ("level", "code", "name", "unit", "raw", "score", "coverage", "attainment", "rank", "grade", "status",
                "gap"):
        table.add_column(col, justify="left" if col in {"level", "code", "name", "unit", "grade", "status"} else "right")
    for _, r in frame.iterrows():
        table.add_row(r["level"], r["code"], str(r["code_name_zh"]), str(r["unit_name_zh"]), _fmt(r["raw_value"], 2),
                      _fmt(r["score"]), _pct(r["coverage"]), _fmt(r["attainment"]), _fmt(r["rank"], 0),
                      _grade_cell(r), status_label(r["rank_status"]), _fmt(r["gap"], 2))
    _wide().print(table)


def cmd_gaps(
    unit: Annotated[str, typer.Option("--unit", "-u", help="Unit code or name (深圳, 深圳市, Shenzhen, 440300).")],
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: the latest).")] = None,
    db: DbOption = None,
) -> None:
    """A unit's gaps to targets, and which indicators would lift its grade (or provisional grade) most."""
    from zhicheng.evaluate.lookup import rank_reason
    from zhicheng.evaluate.results import get_run, read_results, unit_gaps
    from zhicheng.evaluate.rules import NO_EVIDENCE

    engine = _engine(db)
    code = _unit_code(engine, unit, run)
    gaps = unit_gaps(engine, code, run)
    head = read_results(engine, run, level="index", unit=code).iloc[0]
    run_id = get_run(engine, run).run_id
    provisional = head["grade_status"] == NO_EVIDENCE
    console.print(f"{head['unit_name_zh']} ({code}) {head['period']}: index {_fmt(head['score'])} (coverage "
                  f"{_pct(head['coverage'])}), attainment {_fmt(head['attainment'])}, grade {_grade_cell(head)}, "
                  f"rank {_fmt(head['rank'], 0)}", highlight=False)
    why = rank_reason(engine, run_id, code)
    if why:
        console.print(f"  not ranked — {why}", highlight=False)
    if provisional:
        console.print(f"  证据不足 insufficient evidence: the data cover {_pct(head['coverage'])} of the framework, so "
                      "the grade after each gap is closed is provisional (暂定)", highlight=False)
    table = Table()
    after = "provisional grade after" if provisional else "grade after"
    basis = "attainment after" if not _missing(head["attainment"]) else "index after"
    for col in ("indicator", "name", "value", "target", "gap", "score", "attainment", "lift", basis, after):
        table.add_column(col, justify="left" if col in {"indicator", "name"} else "right")
    for _, r in gaps.iterrows():
        table.add_row(r["code"], str(r["code_name_zh"]), _fmt(r["raw_value"], 2), _fmt(r["target"], 2),
                      _fmt(r["gap"], 2), _fmt(r["score"]), _fmt(r["attainment"]), _fmt(r["lift"], 2),
                      _fmt(r["index_after"]), _fmt(r["grade_after"], 0))
    _wide().print(table)


def _unit_code(engine: Any, text: str, run: int | None) -> str:
    """The code of the unit ``text`` names (code or name); a unit not in the run is an error saying why."""
    import sqlalchemy as sa

    from zhicheng.evaluate.errors import EvaluationError
    from zhicheng.evaluate.lookup import absence_reason, resolve_unit
    from zhicheng.evaluate.results import get_run
    from zhicheng.store.schema import evaluation_results

    info = get_run(engine, run)
    r = evaluation_results
    with engine.connect() as conn:
        in_run = set(conn.execute(sa.select(r.c.unit_code).where(r.c.run_id == info.run_id, r.c.level == "index"))
                     .scalars())
    ref = resolve_unit(engine, text, prefer=in_run)
    if ref.code not in in_run:
        raise EvaluationError(f"{ref.name_zh} ({ref.code}) is not in evaluation run {info.run_id}: "
                              f"{absence_reason(engine, info.run_id, ref)}")
    return ref.code


def cmd_demo(
    db: DbOption = None,
    data: Annotated[Path | None, typer.Option("--data", help="The project's data folder.")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Year to evaluate (default: latest suitable).")] = None,
) -> None:
    """Build the demo workspace from the real data in data/ (cities, air, sensors, 311, survey) and rank it."""
    from zhicheng.store import store_url
    from zhicheng.workspace.alerts import alert_events
    from zhicheng.workspace.demo import STAGES, STEPS, build_demo

    target = store_location(db)
    engine = _engine(target)
    console.print(f"demo workspace: {store_url(target)}", highlight=False)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("starting", total=STAGES)
        seen: list[str] = []

        def step(label: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(label)
            bar.update(task, description=label)

        # Alerts the sensor replay opens become city events, as they do behind the server.
        with alert_events(engine):
            result = build_demo(engine, data, period=period, on_step=step)
        bar.advance(task)
    for s, report in result.reports[:len(STEPS)]:
        console.print(f"[bold]{s.label}[/] ({s.file} with {s.mapping})", highlight=False)
        print_report(report)
    _print_sources(result)
    if result.findings:
        console.print(f"\n[bold]data-quality findings[/] ({len(result.findings)})", highlight=False)
        for finding in result.findings:
            console.print(f"  [yellow]![/] {finding}", highlight=False, soft_wrap=True)
    run = result.run
    console.print(f"\n[bold]evaluation run {run.run_id}[/]: {len(run.units)} cities evaluated for {run.period} "
                  f"(trends from {run.base_period}); {len(run.ranked)} ranked", highlight=False)
    console.print(f"method: {result.config.label()} (stored as the workspace's method)", highlight=False)
    print_run_summary(run)
    if result.lookback_note:
        console.print(result.lookback_note, highlight=False)
    _print_board(run.run_id, engine, top=10, bottom=10)
    _print_beijing(run)
    _print_carbon(engine)
    res = run.results
    scored = set(res.loc[(res["level"] == "domain") & (res["rank_status"] == "ranked") & res["score"].notna(), "code"])
    from zhicheng.goals import builtin_framework

    empty = [f"{d.id} {d.name.zh}" for d in builtin_framework().domains if d.id not in scored]
    if empty:
        console.print(f"domains without data for the ranked cities (not scored): {', '.join(empty)}", highlight=False)
    console.print("coverage = scored indicators ÷ the framework's performance indicators; 证据不足 = too little "
                  "evidence for a grade (the provisional grade is shown beside it). Next: "
                  "`zhicheng results --level domain`, `zhicheng gaps --unit 深圳`, `zhicheng serve` "
                  "(the cockpit).", highlight=False)


def _print_carbon(engine: Any) -> None:
    """Beijing's and Hebei's peaking verdicts and their LMDI drivers 2014→2019 (the carbon page shows them)."""
    from zhicheng.carbon import report, service

    ws = service.Workspace.read(engine)
    if ws.inventory.empty:
        return
    peaks = service.peak_table(ws).set_index("unit_code")
    for code in ("110000", "130000"):
        if code not in peaks.index:
            continue
        p = {str(k): v for k, v in peaks.loc[code].to_dict().items()}
        d = service.decompose(ws, code, 2014, 2019)
        effects = ", ".join(f"{report.lmdi.EFFECT_NAMES[k][0]} {v:+.1f}" for k, v in d.effects.items())
        console.print(f"{ws.names[code]['zh']} ({code}) CO2: {report.peaking.VERDICTS[str(p['status'])][0]} "
                      f"(peak {int(p['peak_year'])}, {p['peak_value']:.1f} Mt); 2014→2019 {d.change:+.1f} Mt = "
                      f"{effects} Mt (LMDI-I)", highlight=False)
    console.print("  carbon page: http://127.0.0.1:8000/carbon/110000 · `zhicheng carbon peak`", highlight=False)


def _print_sources(result: Any) -> None:
    """One line per source: rows read, units, time span, what was written now."""
    table = Table(title="sources")
    for col in ("source", "rows", "units", "time", "written now", "note"):
        table.add_column(col, justify="right" if col in {"rows", "units", "written now"} else "left")
    for s in result.sources:
        table.add_row(s.label, f"{s.rows:,}", "–" if s.units is None else f"{s.units:,}", s.time or "–",
                      f"{s.written:,}", s.note)
    _wide().print(table)


def _print_beijing(run: Any) -> None:
    """Beijing's ecology domain and the real air values it was scored on."""
    from zhicheng.workspace.demo import BEIJING_CITY, GOOD_DAYS, PM25_ANNUAL

    mine = run.results[run.results["unit_code"] == BEIJING_CITY].set_index("code")
    if "D3" not in mine.index:
        console.print(f"Beijing ({BEIJING_CITY}) has no ecology (D3) score in this run", highlight=False)
        return
    parts = [f"北京市 ({BEIJING_CITY}) ecology D3 {_fmt(mine.at['D3', 'score'])}"]
    for code, label in ((GOOD_DAYS, "good-air days"), (PM25_ANNUAL, "PM2.5 annual mean")):
        if code in mine.index:
            parts.append(f"{label} {_fmt(mine.at[code, 'raw_value'])} ({mine.at[code, 'value_period']}, "
                         f"score {_fmt(mine.at[code, 'score'])})")
    console.print("; ".join(parts), highlight=False)
    from zhicheng.evaluate.rules import NOT_COMMON

    left = {c: v for g in (run.groups or {}).values() for c, v in (g.get("left_out_indicators") or {}).items()}
    for code in (GOOD_DAYS, PM25_ANNUAL):
        if code in mine.index and mine.at[code, "rank_status"] == NOT_COMMON:
            share = left.get(code, 0.0)
            console.print(f"  {code} is shown but not ranked: {_share(share)} of the ranked cities "
                          "have it "
                          "(the ranking compares cities on the indicators at least two thirds of them have)",
                          highlight=False)


def register(app: typer.Typer) -> None:
    """Add the workspace commands to the main app."""
    app.command("init")(handle_errors(cmd_init))
    app.command("ingest")(handle_errors(cmd_ingest))
    app.command("evaluate")(handle_errors(cmd_evaluate))
    app.command("uncertainty")(handle_errors(cmd_uncertainty))
    app.command("results")(handle_errors(cmd_results))
    app.command("gaps")(handle_errors(cmd_gaps))
    app.command("demo")(handle_errors(cmd_demo))
