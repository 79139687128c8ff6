"""Observations in: one at a time (``POST /Observations``) or in bulk (``CreateObservations``).

Both paths end in :func:`insert_observations`, which takes whole columns (numpy arrays), writes
them with one multi-row statement, widens each Datastream's ``phenomenonTime``/``resultTime``,
makes missing FeaturesOfInterest from the Thing's Location and evaluates the alert rules on the
batch, all inside the caller's transaction.

References
----------
OGC 18-088 §14 (data-array extension: ``CreateObservations``, components, ``dataArray``),
§8.2.7 (FeatureOfInterest from the Thing's Location), §8.2.4 (Datastream phenomenonTime and
resultTime are the extents of its Observations).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.sensing import extent
from zhicheng.sensing.errors import BadRequest, bad
from zhicheng.sensing.model import is_id
from zhicheng.sensing.timefmt import now_micros, parse_instants, parse_time
from zhicheng.store import schema_sensing as s

#: Components a data array may carry (OGC 18-088 §14.2, Table 34).
COMPONENTS = {
    "id",
    "phenomenonTime",
    "result",
    "resultTime",
    "resultQuality",
    "validTime",
    "parameters",
    "FeatureOfInterest/id",
}
NO_FOI = -1


@dataclass
class ObservationColumns:
    """Observations of one Datastream as columns (times in µs since epoch, UTC)."""

    datastream_id: int
    phenomenon_start: npt.NDArray[np.int64]
    result_number: npt.NDArray[np.float64]
    result_json: list[Any]
    phenomenon_end: list[int | None] | None = None
    result_time: npt.NDArray[np.int64] | list[int | None] | None = None
    foi: npt.NDArray[np.int64] | None = None
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.phenomenon_start)


@dataclass(frozen=True)
class IngestResult:
    """What an ingest wrote: the new Observation ids, in order, and the alerts it opened."""

    ids: list[int]
    opened_alerts: list[dict[str, Any]]
    #: The FeatureOfInterest of each new Observation.
    foi: list[int] = field(default_factory=list)
    #: Per row of a ``CreateObservations`` request: the new id, or None where the row failed.
    rows: list[int | None] | None = None

    def answers(self, base: str) -> list[str]:
        """The ``CreateObservations`` answer: each row's selfLink, or ``"error"`` (§14.4)."""
        rows: list[int | None] = list(self.ids) if self.rows is None else self.rows
        return [f"{base}/Observations({i})" if i is not None else "error" for i in rows]


_DS, _TL, _LOC, _FOI = (
    s.sta_datastreams,
    s.sta_thing_locations,
    s.sta_locations,
    s.sta_features_of_interest,
)
#: Statements of the hot path, built once (bound parameters; SQLAlchemy caches their SQL).
_DATASTREAMS_IN = sa.select(_DS.c.id).where(_DS.c.id.in_(sa.bindparam("ids", expanding=True)))
#: The newest Location of the Datastream's Thing and the FeatureOfInterest made from it, if any.
_FEATURE_OF_DATASTREAM = (
    sa.select(_LOC.c.id, _FOI.c.id.label("foi_id"))
    .select_from(_DS)
    .join(_TL, _TL.c.thing_id == _DS.c.thing_id)
    .join(_LOC, _LOC.c.id == _TL.c.location_id)
    .outerjoin(_FOI, _FOI.c.location_id == _LOC.c.id)
    .where(_DS.c.id == sa.bindparam("ds"))
    .order_by(_LOC.c.id.desc(), _FOI.c.id)
    .limit(1)
)


