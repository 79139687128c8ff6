"""Citizen experience under ``/api/survey`` and ``/api/participation``.

Anyone may read questionnaires and published results (when open reads are on) and may submit a
questionnaire to an open online wave or a proposal/comment on a plan or project; those public
writes are rate-limited per client address and store no personal data beyond what the
questionnaire declares. Opening waves and feeding indicators needs analyst; answering citizens
needs operator or analyst.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from zhicheng.api.deps import EngineDep, PublicReader, require_role
from zhicheng.api.errors import http_status
from zhicheng.api.limits import request_client
from zhicheng.auth import Principal
from zhicheng.errors import ZhichengError
from zhicheng.survey import participation as part
from zhicheng.survey.questionnaire import QuestionnaireError, builtin_questionnaire
from zhicheng.survey.responses import (
    ResponseError,
    create_online_wave,
    set_wave_status,
    submit_response,
)
from zhicheng.survey.service import SurveyError, feed_indicators, list_waves, trend, wave_report

router = APIRouter(tags=["survey"])

Analyst = Annotated[Principal, Depends(require_role("analyst"))]
Responder = Annotated[Principal, Depends(require_role("operator", "analyst"))]

#: Public writes allowed per client address within :data:`RATE_WINDOW` seconds.
RATE_LIMIT = 20
RATE_WINDOW = 60.0


class RateLimiter:
    """A sliding-window limit of public writes per client address (in memory, per server process)."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Record one write by ``key``; raise 429 when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = max(1, math.ceil(self.window - (now - hits[0])))
                raise HTTPException(429, f"too many submissions: at most {self.limit} per "
                                         f"{self.window:g} s from one address", {"Retry-After": str(retry)})
            hits.append(now)


def rate_limited(request: Request) -> None:
    """Dependency: count this public write against the caller's address."""
    limiter: RateLimiter | None = getattr(request.app.state, "survey_rate_limiter", None)
    if limiter is None:
        limiter = RateLimiter()
        request.app.state.survey_rate_limiter = limiter
    limiter.check(request_client(request))  # X-Forwarded-For only from a trusted proxy


PublicWrite = Annotated[None, Depends(rate_limited)]
#: Store ids are 32-bit integers (SQLite and PostgreSQL ``INTEGER``).
MAX_ID = 2_147_483_647
WaveId = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Year = Annotated[str, Query(pattern=r"^(19|20)[0-9]{2}$", description="A year, e.g. 2026")]


def _bad(exc: ZhichengError, status: int | None = None) -> HTTPException:
    detail = "; ".join(exc.lines()[:20])
    return HTTPException(status or http_status(exc), detail)


# --------------------------------------------------------------------------- questionnaires and waves


@router.get("/api/survey/questionnaires/{name}")
def get_questionnaire(name: str, _: PublicReader) -> dict[str, Any]:
    """A built-in questionnaire (``citizen``): questions, scales, declared personal data, in zh and en."""
    try:
        return builtin_questionnaire(name).model_dump(mode="json")
    except QuestionnaireError as exc:
        raise _bad(exc, 404) from None


class WaveCreate(BaseModel):
    """An online wave to open for public submissions."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(min_length=1, max_length=64)
    period: str = Field(min_length=4, max_length=16)
    label: str = Field(min_length=1, max_length=200)
    questionnaire: str = "citizen"


class WavePublic(BaseModel):
    """A survey wave."""

    id: int
    unit_code: str
    period: str
    label: str
    channel: str
    status: str
    respondents: int


@router.get("/api/survey/waves", response_model=list[WavePublic])
def get_waves(engine: EngineDep, _: PublicReader, unit: str | None = None) -> list[dict[str, Any]]:
    """Stored survey waves, optionally of one unit."""
    return _records(list_waves(engine, unit))


@router.post("/api/survey/waves", status_code=201, response_model=WavePublic)
def post_wave(body: WaveCreate, engine: EngineDep, who: Analyst) -> dict[str, Any]:
    """Open an online wave of a questionnaire for a unit and period."""
    try:
        qn = builtin_questionnaire(body.questionnaire)
        wave_id = create_online_wave(engine, unit=body.unit, period=body.period, label=body.label,
                                     questionnaire=qn, by=who.name)
    except ZhichengError as exc:
        raise _bad(exc) from None
    return _wave(engine, wave_id)


def _wave(engine: Engine, wave_id: int) -> dict[str, Any]:
    waves = list_waves(engine)
    hit = waves[waves["id"] == wave_id]
    if hit.empty:
        raise HTTPException(404, f"no survey wave {wave_id}")
    return _records(hit)[0]


class WaveStatus(BaseModel):
    """Open or close a wave."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(pattern="^(open|closed)$")


