"""Store benchmark: ingest 1,000,000 long-layout values, and evaluate 300 units x 100 indicators.

Prints, from one run:
- rows per second ingesting 1,000,000 long-layout values (a CSV file through the whole intake path:
  read, validate, compare with the store, write in one transaction) into SQLite, and into
  PostgreSQL when ZHICHENG_TEST_PG_URL is set (else "skipped");
- seconds to evaluate 300 units x 100 indicators end to end from the store (read the values, score
  every level with the index engine, ranks, grades, coverage, gaps, lifts, and store the run).

Targets (issue 4): >= 200,000 rows/s into SQLite; <= 1 s for the evaluation. There is no peer
figure for these (no other tool ingests into our store); the target is printed beside ours.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from zhicheng.evaluate import ingest_file
from zhicheng.evaluate.service import evaluate
from zhicheng.goals import builtin_framework
from zhicheng.store import init_store

N_UNITS = 300
N_INDICATORS = 100
ROWS = 1_000_000


def units_file(folder: Path) -> tuple[Path, Path, list[str]]:
    codes = [f"{110100 + 100 * i}" for i in range(N_UNITS)]
    data = folder / "units.csv"
    pd.DataFrame({"code": codes, "name": [f"城市{i}" for i in range(N_UNITS)]}).to_csv(data, index=False)
    mapping = folder / "units.yaml"
    mapping.write_text("kind: units\ncode: code\nname_zh: name\n", encoding="utf-8")
    return data, mapping, codes


def values_file(folder: Path, codes: list[str]) -> tuple[Path, int]:
    """1,000,000+ long rows: 300 units x 100 indicators x 34 periods, inside plausible ranges."""
    inds = [i for i in builtin_framework().indicators() if i.plausible][:N_INDICATORS]
    periods = [str(1991 + k) for k in range(-(-ROWS // (N_UNITS * N_INDICATORS)))]
    frame = pd.MultiIndex.from_product([codes, [i.id for i in inds], periods],
                                       names=["unit", "indicator", "period"]).to_frame(index=False)
    lo = frame["indicator"].map({i.id: i.plausible[0] for i in inds})
    hi = frame["indicator"].map({i.id: i.plausible[1] for i in inds})
    frame["value"] = lo + (hi - lo) * np.random.default_rng(1).uniform(0.02, 0.98, len(frame))
    path = folder / "values.csv"
    frame.to_csv(path, index=False)
    return path, len(frame)


def fresh_postgres(url: str) -> str:
    name = f"zbench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str, test_url: str) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{test_url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def run(url: str, folder: Path, values: Path, rows: int) -> tuple[float, float]:
    engine = init_store(url)
    units, mapping, _ = units_file(folder)
    ingest_file(engine, units, mapping=mapping)
    start = time.perf_counter()
    report = ingest_file(engine, values)
    ingest_s = time.perf_counter() - start
    assert report.values_new == rows, report
    start = time.perf_counter()
    result = evaluate(engine, "2024")
    eval_s = time.perf_counter() - start
    assert len(result.units) == N_UNITS
    engine.dispose()
    return rows / ingest_s, eval_s


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _, _, codes = units_file(folder)
        values, rows = values_file(folder, codes)
        print(f"store ingest benchmark: {rows:,} long-layout values, {N_UNITS} units x {N_INDICATORS} indicators")
        sqlite_rate, sqlite_eval = run(f"sqlite:///{folder / 'bench.db'}", folder, values, rows)
        print(f"  SQLite     ingest: {sqlite_rate:>10,.0f} rows/s   (target >= 200,000 rows/s)")
        print(f"  SQLite     evaluate {N_UNITS} x {N_INDICATORS} from the store: {sqlite_eval:.3f} s   (target <= 1 s)")
        pg = os.environ.get("ZHICHENG_TEST_PG_URL")
        if not pg:
            print("  PostgreSQL skipped (set ZHICHENG_TEST_PG_URL)")
            return 0
        test_url = fresh_postgres(pg)
        try:
            pg_rate, pg_eval = run(test_url, folder, values, rows)
        finally:
            drop_postgres(pg, test_url)
        print(f"  PostgreSQL ingest: {pg_rate:>10,.0f} rows/s")
        print(f"  PostgreSQL evaluate {N_UNITS} x {N_INDICATORS} from the store: {pg_eval:.3f} s   (target <= 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