def datastream_exists(conn: sa.Connection, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are Datastreams."""
    return {r[0] for r in conn.execute(_DATASTREAMS_IN, {"ids": sorted(set(ids))})}


def feature_for_datastream(conn: sa.Connection, datastream_id: int) -> int:
    """The FeatureOfInterest made from the Location of the Datastream's Thing (made on first use)."""
    found = conn.execute(_FEATURE_OF_DATASTREAM, {"ds": datastream_id}).first()
    if found is None:
        raise bad(
            f"Observations of Datastream {datastream_id} need a FeatureOfInterest: its Thing has no Location to make one from",
            "FeatureOfInterest",
        )
    if found.foi_id is not None:
        return int(found.foi_id)
    return feature_from_location(conn, int(found.id))


def feature_from_location(conn: sa.Connection, location_id: int) -> int:
    """A new FeatureOfInterest made from Location ``location_id`` (OGC 18-088 §8.2.7)."""
    location = conn.execute(sa.select(_LOC).where(_LOC.c.id == location_id)).mappings().one()
    return int(
        conn.execute(
            sa.insert(_FOI)
            .values(
                name=location["name"],
                description=location["description"],
                encoding_type=location["encoding_type"],
                feature=location["location"],
                properties=location["properties"],
                location_id=location["id"],
            )
            .returning(_FOI.c.id)
        ).scalar_one()
    )


@dataclass
class Combined:
    """Every batch's rows as whole columns (optional columns only when some row has a value)."""

    datastream_id: npt.NDArray[np.int64]
    foi: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    result_number: npt.NDArray[np.float64]
    optional: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.start)


def _optional(batches: Sequence[ObservationColumns], get: Any) -> list[Any] | None:
    """One optional column over all batches (None-padded), or None when no row has a value."""
    parts = [get(b) for b in batches]
    if all(p is None for p in parts):
        return None
    out: list[Any] = []
    for b, part in zip(batches, parts, strict=True):
        out.extend(
            [None] * len(b)
            if part is None
            else (part.tolist() if isinstance(part, np.ndarray) else list(part))
        )
    return out if any(v is not None for v in out) else None


def combine(batches: Sequence[ObservationColumns]) -> Combined:
    """Concatenate column batches (numpy, no per-row Python work for the usual columns)."""
    optional: dict[str, list[Any]] = {}
    getters: dict[str, Any] = {
        "phenomenon_time_end": lambda b: b.phenomenon_end,
        "result_time": lambda b: b.result_time,
        "result_json": lambda b: None if all(v is None for v in b.result_json) else b.result_json,
    }
    for key in sorted({k for b in batches for k in b.extra}):
        getters[key] = lambda b, key=key: b.extra.get(key)
    for column, get in getters.items():
        values = _optional(batches, get)
        if values is not None:
            optional[column] = values
    return Combined(
        datastream_id=np.concatenate(
            [np.full(len(b), b.datastream_id, dtype=np.int64) for b in batches]
        ),
        foi=np.concatenate(
            [
                b.foi if b.foi is not None else np.full(len(b), NO_FOI, dtype=np.int64)
                for b in batches
            ]
        ),
        start=np.concatenate([b.phenomenon_start for b in batches]).astype(np.int64),
        result_number=np.concatenate([b.result_number for b in batches]).astype(np.float64),
        optional=optional,
    )


JSON_COLUMNS = {"result_json", "result_quality", "parameters"}


def _none_for_nan(numbers: npt.NDArray[np.float64], missing: npt.NDArray[np.bool_]) -> list[Any]:
    values: list[Any] = numbers.tolist()
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            values[i] = None
    return values


def _column_lists(rows: Combined) -> dict[str, list[Any]]:
    """Columns as Python lists for the driver: NaN → None, JSON members serialised."""
    numbers = rows.result_number
    missing = np.isnan(numbers)
    cols: dict[str, list[Any]] = {
        "datastream_id": rows.datastream_id.tolist(),
        "feature_of_interest_id": rows.foi.tolist(),
        "phenomenon_time_start": rows.start.tolist(),
        "result_number": _none_for_nan(numbers, missing),
    }
    for name, values in rows.optional.items():
        cols[name] = (
            [None if v is None else json.dumps(v) for v in values]
            if name in JSON_COLUMNS
            else values
        )
    return cols


