"""The campaign workflow: create, assign, fill in, submit, return, resubmit, approve.

States of a submission: ``draft → submitted → approved``, or ``submitted → returned`` (with a
reason) ``→ resubmitted → approved`` (or returned again). Departments change only their own
drafts and returned submissions; reviewers approve or return in bulk, never their own work.
Every change is kept in ``campaign_history`` and written to the audit log with its detail.
Approval writes the approved values to ``indicator_values`` as one ingest batch of kind
``campaign`` (source ``campaign:<id>``) whose note lists the submissions and their evidence, in the
same transaction that marks the submissions approved; each submission keeps the batch id.
Every call is one transaction: bad input changes nothing (evidence files included).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
)
from zhicheng.campaign.evidence import EvidenceStore, PlacedFile, StagedFile
from zhicheng.campaign.models import (
    AUTHOR_ACTIONS,
    EDITABLE,
    REVIEWABLE,
    Actor,
    AssignmentSpec,
    SubmissionInput,
    parse_deadline,
    utc,
)
from zhicheng.errors import Problem
from zhicheng.store.schema import units
from zhicheng.store.schema_api import api_tokens, audit_log
from zhicheng.store.schema_campaign import (
    campaign_assignments,
    campaign_evidence,
    campaign_history,
    campaign_submissions,
    campaign_units,
    campaigns,
)
from zhicheng.store.values import new_batch, read_values, write_values

Row = dict[str, Any]
#: Periods as the store keeps them (the intake's forms): 2024, 2024-06, 2024Q2, 2024H1.
PERIOD = re.compile(r"^\d{4}(-\d{2}|Q[1-4]|H[12])?$")
#: Most checklist items one indicator is checked against.
MAX_ITEMS = 10_000
Upload = tuple[str, BinaryIO]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def framework_for(framework_id: str, version: str) -> Any:
    """The goal framework a campaign uses (the built-in one, matched by id and version)."""
    from zhicheng.goals import builtin_framework

    fw = builtin_framework()
    if (fw.id, fw.version) != (framework_id, version):
        raise CampaignError(f"framework {framework_id} {version} is not available (built-in: {fw.id} {fw.version})")
    return fw


def _audit(conn: sa.Connection, actor: Actor, path: str, detail: dict[str, Any]) -> None:
    """One audit-log line with what changed (HTTP writes also get the server's own line)."""
    conn.execute(audit_log.insert().values(
        at=_now(), actor=actor.name[:100], role=actor.role, method="CAMPAIGN", path=path[:500], status=200,
        detail=json.dumps(detail, ensure_ascii=False, default=str)[:2000],
    ))


def _history(conn: sa.Connection, sub_id: int, actor: Actor, action: str, before: str | None, after: str,
             value: float | None, detail: dict[str, Any] | None = None) -> None:
    conn.execute(campaign_history.insert().values(
        submission_id=sub_id, at=_now(), actor=actor.name[:100], action=action, from_status=before,
        to_status=after, value=value, detail=json.dumps(detail, ensure_ascii=False) if detail else None,
    ))


def _path(cid: int, sid: int | None = None) -> str:
    return f"/api/campaigns/{cid}" + (f"/submissions/{sid}" if sid is not None else "")


# --------------------------------------------------------------------------- campaigns


def _check_units(conn: sa.Connection, codes: Sequence[str]) -> list[Problem]:
    known = set(conn.execute(sa.select(units.c.code).where(units.c.code.in_(list(codes)))).scalars())
    problems = [Problem(f"unknown unit {c!r} (load units first)", column="units") for c in codes if c not in known]
    if not codes:
        problems.append(Problem("a campaign needs at least one unit", column="units"))
    return problems


def create_campaign(engine: Engine, actor: Actor, *, name: str, period: str, deadline: str | dt.datetime,
                    units_: Sequence[str], note: str | None = None) -> int:
    """Create an open campaign for ``units_`` and ``period`` due by ``deadline``; returns its id.

    The campaign uses the built-in goal framework; its id and version are kept with it.

    Raises
    ------
    CampaignForbidden
        When ``actor`` is not a reviewer or admin.
    CampaignError
        Unknown units, an empty name, a period not in a stored form, a deadline that is not a date.
    """
    if not actor.reviews:
        raise CampaignForbidden("only reviewers and admins create campaigns")
    fw = framework_for(*_builtin_key())
    problems = []
    if not name.strip():
        problems.append(Problem("a campaign needs a name", column="name"))
    if not PERIOD.match(str(period).strip()):
        problems.append(Problem(f"period {period!r}: use YYYY, YYYY-MM, YYYYQn or YYYYHn (as stored values)",
                                column="period"))
    try:
        due = parse_deadline(deadline)
    except (ValueError, OverflowError):
        problems.append(Problem(f"deadline {deadline!r} is not an ISO date or datetime", column="deadline"))
    codes = list(dict.fromkeys(units_))
    with engine.begin() as conn:
        problems += _check_units(conn, codes)
        if problems:
            raise CampaignError(problems=problems)
        cid = int(conn.execute(campaigns.insert().values(
            name=name.strip()[:200], framework_id=fw.id, framework_version=fw.version, period=str(period).strip(),
            deadline=due, status="open", created_by=actor.name[:100], created_at=_now(), note=note,
        ).returning(campaigns.c.id)).scalar_one())
        conn.execute(campaign_units.insert(), [{"campaign_id": cid, "unit_code": c} for c in codes])
        _audit(conn, actor, _path(cid), {"action": "create", "name": name, "period": period, "units": codes,
                                        "deadline": due.isoformat()})
    return cid


def _builtin_key() -> tuple[str, str]:
    from zhicheng.goals import builtin_framework

    fw = builtin_framework()
    return fw.id, fw.version


def load_campaign(conn: sa.Connection, cid: int) -> Row:
    """The campaign row ``cid`` (deadline and creation time in UTC); 404 when there is none."""
    row = conn.execute(sa.select(campaigns).where(campaigns.c.id == cid)).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign {cid}")
    out = dict(row)
    out["deadline"] = utc(out["deadline"])
    out["created_at"] = utc(out["created_at"])
    return out


def _assignment_rows(conn: sa.Connection, cid: int) -> list[Row]:
    t = campaign_assignments
    rows = conn.execute(sa.select(t).where(t.c.campaign_id == cid).order_by(t.c.indicator_id)).mappings().all()
    return [{**dict(r), "assignees": json.loads(r["assignees"] or "[]"), "assigned_at": utc(r["assigned_at"])}
            for r in rows]


def campaign_units_of(conn: sa.Connection, cid: int) -> list[str]:
    """The unit codes of campaign ``cid``."""
    t = campaign_units
    return list(conn.execute(sa.select(t.c.unit_code).where(t.c.campaign_id == cid).order_by(t.c.unit_code)).scalars())


def get_campaign(engine: Engine, cid: int, *, lang: str = "zh") -> Row:
    """A campaign with its units, assignments and maturity grades (names in ``lang``)."""
    with engine.connect() as conn:
        camp = load_campaign(conn, cid)
        camp["units"] = campaign_units_of(conn, cid)
        u = units
        named = conn.execute(sa.select(u.c.code, u.c.name_zh, u.c.name_en).where(u.c.code.in_(camp["units"])))
        # Names of the units (additive beside the codes): pages name units, never just codes.
        camp["unit_names"] = {
            str(r.code): (r.name_en if lang == "en" and r.name_en else r.name_zh) or str(r.code) for r in named
        }
        assignments = _assignment_rows(conn, cid)
    fw = framework_for(camp["framework_id"], camp["framework_version"])
    for a in assignments:
        ind = fw.indicator(a["indicator_id"])
        a.update(indicator_name=ind.name.get(lang), kind=ind.kind, unit=ind.unit)
    camp["assignments"] = assignments
    camp["grades"] = [{"level": g.level, "name": g.name.get(lang), "min": g.min} for g in fw.grades]
    return camp


def list_campaigns(engine: Engine) -> list[Row]:
    """Every campaign, newest first, with its count of assignments and submissions by state."""
    a, s = campaign_assignments, campaign_submissions
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(campaigns).order_by(campaigns.c.id.desc())).mappings()]
        n_assign: dict[int, int] = dict(conn.execute(sa.select(a.c.campaign_id, sa.func.count()).group_by(a.c.campaign_id)).all())
        states = conn.execute(sa.select(s.c.campaign_id, s.c.status, sa.func.count())
                              .group_by(s.c.campaign_id, s.c.status)).all()
    by_state: dict[int, dict[str, int]] = {}
    for cid, status, n in states:
        by_state.setdefault(int(cid), {})[str(status)] = int(n)
    for r in rows:
        r["deadline"], r["created_at"] = utc(r["deadline"]), utc(r["created_at"])
        r["assignments"] = int(n_assign.get(r["id"], 0))
        r["submissions"] = by_state.get(r["id"], {})
    return rows


