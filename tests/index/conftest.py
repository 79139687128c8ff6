"""Fixtures of the composite-index tests: COINr's ASEM example (tests/peers/coinr)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.index.coinr_cases import read_ref
from zhicheng.index import Coin


@pytest.fixture(scope="session")
def asem_idata() -> pd.DataFrame:
    return read_ref("ASEM_iData.csv")


@pytest.fixture(scope="session")
def asem_imeta() -> pd.DataFrame:
    return read_ref("ASEM_iMeta.csv")


@pytest.fixture(scope="session")
def asem(asem_idata: pd.DataFrame, asem_imeta: pd.DataFrame) -> Coin:
    return Coin.from_coinr(asem_idata, asem_imeta)
