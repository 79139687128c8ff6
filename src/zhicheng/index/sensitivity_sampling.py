"""Samples and estimators of the uncertainty and sensitivity analysis.

References
----------
Saltelli A. et al. (2010), "Variance based sensitivity analysis of model output", *Comput. Phys.
Commun.* 181, 259-270 (estimators of S_i and S_Ti, Table 2 (b) and (f)).  COINr ``SA_sample()``,
``SA_estimate()``, ``sample_2_para()`` (R/sensitivity.R).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from zhicheng.index.sensitivity_spec import RandomSource


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
