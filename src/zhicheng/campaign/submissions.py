"""Submissions: save, hand in, attach and remove evidence, read them back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.access import _assignment, _check_edit, may_read
from zhicheng.campaign.campaigns import _require_open, campaign_units_of, load_campaign
from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
)
from zhicheng.campaign.evidence import EvidenceStore, PlacedFile, StagedFile
from zhicheng.campaign.journal import Row, Upload, _audit, _history, _now, _path, framework_for
from zhicheng.campaign.models import EDITABLE, Actor, SubmissionInput, utc
from zhicheng.campaign.values import _ready_problems, checked_values
from zhicheng.errors import Problem
from zhicheng.store.schema import units
from zhicheng.store.schema_campaign import campaign_evidence, campaign_history, campaign_submissions

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework


def _submission(conn: sa.Connection, cid: int, sid: int) -> Row:
    s = campaign_submissions
    row = conn.execute(sa.select(s).where(s.c.id == sid, s.c.campaign_id == cid)).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no submission {sid} in campaign {cid}")
    return dict(row)


def _submission_by_key(conn: sa.Connection, cid: int, indicator_id: str, unit_code: str) -> Row | None:
    s = campaign_submissions
    row = conn.execute(sa.select(s).where(s.c.campaign_id == cid, s.c.indicator_id == indicator_id,
                                          s.c.unit_code == unit_code)).mappings().first()
    return None if row is None else dict(row)


def _evidence_count(conn: sa.Connection, sid: int) -> int:
    e = campaign_evidence
    return int(conn.execute(sa.select(sa.func.count()).where(e.c.submission_id == sid)).scalar_one())


@contextmanager
def _evidence_transaction(store: EvidenceStore, staged: list[StagedFile]) -> Iterator[list[PlacedFile]]:
    """Place staged files for a transaction; if it fails, remove the files it brought in."""
    placed: list[PlacedFile] = []
    try:
        yield placed
    except BaseException:
        store.discard(staged)
        for item in placed:
            if item.created:
                store.remove(item.sha256)
        raise


def _attach(conn: sa.Connection, store: EvidenceStore, staged: list[StagedFile], placed: list[PlacedFile],
            actor: Actor, sub: Row) -> list[str]:
    """Move staged files into the store and record them for ``sub``; the names added."""
    e = campaign_evidence
    have = set(conn.execute(sa.select(e.c.sha256).where(e.c.submission_id == sub["id"])).scalars())
    placed.extend(store.place(staged))
    added = []
    for item in placed:
        if item.sha256 in have:
            continue
        have.add(item.sha256)
        conn.execute(e.insert().values(submission_id=sub["id"], sha256=item.sha256, filename=item.filename,
                                       media_type=item.media_type, size=item.size, uploaded_by=actor.name[:100],
                                       uploaded_at=_now()))
        added.append(item.filename)
    if added:
        _history(conn, sub["id"], actor, "evidence_add", sub["status"], sub["status"], sub["value"],
                 {"files": added})
    return added


def _write_submission(conn: sa.Connection, actor: Actor, cid: int, assignment: Row, data: SubmissionInput,
                      fields: dict[str, Any]) -> Row:
    """Insert a draft or update an editable submission; returns the row as now stored."""
    s = campaign_submissions
    sub = _submission_by_key(conn, cid, data.indicator_id, data.unit_code)
    now = _now()
    if sub is None:
        sid = int(conn.execute(s.insert().values(
            campaign_id=cid, assignment_id=assignment["id"], indicator_id=data.indicator_id,
            unit_code=data.unit_code, department=assignment["department"], status="draft", round=0,
            created_by=actor.name[:100], created_at=now, updated_by=actor.name[:100], updated_at=now, **fields,
        ).returning(s.c.id)).scalar_one())
        _history(conn, sid, actor, "create", None, "draft", fields["value"])
        return _submission(conn, cid, sid)
    if sub["status"] not in EDITABLE:
        raise CampaignConflict(f"submission {sub['id']} is {sub['status']}: it can no longer be changed")
    conn.execute(s.update().where(s.c.id == sub["id"]).values(updated_by=actor.name[:100], updated_at=now, **fields))
    _history(conn, sub["id"], actor, "save", sub["status"], sub["status"], fields["value"])
    return _submission(conn, cid, sub["id"])


def _hand_in(conn: sa.Connection, actor: Actor, cid: int, sub: Row, fw: Framework) -> None:
    """Submit a draft or resubmit a returned submission."""
    if sub["status"] not in EDITABLE:
        raise CampaignConflict(f"submission {sub['id']} is {sub['status']}: only drafts and returned "
                               "submissions can be handed in")
    problems = _ready_problems(fw.indicator(sub["indicator_id"]), sub, _evidence_count(conn, sub["id"]))
    if problems:
        raise CampaignError(problems=problems)
    after, action = ("resubmitted", "resubmit") if sub["status"] == "returned" else ("submitted", "submit")
    s = campaign_submissions
    conn.execute(s.update().where(s.c.id == sub["id"]).values(
        status=after, submitted_by=actor.name[:100], submitted_at=_now(), round=sub["round"] + 1))
    _history(conn, sub["id"], actor, action, sub["status"], after, sub["value"])
    _audit(conn, actor, _path(cid, sub["id"]), {"action": action, "from": sub["status"], "to": after,
                                               "indicator": sub["indicator_id"], "unit": sub["unit_code"],
                                               "value": sub["value"]})


def save_submission(engine: Engine, store: EvidenceStore, actor: Actor, cid: int, data: SubmissionInput,
                    uploads: Sequence[Upload] = (), *, submit: bool = False) -> Row:
    """Create or update the department's submission for one indicator and unit, with evidence files.

    With ``submit`` the submission is also handed in (a returned one is resubmitted). All of it
    happens or nothing does: a refused file, a bad value or a missing field leaves the store and
    the evidence folder as they were.

    Raises
    ------
    EvidenceRefused, EvidenceTooLarge
        A file of a type not accepted, or too large (checked before anything else).
    CampaignForbidden
        The caller is not an analyst of the assigned department (or a named one).
    CampaignConflict
        The submission is under review or approved.
    CampaignError
        Bad values or, when submitting, missing ones.
    """
    staged = store.stage_all(uploads)
    with _evidence_transaction(store, staged) as placed, engine.begin() as conn:
        camp = load_campaign(conn, cid)
        _require_open(camp)
        assignment = _assignment(conn, cid, data.indicator_id)
        _check_edit(actor, assignment)
        if data.unit_code not in campaign_units_of(conn, cid):
            raise CampaignError(problems=[Problem(f"unit {data.unit_code!r} is not part of campaign {cid}",
                                                  column="unit_code")])
        fw = framework_for(camp["framework_id"], camp["framework_version"])
        fields = checked_values(fw, data)
        sub = _write_submission(conn, actor, cid, assignment, data, fields)
        added = _attach(conn, store, staged, placed, actor, sub)
        _audit(conn, actor, _path(cid, sub["id"]), {"action": "save", "status": sub["status"],
                                                   "indicator": sub["indicator_id"], "unit": sub["unit_code"],
                                                   "value": sub["value"], "files": added})
        if submit:
            _hand_in(conn, actor, cid, sub, fw)
        sid = sub["id"]
    return get_submission(engine, actor, cid, sid)


def submit(engine: Engine, actor: Actor, cid: int, sid: int) -> Row:
    """Hand in a draft (→ submitted) or a returned submission (→ resubmitted)."""
    with engine.begin() as conn:
        camp = load_campaign(conn, cid)
        _require_open(camp)
        sub = _submission(conn, cid, sid)
        _check_edit(actor, _assignment(conn, cid, sub["indicator_id"]))
        _hand_in(conn, actor, cid, sub, framework_for(camp["framework_id"], camp["framework_version"]))
    return get_submission(engine, actor, cid, sid)


def add_evidence(engine: Engine, store: EvidenceStore, actor: Actor, cid: int, sid: int,
                 uploads: Sequence[Upload]) -> Row:
    """Attach evidence files to an editable submission (all files or none)."""
    staged = store.stage_all(uploads)
    with _evidence_transaction(store, staged) as placed, engine.begin() as conn:
        _require_open(load_campaign(conn, cid))
        sub = _submission(conn, cid, sid)
        _check_edit(actor, _assignment(conn, cid, sub["indicator_id"]))
        if sub["status"] not in EDITABLE:
            raise CampaignConflict(f"submission {sid} is {sub['status']}: evidence can no longer be changed")
        added = _attach(conn, store, staged, placed, actor, sub)
        _audit(conn, actor, _path(cid, sid) + "/evidence", {"action": "evidence_add", "files": added})
    return get_submission(engine, actor, cid, sid)


def remove_evidence(engine: Engine, store: EvidenceStore, actor: Actor, cid: int, sid: int, eid: int) -> Row:
    """Detach an evidence file from an editable submission (the file goes when nothing uses it)."""
    e = campaign_evidence
    with engine.begin() as conn:
        sub = _submission(conn, cid, sid)
        _check_edit(actor, _assignment(conn, cid, sub["indicator_id"]))
        if sub["status"] not in EDITABLE:
            raise CampaignConflict(f"submission {sid} is {sub['status']}: evidence can no longer be changed")
        row = conn.execute(sa.select(e).where(e.c.id == eid, e.c.submission_id == sid)).mappings().first()
        if row is None:
            raise CampaignNotFound(f"no evidence {eid} on submission {sid}")
        conn.execute(e.delete().where(e.c.id == eid))
        still_used = conn.execute(sa.select(sa.func.count()).where(e.c.sha256 == row["sha256"])).scalar_one()
        _history(conn, sid, actor, "evidence_remove", sub["status"], sub["status"], sub["value"],
                 {"file": row["filename"], "sha256": row["sha256"]})
        _audit(conn, actor, _path(cid, sid) + f"/evidence/{eid}", {"action": "evidence_remove",
                                                                  "file": row["filename"]})
    if not still_used:
        store.remove(row["sha256"])
    return get_submission(engine, actor, cid, sid)


def evidence_file(engine: Engine, actor: Actor, cid: int, sid: int, eid: int) -> Row:
    """An evidence file's record (``sha256``, ``filename``, ``media_type``, ``size``) if the caller may read it."""
    e = campaign_evidence
    with engine.connect() as conn:
        sub = _submission(conn, cid, sid)
        if not may_read(actor, sub["department"]):
            raise CampaignForbidden(f"submission {sid} belongs to {sub['department']!r}")
        row = conn.execute(sa.select(e).where(e.c.id == eid, e.c.submission_id == sid)).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no evidence {eid} on submission {sid}")
    return dict(row)


