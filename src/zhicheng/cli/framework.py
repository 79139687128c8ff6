"""`zhicheng framework` commands: show, validate and export a goal framework."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.tree import Tree

from zhicheng.cli.common import console, handle_errors
from zhicheng.errors import ZhichengError

if TYPE_CHECKING:
    from zhicheng.goals import Framework


def load_framework(file: Path | None = None) -> Framework:
    """The framework in ``file`` (default: the built-in one), validated (pydantic loads only here)."""
    from zhicheng.goals import load_framework as load

    return load(file)

app = typer.Typer(help="The goal framework: show, validate, export.", no_args_is_help=True)


class Lang(StrEnum):
    """Display language."""

    zh = "zh"
    en = "en"


class ExportFormat(StrEnum):
    """Export formats."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"


FileOption = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="A framework file or folder (default: the built-in one)."),
]

_LABELS = {
    "zh": {"domains": "目标域", "requirements": "要求", "indicators": "指标", "weight": "权重",
           "grades": "成熟度等级"},
    "en": {"domains": "domains", "requirements": "requirements", "indicators": "indicators",
           "weight": "weight", "grades": "maturity grades"},
}


def _counts(fw: Framework) -> tuple[int, int, int]:
    return len(fw.domains), len(fw.requirements()), len(fw.indicators())


def framework_tree(fw: Framework, lang: str = "zh") -> Tree:
    """The framework as a Rich tree with counts at every level, names in ``lang``."""
    t = _LABELS[lang]
    nd, nr, ni = _counts(fw)
    root = Tree(
        f"[bold]{escape(fw.name.get(lang))}[/bold] ({escape(fw.id)} {escape(fw.version)}) — "
        f"{nd} {t['domains']} · {nr} {t['requirements']} · {ni} {t['indicators']}"
    )
    for d in fw.domains:
        n_ind = sum(len(r.indicators) for r in d.requirements)
        dom = root.add(
            f"[bold cyan]{d.id}[/] {escape(d.name.get(lang))} "
            f"[dim]({t['weight']} {d.weight:g}; {len(d.requirements)} {t['requirements']}, "
            f"{n_ind} {t['indicators']})[/]"
        )
        for r in d.requirements:
            req = dom.add(
                f"[green]{r.id}[/] {escape(r.name.get(lang))} "
                f"[dim]({t['weight']} {r.weight:g}; {len(r.indicators)} {t['indicators']})[/]"
            )
            for i in r.indicators:
                arrow = "↑" if i.direction == 1 else "↓"
                detail = escape(f"[{i.unit}, {arrow}, {i.kind}]")
                req.add(f"{i.id} {escape(i.name.get(lang))} [dim]{detail}[/]", highlight=False)
    grades = root.add(f"[bold]{t['grades']}[/]")
    for g in fw.grades:
        grades.add(f"{g.level} {escape(g.name.get(lang))} ≥ {g.min:g}")
    return root


@app.command()
@handle_errors
def show(
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the names.")] = Lang.zh,
    file: FileOption = None,
) -> None:
    """Show the framework as a tree with counts (domains, requirements, indicators)."""
    fw = load_framework(file)
    console.print(framework_tree(fw, lang.value))


@app.command()
@handle_errors
def validate(
    file: Annotated[Path, typer.Argument(help="The framework file or folder to check.")],
) -> None:
    """Check a framework file: exit 0 with a summary, or exit 2 listing every located problem."""
    fw = load_framework(file)
    nd, nr, ni = _counts(fw)
    console.print(
        f"[green]✓[/] {file}: valid framework {fw.id} {fw.version} — "
        f"{nd} domains, {nr} requirements, {ni} indicators, {len(fw.grades)} grades",
        highlight=False,
    )


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_xlsx(fw: Framework, out: Path) -> None:
    """Write the framework as an Excel workbook with sheets domains, requirements, indicators."""
    from openpyxl import Workbook

    from zhicheng.goals.export import domain_rows, indicator_rows, requirement_rows

    wb = Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)
    for title, rows in (("domains", domain_rows(fw)), ("requirements", requirement_rows(fw)),
                        ("indicators", indicator_rows(fw))):
        ws = wb.create_sheet(title)
        ws.append(list(rows[0]))
        for row in rows:
            ws.append(list(row.values()))
        ws.freeze_panes = "A2"
    wb.save(out)


@app.command()
@handle_errors
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = (
        ExportFormat.json
    ),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (json/csv: stdout if omitted).")
    ] = None,
    file: FileOption = None,
) -> None:
    """Export the framework as JSON (the contract), CSV (one row per indicator) or Excel.

    JSON and CSV go to stdout when no --out is given; Excel has sheets domains, requirements
    and indicators.
    """
    from zhicheng.goals import framework_to_dict
    from zhicheng.goals.export import indicator_rows

    fw = load_framework(file)
    if fmt is ExportFormat.xlsx:
        if out is None:
            raise ZhichengError("--format xlsx needs --out FILE.xlsx")
        write_xlsx(fw, out)
    else:
        if fmt is ExportFormat.json:
            text = json.dumps(framework_to_dict(fw), ensure_ascii=False, indent=2) + "\n"
        else:
            text = _csv_text(indicator_rows(fw))
        if out is None:
            typer.echo(text, nl=False)
            return
        # CSV gets a byte-order mark so that Excel opens the Chinese text correctly.
        out.write_text(text, encoding="utf-8-sig" if fmt is ExportFormat.csv else "utf-8")
    nd, nr, ni = _counts(fw)
    console.print(f"wrote {out} ({nd} domains, {nr} requirements, {ni} indicators)",
                  highlight=False)
