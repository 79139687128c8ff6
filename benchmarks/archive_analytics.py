"""Archive and analytics at scale: archiving rows/s, the HJ 663 chain on DuckDB, Spark, in memory.

One run prints, side by side, for each size (10 million and, with ``--rows 10M,100M``, 100
million hourly pollutant rows of the **synthetic** national network made from the real Beijing
series, :mod:`zhicheng.archive.synthetic`):

- DuckDB over the Parquet archive (memory limit 3 GB, spilling to disk beyond it);
- Spark on a standalone cluster of one 2-core worker (``--spark URL``, else the one
  ``.ci/spark-cluster`` starts for the run);
- the pure in-memory cores (:mod:`zhicheng.air`) where the data fit (``--memory-up-to``);

wall time and peak resident memory of each (its own process; for Spark the driver's Python and
JVM and the executor's JVM added), whether each gives the same answer as DuckDB, and the slope
from the smallest size to the largest. Archiving: rows/s of ``archive run`` from a SQLite store.

    .venv/bin/python benchmarks/archive_analytics.py                     # 10M
    .venv/bin/python benchmarks/archive_analytics.py --rows 10M,100M --no-spark-above 10M

Peer: the issue's targets (DuckDB < 60 s and < 4 GB peak RSS at 100M rows on this machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEIJING = ROOT / "data" / "air_quality" / "beijing_multisite"


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 10**3, "M": 10**6, "G": 10**9}.get(text[-1], 1)
    return int(float(text.rstrip("KMG")) * factor)


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _digest(daily: Any, annual: Any) -> str:
    """A checksum of the answer: every station-day's AQI, level, validity, MDA8 and PM2.5, and
    every station-year's good-day share, PM2.5 mean and O3 percentile."""
    import pandas as pd

    def text(frame: Any, numeric: list[str]) -> str:
        out = frame.copy()
        for col in out.columns:
            values = pd.to_numeric(out[col]).astype(float) if col in numeric else out[col]
            out[col] = values.astype(object).where(values.notna(), "").astype(str)
        return str(out.to_csv(index=False))

    d = text(daily[["station", "date", "aqi", "level", "valid", "o3_8h_max", "pm25_24h"]],
             ["aqi", "o3_8h_max", "pm25_24h"])
    a = text(annual[["station", "year", "good_day_share", "pm25_annual", "o3_8h_p90"]],
             ["year", "good_day_share", "pm25_annual", "o3_8h_p90"])
    return hashlib.sha256((d + a).encode()).hexdigest()[:16]


def child(engine: str, archive: str, spark_url: str | None) -> None:
    """Run one engine on the archive; print seconds, peak RSS and the answer's digest as JSON."""
    from zhicheng.archive import engines
    from zhicheng.archive.location import Location

    loc = Location.open(archive)
    extra_kb = 0
    if engine == "duckdb":
        t0 = time.perf_counter()
        chain = engines.duckdb_chain(loc, memory_limit="3GB", spill=tempfile.mkdtemp())
        seconds = time.perf_counter() - t0
    elif engine == "memory":
        from zhicheng.air import annual_evaluation, daily_aqi
        from zhicheng.archive.synthetic import wide_hourly

        t0 = time.perf_counter()
        hourly = wide_hourly(loc)
        t1 = time.perf_counter()
        daily = daily_aqi(hourly)
        annual = annual_evaluation(daily)
        seconds = time.perf_counter() - t1
        print(json.dumps({"load_seconds": t1 - t0}), file=sys.stderr)
        chain = engines.Chain(daily.sort_values(["station", "date"]).reset_index(drop=True),
                              annual.sort_values(["station", "year"]).reset_index(drop=True))
    else:
        assert spark_url
        spark = engines.spark_session(spark_url, app="zhicheng-benchmark", cores=2)
        spark.sparkContext.setLogLevel("ERROR")
        t0 = time.perf_counter()
        chain = engines.spark_chain(loc, session=spark)
        seconds = time.perf_counter() - t0
        # Driver JVM (a child of this process) and the executors (children of the worker).
        extra_kb = sum(_vm_hwm_kb(p) for p in _children(os.getpid()))
        worker = os.environ.get("BENCH_SPARK_WORKER_PID")
        if worker:
            extra_kb += sum(_vm_hwm_kb(p) for p in _children(int(worker)))
        spark.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + extra_kb
    print(json.dumps({"seconds": seconds, "rss_mb": rss_kb / 1024, "daily_rows": len(chain.daily),
                      "digest": _digest(chain.daily, chain.annual)}))


