"""Fixtures of the campaign tests: a real store with two districts, analysts' tokens, an evidence folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.support.campaign import ENV, STATS, load_units
from zhicheng.auth import create_token
from zhicheng.campaign import EvidenceStore
from zhicheng.store import init_store


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A store with the two districts and live tokens of the people who act in the tests."""
    engine = init_store(db_url)
    load_units(engine, tmp_path)
    create_token(engine, "analyst", "alice", STATS)
    create_token(engine, "analyst", "bob", ENV)
    create_token(engine, "analyst", "carol", STATS)
    yield engine
    engine.dispose()


@pytest.fixture
def evidence(tmp_path: Path) -> EvidenceStore:
    """An evidence folder with a 64 KiB limit per file."""
    return EvidenceStore(tmp_path / "evidence", max_bytes=64 * 1024, max_files=5)