def _describe(conn: sa.Connection, sub: Row) -> Row:
    e, h = campaign_evidence, campaign_history
    evidence = [dict(r) for r in conn.execute(sa.select(e).where(e.c.submission_id == sub["id"])
                                              .order_by(e.c.id)).mappings()]
    history = [dict(r) for r in conn.execute(sa.select(h).where(h.c.submission_id == sub["id"])
                                             .order_by(h.c.id)).mappings()]
    for item in evidence:
        item["uploaded_at"] = utc(item["uploaded_at"])
        item["url"] = f"/api/campaigns/{sub['campaign_id']}/submissions/{sub['id']}/evidence/{item['id']}"
    for item in history:
        item["at"] = utc(item["at"])
        item["detail"] = json.loads(item["detail"]) if item["detail"] else None
    for key in ("created_at", "updated_at", "submitted_at", "reviewed_at"):
        sub[key] = utc(sub[key])
    return {**sub, "evidence": evidence, "history": history}


def get_submission(engine: Engine, actor: Actor, cid: int, sid: int) -> Row:
    """One submission with its evidence files and history, if the caller may read it."""
    with engine.connect() as conn:
        sub = _submission(conn, cid, sid)
        if not may_read(actor, sub["department"]):
            raise CampaignForbidden(f"submission {sid} belongs to {sub['department']!r}")
        return _describe(conn, sub)


