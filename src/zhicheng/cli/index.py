"""`zhicheng index` commands: run a composite-index pipeline (and its sensitivity analysis) from files.

Inputs are in COINr's iData / iMeta layout; the pipeline is a YAML list of steps with COINr's
method names (without prefixes) and parameter names, e.g.::

    steps:
      - treat: {winmax: 5}
      - normalise: {method: minmax, l_u: [0, 100]}
      - aggregate: {method: amean}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhicheng.cli.common import console, handle_errors
from zhicheng.errors import Problem, ZhichengError

if TYPE_CHECKING:  # the engine (pandas, scipy) is imported by the commands that run it
    import pandas as pd

    from zhicheng.index import Pipeline

app = typer.Typer(help="Composite-index engine (COINr-compatible pipelines).", no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", help="iData CSV (COINr layout: uCode, groups, denominators, indicators).")]
MetaOpt = Annotated[Path, typer.Option("--meta", help="iMeta CSV (iCode, Level, Parent, Direction, Weight, Type, ...).")]
ConfigOpt = Annotated[Path, typer.Option("--config", help="Pipeline YAML: 'steps: [{stage: {params}}, ...]'.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output directory (created if needed).")]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        f = float(v)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "Inf" if f > 0 else "-Inf"
        return f"{f:.15g}"
    import pandas as pd

    if pd.isna(v):
        return ""
    s = str(v).replace('"', '""')
    return f'"{s}"'


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table as R's ``write.csv(df, row.names = FALSE, na = "")`` does (15 significant digits)."""
    lines = [",".join(_cell(str(c)) for c in df.columns)]
    for row in df.itertuples(index=False, name=None):
        lines.append(",".join(_cell(v.item() if hasattr(v, "item") else v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV input, turning parse failures into a located error."""
    import pandas as pd

    from zhicheng.index.errors import IndexInputError

    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise IndexInputError(problems=[Problem(f"cannot read CSV: {exc}", file=str(path))]) from None


def read_yaml(path: Path, key: str) -> dict[str, Any]:
    """Read a YAML mapping that must contain ``key``."""
    import yaml

    from zhicheng.index.errors import IndexInputError

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise IndexInputError(problems=[Problem(f"invalid YAML: {exc}", file=str(path))]) from None
    if not isinstance(doc, dict) or key not in doc:
        raise IndexInputError(problems=[Problem(f"expected a mapping with a {key!r} entry", file=str(path))])
    return doc


def load_pipeline(data: Path, meta: Path, config: Path) -> Pipeline:
    """Coin and pipeline from the three input files (errors name the file)."""
    from zhicheng.index import Coin, Pipeline
    from zhicheng.index.errors import IndexInputError

    idata, imeta = read_table(data), read_table(meta)
    coin = Coin.from_coinr(idata, imeta, data_file=str(data), meta_file=str(meta))
    doc = read_yaml(config, "steps")
    if not isinstance(doc["steps"], list) or not doc["steps"]:
        raise IndexInputError(problems=[Problem("'steps' must be a non-empty list", file=str(config))])
    pipeline: Pipeline = _with_file(lambda: Pipeline(coin, doc["steps"]), config)
    return pipeline


def _with_file(func: Callable[[], Any], file: Path) -> Any:
    from zhicheng.index.errors import IndexInputError

    try:
        return func()
    except IndexInputError as exc:
        probs = [Problem(p.reason, file=p.file or str(file), row=p.row, column=p.column) for p in exc.problems]
        raise IndexInputError(problems=probs or [Problem(str(exc), file=str(file))]) from None


@app.command("run")
@handle_errors
def run(data: DataOpt, meta: MetaOpt, config: ConfigOpt, out: OutOpt) -> None:
    """Run a pipeline and write its data sets in COINr's file layout.

    Writes normalised.csv, aggregated.csv and ranks.csv (plus treated.csv and
    treated_details.csv when treatment ran, and one file per other stage run).
    """
    from zhicheng.index.pipeline import DATASET, dataset_frame

    pipe = load_pipeline(data, meta, config)
    res = _with_file(pipe.run, config)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stage in ("denominate", "impute", "screen", "treat", "normalise", "aggregate"):
        name = DATASET[stage]
        if name in res.datasets:
            path = out / f"{name.lower()}.csv"
            write_csv(dataset_frame(res.datasets[name]), path)
            written.append(path.name)
    if "Treated" in res.details:
        write_csv(res.details["Treated"], out / "treated_details.csv")
        written.append("treated_details.csv")
    if "Aggregated" in res.datasets:
        write_csv(res.rank_table(), out / "ranks.csv")
        written.append("ranks.csv")
    console.print(f"[green]wrote[/green] {', '.join(written)} to {out}")


@app.command("sensitivity")
@handle_errors
def sensitivity(data: DataOpt, meta: MetaOpt, config: ConfigOpt, out: OutOpt,
                spec: Annotated[Path, typer.Option("--spec", help="Uncertainty/sensitivity YAML spec.")]) -> None:
    """Uncertainty (UA) or sensitivity (SA) analysis of the pipeline's ranks, from a YAML spec.

    Writes rank_stats.csv, scores.csv, ranks.csv, parameters.csv and, for SA,
    sensitivity_indices.csv.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zhicheng.index.sensitivity import SensitivitySpec, run_sensitivity

    pipe = load_pipeline(data, meta, config)
    sa_spec = _with_file(lambda: SensitivitySpec.from_mapping(read_yaml(spec, "inputs"), pipe), spec)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(f"{sa_spec.sa_type} replications", total=sa_spec.n_runs)
        res = _with_file(lambda: run_sensitivity(pipe, sa_spec,
                                                 progress=lambda k: bar.update(task, completed=k)), spec)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(res.rank_stats, out / "rank_stats.csv")
    write_csv(res.scores, out / "scores.csv")
    write_csv(res.ranks, out / "ranks.csv")
    write_csv(res.parameters, out / "parameters.csv")
    files = ["rank_stats.csv", "scores.csv", "ranks.csv", "parameters.csv"]
    if res.sensitivity_indices is not None:
        write_csv(res.sensitivity_indices, out / "sensitivity_indices.csv")
        files.append("sensitivity_indices.csv")
    console.print(f"[green]{res.n_runs} runs in {res.seconds:.3f} s[/green]; wrote {', '.join(files)} to {out}")


__all__ = ["app", "ZhichengError"]