def _write_rows(conn: sa.Connection, rows: Combined) -> list[int]:
    """Insert the rows in one statement stream; the new ids in row order."""
    table = s.sta_observations
    cols = _column_lists(rows)
    n = len(rows)
    if conn.dialect.name == "sqlite":
        # One executemany on the driver; within this write transaction SQLite hands out
        # consecutive ids (AUTOINCREMENT), so the last id gives them all.
        names = list(cols)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cur = dbapi.cursor()
        try:
            cur.executemany(sql, list(zip(*cols.values(), strict=True)))
            last = int(cur.execute("SELECT last_insert_rowid()").fetchone()[0])
        finally:
            cur.close()
        return list(range(last - n + 1, last + 1))
    seq = sa.text(
        "SELECT nextval(pg_get_serial_sequence('sta_observations', 'id')) FROM generate_series(1, :n)"
    )
    ids = [int(r[0]) for r in conn.execute(seq, {"n": n})]
    cols["id"] = ids
    for name in JSON_COLUMNS & set(cols):
        cols[name] = [None if v is None else json.loads(v) for v in cols[name]]
    names = list(cols)
    conn.execute(
        sa.insert(table),
        [dict(zip(names, r, strict=True)) for r in zip(*cols.values(), strict=True)],
    )
    return ids


#: Widen a Datastream's phenomenonTime (and resultTime) to cover new rows; one prepared
#: statement with bound values (built once, cheaper than an expression per batch).
_WIDEN_PHENOMENON = sa.text(
    "UPDATE sta_datastreams SET "
    "phenomenon_time_start = CASE WHEN phenomenon_time_start IS NULL OR phenomenon_time_start > :lo THEN :lo "
    "ELSE phenomenon_time_start END, "
    "phenomenon_time_end = CASE WHEN COALESCE(phenomenon_time_end, phenomenon_time_start) IS NULL "
    "OR COALESCE(phenomenon_time_end, phenomenon_time_start) < :hi THEN :hi "
    "ELSE COALESCE(phenomenon_time_end, phenomenon_time_start) END "
    "WHERE id = :ds"
).bindparams(
    sa.bindparam("lo", type_=sa.BigInteger),
    sa.bindparam("hi", type_=sa.BigInteger),
    sa.bindparam("ds", type_=sa.Integer),
)
_WIDEN_RESULT = sa.text(
    "UPDATE sta_datastreams SET "
    "result_time_start = CASE WHEN result_time_start IS NULL OR result_time_start > :lo THEN :lo ELSE result_time_start END, "
    "result_time_end = CASE WHEN COALESCE(result_time_end, result_time_start) IS NULL "
    "OR COALESCE(result_time_end, result_time_start) < :hi THEN :hi ELSE COALESCE(result_time_end, result_time_start) END "
    "WHERE id = :ds"
).bindparams(
    sa.bindparam("lo", type_=sa.BigInteger),
    sa.bindparam("hi", type_=sa.BigInteger),
    sa.bindparam("ds", type_=sa.Integer),
)


def _widen_extents(conn: sa.Connection, rows: Combined) -> None:
    """Widen each Datastream's phenomenonTime and resultTime to cover the new rows."""
    ends = rows.optional.get("phenomenon_time_end")
    end = (
        rows.start
        if ends is None
        else np.array(
            [e if e is not None else t for e, t in zip(ends, rows.start.tolist(), strict=True)],
            dtype=np.int64,
        )
    )
    rts = rows.optional.get("result_time")
    rt = (
        None
        if rts is None
        else np.array([np.nan if v is None else v for v in rts], dtype=np.float64)
    )
    single = len(rows) == 1 or bool((rows.datastream_id == rows.datastream_id[0]).all())
    for ds_id in [int(rows.datastream_id[0])] if single else np.unique(rows.datastream_id).tolist():
        mine = slice(None) if single else rows.datastream_id == ds_id
        conn.execute(
            _WIDEN_PHENOMENON,
            {"lo": int(rows.start[mine].min()), "hi": int(end[mine].max()), "ds": ds_id},
        )
        if rt is not None and not np.isnan(rt[mine]).all():
            conn.execute(
                _WIDEN_RESULT,
                {"lo": int(np.nanmin(rt[mine])), "hi": int(np.nanmax(rt[mine])), "ds": ds_id},
            )


