"""The pipeline: an ordered, editable list of stages run on a coin.

A :class:`Pipeline` records its steps as ``(stage, params)`` pairs with COINr's parameter names
(method names without COINr's ``n_`` / ``a_`` / ``i_`` prefixes).  Any step's settings can be
changed and the pipeline re-run, which is what uncertainty and sensitivity analysis does
(COINr's ``Regen()`` of an edited coin log).

Stages (each writes a data set named as in COINr): ``denominate`` -> ``Denominated``,
``impute`` -> ``Imputed``, ``screen`` -> ``Screened``, ``treat`` -> ``Treated``,
``normalise`` -> ``Normalised``, ``weights`` (sets the weights of later aggregation),
``aggregate`` -> ``Aggregated``.  Each stage reads the previous data set, or ``dset`` if given.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, the ten-step checklist
(Steps 2-7).  COINr ``new_coin()``, ``Regen()``, ``build_example_coin()``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.index import aggregate as agg
from zhicheng.index import impute as imp
from zhicheng.index import normalise as nrm
from zhicheng.index.coin import Coin, Node
from zhicheng.index.denominate import denominate
from zhicheng.index.errors import IndexInputError
from zhicheng.index.results import rank_desc, rank_table, scores_by_level
from zhicheng.index.screen import force_mapping, screen
from zhicheng.index.treat import treat
from zhicheng.index.weights import weights_from_spec

STAGES = ("denominate", "impute", "screen", "treat", "normalise", "weights", "aggregate")
DATASET = {"denominate": "Denominated", "impute": "Imputed", "screen": "Screened", "treat": "Treated",
           "normalise": "Normalised", "aggregate": "Aggregated"}


@dataclass
class Results:
    """Every data set a pipeline produced, with the analysis tables of its stages.

    Attributes
    ----------
    datasets
        ``Raw`` and one data set per stage run (``Denominated``, ``Imputed``, ``Screened``,
        ``Treated``, ``Normalised``, ``Aggregated``), units x codes.
    details
        Stage tables: ``Treated`` (treatment details, COINr ``Dets_Table``), ``TreatedPoints``,
        ``Screened`` (availability summary).
    weights
        The weights the aggregation used, by code.
    """

    coin: Coin
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def aggregated(self) -> pd.DataFrame:
        """Indicators and every aggregate (units x codes) [score]."""
        if "Aggregated" not in self.datasets:
            raise IndexInputError("the pipeline has no aggregate step")
        return self.datasets["Aggregated"]

    @property
    def index(self) -> pd.Series:
        """Scores of the top level (the index) [score]."""
        top = [c for c, lv in self.coin.level_of.items() if lv == self.coin.max_level]
        return self.aggregated[top[0]]

    def scores(self, level: int | None = None) -> pd.DataFrame:
        """Scores of one level (1 = indicators), or all codes when ``level`` is ``None`` [score]."""
        if level is None:
            return self.aggregated
        return scores_by_level(self.aggregated, self.coin)[level]

    def ranks(self, level: int | None = None) -> pd.DataFrame:
        """Ranks (1 = best, ties = min) of every code of ``level`` (or all), same layout as :meth:`scores`."""
        s = self.scores(level)
        return pd.DataFrame(rank_desc(s.to_numpy(dtype=float)), index=s.index, columns=s.columns)

    def rank_table(self) -> pd.DataFrame:
        """Ranks in COINr's ``get_results(tab_type = "Full", use = "ranks")`` layout."""
        return rank_table(self.aggregated, self.coin)


