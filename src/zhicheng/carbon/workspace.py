"""The carbon workspace read from the store and the analyses over it (intensity, peaking, LMDI-I, targets, cross-check)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from zhicheng.carbon import analysis, catalogue, lmdi, peaking, targets
from zhicheng.carbon.catalogue import Target
from zhicheng.carbon.sources import (
    CITIES_DATASET,
    PRICES,
    PROVINCES_DATASET,
    CarbonError,
    CarbonNotFound,
)
from zhicheng.carbon.stored import provenance, read_inventory, read_stats, unit_names


@dataclass(frozen=True)
class Workspace:
    """Everything the analyses need, read once: the inventory, population and GDP, unit names."""

    inventory: pd.DataFrame
    stats: pd.DataFrame
    names: dict[str, dict[str, Any]]
    sources: tuple[dict[str, Any], ...] = ()

    @classmethod
    def read(cls, engine: Engine) -> Workspace:
        """Read the store's inventories and statistics."""
        with engine.connect() as conn:
            inv = read_inventory(conn)
            stats = read_stats(conn)
            names = unit_names(conn, sorted(set(inv["unit_code"]))) if not inv.empty else {}
            sources = tuple(provenance(conn))
        return cls(inv, stats, names, sources)

    def units(self) -> list[str]:
        """Units with an inventory, provinces first."""
        codes = sorted(set(self.inventory["unit_code"]))
        return sorted(codes, key=lambda c: (self.names.get(c, {}).get("level") != "province", c))

    def dataset_of(self, code: str) -> str:
        """``ceads-province`` or ``ceads-city`` for the unit."""
        sub = self.inventory.loc[self.inventory["unit_code"] == code, "dataset"]
        if sub.empty:
            raise CarbonNotFound(f"no CO2 inventory for unit {code!r}")
        return str(sub.iat[0])

    def emissions(self, scope: str = "1") -> pd.DataFrame:
        """``unit_code, year, co2_mt`` of every unit for ``scope``."""
        wide = analysis.totals(self.inventory, scope)
        long = wide.reset_index().melt(id_vars="unit_code", var_name="year", value_name="co2_mt")
        long = long.dropna(subset=["co2_mt"]).sort_values(["unit_code", "year"], kind="stable")
        return long.assign(year=long["year"].astype(int)).reset_index(drop=True)


def intensity_table(ws: Workspace, scope: str = "1") -> pd.DataFrame:
    """CO2, population, GDP, per capita and per unit GDP (current prices) of every unit-year."""
    out = analysis.intensities(ws.emissions(scope), ws.stats)
    out["prices"] = PRICES
    return out


def peak_table(ws: Workspace, rule: peaking.PeakRule | None = None, scope: str = "1") -> pd.DataFrame:
    """Peaking status of every unit (see :mod:`zhicheng.carbon.peaking` for the rule)."""
    wide = analysis.totals(ws.inventory, scope)
    if wide.empty:
        return pd.DataFrame()
    return peaking.assess(wide, rule).reset_index()


def _cells(frame: pd.DataFrame, year: int) -> pd.Series:
    sub = frame[(frame["year"] == year) & (frame["scope"] == "1")]
    return sub.set_index(["sector", "source"])["value_mt"]


def decompose(ws: Workspace, code: str, year_from: int, year_to: int) -> lmdi.Decomposition:
    """Additive LMDI-I decomposition of ``code``'s scope-1 change between two years.

    Provinces: sector structure and fuel mix, with the Kaya factors when population and GDP are
    known in both years (else a scale effect); cities: the Kaya factors (population, GDP per
    person, CO2 per GDP at current prices) — the city files have no sectors.
    """
    dataset = ws.dataset_of(code)
    frame = ws.inventory[ws.inventory["unit_code"] == code]
    years = set(frame["year"])
    for y in (year_from, year_to):
        if y not in years:
            raise CarbonNotFound(f"unit {code!r} has no inventory for {y} (it has {min(years)}–{max(years)})")
    stats = ws.stats[ws.stats["unit_code"] == code].set_index("year")

    def stat(col: str, y: int) -> float | None:
        v = stats[col].get(y) if col in stats else None
        return None if v is None or not np.isfinite(v) else float(v)

    p = (stat("population", year_from), stat("population", year_to))
    g = (stat("gdp", year_from), stat("gdp", year_to))
    kaya_ok = all(v is not None for v in (*p, *g))
    c0, ct = _cells(frame, year_from), _cells(frame, year_to)
    v0, vt = float(c0.sum()), float(ct.sum())
    if dataset == CITIES_DATASET:
        if not kaya_ok:
            raise CarbonNotFound(f"unit {code!r} lacks population or GDP for {year_from} or {year_to}: a city's "
                                 "decomposition needs both (Kaya factors)")
        eff = lmdi.kaya(np.array([v0]), np.array([vt]), np.array([p[0]]), np.array([p[1]]),
                        np.array([g[0]]), np.array([g[1]]))
        return lmdi.Decomposition(code, year_from, year_to, v0, vt, {k: float(v[0]) for k, v in eff.items()}, "kaya")
    index = c0.index.union(ct.index)
    a0 = c0.reindex(index, fill_value=0.0).unstack("source", fill_value=0)
    at = ct.reindex(index, fill_value=0.0).unstack("source", fill_value=0).reindex_like(a0).fillna(0.0)
    pp = (p[0], p[1]) if kaya_ok else None
    gg = (g[0], g[1]) if kaya_ok else None
    effects = lmdi.inventory(a0.to_numpy(), at.to_numpy(), pp, gg)  # type: ignore[arg-type]
    return lmdi.Decomposition(code, year_from, year_to, v0, vt, effects, "inventory+kaya" if kaya_ok else "inventory")


