"""Rank intervals of a stored run under noisy weights: bounds, seeds, a hand-derived case, the cockpit.

The hand-derived case (``test_mean_ranks_match_the_weight_ratio_probabilities``) follows from the
method's definition (OECD/JRC Handbook 2008, §6.2 weighted arithmetic mean; COINr
``get_noisy_weights``: each weight uniform within ±f of its nominal value): with two domains whose
scores are fixed, a unit's index is linear in ``r = w_D3 / (w_D3 + w_D4)``, so rank swaps happen at
thresholds of ``r`` whose probabilities are integrated here independently of the index engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from tests.support.cockpit_workspace import build_workspace
from zhicheng.cli import app
from zhicheng.evaluate import EvaluationError, ingest_file
from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.uncertainty import UNCERTAINTY_COLUMNS, run_uncertainty
from zhicheng.goals import builtin_framework
from zhicheng.store import init_store
from zhicheng.store.schema import evaluation_results, evaluation_runs
from zhicheng.store.schema_uncertainty import evaluation_uncertainty
from zhicheng.views import ReportService

INDEX = builtin_framework().id
A, B, C, D = "440100", "440300", "320100", "320200"
#: Scores (distance to target, capped): A D3 40, D4 100; B D3 100, D4 66.7; C D3 80, D4 33.3; D 0, 0.
VALUES = f"""unit,indicator,period,value
{A},D4.R1.I2,2020,150000
{B},D4.R1.I2,2020,80000
{C},D4.R1.I2,2020,60000
{D},D4.R1.I2,2020,40000
{A},D4.R2.I1,2020,70
{B},D4.R2.I1,2020,50
{C},D4.R2.I1,2020,45
{D},D4.R2.I1,2020,40
{A},D3.R3.I1,2020,10
{B},D3.R3.I1,2020,6
{C},D3.R3.I1,2020,8
{D},D3.R3.I1,2020,12
"""


@pytest.fixture
def workspace(db_url: str) -> Iterator[tuple[Engine, int]]:
    """Eight real cities (census and yearly statistics) evaluated for 2020, on SQLite or PostgreSQL."""
    engine = init_store(db_url)
    yield engine, _run_id(engine)
    engine.dispose()


def _run_id(engine: Engine) -> int:
    built = build_workspace(engine)
    return int(str(built["run_id"]))


def _stored(engine: Engine, run_id: int, code: str = INDEX) -> pd.DataFrame:
    t = evaluation_uncertainty
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id, t.c.code == code).order_by(t.c.unit_code))
        return pd.DataFrame(rows.mappings().all())


def _stored_ranks(engine: Engine, run_id: int) -> dict[str, int]:
    r = evaluation_results
    with engine.connect() as conn:
        return {u: int(k) for u, k in conn.execute(sa.select(r.c.unit_code, r.c.rank).where(
            r.c.run_id == run_id, r.c.level == "index"))}


def test_intervals_are_ordered_bounded_and_hold_the_stored_rank(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    frame = run_uncertainty(engine, run_id, n=400, noise=0.5)
    assert list(frame.columns) == UNCERTAINTY_COLUMNS
    ranks = _stored_ranks(engine, run_id)
    n_units = len(ranks)
    assert n_units == 8 and sorted(frame["unit_code"]) == sorted(ranks)
    assert (frame["rank_q5"] <= frame["rank_median"]).all() and (frame["rank_median"] <= frame["rank_q95"]).all()
    assert frame[["rank_q5", "rank_q95", "rank_mean"]].stack().between(1, n_units).all()
    assert {u: int(k) for u, k in zip(frame["unit_code"], frame["rank_nominal"], strict=True)} == ranks
    assert (frame["rank_q5"] <= frame["rank_nominal"]).all() and (frame["rank_nominal"] <= frame["rank_q95"]).all()
    assert (frame["rank_q95"] > frame["rank_q5"]).any()  # ±50 % weights do move some of these cities
    stored = _stored(engine, run_id)
    assert len(stored) == n_units and set(stored["level"]) == {"index"} and set(stored["replications"]) == {400}
    expected = frame.sort_values("unit_code").reset_index(drop=True)
    pd.testing.assert_series_equal(stored["rank_q95"], expected["rank_q95"], check_names=False)
    spec = json.loads(stored["spec"].iloc[0])
    # The workspace's run is of rules 1 (score = attainment): only the weights vary.
    assert [i["noisy_weights"]["levels"] for i in spec["inputs"]] == [{"2": 0.5}, {"3": 0.5}]
    assert spec["n"] == 400 and spec["target"] == INDEX
    # Whole ranks: Q5 rounded down, Q95 up.
    assert (frame["rank_q5"] % 1 == 0).all() and (frame["rank_q95"] % 1 == 0).all()


def test_a_rules2_run_varies_normalisation_and_aggregation_too(workspace: tuple[Engine, int]) -> None:
    engine, _ = workspace
    run = evaluate(engine, "2020", config=MethodConfig(lookback=1))
    frame = run_uncertainty(engine, run.run_id, n=300, noise=0.25, seed=2)
    spec = json.loads(frame["spec"].iloc[0])
    # As COINr's uncertainty analysis: weights, the normalisation and the aggregation vary.
    assert [i["name"] for i in spec["inputs"]] == ["requirement weights", "domain weights", "normalisation",
                                                   "aggregation"]
    assert (frame["rank_q5"] % 1 == 0).all() and (frame["rank_q95"] % 1 == 0).all()
    ranks = {u: int(k) for u, k in zip(run.results.loc[run.results["level"] == "index", "unit_code"],
                                       run.results.loc[run.results["level"] == "index", "rank"], strict=True)}
    assert {u: int(k) for u, k in zip(frame["unit_code"], frame["rank_nominal"], strict=True)} == ranks
    weights_only = run_uncertainty(engine, run.run_id, n=300, noise=0.0, seed=2, vary_methods=False)
    assert (weights_only["rank_q5"] == weights_only["rank_q95"]).all()  # no noise, no method change: fixed
    assert (frame["rank_q95"] - frame["rank_q5"]).sum() > 0  # the methods alone move ranks


def test_a_fixed_seed_repeats_and_a_rerun_replaces(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    first = run_uncertainty(engine, run_id, n=300, noise=0.5, seed=7)
    again = run_uncertainty(engine, run_id, n=300, noise=0.5, seed=7)
    pd.testing.assert_frame_equal(first, again)
    other = run_uncertainty(engine, run_id, n=300, noise=0.5, seed=8)
    assert not np.allclose(first["rank_mean"], other["rank_mean"])
    stored = _stored(engine, run_id)
    assert len(stored) == 8  # replaced, not added
    assert stored.set_index("unit_code")["rank_mean"].to_dict() == pytest.approx(
        other.set_index("unit_code")["rank_mean"].to_dict())


def test_zero_noise_gives_the_nominal_rank(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    frame = run_uncertainty(engine, run_id, n=50, noise=0.0, vary_methods=False)
    nominal = frame["rank_nominal"].astype(float)
    for col in ("rank_q5", "rank_q95", "rank_median", "rank_mean"):
        assert frame[col].tolist() == nominal.tolist(), col


def test_the_cockpit_ranking_carries_the_interval(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    service = ReportService(engine)
    before = service.ranking(run_id)
    assert before["has_intervals"] is False and all(r["rank_interval"] is None for r in before["rows"])
    frame = run_uncertainty(engine, run_id, n=200, noise=0.5).set_index("unit_code")
    after = service.ranking(run_id)  # the same service: the new analysis makes its cached answer stale
    assert after["has_intervals"] is True
    assert {r["unit_code"]: r["rank_interval"] for r in after["rows"]} == {
        u: [frame.at[u, "rank_q5"], frame.at[u, "rank_q95"]] for u in frame.index}
    assert all(lo <= r["rank"] <= hi for r in after["rows"] for lo, hi in [r["rank_interval"]])
    domain = run_uncertainty(engine, run_id, n=100, noise=0.5, code="D4")
    assert set(domain["level"]) == {"domain"} and len(_stored(engine, run_id, "D4")) == 8
    assert service.ranking(run_id, code="D4")["has_intervals"] is False  # the cockpit shows the index's
    assert {r["unit_code"]: r["rank_interval"] for r in service.ranking(run_id)["rows"]} == {
        u: [frame.at[u, "rank_q5"], frame.at[u, "rank_q95"]] for u in frame.index}


def test_deleting_a_run_deletes_its_intervals(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    run_uncertainty(engine, run_id, n=20)
    with engine.begin() as conn:
        conn.execute(sa.delete(evaluation_runs).where(evaluation_runs.c.id == run_id))
    assert _stored(engine, run_id).empty


def _probability_ratio_above(t: float, noise: float, points: int = 200_000) -> float:
    """P(w3 / (w3 + w4) > t) for w3, w4 independent uniform on [1 - f, 1 + f] (midpoint rule over w4)."""
    lo, hi = 1 - noise, 1 + noise
    w4 = lo + (np.arange(points) + 0.5) * (hi - lo) / points
    k = t / (1 - t)  # r > t  <=>  w3 > k w4
    return float(np.clip((hi - k * w4) / (hi - lo), 0, 1).mean())


def test_mean_ranks_match_the_weight_ratio_probabilities(store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text(VALUES, encoding="utf-8")
    ingest_file(store, path)
    # Rules 1 (score = distance to target, the weights varied only), whose scores the docstring derives.
    run = evaluate(store, "2020", config=MethodConfig(rules=1, normalise={"method": "dist2targ", "cap_max": True}))
    # Index = r D3 + (1 - r) D4: A = 100 - 60 r, B = 66.7 + 33.3 r, C = 33.3 + 46.7 r, D = 0 (requirement
    # weights cannot matter: each unit scores the same on D4.R1 and D4.R2). B passes A for r > 5/14,
    # C passes A for r > 5/8; C never passes B.
    noise = 0.9
    frame = run_uncertainty(store, run.run_id, n=4000, noise=noise, seed=3).set_index("unit_code")
    p_ba, p_ca = _probability_ratio_above(5 / 14, noise), _probability_ratio_above(5 / 8, noise)
    assert 0.05 < p_ca < 0.5 < p_ba < 0.95  # both swaps are common enough to be measured
    # Monte Carlo standard error of each mean below 0.015 at 4,000 replications: tolerance 0.05.
    assert frame.at[A, "rank_mean"] == pytest.approx(1 + p_ba + p_ca, abs=0.05)
    assert frame.at[B, "rank_mean"] == pytest.approx(2 - p_ba, abs=0.05)
    assert frame.at[C, "rank_mean"] == pytest.approx(3 - p_ca, abs=0.05)
    assert frame.at[D, "rank_q5"] == frame.at[D, "rank_q95"] == 4
    assert frame["rank_nominal"].to_dict() == {A: 2, B: 1, C: 3, D: 4}


def test_bad_settings_and_unknown_runs_write_nothing(workspace: tuple[Engine, int]) -> None:
    engine, run_id = workspace
    with pytest.raises(EvaluationError) as bad:
        run_uncertainty(engine, run_id, n=1, noise=1.5)
    assert [p.reason for p in bad.value.problems] == [
        "n must be at least 2 (got 1)", "noise must be in [0, 1) as a fraction of each weight (got 1.5)"]
    with pytest.raises(EvaluationError, match="no evaluation run 999"):
        run_uncertainty(engine, 999)
    with pytest.raises(EvaluationError, match="neither the index nor a domain"):
        run_uncertainty(engine, run_id, code="D4.R1")
    assert _stored(engine, run_id).empty


def test_cli_uncertainty_and_evaluate_with_intervals(tmp_path: Path) -> None:
    db = str(tmp_path / "ws.db")
    engine = init_store(f"sqlite:///{db}")
    run_id = _run_id(engine)
    runner = CliRunner()
    out = runner.invoke(app, ["uncertainty", "--run", str(run_id), "--n", "200", "--noise", "0.5", "--db", db])
    assert out.exit_code == 0, out.output
    assert "rank intervals of 8 units from 200 replications" in out.output and "widest rank intervals" in out.output
    assert len(_stored(engine, run_id)) == 8
    bad = runner.invoke(app, ["uncertainty", "--noise", "2", "--db", db])
    assert bad.exit_code == 2 and "noise must be in [0, 1)" in bad.output and "Traceback" not in bad.output
    ev = runner.invoke(app, ["evaluate", "--period", "2020", "--uncertainty", "100", "--db", db])
    assert ev.exit_code == 0, ev.output
    with engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(evaluation_runs.c.id))).scalar_one()
    assert newest != run_id and set(_stored(engine, newest)["replications"]) == {100}
    engine.dispose()
