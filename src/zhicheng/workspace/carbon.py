"""The carbon inventories in the demo workspace, and their feed into the goal model.

:func:`load_carbon` loads the CEADs provincial inventories and city totals shipped in ``data/``
through the carbon service; :func:`feed_indicators` writes the goal-model values the carbon
module computes (:func:`zhicheng.carbon.report.indicator_feed`: D3.R3.I1/I2 of the provinces,
D3.R3.I7 target-path gap, D3.R3.I8 peaking status) into the store's indicator values as one
ingest batch, where the evaluation reads them. Both are idempotent: the same inputs write nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from zhicheng.carbon import report, service
from zhicheng.store.values import batch_with_checksum, new_batch, read_values, write_values

LABEL = "CEADs CO2 inventories: 30 provinces × 47 sectors × fuels 1997–2019, city totals"


def load_carbon(engine: Engine, data: Path) -> tuple[service.LoadReport, service.LoadReport]:
    """Load the provincial inventories and the city totals of the data folder."""
    prov = service.load_provinces(engine, data / service.PROVINCES_DIR, ingested_by="demo")
    city = service.load_cities(engine, data / service.CITIES_FILE, ingested_by="demo")
    return prov, city


def feed_indicators(engine: Engine, ws: service.Workspace | None = None) -> int:
    """Write the carbon module's goal-model values (new or changed ones); returns how many were written."""
    ws = ws or service.Workspace.read(engine)
    feed = report.indicator_feed(ws)
    if feed.empty:
        return 0
    feed = feed.sort_values(["unit_code", "indicator_id", "period"]).reset_index(drop=True)
    text = feed.to_csv(index=False, float_format="%.12g")
    checksum = hashlib.sha256(("carbon-feed\n" + text).encode()).hexdigest()
    with engine.begin() as conn:
        if batch_with_checksum(conn, checksum) is not None:
            return 0
        have = read_values(conn, indicators=sorted(set(feed["indicator_id"])), units_=sorted(set(feed["unit_code"])))
        merged = feed.merge(have[["unit_code", "indicator_id", "period", "value"]], how="left",
                            on=["unit_code", "indicator_id", "period"], suffixes=("", "_stored"))
        new = merged[merged["value_stored"].isna()][["unit_code", "indicator_id", "period", "value"]]
        changed = merged[merged["value_stored"].notna() & ((merged["value"] - merged["value_stored"]).abs() > 1e-12)]
        changed = changed[["unit_code", "indicator_id", "period", "value"]]
        batch = new_batch(conn, source="zhicheng.carbon (CEADs inventories, store population and GDP)",
                          checksum=checksum, ingested_by="demo", row_count=len(new) + len(changed), kind="computed",
                          note="D3.R3.I1/I2 of the provinces, D3.R3.I7 gap to the 13th Five-Year Plan path "
                               "(current prices), D3.R3.I8 peaking status")
        write_values(conn, new, changed, batch)
    return len(new) + len(changed)


def carbon_step(engine: Engine, data: Path) -> Any:
    """The demo's carbon step: load, feed the goal model, and say what it did (a ``SourceSummary``)."""
    from zhicheng.workspace.demo import SourceSummary

    prov, city = load_carbon(engine, data)
    ws = service.Workspace.read(engine)
    written = feed_indicators(engine, ws)
    peaks = service.peak_table(ws)
    verdicts = peaks.set_index("unit_code")["status"].to_dict() if not peaks.empty else {}
    note = (f"北京 {verdicts.get('110000', '–')}, 河北 {verdicts.get('130000', '–')}; "
            f"{len(city.unmatched)} city names without a unit; GDP at current prices")
    rows = prov.rows + city.rows
    units = int(pd.Series(list(verdicts)).nunique())
    new_rows = 0 if prov.already_loaded else prov.rows
    new_rows += 0 if city.already_loaded else city.rows
    return SourceSummary(LABEL, str(data / "energy_carbon"), rows, units, "1997–2019", new_rows + written, note)