def insert_observations(
    conn: sa.Connection, batches: Sequence[ObservationColumns], verified: bool = False
) -> IngestResult:
    """Write observations (column batches) in one statement stream; return ids and opened alerts.

    Rows without a FeatureOfInterest get the one made from their Thing's Location.
    ``verified``: the caller has already checked that the Datastreams exist.
    """
    batches = [b for b in batches if len(b)]
    if not batches:
        return IngestResult([], [])
    wanted = sorted({b.datastream_id for b in batches})
    missing = [] if verified else sorted(set(wanted) - datastream_exists(conn, wanted))
    if missing:
        raise BadRequest(
            problems=[
                Problem(f"Datastream {m} does not exist", column="Datastream") for m in missing
            ]
        )
    rows = combine(batches)
    _check_features(conn, rows.foi[rows.foi != NO_FOI])
    no_foi = rows.foi == NO_FOI
    if no_foi.any():
        for ds_id in np.unique(rows.datastream_id[no_foi]).tolist():
            rows.foi[no_foi & (rows.datastream_id == ds_id)] = feature_for_datastream(conn, ds_id)
    ids = _write_rows(conn, rows)
    _widen_extents(conn, rows)
    pairs = (
        [(int(rows.datastream_id[0]), int(rows.foi[0]))]
        if len(rows) == 1
        else [tuple(p) for p in np.unique(np.stack([rows.datastream_id, rows.foi], axis=1), axis=0).tolist()]
    )
    extent.widen(conn, pairs)
    from zhicheng.sensing.alerts import evaluate_batch

    opened = evaluate_batch(conn, rows.datastream_id, rows.start, rows.result_number)
    return IngestResult(ids, opened, rows.foi.tolist())


def _check_features(conn: sa.Connection, given: npt.NDArray[np.int64]) -> None:
    if len(given) == 0:
        return
    wanted = set(np.unique(given).tolist())
    foi = s.sta_features_of_interest
    have = {r[0] for r in conn.execute(sa.select(foi.c.id).where(foi.c.id.in_(list(wanted))))}
    missing = sorted(wanted - have)
    if missing:
        raise BadRequest(
            problems=[
                Problem(f"FeatureOfInterest {m} does not exist", column="FeatureOfInterest/id")
                for m in missing
            ]
        )


# --- the data-array extension ---------------------------------------------------------------


def _times_column(
    values: list[Any], name: str
) -> tuple[npt.NDArray[np.int64], list[int | None] | None]:
    """Start times (and ends, when any value is a period) of a time component."""
    if any(isinstance(v, str) and "/" in v for v in values):
        pairs = [parse_time(v, name) for v in values]
        return np.array([p[0] for p in pairs], dtype=np.int64), [p[1] for p in pairs]
    return parse_instants(values, name), None


def _result_columns(values: list[Any]) -> tuple[npt.NDArray[np.float64], list[Any]]:
    kinds = np.fromiter((type(v) in (int, float) for v in values), dtype=bool, count=len(values))
    if kinds.all():
        return np.asarray(values, dtype=np.float64), [None] * len(values)
    number = np.array(
        [float(v) if k else np.nan for v, k in zip(values, kinds, strict=True)], dtype=np.float64
    )
    other = [None if k else v for v, k in zip(values, kinds, strict=True)]
    return number, other


def _array_problems(i: int, item: Any, rows: bool = True) -> list[Problem]:
    where = f"CreateObservations[{i}]"
    if not isinstance(item, dict):
        return [Problem(f"{where} must be an object with Datastream, components and dataArray")]
    problems = [
        Problem(f"{where}: unknown member {k!r}", column=k)
        for k in item
        if k
        not in ("Datastream", "components", "dataArray", "dataArray@iot.count", "MultiDatastream")
    ]
    key = "MultiDatastream" if "MultiDatastream" in item and "Datastream" not in item else "Datastream"
    if "MultiDatastream" in item and "Datastream" in item:
        problems.append(
            Problem(f"{where}: a data array has a Datastream or a MultiDatastream, not both", column="MultiDatastream")
        )
    ds = item.get(key)
    if not isinstance(ds, dict) or not is_id(ds.get("@iot.id")):
        problems.append(
            Problem(
                f'{where}: needs "Datastream" (or "MultiDatastream"): {{"@iot.id": <integer>}}',
                column=key,
            )
        )
    comps = item.get("components")
    if not isinstance(comps, list) or not comps or not all(isinstance(c, str) for c in comps):
        problems.append(
            Problem(f"{where}: components must be a non-empty array of names", column="components")
        )
    else:
        problems += [
            Problem(
                f"{where}: unknown component {c!r}; use {', '.join(sorted(COMPONENTS))}",
                column="components",
            )
            for c in comps
            if c not in COMPONENTS
        ]
        if "result" not in comps:
            problems.append(
                Problem(f"{where}: components must include result", column="components")
            )
    data = item.get("dataArray")
    if not isinstance(data, list):
        problems.append(
            Problem(f"{where}: dataArray must be an array of arrays", column="dataArray")
        )
    elif isinstance(comps, list) and rows:
        bad_rows = [
            j for j, row in enumerate(data) if not isinstance(row, list) or len(row) != len(comps)
        ]
        problems += [
            Problem(
                f"{where}: dataArray row must be an array of {len(comps)} values",
                row=j,
                column="dataArray",
            )
            for j in bad_rows[:20]
        ]
    return problems


