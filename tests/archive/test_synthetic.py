"""The synthetic scale network: seeded, labelled synthetic, and read alike by every engine."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.archive.engine_support import assert_same_table, beijing, pure_chain
from zhicheng.archive import engines, synthetic
from zhicheng.archive.location import DATASTREAMS, MANIFEST, Location


def test_the_generator_is_seeded_labelled_and_reads_as_the_pure_cores(tmp_path: Path) -> None:
    base = beijing(stations=3)
    one = Location.open(str(tmp_path / "a"))
    net = synthetic.generate(one, base, stations=5, block=2)
    assert net.rows == 5 * 6 * 8760
    two = Location.open(str(tmp_path / "b"))
    synthetic.generate(two, base, stations=5, block=5)
    files = [f["path"] for f in json.loads((tmp_path / "a" / MANIFEST).read_text())["files"]]
    first = pq.read_table(one.path(files[0]))
    again = [f["path"] for f in json.loads((tmp_path / "b" / MANIFEST).read_text())["files"]]
    same = pq.read_table(two.path(again[0]))
    ds1 = pc.equal(first.column("datastream_id"), 1)
    assert first.filter(ds1).equals(same.filter(pc.equal(same.column("datastream_id"), 1)))  # same seed
    assert first.filter(ds1).num_rows == 8  # 00:00-08:00 local on 2021-01-01 is 2020-12-31 UTC
    manifest = json.loads((tmp_path / "a" / MANIFEST).read_text())
    assert manifest["note"].startswith("synthetic")
    names = pq.read_table(one.path(DATASTREAMS)).column("station").to_pylist()
    assert set(names) == {f"SYN-{i:05d}" for i in range(1, 6)}
    chain = engines.duckdb_chain(one)
    daily, annual = pure_chain(synthetic.wide_hourly(one))
    assert_same_table(daily, chain.daily, "daily")
    assert_same_table(annual, chain.annual, "annual")
    assert net.stations == 5 and synthetic.stations_for(10_000_000) == 190
