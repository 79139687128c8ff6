"""Fixtures of the events tests: a migrated store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from zhicheng.store import init_store


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    """A fresh migrated store (SQLite file, and PostgreSQL when configured)."""
    eng = init_store(db_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated SQLite store only (for the heavier replay tests)."""
    eng = init_store(tmp_path / "events.db")
    yield eng
    eng.dispose()
