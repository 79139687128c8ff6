"""One period's evaluation under rules 2: like with like, scores that separate units, graded evidence.

:func:`rank_period` reads nothing itself: it takes the period's values (units × indicators), the
units' levels and groups, and returns the long result rows of a run and what the run records
(groups, common sets, units left out and why). :func:`zhicheng.evaluate.service.evaluate` stores
them.

References
----------
OECD/JRC Handbook on Constructing Composite Indicators (2008), Steps 3–6 (missing data,
normalisation, weighting and aggregation) and §5.2 (min-max, distance to target); COINr
``n_minmax()``, ``n_dist2targ()``, ``Screen()``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.rules import (
    CONTEXT,
    GRADED,
    NO_EVIDENCE,
    NOT_COMMON,
    NOT_SCORED,
    GroupSelection,
    comparison_group,
    evidence_status,
    select_group,
)
from zhicheng.evaluate.scoring import LEVEL_NAMES, Tree, score_period
from zhicheng.index.results import rank_desc

#: Decimals scores are compared at when ranking (float noise of identical data must tie).
RANK_DECIMALS = 9


@dataclass(frozen=True)
class GroupScores:
    """One group's scores: ranking score and attainment (ranked units × codes) and attainment lifts."""

    selection: GroupSelection
    score: pd.DataFrame
    attainment: pd.DataFrame
    lift: pd.DataFrame | None


@dataclass(frozen=True)
class Ranked:
    """What :func:`rank_period` gives: result rows, the units in the run, and the run's record."""

    rows: pd.DataFrame
    units: tuple[str, ...]
    left_out: dict[str, float]
    not_in_run: dict[str, str]
    groups: dict[str, Any]
    level: str
    scores: dict[str, GroupScores]


def choose_level(levels: pd.Series, config_level: str | None) -> str:
    """The unit level ranked: the configuration's, else the commonest level among units with data."""
    if config_level:
        return config_level
    if levels.empty:
        raise EvaluationError("no unit has data to evaluate")
    counts = Counter(str(v) for v in levels)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def score_group(values: pd.DataFrame, selection: GroupSelection, tree: Tree, config: MethodConfig,
                *, with_lift: bool = True) -> GroupScores | None:
    """Ranking score (across the ranked units) and attainment of one group's ranked units."""
    if not selection.common or not selection.ranked:
        return None
    data = values.loc[list(selection.ranked), list(selection.common)]
    attained = score_period(data, tree, config.attainment_config(), with_lift=with_lift)
    if len(selection.ranked) >= 2:
        score = score_period(data, tree, config, with_lift=False).scores
    else:
        score = pd.DataFrame(np.nan, index=attained.scores.index, columns=attained.scores.columns)
    return GroupScores(selection, score.reindex(columns=attained.scores.columns), attained.scores, attained.lift)


def _coverage(values: pd.DataFrame, tree: Tree, codes: list[str], common: tuple[str, ...]) -> pd.DataFrame:
    """Share of each node's framework performance indicators in the common set with data, per unit."""
    member = tree.membership(codes, performance=True)
    has = values.reindex(columns=list(member.index)).notna()
    has.loc[:, [c for c in member.index if c not in set(common)]] = False
    return (has.astype(float) @ member) / member.sum(axis=0).replace(0.0, np.nan)