def decompose_all(ws: Workspace, year_from: int, year_to: int) -> pd.DataFrame:
    """The decomposition of every unit that has both years, one row per unit and effect."""
    rows = []
    for code in ws.units():
        try:
            d = decompose(ws, code, year_from, year_to)
        except CarbonError:
            continue
        for effect, value in d.effects.items():
            rows.append({"unit_code": code, "year_from": year_from, "year_to": year_to, "model": d.model,
                         "effect": effect, "value_mt": value, "change_mt": d.change})
    return pd.DataFrame(rows)


def user_target(kind: str, base_year: int, target_year: int, *, reduction: float | None = None,
                cap_mt: float | None = None) -> Target:
    """A user-set target: ``intensity`` (reduction), ``cap`` (Mt CO2 from the target year) or ``peak``."""
    if kind not in ("intensity", "cap", "peak"):
        raise CarbonError(f"unknown target kind {kind!r}: intensity, cap or peak")
    if target_year <= base_year:
        raise CarbonError(f"the target year {target_year} must come after the base year {base_year}")
    if kind == "intensity" and (reduction is None or not 0 < reduction < 1):
        raise CarbonError("an intensity target needs a reduction between 0 and 1 (e.g. 0.18)")
    if kind == "cap" and (cap_mt is None or cap_mt < 0):
        raise CarbonError("a cap target needs a cap in Mt CO2 (≥ 0)")
    zh = {"intensity": f"自定:强度下降{(reduction or 0) * 100:g}%", "cap": f"自定:{cap_mt:g} Mt 上限" if cap_mt is not None else "",
          "peak": f"自定:{target_year}年前达峰"}[kind]
    en = {"intensity": f"user: intensity −{(reduction or 0) * 100:g} %", "cap": f"user: cap {cap_mt} Mt",
          "peak": f"user: peak by {target_year}"}[kind]
    return Target(f"user-{kind}-{base_year}-{target_year}", "cap" if kind == "peak" else kind, base_year,
                  target_year, zh, en, "user", reduction, cap_mt)


def assess_targets(ws: Workspace, code: str, extra: Sequence[Target] = ()) -> list[targets.Assessment]:
    """The unit's trajectory against every national target and the user's (intensity at current prices)."""
    ws.dataset_of(code)
    table = intensity_table(ws)
    mine = table[table["unit_code"] == code].set_index("year").sort_index()
    out = []
    for target in [*catalogue.national_targets().values(), *extra]:
        if target.kind == "intensity":
            out.append(targets.assess(target, mine["per_gdp_t_per_10k_cny"], metric="t CO2 / 10^4 CNY",
                                      prices=PRICES))
        else:
            out.append(targets.assess(target, mine["co2_mt"], metric="Mt CO2"))
    return out


def crosscheck(ws: Workspace, tolerance: float = analysis.CROSSCHECK_TOLERANCE) -> pd.DataFrame:
    """The municipalities' city totals against their provincial inventories (see :func:`analysis.crosscheck`)."""
    pairs = {p.city: p.code for p in catalogue.provinces().values() if p.city}
    em = ws.emissions("1")
    inv = ws.inventory
    city_units = set(inv.loc[inv["dataset"] == CITIES_DATASET, "unit_code"])
    prov_units = set(inv.loc[inv["dataset"] == PROVINCES_DATASET, "unit_code"])
    return analysis.crosscheck(em[em["unit_code"].isin(city_units)], em[em["unit_code"].isin(prov_units)], pairs,
                               tolerance)
