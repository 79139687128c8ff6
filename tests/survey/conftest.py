"""Fixtures of the survey tests: real stores (SQLite file / PostgreSQL) and the Somerville demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from zhicheng.api import create_app
from zhicheng.auth import create_token
from zhicheng.store import init_store
from zhicheng.store.schema import units
from zhicheng.workspace.survey_demo import load_somerville_demo

UNIT = "C1"


def add_unit(engine: Engine, code: str = UNIT) -> None:
    with engine.begin() as conn:
        conn.execute(units.insert().values(code=code, name_zh="测试市", name_en="Test City", level="city"))


@pytest.fixture()
def store(db_url: str) -> Iterator[Engine]:
    """A fresh migrated store with one city unit ``C1`` (SQLite file, and PostgreSQL when configured)."""
    engine = init_store(db_url)
    add_unit(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def somerville(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, object]]]:
    """A SQLite store with the real Somerville survey demo loaded (7 waves, margins, indicators)."""
    path: Path = tmp_path_factory.mktemp("somerville") / "store.db"
    engine = init_store(f"sqlite:///{path}")
    summary = load_somerville_demo(engine)
    yield engine, summary
    engine.dispose()


@pytest.fixture()
def api(db_url: str) -> Iterator[TestClient]:
    """An in-process API client on a fresh store with unit ``C1``; ``api.tokens`` maps role → token."""
    app = create_app(db_url)
    add_unit(app.state.engine)
    with TestClient(app) as c:
        c.tokens = {r: create_token(app.state.engine, r, f"t-{r}")  # type: ignore[attr-defined]
                    for r in ("admin", "analyst", "operator", "viewer")}
        yield c
    app.state.engine.dispose()


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of every survey table and of the indicator values (to prove nothing changed)."""
    names = ["survey_questionnaires", "survey_waves", "survey_wave_questions", "survey_respondents",
             "survey_answers", "survey_margins", "indicator_values", "ingest_batches"]
    with engine.connect() as conn:
        return {n: int(conn.execute(sa.text(f"SELECT count(*) FROM {n}")).scalar_one()) for n in names}
