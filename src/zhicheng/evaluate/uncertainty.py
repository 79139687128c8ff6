"""Uncertainty analysis of a stored run: how firm each unit's rank is when the weights vary.

:func:`run_uncertainty` rebuilds a run's scoring exactly as :func:`zhicheng.evaluate.service.evaluate`
did (same units, values, look-back, treatment and normalisation against targets), then lets the
index engine (:func:`zhicheng.index.sensitivity.run_sensitivity`) re-aggregate the normalised
scores ``n`` times with noisy weights at the requirement and domain levels (COINr
``get_noisy_weights``). Each unit's rank statistics (nominal, mean, median, 5 % and 95 %
quantiles) are stored in ``evaluation_uncertainty``, replacing earlier ones of the run, in one
transaction; the cockpit shows Q5–Q95 beside each rank.

Only the weights are varied. Switching the aggregation to a geometric mean is not valid here (the
worst evaluated unit scores 0 on every indicator normalised by distance to target), and the
alternatives of the normalisation are left out because the run's fraction methods are scaled to
0–100 outside the engine's pipeline, which a re-run of that stage would not repeat.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.config import MethodConfig, stored_config
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.scoring import LEVEL_NAMES, Tree, normalise_period
from zhicheng.evaluate.service import period_values
from zhicheng.index import Coin, IndexInputError, Pipeline
from zhicheng.index.sensitivity import SensitivitySpec, run_sensitivity
from zhicheng.store.schema import evaluation_results, evaluation_runs, framework_versions
from zhicheng.store.schema_uncertainty import evaluation_uncertainty

#: Columns of the frame :func:`run_uncertainty` returns (and stores, with ``run_id``).
UNCERTAINTY_COLUMNS = ["unit_code", "code", "level", "rank_nominal", "rank_mean", "rank_median",
                       "rank_q5", "rank_q95", "replications", "spec"]
#: Levels whose weights are varied: requirements (weights of their aggregation into domains) and domains.
NOISY_LEVELS = {"requirement": 2, "domain": 3}


@dataclass(frozen=True)
class _Run:
    run_id: int
    period: str
    config: MethodConfig
    framework: Any
    units: list[str]


def _load_run(conn: Connection, run_id: int | None) -> _Run:
    """The stored run (the newest when ``run_id`` is None), its configuration, framework and units."""
    from zhicheng.goals import Framework

    r, fv = evaluation_runs, framework_versions
    query = sa.select(r.c.id, r.c.period, r.c.config, fv.c.content).join(fv, fv.c.id == r.c.framework_version_id)
    query = query.order_by(r.c.id.desc()) if run_id is None else query.where(r.c.id == run_id)
    row = conn.execute(query).first()
    if row is None:
        raise EvaluationError("no evaluation has been run yet" if run_id is None else f"no evaluation run {run_id}")
    res = evaluation_results
    unit_codes = list(conn.execute(sa.select(res.c.unit_code).where(
        res.c.run_id == row.id, res.c.level == "index").order_by(res.c.unit_code)).scalars())
    try:
        config = stored_config(row.config)
        framework = Framework.model_validate(json.loads(row.content))
    except (ValueError, yaml.YAMLError) as exc:
        raise EvaluationError(problems=[Problem(f"run {row.id} cannot be rebuilt: {exc}")]) from None
    return _Run(int(row.id), str(row.period), config, framework, [str(u) for u in unit_codes])


def _effective_weights(tree: Tree, config: MethodConfig, codes: list[str]) -> dict[str, float]:
    """The weights the run aggregated with: the framework's, all equal, or the configuration's."""
    if config.weights == "equal":
        return {c: 1.0 for c in codes}
    weights = {c: tree.weight[c] for c in codes}
    if isinstance(config.weights, dict):
        weights.update({c: float(w) for c, w in config.weights.items() if c in weights})
    return weights


def nominal_pipeline(values: pd.DataFrame, tree: Tree, config: MethodConfig) -> Pipeline:
    """The run's aggregation as an index-engine pipeline over its normalised scores [0–100 points].

    The indicators are normalised exactly as :func:`zhicheng.evaluate.scoring.score_period` does
    (fraction methods scaled to 0–100); the pipeline left holds one step, the aggregation, with the
    run's weights in the hierarchy, so that weight noise is drawn around them.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), §5.2, §6.1–6.2; COINr ``Regen()``.
    """
    present = [c for c in values.columns if values[c].notna().any()]
    if not present:
        raise EvaluationError("no indicator of the run has data any more")
    try:
        prepared = normalise_period(values[present], tree, config)
        hierarchy = prepared.hierarchy
        weights = _effective_weights(tree, config, [c for c, *_ in hierarchy])
        scored = Coin.from_hierarchy(prepared.scores[present],
                                     [(c, p, lv, weights[c]) for c, p, lv, _ in hierarchy],
                                     dict.fromkeys(present, 1))
    except IndexInputError as exc:
        raise EvaluationError(f"the run cannot be rebuilt: {exc}", exc.problems) from None
    aggregate = {k: v for k, v in prepared.pipeline.steps[-1][1].items() if k not in ("w", "weights")}
    return Pipeline(scored, [{"aggregate": aggregate}])


def uncertainty_spec(n: int, noise: float, seed: int, target: str) -> dict[str, Any]:
    """The engine's spec (``zhicheng index sensitivity`` layout): noisy requirement and domain weights.

    References
    ----------
    COINr ``get_noisy_weights()`` and ``get_sensitivity(SA_type = "UA")``; OECD/JRC Handbook (2008), Step 7.
    """
    return {
        "sa_type": "UA", "n": int(n), "seed": int(seed), "target": target,
        "inputs": [{"name": f"{name} weights", "stage": "aggregate",
                    "noisy_weights": {"levels": {level: float(noise)}, "n": int(n)}}
                   for name, level in NOISY_LEVELS.items()],
    }


def _check(n: int, noise: float) -> None:
    problems = []
    if n < 2:
        problems.append(Problem(f"n must be at least 2 (got {n})"))
    if not 0.0 <= noise < 1.0:
        problems.append(Problem(f"noise must be in [0, 1) as a fraction of each weight (got {noise:g})"))
    if problems:
        raise EvaluationError("bad uncertainty settings", problems)


def _stats_frame(stats: pd.DataFrame, code: str, level: str, n_runs: int, spec: str) -> pd.DataFrame:
    nominal = pd.to_numeric(stats["Nominal"], errors="coerce")
    frame = pd.DataFrame({
        "unit_code": stats["uCode"].astype(str), "code": code, "level": level,
        "rank_nominal": nominal.round().astype("Int64"),
        "rank_mean": stats["Mean"].astype(float), "rank_median": stats["Median"].astype(float),
        "rank_q5": stats["Q5"].astype(float), "rank_q95": stats["Q95"].astype(float),
        "replications": n_runs, "spec": spec,
    })
    return frame[frame["rank_nominal"].notna()].reset_index(drop=True)


def run_uncertainty(engine: Engine, run_id: int | None = None, *, n: int = 1000, noise: float = 0.25,
                    seed: int = 1, code: str | None = None,
                    progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Rank intervals of a run's units under noisy weights, stored in ``evaluation_uncertainty``.

    Parameters
    ----------
    engine
        An initialised store holding the run.
    run_id
        The run (default: the newest).
    n
        Replications (and noisy weight sets) [count].
    noise
        Half-width of each weight's uniform noise, as a fraction of the weight [fraction, 0 ≤ f < 1].
    seed
        Seed of the random stream (the same seed gives the same intervals).
    code
        The node ranked: the index (default) or a domain id.
    progress
        Called with the number of replications done.

    Returns
    -------
    pandas.DataFrame
        One row per ranked unit, columns :data:`UNCERTAINTY_COLUMNS` [rank; 1 = best].

    Raises
    ------
    EvaluationError
        Unknown run or node, bad settings, or a run whose data no longer scores.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), Step 7 (uncertainty analysis:
    rank medians and 5–95 % intervals); COINr ``get_sensitivity()`` and ``get_noisy_weights()``.
    """
    _check(n, noise)
    with engine.connect() as conn:
        run = _load_run(conn, run_id)
        tree = Tree.from_framework(run.framework)
        target = code or tree.index_code
        if tree.level.get(target) not in (3, 4):
            raise EvaluationError(f"{target!r} is neither the index nor a domain of the run's framework")
        values, _ = period_values(conn, run.period, tree.indicators(), lookback=run.config.lookback,
                                  units_=run.units)
    values = values.reindex(run.units)
    pipeline = nominal_pipeline(values, tree, run.config)
    doc = uncertainty_spec(n, noise, seed, target)
    try:
        spec = SensitivitySpec.from_mapping(doc, pipeline)
        result = run_sensitivity(pipeline, spec, progress)
    except IndexInputError as exc:
        raise EvaluationError(f"the uncertainty analysis failed: {exc}", exc.problems) from None
    frame = _stats_frame(result.rank_stats, target, LEVEL_NAMES[tree.level[target]], result.n_runs,
                         json.dumps(doc, ensure_ascii=False, sort_keys=True))
    with engine.begin() as conn:
        t = evaluation_uncertainty
        conn.execute(sa.delete(t).where(t.c.run_id == run.run_id, t.c.code == target))
        rows = cast(list[dict[str, Any]], frame.astype(object).where(frame.notna(), None).to_dict("records"))
        if rows:
            conn.execute(sa.insert(t).values(run_id=run.run_id, created_at=dt.datetime.now(dt.UTC)), rows)
    return frame


def has_uncertainty(engine: Engine, run_id: int, code: str | None = None) -> bool:
    """Whether rank intervals of ``run_id`` (on ``code``, or on any node) are stored."""
    t = evaluation_uncertainty
    query = sa.select(sa.func.count()).select_from(t).where(t.c.run_id == run_id)
    if code is not None:
        query = query.where(t.c.code == code)
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar_one())


def widest(frame: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` units with the widest Q5–Q95 rank intervals (widest first, then best rank)."""
    out = frame.assign(width=frame["rank_q95"] - frame["rank_q5"])
    return out.sort_values(["width", "rank_nominal"], ascending=[False, True], kind="mergesort").head(top)


__all__ = ["UNCERTAINTY_COLUMNS", "has_uncertainty", "nominal_pipeline", "run_uncertainty",
           "uncertainty_spec", "widest"]
