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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.sensing.errors import BadRequest, bad
from zhicheng.sensing.model import FEATURE_OF_INTEREST, OBSERVATION
from zhicheng.sensing.timefmt import now_micros, parse_instants, parse_time
from zhicheng.sensing.writer import is_id
from zhicheng.store import schema_sensing as s

#: Components a data array may carry (OGC 18-088 §14.2, Table 34).
COMPONENTS = {"id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters", "FeatureOfInterest/id"}
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


def datastream_exists(conn: sa.Connection, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are Datastreams."""
    rows = conn.execute(sa.select(s.sta_datastreams.c.id).where(s.sta_datastreams.c.id.in_(list(set(ids)))))
    return {r[0] for r in rows}


def feature_for_datastream(conn: sa.Connection, datastream_id: int) -> int:
    """The FeatureOfInterest made from the Location of the Datastream's Thing (made on first use)."""
    ds, tl, loc, foi = s.sta_datastreams, s.sta_thing_locations, s.sta_locations, s.sta_features_of_interest
    location = conn.execute(
        sa.select(loc).join(tl, tl.c.location_id == loc.c.id).join(ds, ds.c.thing_id == tl.c.thing_id)
        .where(ds.c.id == datastream_id).order_by(loc.c.id.desc()).limit(1)
    ).mappings().first()  # fmt: skip
    if location is None:
        raise bad(
            f"Observations of Datastream {datastream_id} need a FeatureOfInterest: its Thing has no Location to make one from",
            "FeatureOfInterest",
        )
    found = conn.execute(sa.select(foi.c.id).where(foi.c.location_id == location["id"]).limit(1)).first()
    if found is not None:
        return int(found[0])
    return int(
        conn.execute(
            sa.insert(foi).values(
                name=location["name"],
                description=location["description"],
                encoding_type=location["encoding_type"],
                feature=location["location"],
                properties=location["properties"],
                location_id=location["id"],
            ).returning(foi.c.id)
        ).scalar_one()
    )


def _frame(batch: ObservationColumns) -> pd.DataFrame:
    n = len(batch)
    number = batch.result_number
    frame = pd.DataFrame(
        {
            "datastream_id": np.full(n, batch.datastream_id, dtype=np.int64),
            "feature_of_interest_id": batch.foi if batch.foi is not None else np.full(n, NO_FOI, dtype=np.int64),
            "phenomenon_time_start": batch.phenomenon_start,
            "phenomenon_time_end": batch.phenomenon_end if batch.phenomenon_end is not None else [None] * n,
            "result_time": batch.result_time if batch.result_time is not None else [None] * n,
            "result_number": number,
            "result_json": batch.result_json,
        }
    )
    for key, values in batch.extra.items():
        frame[key] = values
    return frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts for the driver: NaN and NA become None, numpy scalars Python ones."""
    cols: dict[str, list[Any]] = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype == object:
            cols[name] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in series.tolist()]
        else:
            values = series.tolist()
            mask = series.isna().to_numpy()
            cols[name] = [None if m else v for v, m in zip(values, mask, strict=True)] if mask.any() else values
    names = list(cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols.values(), strict=True)]


def _widen_extents(conn: sa.Connection, frame: pd.DataFrame) -> None:
    """Widen each Datastream's phenomenonTime and resultTime to cover the new rows (SQL GROUP BY in pandas)."""
    ds = s.sta_datastreams
    end = frame["phenomenon_time_end"].astype("Float64").fillna(frame["phenomenon_time_start"].astype("Float64"))
    work = pd.DataFrame(
        {"ds": frame["datastream_id"], "start": frame["phenomenon_time_start"], "end": end, "rt": frame["result_time"].astype("Float64")}
    )
    agg = work.groupby("ds").agg(start=("start", "min"), end=("end", "max"), rt_min=("rt", "min"), rt_max=("rt", "max"))
    for ds_id, row in agg.iterrows():
        values: dict[str, Any] = {
            "phenomenon_time_start": _widen(ds.c.phenomenon_time_start, int(row["start"]), lower=True),
            "phenomenon_time_end": _widen(sa.func.coalesce(ds.c.phenomenon_time_end, ds.c.phenomenon_time_start), int(row["end"]), lower=False),
        }
        if not pd.isna(row["rt_min"]):
            values["result_time_start"] = _widen(ds.c.result_time_start, int(row["rt_min"]), lower=True)
            values["result_time_end"] = _widen(sa.func.coalesce(ds.c.result_time_end, ds.c.result_time_start), int(row["rt_max"]), lower=False)
        conn.execute(sa.update(ds).where(ds.c.id == int(str(ds_id))).values(**values))


def _widen(column: Any, value: int, lower: bool) -> Any:
    beyond = column > value if lower else column < value
    return sa.case((column.is_(None), value), (beyond, value), else_=column)


def insert_observations(conn: sa.Connection, batches: Sequence[ObservationColumns]) -> IngestResult:
    """Write observations (column batches) in one statement; return ids and opened alerts.

    Rows without a FeatureOfInterest get the one made from their Thing's Location.
    """
    batches = [b for b in batches if len(b)]
    if not batches:
        return IngestResult([], [])
    missing = sorted({b.datastream_id for b in batches} - datastream_exists(conn, [b.datastream_id for b in batches]))
    if missing:
        raise BadRequest(problems=[Problem(f"Datastream {m} does not exist", column="Datastream") for m in missing])
    frame = pd.concat([_frame(b) for b in batches], ignore_index=True)
    no_foi = frame["feature_of_interest_id"].to_numpy() == NO_FOI
    if no_foi.any():
        for ds_id in pd.unique(frame.loc[no_foi, "datastream_id"]):
            rows = no_foi & (frame["datastream_id"].to_numpy() == ds_id)
            frame.loc[rows, "feature_of_interest_id"] = feature_for_datastream(conn, int(ds_id))
    _check_features(conn, frame)
    table = s.sta_observations
    stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = [int(r[0]) for r in conn.execute(stmt, _records(frame))]
    _widen_extents(conn, frame)
    from zhicheng.sensing.alerts import evaluate_batch

    frame["id"] = ids
    opened = evaluate_batch(conn, frame)
    return IngestResult(ids, opened)


def _check_features(conn: sa.Connection, frame: pd.DataFrame) -> None:
    wanted = set(pd.unique(frame["feature_of_interest_id"]).tolist())
    foi = s.sta_features_of_interest
    have = {r[0] for r in conn.execute(sa.select(foi.c.id).where(foi.c.id.in_(list(wanted))))}
    missing = sorted(wanted - have)
    if missing:
        raise BadRequest(problems=[Problem(f"FeatureOfInterest {m} does not exist", column="FeatureOfInterest/id") for m in missing])


def create_observation(conn: sa.Connection, body: Mapping[str, Any], where: str, given: Mapping[str, int]) -> int:
    """Create one Observation from its JSON (``POST /Observations`` or a nested one)."""
    from zhicheng.sensing.writer import create, props_to_columns

    values = props_to_columns(OBSERVATION, body, where, full=True)
    ds_body = body.get("Datastream")
    if ds_body is not None:
        from zhicheng.sensing.model import DATASTREAM

        ds_id = create(conn, DATASTREAM, ds_body, where=f"{where}.Datastream")
    elif "datastream_id" in given:
        ds_id = given["datastream_id"]
    else:
        raise bad(f"{where}: an Observation needs a Datastream (nested {{'@iot.id': n}})", "Datastream")
    foi = NO_FOI
    if body.get("FeatureOfInterest") is not None:
        foi = create(conn, FEATURE_OF_INTEREST, body["FeatureOfInterest"], where=f"{where}.FeatureOfInterest")
    elif "feature_of_interest_id" in given:
        foi = given["feature_of_interest_id"]
    start = values.get("phenomenon_time_start")
    batch = ObservationColumns(
        datastream_id=ds_id,
        phenomenon_start=np.array([start if start is not None else now_micros()], dtype=np.int64),
        phenomenon_end=[values.get("phenomenon_time_end")],
        result_number=np.array([np.nan if values["result_number"] is None else values["result_number"]]),
        result_json=[values["result_json"]],
        result_time=[values.get("result_time")],
        foi=np.array([foi], dtype=np.int64),
        extra={k: [values.get(k)] for k in ("result_quality", "valid_time_start", "valid_time_end", "parameters")},
    )
    return insert_observations(conn, [batch]).ids[0]


# --- the data-array extension ---------------------------------------------------------------


def _times_column(values: list[Any], name: str) -> tuple[npt.NDArray[np.int64], list[int | None] | None]:
    """Start times (and ends, when any value is a period) of a time component."""
    if any(isinstance(v, str) and "/" in v for v in values):
        pairs = [parse_time(v, name) for v in values]
        return np.array([p[0] for p in pairs], dtype=np.int64), [p[1] for p in pairs]
    return parse_instants(values, name), None


def _result_columns(values: list[Any]) -> tuple[npt.NDArray[np.float64], list[Any]]:
    kinds = np.fromiter((type(v) in (int, float) for v in values), dtype=bool, count=len(values))
    if kinds.all():
        return np.asarray(values, dtype=np.float64), [None] * len(values)
    number = np.array([float(v) if k else np.nan for v, k in zip(values, kinds, strict=True)], dtype=np.float64)
    other = [None if k else v for v, k in zip(values, kinds, strict=True)]
    return number, other


def _array_problems(i: int, item: Any) -> list[Problem]:
    where = f"CreateObservations[{i}]"
    if not isinstance(item, dict):
        return [Problem(f"{where} must be an object with Datastream, components and dataArray")]
    problems = [Problem(f"{where}: unknown member {k!r}", column=k) for k in item if k not in ("Datastream", "components", "dataArray", "dataArray@iot.count", "MultiDatastream")]
    ds = item.get("Datastream")
    if not isinstance(ds, dict) or not is_id(ds.get("@iot.id")):
        problems.append(Problem(f"{where}: needs \"Datastream\": {{\"@iot.id\": <integer>}}", column="Datastream"))
    comps = item.get("components")
    if not isinstance(comps, list) or not comps or not all(isinstance(c, str) for c in comps):
        problems.append(Problem(f"{where}: components must be a non-empty array of names", column="components"))
    else:
        problems += [Problem(f"{where}: unknown component {c!r}; use {', '.join(sorted(COMPONENTS))}", column="components") for c in comps if c not in COMPONENTS]
        if "result" not in comps:
            problems.append(Problem(f"{where}: components must include result", column="components"))
    data = item.get("dataArray")
    if not isinstance(data, list):
        problems.append(Problem(f"{where}: dataArray must be an array of arrays", column="dataArray"))
    elif isinstance(comps, list):
        bad_rows = [j for j, row in enumerate(data) if not isinstance(row, list) or len(row) != len(comps)]
        problems += [Problem(f"{where}: dataArray row must be an array of {len(comps)} values", row=j, column="dataArray") for j in bad_rows[:20]]
    return problems


def _batch_from_array(item: Mapping[str, Any], i: int) -> ObservationColumns:
    comps: list[str] = item["components"]
    data: list[list[Any]] = item["dataArray"]
    columns = dict(zip(comps, (list(c) for c in zip(*data, strict=True)), strict=True)) if data else {c: [] for c in comps}
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
        result_time = [None] * n if all(v is None for v in rt) else parse_instants(rt, f"{where}.resultTime")
    foi = None
    if "FeatureOfInterest/id" in columns:
        raw = columns["FeatureOfInterest/id"]
        if not all(is_id(v) for v in raw):
            raise bad(f"{where}: FeatureOfInterest/id values must be integers", "FeatureOfInterest/id")
        foi = np.asarray(raw, dtype=np.int64)
    extra: dict[str, list[Any]] = {}
    for comp, col in (("resultQuality", "result_quality"), ("parameters", "parameters")):
        if comp in columns:
            extra[col] = columns[comp]
    if "validTime" in columns:
        pairs = [parse_time(v, f"{where}.validTime") if v is not None else (None, None) for v in columns["validTime"]]
        extra["valid_time_start"] = [p[0] for p in pairs]
        extra["valid_time_end"] = [p[1] for p in pairs]
    return ObservationColumns(int(item["Datastream"]["@iot.id"]), start, number, other, end, result_time, foi, extra)


def create_observations(conn: sa.Connection, body: Any) -> IngestResult:
    """``POST /CreateObservations``: every data array checked first, then all rows in one go.

    Any problem refuses the whole request (every problem listed) and writes nothing.
    """
    if not isinstance(body, list):
        raise bad("CreateObservations takes an array of {Datastream, components, dataArray} objects")
    problems = [p for i, item in enumerate(body) for p in _array_problems(i, item)]
    if problems:
        raise BadRequest(problems=problems)
    batches = []
    for i, item in enumerate(body):
        try:
            batches.append(_batch_from_array(item, i))
        except BadRequest as exc:
            problems.extend(exc.problems)
    if problems:
        raise BadRequest(problems=problems)
    return insert_observations(conn, batches)