def close_campaign(engine: Engine, actor: Actor, cid: int) -> None:
    """Close a campaign: nothing can be submitted or reviewed in it any more."""
    if not actor.reviews:
        raise CampaignForbidden("only reviewers and admins close campaigns")
    with engine.begin() as conn:
        load_campaign(conn, cid)
        conn.execute(campaigns.update().where(campaigns.c.id == cid).values(status="closed"))
        _audit(conn, actor, _path(cid), {"action": "close"})


def _require_open(camp: Row) -> None:
    if camp["status"] != "open":
        raise CampaignConflict(f"campaign {camp['id']} is {camp['status']}")


# --------------------------------------------------------------------------- assignments


def _analysts(conn: sa.Connection, names: Iterable[str]) -> dict[str, set[str | None]]:
    """Token name → departments of its live analyst (or admin) tokens."""
    t = api_tokens
    rows = conn.execute(sa.select(t.c.name, t.c.department).where(
        t.c.name.in_(list(names)), t.c.role.in_(["analyst", "admin"]), t.c.revoked_at.is_(None))).all()
    out: dict[str, set[str | None]] = {}
    for name, dept in rows:
        out.setdefault(name, set()).add(dept)
    return out


def _assignment_problems(conn: sa.Connection, fw: Any, specs: Sequence[AssignmentSpec]) -> list[Problem]:
    problems: list[Problem] = []
    ids = [s.indicator_id for s in specs]
    analysts = _analysts(conn, {n for s in specs for n in s.assignees})
    for row, spec in enumerate(specs, start=1):
        try:
            fw.indicator(spec.indicator_id)
        except KeyError:
            problems.append(Problem(f"unknown indicator {spec.indicator_id!r}", row=row, column="indicator_id"))
        if not spec.department.strip():
            problems.append(Problem("a department is needed", row=row, column="department"))
        if ids.count(spec.indicator_id) > 1 and ids.index(spec.indicator_id) != row - 1:
            problems.append(Problem(f"indicator {spec.indicator_id!r} assigned twice", row=row, column="indicator_id"))
        for name in spec.assignees:
            if spec.department not in analysts.get(name, set()):
                problems.append(Problem(f"{name!r} is not an analyst of {spec.department!r} (no live token)",
                                        row=row, column="assignees"))
    return problems


