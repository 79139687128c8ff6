"""`zhicheng survey …`: validate and ingest survey responses, report satisfaction indices."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from zhicheng.cli.common import DbOption, console, handle_errors, store_location

app = typer.Typer(help="Citizen surveys: validate, ingest, report (市民体验).", no_args_is_help=True)

MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="Mapping file (YAML) from the export's columns to questions.")
]
QuestionnaireOption = Annotated[
    str | None, typer.Option("--questionnaire", help="Built-in questionnaire name or a YAML file (default: citizen).")
]



def _questionnaire(name: str | None) -> Any:
    from zhicheng.survey.questionnaire import builtin_questionnaire, load_questionnaire

    if name is None:
        return None
    return load_questionnaire(name) if name.endswith((".yaml", ".yml")) else builtin_questionnaire(name)


def _print_unmapped(unmapped: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> None:
    if not unmapped:
        return
    table = Table("column", "why not mapped", title=f"{len(unmapped)} column(s) not mapped to a question")
    for col, why in unmapped:
        table.add_row(col, why)
    console.print(table)


@app.command("validate")
@handle_errors
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="Responses: CSV (also .csv.gz) or XLSX export.")],
    mapping: MappingOption = None,
    questionnaire: QuestionnaireOption = None,
) -> None:
    """Check a response file without storing it; every problem is listed with row and column."""
    from zhicheng.survey.responses import parse_responses

    parsed = parse_responses(file, mapping=mapping, questionnaire=_questionnaire(questionnaire))
    table = Table("wave", "respondents", "answers", "questions asked", title=f"{file}: valid")
    for w in parsed.waves:
        table.add_row(w.period or "-", str(len(w.respondents)), str(len(w.answers)), str(len(w.questions)))
    console.print(table)
    _print_unmapped(parsed.unmapped)


@app.command("ingest")
@handle_errors
def ingest_cmd(
    file: Annotated[Path, typer.Argument(help="Responses: CSV (also .csv.gz) or XLSX export.")],
    unit: Annotated[str, typer.Option(help="Unit code the survey covers (must be in the store).")],
    db: DbOption = None,
    period: Annotated[str | None, typer.Option(help="Period of the wave (when the file has no wave column).")] = None,
    label: Annotated[str | None, typer.Option(help="Wave label (default from the mapping or questionnaire).")] = None,
    mapping: MappingOption = None,
    questionnaire: QuestionnaireOption = None,
    margins: Annotated[Path | None, typer.Option(help="Population margins CSV to store first.")] = None,
    feed: Annotated[bool, typer.Option("--feed/--no-feed", help="Write survey indicator values.")] = True,
) -> None:
    """Validate and store responses (one transaction), then feed the survey indicators."""
    from zhicheng.store import init_store
    from zhicheng.survey.responses import ingest_responses
    from zhicheng.survey.service import feed_indicators, load_margins

    engine = init_store(store_location(db))
    if margins is not None:
        console.print(f"stored {load_margins(engine, margins)} margin rows from {margins}")
    summary = ingest_responses(engine, file, unit=unit, period=period, label=label, mapping=mapping,
                               questionnaire=_questionnaire(questionnaire))
    console.print(f"stored {len(summary.wave_ids)} wave(s) {', '.join(summary.periods)}: "
                  f"{summary.respondents} respondents, {summary.answers} answers")
    _print_unmapped(summary.unmapped)
    if feed:
        for wave_id, p in zip(summary.wave_ids, summary.periods, strict=True):
            result = feed_indicators(engine, wave_id)
            values = ", ".join(f"{i} = {v:.1f}" for i, v in zip(result.values["indicator_id"],
                                                                result.values["value"], strict=True))
            console.print(f"{p}: indicators {values or '(none)'}" + (f"; {'; '.join(result.skipped)}" if result.skipped else ""))


def _s(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and not math.isfinite(x)) else str(x)


def _fmt(x: object, digits: int = 1) -> str:
    return "" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}f}"


def _wave_ids(engine: Any, wave: int | None, unit: str | None, period: str | None) -> list[int]:
    from zhicheng.survey.service import SurveyError, list_waves

    if wave is not None:
        return [wave]
    waves = list_waves(engine, unit)
    if period is not None:
        waves = waves[waves["period"] == period]
    if waves.empty:
        raise SurveyError("no survey wave matches: give --wave, or --unit (and --period) of a stored wave")
    return [int(i) for i in waves["id"]]


@app.command("report")
@handle_errors
def report_cmd(
    db: DbOption = None,
    wave: Annotated[int | None, typer.Option(help="Wave id.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code (all its waves, or --period).")] = None,
    period: Annotated[str | None, typer.Option(help="Period of the unit's wave.")] = None,
    weighted: Annotated[bool, typer.Option("--weighted/--unweighted", help="Weight to the unit's margins.")] = True,
    lang: Annotated[str, typer.Option(help="Language of question texts: zh or en.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Satisfaction indices (0–100) with 95 % CIs per question, requirement and domain."""
    from zhicheng.store import init_store
    from zhicheng.survey.service import wave_report

    engine = init_store(store_location(db))
    for wave_id in _wave_ids(engine, wave, unit, period):
        rep = wave_report(engine, wave_id, weighted=weighted)
        if as_json:
            out = {"wave_id": rep.wave_id, "unit": rep.unit, "period": rep.period, "weighting": rep.weighting,
                   "questions": json.loads(rep.questions.to_json(orient="records")),
                   "requirements": json.loads(rep.requirements.to_json(orient="records")),
                   "domains": json.loads(rep.domains.to_json(orient="records")),
                   "alphas": json.loads(rep.alphas.to_json(orient="records")), "warnings": rep.warnings}
            console.print_json(json.dumps(out, ensure_ascii=False))
            continue
        _print_report(engine, rep, lang)


def _print_report(engine: Any, rep: Any, lang: str) -> None:
    from zhicheng.survey.responses import read_wave_questionnaire

    with engine.connect() as conn:
        qn = read_wave_questionnaire(conn, rep.wave_id)
    texts = {q.id: q.text.get(lang) for q in qn.questions}
    console.print(f"[bold]{rep.label}[/bold] — {rep.unit} {rep.period}: {rep.respondents} respondents")
    console.print(rep.weighting)
    t = Table("question", "n", "index", "95% CI", "% sat.", "deff", "miss", "!")
    t.columns[0].min_width = 32
    for r in rep.questions.to_dict(orient="records"):
        name = f"{texts.get(r['question_id'], r['question_id'])} ({_s(r['target']) or r['question_id']})"
        t.add_row(name, str(r["n"]), _fmt(r["index"]), f"{_fmt(r['index_ci_low'])}–{_fmt(r['index_ci_high'])}",
                  _fmt(r["top_box"]), _fmt(r["deff"], 2), f"{100 * r['nonresponse']:.0f}%",
                  "!" if _s(r["warning"]) else "")
    console.print(t)
    for frame, key in ((rep.requirements, "requirement"), (rep.domains, "domain")):
        t = Table(key, "index", "95% CI")
        for r in frame.to_dict(orient="records"):
            t.add_row(_s(r[key]), _fmt(r["index"]), f"{_fmt(r['ci_low'])}–{_fmt(r['ci_high'])}")
        console.print(t)
    if not rep.alphas.empty:
        t = Table("scale", "items", "Cronbach's alpha", "n")
        for r in rep.alphas.to_dict(orient="records"):
            t.add_row(_s(r["scale"]), str(r["items"]), _fmt(r["alpha"], 3), str(r["n"]))
        console.print(t)
    for w in rep.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
