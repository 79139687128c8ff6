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
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from zhicheng.index.errors import IndexInputError
from zhicheng.index.pipeline import Pipeline
from zhicheng.index.results import rank_desc, rank_desc_rows
from zhicheng.index.sensitivity_runs import _Engine
from zhicheng.index.sensitivity_sampling import discrete_choices, sa_estimate, sa_sample, ua_sample
from zhicheng.index.sensitivity_spec import (
    RandomSource,
    SAInput,
    SensitivityResults,
    SensitivitySpec,
)


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

__all__ = [
    "RandomSource",
    "SAInput",
    "SensitivityResults",
    "SensitivitySpec",
    "discrete_choices",
    "exact_sensitivity_indices",
    "rank_quantiles",
    "run_sensitivity",
    "sa_estimate",
    "sa_sample",
    "ua_sample",
]
