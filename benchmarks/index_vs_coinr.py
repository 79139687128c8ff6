"""Composite-index engine vs COINr on COINr's synthetic timing case (tests/peers/coinr/README.md).

300 units x 100 indicators (values N(50, 10), about 20 % of directions -1) -> 10 pillars -> Index,
all weights 1.  Prints, from one run:
- full pipeline seconds (coin construction + min-max 0-100 + arithmetic mean), median of 7 after a
  warm-up; target <= 5 ms, COINr 0.082-0.084 s;
- uncertainty analysis over normalisation {minmax 1-100, zscore (10, 2)}, 200 noisy level-2 weight
  sets (noise factor 0.25) and aggregation {amean, gmean}: seconds per replication and replications
  per second for 10,000 replications; target >= 5,000 rep/s, COINr 0.09-0.12 s per replication;
- the same inputs as a sensitivity analysis (N = 2,000, i.e. 10,000 regenerations, 100 bootstrap
  draws); COINr 0.10-0.13 s per regeneration.
COINr does not run on this machine, so its figures are the recorded ones of the README.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pandas as pd

from zhicheng.index import Coin, Pipeline
from zhicheng.index.sensitivity import SAInput, SensitivitySpec, run_sensitivity
from zhicheng.index.weights import noisy_weights

COINR_PIPELINE_S = (0.082, 0.084)
COINR_UA_S_PER_REP = (0.09, 0.12)
COINR_SA_S_PER_REP = (0.10, 0.13)


def synthetic_case(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """iData / iMeta of COINr's timing case (numpy's RNG instead of R's)."""
    rng = np.random.default_rng(seed)
    n_units, n_ind, n_pil = 300, 100, 10
    codes = [f"i{k + 1:03d}" for k in range(n_ind)]
    idata = pd.DataFrame(rng.normal(50, 10, size=(n_units, n_ind)), columns=codes)
    idata.insert(0, "uCode", [f"U{u + 1:03d}" for u in range(n_units)])
    directions = np.where(rng.uniform(size=n_ind) < 0.2, -1, 1)
    rows = [{"iCode": c, "Level": 1, "Parent": f"P{k // 10 + 1:02d}", "Direction": int(d), "Weight": 1.0,
             "Type": "Indicator"} for k, (c, d) in enumerate(zip(codes, directions, strict=True))]
    rows += [{"iCode": f"P{p + 1:02d}", "Level": 2, "Parent": "Index", "Direction": 1, "Weight": 1.0,
              "Type": "Aggregate"} for p in range(n_pil)]
    rows.append({"iCode": "Index", "Level": 3, "Parent": None, "Direction": 1, "Weight": 1.0, "Type": "Aggregate"})
    return idata, pd.DataFrame(rows)


STEPS = [{"normalise": {"method": "minmax", "l_u": [0, 100]}}, {"aggregate": {"method": "amean"}}]


def time_pipeline(idata: pd.DataFrame, imeta: pd.DataFrame, reps: int = 7) -> tuple[float, float, float]:
    """Median wall, best wall and median CPU seconds of coin construction + normalise + aggregate.

    One warm-up, then ``reps`` runs (COINr's figure is the median of 7 after a warm-up).  On a
    shared machine the best run and the CPU time show the cost without other processes' load.
    """
    def once() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        Pipeline(Coin.from_coinr(idata, imeta), STEPS).run()
        return time.perf_counter() - t, time.process_time() - c

    once()
    runs = [once() for _ in range(reps)]
    return (statistics.median(r[0] for r in runs), min(r[0] for r in runs),
            statistics.median(r[1] for r in runs))


def ua_spec(coin: Coin, sa_type: str, n: int) -> SensitivitySpec:
    """The README's three uncertain inputs."""
    rng = np.random.default_rng(7)
    wsets = noisy_weights(coin, {2: 0.25}, 200, rng)
    inputs = [
        SAInput("Normalisation", "normalise", [{"method": "minmax", "l_u": [1, 100]},
                                                {"method": "zscore", "m_sd": [10, 2]}],
                ["n_minmax", "n_zscore"], replace=True),
        SAInput("Weights", "aggregate", [{"w": w} for w in wsets], [f"w{i + 1}" for i in range(len(wsets))]),
        SAInput("Aggregation", "aggregate", [{"method": "amean"}, {"method": "gmean"}], ["a_amean", "a_gmean"]),
    ]
    return SensitivitySpec(inputs, sa_type=sa_type, n=n, n_boot=100 if sa_type == "SA" else None, seed=42)


def main() -> None:
    idata, imeta = synthetic_case()
    t_pipe, best_pipe, cpu_pipe = time_pipeline(idata, imeta, reps=21)
    coin = Coin.from_coinr(idata, imeta)
    pipe = Pipeline(coin, STEPS)

    ua = run_sensitivity(pipe, ua_spec(coin, "UA", 10_000))
    sa = run_sensitivity(pipe, ua_spec(coin, "SA", 2_000))

    print("COINr synthetic timing case: 300 units x 100 indicators -> 10 pillars -> Index")
    print(f"{'measure':<44}{'zhicheng':>14}{'COINr (recorded)':>22}")
    print(f"{'full pipeline, median of 21 [s]':<44}{t_pipe:>14.5f}{'0.082-0.084':>22}")
    print(f"{'  best of the 21 runs [s]':<44}{best_pipe:>14.5f}")
    print(f"{'  CPU time, median [s]':<44}{cpu_pipe:>14.5f}")
    print(f"{'  speed-up':<44}{COINR_PIPELINE_S[0] / t_pipe:>13.0f}x")
    print(f"{'UA: replications':<44}{ua.n_runs:>14d}{'100':>22}")
    print(f"{'UA: total [s]':<44}{ua.seconds:>14.3f}{'9.0-11.5':>22}")
    print(f"{'UA: seconds per replication':<44}{ua.seconds / ua.n_runs:>14.2e}{'0.09-0.12':>22}")
    print(f"{'UA: replications per second':<44}{ua.n_runs / ua.seconds:>14.0f}{'8-11':>22}")
    print(f"{'SA: regenerations (N = 2000, d = 3)':<44}{sa.n_runs:>14d}{'500':>22}")
    print(f"{'SA: seconds per regeneration':<44}{sa.seconds / sa.n_runs:>14.2e}{'0.10-0.13':>22}")
    print(f"{'SA: regenerations per second':<44}{sa.n_runs / sa.seconds:>14.0f}{'8-10':>22}")
    print("targets: pipeline <= 0.005 s; UA >= 5,000 replications/s (10,000 in < 2 s)")
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(sa.sensitivity_indices.to_string(index=False))


if __name__ == "__main__":
    main()
