"""Every analysis for every unit at once: the whole panel of provinces and cities, vectorised.

Given the long inventory (provincial cells and city totals) and population and GDP, computes the
totals (scope 1 and 1+2), the breakdowns by IPCC/GPC group, activity field and fuel family, the
intensities, the peaking status, the additive LMDI-I decomposition of every unit for every pair
of consecutive years and for the last five years, and every unit against every national target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zhicheng.carbon import analysis, catalogue, lmdi, peaking, targets

#: Years the span decomposition covers (the latest year and this many before it).
SPAN = 5


@dataclass(frozen=True)
class Panel:
    """The results: frames keyed as their names say."""

    totals: pd.DataFrame
    totals12: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]
    intensities: pd.DataFrame
    peaks: pd.DataFrame
    decompositions: pd.DataFrame
    targets: pd.DataFrame


def _cube(frame: pd.DataFrame, units: list[str], years: list[int]) -> tuple[np.ndarray, list[str], list[str]]:
    """Scope-1 cells as an array ``(units, years, sectors, sources)`` [Mt CO2]."""
    sub = frame[frame["scope"] == "1"]
    sectors = sorted(pd.unique(sub["sector"]).tolist())
    sources = sorted(pd.unique(sub["source"]).tolist())
    shape = (len(units), len(years), len(sectors), len(sources))
    u = pd.Index(units).get_indexer(pd.Index(sub["unit_code"]))
    y = pd.Index(years).get_indexer(pd.Index(sub["year"]))
    s = pd.Index(sectors).get_indexer(pd.Index(sub["sector"]))
    f = pd.Index(sources).get_indexer(pd.Index(sub["source"]))
    flat = np.ravel_multi_index((u, y, s, f), shape)
    cube = np.bincount(flat, weights=sub["value_mt"].to_numpy(dtype=float), minlength=int(np.prod(shape)))
    return cube.reshape(shape), sectors, sources


def _stat(stats: pd.DataFrame, col: str, units: list[str], years: list[int]) -> np.ndarray:
    wide = stats.pivot_table(index="unit_code", columns="year", values=col, aggfunc="first")
    return wide.reindex(index=units, columns=years).to_numpy(dtype=float)


def _pairs(years: list[int]) -> list[tuple[int, int]]:
    pairs = list(zip(years[:-1], years[1:], strict=True))
    if len(years) > SPAN:
        pairs.append((years[-1 - SPAN], years[-1]))
    return pairs


def compute(inventory: pd.DataFrame, stats: pd.DataFrame, *, province_units: set[str]) -> Panel:
    """All analyses of the panel (see the module docstring).

    Parameters
    ----------
    inventory
        Long table ``unit_code, year, sector, source, scope, value_mt`` [Mt CO2].
    stats
        ``unit_code, year, population, gdp`` [persons, CNY at current prices].
    province_units
        Units whose rows are sector × fuel cells (the others are city totals).
    """
    classified = analysis.classify(inventory[inventory["unit_code"].isin(list(province_units))])
    totals = analysis.totals(inventory, "1")
    totals12 = analysis.totals(inventory, "1+2")
    breakdowns = {by: analysis.breakdown(classified, by, "1+2" if by == "fuel_group" else "1")
                  for by in ("group", "field", "fuel_group")}
    long = totals.reset_index().melt(id_vars="unit_code", var_name="year", value_name="co2_mt").dropna()
    long["year"] = long["year"].astype(int)
    intens = analysis.intensities(long, stats)
    peaks = peaking.assess(totals)
    rows = []
    years = sorted(int(y) for y in totals.columns)
    provinces = sorted(province_units & set(totals.index.tolist()))
    if provinces:
        cube, _, _ = _cube(inventory[inventory["unit_code"].isin(provinces)], provinces, years)
        pop = _stat(stats, "population", provinces, years)
        gdp = _stat(stats, "gdp", provinces, years)
        yi = {y: k for k, y in enumerate(years)}
        for y0, y1 in _pairs(years):
            a, b = yi[y0], yi[y1]
            eff = lmdi.inventory_many(cube[:, a], cube[:, b], pop[:, a], pop[:, b], gdp[:, a], gdp[:, b])
            frame = pd.DataFrame(eff, index=provinces)
            frame["change"] = cube[:, b].sum(axis=(1, 2)) - cube[:, a].sum(axis=(1, 2))
            rows.append(frame.assign(year_from=y0, year_to=y1))
    cities = sorted(set(totals.index.tolist()) - province_units)
    if cities:
        c = totals.reindex(index=cities, columns=years).to_numpy(dtype=float)
        pop = _stat(stats, "population", cities, years)
        gdp = _stat(stats, "gdp", cities, years)
        yi = {y: k for k, y in enumerate(years)}
        for y0, y1 in _pairs(years):
            a, b = yi[y0], yi[y1]
            eff = lmdi.kaya(c[:, a], c[:, b], pop[:, a], pop[:, b], gdp[:, a], gdp[:, b])
            frame = pd.DataFrame(eff, index=cities)
            frame["change"] = c[:, b] - c[:, a]
            rows.append(frame.assign(year_from=y0, year_to=y1))
    decomp = pd.concat(rows).rename_axis("unit_code").reset_index() if rows else pd.DataFrame()
    intensity_wide = intens.pivot_table(index="unit_code", columns="year", values="per_gdp_t_per_10k_cny")
    assessed = []
    for target in catalogue.national_targets().values():
        got = targets.assess_many(intensity_wide, target) if len(intensity_wide) else pd.DataFrame()
        assessed.append(got.assign(target_id=target.id).rename_axis("unit_code").reset_index())
    return Panel(totals, totals12, breakdowns, intens, peaks, decomp, pd.concat(assessed, ignore_index=True))
