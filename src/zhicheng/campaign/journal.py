"""What every campaign step shares: the clock, the framework a campaign uses, its audit and history lines."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa

from zhicheng.campaign.errors import CampaignError
from zhicheng.campaign.models import Actor
from zhicheng.store.schema_api import audit_log
from zhicheng.store.schema_campaign import campaign_history

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework

Row = dict[str, Any]
#: Most checklist items one indicator is checked against.
MAX_ITEMS = 10_000
Upload = tuple[str, BinaryIO]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def framework_for(framework_id: str, version: str) -> Framework:
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
