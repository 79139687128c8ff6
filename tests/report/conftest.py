"""Where the report tests keep what they render (the built store is ``report_db`` in tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rendered pages kept for a person to look at: ``ZHICHENG_TEST_ARTEFACTS`` or a tmp dir (never committed)."""
    chosen = os.environ.get("ZHICHENG_TEST_ARTEFACTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("report-artefacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
