"""Reading back what is stored: inventories, statistics, unit names, provenance and findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from zhicheng.carbon.sources import CITATION, GDP, POPULATION
from zhicheng.store.schema import ingest_batches, units
from zhicheng.store.schema_carbon import carbon_findings, carbon_inventory
from zhicheng.store.values import fetch_rows, read_values


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
