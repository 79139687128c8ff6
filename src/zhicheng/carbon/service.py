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
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.carbon import analysis, catalogue, inventory, lmdi, peaking, targets
from zhicheng.carbon.catalogue import Target
from zhicheng.errors import NotFound, Problem, ZhichengError
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import ingest_batches, units
from zhicheng.store.schema_carbon import carbon_findings, carbon_inventory
from zhicheng.store.values import batch_with_checksum, fetch_rows, new_batch, read_values

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


# --------------------------------------------------------------------------- reading workbooks


def _digest(paths: Sequence[Path], tag: str) -> str:
    h = hashlib.sha256(tag.encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def workbook_files(folder: Path) -> list[Path]:
    """The inventory workbooks of ``folder`` (``*.xlsx`` whose name has a year), by year."""
    if not folder.is_dir():
        raise CarbonError(f"{folder}: not a folder of inventory workbooks")
    files = [p for p in folder.glob("*.xlsx") if _YEAR.search(p.stem) and not p.name.startswith("~$")]
    if not files:
        raise CarbonError(f"{folder}: no inventory workbooks (*.xlsx with a year in the name)")
    return sorted(files, key=lambda p: int(_YEAR.findall(p.stem)[-1]))


def read_workbooks(files: Iterable[Path]) -> list[inventory.SheetInventory]:
    """Every province sheet of the workbooks, parsed and checked (no store involved).

    Sheets are named ``<Province><year>`` (``Beijing2019``); the ``NOTE`` sheet is skipped.
    A sheet of an unknown province is a problem of that sheet.
    """
    from python_calamine import CalamineWorkbook

    provinces = catalogue.provinces()
    out: list[inventory.SheetInventory] = []
    problems: list[Problem] = []
    for path in files:
        try:
            book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own types for broken files
            problems.append(Problem(f"cannot read the workbook: {exc}", path.name))
            continue
        year_of_file = int(_YEAR.findall(path.stem)[-1])
        for name in book.sheet_names:
            if name.strip().upper() == "NOTE":
                continue
            where = f"{path.name}:{name}"
            match = re.fullmatch(r"\s*([A-Za-z]+)\s*(\d{4})\s*", name)
            if not match or match.group(1) not in provinces:
                problems.append(Problem(f"sheet {name!r} names no known province and year", path.name))
                continue
            year = int(match.group(2))
            if year != year_of_file:
                problems.append(Problem(f"sheet year {year} differs from the file's year {year_of_file}", where))
            rows = book.get_sheet_by_name(name).to_python()
            out.append(inventory.parse_sheet(rows, unit_code=provinces[match.group(1)].code, year=year, where=where))
    if problems:
        raise CarbonError("the inventory workbooks cannot be read", problems)
    return out


#: Problems of a sheet that stop a load (the rest are findings stored beside the data).
_IDENTITY = ("add up to",)


def _split(sheets: Sequence[inventory.SheetInventory]) -> tuple[list[Problem], list[Problem]]:
    blocking: list[Problem] = []
    findings: list[Problem] = []
    for sheet in sheets:
        for p in sheet.problems:
            (findings if any(k in p.reason for k in _IDENTITY) else blocking).append(p)
    return blocking, findings


# --------------------------------------------------------------------------- loading


def _ensure_provinces(conn: sa.Connection) -> int:
    """Add the inventories' provinces as units where the store lacks them; returns how many were added."""
    have = {r[0] for r in conn.execute(sa.select(units.c.code))}
    missing = [p for p in catalogue.provinces().values() if p.code not in have]
    if missing:
        conn.execute(units.insert(), [{"code": p.code, "name_zh": p.zh, "name_en": p.en, "level": "province"}
                                      for p in missing])
    return len(missing)


def _replace(conn: sa.Connection, dataset: str, rows: pd.DataFrame, batch_id: int) -> None:
    conn.execute(carbon_inventory.delete().where(carbon_inventory.c.dataset == dataset))
    frame = rows.assign(dataset=dataset, batch_id=batch_id)
    frame = frame.sort_values(["unit_code", "year", "sector", "source"], kind="stable")
    bulk_insert(conn, carbon_inventory, frame[["unit_code", "year", "sector", "source", "scope", "value_mt",
                                                "dataset", "batch_id"]])


def _store_findings(conn: sa.Connection, batch_id: int, kind: str, findings: Iterable[Problem],
                    unit_of: dict[str, str] | None = None) -> None:
    rows = []
    for p in findings:
        where = ", ".join(x for x in (p.file, f"row {p.row}" if p.row else None,
                                      f"column {p.column}" if p.column else None) if x)
        sheet = (p.file or "").split(":")[-1]
        m = re.fullmatch(r"([A-Za-z]+)(\d{4})", sheet)
        code = (unit_of or {}).get(m.group(1)) if m else None
        rows.append({"batch_id": batch_id, "kind": kind, "unit_code": code,
                     "year": int(m.group(2)) if m else None, "location": where or None, "message": p.reason})
    if rows:
        conn.execute(carbon_findings.insert(), rows)


def load_provinces(engine: Engine, folder: Path, *, ingested_by: str = "cli") -> LoadReport:
    """Load every provincial inventory workbook of ``folder`` into the store (one transaction).

    Re-loading the same files changes nothing (recognised by checksum); other files replace the
    provincial inventory. Sheets whose accounting identities fail are loaded and reported as
    findings; unreadable workbooks, unknown headers, sectors or provinces stop the load.
    """
    files = workbook_files(folder)
    checksum = _digest(files, PROVINCES_DATASET)
    with engine.connect() as conn:
        done = batch_with_checksum(conn, checksum)
    if done is not None:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).select_from(carbon_inventory)
                                .where(carbon_inventory.c.batch_id == done)).scalar_one()
        return LoadReport(PROVINCES_DATASET, str(folder), 0, int(rows), done, already_loaded=True)
    sheets = read_workbooks(files)
    blocking, findings = _split(sheets)
    if blocking:
        raise CarbonError(f"{len(blocking)} problem(s) in the inventory workbooks; nothing was loaded", blocking)
    long = inventory.combine(sheets)
    unit_of = {k: p.code for k, p in catalogue.provinces().items()}
    with engine.begin() as conn:
        added = _ensure_provinces(conn)
        batch = new_batch(conn, source=str(folder), checksum=checksum, ingested_by=ingested_by, row_count=len(long),
                          kind="carbon", note=f"{len(files)} workbooks: {CITATION[PROVINCES_DATASET]}")
        _replace(conn, PROVINCES_DATASET, long, batch)
        _store_findings(conn, batch, "identity", findings, unit_of)
    return LoadReport(PROVINCES_DATASET, str(folder), len(sheets), len(long), batch, findings=tuple(findings),
                      units_added=added)


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def city_lookup(conn: sa.Connection) -> dict[str, str]:
    """City names as CEADs writes them (``北京``, ``河北保定``, ``保定``) → the store's city unit code."""
    u = units.alias("u")
    p = units.alias("p")
    rows = conn.execute(sa.select(u.c.code, u.c.name_zh, p.c.name_zh).select_from(
        u.outerjoin(p, p.c.code == u.c.parent_code)).where(u.c.level == "city")).all()
    lookup: dict[str, str] = {}
    ambiguous: set[str] = set()
    for code, name, province in rows:
        short = _short(str(name))
        keys = {str(name), short}
        if province:
            keys |= {_short(str(province)) + short, str(province) + short}
        for key in keys:
            if key in lookup and lookup[key] != code:
                ambiguous.add(key)
            lookup[key] = code
    for key in ambiguous:
        lookup.pop(key, None)
    return lookup


