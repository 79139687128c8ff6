"""Who may fill in and who may read a submission."""

from __future__ import annotations

import sqlalchemy as sa

from zhicheng.campaign.campaigns import _assignment_rows
from zhicheng.campaign.errors import CampaignForbidden, CampaignNotFound
from zhicheng.campaign.journal import Row
from zhicheng.campaign.models import Actor


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
