"""Public warnings under ``/api/warnings``: drafts, review, CAP 1.2 documents and the Atom feed.

Operators (and admins) draft warnings, updates and cancellations; reviewers (and admins) publish
or reject drafts they did not write. Published warnings are public: ``/api/warnings/{id}/cap.xml``
(CAP 1.2, validated against the OASIS schema) and ``/api/warnings/feed.atom``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from zhicheng.api.deps import EngineDep, PublicReader, require_role
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.events.cap import InfoBlock, atom_feed
from zhicheng.events.errors import EventError
from zhicheng.events.warnings import (
    WarningDraft,
    create_warning,
    feed_entries,
    get_warning,
    list_warnings,
    record_reach,
    replace_warning,
    review_warning,
    warning_cap,
)

router = APIRouter(prefix="/api/warnings", tags=["warnings"])

Author = Annotated[Principal, Depends(require_role("operator"))]
Reviewer = Annotated[Principal, Depends(require_role("reviewer"))]
WarningId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
Staff = Annotated[Principal, Depends(require_role("operator", "reviewer", "analyst", "viewer"))]


class InfoIn(BaseModel):
    """One info block: language (zh-CN, en-US), event, headline, description, instruction."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(max_length=16)
    event: str = Field(min_length=1, max_length=200)
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    instruction: str = Field(default="", max_length=4000)


class WarningIn(BaseModel):
    """A new warning (or the new content of an update)."""

    model_config = ConfigDict(extra="forbid")

    event_code: str = Field(max_length=64)
    category: str
    urgency: str
    severity: str
    certainty: str
    area_desc_zh: str = Field(min_length=1, max_length=500)
    area_desc_en: str | None = Field(default=None, max_length=500)
    polygon: str | None = Field(default=None, max_length=20_000)
    circle: str | None = Field(default=None, max_length=100)
    response_type: str | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    status: str = "Actual"
    unit_code: str | None = Field(default=None, max_length=64)
    residents_in_area: float | None = None
    info: list[InfoIn] = Field(min_length=1, max_length=8)

    def draft(self) -> WarningDraft:
        """The service's draft of this request."""
        data = self.model_dump(exclude={"info"})
        return WarningDraft(**data, info=tuple(InfoBlock(**b.model_dump()) for b in self.info))


class ReviewIn(BaseModel):
    """A reviewer's decision."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["publish", "reject"]
    note: str | None = Field(default=None, max_length=2000)


class ReplaceIn(BaseModel):
    """An update (new content, or the same content) or a cancellation of a published warning."""

    model_config = ConfigDict(extra="forbid")

    msg_type: Literal["Update", "Cancel"]
    note: str | None = Field(default=None, max_length=2000)
    content: WarningIn | None = None


class ReachIn(BaseModel):
    """Dissemination figures of a published warning (D2.R3.I1)."""

    model_config = ConfigDict(extra="forbid")

    residents_in_area: float = Field(gt=0)
    residents_reached: float = Field(ge=0)


def _http(exc: EventError) -> HTTPException:
    detail = "; ".join(str(p) for p in exc.problems) or str(exc)
    return HTTPException(http_status(exc), detail)


def _public(w: dict[str, Any]) -> dict[str, Any]:
    hidden = ("created_by", "reviewed_by", "review_note")
    return {k: v for k, v in w.items() if k not in hidden}


@router.get("")
def warnings_list(engine: EngineDep, _: PublicReader) -> list[dict[str, Any]]:
    """Published warnings (alerts, updates, cancellations), newest first, with ``active``."""
    return [_public(w) for w in list_warnings(engine, "published")]


@router.get("/drafts")
def warnings_drafts(engine: EngineDep, _: Staff) -> list[dict[str, Any]]:
    """Every warning in every state (drafts awaiting review first by time), for the operations staff."""
    return list_warnings(engine, None)


@router.get("/feed.atom", response_class=Response)
def warnings_feed(request: Request, engine: EngineDep, _: PublicReader) -> Response:
    """The Atom feed of published CAP messages; each entry links its CAP document."""
    base = str(request.base_url).rstrip("/")
    entries = feed_entries(engine, base + "/api/warnings/{id}/cap.xml")
    body = atom_feed(entries, f"{base}/api/warnings/feed.atom", "城市公共预警 Public warnings", str(request.url))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.post("", status_code=201)
def warnings_create(body: WarningIn, engine: EngineDep, who: Author) -> dict[str, Any]:
    """Draft a warning (CAP msgType Alert); it waits for a reviewer."""
    try:
        return create_warning(engine, body.draft(), who.name, who.role)
    except EventError as exc:
        raise _http(exc) from None


@router.get("/{wid}")
def warnings_one(wid: WarningId, engine: EngineDep, _: PublicReader) -> dict[str, Any]:
    """One published warning."""
    try:
        w = get_warning(engine, wid)
    except EventError as exc:
        raise _http(exc) from None
    if w["state"] != "published":
        raise HTTPException(404, f"no published warning {wid}")
    return _public(w)


@router.get("/{wid}/cap.xml", response_class=Response)
def warnings_cap(wid: WarningId, engine: EngineDep, _: PublicReader) -> Response:
    """The CAP 1.2 document of a published warning."""
    try:
        return Response(warning_cap(engine, wid), media_type="application/cap+xml; charset=utf-8")
    except EventError as exc:
        raise _http(exc) from None


@router.post("/{wid}/review")
def warnings_review(wid: WarningId, body: ReviewIn, engine: EngineDep, who: Reviewer) -> dict[str, Any]:
    """Publish or reject a draft (never one's own, unless admin)."""
    try:
        return review_warning(engine, wid, body.decision == "publish", who.name, who.role, body.note)
    except EventError as exc:
        raise _http(exc) from None


@router.post("/{wid}/replace", status_code=201)
def warnings_replace(wid: WarningId, body: ReplaceIn, engine: EngineDep, who: Author) -> dict[str, Any]:
    """Draft an Update or Cancel that references published warning ``wid``."""
    try:
        draft = body.content.draft() if body.content else None
        return replace_warning(engine, wid, body.msg_type, who.name, who.role, draft, body.note)
    except EventError as exc:
        raise _http(exc) from None


@router.post("/{wid}/reach")
def warnings_reach(wid: WarningId, body: ReachIn, engine: EngineDep, who: Author) -> dict[str, Any]:
    """Record how many residents of the area the warning reached within 15 minutes."""
    try:
        return record_reach(engine, wid, body.residents_in_area, body.residents_reached, who.role)
    except EventError as exc:
        raise _http(exc) from None
