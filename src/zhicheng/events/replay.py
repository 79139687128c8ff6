"""Replaying real Los Angeles MyLA311 requests into the event store.

Each request keeps its real timestamps (local LA time, stored as UTC), status, responsible
department (``Owner``) and place; its request type is mapped to the catalogue's Open311 service
(``la311_types``). Rows are checked and converted column-wise with pandas and written with one
bulk insert per chunk inside a single transaction: a bad file writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.catalogue import Catalogue, load_catalogue
from zhicheng.events.errors import EventError
from zhicheng.events.grid import assign_cells
from zhicheng.events.service import now_utc
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import ingest_batches
from zhicheng.store.schema_events import event_history, events

LA_TIMEZONE = "America/Los_Angeles"
#: The two date layouts of the MyLA311 exports (full export; trimmed seed export).
DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%y %H:%M")
#: MyLA311 ``Status`` → workflow state.
LA_STATUS = {
    "Closed": "closed",
    "Cancelled": "rejected",
    "Referred Out": "rejected",
    "Open": "submitted",
    "Pending": "in_progress",
}
REQUIRED = ("srnumber", "requesttype", "status", "createddate", "owner")
#: Rows per insert statement stream (also the progress step).
CHUNK = 5_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did: rows read, written, skipped as already loaded, and the batch id."""

    file: str
    read: int
    loaded: int
    skipped: int
    batch_id: int | None


