"""Campaigns: create, read, list and close them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
)
from zhicheng.campaign.journal import Row, _audit, _now, _path, framework_for
from zhicheng.campaign.models import Actor, parse_deadline, utc
from zhicheng.errors import Problem
from zhicheng.goals.periods import PERIOD_FORMS, is_period
from zhicheng.store.schema import units
from zhicheng.store.schema_campaign import (
    campaign_assignments,
    campaign_submissions,
    campaign_units,
    campaigns,
)


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
    if not is_period(period):
        problems.append(Problem(f"period {period!r}: use {PERIOD_FORMS} (as stored values)",
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
