"""Scoring one period's values with the index engine: normalise against targets, aggregate, lift.

This module turns a units × indicators frame and a framework into scores at every level, using
the index engine's public pipeline (:mod:`zhicheng.index`); it does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zhicheng.evaluate.config import FRACTION_METHODS, MethodConfig
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.index import Coin, IndexInputError, Pipeline, Results

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework

#: Level names by the index engine's level numbers (1 = indicators … 4 = the index).
LEVEL_NAMES = {1: "indicator", 2: "requirement", 3: "domain", 4: "index"}


@dataclass(frozen=True)
class Tree:
    """The framework as the service needs it: nodes, parents, weights, directions and targets."""

    index_code: str
    level: dict[str, int]
    parent: dict[str, str | None]
    weight: dict[str, float]
    direction: dict[str, int]
    target: dict[str, float]
    plausible: dict[str, tuple[float, float]]
    thresholds: tuple[float, ...]
    #: Context indicators (shown, never scored).
    context: frozenset[str] = frozenset()

    @classmethod
    def from_framework(cls, framework: Framework) -> Tree:
        """Read the tree off a goal-model ``Framework`` (its ``hierarchy()`` and indicators)."""
        level: dict[str, int] = {}
        parent: dict[str, str | None] = {}
        weight: dict[str, float] = {}
        for code, par, depth, w in framework.hierarchy():
            level[code] = 4 - int(depth)
            parent[code] = par
            weight[code] = float(w)
        inds = framework.indicators()
        return cls(
            index_code=framework.id,
            level=level,
            parent=parent,
            weight=weight,
            direction={i.id: int(i.direction) for i in inds},
            target={i.id: float(i.target) for i in inds if i.target is not None},
            plausible={i.id: (float(i.plausible[0]), float(i.plausible[1])) for i in inds if i.plausible},
            thresholds=tuple(float(g.min) for g in framework.grades),
            context=frozenset(i.id for i in inds if getattr(i, "role", "performance") == "context"),
        )

    def indicators(self) -> list[str]:
        """Indicator codes in framework order."""
        return [c for c, lv in self.level.items() if lv == 1]

    def performance(self) -> list[str]:
        """Indicator codes that are scored (every indicator but the context ones), in framework order."""
        return [c for c in self.indicators() if c not in self.context]

    def ancestors(self, code: str) -> list[str]:
        """The code's parents up to the index."""
        out = []
        node = self.parent.get(code)
        while node is not None:
            out.append(node)
            node = self.parent.get(node)
        return out

    def membership(self, codes: list[str], *, performance: bool = False) -> pd.DataFrame:
        """0/1 matrix indicators × nodes: 1 where the indicator lies under the node (or is it).

        With ``performance``, only the scored indicators are rows (context ones left out).
        """
        inds = self.performance() if performance else self.indicators()
        m = pd.DataFrame(0.0, index=inds, columns=codes)
        col = set(codes)
        for ind in inds:
            for node in [ind, *self.ancestors(ind)]:
                if node in col:
                    m.at[ind, node] = 1.0
        return m

    def grades(self, scores: np.ndarray) -> np.ndarray:
        """Maturity grade levels (1…n) of scores [0–100]; 0 where a score is missing.

        Same rule as ``Framework.grade_for``: the highest grade whose threshold the score reaches.
        """
        s = np.asarray(scores, dtype=float)
        level = np.searchsorted(np.asarray(self.thresholds), np.nan_to_num(s, nan=-1.0), side="right")
        return np.where(np.isnan(s), 0, np.maximum(level, 1))


@dataclass(frozen=True)
class Scored:
    """Scores of one period: every level's scores (units × codes) and each indicator's lift."""

    scores: pd.DataFrame
    lift: pd.DataFrame | None
    codes: list[str]


def _hierarchy(tree: Tree, present: list[str]) -> list[tuple[str, str | None, int, float]]:
    """The tree pruned to the indicators with data (aggregates without any are left out)."""
    keep = set(present)
    for ind in present:
        keep.update(tree.ancestors(ind))
    return [(c, tree.parent[c], tree.level[c], tree.weight[c]) for c in tree.level if c in keep]


def _attainment(value: float, d: int, target: float) -> dict[str, Any]:
    """Degree of attainment of a lone value: value ÷ target (higher is better) or target ÷ value.

    Expressed as the goalposts that map ``value`` to that ratio [0–100 points], so the engine's
    normalisation applies it (capped at 100).

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), section 5 (distance to a
    reference); COINr ``n_goalposts``.
    """
    if d == 1 or value <= 0:
        return {"method": "goalposts", "gposts": [0.0, target * d, 100]}
    # In the sign-flipped space, 0 points at -(value + target) gives target / value at -value.
    return {"method": "goalposts", "gposts": [-(value + target), -target, 100]}


