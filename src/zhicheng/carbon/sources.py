"""The carbon service's datasets (CEADs provinces and cities), their citation, its errors and load report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from zhicheng.errors import NotFound, Problem, ZhichengError

PROVINCES_DATASET = "ceads-province"
CITIES_DATASET = "ceads-city"
#: Where the demo keeps the inventories, relative to the data folder.
PROVINCES_DIR = "energy_carbon/provinces"
CITIES_FILE = "energy_carbon/ceads_city_co2_1997_2019_long.csv.gz"
CITATION = {
    PROVINCES_DATASET: "CEADs provincial CO2 inventories (IPCC sectoral approach), Shan et al. 2018 Sci. Data "
                       "5:170201; 2020 Sci. Data 7:54; Guan et al. 2021 Earth's Future 9:e2021EF002241",
    CITIES_DATASET: "CEADs CO2 inventories of 290 Chinese cities, Shan et al. 2022 Sci. Bull. 67:1910; "
                    "2018 Sci. Adv. 4:eaaq0390",
}
#: Store indicators holding population [persons] and GDP [CNY, current prices].
POPULATION, GDP = "den.population", "den.gdp"
#: The label every GDP-based figure carries: the store's GDP is nominal.
PRICES = "current prices"
_YEAR = re.compile(r"(\d{4})")
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市", "地区", "盟")


class CarbonError(ZhichengError):
    """Bad carbon input (an inventory workbook, a city file, a target, a breakdown or a format).

    Of no kind, so bad input (400); :class:`CarbonNotFound` is the not-found kind.
    """


class CarbonNotFound(CarbonError, NotFound):
    """No inventory for the unit or the years asked for (or none at all yet)."""


@dataclass(frozen=True)
class LoadReport:
    """What one load did: sheets or rows read, rows stored, findings, whether it was already loaded."""

    dataset: str
    source: str
    read: int
    rows: int
    batch_id: int | None
    already_loaded: bool = False
    findings: tuple[Problem, ...] = field(default_factory=tuple)
    units_added: int = 0
    unmatched: tuple[str, ...] = ()


def default_data_dir() -> Path:
    """The project's ``data/`` folder (next to ``src/`` in a checkout)."""
    return Path(__file__).resolve().parents[3] / "data"