def _norm_steps(steps: Iterable[Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for s in steps:
        if isinstance(s, Mapping):
            if len(s) != 1:
                raise IndexInputError(f"each step must name one stage, e.g. {{'treat': {{...}}}}; got {dict(s)}")
            stage, params = next(iter(s.items()))
        else:
            stage, params = s
        stage = str(stage)
        if stage not in STAGES:
            raise IndexInputError(f"unknown pipeline stage {stage!r}; use one of {list(STAGES)}")
        out.append((stage, dict(params or {})))
    return out


class Pipeline:
    """An editable sequence of stages run on a :class:`~zhicheng.index.coin.Coin`.

    Parameters
    ----------
    coin
        Data and hierarchy.
    steps
        ``[(stage, params), ...]`` or ``[{stage: params}, ...]``, e.g.
        ``[{"treat": {"winmax": 5}}, {"normalise": {"method": "minmax", "l_u": [0, 100]}},
        {"aggregate": {"method": "amean"}}]``.
    """

    def __init__(self, coin: Coin, steps: Iterable[Any] = ()) -> None:
        self.coin = coin
        self._steps = _norm_steps(steps)

    @property
    def steps(self) -> list[tuple[str, dict[str, Any]]]:
        """The recorded steps ``(stage, params)`` (a copy)."""
        return copy.deepcopy(self._steps)

    def find(self, stage: str | int) -> int:
        """Position of a step given by position or by stage name (its first occurrence)."""
        if isinstance(stage, int):
            if not -len(self._steps) <= stage < len(self._steps):
                raise IndexInputError(f"no step number {stage}")
            return stage % len(self._steps)
        for i, (s, _) in enumerate(self._steps):
            if s == stage:
                return i
        raise IndexInputError(f"the pipeline has no {stage!r} step")

    def set(self, stage: str | int, **params: Any) -> Pipeline:
        """Change settings of one step in place (merged into its params); returns ``self``."""
        i = self.find(stage)
        self._steps[i][1].update(params)
        return self

    def replace(self, stage: str | int, params: Mapping[str, Any]) -> Pipeline:
        """Replace the settings of one step in place; returns ``self``."""
        i = self.find(stage)
        self._steps[i] = (self._steps[i][0], dict(params))
        return self

    def with_changes(self, changes: Mapping[str | int, Mapping[str, Any]]) -> Pipeline:
        """A copy with some steps' settings updated (the original is untouched)."""
        new = Pipeline(self.coin, self.steps)
        for st, params in changes.items():
            new.set(st, **params)
        return new

    def run(self, upto: int | None = None, state: Results | None = None, start: int = 0) -> Results:
        """Run the steps ``start..upto-1`` (all by default) and return every data set.

        ``state`` continues from an earlier partial run (used by sensitivity analysis to reuse the
        stages before the one being varied).

        References
        ----------
        COINr ``Regen()`` (re-running the logged steps of a coin).
        """
        res = state if state is not None else Results(coin=self.coin, datasets={"Raw": self.coin.data})
        if state is not None:
            res = Results(coin=self.coin, datasets=dict(state.datasets), details=dict(state.details),
                          weights=dict(state.weights))
        last = self._last_name(res, start)
        for stage, params in self._steps[start:upto]:
            p = dict(params)
            src = p.pop("dset", None) or last
            write_to = p.pop("write_to", None)
            if src not in res.datasets:
                raise IndexInputError(f"{stage}: data set {src!r} does not exist yet")
            if stage == "weights":
                res.weights = weights_from_spec(self.coin, p, res.datasets[src])
                continue
            out = _STAGE_FUNCS[stage](self.coin, res, res.datasets[src], p)
            name = write_to or DATASET[stage]
            res.datasets[name] = out
            last = name
        return res

    def _last_name(self, res: Results, start: int) -> str:
        last = "Raw"
        for stage, params in self._steps[:start]:
            if stage != "weights":
                last = params.get("write_to") or DATASET[stage]
        return last if last in res.datasets else "Raw"


# ---------------------------------------------------------------------------- stage functions
def _take(p: dict[str, Any], *names: str, default: Any = None) -> Any:
    for n in names:
        if n in p:
            return p.pop(n)
    return default


def _no_more(stage: str, p: Mapping[str, Any]) -> None:
    if p:
        raise IndexInputError(f"{stage}: unknown setting(s) {sorted(p)}")


def _stage_denominate(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    denomby = _take(p, "denomby")
    f_denom = _take(p, "f_denom", default="/")
    _no_more("denominate", p)
    if denomby is None:
        m = coin.meta[coin.meta["Level"] == 1]
        denomby = {str(c): (None if pd.isna(d) else str(d)) for c, d in zip(m["iCode"], m["Denominator"], strict=True)}
    den = coin.denominators.reindex(data.index)
    return denominate(data, den, denomby, f_denom)


def _stage_impute(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    method = _take(p, "method", "f_i", default="mean")
    group = _take(p, "use_group")
    impute_by = _take(p, "impute_by", default="column")
    nf = _take(p, "normalise_first")
    _no_more("impute", p)
    groups = None
    if group is not None:
        if group not in coin.groups.columns:
            raise IndexInputError(f"impute: group column {group!r} not found (groups: {list(coin.groups.columns)})")
        groups = coin.groups[group]
    return imp.impute(data, method, groups, impute_by, nf, coin.directions)


def _stage_screen(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    unit_screen = _take(p, "unit_screen", default="byNA")
    dat = _take(p, "dat_thresh")
    nz = _take(p, "nonzero_thresh")
    force = force_mapping(_take(p, "Force", "force"))
    _no_more("screen", p)
    out, summary = screen(data, unit_screen, dat, nz, force)
    res.details["Screened"] = summary
    return out


def _stage_treat(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    indiv = _take(p, "indiv", "indiv_specs")
    combine = bool(_take(p, "combine_treat", default=False))
    gspec = _take(p, "global_specs")
    params = dict(gspec or {})
    params.update(p)
    treated, details, points = treat(data, params, indiv, combine)
    res.details["Treated"] = details
    res.details["TreatedPoints"] = points
    return treated


def _stage_normalise(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    indiv = _take(p, "indiv", "indiv_specs")
    dirs = _take(p, "directions")
    gspec = _take(p, "global_specs")
    spec = dict(gspec or {})
    spec.update(p)
    if spec.get("f_n_para") == "use_iMeta":
        spec.pop("f_n_para")
        indiv = {**nrm.specs_from_meta(str(spec.get("method", spec.get("f_n", "minmax"))), coin.meta), **(indiv or {})}
    directions = dict(coin.directions)
    if dirs:
        directions.update({str(k): float(v) for k, v in dict(dirs).items()})
    return nrm.normalise(data, directions, spec, indiv, coin.targets)


def _stage_aggregate(coin: Coin, res: Results, data: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    method = _take(p, "method", "f_ag", default="amean")
    w = _take(p, "w", "weights")
    dat = _take(p, "dat_thresh")
    para = _take(p, "f_ag_para")
    pexp = _take(p, "p")
    _no_more("aggregate", p)
    if para is not None and pexp is None:
        pexp = [None if q is None else q.get("p") for q in para] if isinstance(para, list) else para.get("p")
    if w is None:
        w = res.weights or None
    elif isinstance(w, str):
        if w in ("equal",):
            w = {c: 1.0 for c in coin.level_of}
        elif w in ("original", "given"):
            w = None
        else:
            raise IndexInputError(f"aggregate: unknown weight set {w!r}")
    cols = [str(c) for c in data.columns]
    inds = [c for c in cols if coin.level_of.get(c) == 1]
    if len(inds) != len(coin.indicators):
        missing = sorted(set(coin.indicators) - set(inds))
        raise IndexInputError(f"aggregate: indicators missing from the data set: {missing}")
    out = agg.aggregate(data if inds == cols else data[inds], coin, method, w, dat, pexp)
    res.weights = dict(w) if isinstance(w, Mapping) else res.weights
    return out


_STAGE_FUNCS = {
    "denominate": _stage_denominate, "impute": _stage_impute, "screen": _stage_screen,
    "treat": _stage_treat, "normalise": _stage_normalise, "aggregate": _stage_aggregate,
}


def run_pipeline(data: pd.DataFrame, hierarchy: Iterable[Sequence[object] | Node],
                 directions: Mapping[str, int] | None = None,
                 steps: Iterable[Any] = ({"normalise": {"method": "minmax", "l_u": [0, 100]}},
                                         {"aggregate": {"method": "amean"}}),
                 *, groups: pd.DataFrame | None = None) -> Results:
    """Score units from a plain hierarchy in one call (for services).

    Parameters
    ----------
    data
        Indicator values, units x indicators (index = unit codes) [indicator units].
    hierarchy
        ``(code, parent, level, weight)`` for every indicator (level 1) and aggregate.
    directions
        ``+1`` / ``-1`` per indicator (default ``+1``).
    steps
        Pipeline steps (default: min-max 0-100, then arithmetic mean).
    groups
        Optional unit grouping columns (for group imputation).

    Returns
    -------
    Results
        ``.scores(level)``, ``.ranks(level)``, ``.index``, ``.rank_table()`` and every data set.

    References
    ----------
    OECD/JRC Handbook (2008), Steps 5-6; COINr ``new_coin()`` + ``Normalise()`` + ``Aggregate()``.
    """
    coin = Coin.from_hierarchy(data, hierarchy, directions, groups=groups)
    return Pipeline(coin, steps).run()


def dataset_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A data set in COINr's file layout: ``uCode`` then one column per code."""
    out = df.copy()
    out.insert(0, "uCode", np.asarray(out.index, dtype=object))
    return out.reset_index(drop=True)
