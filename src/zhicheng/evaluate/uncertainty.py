"""Uncertainty analysis of a stored run: how firm each unit's rank is when the weights vary.

:func:`run_uncertainty` rebuilds a run's scoring exactly as :func:`zhicheng.evaluate.service.evaluate`
did (same units, values, look-back, treatment and normalisation against targets), then lets the
index engine (:func:`zhicheng.index.sensitivity.run_sensitivity`) re-aggregate the normalised
scores ``n`` times with noisy weights at the requirement and domain levels (COINr
``get_noisy_weights``). Each unit's rank statistics (nominal, mean, median, 5 % and 95 %
quantiles) are stored in ``evaluation_uncertainty``, replacing earlier ones of the run, in one
transaction; the cockpit shows Q5–Q95 beside each rank.

Runs of rules 2 (min-max across the ranked units) vary, as COINr's uncertainty analysis does,
the weights *and* the methods: the normalisation (min-max on [1, 100] or z-scores with mean 10
and standard deviation 2, COINr's example alternatives) and the aggregation (arithmetic or
geometric mean), each replication drawing one of each, over the ranked units of the largest
comparison group and their common indicator set. Where a z-score falls to 0 or below (an extreme
outlier), the geometric mean is not defined and the aggregation is left at the arithmetic mean
(the stored spec says so).

Runs of rules 1 (score = attainment of target) vary only the weights: the worst evaluated unit
scores 0 on every indicator there, so no geometric mean exists, and the run's fraction methods are
scaled to 0–100 outside the engine's pipeline, which a re-run of that stage would not repeat.

Rank intervals are stored as whole ranks: Q5 rounded down, Q95 rounded up (the interval never
looks narrower than it is); the median of whole ranks is a whole or half rank.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

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
from zhicheng.store.schema import evaluation_results, evaluation_runs, framework_versions, units
from zhicheng.store.schema_uncertainty import evaluation_uncertainty

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework

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
    framework: Framework
    units: list[str]
    note: dict[str, Any]


def _load_run(conn: Connection, run_id: int | None) -> _Run:
    """The stored run (the newest when ``run_id`` is None), its configuration, framework and units."""
    from zhicheng.goals import Framework

    r, fv = evaluation_runs, framework_versions
    query = sa.select(r.c.id, r.c.period, r.c.config, fv.c.content, r.c.note).join(
        fv, fv.c.id == r.c.framework_version_id)
    query = query.order_by(r.c.id.desc()) if run_id is None else query.where(r.c.id == run_id)
    row = conn.execute(query).first()
    if row is None:
        raise EvaluationError("no evaluation has been run yet" if run_id is None else f"no evaluation run {run_id}")
    res = evaluation_results
    query_units = sa.select(res.c.unit_code).where(res.c.run_id == row.id, res.c.level == "index")
    note = json.loads(row.note or "{}")
    if note.get("rules") == 2:
        # The ranked units of the largest comparison group.
        groups = note.get("groups") or {}
        group = max(groups, key=lambda g: (groups[g]["ranked"], g)) if groups else None
        note["group"] = group
        query_units = query_units.where(res.c.rank_status == "ranked")
    unit_codes = list(conn.execute(query_units.order_by(res.c.unit_code)).scalars())
    if note.get("rules") == 2:
        from zhicheng.evaluate.rules import comparison_group

        names = {str(c): g for c, g in conn.execute(
            sa.select(units.c.code, units.c.group_name).where(units.c.code.in_(unit_codes))).all()}
        unit_codes = [u for u in unit_codes if comparison_group(u, names.get(u)) == note.get("group")]
    try:
        config = stored_config(row.config)
        framework = Framework.model_validate(json.loads(row.content))
    except (ValueError, yaml.YAMLError) as exc:
        raise EvaluationError(problems=[Problem(f"run {row.id} cannot be rebuilt: {exc}")]) from None
    return _Run(int(row.id), str(row.period), config, framework, [str(u) for u in unit_codes], note)


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


#: Normalisation alternatives of a rules-2 uncertainty analysis (COINr's example: positive ranges,
#: so that the geometric mean is defined).
NORMALISATIONS = [{"method": "minmax", "l_u": [1, 100]}, {"method": "zscore", "m_sd": [10, 2]}]
AGGREGATIONS = ["amean", "gmean"]


def ranking_pipeline(values: pd.DataFrame, tree: Tree, config: MethodConfig) -> Pipeline:
    """A rules-2 run's scoring as an engine pipeline over the raw common set: treat, normalise, aggregate.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), §5.2 (min-max), §6.1–6.2;
    COINr ``Normalise()``, ``Aggregate()``.
    """
    from zhicheng.evaluate.scoring import _hierarchy

    present = [c for c in values.columns if values[c].notna().any()]
    if not present:
        raise EvaluationError("no indicator of the run has data any more")
    hierarchy = _hierarchy(tree, present)
    weights = _effective_weights(tree, config, [c for c, *_ in hierarchy])
    try:
        coin = Coin.from_hierarchy(values[present], [(c, p, lv, weights[c]) for c, p, lv, _ in hierarchy],
                                   {c: tree.direction.get(c, 1) for c in present})
    except IndexInputError as exc:
        raise EvaluationError(f"the run cannot be rebuilt: {exc}", exc.problems) from None
    steps: list[dict[str, Any]] = [{"treat": dict(config.treat)}] if config.treat else []
    steps.append({"normalise": dict(config.normalise)})
    steps.append({"aggregate": {k: v for k, v in config.aggregate.items() if k not in ("w", "weights")}})
    return Pipeline(coin, steps)


def methods_spec(n: int, noise: float, seed: int, target: str, *, geometric: bool = True) -> dict[str, Any]:
    """The engine's spec of a rules-2 analysis: noisy weights, normalisation and aggregation alternatives.

    References
    ----------
    COINr ``get_sensitivity(SA_type = "UA")`` with ``Normalise`` and ``Aggregate`` alternatives and
    ``get_noisy_weights()`` (COINr vignette "Sensitivity analysis"); OECD/JRC Handbook (2008), Step 7.
    """
    doc = uncertainty_spec(n, noise, seed, target)
    doc["inputs"].append({"name": "normalisation", "stage": "normalise", "alternatives": NORMALISATIONS,
                          "labels": ["minmax [1, 100]", "zscore (10, 2)"]})
    if geometric:
        doc["inputs"].append({"name": "aggregation", "stage": "aggregate", "param": "method",
                              "values": AGGREGATIONS})
    return doc


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
    q5 = stats["Q5"].astype(float).map(lambda v: float(math.floor(v + 1e-9)) if pd.notna(v) else v)
    q95 = stats["Q95"].astype(float).map(lambda v: float(math.ceil(v - 1e-9)) if pd.notna(v) else v)
    frame = pd.DataFrame({
        "unit_code": stats["uCode"].astype(str), "code": code, "level": level,
        "rank_nominal": nominal.round().astype("Int64"),
        "rank_mean": stats["Mean"].astype(float), "rank_median": stats["Median"].astype(float),
        "rank_q5": q5, "rank_q95": q95,
        "replications": n_runs, "spec": spec,
    })
    return frame[frame["rank_nominal"].notna()].reset_index(drop=True)


def run_uncertainty(engine: Engine, run_id: int | None = None, *, n: int = 1000, noise: float = 0.25,
                    seed: int = 1, code: str | None = None,
                    progress: Callable[[int], None] | None = None, vary_methods: bool = True) -> pd.DataFrame:
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
    vary_methods
        For runs of rules 2, also vary the normalisation and the aggregation (default); False
        varies the weights only.

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
    if run.config.rules == 2 and vary_methods:
        common = ((run.note.get("groups") or {}).get(run.note.get("group")) or {}).get("common") or []
        pipeline = ranking_pipeline(values.reindex(columns=common), tree, run.config)
        doc = methods_spec(n, noise, seed, target)
    elif run.config.rules == 2:
        common = ((run.note.get("groups") or {}).get(run.note.get("group")) or {}).get("common") or []
        pipeline = ranking_pipeline(values.reindex(columns=common), tree, run.config)
        doc = uncertainty_spec(n, noise, seed, target)
    else:
        pipeline = nominal_pipeline(values, tree, run.config)
        doc = uncertainty_spec(n, noise, seed, target)
    try:
        try:
            spec = SensitivitySpec.from_mapping(doc, pipeline)
            result = run_sensitivity(pipeline, spec, progress)
        except IndexInputError as exc:
            if run.config.rules != 2 or "geometric" not in str(exc):
                raise
            doc = methods_spec(n, noise, seed, target, geometric=False)
            doc["note"] = f"geometric mean left out: {exc}"
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


__all__ = ["UNCERTAINTY_COLUMNS", "has_uncertainty", "methods_spec", "nominal_pipeline", "ranking_pipeline",
           "run_uncertainty", "uncertainty_spec", "widest"]
