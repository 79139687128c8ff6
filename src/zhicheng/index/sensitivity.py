"""Uncertainty and sensitivity analysis of the ranks over pipeline settings.

Each *input* is a discrete, uniformly drawn choice among alternatives for one pipeline step
(e.g. the winsorisation limit, the normalisation method, a set of noisy weights, the aggregation
method).  Uncertainty analysis (UA) runs ``N`` random combinations and reports rank statistics;
sensitivity analysis (SA) runs the ``N (d + 2)`` Saltelli design and estimates first-order and
total sensitivity indices of the mean absolute rank shift, with bootstrap intervals.

Everything follows COINr's ``get_sensitivity()``: the sample is drawn in COINr's order, mapped to
alternatives as ``sample_2_para()`` does (R's ``cut`` over the observed range), the target is the
mean absolute rank change from the nominal ranks, and the bootstrap resamples each input's terms
on its own.  Given R's stream (:class:`~zhicheng.index.rng.RCompatibleRNG`, or ``rng: R`` in the
spec) a COINr run made after ``set.seed()`` is repeated exactly.  For discrete inputs,
:func:`exact_sensitivity_indices` gives the indices over the full factorial, the values the Monte
Carlo estimates converge to.

Runs are vectorised: the stages before aggregation are computed once per distinct combination
of the inputs that affect them, then all replications sharing those data are aggregated together
as batched matrix products (weights as a replications x codes matrix), and ranked with one 2-D
argsort.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 7 (robustness and
sensitivity: uncertainty analysis, variance-based sensitivity indices).  Saltelli A. et al. (2010),
"Variance based sensitivity analysis of model output", *Comput. Phys. Commun.* 181, 259-270
(estimators of S_i and S_Ti, Table 2 (b) and (f)).  COINr ``get_sensitivity()``, ``SA_sample()``,
``SA_estimate()``, ``get_noisy_weights()`` (R/sensitivity.R).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zhicheng.index import aggregate as agg
from zhicheng.index.coin import Coin
from zhicheng.index.errors import IndexInputError
from zhicheng.index.pipeline import Pipeline, Results
from zhicheng.index.results import rank_desc, rank_desc_rows
from zhicheng.index.rng import RCompatibleRNG
from zhicheng.index.weights import UniformSource, given_weights, noisy_weights


class RandomSource(UniformSource, Protocol):
    """What the analysis draws from: uniforms and bootstrap indices (a numpy ``Generator`` is one).

    :class:`zhicheng.index.rng.RCompatibleRNG` gives R's streams, to repeat a COINr run exactly.
    """

    def integers(self, low: int, high: int, size: tuple[int, ...]) -> Any:
        """Integers in ``[low, high)`` of the given shape, filled in C order."""


@dataclass
class SAInput:
    """One uncertain input: alternatives for the settings of one pipeline step.

    ``alternatives`` are parameter mappings; with ``replace`` they replace the step's settings
    (e.g. a whole normalisation spec), otherwise they are merged into them (e.g. ``{"winmax": 3}``).
    ``labels`` name the alternatives in the parameter table.
    """

    name: str
    stage: str | int
    alternatives: list[dict[str, Any]]
    labels: list[str] = field(default_factory=list)
    replace: bool = False

    def __post_init__(self) -> None:
        if not self.alternatives:
            raise IndexInputError(f"input {self.name!r} has no alternatives")
        if not self.labels:
            self.labels = [_label(a) for a in self.alternatives]


def _label(alt: Mapping[str, Any]) -> str:
    if len(alt) == 1:
        (k, v), = alt.items()
        if k in ("w", "weights"):
            return "weights"
        return str(v)
    return ", ".join(f"{k}={v}" for k, v in alt.items())


@dataclass
class SensitivitySpec:
    """What to vary and how: the inputs, UA or SA, sample size, bootstrap draws, seed, target code.

    ``source``, when set, is the random stream shared by the noisy weights and the run (the spec
    key ``rng: R`` makes it :class:`~zhicheng.index.rng.RCompatibleRNG` seeded with ``seed``, so a
    spec with COINr's ``set.seed()`` value repeats COINr's run).
    """

    inputs: list[SAInput]
    sa_type: str = "UA"
    n: int = 100
    n_boot: int | None = None
    seed: int | None = None
    target: str | None = None
    source: RandomSource | None = None

    @property
    def n_runs(self) -> int:
        """Replications: ``N`` for UA, ``N (d + 2)`` for SA."""
        return self.n if self.sa_type == "UA" else self.n * (len(self.inputs) + 2)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], pipeline: Pipeline,
                     rng: RandomSource | None = None) -> SensitivitySpec:
        """Parse a spec (the YAML of ``zhicheng index sensitivity``).

        Each input has ``name`` and ``stage``, and one of: ``param`` + ``values`` (one setting
        takes each value), ``alternatives`` (whole settings of the step, replacing it), or
        ``noisy_weights: {levels: {2: 0.25}, n: 100}`` (COINr ``get_noisy_weights``), drawn from
        ``rng`` (default: numpy's generator seeded with the spec's ``seed``, or R's stream when
        the spec says ``rng: R``).
        """
        sa_type = str(doc.get("sa_type", doc.get("SA_type", "UA"))).upper()
        if sa_type not in ("UA", "SA"):
            raise IndexInputError("sa_type must be UA or SA")
        seed = doc.get("seed")
        kind = str(doc.get("rng", "numpy")).lower()
        if kind not in ("numpy", "r"):
            raise IndexInputError("rng must be numpy or R")
        source: RandomSource | None = None
        if kind == "r":
            if seed is None:
                raise IndexInputError("rng: R needs a seed (the value given to R's set.seed)")
            source = RCompatibleRNG(int(seed))
        rng = rng if rng is not None else (source or np.random.default_rng(seed))
        inputs = [_parse_input(i, pipeline, rng) for i in doc.get("inputs") or []]
        if not inputs:
            raise IndexInputError("the spec lists no inputs")
        n = int(doc.get("N", doc.get("n", 100)))
        if n < 2:
            raise IndexInputError("N must be at least 2")
        nboot = doc.get("Nboot", doc.get("n_boot"))
        return cls(inputs, sa_type, n, None if nboot is None else int(nboot), seed, doc.get("target"),
                   source if rng is source else None)


def _parse_input(item: Mapping[str, Any], pipeline: Pipeline, rng: RandomSource) -> SAInput:
    if not isinstance(item, Mapping) or "name" not in item or "stage" not in item:
        raise IndexInputError("each input needs a 'name' and a 'stage'")
    name, stage = str(item["name"]), item["stage"]
    pipeline.find(stage)
    if "noisy_weights" in item:
        nw = item["noisy_weights"]
        levels = {int(k): float(v) for k, v in dict(nw.get("levels", {})).items()}
        sets = noisy_weights(pipeline.coin, levels, int(nw.get("n", 100)), rng)
        return SAInput(name, stage, [{"w": s} for s in sets], [f"w{i + 1}" for i in range(len(sets))])
    if "param" in item:
        values = list(item.get("values") or [])
        return SAInput(name, stage, [{str(item["param"]): v} for v in values],
                       [str(v) for v in values])
    if "alternatives" in item:
        alts = [dict(a) for a in item["alternatives"]]
        return SAInput(name, stage, alts, [str(x) for x in item.get("labels", [])], replace=True)
    raise IndexInputError(f"input {name!r} needs 'param'+'values', 'alternatives' or 'noisy_weights'")


@dataclass
class SensitivityResults:
    """Scores, ranks and statistics of an uncertainty or sensitivity analysis.

    ``scores`` / ``ranks``: ``uCode, Nominal, r_1 ... r_R`` (COINr's layout); ``rank_stats``:
    ``uCode, Nominal, Mean, Median, Q5, Q95``; ``parameters``: the choice of each input per run;
    ``sensitivity_indices`` (SA only): ``Variable, Si, STi, Si_q5, Si_q95, STi_q5, STi_q95``.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    rank_stats: pd.DataFrame
    parameters: pd.DataFrame
    sensitivity_indices: pd.DataFrame | None
    seconds: float
    n_runs: int


# ------------------------------------------------------------------------------- sampling
def ua_sample(n: int, d: int, rng: RandomSource) -> np.ndarray:
    """Uniform sample of an uncertainty analysis, ``N`` x ``d`` [fraction].

    Drawn column by column (COINr's ``matrix(runif(d * N), nrow = N)``), so R's stream gives
    COINr's sample.

    References
    ----------
    COINr ``get_sensitivity()`` (R/sensitivity.R).
    """
    return np.asarray(rng.random((d, n)), dtype=float).T.copy()


def sa_sample(n: int, d: int, rng: RandomSource) -> np.ndarray:
    """Saltelli design: ``A``, ``B`` and the ``d`` matrices ``A_B^(i)`` stacked, ``N (d + 2)`` x ``d``.

    ``[A B]`` is drawn column by column as COINr's ``matrix(runif(2 d N), nrow = N)``; ``A_B^(i)``
    is ``A`` with its column ``i`` taken from ``B``.

    References
    ----------
    Saltelli et al. (2010), section 3; COINr ``SA_sample()``.
    """
    base = np.asarray(rng.random((2 * d, n)), dtype=float).T
    a, b = base[:, :d].copy(), base[:, d:].copy()
    blocks = [a, b]
    for i in range(d):
        abi = a.copy()
        abi[:, i] = b[:, i]
        blocks.append(abi)
    return np.vstack(blocks)


def discrete_choices(u: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Map a uniform sample to 0-based choices among ``sizes[j]`` alternatives per column.

    As COINr's ``sample_2_para()``, which uses R's ``cut(x, k)``: the observed range of each column
    is split into ``k`` equal intervals, open on the left, the outer limits moved out by 0.1 % of the
    range; so the lowest and highest draws always map to the first and last alternatives.

    Parameters
    ----------
    u
        Sample, runs x inputs [fraction].
    sizes
        Number of alternatives of each input.

    References
    ----------
    COINr ``sample_2_para()`` (R/sensitivity.R); R ``cut.default()`` (base R, ``breaks`` a number).
    """
    u = np.asarray(u, dtype=float)
    out = np.zeros(u.shape, dtype=np.int64)
    for j, k in enumerate(sizes):
        x = u[:, j]
        lo, hi = float(x.min()), float(x.max())
        dx = hi - lo
        if dx == 0:
            dx = abs(lo)
            breaks = np.linspace(lo - dx / 1000, hi + dx / 1000, int(k) + 1)
        else:
            breaks = np.linspace(lo, hi, int(k) + 1)
            breaks[0], breaks[-1] = lo - dx / 1000, hi + dx / 1000
        out[:, j] = np.clip(np.searchsorted(breaks, x, side="left") - 1, 0, int(k) - 1)
    return out


def sa_estimate(y: np.ndarray, n: int, d: int, n_boot: int | None = None,
                rng: RandomSource | None = None) -> pd.DataFrame:
    """First-order and total sensitivity indices from a Saltelli design's outputs.

    ``S_i = mean(y_B (y_ABi - y_A)) / V`` and ``S_Ti = sum((y_A - y_ABi)^2) / (2 N V)`` with
    ``V = var(y_A, y_B)``; bootstrap 5 % / 95 % quantiles resample the ``N`` terms, as COINr does:
    for each draw, the terms of each input are resampled on their own, first for every ``S_i``
    then for every ``S_Ti`` (indices drawn in that order, so R's stream gives COINr's intervals).

    Parameters
    ----------
    y
        Outputs of the ``N (d + 2)`` runs [output units].
    n, d
        Base sample size and number of inputs.
    n_boot
        Bootstrap draws (``None``: no intervals).
    rng
        Random generator of the bootstrap.

    References
    ----------
    Saltelli et al. (2010), Table 2 (b) and (f) (Jansen); COINr ``SA_estimate()``.
    """
    y = np.asarray(y, dtype=float)
    ya, yb = y[:n], y[n:2 * n]
    yab = y[2 * n:].reshape(d, n).T
    var = np.var(np.concatenate([ya, yb]), ddof=1)
    s_terms = yb[:, None] * (yab - ya[:, None])
    t_terms = (ya[:, None] - yab) ** 2
    out = pd.DataFrame({"Si": s_terms.mean(axis=0) / var, "STi": t_terms.sum(axis=0) / (2 * n * var)})
    if n_boot:
        rng = rng or np.random.default_rng()
        cols = np.arange(d)[None, :, None]
        si_b, st_b = np.empty((n_boot, d)), np.empty((n_boot, d))
        step = max(1, 2_000_000 // (2 * d * n))  # bootstrap draws per block (bounded memory)
        for s in range(0, n_boot, step):
            k = min(step, n_boot - s)
            idx = np.asarray(rng.integers(0, n, size=(k, 2, d, n)), dtype=np.int64)
            si_b[s:s + k] = s_terms.T[cols, idx[:, 0]].mean(axis=-1) / var
            st_b[s:s + k] = t_terms.T[cols, idx[:, 1]].sum(axis=-1) / (2 * n * var)
        out["Si_q5"], out["Si_q95"] = np.quantile(si_b, 0.05, axis=0), np.quantile(si_b, 0.95, axis=0)
        out["STi_q5"], out["STi_q95"] = np.quantile(st_b, 0.05, axis=0), np.quantile(st_b, 0.95, axis=0)
    return out


# ------------------------------------------------------------------------------- the runs
def _changes(spec: SensitivitySpec, choice: Sequence[int], pipeline: Pipeline,
             keep: Callable[[int], bool]) -> dict[int, dict[str, Any]]:
    """Settings per step index for one combination of choices (only steps where ``keep``).

    A ``replace`` input drops the step's original settings (keeping ``dset``, ``write_to``,
    ``indiv`` and whatever other inputs set); the others are merged in.
    """
    steps = pipeline.steps
    out: dict[int, dict[str, Any]] = {}
    touched: dict[int, set[str]] = {}
    for inp, c in zip(spec.inputs, choice, strict=True):
        i = pipeline.find(inp.stage)
        if not keep(i):
            continue
        alt = inp.alternatives[int(c)]
        mine = touched.setdefault(i, set())
        cur = out.get(i, dict(steps[i][1]))
        if inp.replace:
            cur = {k: v for k, v in cur.items() if k in mine or k in _KEEP}
        out[i] = {**cur, **alt}
        mine.update(alt)
    return out


_KEEP = ("dset", "write_to", "indiv", "indiv_specs")


def _apply(pipeline: Pipeline, changes: Mapping[int, Mapping[str, Any]]) -> Pipeline:
    new = Pipeline(pipeline.coin, pipeline.steps)
    for i, params in changes.items():
        new.replace(i, params)
    return new


class _Engine:
    """Runs the replications of a spec on a pipeline, sharing work between them."""

    def __init__(self, pipeline: Pipeline, spec: SensitivitySpec) -> None:
        self.pipe = pipeline
        self.spec = spec
        self.coin: Coin = pipeline.coin
        stages = [s for s, _ in pipeline.steps]
        if "aggregate" not in stages:
            raise IndexInputError("sensitivity analysis needs an aggregate step")
        self.i_agg = len(stages) - 1 - stages[::-1].index("aggregate")
        self.target = spec.target or self.coin.aggregates_at(self.coin.max_level)[0]
        if self.target not in self.coin.level_of:
            raise IndexInputError(f"target {self.target!r} is not in the hierarchy")
        self.late = any(pipeline.find(inp.stage) > self.i_agg for inp in spec.inputs)
        self._pre_cache: dict[tuple[int, ...], Results | Exception] = {}

    def pre_key(self, choice: Sequence[int]) -> tuple[int, ...]:
        return tuple(c if self.pipe.find(inp.stage) < self.i_agg else -1
                     for inp, c in zip(self.spec.inputs, choice, strict=True))

    def pre_state(self, choice: Sequence[int]) -> Results | Exception:
        key = self.pre_key(choice)
        if key not in self._pre_cache:
            ch = _changes(self.spec, choice, self.pipe, lambda i: i < self.i_agg)
            try:
                self._pre_cache[key] = _apply(self.pipe, ch).run(upto=self.i_agg)
            except IndexInputError as exc:  # COINr: "Regen failed", the run gives NA
                self._pre_cache[key] = exc
        return self._pre_cache[key]

    def run(self, choices: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Target scores, replications x units."""
        units = self.coin.data.index
        out = np.full((choices.shape[0], len(units)), np.nan)
        if self.late:
            return self._run_each(choices, out, progress)
        # replications sharing the data before aggregation and the aggregation settings other than
        # the weights form one batch
        keycols = [k for k, inp in enumerate(self.spec.inputs)
                   if self.pipe.find(inp.stage) < self.i_agg
                   or any(key not in ("w", "weights") for alt in inp.alternatives for key in alt)]
        if keycols:
            uniq, inv = np.unique(choices[:, keycols], axis=0, return_inverse=True)
            inv = np.asarray(inv).ravel()
        else:
            uniq, inv = np.zeros((1, 0), dtype=int), np.zeros(choices.shape[0], dtype=int)
        wall = self._weights(choices)
        done = 0
        for g in range(uniq.shape[0]):
            rows = np.flatnonzero(inv == g)
            rep = choices[rows[0]]
            params = _changes(self.spec, rep, self.pipe, lambda i: i == self.i_agg).get(
                self.i_agg, dict(self.pipe.steps[self.i_agg][1]))
            params = {k: v for k, v in params.items() if k not in ("w", "weights")}
            state = self.pre_state(rep)
            if not _batchable(params):  # settings the batched path does not cover: plain re-runs
                self._run_each(choices[rows], out, None, rows)
            elif not isinstance(state, Exception):
                w = wall[rows] if not state.weights or self._explicit_w() else self._weights(choices[rows], state.weights)
                try:
                    scores = self._aggregate(state, params, w)
                    pos = units.get_indexer(state.datasets[self._src(state)].index)
                    out[np.ix_(rows, pos[pos >= 0])] = scores[:, pos >= 0]
                except IndexInputError:
                    pass
            done += len(rows)
            if progress:
                progress(done)
        return out

    def _src(self, state: Results) -> str:
        p = self.pipe.steps[self.i_agg][1]
        return str(p.get("dset") or self.pipe._last_name(state, self.i_agg))

    def _run_each(self, choices: np.ndarray, out: np.ndarray, progress: Callable[[int], None] | None,
                  rows: np.ndarray | None = None) -> np.ndarray:
        units = self.coin.data.index
        for k, choice in enumerate(choices):
            r = k if rows is None else int(rows[k])
            try:
                res = _apply(self.pipe, _changes(self.spec, choice, self.pipe, lambda i: True)).run()
                s = res.aggregated[self.target]
                out[r, units.get_indexer(s.index)] = s.to_numpy(dtype=float)
            except IndexInputError:
                pass
            if progress:
                progress(k + 1)
        return out

    def _explicit_w(self) -> bool:
        p = self.pipe.steps[self.i_agg][1]
        return p.get("w") is not None or p.get("weights") is not None

    def _weights(self, choices: np.ndarray, nominal: Mapping[str, float] | None = None) -> np.ndarray:
        """Weights of every code per replication (replications x codes).

        The base is the aggregate step's ``w``, else ``nominal`` (weights set by a ``weights``
        step), else the metadata weights; weight inputs override it per replication.
        """
        codes = list(self.coin.level_of)
        base_params = self.pipe.steps[self.i_agg][1]
        base = given_weights(self.coin, base_params.get("w") or base_params.get("weights") or nominal or None)
        w0 = np.array([base[c] for c in codes])
        w = np.tile(w0, (choices.shape[0], 1))
        col = {c: j for j, c in enumerate(codes)}
        for k, inp in enumerate(self.spec.inputs):
            if self.pipe.find(inp.stage) != self.i_agg:
                continue
            alts = [a.get("w", a.get("weights")) for a in inp.alternatives]
            if all(a is None for a in alts):
                continue
            mat = np.tile(w0, (len(alts), 1))
            for i, a in enumerate(alts):
                if not a:
                    continue
                unknown = [c for c in a if c not in col]
                if unknown:
                    raise IndexInputError(f"weights name unknown code(s) {unknown}")
                mat[i, [col[c] for c in a]] = [float(v) for v in a.values()]
            changed = np.any(mat != w0, axis=0)
            w[:, changed] = mat[choices[:, k]][:, changed]
        return w

    def _aggregate(self, state: Results, params: Mapping[str, Any], wmat: np.ndarray) -> np.ndarray:
        """Target scores for replications sharing the data and aggregation settings."""
        data = state.datasets[self._src(state)]
        inds = [c for c in data.columns if self.coin.level_of.get(str(c)) == 1]
        nlev = self.coin.max_level
        methods = [agg.method_name(m) for m in agg.per_level(params.get("method", params.get("f_ag", "amean")), nlev, "method")]
        thr = agg.per_level(params.get("dat_thresh"), nlev, "dat_thresh")
        ps = agg.per_level(params.get("p"), nlev, "p")
        codes = list(self.coin.level_of)
        col = {c: j for j, c in enumerate(codes)}
        vals: np.ndarray = data[inds].to_numpy(dtype=float)
        names = inds
        for lev in range(2, nlev + 1):
            parents = self.coin.aggregates_at(lev)
            mem = agg.membership(names, parents, self.coin.parent_of)
            wl = wmat[:, [col[c] for c in names]]
            vals = _level(vals, wl, mem, methods[lev - 2], ps[lev - 2], thr[lev - 2])
            names = parents
            if self.target in names:
                out = vals[..., names.index(self.target)]
                return np.broadcast_to(out, (wmat.shape[0], out.shape[-1])).copy()
        raise IndexInputError(f"target {self.target!r} was not reached by aggregation")


def _batchable(params: Mapping[str, Any]) -> bool:
    """Whether the batched aggregation covers these aggregate settings exactly."""
    known = {"method", "f_ag", "dat_thresh", "p", "dset", "write_to"}
    if set(params) - known:
        return False
    return not isinstance(params.get("dat_thresh"), Mapping)


def _level(vals: np.ndarray, wl: np.ndarray, mem: np.ndarray, method: str, p: float | None,
           thr: float | None, chunk: int = 2048) -> np.ndarray:
    """One aggregation level for shared (units x children) or batched (R x units x children) values."""
    same = bool(np.all(wl == wl[0]))
    if method == "copeland":
        if vals.ndim == 2 and same:
            return np.column_stack([agg.copeland(vals[:, mem[:, j] > 0], wl[0][mem[:, j] > 0])
                                    for j in range(mem.shape[1])])
        v3 = np.broadcast_to(vals, (wl.shape[0],) + vals.shape[-2:])
        return np.stack([np.column_stack([agg.copeland(v3[r][:, mem[:, j] > 0], wl[r][mem[:, j] > 0])
                                          for j in range(mem.shape[1])]) for r in range(wl.shape[0])])
    t = None if thr is None else float(thr)
    if same and vals.ndim == 2:
        return agg.weighted_mean(vals, wl[0][:, None] * mem, method, p, t, mem)
    parts = []
    for s in range(0, wl.shape[0], chunk):
        wm = wl[s:s + chunk, :, None] * mem[None]
        v = vals if vals.ndim == 2 else vals[s:s + chunk]
        parts.append(agg.weighted_mean(v, wm, method, p, t, mem))
    return np.concatenate(parts, axis=0)


# ------------------------------------------------------------------------------- public entry
def exact_sensitivity_indices(pipeline: Pipeline, spec: SensitivitySpec,
                              max_runs: int = 200_000) -> pd.DataFrame:
    """First-order and total indices of the mean absolute rank shift over the full factorial.

    With discrete, uniform inputs the variance decomposition can be computed exactly from every
    combination: ``S_i = Var(E[Y | X_i]) / Var(Y)`` and ``S_Ti = E[Var(Y | X_~i)] / Var(Y)``,
    the values that the Monte Carlo estimates of :func:`run_sensitivity` converge to.

    Parameters
    ----------
    pipeline
        The nominal pipeline.
    spec
        Inputs (``sa_type``, ``n`` and the seed are not used).
    max_runs
        Refuse grids with more combinations than this.

    Returns
    -------
    pandas.DataFrame
        ``Variable, Si, STi`` [fraction of the output variance].

    References
    ----------
    Saltelli et al. (2010), eqs. (1)-(2) (definitions of S_i and S_Ti); COINr ``get_sensitivity()``
    (target: mean absolute rank change from the nominal ranks).
    """
    sizes = [len(i.alternatives) for i in spec.inputs]
    total = int(np.prod(sizes))
    if total > max_runs:
        raise IndexInputError(f"the full factorial has {total} combinations (more than {max_runs})")
    grid = np.stack(np.meshgrid(*[np.arange(k) for k in sizes], indexing="ij"), axis=-1).reshape(-1, len(sizes))
    engine = _Engine(pipeline, spec)
    units = pipeline.coin.data.index
    nominal = rank_desc(pipeline.run().aggregated[engine.target].reindex(units).to_numpy(dtype=float))
    y = np.nanmean(np.abs(rank_desc_rows(engine.run(grid)) - nominal[None, :]), axis=1).reshape(sizes)
    var = y.var()
    d = len(sizes)
    si = [y.mean(axis=tuple(j for j in range(d) if j != i)).var() / var for i in range(d)]
    sti = [y.var(axis=i).mean() / var for i in range(d)]
    return pd.DataFrame({"Variable": [i.name for i in spec.inputs], "Si": si, "STi": sti})



def rank_quantiles(ranks: np.ndarray, probs: Sequence[float]) -> list[np.ndarray]:
    """Quantiles of integer ranks per unit (columns), R's type 7, from rank counts.

    Ranks take at most ``units`` distinct integer values, so each unit's order statistics come from
    the cumulative counts of its ranks instead of a sort of the replications.

    References
    ----------
    Hyndman & Fan (1996), "Sample quantiles in statistical packages", definition 7 (R's default,
    used by COINr ``get_sensitivity()`` rank statistics).
    """
    r = np.asarray(ranks).astype(np.int64)
    n_rep, n_units = r.shape
    top = int(r.max()) + 1
    counts = np.bincount((np.arange(n_units)[None, :] * top + r).ravel(), minlength=n_units * top)
    cum = np.cumsum(counts.reshape(n_units, top), axis=1)

    def order_stat(k: np.ndarray) -> np.ndarray:  # k-th smallest (0-based) per unit
        return np.argmax(cum > k[:, None], axis=1).astype(float)

    out = []
    for p in probs:
        h = (n_rep - 1) * float(p)
        lo = int(np.floor(h))
        k = np.full(n_units, lo)
        a = order_stat(k)
        b = order_stat(np.minimum(k + 1, n_rep - 1))
        out.append(a + (h - lo) * (b - a))
    return out


def _frame(units: pd.Index, nominal: np.ndarray, runs: np.ndarray) -> pd.DataFrame:
    body = pd.DataFrame(runs.T, columns=[f"r_{i + 1}" for i in range(runs.shape[0])])
    head = pd.DataFrame({"uCode": np.asarray(units, dtype=object), "Nominal": nominal})
    return pd.concat([head, body], axis=1)


def run_sensitivity(pipeline: Pipeline, spec: SensitivitySpec,
                    progress: Callable[[int], None] | None = None,
                    rng: RandomSource | None = None) -> SensitivityResults:
    """Run an uncertainty (UA) or sensitivity (SA) analysis of the target's ranks.

    Parameters
    ----------
    pipeline
        The nominal pipeline (its settings give the nominal ranks).
    spec
        Inputs and sampling settings.
    progress
        Called with the number of replications done.
    rng
        Source of the sample and the bootstrap (default: numpy's generator seeded with
        ``spec.seed``).  Draws follow COINr's order, so
        :class:`~zhicheng.index.rng.RCompatibleRNG` repeats a COINr run made after ``set.seed()``.

    Returns
    -------
    SensitivityResults
        Scores and ranks per run, rank statistics (``Nominal, Mean, Median, Q5, Q95``), the sampled
        parameters and, for SA, the sensitivity indices of the mean absolute rank shift.

    References
    ----------
    COINr ``get_sensitivity()``; OECD/JRC Handbook (2008), Step 7; Saltelli et al. (2010).
    """
    t0 = time.perf_counter()
    if rng is None:
        rng = spec.source if spec.source is not None else np.random.default_rng(spec.seed)
    d = len(spec.inputs)
    u = ua_sample(spec.n, d, rng) if spec.sa_type == "UA" else sa_sample(spec.n, d, rng)
    choices = discrete_choices(u, [len(i.alternatives) for i in spec.inputs])
    engine = _Engine(pipeline, spec)
    nominal_res = pipeline.run()
    units = pipeline.coin.data.index
    nominal = nominal_res.aggregated[engine.target].reindex(units).to_numpy(dtype=float)
    scores = engine.run(choices, progress)
    nom_rank = rank_desc(nominal)
    ranks = rank_desc_rows(scores)
    # COINr: for SA, rank statistics use only the 2N random runs (matrices A and B)
    sample = ranks if spec.sa_type == "UA" else ranks[:2 * spec.n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units missing in every run
        if np.isnan(sample).any():
            med, q5, q95 = (np.nanmedian(sample, axis=0), np.nanquantile(sample, 0.05, axis=0),
                            np.nanquantile(sample, 0.95, axis=0))
        else:
            med, q5, q95 = rank_quantiles(sample, (0.5, 0.05, 0.95))
        stats = pd.DataFrame({
            "uCode": np.asarray(units, dtype=object), "Nominal": nom_rank,
            "Mean": np.nanmean(sample, axis=0), "Median": med, "Q5": q5, "Q95": q95})
    params = pd.DataFrame({inp.name: [inp.labels[c] for c in choices[:, k]] for k, inp in enumerate(spec.inputs)})
    params.insert(0, "run", np.arange(1, len(choices) + 1))
    indices = None
    if spec.sa_type == "SA":
        y = np.nanmean(np.abs(ranks - nom_rank[None, :]), axis=1)
        indices = sa_estimate(y, spec.n, d, spec.n_boot, rng)
        indices.insert(0, "Variable", [i.name for i in spec.inputs])
    return SensitivityResults(_frame(units, nominal, scores), _frame(units, nom_rank, ranks), stats, params,
                              indices, time.perf_counter() - t0, len(choices))
