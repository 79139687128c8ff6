"""``archive run | status | verify``: the archive as its commands see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.archive import mover
from zhicheng.archive.location import MANIFEST, Location
from zhicheng.errors import Invalid, Problem
from zhicheng.settings import get_settings
from zhicheng.store.schema_archive import archive_files
from zhicheng.store.schema_sensing import sta_observations


def location(url: str | None = None) -> Location:
    """The archive at ``url``, else at the ``ZHICHENG_ARCHIVE`` setting."""
    target = url or get_settings().archive
    if not target:
        raise Invalid(
            "no archive location: pass --archive PATH or set ZHICHENG_ARCHIVE",
            [Problem("archive location not set", column="ZHICHENG_ARCHIVE")],
        )
    return Location.open(target)


def run(
    engine: Engine, loc: Location, hot_days: int | None = None,
    on_rows: Callable[[int, int], None] | None = None,
) -> mover.RunReport:
    """Move every observation past the hot window (default: the setting) into the archive."""
    days = get_settings().archive_hot_days if hot_days is None else hot_days
    return mover.run(engine, loc, days, on_rows)


@dataclass(frozen=True)
class Status:
    """The store's and the archive's row counts."""

    store_rows: int
    cold_rows: int
    hot_days: int
    files: dict[str, int]
    archived_rows: int
    archived_bytes: int
    by_year: list[tuple[int, int, int]]  # year, files, rows


def status(engine: Engine, hot_days: int | None = None) -> Status:
    """What is in the store, what is past the hot window, what the archive holds."""
    days = get_settings().archive_hot_days if hot_days is None else hot_days
    cold, _ = mover.cold_rows(engine, days)
    af = archive_files.c
    with engine.connect() as conn:
        store_rows = conn.execute(sa.select(sa.func.count()).select_from(sta_observations)).scalar_one()
        states: dict[str, int] = dict(conn.execute(sa.select(af.state, sa.func.count()).group_by(af.state)).all())
        committed = af.state == "committed"
        rows, size = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(af.rows), 0), sa.func.coalesce(sa.func.sum(af.bytes), 0))
            .where(committed)
        ).one()
        years = conn.execute(
            sa.select(af.year, sa.func.count(), sa.func.sum(af.rows)).where(committed)
            .group_by(af.year).order_by(af.year)
        ).all()
    return Status(int(store_rows), cold, days, {str(k): int(v) for k, v in states.items()},
                  int(rows), int(size), [(int(y), int(f), int(r)) for y, f, r in years])


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: files checked and every problem found."""

    files: int
    rows: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when nothing is lost, doubled or altered."""
        return not self.problems


def verify(engine: Engine, loc: Location) -> Verification:
    """Check every committed file against the manifest and the store.

    Each file must be present with the checksum and row count recorded, its ids unique in the
    archive and none of them still in the store, and ``manifest.json`` must list exactly them.
    """
    problems: list[str] = []
    with engine.connect() as conn:
        files = mover.committed_files(conn)
        pending = conn.execute(
            sa.select(archive_files.c.path).where(archive_files.c.state != "committed")
        ).scalars().all()
    problems += [f"{p}: left unfinished by a run (the next run reconciles it)" for p in pending]
    all_ids: list[Any] = []
    total = 0
    for f in files:
        path = f["path"]
        if not loc.exists(path):
            problems.append(f"{path}: missing")
            continue
        digest, size = loc.sha256(path)
        if digest != f["sha256"] or size != f["bytes"]:
            problems.append(f"{path}: checksum differs from the manifest")
        ids = mover.read_columns(loc, path, ["id"]).column("id")
        if len(ids) != f["rows"]:
            problems.append(f"{path}: {len(ids)} rows, the manifest says {f['rows']}")
        total += len(ids)
        all_ids.append(ids)
        with engine.connect() as conn:
            values = ids.to_pylist()
            still = 0
            for i in range(0, len(values), mover.DELETE_CHUNK):
                still += conn.execute(
                    sa.select(sa.func.count()).select_from(sta_observations)
                    .where(sta_observations.c.id.in_(values[i : i + mover.DELETE_CHUNK]))
                ).scalar_one()
        if still:
            problems.append(f"{path}: {still} of its observations are still in the store")
    if all_ids:
        merged = pa.chunked_array(all_ids)
        distinct = len(pc.unique(merged))
        if distinct != len(merged):
            problems.append(f"{len(merged) - distinct} observation ids are in more than one file")
    manifest = loc.read_json(MANIFEST) or {"files": []}
    listed = {m["path"] for m in manifest.get("files", [])}
    if listed != {f["path"] for f in files}:
        problems.append(f"{MANIFEST} does not list exactly the committed files")
    return Verification(len(files), total, problems)
