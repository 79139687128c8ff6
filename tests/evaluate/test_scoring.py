"""Per-indicator scoring rules of :mod:`zhicheng.evaluate.scoring`, derived by hand.

Goalposts (OECD/JRC Handbook 2008, §5; COINr ``n_goalposts``): 0 points at the bad end of the
plausible range, 100 at the target, linear between and capped at 100 [points].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.scoring import Tree, normalise_period, score_period

TREE = Tree(
    index_code="X",
    level={"X": 4, "D": 3, "R": 2, "up": 1, "down": 1},
    parent={"X": None, "D": "X", "R": "D", "up": "R", "down": "R"},
    weight={"X": 1.0, "D": 1.0, "R": 1.0, "up": 1.0, "down": 1.0},
    direction={"up": 1, "down": -1},
    target={"up": 10.0, "down": 5.0},
    plausible={"up": (0.0, 20.0), "down": (0.0, 25.0)},
    thresholds=(0.0, 60.0, 80.0),
)
DATA = pd.DataFrame({"up": [0.0, 5.0, 15.0], "down": [25.0, 15.0, 2.0]}, index=["a", "b", "c"])


def test_goalposts_run_from_the_bad_end_of_the_plausible_range_to_the_target() -> None:
    scores = normalise_period(DATA, TREE, MethodConfig(normalise={"method": "goalposts"})).scores
    # up (higher is better): x / 10 × 100, capped; down (lower is better): (25 − x) / (25 − 5) × 100, capped.
    np.testing.assert_allclose(scores["up"], [0.0, 50.0, 100.0], rtol=1e-12)
    np.testing.assert_allclose(scores["down"], [0.0, 50.0, 100.0], rtol=1e-12)


def test_normalised_scores_aggregate_to_the_mean() -> None:
    scored = score_period(DATA, TREE, MethodConfig(normalise={"method": "goalposts"}), with_lift=False)
    assert scored.scores.loc["b", "X"] == pytest.approx(50.0, rel=1e-12)