def _indicator_rows(values: pd.DataFrame, periods: pd.DataFrame, tree: Tree, sel: GroupSelection,
                    gs: GroupScores | None) -> pd.DataFrame:
    inds = [c for c in values.columns if values[c].notna().any()]
    v = values[inds]
    direction = pd.Series({c: tree.direction.get(c, 1) for c in inds}, dtype=float)
    target = pd.Series({c: tree.target.get(c, np.nan) for c in inds}, dtype=float)
    common = [c for c in inds if c in set(sel.common)]
    ranked = [u for u in v.index if u in set(sel.ranked)]
    ranks = pd.DataFrame(np.nan, index=v.index, columns=inds)
    if len(ranked) >= 2 and common:
        part = (v.loc[ranked, common] * direction[common]).to_numpy(dtype=float)
        ranks.loc[ranked, common] = rank_desc(part)
    status = pd.DataFrame(NOT_COMMON, index=v.index, columns=inds, dtype=object)
    for u in v.index:
        status.loc[u, common] = sel.status(u)
    status.loc[:, [c for c in inds if c in tree.context]] = CONTEXT
    frames = {
        "raw_value": v, "rank": ranks,
        "target": pd.DataFrame(np.broadcast_to(target.to_numpy(), v.shape), index=v.index, columns=inds),
        "gap": ((target - v) * direction).clip(lower=0.0).where(v.notna()),
        "value_period": periods.reindex(index=v.index, columns=inds), "rank_status": status,
    }
    if gs is not None:
        frames["score"] = gs.score.reindex(index=v.index, columns=inds)
        frames["attainment"] = gs.attainment.reindex(index=v.index, columns=inds)
        if gs.lift is not None:
            frames["lift"] = gs.lift.reindex(index=v.index, columns=inds)
    long = _long(frames)
    long = long[long["raw_value"].notna()].copy()
    # An indicator's score rests on its own value: coverage 1 where it is scored.
    scored = long["attainment"].notna() if "attainment" in long else pd.Series(False, index=long.index)
    long["coverage"] = np.where(scored, 1.0, np.nan)
    long["level"] = "indicator"
    return long


def _aggregate_rows(values: pd.DataFrame, tree: Tree, sel: GroupSelection, gs: GroupScores | None,
                    config: MethodConfig, domains: list[str]) -> pd.DataFrame:
    codes = [c for c, lv in tree.level.items() if lv > 1]
    units = list(values.index)
    score = pd.DataFrame(np.nan, index=units, columns=codes)
    attain = pd.DataFrame(np.nan, index=units, columns=codes)
    if gs is not None:
        have = [c for c in codes if c in gs.attainment.columns]
        score.loc[gs.score.index, have] = gs.score[have].to_numpy()
        attain.loc[gs.attainment.index, have] = gs.attainment[have].to_numpy()
    coverage = _coverage(values, tree, codes, sel.common if gs is not None else ())
    ranked = [u for u in units if u in set(sel.ranked)]
    ranks = pd.DataFrame(np.nan, index=units, columns=codes)
    if len(ranked) >= 2:
        ranks.loc[ranked] = rank_desc(score.loc[ranked].round(RANK_DECIMALS).to_numpy(dtype=float))
    status = evidence_status(coverage, attain, tree.level, domains, tree.index_code,
                             {"index": config.evidence.index, "domain": config.evidence.domain,
                              "requirement": config.evidence.requirement}, config.evidence.each_domain)
    grades = pd.DataFrame(tree.grades(attain.to_numpy(dtype=float)), index=units, columns=codes).where(attain.notna())
    frames = {
        "score": score, "attainment": attain, "rank": ranks, "coverage": coverage.reindex(index=units, columns=codes),
        "grade": grades.where(status == GRADED), "provisional_grade": grades.where(status == NO_EVIDENCE),
        "grade_status": status, "rank_status": pd.DataFrame(
            [[sel.status(u)] * len(codes) for u in units], index=units, columns=codes, dtype=object),
    }
    long = _long(frames)
    keep = long["attainment"].notna() | (long["code"] == tree.index_code)
    long = long[keep].copy()
    long.loc[long["attainment"].isna(), "grade_status"] = NOT_SCORED
    long["level"] = long["code"].map(lambda c: LEVEL_NAMES[tree.level[c]])
    return long


