"""The demo workspace: real city data in, through the ordinary intake path, then one evaluation.

Sources (each described by the PROVENANCE.md beside it in ``data/``): the 2010/2020 census panel
with boundaries (units and their provinces, urbanisation, ageing), the 300 cities' yearly
statistics 2000–2024 (per-capita and share indicators, population and GDP as denominators) and
the CEADs city CO2 inventories (CO2 per capita and per unit GDP, from the stored denominators).
The mapping files in ``data/mappings/`` say how every column becomes an indicator. Re-running
changes nothing: files already ingested are recognised by checksum and the evaluation run is
reused when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from zhicheng.evaluate.config import MethodConfig, load_config
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.intake import IngestReport, ingest_file
from zhicheng.evaluate.service import EvaluationRun, evaluate, suggest_period


@dataclass(frozen=True)
class DemoStep:
    """One file of the demo and the mapping it is read with."""

    label: str
    file: str
    mapping: str


#: In order: units first, then values; CO2 last because it divides by stored population and GDP.
STEPS = (
    DemoStep("units: 369 prefectures and their provinces, with boundaries",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_units.yaml"),
    DemoStep("census 2010/2020: urbanisation, ageing",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_2010_2020.yaml"),
    DemoStep("300 cities' statistics 2000–2024",
             "city_indicators/china_300_cities_macro_2000_2024.csv.gz", "mappings/macro_300_cities.yaml"),
    DemoStep("CEADs CO2 1997–2019", "energy_carbon/ceads_city_co2_1997_2019_long.csv.gz", "mappings/ceads_co2.yaml"),
)
METHOD = "mappings/demo_method.yaml"


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: one ingest report per step and the evaluation run."""

    reports: tuple[tuple[DemoStep, IngestReport], ...]
    run: EvaluationRun
    config: MethodConfig


def default_data_dir() -> Path:
    """The project's ``data/`` folder (next to ``src/`` in a checkout)."""
    return Path(__file__).resolve().parents[3] / "data"


def build_demo(
    engine: Engine,
    data_dir: Path | None = None,
    *,
    period: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Ingest the demo files into ``engine`` and evaluate the latest suitable year.

    Raises
    ------
    EvaluationError
        When the data folder or one of its files is missing.
    IngestError
        When a file does not pass the intake checks (nothing of that file is written).
    """
    data = data_dir or default_data_dir()
    missing = [str(data / p) for s in STEPS for p in (s.file, s.mapping) if not (data / p).exists()]
    if missing:
        raise EvaluationError(f"demo data not found: {', '.join(sorted(set(missing)))}")
    step = on_step or (lambda _label: None)
    reports = []
    for s in STEPS:
        step(s.label)
        reports.append((s, ingest_file(engine, data / s.file, mapping=data / s.mapping, ingested_by="demo")))
    config = load_config(data / METHOD) if (data / METHOD).exists() else MethodConfig(lookback=1)
    chosen = period or suggest_period(engine, lookback=config.lookback)
    step(f"evaluating {chosen}")
    base = str(int(chosen) - 5) if chosen.isdigit() else None
    run = evaluate(engine, chosen, config=config, base_period=base, note="demo", reuse=True)
    return DemoResult(reports=tuple(reports), run=run, config=config)