def read_city_file(path: Path) -> pd.DataFrame:
    """The CEADs city totals (columns ``city, year, co2_mt``), checked; every bad row is a located problem."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CarbonError(f"{path}: cannot read the city file: {exc}") from None
    missing = [c for c in ("city", "year", "co2_mt") if c not in raw.columns]
    if missing:
        raise CarbonError(f"{path}: missing column(s) {', '.join(missing)}",
                          [Problem(f"missing column {c!r}", str(path), 1) for c in missing])
    year = pd.to_numeric(raw["year"], errors="coerce")
    value = pd.to_numeric(raw["co2_mt"], errors="coerce")
    problems = []
    for i in np.flatnonzero(year.isna().to_numpy()):
        problems.append(Problem(f"not a year: {raw['year'].iat[int(i)]!r}", str(path), int(i) + 2, "year"))
    for i in np.flatnonzero((value.isna() | (value < 0)).to_numpy()):
        problems.append(Problem(f"not an emission [Mt CO2]: {raw['co2_mt'].iat[int(i)]!r}", str(path), int(i) + 2, "co2_mt"))
    for i in np.flatnonzero((raw["city"].str.strip() == "").to_numpy()):
        problems.append(Problem("empty city name", str(path), int(i) + 2, "city"))
    if problems:
        raise CarbonError(f"{len(problems)} problem(s) in the city file; nothing was loaded", problems)
    return pd.DataFrame({"city": raw["city"].str.strip(), "year": year.astype(int), "co2_mt": value.astype(float)})


def load_cities(engine: Engine, path: Path, *, ingested_by: str = "cli") -> LoadReport:
    """Load the CEADs city totals, matched by name to the store's city units (unmatched names are listed)."""
    checksum = _digest([path], CITIES_DATASET)
    with engine.connect() as conn:
        done = batch_with_checksum(conn, checksum)
        lookup = city_lookup(conn)
    if done is not None:
        return LoadReport(CITIES_DATASET, str(path), 0, 0, done, already_loaded=True)
    frame = read_city_file(path)
    frame["unit_code"] = frame["city"].map(lookup)
    unmatched = tuple(sorted(set(frame.loc[frame["unit_code"].isna(), "city"])))
    rows = frame.dropna(subset=["unit_code"]).groupby(["unit_code", "year"], as_index=False)["co2_mt"].sum()
    long = pd.DataFrame({"unit_code": rows["unit_code"], "year": rows["year"], "sector": "total", "source": "total",
                         "scope": "1", "value_mt": rows["co2_mt"]})
    findings = [Problem(f"city {name!r} matches no city unit of the store: skipped", str(path)) for name in unmatched]
    with engine.begin() as conn:
        batch = new_batch(conn, source=str(path), checksum=checksum, ingested_by=ingested_by, row_count=len(long),
                          kind="carbon", note=CITATION[CITIES_DATASET])
        _replace(conn, CITIES_DATASET, long, batch)
        _store_findings(conn, batch, "unmatched", findings)
    return LoadReport(CITIES_DATASET, str(path), len(frame), len(long), batch, findings=tuple(findings),
                      unmatched=unmatched)