def _batch_from_array(item: Mapping[str, Any], i: int) -> ObservationColumns:
    comps: list[str] = item["components"]
    data: list[list[Any]] = item["dataArray"]
    columns = (
        dict(zip(comps, (list(c) for c in zip(*data, strict=True)), strict=True))
        if data
        else {c: [] for c in comps}
    )
    where = f"CreateObservations[{i}]"
    n = len(data)
    if "phenomenonTime" in columns:
        start, end = _times_column(columns["phenomenonTime"], f"{where}.phenomenonTime")
    else:
        start, end = np.full(n, now_micros(), dtype=np.int64), None
    number, other = _result_columns(columns["result"])
    result_time: npt.NDArray[np.int64] | list[int | None] | None = None
    if "resultTime" in columns:
        rt = columns["resultTime"]
        result_time = (
            [None] * n if all(v is None for v in rt) else parse_instants(rt, f"{where}.resultTime")
        )
    foi = None
    if "FeatureOfInterest/id" in columns:
        raw = columns["FeatureOfInterest/id"]
        if not all(is_id(v) for v in raw):
            raise bad(
                f"{where}: FeatureOfInterest/id values must be integers", "FeatureOfInterest/id"
            )
        foi = np.asarray(raw, dtype=np.int64)
    extra: dict[str, list[Any]] = {}
    for comp, col in (("resultQuality", "result_quality"), ("parameters", "parameters")):
        if comp in columns:
            extra[col] = columns[comp]
    if "validTime" in columns:
        pairs = [
            parse_time(v, f"{where}.validTime") if v is not None else (None, None)
            for v in columns["validTime"]
        ]
        extra["valid_time_start"] = [p[0] for p in pairs]
        extra["valid_time_end"] = [p[1] for p in pairs]
    return ObservationColumns(
        int(item["Datastream"]["@iot.id"]), start, number, other, end, result_time, foi, extra
    )


def create_observations(conn: sa.Connection, body: Any, row_errors: bool = False) -> IngestResult:
    """``POST /CreateObservations``: every data array checked first, then all rows in one go.

    Without ``row_errors`` any problem refuses the whole request (every problem listed) and
    writes nothing. With ``row_errors`` (the HTTP endpoint, OGC 18-088 §14.4) a malformed request
    is still refused as a whole, but a row that cannot be stored (wrong length, unreadable time,
    unknown Datastream or FeatureOfInterest) answers ``"error"`` in its place while every other
    row is stored.
    """
    if not isinstance(body, list):
        raise bad(
            "CreateObservations takes an array of {Datastream, components, dataArray} objects"
        )
    if row_errors:
        return _create_by_row(conn, body)
    problems = [p for i, item in enumerate(body) for p in _array_problems(i, item)]
    if problems:
        raise BadRequest(problems=problems)
    batches = []
    multi_ids: list[int] = []
    for i, item in enumerate(body):
        if _is_multi(item):
            try:
                multi_ids += [r for r in _multi().create_from_array(conn, item, i, False) if r]
            except BadRequest as exc:
                problems.extend(exc.problems)
            continue
        try:
            batches.append(_batch_from_array(item, i))
        except BadRequest as exc:
            problems.extend(exc.problems)
    if problems:
        raise BadRequest(problems=problems)
    result = insert_observations(conn, batches)
    return IngestResult(multi_ids + result.ids, result.opened_alerts, result.foi)