def assign(engine: Engine, actor: Actor, cid: int, specs: Sequence[AssignmentSpec]) -> list[Row]:
    """Assign indicators to departments (and named analysts); re-assigning updates the entry.

    An indicator whose submissions exist keeps its department (its submissions belong to it);
    its named analysts may still change.

    Raises
    ------
    CampaignError
        With every problem: unknown indicators, duplicates, assignees who are not analysts of
        the department; nothing is changed.
    """
    if not actor.reviews:
        raise CampaignForbidden("only reviewers and admins assign indicators")
    with engine.begin() as conn:
        camp = load_campaign(conn, cid)
        _require_open(camp)
        fw = framework_for(camp["framework_id"], camp["framework_version"])
        problems = _assignment_problems(conn, fw, specs)
        existing = {a["indicator_id"]: a for a in _assignment_rows(conn, cid)}
        started = set(conn.execute(sa.select(campaign_submissions.c.indicator_id).where(
            campaign_submissions.c.campaign_id == cid)).scalars())
        for row, spec in enumerate(specs, start=1):
            old = existing.get(spec.indicator_id)
            if old and old["department"] != spec.department and spec.indicator_id in started:
                problems.append(Problem(f"{spec.indicator_id} already has submissions from {old['department']!r}",
                                        row=row, column="department"))
        if problems:
            raise CampaignError(problems=problems)
        for spec in specs:
            _upsert_assignment(conn, actor, cid, spec, existing.get(spec.indicator_id))
        _audit(conn, actor, _path(cid) + "/assignments", {"action": "assign", "assignments": [
            {"indicator": s.indicator_id, "department": s.department, "assignees": list(s.assignees)} for s in specs]})
        return _assignment_rows(conn, cid)


def _upsert_assignment(conn: sa.Connection, actor: Actor, cid: int, spec: AssignmentSpec, old: Row | None) -> None:
    values = {"department": spec.department.strip()[:100], "assignees": json.dumps(sorted(set(spec.assignees)),
              ensure_ascii=False), "assigned_by": actor.name[:100], "assigned_at": _now()}
    t = campaign_assignments
    if old is None:
        conn.execute(t.insert().values(campaign_id=cid, indicator_id=spec.indicator_id, **values))
    else:
        conn.execute(t.update().where(t.c.id == old["id"]).values(**values))


# --------------------------------------------------------------------------- access


def may_edit(actor: Actor, assignment: Row) -> bool:
    """An analyst of the assigned department (a named one, when names are given), or an admin."""
    if actor.is_admin:
        return True
    if actor.role != "analyst" or actor.department != assignment["department"]:
        return False
    return not assignment["assignees"] or actor.name in assignment["assignees"]


