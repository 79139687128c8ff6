"""The demo's sources: the city files and their mappings, the data folders, what each source brought."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhicheng.errors import Problem
from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.intake import IngestReport
from zhicheng.evaluate.service import EvaluationRun


@dataclass(frozen=True)
class DemoStep:
    """One file of the demo and the mapping it is read with."""

    label: str
    file: str
    mapping: str
    #: Years the file covers (for the summary).
    time: str = ""


#: In order: units first, then values; CO2 last because it divides by stored population and GDP.
STEPS = (
    DemoStep("units: 369 prefectures and their provinces, with boundaries",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_units.yaml", "2020 boundaries"),
    DemoStep("census 2010/2020: urbanisation, ageing",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_2010_2020.yaml", "2010, 2020"),
    DemoStep("300 cities' statistics 2000–2024",
             "city_indicators/china_300_cities_macro_2000_2024.csv.gz", "mappings/macro_300_cities.yaml",
             "2000–2024"),
    DemoStep("CEADs CO2 1997–2019", "energy_carbon/ceads_city_co2_1997_2019_long.csv.gz", "mappings/ceads_co2.yaml",
             "1997–2019"),
)
METHOD = "mappings/demo_method.yaml"

#: Beijing's city unit as the census units code it (its province is 110000).
BEIJING_CITY = "110100"
AIR_DIR = "air_quality/beijing_multisite"
#: Dingling is the network's background (对照) station: the city's figures leave it out (HJ 663 §4).
BACKGROUND_STATIONS = ("Dingling",)
#: Goal-model indicators computed from the station data (HJ 663 annual evaluation).
GOOD_DAYS, PM25_ANNUAL = "D3.R1.I1", "D3.R1.I2"
#: Valid daily values a year needs for an annual statistic (HJ 663-2013 §5.1, GB 3095 Table 4).
MIN_VALID_DAYS = 324
#: Days of the most recent station data replayed as live observations.
LIVE_DAYS = 21
LA311_FILES = ("service_requests/MyLA311_Service_Request_Data_2017_Subset.csv.gz",
               "service_requests/la311_requests_2020-01-01_to_03_seed.csv.gz")
LA_UNIT = "US-CA-LOS-ANGELES"
SURVEY_FILE = "surveys/somerville_happiness_survey_2011_2023.csv.gz"
CARBON_DIR = "energy_carbon/provinces"
#: Replications of the demo's uncertainty analysis of the index ranks.
UNCERTAINTY_REPLICATIONS = 500
#: Stages reported through ``on_step``: the city files, air, live, LA 311, survey, PM2.5, operations,
#: carbon, evaluation, rank intervals.
STAGES = len(STEPS) + 9
PM25_FILE = "air_quality/cities_pm25_daily/spte2m_pm25_183_cities_2014_2016.csv.gz"
#: Years back from the evaluated year to the trend base.
TREND_YEARS = 5

Step = Callable[[str], None]


@dataclass(frozen=True)
class SourceSummary:
    """What one source brought into the workspace: rows read, units, time span, new writes."""

    label: str
    source: str
    rows: int
    #: Units the source covers (None where the intake report does not say).
    units: int | None
    time: str
    written: int
    note: str = ""


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: one ingest report per city file, a summary per source, the evaluation."""

    reports: tuple[tuple[DemoStep, IngestReport], ...]
    run: EvaluationRun
    config: MethodConfig
    sources: tuple[SourceSummary, ...] = ()
    lookback_note: str = ""
    alerts: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    #: Data-quality findings across sources (disagreements, coordinates contradicting names).
    findings: tuple[Problem, ...] = field(default_factory=tuple)


def default_data_dir() -> Path:
    """The project's ``data/`` folder (next to ``src/`` in a checkout)."""
    return Path(__file__).resolve().parents[3] / "data"


def _digest(paths: list[Path], tag: str) -> str:
    """SHA-256 of the files' bytes (in order) and a tag naming how they are turned into values."""
    h = hashlib.sha256(tag.encode())
    for path in paths:
        h.update(path.name.encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
