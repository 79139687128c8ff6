"""Carbon accounting service: load the CEADs inventories into the store, read them back, analyse.

- :func:`load_provinces` reads the 23 provincial workbooks (python-calamine), checks every sheet
  (:mod:`zhicheng.carbon.inventory`), stores the long table in one transaction with its ingest
  batch (file names, checksum: the provenance) and the findings of the checks;
- :func:`load_cities` stores the CEADs city totals (``ceads_city_co2_1997_2019_long.csv.gz``),
  matched to the store's city units by name;
- the readers give the long table, population and GDP (the store's ``den.population`` and
  ``den.gdp``; a province's are the sums over its cities when every city of it has one), and the
  analyses of :mod:`zhicheng.carbon` for one unit or all;
- :func:`meter_readings` reads energy meters' Datastreams from the SensorThings tables.

Bad input raises :class:`CarbonError` with every located problem; nothing is written then.

Each concern has its module (:mod:`~zhicheng.carbon.sources`, :mod:`~zhicheng.carbon.workbooks`,
:mod:`~zhicheng.carbon.loading`, :mod:`~zhicheng.carbon.stored`, :mod:`~zhicheng.carbon.workspace`,
:mod:`~zhicheng.carbon.meter_emissions`); this module gathers their public names.
"""

from __future__ import annotations

from zhicheng.carbon.loading import city_lookup, load_cities, load_provinces, read_city_file
from zhicheng.carbon.meter_emissions import meter_emissions, meter_readings
from zhicheng.carbon.sources import (
    CITATION,
    CITIES_DATASET,
    CITIES_FILE,
    GDP,
    POPULATION,
    PRICES,
    PROVINCES_DATASET,
    PROVINCES_DIR,
    CarbonError,
    CarbonNotFound,
    LoadReport,
    default_data_dir,
)
from zhicheng.carbon.stored import findings, provenance, read_inventory, read_stats, unit_names
from zhicheng.carbon.workbooks import read_workbooks, workbook_files
from zhicheng.carbon.workspace import (
    Workspace,
    assess_targets,
    crosscheck,
    decompose,
    decompose_all,
    intensity_table,
    peak_table,
    user_target,
)

__all__ = [
    "CITATION",
    "CITIES_DATASET",
    "CITIES_FILE",
    "CarbonError",
    "CarbonNotFound",
    "GDP",
    "LoadReport",
    "POPULATION",
    "PRICES",
    "PROVINCES_DATASET",
    "PROVINCES_DIR",
    "Workspace",
    "assess_targets",
    "city_lookup",
    "crosscheck",
    "decompose",
    "decompose_all",
    "default_data_dir",
    "findings",
    "intensity_table",
    "load_cities",
    "load_provinces",
    "meter_emissions",
    "meter_readings",
    "peak_table",
    "provenance",
    "read_city_file",
    "read_inventory",
    "read_stats",
    "read_workbooks",
    "unit_names",
    "user_target",
    "workbook_files",
]
