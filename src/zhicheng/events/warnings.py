"""Public warnings (预警发布): drafted by an operator or from an alert, reviewed, published as CAP 1.2.

A warning is a draft until a reviewer (role ``reviewer`` or ``admin``, and never its own author
unless admin) publishes or rejects it. Updates and cancellations are new messages that reference
the one they replace (CAP ``references``); once published, the replaced message is no longer
active. Published warnings are served as CAP XML and in an Atom feed; D2.R3.I1 (预警信息公众覆盖率)
comes from the dissemination figures recorded on them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.cap import CapMessage, FeedEntry, InfoBlock, cap_document, message_problems
from zhicheng.events.errors import EventConflict, EventError, EventForbidden, EventNotFound
from zhicheng.events.service import now_utc, utc
from zhicheng.store.schema_warnings import public_warnings

AUTHOR_ROLES = ("operator", "admin")
REVIEW_ROLES = ("reviewer", "admin")
#: Goal-model indicator the dissemination figures feed.
INDICATOR_REACH = "D2.R3.I1"


@dataclass(frozen=True)
class WarningDraft:
    """What an author gives for a new warning (CAP fields; see :mod:`zhicheng.events.cap`)."""

    event_code: str
    category: str
    urgency: str
    severity: str
    certainty: str
    area_desc_zh: str
    info: tuple[InfoBlock, ...]
    area_desc_en: str | None = None
    polygon: str | None = None
    circle: str | None = None
    response_type: str | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    status: str = "Actual"
    unit_code: str | None = None
    source: str = "operator"
    source_ref: str | None = None
    residents_in_area: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sender(settings_sender: str | None = None) -> str:
    from zhicheng.settings import Settings

    return settings_sender or Settings().cap_sender


def _message(row: Any, references: tuple[tuple[str, str, datetime], ...], sent: datetime) -> CapMessage:
    blocks = tuple(InfoBlock(**b) for b in json.loads(row.info))
    by_lang = {"zh-CN": row.area_desc_zh, "en-US": row.area_desc_en or row.area_desc_zh}
    return CapMessage(
        identifier=row.identifier, sender=row.sender, sent=sent, status=row.status, msg_type=row.msg_type,
        category=row.category, event_code=row.event_code, urgency=row.urgency, severity=row.severity,
        certainty=row.certainty, area_desc=row.area_desc_zh, info=blocks, polygon=row.polygon, circle=row.circle,
        response_type=row.response_type, effective=row.effective and utc(row.effective),
        onset=row.onset and utc(row.onset), expires=row.expires and utc(row.expires),
        sender_name="城市运行管理中心 City operations centre", references=references,
        area_desc_by_language=by_lang,
    )


def _chain(conn: sa.Connection, row: Any) -> tuple[tuple[str, str, datetime], ...]:
    """(sender, identifier, sent) of the published messages ``row`` replaces, oldest first."""
    out = []
    ref = row.references_id
    while ref is not None:
        r = conn.execute(sa.select(public_warnings).where(public_warnings.c.id == ref)).one()
        if r.sent is not None:
            out.append((r.sender, r.identifier, utc(r.sent)))
        ref = r.references_id
    return tuple(reversed(out))


def _check(draft: WarningDraft, msg_type: str, references: bool) -> None:
    probe = CapMessage(
        identifier="probe", sender="probe", sent=now_utc(), status=draft.status, msg_type=msg_type,
        category=draft.category, event_code=draft.event_code, urgency=draft.urgency, severity=draft.severity,
        certainty=draft.certainty, area_desc=draft.area_desc_zh, info=draft.info, polygon=draft.polygon,
        circle=draft.circle, response_type=draft.response_type,
        references=(("probe", "probe", now_utc()),) if references else (),
    )
    problems = message_problems(probe)
    if not any(b.language.lower().startswith("zh") for b in draft.info):
        problems.append(Problem("a warning needs a zh-CN info block", column="info"))
    if not (draft.polygon or draft.circle):
        problems.append(Problem("a warning needs an area: polygon or circle", column="polygon"))
    if problems:
        raise EventError(problems=problems)


def _insert(conn: sa.Connection, draft: WarningDraft, msg_type: str, actor: str,
            references_id: int | None) -> int:
    now = now_utc()
    sender = _sender()
    return int(conn.execute(public_warnings.insert().values(
        identifier=f"zhicheng-{uuid.uuid4().hex}", sender=sender, status=draft.status, msg_type=msg_type,
        scope="Public", references_id=references_id, state="draft", category=draft.category,
        event_code=draft.event_code, urgency=draft.urgency, severity=draft.severity, certainty=draft.certainty,
        response_type=draft.response_type, effective=None, onset=draft.onset, expires=draft.expires,
        area_desc_zh=draft.area_desc_zh, area_desc_en=draft.area_desc_en, polygon=draft.polygon,
        circle=draft.circle, info=json.dumps([b.__dict__ for b in draft.info], ensure_ascii=False),
        source=draft.source, source_ref=draft.source_ref, unit_code=draft.unit_code, created_by=actor,
        created_at=now, residents_in_area=draft.residents_in_area,
    ).returning(public_warnings.c.id)).scalar_one())


def create_warning(engine: Engine, draft: WarningDraft, actor: str, role: str | None) -> dict[str, Any]:
    """Store a new warning (CAP msgType Alert) as a draft awaiting review; return it."""
    if role not in AUTHOR_ROLES and draft.source == "operator":
        raise EventForbidden(f"role {role!r} may not draft warnings; needs one of {', '.join(AUTHOR_ROLES)}")
    _check(draft, "Alert", references=False)
    with engine.begin() as conn:
        wid = _insert(conn, draft, "Alert", actor, None)
    return get_warning(engine, wid)


def _published_active(conn: sa.Connection, wid: int) -> Any:
    row = conn.execute(sa.select(public_warnings).where(public_warnings.c.id == wid)).first()
    if row is None:
        raise EventNotFound(f"no warning {wid}")
    if row.state != "published":
        raise EventConflict(f"warning {wid} is {row.state}: only a published warning can be updated or cancelled")
    later = conn.execute(sa.select(public_warnings.c.id).where(
        public_warnings.c.references_id == wid, public_warnings.c.state == "published")).first()
    if later is not None:
        raise EventConflict(f"warning {wid} was already replaced by {later.id}")
    return row


def replace_warning(engine: Engine, wid: int, msg_type: str, actor: str, role: str | None,
                    draft: WarningDraft | None = None, note: str | None = None) -> dict[str, Any]:
    """Draft an Update (with ``draft``'s content) or a Cancel of published warning ``wid``."""
    if role not in AUTHOR_ROLES:
        raise EventForbidden(f"role {role!r} may not draft warnings; needs one of {', '.join(AUTHOR_ROLES)}")
    if msg_type not in ("Update", "Cancel"):
        raise EventError(problems=[Problem("msg_type must be Update or Cancel", column="msg_type")])
    with engine.begin() as conn:
        original = _published_active(conn, wid)
        if draft is None:
            blocks = tuple(InfoBlock(**b) for b in json.loads(original.info))
            if msg_type == "Cancel":
                blocks = tuple(InfoBlock(b.language, b.event,
                                         ("解除：" if b.language.startswith("zh") else "Cancelled: ") + b.headline,
                                         note or b.description, "") for b in blocks)
            draft = WarningDraft(
                event_code=original.event_code, category=original.category,
                urgency="Past" if msg_type == "Cancel" else original.urgency,
                severity=original.severity, certainty=original.certainty, area_desc_zh=original.area_desc_zh,
                area_desc_en=original.area_desc_en, info=blocks, polygon=original.polygon, circle=original.circle,
                response_type="AllClear" if msg_type == "Cancel" else original.response_type,
                onset=original.onset, expires=original.expires, status=original.status,
                unit_code=original.unit_code, source=original.source, source_ref=original.source_ref,
                residents_in_area=original.residents_in_area)
        _check(draft, msg_type, references=True)
        new_id = _insert(conn, draft, msg_type, actor, wid)
    return get_warning(engine, new_id)


def review_warning(engine: Engine, wid: int, publish: bool, actor: str, role: str | None,
                   note: str | None = None) -> dict[str, Any]:
    """Publish (CAP ``sent`` = now) or reject a draft; reviewers never publish their own drafts."""
    if role not in REVIEW_ROLES:
        raise EventForbidden(f"role {role!r} may not publish warnings; needs one of {', '.join(REVIEW_ROLES)}")
    with engine.begin() as conn:
        row = conn.execute(sa.select(public_warnings).where(public_warnings.c.id == wid)).first()
        if row is None:
            raise EventNotFound(f"no warning {wid}")
        if row.state != "draft":
            raise EventConflict(f"warning {wid} is already {row.state}")
        if row.created_by == actor and role != "admin":
            raise EventForbidden("a warning is published by someone other than its author")
        if publish and row.references_id is not None:
            _published_active(conn, row.references_id)
        now = now_utc()
        values: dict[str, Any] = {"state": "published" if publish else "rejected", "reviewed_by": actor,
                                  "reviewed_at": now, "review_note": note}
        if publish:
            values.update(sent=now, effective=now)
            # The document must be valid CAP before it goes out.
            cap_document(_message(SimpleNamespace(**{**row._mapping, "effective": now}), _chain(conn, row), now))
        done = conn.execute(public_warnings.update().where(
            public_warnings.c.id == wid, public_warnings.c.state == "draft").values(**values))
        if done.rowcount != 1:
            raise EventConflict("the warning changed meanwhile; try again")
    return get_warning(engine, wid)


def record_reach(engine: Engine, wid: int, residents_in_area: float, residents_reached: float,
                 role: str | None) -> dict[str, Any]:
    """Record a published warning's dissemination: residents of the area and those reached in 15 min."""
    if role not in AUTHOR_ROLES:
        raise EventForbidden(f"role {role!r} may not record dissemination figures")
    if not (residents_in_area > 0 and 0 <= residents_reached <= residents_in_area):
        raise EventError(problems=[Problem("need 0 ≤ residents_reached ≤ residents_in_area, residents_in_area > 0",
                                           column="residents_reached")])
    with engine.begin() as conn:
        done = conn.execute(public_warnings.update().where(
            public_warnings.c.id == wid, public_warnings.c.state == "published").values(
            residents_in_area=residents_in_area, residents_reached=residents_reached))
        if done.rowcount != 1:
            raise EventNotFound(f"no published warning {wid}")
    return get_warning(engine, wid)


def _record(row: Any, active: bool) -> dict[str, Any]:
    d = dict(row._mapping)
    d["info"] = json.loads(d["info"])
    for key in ("effective", "onset", "expires", "created_at", "reviewed_at", "sent"):
        if d.get(key) is not None:
            d[key] = utc(d[key])
    d["active"] = active
    return d


def _replaced_ids(conn: sa.Connection) -> set[int]:
    return set(conn.execute(sa.select(public_warnings.c.references_id).where(
        public_warnings.c.state == "published", public_warnings.c.references_id.is_not(None))).scalars())


def get_warning(engine: Engine, wid: int) -> dict[str, Any]:
    """One warning with its review state and whether it is active (published, not replaced, not expired)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(public_warnings).where(public_warnings.c.id == wid)).first()
        if row is None:
            raise EventNotFound(f"no warning {wid}")
        replaced = _replaced_ids(conn)
    return _record(row, _is_active(row, replaced, now_utc()))


def _is_active(row: Any, replaced: set[int], now: datetime) -> bool:
    return bool(row.state == "published" and row.msg_type != "Cancel" and row.id not in replaced
                and (row.expires is None or utc(row.expires) > now))


def list_warnings(engine: Engine, state: str | None = "published", limit: int = 200) -> list[dict[str, Any]]:
    """Warnings, newest first (``state`` None: every state)."""
    stmt = sa.select(public_warnings).order_by(public_warnings.c.created_at.desc(), public_warnings.c.id.desc())
    if state:
        stmt = stmt.where(public_warnings.c.state == state)
    now = now_utc()
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit)).all()
        replaced = _replaced_ids(conn)
    return [_record(r, _is_active(r, replaced, now)) for r in rows]


def warning_cap(engine: Engine, wid: int) -> bytes:
    """The CAP 1.2 document of a published warning (validated against the schema)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(public_warnings).where(public_warnings.c.id == wid)).first()
        if row is None or row.state != "published":
            raise EventNotFound(f"no published warning {wid}")
        return cap_document(_message(row, _chain(conn, row), utc(row.sent)))


