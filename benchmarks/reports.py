"""Evaluation reports: one city report (PDF with charts), and every city's, on the demo workspace.

One run on the demo workspace (``--db`` / ``ZHICHENG_DB`` when it holds an evaluation run,
otherwise the demo is built into a temp dir: 294 evaluated cities, real values, one run):
  1. one city report as PDF with its charts (radar, bars, trends, air, carbon), rendered in this
     process: the first one (which also pays the imports, the fonts and the templates) and then
     ``--repeat`` more of other cities, warm, as each worker of a batch renders them. Target < 3 s.
  2. ``zhicheng report --all-units`` as the CLI runs it (``--jobs`` worker processes), on a sample
     of ``--sample`` cities, and the time for every city extrapolated from it: the workers' start
     plus the number of cities times the sample's wall time per report. Target < 5 min for all.
     The sample keeps the run short on a shared machine; ``--sample 0`` renders every city.
No peer renders these reports; the targets of the issue are printed beside our figures. The
machine these figures come from is shared with other work, so each figure says how loaded it was
(the 1-minute load average over the number of CPUs).

Run: .venv/bin/python benchmarks/reports.py [--db PATH] [--repeat 5] [--sample 12] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cockpit_load import workspace  # noqa: E402

from zhicheng.store import init_store, store_url  # noqa: E402

ONE_TARGET_S = 3.0
ALL_TARGET_S = 300.0


def load() -> str:
    """The machine's load: 1-minute load average per CPU."""
    one, _, _ = os.getloadavg()
    return f"load {one:.1f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("ZHICHENG_DB"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = workspace(args.db, tmp)
        engine = init_store(db)
        from zhicheng.workspace.reports import Gatherer, render_all_units, unit_codes, write_report

        codes = unit_codes(engine)
        run_id = Gatherer(engine).run_id(None)
        print(f"run {run_id}: {len(codes)} city units")
        # 1. One report, cold then warm (Beijing first: it has air quality, carbon and trends).
        first = "110100" if "110100" in codes else codes[0]
        gatherer = Gatherer(engine, batch=True)
        t0 = time.perf_counter()
        path, doc = write_report(engine, "city", first, tmp / "first.pdf", run_id=run_id, gatherer=gatherer)
        cold = time.perf_counter() - t0
        print(f"one city report, first in the process ({first}, {len(doc.charts)} charts, "
              f"{path.stat().st_size / 1024:.0f} KiB): {cold:.2f} s  [{load()}]")
        warm, warm_cpu = [], []
        others = [c for c in codes if c != first][: args.repeat]
        for code in others:
            t0, c0 = time.perf_counter(), time.process_time()
            write_report(engine, "city", code, tmp / f"{code}.pdf", run_id=run_id, gatherer=gatherer)
            warm.append(time.perf_counter() - t0)
            warm_cpu.append(time.process_time() - c0)
        if warm:
            print(f"one city report, warm (median of {len(warm)}): {statistics.median(warm):.2f} s wall, "
                  f"{statistics.median(warm_cpu):.2f} s CPU   target < {ONE_TARGET_S:.0f} s  [{load()}]")
        # 2. Every city with the CLI's parallel renderer: a sample, then extrapolated.
        sample = codes if args.sample <= 0 else codes[: args.sample]
        t0 = time.perf_counter()
        done: list[float] = []
        cpu: list[float] = []

        def record(_unit: str, _path: str, _wall: float, cpu_s: float) -> None:
            done.append(time.perf_counter() - t0)
            cpu.append(cpu_s)

        render_all_units(store_url(db), sample, tmp / "all", run_id=run_id, jobs=args.jobs, done=record)
        wall = time.perf_counter() - t0
        first_done = min(done) if done else wall
        # The workers' start-up is paid once: the time to the first report less one report's time.
        per_report = (wall - first_done) / max(1, len(sample) - 1) if len(sample) > 1 else wall
        startup = max(0.0, first_done - per_report)
        estimate = startup + per_report * len(codes)
        kind = "measured" if len(sample) == len(codes) else f"extrapolated from {len(sample)}"
        print(f"{len(sample)} city reports with {args.jobs} processes: {wall:.1f} s wall "
              f"({per_report:.2f} s per report once started, start-up {startup:.1f} s)  [{load()}]")
        print(f"all {len(codes)} city reports ({kind}, at this load): {estimate:.0f} s   target < {ALL_TARGET_S:.0f} s")
        # What the same work needs on this machine without other work: the CPU time per report
        # (measured in the workers) shared by the processes, plus the same start-up.
        cpu_each = statistics.median(cpu) if cpu else per_report
        workers = max(1, min(args.jobs, os.cpu_count() or 1))
        print(f"all {len(codes)} city reports from CPU time ({cpu_each:.2f} s CPU per report, {workers} processes, "
              f"machine otherwise idle): {startup + cpu_each * len(codes) / workers:.0f} s   "
              f"target < {ALL_TARGET_S:.0f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