def _goalposts(tree: Tree, code: str, d: int, target: float | None) -> dict[str, Any]:
    """Absolute scoring of one indicator: 0 at the bad end of its plausible range, 100 at target.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), section 5 (normalisation:
    distance to a reference / goalposts); COINr ``n_goalposts``.
    """
    lo, hi = tree.plausible.get(code, (0.0, 2 * (target or 1.0)))
    bad = lo if d == 1 else hi
    good = target if target is not None else (hi if d == 1 else lo)
    return {"method": "goalposts", "gposts": [bad * d, good * d, 100]}


def _indicator_specs(data: pd.DataFrame, tree: Tree, config: MethodConfig) -> tuple[dict[str, Any], dict[str, float]]:
    """Per-indicator normalisation settings (targets, goalposts) and the factor to 0–100 of each."""
    method = config.method()
    base = {k: v for k, v in config.normalise.items() if k not in {"method", "f_n"}}
    indiv: dict[str, Any] = {}
    factor: dict[str, float] = {}
    for code in data.columns:
        d = tree.direction.get(code, 1)
        target = tree.target.get(code)
        spec: dict[str, Any] = {"method": method, **base}
        values = data[code].to_numpy(dtype=float)
        if method == "dist2targ" and "targ" not in base:
            if target is None:
                spec = {"method": "minmax", "l_u": [0, 100]}
            elif np.nanmin(values * d) >= target * d:
                # Every unit meets the target: all score 100 (dist2targ would divide by <= 0).
                spec = {"method": "goalposts", "gposts": [target * d - 1, target * d, 100]}
            elif (lone := np.unique(values[~np.isnan(values)])).size == 1:
                # One distinct value (e.g. one city has the data): no "worst evaluated unit" exists.
                spec = _attainment(float(lone[0]), d, target)
            else:
                spec["targ"] = target * d
        elif method == "goalposts" and "gposts" not in base:
            spec = {**spec, **_goalposts(tree, code, d, target)}
        indiv[code] = spec
        factor[code] = 100.0 if spec["method"] in FRACTION_METHODS else 1.0
    return indiv, factor