def _parse_dates(col: pd.Series, file: str, name: str, problems: list[Problem], required: bool) -> pd.Series:
    text = col.astype("string").str.strip()
    best: pd.Series | None = None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if best is None or parsed.notna().sum() > best.notna().sum():
            best = parsed
    assert best is not None
    bad = best.isna() & text.notna() & (text != "")
    if required:
        bad |= text.isna() | (text == "")
    for idx in np.flatnonzero(bad.to_numpy())[:20]:
        problems.append(Problem(f"not a date: {text.iloc[idx]!r}", file, int(idx) + 2, name))
    local = best.dt.tz_localize(LA_TIMEZONE, ambiguous=np.zeros(len(best), dtype=bool),
                                nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``raw``, or a column of missing values when the file has none."""
    return raw[name] if name in raw.columns else pd.Series(pd.NA, index=raw.index, dtype=object)


def read_la311(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read a MyLA311 CSV (either export layout) into rows of the ``events`` table.

    Raises :class:`EventError` listing every problem (missing columns, bad dates, unknown
    request types or statuses, coordinates out of range), located by file, row and column.
    """
    catalogue = catalogue or load_catalogue()
    file = Path(path).name
    raw = pd.read_csv(path, dtype=str, keep_default_na=True)
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise EventError(problems=[Problem("column missing", file, None, c) for c in missing])
    problems: list[Problem] = []
    mapping = catalogue.la311_map()
    service = raw["requesttype"].map(mapping)
    state = raw["status"].map(LA_STATUS)
    for col, mapped, what in (("requesttype", service, "request type"), ("status", state, "status")):
        keys = raw[col].fillna("").to_numpy(dtype=object)
        bad = mapped.isna().to_numpy()
        for value in sorted(set(keys[bad])):
            rows = np.flatnonzero(bad & (keys == value))
            problems.append(Problem(f"unknown {what} {value!r} ({len(rows)} rows)", file, int(rows[0]) + 2, col))
    created = _parse_dates(raw["createddate"], file, "createddate", problems, True)
    updated = _parse_dates(_col(raw, "updateddate"), file, "updateddate", problems, False)
    closed = _parse_dates(_col(raw, "closeddate"), file, "closeddate", problems, False)
    lat = pd.to_numeric(_col(raw, "latitude"), errors="coerce")
    lon = pd.to_numeric(_col(raw, "longitude"), errors="coerce")
    bad_xy = (lat.notna() & ~lat.between(-90, 90)) | (lon.notna() & ~lon.between(-180, 180))
    for idx in np.flatnonzero(bad_xy.to_numpy())[:20]:
        problems.append(Problem("coordinates out of range", file, int(idx) + 2, "latitude"))
    repeated = np.flatnonzero(raw["srnumber"].duplicated().to_numpy())
    if len(repeated):
        idx = int(repeated[0])
        problems.append(Problem(f"SR number {raw['srnumber'].iloc[idx]!r} repeated", file, idx + 2, "srnumber"))
    if problems:
        raise EventError(f"{file}: {len(problems)} problem(s)", problems)
    return _to_event_rows(raw, catalogue, service, state, created, updated, closed, lat, lon, file)


def _to_event_rows(
    raw: pd.DataFrame, catalogue: Catalogue, service: pd.Series, state: pd.Series, created: pd.Series,
    updated: pd.Series, closed: pd.Series, lat: pd.Series, lon: pd.Series, file: str,
) -> pd.DataFrame:
    sla = service.map(catalogue.sla_hours()).astype(float)
    default_dept = service.map({s.code: s.department for s in catalogue.services})
    is_closed = state == "closed"
    closed_at = closed.where(is_closed)
    updated_at = updated.fillna(closed).fillna(created)
    zipcode = pd.to_numeric(_col(raw, "zipcode"), errors="coerce")
    notes = _col(raw, "actiontaken").fillna("").astype(str)
    source = _col(raw, "requestsource").fillna("").astype(str)
    return pd.DataFrame({
        "request_id": raw["srnumber"].str.strip(),
        "service_code": service,
        "status": state,
        "source": np.where(source.str.contains("Self Report", regex=False), "inspector", "citizen"),
        "source_ref": f"la311:{file}",
        "lat": lat, "lon": lon,
        "address": _col(raw, "address"),
        "zipcode": zipcode.map(lambda z: None if pd.isna(z) else str(int(z))),
        "department": raw["owner"].fillna(default_dept),
        "status_notes": (notes + " (LA 311 status: " + raw["status"] + ")").str.strip(),
        "requested_at": created,
        "updated_at": updated_at,
        "expected_at": created + pd.to_timedelta(sla, unit="h"),
        "resolved_at": closed_at,
        "closed_at": closed_at,
        "_final_at": closed.fillna(updated_at),
    })


def _db_frame(frame: pd.DataFrame, dialect: str) -> pd.DataFrame:
    """Timestamps as SQLAlchemy's SQLite text (naive UTC) or kept aware for PostgreSQL COPY."""
    if dialect != "sqlite":
        return frame
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            text = out[col].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            out[col] = text.astype(object).where(out[col].notna(), None)
    return out


def _history(ids: pd.DataFrame, frame: pd.DataFrame, actor: str) -> pd.DataFrame:
    merged = frame.merge(ids, on="request_id")
    first = pd.DataFrame({
        "event_id": merged["id"], "at": merged["requested_at"], "from_status": None,
        "to_status": "submitted", "actor": actor, "role": None, "note": "LA 311 request created",
        "department": merged["department"], "grid_code": merged["grid_code"],
    })
    moved = merged[merged["status"] != "submitted"]
    last = pd.DataFrame({
        "event_id": moved["id"], "at": moved["_final_at"], "from_status": "submitted",
        "to_status": moved["status"], "actor": actor, "role": None, "note": moved["status_notes"],
        "department": moved["department"], "grid_code": moved["grid_code"],
    })
    return pd.concat([first, last], ignore_index=True)


def _existing_ids(conn: sa.Connection, ids: pd.Series) -> set[str]:
    found: set[str] = set()
    values = ids.tolist()
    for start in range(0, len(values), 900):
        part = values[start:start + 900]
        found.update(r for (r,) in conn.execute(sa.select(events.c.request_id).where(events.c.request_id.in_(part))))
    return found


def bulk_load_events(
    engine: Engine, frame: pd.DataFrame, source: str, checksum: str, actor: str = "replay",
    progress: Progress | None = None, city: str | None = None,
) -> ReplayResult:
    """Write event rows (as from :func:`read_la311`) and their history in one transaction.

    Rows whose ``request_id`` is already stored are skipped (a replay can be run twice). Grid
    cells are found for all located rows at once: the city's own cells by point-in-polygon, else
    H3 cells under ``city`` (:func:`zhicheng.events.grid.assign_cells`).
    """
    with engine.begin() as conn:
        existing = _existing_ids(conn, frame["request_id"])
        new = frame[~frame["request_id"].isin(existing)].copy()
        if new.empty:
            return ReplayResult(source, len(frame), 0, len(frame), None)
        new["grid_code"] = assign_cells(conn, new["lon"].to_numpy(dtype=float), new["lat"].to_numpy(dtype=float), city)
        batch_id = conn.execute(ingest_batches.insert().values(
            source=source, checksum=checksum, kind="events", ingested_by=actor, ingested_at=now_utc(),
            row_count=len(new), note="service requests replayed into the event workflow",
        ).returning(ingest_batches.c.id)).scalar_one()
        new["batch_id"] = batch_id
        table_cols = [c for c in new.columns if c in events.c]
        rows = _db_frame(new[table_cols], conn.dialect.name)
        total = 2 * len(rows)
        for start in range(0, len(rows), CHUNK):
            bulk_insert(conn, events, rows.iloc[start:start + CHUNK])
            if progress:
                progress(min(start + CHUNK, len(rows)), total)
        ids = pd.DataFrame(conn.execute(
            sa.select(events.c.id, events.c.request_id).where(events.c.batch_id == batch_id)).all(),
            columns=["id", "request_id"])
        history = _db_frame(_history(ids, new, actor), conn.dialect.name)
        bulk_insert(conn, event_history, history)
        if progress:
            progress(total, total)
    return ReplayResult(source, len(frame), len(new), len(frame) - len(new), int(batch_id))


def file_checksum(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_la311(
    engine: Engine, path: str | Path, actor: str = "replay", progress: Progress | None = None,
    city: str | None = None,
) -> ReplayResult:
    """Check and load one MyLA311 file; see :func:`read_la311` and :func:`bulk_load_events`."""
    frame = read_la311(path)
    return bulk_load_events(engine, frame, str(Path(path).name), file_checksum(path), actor, progress, city)
