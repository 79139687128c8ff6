"""The carbon core's reference data: inventory columns, sectors, provinces, targets, emission factors.

All of it is data (YAML beside this module), read once: the header-normalisation mapping of the
CEADs columns, the sector → activity field and IPCC/GPC group mapping, the provinces and their
division codes, the national targets and the versioned emission factors of metered energy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).with_name("catalogue")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: object) -> str:
    """A header reduced to lower-case ASCII letters and digits: ``Raw_Coal``, ``Raw Coal`` → ``rawcoal``.

    The one normalisation every CEADs column and sector label goes through before it is looked up.
    """
    return _NOT_ALNUM.sub("", str(text).strip().lower())


@dataclass(frozen=True)
class Source:
    """One inventory column: a fuel, the process column, a scope-2 column, other energy or the total."""

    id: str
    zh: str
    en: str
    #: "1", "2", "other" or "total" (see sources.yaml).
    scope: str
    #: Fuel family for the fuel mix: coal, oil, gas, process, heat, electricity, other, total.
    group: str


@dataclass(frozen=True)
class Sector:
    """One CEADs socio-economic sector, its activity field and its IPCC/GPC group."""

    id: str
    zh: str
    en: str
    field: str
    group: str


@dataclass(frozen=True)
class Province:
    """A province of the inventories: CEADs sheet name, division code, names, its city unit if a municipality."""

    key: str
    code: str
    zh: str
    en: str
    city: str | None


@dataclass(frozen=True)
class Target:
    """A national or user-set target (see targets.yaml for the kinds)."""

    id: str
    kind: str
    base_year: int
    target_year: int
    zh: str
    en: str
    source: str
    reduction: float | None = None
    cap_mt: float | None = None


@dataclass(frozen=True)
class EmissionFactor:
    """A versioned emission factor of one metered energy carrier [kg CO2 per meter unit]."""

    id: str
    carrier: str
    unit: str
    scope: str
    kg_co2_per_unit: float
    year: int
    source: str


def _load(name: str) -> Any:
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def sources() -> dict[str, Source]:
    """The inventory columns by canonical id, in the workbook's order."""
    return {k: Source(k, v["zh"], v["en"], str(v["scope"]), v["group"]) for k, v in _load("sources.yaml").items()}


@cache
def source_spellings() -> dict[str, str]:
    """Normalised header (see :func:`header_key`) → canonical column id."""
    out: dict[str, str] = {}
    for key, value in _load("sources.yaml").items():
        for spelling in value["spellings"]:
            out[header_key(spelling)] = key
    return out


@cache
def sector_data() -> dict[str, Any]:
    """The raw sector mapping (fields, groups, sectors)."""
    data: dict[str, Any] = _load("sectors.yaml")
    return data


@cache
def sectors() -> dict[str, Sector]:
    """The 47 sectors by id, in the workbook's order."""
    return {k: Sector(k, v["zh"], v["en"], v["field"], v["group"]) for k, v in sector_data()["sectors"].items()}


@cache
def sector_spellings() -> dict[str, str]:
    """Normalised CEADs sector label → sector id."""
    return {header_key(s.en): s.id for s in sectors().values()}


def groups() -> dict[str, dict[str, str]]:
    """IPCC/GPC sector groups by id: ``{zh, en, ipcc, gpc}``."""
    return dict(sector_data()["groups"])


def fields() -> dict[str, dict[str, str]]:
    """The seed's activity fields by id: ``{zh, en}``."""
    return dict(sector_data()["fields"])


@cache
def provinces() -> dict[str, Province]:
    """The 30 provinces by CEADs sheet name (``Beijing``, ``InnerMongolia`` …)."""
    return {
        k: Province(k, str(v["code"]), v["zh"], v.get("en", k), None if v.get("city") is None else str(v["city"]))
        for k, v in _load("provinces.yaml").items()
    }


@cache
def national_targets() -> dict[str, Target]:
    """The national targets by id (intensity targets at constant prices, see targets.yaml)."""
    out = {}
    for k, v in _load("targets.yaml").items():
        out[k] = Target(k, v["kind"], int(v["base_year"]), int(v["target_year"]), v["zh"], v["en"], v["source"],
                        v.get("reduction"), v.get("cap_mt"))
    return out


@cache
def emission_factors() -> dict[str, EmissionFactor]:
    """The emission factors by id."""
    return {
        f["id"]: EmissionFactor(f["id"], f["carrier"], f["unit"], str(f["scope"]), float(f["kg_co2_per_unit"]),
                                int(f["year"]), " ".join(str(f["source"]).split()))
        for f in _load("emission_factors.yaml")["factors"]
    }


def factor_for(carrier: str, year: int | None = None) -> EmissionFactor:
    """The factor of ``carrier`` for ``year``: the latest version not after it (else the earliest)."""
    found = sorted((f for f in emission_factors().values() if f.carrier == carrier), key=lambda f: f.year)
    if not found:
        raise KeyError(f"no emission factor for the energy carrier {carrier!r}")
    if year is None:
        return found[-1]
    before = [f for f in found if f.year <= year]
    return before[-1] if before else found[0]
