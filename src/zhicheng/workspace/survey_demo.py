"""The Somerville demo: real resident-survey waves 2011–2023 through the citizen questionnaire.

Called by the demo builder (``zhicheng.workspace.demo``): it adds the city as a unit when missing,
stores the cited population margins, ingests every wave with the mapping file and feeds the survey
indicators of the goal model for each wave's year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.store.schema import units
from zhicheng.survey.responses import ingest_responses
from zhicheng.survey.service import feed_indicators, load_margins

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data"
SOMERVILLE_UNIT = "US-MA-SOMERVILLE"
SOMERVILLE_FILE = DATA / "surveys" / "somerville_happiness_survey_2011_2023.csv.gz"
SOMERVILLE_MAPPING = DATA / "mappings" / "somerville_survey.yaml"
SOMERVILLE_MARGINS = DATA / "margins" / "somerville_census2000.csv"


def ensure_somerville_unit(engine: Engine) -> None:
    """Add Somerville (萨默维尔) as a city unit unless the store already has it."""
    with engine.begin() as conn:
        if conn.execute(sa.select(units.c.code).where(units.c.code == SOMERVILLE_UNIT)).scalar() is None:
            conn.execute(units.insert().values(
                code=SOMERVILLE_UNIT, name_zh="萨默维尔(美国马萨诸塞州)", name_en="Somerville, Massachusetts",
                level="city", group_name="demo: resident survey", lon=-71.1037, lat=42.3905,
            ))


def load_somerville_demo(engine: Engine, *, data_dir: Path | None = None) -> dict[str, Any]:
    """Load the Somerville survey demo into ``engine`` (a migrated store); return what was done.

    Returns
    -------
    dict
        ``unit``, ``waves`` (ids), ``periods``, ``respondents``, ``answers``, ``unmapped`` (column,
        reason) pairs, ``margins`` (rows stored), ``indicators`` ({period: {indicator: value}}) and
        ``skipped`` (indicator notes).
    """
    base = data_dir or DATA
    ensure_somerville_unit(engine)
    margins = load_margins(engine, base / "margins" / SOMERVILLE_MARGINS.name)
    summary = ingest_responses(
        engine, base / "surveys" / SOMERVILLE_FILE.name, unit=SOMERVILLE_UNIT,
        mapping=base / "mappings" / SOMERVILLE_MAPPING.name, ingested_by="demo",
    )
    fed: dict[str, dict[str, float]] = {}
    skipped: list[str] = []
    for wave_id, period in zip(summary.wave_ids, summary.periods, strict=True):
        result = feed_indicators(engine, wave_id, by="demo")
        fed[period] = {str(i): round(float(v), 2) for i, v in
                       zip(result.values["indicator_id"], result.values["value"], strict=True)}
        skipped += [f"{period} {s}" for s in result.skipped]
    return {
        "unit": SOMERVILLE_UNIT, "waves": list(summary.wave_ids), "periods": list(summary.periods),
        "respondents": summary.respondents, "answers": summary.answers,
        "unmapped": list(summary.unmapped), "margins": margins, "indicators": fed, "skipped": skipped,
    }
