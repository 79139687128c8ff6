"""Shared helpers of the air tests: slices of the real Beijing files."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pytest

BEIJING = Path(__file__).resolve().parents[2] / "data" / "air_quality" / "beijing_multisite"

SliceMaker = Callable[..., Path]


@lru_cache(maxsize=16)
def _lines(station: str) -> tuple[str, ...]:
    src = BEIJING / f"PRSA_Data_{station}_20130301-20170228.csv.gz"
    with gzip.open(src, "rt", encoding="utf-8") as f:
        return tuple(f.read().splitlines())


def write_slice(tmp_path: Path, station: str, first_line: int = 7346, lines: int = 24 * 10) -> Path:
    """The header and ``lines`` rows of a real station file (line 7346 is 2014-01-01 00:00)."""
    all_lines = _lines(station)
    out = tmp_path / f"PRSA_Data_{station}_slice.csv"
    out.write_text(
        "\n".join([all_lines[0], *all_lines[first_line - 1 : first_line - 1 + lines]]) + "\n"
    )
    return out


@pytest.fixture
def beijing_slice() -> SliceMaker:
    """Make a slice of a real Beijing station file: ``beijing_slice(tmp_path, station, first_line)``."""
    return write_slice
