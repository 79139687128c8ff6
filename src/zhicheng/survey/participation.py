"""Participation (社会参与): citizens' proposals and comments on a plan or project, answered in public.

Items move ``submitted`` → ``under_review`` → ``accepted`` / ``rejected`` / ``answered``; every
final status carries a public answer. Counts and response times feed the goal model's
participation indicator (D7.R1.I2 市民建议按期答复率, suggestions answered within 15 working days).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem, ZhichengError
from zhicheng.store.schema import indicator_values, units
from zhicheng.store.schema_survey import participation_items
from zhicheng.store.values import new_batch, write_values

KINDS = ("proposal", "comment")
SUBJECTS = ("plan", "project")
OPEN_STATUSES = ("submitted", "under_review")
FINAL_STATUSES = ("accepted", "rejected", "answered")
STATUSES = OPEN_STATUSES + FINAL_STATUSES
#: Working days within which a suggestion must be answered (D7.R1.I2 definition).
ANSWER_WORKING_DAYS = 15
#: Indicator fed with the share of items answered on time [%].
ON_TIME_INDICATOR = "D7.R1.I2"
MAX_BODY = 5000


class ParticipationError(ZhichengError):
    """A participation request cannot be honoured (unknown item, bad status, empty text)."""


class NotFound(ParticipationError):
    """No participation item with that id."""


def _now() -> datetime:
    return datetime.now(UTC)


def _check(conn: sa.Connection, unit: str, subject_kind: str, kind: str, body: str,
           parent_id: int | None) -> list[Problem]:
    problems: list[Problem] = []
    if conn.execute(sa.select(units.c.code).where(units.c.code == unit)).scalar() is None:
        problems.append(Problem(f"unknown unit {unit!r}", column="unit"))
    if subject_kind not in SUBJECTS:
        problems.append(Problem(f"subject_kind must be one of {', '.join(SUBJECTS)}", column="subject_kind"))
    if kind not in KINDS:
        problems.append(Problem(f"kind must be one of {', '.join(KINDS)}", column="kind"))
    if not body.strip() or len(body) > MAX_BODY:
        problems.append(Problem(f"body must have 1 to {MAX_BODY} characters", column="body"))
    if parent_id is not None and conn.execute(
            sa.select(participation_items.c.id).where(participation_items.c.id == parent_id)).scalar() is None:
        problems.append(Problem(f"no item {parent_id} to reply to", column="parent_id"))
    return problems


def submit(engine: Engine, *, unit: str, subject_kind: str, subject_ref: str, kind: str, body: str,
           title: str | None = None, parent_id: int | None = None, district: str | None = None,
           at: datetime | None = None) -> dict[str, Any]:
    """Record a citizen's proposal or comment; returns the stored item (status ``submitted``)."""
    with engine.begin() as conn:
        problems = _check(conn, unit, subject_kind, kind, body, parent_id)
        if problems:
            raise ParticipationError(problems=problems)
        new_id = conn.execute(participation_items.insert().values(
            unit_code=unit, subject_kind=subject_kind, subject_ref=subject_ref[:100], kind=kind,
            parent_id=parent_id, title=(title or None) and title[:200], body=body, district=district,
            status="submitted", created_at=at or _now(),
        ).returning(participation_items.c.id)).scalar_one()
    return get_item(engine, int(new_id))