# --------------------------------------------------------------------------- reading back


def read_inventory(conn: sa.Connection, *, units_: Sequence[str] | None = None,
                   dataset: str | None = None) -> pd.DataFrame:
    """The stored long table (``unit_code, year, sector, source, scope, value_mt, dataset``)."""
    t = carbon_inventory
    cols = [t.c.unit_code, t.c.year, t.c.sector, t.c.source, t.c.scope, t.c.value_mt, t.c.dataset]
    stmt = sa.select(*cols)
    if units_ is not None:
        stmt = stmt.where(t.c.unit_code.in_(list(units_)))
    if dataset is not None:
        stmt = stmt.where(t.c.dataset == dataset)
    rows = fetch_rows(conn, stmt)
    names = [c.name for c in cols]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    frame = pd.DataFrame(rows, columns=names)
    frame["year"] = frame["year"].astype(int)
    frame["value_mt"] = frame["value_mt"].astype(float)
    return frame


def read_stats(conn: sa.Connection) -> pd.DataFrame:
    """Population [persons] and GDP [CNY, current prices] per unit and year from the store.

    A province without its own values gets the sums over its city units, for the years in which
    every city unit of it has a value (otherwise none: a partial sum would understate it).
    """
    vals = read_values(conn, indicators=[POPULATION, GDP])
    if vals.empty:
        return pd.DataFrame(columns=["unit_code", "year", "population", "gdp"])
    vals = vals[vals["period"].str.fullmatch(r"\d{4}")]
    wide = vals.pivot_table(index=["unit_code", "period"], columns="indicator_id", values="value", aggfunc="first")
    wide = wide.reindex(columns=[POPULATION, GDP]).reset_index()
    wide.columns = ["unit_code", "year", "population", "gdp"]
    wide["year"] = wide["year"].astype(int)
    u = pd.DataFrame(conn.execute(sa.select(units.c.code, units.c.parent_code, units.c.level)).all(),
                     columns=["code", "parent", "level"])
    cities = u[u["level"] == "city"]
    per_province = cities.groupby("parent")["code"].count()
    joined = wide.merge(cities[["code", "parent"]], left_on="unit_code", right_on="code")
    agg = joined.groupby(["parent", "year"]).agg(population=("population", "sum"), gdp=("gdp", "sum"),
                                                  n_pop=("population", "count"), n_gdp=("gdp", "count")).reset_index()
    need = agg["parent"].map(per_province)
    agg["population"] = agg["population"].where(agg["n_pop"] == need)
    agg["gdp"] = agg["gdp"].where(agg["n_gdp"] == need)
    agg = agg.rename(columns={"parent": "unit_code"})[["unit_code", "year", "population", "gdp"]]
    own = set(wide["unit_code"])
    agg = agg[~agg["unit_code"].isin(own)]
    return pd.concat([wide, agg], ignore_index=True)