def may_read(actor: Actor, department: str) -> bool:
    """Reviewers and admins read every submission; analysts only their department's."""
    return actor.reviews or (actor.role == "analyst" and actor.department == department)


def _assignment(conn: sa.Connection, cid: int, indicator_id: str) -> Row:
    for a in _assignment_rows(conn, cid):
        if a["indicator_id"] == indicator_id:
            return a
    raise CampaignNotFound(f"indicator {indicator_id!r} is not assigned in campaign {cid}")


def _check_edit(actor: Actor, assignment: Row) -> None:
    if not may_edit(actor, assignment):
        who = f"{actor.name!r} ({actor.role}, {actor.department or 'no department'})"
        raise CampaignForbidden(f"{who} may not fill in {assignment['indicator_id']}: it is assigned to "
                                f"{assignment['department']!r}")


# --------------------------------------------------------------------------- values


def _finite(value: float | None, what: str, problems: list[Problem]) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(Problem(f"{what} must be a number", column=what))
        return None
    if not math.isfinite(number):
        problems.append(Problem(f"{what} must be a finite number", column=what))
        return None
    return number


def _checklist_fields(ind: Any, fw: Any, data: SubmissionInput, problems: list[Problem]) -> float | None:
    """Check a checklist answer; the value derived from items met of items checked (for % units)."""
    met, total = data.items_met, data.items_total
    if data.maturity is not None and not 1 <= data.maturity <= len(fw.grades):
        problems.append(Problem(f"maturity level must be 1 … {len(fw.grades)}", column="maturity"))
    if (met is None) != (total is None):
        problems.append(Problem("give both items met and items checked", column="items_met"))
        return None
    if met is None or total is None:
        return None
    if not 0 <= met <= total <= MAX_ITEMS or total == 0:
        problems.append(Problem(f"items met ({met}) must lie between 0 and items checked ({total}), at most {MAX_ITEMS:,}",
                                column="items_met"))
        return None
    return 100.0 * met / total if ind.unit.strip() in {"%", "％"} else None


def checked_values(fw: Any, data: SubmissionInput) -> dict[str, Any]:
    """The columns a submission stores, after checking them against its indicator.

    Raises
    ------
    CampaignError
        With every problem: a value that is not a finite number or lies outside the indicator's
        plausible range, checklist fields on a non-checklist indicator, a bad maturity level.
    """
    problems: list[Problem] = []
    ind = fw.indicator(data.indicator_id)
    value = _finite(data.value, "value", problems)
    if ind.kind == "checklist":
        derived = _checklist_fields(ind, fw, data, problems)
        if value is None:
            value = derived
        elif derived is not None and abs(derived - value) > 1e-9 * max(1.0, abs(value)):
            problems.append(Problem(f"value {value:g} differs from items met / items checked × 100 = {derived:g}",
                                    column="value"))
    elif any(v is not None for v in (data.answer, data.maturity, data.items_met, data.items_total)):
        problems.append(Problem(f"{ind.id} is not a checklist indicator: give a value only", column="answer"))
    if value is not None and ind.plausible is not None and not ind.plausible[0] <= value <= ind.plausible[1]:
        lo, hi = ind.plausible
        problems.append(Problem(f"{ind.id}: {value:g} {ind.unit} is outside the plausible range [{lo:g}, {hi:g}]",
                                column="value"))
    if problems:
        raise CampaignError(problems=problems)
    return {"value": value, "answer": (data.answer or "").strip() or None, "items_met": data.items_met,
            "items_total": data.items_total, "maturity": data.maturity,
            "comment": (data.comment or "").strip() or None}


def _ready_problems(ind: Any, sub: Row, evidence_count: int) -> list[Problem]:
    """What a submission still lacks before it can be handed in."""
    problems = []
    if sub["value"] is None:
        problems.append(Problem(f"{ind.id}: a value is needed", column="value"))
    if ind.kind == "checklist":
        if not sub["answer"]:
            problems.append(Problem(f"{ind.id}: the checklist answer is needed", column="answer"))
        if sub["maturity"] is None:
            problems.append(Problem(f"{ind.id}: the maturity level is needed", column="maturity"))
        if evidence_count == 0:
            problems.append(Problem(f"{ind.id}: checklist items need at least one evidence file", column="files"))
    return problems


# --------------------------------------------------------------------------- submissions


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


def _hand_in(conn: sa.Connection, actor: Actor, cid: int, sub: Row, fw: Any) -> None:
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


# --------------------------------------------------------------------------- review


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