def _long(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    long = pd.concat({k: f.stack(future_stack=True) for k, f in frames.items()}, axis=1)
    long.index.names = ["unit_code", "code"]
    return long.reset_index()


def rank_period(values: pd.DataFrame, periods: pd.DataFrame, unit_info: pd.DataFrame, tree: Tree,
                config: MethodConfig, domains: list[str]) -> Ranked:
    """Evaluate one period under rules 2.

    Parameters
    ----------
    values, periods
        Units × indicators: raw values and the period each came from (context indicators too).
    unit_info
        Indexed by unit code, columns ``level`` and ``group_name``.
    tree
        The framework.
    config
        The method configuration (``rules: 2``).
    domains
        Every domain of the framework, in order.

    Returns
    -------
    Ranked
        Result rows (columns of :data:`zhicheng.evaluate.service.RESULT_COLUMNS` but ``change``
        and ``cagr``) and the run's record.
    """
    perf = [c for c in values.columns if c not in tree.context]
    has_perf = values[perf].notna().any(axis=1) if perf else pd.Series(False, index=values.index)
    info = unit_info.reindex(values.index)
    level = choose_level(info.loc[has_perf[has_perf].index, "level"].dropna(), config.level)
    not_in_run: dict[str, str] = {}
    perf_units = {str(u) for u in has_perf[has_perf].index}
    names: dict[str, str | None] = {}
    for unit, lvl, grp in zip(info.index, info["level"], info["group_name"], strict=True):
        names[str(unit)] = grp if isinstance(grp, str) else None
        if lvl != level:
            not_in_run[str(unit)] = f"other_level:{lvl}"
        elif str(unit) not in perf_units:
            not_in_run[str(unit)] = "no_data"
    members = [u for u in values.index if str(u) not in not_in_run]
    if not members:
        raise EvaluationError(f"no unit of level {level!r} has data to evaluate")
    group_of = {u: comparison_group(str(u), names.get(str(u))) for u in members}
    rows, record, scores = [], {}, {}
    left_out: dict[str, float] = {}
    for group in sorted(set(group_of.values())):
        mine = [u for u in members if group_of[u] == group]
        sel = select_group(values.loc[mine, perf], group, config.common_share, config.min_coverage)
        gs = score_group(values.loc[mine], sel, tree, config)
        if gs is not None:
            scores[group] = gs
        rows.append(_indicator_rows(values.loc[mine], periods.reindex(index=mine), tree, sel, gs))
        rows.append(_aggregate_rows(values.loc[mine], tree, sel, gs, config, domains))
        left_out.update({u: sel.share.get(u, 0.0) for u in mine if u not in set(sel.ranked)})
        record[group] = {"members": len(mine), "ranked": len(sel.ranked), "common": list(sel.common),
                         "left_out_indicators": sel.left_out}
    out = pd.concat(rows, ignore_index=True)
    return Ranked(rows=out, units=tuple(members), left_out=left_out, not_in_run=not_in_run, groups=record,
                  level=level, scores=scores)


def base_scores(values: pd.DataFrame, ranked: Ranked, tree: Tree, config: MethodConfig) -> pd.DataFrame:
    """Base-period raw values and ranking scores of the same groups, units and common sets (for trends)."""
    parts = []
    for gs in ranked.scores.values():
        sel = gs.selection
        units = [u for u in sel.ranked if u in values.index]
        if not units:
            continue
        part = values.reindex(index=units, columns=list(sel.common))
        raw = part.stack().reset_index()
        raw.columns = pd.Index(["unit_code", "code", "base_value"])
        parts.append(raw)
        present = [c for c in part.columns if part[c].notna().any()]
        if len(units) < 2 or not present:
            continue
        try:
            scored = score_period(part[present], tree, config, with_lift=False)
        except EvaluationError:
            continue
        aggs = [c for c in scored.codes if tree.level.get(c, 1) > 1]
        agg = scored.scores[aggs].stack().reset_index()
        agg.columns = pd.Index(["unit_code", "code", "base_value"])
        parts.append(agg)
    if not parts:
        return pd.DataFrame(columns=["unit_code", "code", "base_value"])
    return pd.concat(parts, ignore_index=True)