@router.post("/api/survey/waves/{wave_id}/status", response_model=WavePublic)
def post_wave_status(wave_id: WaveId, body: WaveStatus, engine: EngineDep, _: Analyst) -> dict[str, Any]:
    """Open or close an online wave."""
    try:
        set_wave_status(engine, wave_id, body.status)
    except ResponseError as exc:
        raise _bad(exc, 404) from None
    return _wave(engine, wave_id)


class Respondent(BaseModel):
    """The only personal data a submission may carry (each only if the questionnaire declares it)."""

    model_config = ConfigDict(extra="forbid")

    district: str | None = Field(default=None, max_length=100)
    age_band: str | None = Field(default=None, max_length=32)
    sex: str | None = Field(default=None, max_length=16)


class Submission(BaseModel):
    """One completed questionnaire: Likert codes, option codes (a list for multiple choice) or text."""

    model_config = ConfigDict(extra="forbid")

    respondent: Respondent = Field(default_factory=Respondent)
    answers: dict[str, int | float | str | list[str] | None] = Field(min_length=1)


class Receipt(BaseModel):
    """Proof of a stored submission (not linked to the submitter)."""

    receipt: str
    wave_id: WaveId


@router.post("/api/survey/waves/{wave_id}/responses", status_code=201, response_model=Receipt)
def post_response(wave_id: WaveId, body: Submission, engine: EngineDep, _: PublicWrite) -> Receipt:
    """Submit a questionnaire to an open online wave (no token needed; rate-limited)."""
    respondent = {k: v for k, v in body.respondent.model_dump().items() if v is not None}
    try:
        receipt = submit_response(engine, wave_id, respondent=respondent, answers=dict(body.answers))
    except ResponseError as exc:
        raise _bad(exc, http_status(exc)) from None
    return Receipt(receipt=receipt, wave_id=wave_id)


def _records(frame: Any) -> list[dict[str, Any]]:
    """A frame as JSON-safe records (NaN → null)."""
    out = []
    for rec in frame.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            v = v.item() if hasattr(v, "item") else v  # numpy scalars → Python
            row[str(k)] = None if isinstance(v, float) and not math.isfinite(v) else v
        out.append(row)
    return out


@router.get("/api/survey/waves/{wave_id}/report")
def get_report(wave_id: WaveId, engine: EngineDep, _: PublicReader, weighted: bool = True) -> dict[str, Any]:
    """Satisfaction indices (0–100) with 95 % CIs per question, requirement and domain; alpha per scale."""
    try:
        rep = wave_report(engine, wave_id, weighted=weighted)
    except SurveyError as exc:
        raise _bad(exc, 404) from None
    return {
        "wave_id": rep.wave_id, "unit": rep.unit, "period": rep.period, "label": rep.label,
        "respondents": rep.respondents, "weighted": rep.weighted, "weighting": rep.weighting,
        "questions": _records(rep.questions), "requirements": _records(rep.requirements),
        "domains": _records(rep.domains), "alphas": _records(rep.alphas), "warnings": rep.warnings,
    }


@router.post("/api/survey/waves/{wave_id}/feed")
def post_feed(wave_id: WaveId, engine: EngineDep, who: Analyst) -> dict[str, Any]:
    """Write the wave's satisfaction indices as the goal model's survey indicator values."""
    try:
        result = feed_indicators(engine, wave_id, by=who.name)
    except SurveyError as exc:
        raise _bad(exc, 404) from None
    return {"batch_id": result.batch_id, "values": _records(result.values), "skipped": result.skipped}