def feed_entries(engine: Engine, link: str) -> list[FeedEntry]:
    """Atom entries of every published message; ``link`` is formatted with the warning's id."""
    out = []
    for w in list_warnings(engine, "published"):
        zh = next((b for b in w["info"] if b["language"].startswith("zh")), w["info"][0])
        out.append(FeedEntry(w["identifier"], zh["headline"], zh.get("description") or zh["event"], w["sent"],
                             link.format(id=w["id"]), w["msg_type"]))
    return out


def reach_indicator(engine: Engine, year: int, unit_code: str | None = None) -> float | None:
    """D2.R3.I1 [%]: mean over the year's published alerts of residents reached / residents warned × 100.

    References
    ----------
    Goal model D2.R3.I1 预警信息公众覆盖率: residents reached within 15 minutes of a warning /
    residents of the warned area × 100, averaged over the warnings of the year. Warnings without
    dissemination figures are left out.
    """
    start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(public_warnings.c.residents_in_area, public_warnings.c.residents_reached).where(
            public_warnings.c.state == "published", public_warnings.c.msg_type == "Alert",
            public_warnings.c.sent >= utc(start), public_warnings.c.sent < utc(end),
            public_warnings.c.residents_in_area > 0, public_warnings.c.residents_reached.is_not(None),
            *([public_warnings.c.unit_code == unit_code] if unit_code else []))).all()
    if not rows:
        return None
    return float(sum(100.0 * r.residents_reached / r.residents_in_area for r in rows) / len(rows))
