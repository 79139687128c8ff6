"""Loading inventories into the store: provinces by sector and fuel, cities' totals, each as one batch."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.carbon import catalogue, inventory
from zhicheng.carbon.sources import (
    _SUFFIXES,
    CITATION,
    CITIES_DATASET,
    PROVINCES_DATASET,
    CarbonError,
    LoadReport,
)
from zhicheng.carbon.workbooks import _digest, _split, read_workbooks, workbook_files
from zhicheng.errors import Problem
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import units
from zhicheng.store.schema_carbon import carbon_findings, carbon_inventory
from zhicheng.store.values import batch_with_checksum, new_batch


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
