"""Assignments: which department (and which named analysts) fill in an indicator."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.campaigns import _assignment_rows, _require_open, load_campaign
from zhicheng.campaign.errors import CampaignError, CampaignForbidden
from zhicheng.campaign.journal import Row, _audit, _now, _path, framework_for
from zhicheng.campaign.models import Actor, AssignmentSpec
from zhicheng.errors import Problem
from zhicheng.store.schema_api import api_tokens
from zhicheng.store.schema_campaign import campaign_assignments, campaign_submissions

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework


def _analysts(conn: sa.Connection, names: Iterable[str]) -> dict[str, set[str | None]]:
    """Token name → departments of its live analyst (or admin) tokens."""
    t = api_tokens
    rows = conn.execute(sa.select(t.c.name, t.c.department).where(
        t.c.name.in_(list(names)), t.c.role.in_(["analyst", "admin"]), t.c.revoked_at.is_(None))).all()
    out: dict[str, set[str | None]] = {}
    for name, dept in rows:
        out.setdefault(name, set()).add(dept)
    return out


def _assignment_problems(conn: sa.Connection, fw: Framework, specs: Sequence[AssignmentSpec]) -> list[Problem]:
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