def list_submissions(engine: Engine, actor: Actor, cid: int, *, status: str | None = None,
                     department: str | None = None) -> list[Row]:
    """The submissions of a campaign the caller may read (analysts: their department's)."""
    s, e = campaign_submissions, campaign_evidence
    n_files = sa.select(sa.func.count()).where(e.c.submission_id == s.c.id).scalar_subquery()
    u = units
    stmt = (
        sa.select(s, n_files.label("evidence_count"), u.c.name_zh.label("unit_name_zh"),
                  u.c.name_en.label("unit_name_en"))
        .select_from(s.outerjoin(u, u.c.code == s.c.unit_code))
        .where(s.c.campaign_id == cid)
    )
    if not actor.reviews:
        if department is not None and department != actor.department:
            raise CampaignForbidden(f"{actor.name!r} may not read submissions of {department!r}")
        department = actor.department or ""
    if department is not None:
        stmt = stmt.where(s.c.department == department)
    if status is not None:
        stmt = stmt.where(s.c.status == status)
    with engine.connect() as conn:
        load_campaign(conn, cid)
        rows = [dict(r) for r in conn.execute(stmt.order_by(s.c.indicator_id, s.c.unit_code)).mappings()]
    for r in rows:
        for key in ("created_at", "updated_at", "submitted_at", "reviewed_at"):
            r[key] = utc(r[key])
    return rows
