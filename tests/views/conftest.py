"""A small real workspace (eight cities, real values, one evaluation run) for the read models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.cockpit_workspace import Workspace, build_workspace
from zhicheng.api import create_app
from zhicheng.store import init_store


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace per test module (read-only: tests that write make their own)."""
    path = tmp_path_factory.mktemp("report") / "store.db"
    engine = init_store(f"sqlite:///{path}")
    built = build_workspace(engine)
    app = create_app(engine)
    with TestClient(app) as client:
        yield Workspace(engine=engine, client=client, built=built)
    engine.dispose()
