"""A small built store for the report and export tests: eight real cities, one rules-2 run with trends.

The units and values are the cockpit tests' workspace (:mod:`tests.cockpit.cockpit_workspace`: real
cities, values computed from the shipped statistics, census and CEADs CO2), evaluated by the
evaluation service with its default method (rules 2) against 2015, with a small uncertainty
analysis so that ranks carry intervals; the CEADs city inventories (carbon service) and one
self-assessment campaign (two submissions with evidence, one approved) are added for the report
sections that need them.
"""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.campaign.campaign_support import ALICE, REVIEWER, STATS, pdf_bytes, png_bytes
from tests.cockpit.cockpit_workspace import BASE_PERIOD, DATA, RUN_PERIOD, build_workspace
from zhicheng.auth import create_token
from zhicheng.campaign import (
    AssignmentSpec,
    EvidenceStore,
    SubmissionInput,
    approve,
    assign,
    create_campaign,
    save_submission,
)
from zhicheng.carbon import service as carbon
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.uncertainty import run_uncertainty
from zhicheng.store import init_store

CAMPAIGN_UNITS = ["440300", "440100"]
GIGABIT = "D1.R1.I3"


def _campaign(engine: Engine, folder: Path) -> int:
    create_token(engine, "analyst", "alice", STATS)
    cid = create_campaign(engine, REVIEWER, name="2024 年度城市自评", period="2024", deadline="2099-03-31",
                          units_=CAMPAIGN_UNITS)
    assign(engine, REVIEWER, cid, [AssignmentSpec(GIGABIT, STATS, ("alice",))])
    store = EvidenceStore(folder / "evidence", max_bytes=64 * 1024, max_files=5)
    first = save_submission(engine, store, ALICE, cid, SubmissionInput(GIGABIT, CAMPAIGN_UNITS[0], value=81.5),
                            [("运营商报表.pdf", io.BytesIO(pdf_bytes("report")))], submit=True)
    save_submission(engine, store, ALICE, cid, SubmissionInput(GIGABIT, CAMPAIGN_UNITS[1], value=77.25),
                    [("photo.png", io.BytesIO(png_bytes()))], submit=True)
    approve(engine, REVIEWER, cid, [first["id"]])
    return cid


def _city_co2(engine: Engine, folder: Path) -> None:
    """The real CEADs totals of the eight cities, loaded by the carbon service.

    CEADs names a prefecture by its province's short name and its own (广东深圳); the workspace's
    cities have no province unit above them, so their rows are written under the cities' own
    names (深圳市), which the loader matches.
    """
    import pandas as pd
    import sqlalchemy as sa

    from zhicheng.store.schema import units

    co2 = pd.read_csv(DATA / "energy_carbon" / "ceads_city_co2_1997_2019_long.csv.gz")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(units.c.name_zh, units.c.group_name)).all()
    by_ceads = {p.removesuffix("省") + n.removesuffix("市"): n for n, p in rows}
    mine = co2[co2["city"].isin(by_ceads)].assign(city=lambda f: f["city"].map(by_ceads))
    path = folder / "ceads_city_co2_eight_cities.csv"
    mine[["city", "year", "co2_mt"]].to_csv(path, index=False)
    carbon.load_cities(engine, path, ingested_by="tests")


def build_report_store(path: Path) -> tuple[Engine, int]:
    """Build the store at ``path``; returns its engine and the run id."""
    engine = init_store(f"sqlite:///{path}")
    build_workspace(engine, with_run=False)
    _city_co2(engine, path.parent)
    _campaign(engine, path.parent)
    run_id = evaluate(engine, RUN_PERIOD, base_period=BASE_PERIOD).run_id
    run_uncertainty(engine, run_id, n=40, seed=7)
    return engine, run_id
