"""A small built store for the report and export tests: eight real cities, one rules-2 run with trends.

The units and values are the cockpit tests' workspace (:mod:`tests.cockpit.cockpit_workspace`: real
cities, values computed from the shipped statistics, census and CEADs CO2), evaluated by the
evaluation service with its default method (rules 2) against 2015, with a small uncertainty
analysis so that ranks carry intervals.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.cockpit.cockpit_workspace import BASE_PERIOD, RUN_PERIOD, build_workspace
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.uncertainty import run_uncertainty
from zhicheng.store import init_store


def build_report_store(path: Path) -> tuple[Engine, int]:
    """Build the store at ``path``; returns its engine and the run id."""
    engine = init_store(f"sqlite:///{path}")
    build_workspace(engine, with_run=False)
    run_id = evaluate(engine, RUN_PERIOD, base_period=BASE_PERIOD).run_id
    run_uncertainty(engine, run_id, n=40, seed=7)
    return engine, run_id
