"""The COINr reference cases (tests/peers/coinr/README.md) shared by the index tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COINR = Path(__file__).resolve().parents[1] / "peers" / "coinr"

V1_STEPS = [
    {"treat": {"winmax": 5}},
    {"normalise": {"method": "minmax", "l_u": [0, 100]}},
    {"aggregate": {"method": "amean"}},
]
V0_STEPS = V1_STEPS[1:]
# build_example_coin(): Denominate -> Impute(i_mean_grp, EurAsia_group) -> Screen(byNA, 0.9)
# -> Treat(winmax 5) -> Normalise(minmax 0-100) -> Aggregate(amean)
V4_STEPS = [
    {"denominate": {}},
    {"impute": {"method": "mean_grp", "use_group": "EurAsia_group"}},
    {"screen": {"unit_screen": "byNA", "dat_thresh": 0.9}},
    {"treat": {"winmax": 5}},
    {"normalise": {"method": "minmax", "l_u": [0, 100]}},
    {"aggregate": {"method": "amean"}},
]


def read_ref(name: str) -> pd.DataFrame:
    """A COINr reference CSV (written by R's write.csv, empty cell = NA)."""
    return pd.read_csv(COINR / name)