@router.get("/api/survey/trend")
def get_trend(engine: EngineDep, _: PublicReader, unit: Annotated[str, Query(min_length=1)],
              question: Annotated[str, Query(min_length=1)], weighted: bool = True) -> list[dict[str, Any]]:
    """A question's index across waves; ``change`` only between waves that asked it the same way."""
    return _records(trend(engine, unit, question, weighted=weighted))


# --------------------------------------------------------------------------- participation


class ItemCreate(BaseModel):
    """A citizen's proposal or comment on a plan or project (anonymous)."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(min_length=1, max_length=64)
    subject_kind: str = Field(pattern="^(plan|project)$")
    subject_ref: str = Field(min_length=1, max_length=100)
    kind: str = Field(pattern="^(proposal|comment)$")
    title: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=part.MAX_BODY)
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    district: str | None = Field(default=None, max_length=100)


class ItemPublic(BaseModel):
    """A proposal or comment with its status and public answer."""

    id: int
    unit_code: str
    subject_kind: str
    subject_ref: str
    kind: str
    parent_id: int | None
    title: str | None
    body: str
    district: str | None
    status: str
    created_at: datetime
    public_answer: str | None
    answered_at: datetime | None
    answered_by: str | None


class ItemResponse(BaseModel):
    """The city's handling of an item: new status and, for a final status, the public answer."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(pattern="^(under_review|accepted|rejected|answered)$")
    answer: str | None = Field(default=None, max_length=part.MAX_BODY)


@router.post("/api/participation/items", status_code=201, response_model=ItemPublic)
def post_item(body: ItemCreate, engine: EngineDep, _: PublicWrite) -> dict[str, Any]:
    """Submit a proposal or comment (no token needed; rate-limited)."""
    try:
        return part.submit(engine, unit=body.unit, subject_kind=body.subject_kind, subject_ref=body.subject_ref,
                           kind=body.kind, body=body.body, title=body.title, parent_id=body.parent_id,
                           district=body.district)
    except part.ParticipationError as exc:
        raise _bad(exc) from None


@router.get("/api/participation/items", response_model=list[ItemPublic])
def get_items(engine: EngineDep, _: PublicReader, unit: str | None = None, subject_kind: str | None = None,
              subject_ref: str | None = None, status: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100,
              offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[dict[str, Any]]:
    """Proposals and comments with their public answers, newest first."""
    return part.list_items(engine, unit=unit, subject_kind=subject_kind, subject_ref=subject_ref,
                           status=status, limit=limit, offset=offset)


@router.get("/api/participation/items/{item_id}", response_model=ItemPublic)
def get_item(item_id: ItemId, engine: EngineDep, _: PublicReader) -> dict[str, Any]:
    """One proposal or comment."""
    try:
        return part.get_item(engine, item_id)
    except part.NotFound as exc:
        raise _bad(exc, 404) from None


@router.post("/api/participation/items/{item_id}/response", response_model=ItemPublic)
def post_item_response(item_id: ItemId, body: ItemResponse, engine: EngineDep, who: Responder) -> dict[str, Any]:
    """Review, accept, reject or answer an item; the answer is public."""
    try:
        return part.respond(engine, item_id, status=body.status, by=who.name, answer=body.answer)
    except part.NotFound as exc:
        raise _bad(exc, 404) from None
    except part.ParticipationError as exc:
        raise _bad(exc, 409) from None


@router.get("/api/participation/stats")
def get_participation_stats(engine: EngineDep, _: PublicReader, unit: Annotated[str, Query(min_length=1)],
                            period: Year) -> dict[str, Any]:
    """Items received and answered in a year, answered on time, response times."""
    return part.participation_stats(engine, unit, period)


@router.post("/api/participation/feed")
def post_participation_feed(engine: EngineDep, who: Analyst, unit: Annotated[str, Query(min_length=1)],
                            period: Year) -> dict[str, Any]:
    """Write the year's on-time answer share as the participation indicator (D7.R1.I2)."""
    return part.feed_participation(engine, unit, period, by=who.name)
