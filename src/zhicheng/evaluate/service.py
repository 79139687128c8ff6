"""Evaluation runs: a framework over stored values → scores, ranks, grades, coverage, gaps, trends.

:func:`evaluate` reads one period's values (optionally taking a recent earlier value where one is
missing), leaves out units with too little data, scores the rest with the index engine
(:mod:`zhicheng.evaluate.scoring`), and stores the run with one row per unit and node
(indicator, requirement, domain, index) in ``evaluation_results``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.ranking import Ranked, base_scores, rank_period
from zhicheng.evaluate.scoring import LEVEL_NAMES, Tree, score_period
from zhicheng.goals.periods import period_kind
from zhicheng.index.results import rank_desc
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import (
    RESULT_COLUMNS,
    evaluation_results,
    evaluation_runs,
    framework_versions,
    indicator_values,
    ingest_batches,
    units,
)
from zhicheng.store.values import read_values

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework


@dataclass(frozen=True)
class EvaluationRun:
    """A stored evaluation run and its results (long frame, columns :data:`RESULT_COLUMNS`)."""

    run_id: int
    period: str
    base_period: str | None
    framework_id: str
    units: tuple[str, ...]
    left_out: dict[str, float]
    results: pd.DataFrame
    #: Units not in the run at all, with the reason (``other_level:<level>``, ``no_data``).
    not_in_run: dict[str, str] = field(default_factory=dict)
    #: Per comparison group: members, ranked units, the common indicator set, indicators left out.
    groups: dict[str, Any] = field(default_factory=dict)
    config: MethodConfig | None = None

    @property
    def ranked(self) -> tuple[str, ...]:
        """The units that are ranked (``rank_status`` ranked at the index)."""
        idx = self.results[self.results["level"] == "index"]
        if "rank_status" not in idx or idx["rank_status"].isna().all():
            return tuple(idx["unit_code"])
        return tuple(idx.loc[idx["rank_status"] == "ranked", "unit_code"])


def _framework(framework: Framework | None) -> Framework:
    if framework is not None:
        return framework
    from zhicheng.goals import builtin_framework

    return builtin_framework()


def _window(period: str, lookback: int) -> list[str]:
    """The periods a value may come from, latest first (years only; others exactly)."""
    if lookback and period_kind(period) == "year":
        year = int(period)
        return [str(year - k) for k in range(lookback + 1)]
    return [period]


def period_values(conn: sa.Connection, period: str, indicators: Sequence[str], *, lookback: int = 0,
                  units_: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units × indicators values of ``period`` (the latest within the look-back), and their periods."""
    window = _window(period, lookback)
    long = read_values(conn, periods=window, indicators=indicators, units_=units_)
    long = long.sort_values("period", ascending=False, kind="mergesort")
    long = long.drop_duplicates(["unit_code", "indicator_id"], keep="first")
    values = long.pivot(index="unit_code", columns="indicator_id", values="value")
    periods = long.pivot(index="unit_code", columns="indicator_id", values="period")
    cols = [c for c in indicators if c in values.columns]
    return values.reindex(columns=cols).astype(float), periods.reindex(columns=cols)


def suggest_period(engine: Engine, *, framework: Framework | None = None, lookback: int = 0) -> str:
    """The latest period whose observed values reach 90 % of the best period's ("latest suitable year").

    Values are counted over the framework's indicators; with a look-back, a period also counts
    the values of up to ``lookback`` earlier years of the indicators it lacks.
    """
    fw = _framework(framework)
    ids = [i.id for i in fw.indicators()]
    t = indicator_values
    stmt = (sa.select(t.c.period, t.c.indicator_id, sa.func.count().label("n"))
            .where(t.c.indicator_id.in_(ids)).group_by(t.c.period, t.c.indicator_id))
    with engine.connect() as conn:
        counts = pd.DataFrame(conn.execute(stmt).fetchall(), columns=["period", "indicator_id", "n"])
    if counts.empty:
        raise EvaluationError("the store holds no values of the framework's indicators: ingest data first")
    wide = counts.pivot(index="period", columns="indicator_id", values="n").fillna(0).sort_index()
    if lookback and all(period_kind(p) == "year" for p in wide.index):
        years = wide.index.astype(int)
        full = wide.reindex([str(y) for y in range(years.min(), years.max() + 1)], fill_value=0)
        wide = full.rolling(lookback + 1, min_periods=1).max()
    mass = wide.sum(axis=1)
    return str(mass[mass >= 0.9 * mass.max()].index.max())


