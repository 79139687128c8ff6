"""Rank intervals of a real evaluation run: 1,000 replications varying weights and methods over ~300 cities.

Builds the demo workspace (every source in ``data/``, the 2020 evaluation of about 300 cities) in a
temporary SQLite store, or uses ``--db`` when given, then times
:func:`zhicheng.evaluate.uncertainty.run_uncertainty` (rebuild the run, 1,000 replications of
requirement and domain weights ±25 %, normalisation (min-max or z-scores) and aggregation
(arithmetic or geometric mean), rank statistics, store) — median of 3 after a warm-up.
Target: a few seconds at most. COINr does not run on this machine: its recorded uncertainty
analysis speed is 0.09–0.12 s per replication (tests/peers/coinr/README.md, ASEM example), i.e.
90–120 s for 1,000 replications.

Usage: ``python benchmarks/evaluate_uncertainty.py [--db URL] [--n 1000]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from zhicheng.evaluate.uncertainty import run_uncertainty, widest
from zhicheng.store import init_store
from zhicheng.workspace.demo import build_demo

COINR_UA_S_PER_REP = (0.09, 0.12)


def main() -> None:
    """Print our seconds for ``n`` replications beside COINr's recorded figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store holding an evaluation run (default: build the demo)")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.db'}"
        engine = init_store(url)
        if args.db is None:
            t0 = time.perf_counter()
            build_demo(engine)
            print(f"demo workspace built in {time.perf_counter() - t0:.1f} s")
        run_uncertainty(engine, n=50)  # warm-up
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            frame = run_uncertainty(engine, n=args.n)
            walls.append(time.perf_counter() - t0)
        engine.dispose()
    wall = statistics.median(walls)
    lo, hi = (s * args.n for s in COINR_UA_S_PER_REP)
    print(f"{len(frame)} units, {args.n} replications (weights ±25 % at requirement and domain levels, "
          "normalisation and aggregation varied)")
    print(f"{'measure':<40}{'zhicheng':>12}{'COINr (recorded)':>20}")
    print(f"{'total [s], median of 3':<40}{wall:>12.3f}{f'{lo:.0f}-{hi:.0f}':>20}")
    print(f"{'seconds per replication':<40}{wall / args.n:>12.2e}{'0.09-0.12':>20}")
    print(f"{'replications per second':<40}{args.n / wall:>12.0f}{'8-11':>20}")
    print("widest intervals:")
    print(widest(frame, 5)[["unit_code", "rank_nominal", "rank_median", "rank_q5", "rank_q95"]].to_string(index=False))


if __name__ == "__main__":
    main()
