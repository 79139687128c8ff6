"""Trends, intensities, shares and the cross-source check, vectorised over every unit and year.

Inputs are the long inventory table (``unit_code, year, sector, source, scope, value_mt``; a city
total is the row ``sector = source = "total"``, scope 1) and, for intensities, population
[persons] and GDP [CNY, current prices] per unit and year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zhicheng.carbon import catalogue

#: Scope selections: direct emissions only, or direct plus purchased heat and electricity.
SCOPES = {"1": ("1",), "1+2": ("1", "2")}
#: Breakdowns of the inventory.
BY = ("sector", "group", "field", "source", "fuel_group")
#: Relative difference above which a city total and its province's inventory disagree.
CROSSCHECK_TOLERANCE = 0.01


def _scope(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    return frame[frame["scope"].isin(SCOPES[scope])]


def classify(frame: pd.DataFrame) -> pd.DataFrame:
    """The long table with ``group`` (IPCC/GPC), ``field`` (production / transport / consumption) and ``fuel_group``.

    The process column belongs to ``industrial_processes`` whatever its sector (IPCC 2.A.1).
    """
    sec = catalogue.sectors()
    src = catalogue.sources()
    group_of = {k: s.group for k, s in sec.items()}
    field_of = {k: s.field for k, s in sec.items()}
    fuel_of = {k: s.group for k, s in src.items()}
    out = frame.copy()
    out["group"] = out["sector"].map(group_of).where(out["source"] != "process", "industrial_processes")
    out["field"] = out["sector"].map(field_of)
    out["fuel_group"] = out["source"].map(fuel_of)
    return out


def totals(frame: pd.DataFrame, scope: str = "1") -> pd.DataFrame:
    """Emissions per unit (rows) and year (columns) [Mt CO2] for ``scope`` (``1`` or ``1+2``)."""
    sub = _scope(frame, scope)
    return sub.groupby(["unit_code", "year"], sort=True)["value_mt"].sum().unstack("year")


def breakdown(frame: pd.DataFrame, by: str, scope: str = "1") -> pd.DataFrame:
    """Emissions per unit, year and ``by`` (sector, group, field, source or fuel_group) [Mt CO2] with shares.

    Returns
    -------
    pandas.DataFrame
        ``unit_code, year, <by>, value_mt, share`` (share of the unit-year's total of ``scope``).
    """
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    sub = _scope(frame, scope)
    if by in ("group", "field", "fuel_group") and by not in sub.columns:
        sub = classify(sub)
    out = sub.groupby(["unit_code", "year", by], sort=True)["value_mt"].sum().reset_index()
    out["share"] = out["value_mt"] / out.groupby(["unit_code", "year"])["value_mt"].transform("sum")
    return out


def intensities(co2: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """CO2 per person and per unit GDP for every unit-year with both.

    Parameters
    ----------
    co2
        ``unit_code, year, co2_mt`` [Mt CO2].
    stats
        ``unit_code, year, population, gdp`` [persons, CNY at current prices].

    Returns
    -------
    pandas.DataFrame
        ``co2`` joined with ``stats``, plus ``per_capita_t`` [t CO2 / person] and
        ``per_gdp_t_per_10k_cny`` [t CO2 / 10⁴ CNY, current prices] (NaN without population or GDP).

    References
    ----------
    ISO 37120:2018 §8 (greenhouse gas emissions per capita); the goal model's D3.R3.I1 and D3.R3.I2.
    """
    out = co2.merge(stats, on=["unit_code", "year"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_capita_t"] = out["co2_mt"] * 1e6 / out["population"].where(out["population"] > 0)
        out["per_gdp_t_per_10k_cny"] = out["co2_mt"] * 1e6 / (out["gdp"].where(out["gdp"] > 0) / 1e4)
    return out


def crosscheck(city: pd.DataFrame, province: pd.DataFrame, pairs: dict[str, str],
               tolerance: float = CROSSCHECK_TOLERANCE) -> pd.DataFrame:
    """City totals against the provincial inventory where the city is its province.

    Parameters
    ----------
    city, province
        ``unit_code, year, co2_mt`` of the city file and of the provincial inventories' scope-1 totals.
    pairs
        City unit code → province unit code (the four municipalities).
    tolerance
        Largest relative difference (to the province's value) still counted as agreement.

    Returns
    -------
    pandas.DataFrame
        ``city_code, province_code, year, city_mt, province_mt, difference_mt, relative, agrees``.
    """
    c = city[city["unit_code"].isin(list(pairs))].rename(columns={"unit_code": "city_code", "co2_mt": "city_mt"})
    c = c.assign(province_code=c["city_code"].map(pairs))
    p = province.rename(columns={"unit_code": "province_code", "co2_mt": "province_mt"})
    out = c.merge(p, on=["province_code", "year"], how="inner")
    out["difference_mt"] = out["city_mt"] - out["province_mt"]
    out["relative"] = out["difference_mt"] / out["province_mt"]
    out["agrees"] = out["relative"].abs() <= tolerance
    cols = ["city_code", "province_code", "year", "city_mt", "province_mt", "difference_mt", "relative", "agrees"]
    return out[cols].sort_values(["city_code", "year"]).reset_index(drop=True)