def get_item(engine: Engine, item_id: int) -> dict[str, Any]:
    """One item as a dict; :class:`NotFound` when there is none."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(participation_items).where(participation_items.c.id == item_id)).mappings().first()
    if row is None:
        raise NotFound(f"no participation item {item_id}")
    return dict(row)


def respond(engine: Engine, item_id: int, *, status: str, by: str, answer: str | None = None,
            at: datetime | None = None) -> dict[str, Any]:
    """Move an item to ``status``; a final status needs the public ``answer``."""
    if status not in STATUSES or status == "submitted":
        raise ParticipationError(f"status must be one of {', '.join(STATUSES[1:])}")
    if status in FINAL_STATUSES and not (answer or "").strip():
        raise ParticipationError(f"status {status!r} needs a public answer")
    current = get_item(engine, item_id)
    if current["status"] in FINAL_STATUSES:
        raise ParticipationError(f"item {item_id} is already {current['status']}")
    values: dict[str, Any] = {"status": status}
    if status in FINAL_STATUSES:
        values.update(public_answer=answer, answered_at=at or _now(), answered_by=by[:100])
    with engine.begin() as conn:
        conn.execute(participation_items.update().where(participation_items.c.id == item_id).values(**values))
    return get_item(engine, item_id)


def list_items(engine: Engine, *, unit: str | None = None, subject_kind: str | None = None,
               subject_ref: str | None = None, status: str | None = None, limit: int = 100,
               offset: int = 0) -> list[dict[str, Any]]:
    """Items, newest first, filtered by unit, subject and status."""
    t = participation_items
    stmt = sa.select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit).offset(offset)
    for col, val in (("unit_code", unit), ("subject_kind", subject_kind), ("subject_ref", subject_ref),
                     ("status", status)):
        if val is not None:
            stmt = stmt.where(t.c[col] == val)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings().all()]


def _year_bounds(period: str) -> tuple[datetime, datetime]:
    if not (len(period) == 4 and period.isdigit()):
        raise ParticipationError(f"period must be a year such as 2026, not {period!r}")
    year = int(period)
    if not 1 <= year <= 9998:
        raise ParticipationError(f"period {period!r} is not a usable year")
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def participation_stats(engine: Engine, unit: str, period: str) -> dict[str, Any]:
    """Counts and response times of the items received in ``period`` (a year) for ``unit``.

    Returns
    -------
    dict
        ``received``, ``proposals``, ``comments``, ``answered``, ``answered_on_time`` (within
        :data:`ANSWER_WORKING_DAYS` working days, Monday–Friday), ``on_time_share`` [%],
        ``median_response_hours`` and ``mean_response_hours`` [h] over answered items.
    """
    start, end = _year_bounds(period)
    t = participation_items
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(
            sa.select(t.c.kind, t.c.created_at, t.c.answered_at)
            .where(t.c.unit_code == unit, t.c.created_at >= start, t.c.created_at < end)
        ).all(), columns=["kind", "created_at", "answered_at"])
    created = pd.to_datetime(frame["created_at"], utc=True)
    answered_at = pd.to_datetime(frame["answered_at"], utc=True)
    done = answered_at.notna().to_numpy()
    hours = (answered_at - created).dt.total_seconds().to_numpy(dtype=float)[done] / 3600.0
    c_days = created.dt.tz_localize(None).to_numpy().astype("datetime64[D]")[done]
    a_days = answered_at.dt.tz_localize(None).to_numpy().astype("datetime64[D]")[done]
    on_time = int((np.busday_count(c_days, a_days) <= ANSWER_WORKING_DAYS).sum()) if done.any() else 0
    received = len(frame)
    return {
        "unit": unit, "period": period, "received": received,
        "proposals": int((frame["kind"] == "proposal").sum()), "comments": int((frame["kind"] == "comment").sum()),
        "answered": int(done.sum()), "answered_on_time": on_time,
        "on_time_share": 100.0 * on_time / received if received else None,
        "median_response_hours": float(np.median(hours)) if hours.size else None,
        "mean_response_hours": float(hours.mean()) if hours.size else None,
    }


def feed_participation(engine: Engine, unit: str, period: str, *, by: str = "participation") -> dict[str, Any]:
    """Write the on-time answer share of ``period`` as indicator :data:`ON_TIME_INDICATOR`; one batch."""
    stats = participation_stats(engine, unit, period)
    if stats["on_time_share"] is None:
        return {**stats, "batch_id": None}
    value = pd.DataFrame([{"unit_code": unit, "indicator_id": ON_TIME_INDICATOR, "period": period,
                           "value": stats["on_time_share"]}])
    digest = hashlib.sha256(f"participation {unit} {period} {stats}".encode()).hexdigest()
    with engine.begin() as conn:
        exists = conn.execute(sa.select(indicator_values.c.value).where(
            indicator_values.c.unit_code == unit, indicator_values.c.indicator_id == ON_TIME_INDICATOR,
            indicator_values.c.period == period)).first() is not None
        batch = new_batch(conn, source=f"participation {unit} {period}", checksum=digest, ingested_by=by,
                          row_count=1, kind="participation",
                          note=f"{stats['answered_on_time']} of {stats['received']} answered within "
                               f"{ANSWER_WORKING_DAYS} working days")
        empty = value.iloc[0:0]
        write_values(conn, empty if exists else value, value if exists else empty, batch)
    return {**stats, "batch_id": batch}