def _run_child(engine: str, archive: Path, spark_url: str | None, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, "--archive", str(archive)]
    if spark_url:
        cmd += ["--spark", spark_url]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def archiving_rate(rows: int) -> tuple[int, float]:
    """Rows/s of ``archive run`` moving ``rows`` observations out of a SQLite store."""
    import numpy as np

    from zhicheng.archive import mover
    from zhicheng.archive.location import Location
    from zhicheng.store import init_store
    from zhicheng.store import schema_sensing as s

    work = Path(tempfile.mkdtemp())
    engine = init_store(f"sqlite:///{work / 'store.db'}")
    per_stream = 8760 * 2
    streams = max(1, rows // per_stream)
    with engine.begin() as conn:
        thing = conn.execute(s.sta_things.insert().values(name="synthetic", description="-")).inserted_primary_key[0]
        sensor = conn.execute(s.sta_sensors.insert().values(name="a", description="-", encoding_type="t")).inserted_primary_key[0]
        op = conn.execute(s.sta_observed_properties.insert().values(name="PM2.5", definition="-", description="-")).inserted_primary_key[0]
        foi = conn.execute(s.sta_features_of_interest.insert().values(name="f", description="-", encoding_type="t")).inserted_primary_key[0]
        t = 1_600_000_000_000_000 + np.arange(per_stream, dtype=np.int64) * 3_600_000_000
        values = np.random.default_rng(1).gamma(2.0, 30.0, per_stream).round(0)
        for i in range(streams):
            ds = conn.execute(s.sta_datastreams.insert().values(
                name=f"synthetic {i}", description="-", unit_of_measurement={}, observation_type="m",
                thing_id=thing, sensor_id=sensor, observed_property_id=op)).inserted_primary_key[0]
            conn.exec_driver_sql(
                "INSERT INTO sta_observations (datastream_id, feature_of_interest_id, phenomenon_time_start, "
                "result_number) VALUES (?, ?, ?, ?)",
                [(ds, foi, int(a), float(b)) for a, b in zip(t, values, strict=True)])
    loc = Location.open(str(work / "archive"))
    report = mover.run(engine, loc, hot_days=1)
    engine.dispose()
    return report.rows, report.rows / report.seconds


def _start_spark() -> tuple[str, str | None]:
    env = {**os.environ, "SPARK_MASTER_PORT": os.environ.get("BENCH_SPARK_PORT", "7277"),
           "SPARK_RUN": str(Path(tempfile.mkdtemp()) / "spark")}
    url = subprocess.run([str(ROOT / ".ci" / "spark-cluster"), sys.executable], capture_output=True,
                         text=True, check=True, env=env).stdout.strip().splitlines()[-1]
    os.environ["BENCH_SPARK_RUN"] = env["SPARK_RUN"]
    worker = (Path(env["SPARK_RUN"]) / "worker.pid").read_text().strip()
    return url, worker


def main() -> None:
    """Generate, run every engine at every size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M", help="sizes, e.g. 10M,100M")
    parser.add_argument("--spark", default=os.environ.get("ZHICHENG_TEST_SPARK_URL"),
                        help="spark:// URL of a standalone cluster (default: start one)")
    parser.add_argument("--no-spark-above", default="100M", help="skip Spark above this size")
    parser.add_argument("--memory-up-to", default="20M", help="run the in-memory cores up to this size")
    parser.add_argument("--archive-rows", default="500K", help="observations archived for the rows/s figure")
    parser.add_argument("--work", default=None, help="folder for the generated archives (default: a temporary one)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--archive", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.archive, args.spark)
        return

    from zhicheng.air.io import read_beijing
    from zhicheng.archive import synthetic
    from zhicheng.archive.location import Location

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    n_arch, rate = archiving_rate(_size(args.archive_rows))
    print(f"archive run (SQLite store → Parquet): {n_arch:,} observations at {rate:,.0f} rows/s")
    spark_url, worker = args.spark, os.environ.get("BENCH_SPARK_WORKER_PID")
    started = False
    if not spark_url:
        spark_url, worker = _start_spark()
        started = True
    env = {**os.environ, **({"BENCH_SPARK_WORKER_PID": worker} if worker else {})}
    base = read_beijing(sorted(BEIJING.glob("PRSA_Data_*.csv*"))).drop(columns=["file", "row"])
    work = Path(args.work or tempfile.mkdtemp())
    results: list[tuple[int, str, dict[str, Any]]] = []
    try:
        for size in [_size(x) for x in args.rows.split(",")]:
            stations = synthetic.stations_for(size)
            folder = work / f"synthetic-{size}"
            loc = Location.open(str(folder))
            t0 = time.perf_counter()
            net = synthetic.generate(loc, base, stations)
            print(f"\ngenerated {net.rows:,} synthetic hourly rows ({stations} stations × 1 year × 6 "
                  f"pollutants) in {time.perf_counter() - t0:.0f} s", flush=True)
            engines = ["duckdb"]
            if size <= _size(args.memory_up_to):
                engines.append("memory")
            if size <= _size(args.no_spark_above):
                engines.append("spark")
            for engine in engines:
                got = _run_child(engine, folder, spark_url if engine == "spark" else None, env)
                results.append((net.rows, engine, got))
                print(f"  {engine:7s} {json.dumps(got)}", flush=True)
    finally:
        if started:
            subprocess.run([str(ROOT / ".ci" / "spark-cluster"), "stop"], check=False,
                           env={**os.environ, "SPARK_RUN": os.environ["BENCH_SPARK_RUN"]})
    print("\n| rows | engine | HJ 663 chain [s] | peak RSS [MB] | same answer as DuckDB |")
    print("|---|---|---|---|---|")
    reference = {rows: r.get("digest") for rows, e, r in results if e == "duckdb"}
    for rows, engine, r in results:
        if "error" in r:
            print(f"| {rows:,} | {engine} | failed: {r['error']} | | |")
            continue
        same = "yes" if r["digest"] == reference.get(rows) else "NO"
        print(f"| {rows:,} | {engine} | {r['seconds']:.1f} | {r['rss_mb']:,.0f} | {same} |")
    duck = sorted((rows, r["seconds"]) for rows, e, r in results if e == "duckdb" and "seconds" in r)
    if len(duck) >= 2:
        (r0, s0), (r1, s1) = duck[0], duck[-1]
        print(f"\nDuckDB slope {r0:,} → {r1:,} rows: {(s1 - s0) / (r1 - r0) * 1e6:.2f} s per million rows "
              f"(×{s1 / s0:.1f} time for ×{r1 / r0:.0f} rows); target < 60 s and < 4,096 MB at 100M")


if __name__ == "__main__":
    main()