def unit_names(conn: sa.Connection, codes: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Names and levels of units: code → ``{zh, en, level}``."""
    stmt = sa.select(units.c.code, units.c.name_zh, units.c.name_en, units.c.level)
    if codes is not None:
        stmt = stmt.where(units.c.code.in_(list(codes)))
    return {r[0]: {"zh": r[1], "en": r[2] or r[1], "level": r[3]} for r in conn.execute(stmt)}


def provenance(conn: sa.Connection) -> list[dict[str, Any]]:
    """The ingest batches the inventories came from (dataset, source, checksum, time, rows, citation)."""
    t, b = carbon_inventory, ingest_batches
    stmt = (sa.select(t.c.dataset, b.c.id, b.c.source, b.c.checksum, b.c.ingested_at, b.c.note,
                      sa.func.count().label("rows"))
            .select_from(t.join(b, b.c.id == t.c.batch_id))
            .group_by(t.c.dataset, b.c.id, b.c.source, b.c.checksum, b.c.ingested_at, b.c.note))
    return [{"dataset": r.dataset, "batch_id": r.id, "source": r.source, "checksum": r.checksum,
             "ingested_at": r.ingested_at.isoformat() if r.ingested_at else None, "rows": int(r.rows),
             "citation": CITATION.get(r.dataset, r.note)} for r in conn.execute(stmt)]


def findings(conn: sa.Connection) -> list[dict[str, Any]]:
    """The stored findings of the loads' checks."""
    f = carbon_findings
    rows = conn.execute(sa.select(f.c.kind, f.c.unit_code, f.c.year, f.c.location, f.c.message).order_by(f.c.id))
    return [dict(r._mapping) for r in rows]


# --------------------------------------------------------------------------- analyses


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


# --------------------------------------------------------------------------- meters


def meter_readings(conn: sa.Connection) -> pd.DataFrame:
    """Readings of every energy-meter Datastream (unit kWh, m³ or GJ) from the SensorThings tables.

    Returns ``datastream_id, thing_id, thing, properties, unit, kind, time_us, value``: ``kind`` is
    the Datastream property ``meter`` (``cumulative`` by default, or ``interval``).
    """
    from zhicheng.carbon.meters import carrier_of
    from zhicheng.store import schema_sensing as s

    d, t, o = s.sta_datastreams, s.sta_things, s.sta_observations
    streams = conn.execute(sa.select(d.c.id, d.c.unit_of_measurement, d.c.properties, t.c.id.label("thing_id"),
                                     t.c.name, t.c.properties.label("thing_properties"))
                           .select_from(d.join(t, t.c.id == d.c.thing_id))).all()
    meta = {}
    for r in streams:
        symbol = str((r.unit_of_measurement or {}).get("symbol", ""))
        if carrier_of(symbol) is None:
            continue
        kind = str((r.properties or {}).get("meter", "cumulative"))
        meta[r.id] = (r.thing_id, r.name, dict(r.thing_properties or {}), symbol, kind)
    if not meta:
        return pd.DataFrame(columns=["datastream_id", "thing_id", "thing", "properties", "unit", "kind", "time_us", "value"])
    obs = fetch_rows(conn, sa.select(o.c.datastream_id, o.c.phenomenon_time_start, o.c.result_number)
                     .where(o.c.datastream_id.in_(list(meta)), o.c.result_number.is_not(None))
                     .order_by(o.c.datastream_id, o.c.phenomenon_time_start))
    frame = pd.DataFrame(obs, columns=["datastream_id", "time_us", "value"])
    info = pd.DataFrame([(k, *v) for k, v in meta.items()],
                        columns=["datastream_id", "thing_id", "thing", "properties", "unit", "kind"])
    return info.merge(frame, on="datastream_id", how="inner")


def meter_emissions(engine: Engine, edges_us: Sequence[int], *, group: str = "building") -> pd.DataFrame:
    """Consumption and scope-1/2 emissions per meter and period, labelled by the Thing's ``group`` property.

    ``edges_us`` are period boundaries [µs since 1970, UTC]. Each row: ``datastream_id, thing,
    <group>, carrier, unit, period_start_us, period_end_us, consumption, factor_id, scope, t_co2,
    resets``. The factor is the carrier's version for the period's year.
    """
    import datetime as dt

    from zhicheng.carbon import meters

    with engine.connect() as conn:
        readings = meter_readings(conn)
    edges = np.asarray(edges_us, dtype=np.int64)
    if len(edges) < 2:
        raise CarbonError("periods need at least two boundaries")
    rows = []
    for _, part in readings.groupby("datastream_id", sort=True):
        first = part.iloc[0]
        ds = int(first["datastream_id"])
        carrier = meters.carrier_of(first["unit"])
        used, resets = meters.consumption(part["time_us"].to_numpy(), part["value"].to_numpy(), edges,
                                          kind=first["kind"])
        for k in range(len(edges) - 1):
            year = dt.datetime.fromtimestamp(edges[k] / 1e6, dt.UTC).year
            factor = catalogue.factor_for(str(carrier), year)
            rows.append({"datastream_id": ds, "thing": first["thing"],
                         group: first["properties"].get(group), "carrier": carrier, "unit": first["unit"],
                         "period_start_us": int(edges[k]), "period_end_us": int(edges[k + 1]),
                         "consumption": float(used[k]), "factor_id": factor.id, "scope": factor.scope,
                         "t_co2": float(meters.emissions_t(np.array([used[k]]), factor)[0]), "resets": resets})
    return pd.DataFrame(rows)