def _steps(config: MethodConfig, indiv: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if config.treat:
        steps.append({"treat": dict(config.treat)})
    steps.append({"normalise": {"method": "minmax", "l_u": [0, 100], "indiv": indiv}})
    if config.weights == "equal":
        steps.append({"aggregate": {**config.aggregate, "w": "equal"}})
    elif isinstance(config.weights, dict):
        steps.append({"aggregate": {**config.aggregate, "w": dict(config.weights)}})
    else:
        steps.append({"aggregate": dict(config.aggregate)})
    return steps


def _linear_lift(result: Results, normalised: pd.DataFrame) -> pd.DataFrame:
    """Lift under weighted arithmetic means: (100 − score) × the indicator's effective weight.

    The effective weight is the product, down the tree, of each node's weight over the summed
    weights of its siblings that have a score for the unit (missing ones are skipped and the
    weights renormalised, as the aggregation does), so it is exact for every unit.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), §6.2 (linear aggregation);
    COINr ``get_eff_weights()``.
    """
    coin = result.coin
    weights = pd.Series(dict(coin.weights), dtype=float)
    for code, w in (result.weights or {}).items():
        if code in weights.index:
            weights[code] = float(w)
    scores = result.aggregated
    present = scores.notna().astype(float)
    parent = pd.Series(coin.parent_of)
    eff = pd.DataFrame(1.0, index=scores.index, columns=scores.columns)
    for level in range(coin.max_level - 1, 0, -1):
        codes = [c for c, lv in coin.level_of.items() if lv == level and c in scores.columns]
        parents = [str(parent[c]) for c in codes]
        weighted = present[codes].to_numpy() * weights[codes].to_numpy()
        sums = pd.DataFrame(weighted, index=scores.index, columns=parents).T.groupby(level=0).sum().T
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 where a unit has no sibling scored
            share = weighted / sums[parents].to_numpy()
        eff[codes] = share * eff[parents].to_numpy()
    inds = list(normalised.columns)
    return (100.0 - normalised) * eff[inds]


def _lift(pipeline: Pipeline, state: Results, normalised: pd.DataFrame, index_code: str) -> pd.DataFrame | None:
    """Index points each unit gains when one indicator (that it has) reaches its target (score 100).

    Weighted arithmetic means (without a data threshold) have an exact closed form
    (:func:`_linear_lift`); for other aggregations all "what if" variants are stacked into one
    frame and aggregated in one pass.
    """
    params = pipeline.steps[-1][1]
    method = params.get("method", params.get("f_ag", "amean"))
    if isinstance(method, str) and method.removeprefix("a_") == "copeland":
        return None
    if isinstance(method, str) and method.removeprefix("a_") == "amean" and params.get("dat_thresh") is None:
        return _linear_lift(state, normalised)
    cols = list(normalised.columns)
    base = normalised.to_numpy(dtype=float)
    n_units, n_inds = base.shape
    stacked = np.repeat(base[None, :, :], n_inds, axis=0)
    idx = np.arange(n_inds)
    stacked[idx, :, idx] = np.where(np.isnan(base[:, idx].T), np.nan, 100.0)
    frame = pd.DataFrame(
        stacked.reshape(n_inds * n_units, n_inds),
        index=pd.MultiIndex.from_product([cols, list(normalised.index)]),
        columns=cols,
    )
    what_if = Results(coin=state.coin, datasets={**state.datasets, "Normalised": frame}, weights=state.weights)
    out = pipeline.run(start=len(pipeline.steps) - 1, state=what_if).aggregated[index_code]
    after = out.to_numpy(dtype=float).reshape(n_inds, n_units).T
    before = state.aggregated[index_code].to_numpy(dtype=float)[:, None]
    lift = pd.DataFrame(after - before, index=normalised.index, columns=cols)
    return lift.where(~np.isnan(base))


@dataclass(frozen=True)
class Normalised:
    """One period's pipeline run up to its aggregation, with indicators scored [0–100 points]."""

    pipeline: Pipeline
    state: Results
    hierarchy: list[tuple[str, str | None, int, float]]

    @property
    def scores(self) -> pd.DataFrame:
        """Normalised indicator scores, units × indicators [0–100 points]."""
        return self.state.datasets["Normalised"]


def normalise_period(data: pd.DataFrame, tree: Tree, config: MethodConfig) -> Normalised:
    """Build the scoring pipeline over ``data`` and run it up to (not including) the aggregation.

    ``data`` holds only indicators with some data. Indicators are normalised as ``config`` says
    and fraction methods are scaled to 0–100 points, so the aggregation step that is left (the
    pipeline's last) turns the state into scores at every level.

    Raises
    ------
    IndexInputError
        The configuration cannot score this data.
    """
    present = list(data.columns)
    indiv, factor = _indicator_specs(data, tree, config)
    hierarchy = _hierarchy(tree, present)
    coin = Coin.from_hierarchy(data, hierarchy, {c: tree.direction.get(c, 1) for c in present})
    pipeline = Pipeline(coin, _steps(config, indiv))
    state = pipeline.run(upto=len(pipeline.steps) - 1)
    state.datasets["Normalised"] = state.datasets["Normalised"] * pd.Series(factor)
    return Normalised(pipeline, state, hierarchy)


def score_period(data: pd.DataFrame, tree: Tree, config: MethodConfig, *, with_lift: bool = True) -> Scored:
    """Score ``data`` (units × indicators, raw values) at every level of ``tree``.

    Indicators are normalised as ``config`` says (by default the distance from the worst evaluated
    unit to the target, capped at the target, as 0–100 points) and aggregated level by level;
    indicators without data are left out and their parents' weights renormalised.

    References
    ----------
    OECD/JRC Handbook on Constructing Composite Indicators (2008), §5.2 (distance to target),
    §6.1–6.2 (weighting, linear aggregation); GB/T 33356-2022, evaluation by degree of attainment.
    """
    present = [c for c in data.columns if data[c].notna().any()]
    if not present:
        raise EvaluationError("no indicator has data for the chosen units and period")
    try:
        prepared = normalise_period(data[present], tree, config)
        pipeline = prepared.pipeline
        result = pipeline.run(start=len(pipeline.steps) - 1, state=prepared.state)
    except IndexInputError as exc:
        raise EvaluationError(f"the method configuration cannot score this data: {exc}", exc.problems) from None
    scores = result.aggregated
    lift = _lift(pipeline, result, prepared.scores, tree.index_code) if with_lift else None
    return Scored(scores=scores, lift=lift, codes=list(scores.columns))
