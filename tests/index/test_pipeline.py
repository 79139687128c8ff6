"""The pipeline records its steps, can be edited and re-run, and builds from a plain hierarchy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.index.coinr_cases import V0_STEPS, V1_STEPS, read_ref
from zhicheng.index import Coin, Pipeline, run_pipeline
from zhicheng.index.results import group_ranks, maturity_grade, strengths_weaknesses


def test_steps_recorded_and_edit_rerun(asem: Coin) -> None:
    pipe = Pipeline(asem, V1_STEPS)
    assert pipe.steps == [("treat", {"winmax": 5}), ("normalise", {"method": "minmax", "l_u": [0, 100]}),
                          ("aggregate", {"method": "amean"})]
    first = pipe.run().index.copy()
    pipe.set("normalise", l_u=[1, 100]).set("aggregate", method="gmean")
    second = pipe.run()
    assert pipe.steps[1][1]["l_u"] == [1, 100]
    assert not np.allclose(first, second.index)
    assert second.datasets["Normalised"].min().min() == 1.0
    # with_changes leaves the original alone
    back = pipe.with_changes({"normalise": {"l_u": [0, 100]}, "aggregate": {"method": "amean"}})
    np.testing.assert_allclose(back.run().index, first, rtol=1e-12)
    assert pipe.steps[2][1]["method"] == "gmean"


def test_run_pipeline_from_plain_hierarchy_matches_coinr_v0(asem: Coin) -> None:
    meta = asem.meta
    hierarchy = list(zip(meta["iCode"], meta["Parent"], meta["Level"], meta["Weight"], strict=True))
    directions = asem.directions
    res = run_pipeline(asem.data, hierarchy, directions, V0_STEPS)
    ref = read_ref("v0_raw_minmax_amean_aggregated.csv").set_index("uCode")
    np.testing.assert_allclose(res.scores(4)["Index"].loc[ref.index], ref["Index"], rtol=1e-9)
    np.testing.assert_allclose(res.scores(2).loc[ref.index, "Physical"], ref["Physical"], rtol=1e-9)
    assert res.ranks(4)["Index"].loc["DEU"] == 1


def test_results_helpers(asem: Coin) -> None:
    res = Pipeline(asem, V1_STEPS).run()
    gr = group_ranks(res.scores(4), asem.groups["EurAsia_group"])
    assert gr.loc["DEU", "Index"] == 1 and gr[asem.groups["EurAsia_group"] == "Asia"]["Index"].min() == 1
    ranks = res.ranks(1)
    strong, weak = strengths_weaknesses(ranks, "DEU", asem.indicators, 3, 3)
    assert len(strong) == 3 and len(weak) == 3
    assert ranks.loc["DEU", strong].max() <= ranks.loc["DEU", weak].min()
    grades = maturity_grade(pd.Series([10.0, 40.0, 60.0, np.nan]), [30, 50], ["L1", "L2", "L3"])
    assert list(grades) == ["L1", "L2", "L3", None]
