"""Plain Observation creates from many callers stored together (a group commit).

One transaction and one statement stream for all of them, each caller still checked and
answered on its own.

Used by the MQTT ingest (every batch of messages) and by the HTTP server for
``POST /Observations`` and ``POST /Datastreams(id)/Observations`` with a plain body, where
concurrent requests share one commit (and their audit rows ride in the same transaction).

References
----------
OGC 18-088 §10.2 (create an Observation), §14.1 (create via MQTT).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import queue
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.auth import redact
from zhicheng.errors import ZhichengError
from zhicheng.sensing import changes, reader
from zhicheng.sensing.errors import BadRequest
from zhicheng.sensing.ingest import ObservationColumns, datastream_exists, insert_observations
from zhicheng.sensing.model import OBSERVATION
from zhicheng.sensing.paths import parse_path
from zhicheng.sensing.service import Actor, Answer, Call, authorize, execute
from zhicheng.sensing.timefmt import now_micros
from zhicheng.sensing.writer import props_to_columns
from zhicheng.store.schema_api import audit_log

log = logging.getLogger(__name__)
_DATASTREAM_OBS = re.compile(r"^Datastreams\((\d+)\)/Observations$")
_EXTRA = ("result_quality", "valid_time_start", "valid_time_end", "parameters")


@dataclass
class Plain:
    """One plain Observation create: who asks, for which Datastream, the property columns."""

    actor: Actor
    datastream: int
    values: dict[str, Any]


def plain_observation(path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
    """(Datastream, columns) when ``POST path`` with ``body`` creates one plain Observation.

    Plain: no nested entity but the Datastream by id, no FeatureOfInterest (the Thing's Location
    gives it). Anything else (None) goes the general way. Bad property values raise 400.
    """
    if (
        not isinstance(body, dict)
        or "@iot.id" in body
        or "FeatureOfInterest" in body
        or "MultiDatastream" in body
    ):
        return None
    match = _DATASTREAM_OBS.match(path)
    ds = body.get("Datastream")
    if match is not None and ds is None:
        ds_id = int(match.group(1))
    elif (
        path == "Observations"
        and isinstance(ds, dict)
        and set(ds) == {"@iot.id"}
        and type(ds["@iot.id"]) is int
    ):
        ds_id = int(ds["@iot.id"])
    else:
        return None
    plain = {k: v for k, v in body.items() if k != "Datastream"}
    return ds_id, props_to_columns(OBSERVATION, plain, "Observation", full=True)


def store_plain(conn: sa.Connection, base: str, items: list[Plain]) -> list[dict[str, Any] | ZhichengError]:
    """Store ``items`` on ``conn``; per item its new entity, or the error that refused it.

    Refused items (unknown Datastream, a caller who may not write it) write nothing; a failure
    of the write itself raises (the caller's transaction then holds nothing of the group).
    """
    out: list[dict[str, Any] | ZhichengError] = [BadRequest("not stored")] * len(items)
    if not items:
        return out
    known = datastream_exists(conn, [p.datastream for p in items])
    verdicts: dict[tuple[int, int], ZhichengError | None] = {}
    kept: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        if item.datastream not in known:
            out[i] = BadRequest(f"Datastream {item.datastream} does not exist")
            continue
        key = (id(item.actor), item.datastream)
        if key not in verdicts:
            call = Call("POST", f"Datastreams({item.datastream})/Observations", base)
            try:
                authorize(conn, item.actor, call, parse_path(call.path))
                verdicts[key] = None
            except ZhichengError as exc:
                verdicts[key] = exc
        refusal = verdicts[key]
        if refusal is not None:
            out[i] = refusal
            continue
        kept.setdefault(item.datastream, []).append(i)
    now = now_micros()
    order: list[int] = []
    batches = []
    for ds, rows in kept.items():
        vals = [items[i].values for i in rows]
        order.extend(rows)
        starts = [v["phenomenon_time_start"] if v.get("phenomenon_time_start") is not None else now for v in vals]
        for v, t in zip(vals, starts, strict=True):
            v["phenomenon_time_start"] = t
        batches.append(
            ObservationColumns(
                datastream_id=ds,
                phenomenon_start=np.array(starts, dtype=np.int64),
                phenomenon_end=[v.get("phenomenon_time_end") for v in vals],
                result_number=np.array(
                    [np.nan if v["result_number"] is None else v["result_number"] for v in vals],
                    dtype=np.float64,
                ),
                result_json=[v["result_json"] for v in vals],
                result_time=[v.get("result_time") for v in vals],
                extra={k: [v.get(k) for v in vals] for k in _EXTRA},
            )
        )
    result = insert_observations(conn, batches, verified=True)
    made = []
    for i, new_id, foi in zip(order, result.ids, result.foi, strict=True):
        ds = items[i].datastream
        row = {**items[i].values, "id": new_id, "datastream_id": ds, "feature_of_interest_id": foi}
        entity = reader.entity_json(OBSERVATION, row, base, None)
        out[i] = entity
        made.append((entity, {"datastream_id": ds, "feature_of_interest_id": foi}))
    changes.note_known(conn, OBSERVATION, made, created=True)
    return out


@dataclass
class _Job:
    plain: Plain
    call: Call
    audit: dict[str, Any]
    future: concurrent.futures.Future[Answer]
    #: The submitter's context (listeners fired after commit see what its request set).
    context: contextvars.Context


class GroupWriter:
    """Concurrent plain Observation creates (HTTP) stored together, answered one by one.

    Each request waits for the transaction holding it; requests that arrive while one is being
    written share the next. Each request's audit row is written in the same transaction.
    """

    def __init__(self, engine: Engine, batch_max: int = 256) -> None:
        self.engine = engine
        self.batch_max = batch_max
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="zhicheng-group-writer", daemon=True)
        self._thread.start()

    def submit(self, actor: Actor, call: Call, plain: tuple[int, dict[str, Any]], audit: dict[str, Any]) -> concurrent.futures.Future[Answer]:
        """Queue one create; the future holds its answer (or the error refusing it)."""
        future: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        job = _Job(Plain(actor, plain[0], plain[1]), call, audit, future, contextvars.copy_context())
        self._queue.put(job)
        return future

    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self.batch_max:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                jobs[0].context.run(self._write, jobs)
            except Exception:  # noqa: BLE001 - one job's failure must not fail the others
                log.debug("group write failed; writing its requests one by one", exc_info=True)
                for job in jobs:
                    job.context.run(self._alone, job)

    def _write(self, jobs: list[_Job]) -> None:
        base = jobs[0].call.base

        def work(conn: sa.Connection) -> list[dict[str, Any] | ZhichengError]:
            if any(job.call.base != base for job in jobs):
                raise ValueError("one base URL per group")
            results = store_plain(conn, base, [job.plain for job in jobs])
            rows = [
                {**job.audit, "status": 201}
                for job, r in zip(jobs, results, strict=True)
                if not isinstance(r, ZhichengError)
            ]
            if rows:
                conn.execute(sa.insert(audit_log), rows)
            return results

        results = changes.committed(self.engine, work)
        for job, result in zip(jobs, results, strict=True):
            if isinstance(result, ZhichengError):
                job.future.set_exception(result)
            else:
                job.future.set_result(Answer(201, result, {"Location": result["@iot.selfLink"]}))

    def _alone(self, job: _Job) -> None:
        def work(conn: sa.Connection) -> Answer:
            answer = execute(conn, job.plain.actor, job.call)
            conn.execute(sa.insert(audit_log).values(**{**job.audit, "status": answer.status}))
            return answer

        try:
            job.future.set_result(changes.committed(self.engine, work))
        except Exception as exc:  # noqa: BLE001 - the request answers with it
            job.future.set_exception(exc)


def audit_row(actor: Actor, method: str, path: str, query: str) -> dict[str, Any]:
    """The audit columns of one request (status filled in when it is known)."""
    return {
        "at": datetime.now(UTC),
        "actor": actor.name,
        "role": actor.role,
        "method": method,
        "path": path[:500],
        "detail": redact(query)[:2000] or None,
    }