def _is_multi(item: Mapping[str, Any]) -> bool:
    """A data array of a MultiDatastream (its rows take the MultiDatastream's own path)."""
    return "MultiDatastream" in item and "Datastream" not in item


def _multi() -> Any:
    from zhicheng.sensing import multi

    return multi


def _good_rows(item: Mapping[str, Any], i: int) -> tuple[ObservationColumns | None, list[bool]]:
    """The storable rows of one data array as a batch, and which rows they are."""
    comps: list[str] = item["components"]
    data: list[Any] = item["dataArray"]
    ok = [isinstance(row, list) and len(row) == len(comps) for row in data]
    try:
        kept = [row for row, good in zip(data, ok, strict=True) if good]
        batch = _batch_from_array({**item, "dataArray": kept}, i)
    except BadRequest:
        # Some row is unreadable: find which, one row at a time (only on this error path).
        for j, row in enumerate(data):
            if ok[j]:
                try:
                    _batch_from_array({**item, "dataArray": [row]}, i)
                except BadRequest:
                    ok[j] = False
        kept = [row for row, good in zip(data, ok, strict=True) if good]
        batch = _batch_from_array({**item, "dataArray": kept}, i)
    return (batch if len(batch) else None), ok


def _create_by_row(conn: sa.Connection, body: list[Any]) -> IngestResult:
    problems = [p for i, item in enumerate(body) for p in _array_problems(i, item, rows=False)]
    if problems:
        raise BadRequest(problems=problems)
    wanted = [-1 if _is_multi(item) else int(item["Datastream"]["@iot.id"]) for item in body]
    have = datastream_exists(conn, wanted)
    answers: list[int | None] = []
    batches: list[ObservationColumns] = []
    slots: list[list[int]] = []
    multi_ids: list[int] = []
    for i, item in enumerate(body):
        if _is_multi(item):
            made = _multi().create_from_array(conn, item, i, True)
            answers.extend(made)
            multi_ids.extend(r for r in made if r is not None)
            continue
        n = len(item["dataArray"])
        start = len(answers)
        answers.extend([None] * n)
        if wanted[i] not in have:
            continue
        batch, ok = _good_rows(item, i)
        if batch is None:
            continue
        rows = [start + j for j, good in enumerate(ok) if good]
        batch, rows = _with_features(conn, batch, rows)
        if batch is not None:
            batches.append(batch)
            slots.append(rows)
    result = insert_observations(conn, batches, verified=True)
    ids = iter(result.ids)
    for rows in slots:
        for slot in rows:
            answers[slot] = next(ids)
    return IngestResult(multi_ids + result.ids, result.opened_alerts, result.foi, answers)


def _with_features(
    conn: sa.Connection, batch: ObservationColumns, rows: list[int]
) -> tuple[ObservationColumns | None, list[int]]:
    """Drop the rows whose FeatureOfInterest does not exist (or cannot be made)."""
    if batch.foi is None:
        try:
            feature_for_datastream(conn, batch.datastream_id)
        except BadRequest:
            return None, []
        return batch, rows
    foi = s.sta_features_of_interest
    wanted = np.unique(batch.foi).tolist()
    have = {r[0] for r in conn.execute(sa.select(foi.c.id).where(foi.c.id.in_(wanted)))}
    keep = np.isin(batch.foi, list(have))
    if keep.all():
        return batch, rows
    if not keep.any():
        return None, []
    pick = np.flatnonzero(keep)

    def take(values: Any) -> Any:
        if values is None:
            return None
        if isinstance(values, np.ndarray):
            return values[pick]
        return [values[k] for k in pick.tolist()]

    kept = ObservationColumns(
        batch.datastream_id,
        batch.phenomenon_start[pick],
        batch.result_number[pick],
        take(batch.result_json),
        take(batch.phenomenon_end),
        take(batch.result_time),
        batch.foi[pick],
        {k: take(v) for k, v in batch.extra.items()},
    )
    return kept, [rows[k] for k in pick.tolist()]