def _coverage(values: pd.DataFrame, tree: Tree, codes: list[str]) -> pd.DataFrame:
    """Share of each node's framework indicators that have data, per unit (units × codes)."""
    member = tree.membership(codes)
    has = values.notna().reindex(columns=member.index, fill_value=False).astype(float)
    return (has @ member) / member.sum(axis=0)


def _long(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Units × codes frames of one quantity each as one long frame (``unit_code``, ``code``, quantities)."""
    long = pd.concat({k: f.stack(future_stack=True) for k, f in frames.items()}, axis=1)
    long.index.names = ["unit_code", "code"]
    return long.reset_index()


def _indicator_rows(values: pd.DataFrame, periods: pd.DataFrame, scored: Any, tree: Tree) -> pd.DataFrame:
    inds = [c for c in values.columns if c in scored.codes]
    v = values[inds]
    direction = pd.Series({c: tree.direction.get(c, 1) for c in inds})
    target = pd.Series({c: tree.target.get(c, np.nan) for c in inds}, dtype=float)
    ranks = pd.DataFrame(rank_desc((v * direction).to_numpy(dtype=float)), index=v.index, columns=inds)
    gap = ((target - v) * direction).clip(lower=0.0)
    frames = {
        "raw_value": v, "score": scored.scores[inds], "rank": ranks,
        "target": pd.DataFrame(np.broadcast_to(target.to_numpy(), v.shape), index=v.index, columns=inds),
        "gap": gap.where(v.notna()), "value_period": periods.reindex(index=v.index, columns=inds),
    }
    if scored.lift is not None:
        frames["lift"] = scored.lift[inds]
    long = _long(frames)
    long = long[long["raw_value"].notna()]
    long["level"] = "indicator"
    return long


def _aggregate_rows(scored: Any, coverage: pd.DataFrame, tree: Tree) -> pd.DataFrame:
    codes = [c for c in scored.codes if tree.level.get(c, 1) > 1]
    s = scored.scores[codes]
    ranks = pd.DataFrame(rank_desc(s.to_numpy(dtype=float)), index=s.index, columns=codes)
    grades = pd.DataFrame(tree.grades(s.to_numpy(dtype=float)), index=s.index, columns=codes)
    frames = {"score": s, "rank": ranks, "grade": grades.where(grades > 0),
              "coverage": coverage.reindex(index=s.index, columns=codes)}
    long = _long(frames)
    long["level"] = long["code"].map(lambda c: LEVEL_NAMES[tree.level[c]])
    return long


def _trends(results: pd.DataFrame, base: pd.DataFrame, years: float | None) -> pd.DataFrame:
    """Change since the base period and compound annual growth rate [fraction per year]."""
    key = ["unit_code", "code"]
    merged = results.merge(base, on=key, how="left")
    now = merged["raw_value"].where(merged["level"] == "indicator", merged["score"])
    change = now - merged["base_value"]
    cagr = pd.Series(np.nan, index=merged.index)
    if years:
        ok = (now > 0) & (merged["base_value"] > 0)
        with np.errstate(all="ignore"):
            cagr = ((now / merged["base_value"]) ** (1.0 / years) - 1.0).where(ok)
    return merged.assign(change=change, cagr=cagr).drop(columns="base_value")


def _base_frame(conn: sa.Connection, base_period: str, tree: Tree, config: MethodConfig,
                unit_codes: list[str]) -> pd.DataFrame:
    """Raw values and scores of the base period for the same units (for trends)."""
    values, _ = period_values(conn, base_period, tree.indicators(), lookback=config.lookback, units_=unit_codes)
    if values.empty:
        return pd.DataFrame(columns=["unit_code", "code", "base_value"])
    scored = score_period(values, tree, config, with_lift=False)
    raw = values.stack().reset_index()
    raw.columns = pd.Index(["unit_code", "code", "base_value"])
    aggs = [c for c in scored.codes if tree.level.get(c, 1) > 1]
    agg = scored.scores[aggs].stack().reset_index()
    agg.columns = pd.Index(["unit_code", "code", "base_value"])
    return pd.concat([raw, agg], ignore_index=True)


def _framework_version(conn: sa.Connection, framework: Framework) -> int:
    from zhicheng.goals import framework_to_dict

    content = json.dumps(framework_to_dict(framework), ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(content.encode()).hexdigest()
    fv = framework_versions
    found = conn.execute(sa.select(fv.c.id).where(fv.c.framework_id == framework.id, fv.c.version == framework.version,
                                                  fv.c.checksum == digest)).scalar()
    if found is not None:
        return int(found)
    result = conn.execute(sa.insert(fv).values(framework_id=framework.id, version=framework.version, checksum=digest,
                                               content=content, created_at=dt.datetime.now(dt.UTC)).returning(fv.c.id))
    return int(result.scalar_one())


def _same_run(engine: Engine, period: str, base_period: str | None, config: MethodConfig, framework: Framework,
              key: dict[str, Any]) -> EvaluationRun | None:
    """An earlier run with the same inputs, loaded from the store (or ``None``)."""
    r, fv = evaluation_runs, framework_versions
    stmt = (sa.select(r.c.id, r.c.note, r.c.base_period).join(fv, fv.c.id == r.c.framework_version_id)
            .where(r.c.period == period, r.c.config == config.to_yaml(), fv.c.framework_id == framework.id,
                   fv.c.version == framework.version).order_by(r.c.id.desc()))
    with engine.connect() as conn:
        for row in conn.execute(stmt).fetchall():
            note = json.loads(row.note or "{}")
            if row.base_period != base_period or any(note.get(k) != v for k, v in key.items()):
                continue
            res = evaluation_results
            got = conn.execute(sa.select(*[res.c[c] for c in RESULT_COLUMNS]).where(res.c.run_id == row.id))
            frame = pd.DataFrame(got.fetchall(), columns=RESULT_COLUMNS)
            codes = tuple(sorted(frame.loc[frame["level"] == "index", "unit_code"]))
            return EvaluationRun(run_id=int(row.id), period=period, base_period=base_period,
                                 framework_id=framework.id, units=codes, left_out=note.get("left_out", {}),
                                 results=frame, not_in_run=note.get("not_in_run", {}),
                                 groups=note.get("groups", {}), config=config)
    return None


def _select_units(conn: sa.Connection, values: pd.DataFrame, units_: Sequence[str] | None,
                  min_coverage: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """Units with enough data; the others with their share of the period's observed indicators."""
    if units_ is not None:
        known = set(conn.execute(sa.select(units.c.code).where(units.c.code.in_(list(units_)))).scalars())
        unknown = [u for u in units_ if u not in known]
        if unknown:
            raise EvaluationError(f"unknown unit(s): {', '.join(unknown)}")
        values = values.reindex(list(units_))
    observed = values.columns[values.notna().any()]
    share = values[observed].notna().mean(axis=1) if len(observed) else pd.Series(0.0, index=values.index)
    keep = share >= min_coverage
    return values[keep], {str(k): float(v) for k, v in share[~keep].round(4).items()}


def evaluate(
    engine: Engine,
    period: str,
    *,
    units: Sequence[str] | None = None,
    config: MethodConfig | None = None,
    framework: Framework | None = None,
    base_period: str | None = None,
    note: str | None = None,
    reuse: bool = False,
) -> EvaluationRun:
    """Evaluate ``units`` (default: every unit with enough data) for ``period`` and store the run.

    Parameters
    ----------
    engine
        An initialised store.
    period
        The period to evaluate (``2020``); values of up to ``config.lookback`` earlier years fill gaps.
    units
        Unit codes; by default all units with data for at least ``config.min_coverage`` of the
        indicators observed in the period.
    config
        Method configuration (default: :class:`MethodConfig`, scoring against targets).
    framework
        The goal framework (default: the built-in one).
    base_period
        An earlier period to measure trends from (change, CAGR).
    note
        Free text kept with the run.
    reuse
        Return an earlier stored run instead of a new one when it has the same period, units,
        configuration, framework and data (no ingest since).

    Returns
    -------
    EvaluationRun
        The stored run's id and its results.

    Raises
    ------
    EvaluationError
        Unknown units, no data, or a method configuration that cannot score the data.
    """
    config = config or MethodConfig()
    fw = _framework(framework)
    tree = Tree.from_framework(fw)
    period = str(period)
    with engine.connect() as conn:
        data_batch = conn.execute(sa.select(sa.func.max(ingest_batches.c.id))).scalar() or 0
    key = {"data_batch": int(data_batch), "units": sorted(units) if units is not None else None}
    if reuse:
        earlier = _same_run(engine, period, base_period, config, fw, key)
        if earlier is not None:
            return earlier
    extra: dict[str, Any] = {}
    with engine.connect() as conn:
        if config.rules == 1:
            results, kept, left_out = _evaluate_rules1(conn, period, tree, config, units, base_period)
        else:
            ranked = _evaluate_rules2(conn, period, tree, fw, config, units)
            results, kept, left_out = ranked.rows, list(ranked.units), ranked.left_out
            extra = {"rules": 2, "level": ranked.level, "groups": ranked.groups, "not_in_run": ranked.not_in_run}
            if base_period is not None:
                base_values, _ = period_values(conn, str(base_period), tree.indicators(), lookback=config.lookback,
                                               units_=kept)
                base = base_scores(base_values, ranked, tree, config)
                results = _trends(results, base, _years(period, str(base_period)))
    results = results.reindex(columns=RESULT_COLUMNS)
    for col in ("rank", "grade", "provisional_grade"):
        results[col] = pd.to_numeric(results[col], errors="coerce").astype("Float64").round().astype("Int64")
    for col in ("raw_value", "score", "coverage", "target", "gap", "lift", "change", "cagr", "attainment"):
        results[col] = pd.to_numeric(results[col], errors="coerce").astype(float)
    run_note = json.dumps({"left_out": left_out, "note": note, **key, **extra}, ensure_ascii=False)
    with engine.begin() as conn:
        fv_id = _framework_version(conn, fw)
        run_id = int(conn.execute(sa.insert(evaluation_runs).values(
            framework_version_id=fv_id, period=period, config=config.to_yaml(), base_period=base_period,
            unit_count=len(kept), created_at=dt.datetime.now(dt.UTC), note=run_note,
        ).returning(evaluation_runs.c.id)).scalar_one())
        bulk_insert(conn, evaluation_results, results.assign(run_id=run_id))
    return EvaluationRun(run_id=run_id, period=period, base_period=base_period, framework_id=fw.id,
                         units=tuple(kept), left_out=left_out, results=results,
                         not_in_run=extra.get("not_in_run", {}), groups=extra.get("groups", {}), config=config)


def _years(period: str, base_period: str) -> float | None:
    if period_kind(period) == period_kind(base_period) == "year":
        return float(int(period) - int(base_period))
    return None


def _evaluate_rules1(conn: sa.Connection, period: str, tree: Tree, config: MethodConfig,
                     units_: Sequence[str] | None, base_period: str | None
                     ) -> tuple[pd.DataFrame, list[str], dict[str, float]]:
    """Rules 1 (runs stored before rules 2): every indicator with data, score = attainment."""
    values, periods = period_values(conn, period, tree.indicators(), lookback=config.lookback)
    values, left_out = _select_units(conn, values, units_, config.min_coverage)
    if values.empty:
        raise EvaluationError(f"no unit has enough data in {period} (min_coverage {config.min_coverage:g})")
    scored = score_period(values, tree, config)
    coverage = _coverage(values, tree, scored.codes)
    results = pd.concat([_indicator_rows(values, periods, scored, tree), _aggregate_rows(scored, coverage, tree)],
                        ignore_index=True)
    if base_period is not None:
        base = _base_frame(conn, str(base_period), tree, config, list(values.index))
        results = _trends(results, base, _years(period, str(base_period)))
    return results, list(values.index), left_out


def _unit_info(conn: sa.Connection, codes: Sequence[str]) -> pd.DataFrame:
    rows = conn.execute(sa.select(units.c.code, units.c.level, units.c.group_name)
                        .where(units.c.code.in_(list(codes)))).fetchall()
    return pd.DataFrame(rows, columns=["code", "level", "group_name"]).set_index("code")


def _evaluate_rules2(conn: sa.Connection, period: str, tree: Tree, fw: Framework, config: MethodConfig,
                     units_: Sequence[str] | None) -> Ranked:
    """Rules 2: comparison groups, a common indicator set, min-max scores, graded evidence."""
    values, periods = period_values(conn, period, tree.indicators(), lookback=config.lookback)
    if units_ is not None:
        known = set(conn.execute(sa.select(units.c.code).where(units.c.code.in_(list(units_)))).scalars())
        unknown = [u for u in units_ if u not in known]
        if unknown:
            raise EvaluationError(f"unknown unit(s): {', '.join(unknown)}")
        values = values.reindex(list(units_))
        periods = periods.reindex(list(units_))
    if values.empty or not values.notna().any().any():
        raise EvaluationError(f"no unit has data in {period}")
    return rank_period(values, periods, _unit_info(conn, list(values.index)), tree, config,
                       [d.id for d in fw.domains])
