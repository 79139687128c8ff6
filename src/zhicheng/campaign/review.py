"""Review: return submissions with a reason, or approve them into the store as one ingest batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.campaigns import _require_open, load_campaign
from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
)
from zhicheng.campaign.journal import Row, _audit, _history, _now, _path
from zhicheng.campaign.models import AUTHOR_ACTIONS, REVIEWABLE, Actor
from zhicheng.campaign.submissions import list_submissions
from zhicheng.errors import Problem
from zhicheng.store.schema_campaign import campaign_evidence, campaign_history, campaign_submissions
from zhicheng.store.values import new_batch, read_values, write_values


def _authors(conn: sa.Connection, sids: Sequence[int]) -> dict[int, set[str]]:
    h = campaign_history
    rows = conn.execute(sa.select(h.c.submission_id, h.c.actor).where(
        h.c.submission_id.in_(list(sids)), h.c.action.in_(AUTHOR_ACTIONS)).distinct()).all()
    out: dict[int, set[str]] = {}
    for sid, name in rows:
        out.setdefault(int(sid), set()).add(str(name))
    return out


def _reviewable(conn: sa.Connection, actor: Actor, cid: int, ids: Sequence[int]) -> list[Row]:
    """The submissions ``ids``, checked: they exist, wait for review, and are not the reviewer's own."""
    if not actor.reviews:
        raise CampaignForbidden("only reviewers and admins approve or return submissions")
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise CampaignError("no submissions given")
    s = campaign_submissions
    found = {int(r["id"]): dict(r) for r in conn.execute(
        sa.select(s).where(s.c.campaign_id == cid, s.c.id.in_(wanted))).mappings()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise CampaignNotFound(problems=[Problem(f"no submission {i} in campaign {cid}") for i in missing])
    authors = _authors(conn, wanted)
    own = [Problem(f"submission {i} is your own work: another reviewer must review it")
           for i in wanted if actor.name in authors.get(i, set())]
    if own:
        raise CampaignForbidden(problems=own)
    waiting = [Problem(f"submission {i} is {found[i]['status']}, not waiting for review")
               for i in wanted if found[i]["status"] not in REVIEWABLE]
    if waiting:
        raise CampaignConflict(problems=waiting)
    return [found[i] for i in wanted]


def return_submissions(engine: Engine, actor: Actor, cid: int, ids: Sequence[int], reason: str) -> list[Row]:
    """Send submissions back to their departments with ``reason`` (all of them or none)."""
    if not reason or not reason.strip():
        raise CampaignError(problems=[Problem("a reason is needed to return a submission", column="reason")])
    s = campaign_submissions
    with engine.begin() as conn:
        _require_open(load_campaign(conn, cid))
        subs = _reviewable(conn, actor, cid, ids)
        now = _now()
        for sub in subs:
            conn.execute(s.update().where(s.c.id == sub["id"]).values(
                status="returned", return_reason=reason.strip(), reviewed_by=actor.name[:100], reviewed_at=now))
            _history(conn, sub["id"], actor, "return", sub["status"], "returned", sub["value"],
                     {"reason": reason.strip()})
        _audit(conn, actor, _path(cid) + "/return", {"action": "return", "submissions": [x["id"] for x in subs],
                                                    "reason": reason.strip()})
    return list_submissions(engine, actor, cid, status="returned")


@dataclass(frozen=True)
class Approval:
    """What an approval did: the ingest batch and the submissions and values it wrote."""

    batch_id: int
    submissions: tuple[int, ...]
    values_new: int
    values_updated: int


def _evidence_by_submission(conn: sa.Connection, sids: Sequence[int]) -> dict[int, list[dict[str, str]]]:
    e = campaign_evidence
    out: dict[int, list[dict[str, str]]] = {}
    for sid, sha, name in conn.execute(sa.select(e.c.submission_id, e.c.sha256, e.c.filename)
                                       .where(e.c.submission_id.in_(list(sids))).order_by(e.c.id)).all():
        out.setdefault(int(sid), []).append({"sha256": str(sha), "file": str(name)})
    return out


def _write_approved(conn: sa.Connection, actor: Actor, camp: Row, subs: list[Row]) -> Approval:
    """Write the approved values as one campaign ingest batch (inside the caller's transaction)."""
    frame = pd.DataFrame({
        "unit_code": [x["unit_code"] for x in subs], "indicator_id": [x["indicator_id"] for x in subs],
        "period": camp["period"], "value": [float(x["value"]) for x in subs],
    })
    stored = read_values(conn, periods=[camp["period"]], indicators=set(frame["indicator_id"]),
                         units_=set(frame["unit_code"]))
    keys = ["unit_code", "indicator_id", "period"]
    merged = frame.merge(stored[keys].assign(stored=True), on=keys, how="left")
    # A value already in the store is re-pointed at this batch too: its provenance is the submission.
    was_stored = merged["stored"].eq(True)
    new, changed = frame[~was_stored.to_numpy()], frame[was_stored.to_numpy()]
    evidence = _evidence_by_submission(conn, [x["id"] for x in subs])
    note = {"campaign": camp["id"], "period": camp["period"], "approved_by": actor.name, "submissions": [
        {"id": x["id"], "indicator": x["indicator_id"], "unit": x["unit_code"], "value": x["value"],
         "department": x["department"], "evidence": evidence.get(x["id"], [])} for x in subs]}
    text = json.dumps(note, ensure_ascii=False, sort_keys=True)
    batch = new_batch(conn, source=f"campaign:{camp['id']}", checksum=hashlib.sha256(text.encode()).hexdigest(),
                      ingested_by=actor.name, row_count=len(frame), kind="campaign", note=text)
    write_values(conn, new, changed, batch)
    return Approval(batch, tuple(x["id"] for x in subs), len(new), len(changed))


def approve(engine: Engine, actor: Actor, cid: int, ids: Sequence[int]) -> Approval:
    """Approve submissions in bulk and write their values to the store as one ingest batch.

    All or none: when any submission is missing, not waiting for review, or the reviewer's own,
    nothing is approved and nothing is written.
    """
    s = campaign_submissions
    with engine.begin() as conn:
        camp = load_campaign(conn, cid)
        _require_open(camp)
        subs = _reviewable(conn, actor, cid, ids)
        result = _write_approved(conn, actor, camp, subs)
        now = _now()
        for sub in subs:
            done = conn.execute(s.update().where(s.c.id == sub["id"], s.c.status == sub["status"]).values(
                status="approved", return_reason=None, reviewed_by=actor.name[:100], reviewed_at=now,
                batch_id=result.batch_id))
            if done.rowcount != 1:
                raise CampaignConflict(f"submission {sub['id']} changed during the review; try again")
            _history(conn, sub["id"], actor, "approve", sub["status"], "approved", sub["value"],
                     {"batch": result.batch_id})
        _audit(conn, actor, _path(cid) + "/approve", {"action": "approve", "submissions": list(result.submissions),
                                                     "batch": result.batch_id})
    return result
