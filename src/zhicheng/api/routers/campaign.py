"""Self-assessment campaigns: assignments, submissions with evidence, review, progress, digest; pages.

Analysts fill in their department's submissions; reviewers (and admins) create campaigns, assign
indicators, approve or return in bulk. Evidence files are served only as attachments with
``X-Content-Type-Options: nosniff`` and a CSP that allows nothing to run.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field

from zhicheng import campaign as svc
from zhicheng.api import campaign_models as cm
from zhicheng.api.deps import EngineDep, require_role
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.campaign.evidence import XLSX
from zhicheng.cockpit import STATIC_DIR

router = APIRouter(tags=["campaigns"])
T = TypeVar("T")

Reviewer = Annotated[Principal, Depends(require_role("reviewer"))]
Analyst = Annotated[Principal, Depends(require_role("analyst"))]
Member = Annotated[Principal, Depends(require_role("analyst", "reviewer"))]
Lang = Annotated[Literal["zh", "en"], Query(description="Language of names: zh (default) or en")]
#: Largest id the store's integer keys hold.
MAX_ID = 2_147_483_647
CampaignId = Annotated[int, Path(ge=1, le=MAX_ID, description="Campaign id")]
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Submission id")]
EvidenceId = Annotated[int, Path(ge=1, le=MAX_ID, description="Evidence file id")]

#: Headers of every evidence download: a file to save, never to render or run.
EVIDENCE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: Policy of the campaign pages: only this origin's scripts and styles, no frames, no plugins.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
PAGES = ("/campaigns", "/campaigns/mine", "/campaigns/{cid}", "/campaigns/{cid}/submit")


def actor(principal: Principal) -> svc.Actor:
    """The campaign service's view of a caller."""
    return svc.Actor(name=principal.name, role=principal.role, department=principal.department)


def settings_of(request: Request) -> svc.CampaignSettings:
    """The app's settings (``app.state.campaign_settings`` when set, else ``app.state.settings``)."""
    found: svc.CampaignSettings | None = getattr(request.app.state, "campaign_settings", None)
    if found is None:
        found = getattr(request.app.state, "settings", None) or svc.CampaignSettings()
        request.app.state.campaign_settings = found
    return found


def evidence_store(request: Request) -> svc.EvidenceStore:
    """The evidence folder of the app's store."""
    settings = settings_of(request)
    root = settings.evidence_root(request.app.state.engine)
    return svc.EvidenceStore(root, settings.evidence_max_bytes, settings.evidence_max_files)


StoreDep = Annotated[svc.EvidenceStore, Depends(evidence_store)]


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call; its errors become 400/403/404/409/413/415 with every problem in the message."""
    try:
        return fn(*args, **kwargs)
    except svc.CampaignError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc


# --------------------------------------------------------------------------- pages


def _page(_: Request) -> HTMLResponse:
    text = (STATIC_DIR / "campaign.html").read_text(encoding="utf-8")
    return HTMLResponse(text, headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP,
                                       "X-Content-Type-Options": "nosniff"})


for _path in PAGES:
    router.add_api_route(_path, _page, methods=["GET"], include_in_schema=False, response_class=HTMLResponse,
                         name=f"campaign-page:{_path}")


# --------------------------------------------------------------------------- campaigns


class CampaignCreate(BaseModel):
    """A new campaign: name, period, deadline (ISO date or datetime) and unit codes."""

    name: str = Field(min_length=1, max_length=200)
    period: str = Field(min_length=4, max_length=16, examples=["2024"])
    deadline: str = Field(min_length=10, max_length=40, examples=["2025-03-31"])
    units: list[str] = Field(min_length=1, max_length=10_000)
    note: str | None = Field(default=None, max_length=4000)


class AssignmentIn(BaseModel):
    """An indicator given to a department and, optionally, to named analysts of it."""

    indicator_id: str = Field(min_length=1, max_length=64)
    department: str = Field(min_length=1, max_length=100)
    assignees: list[str] = Field(default_factory=list, max_length=100)


class Assignments(BaseModel):
    """Assignments to add or change."""

    assignments: list[AssignmentIn] = Field(min_length=1, max_length=5000)


class Review(BaseModel):
    """Submissions to approve (or return, with a reason)."""

    submission_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=10_000)
    reason: str | None = Field(default=None, max_length=4000)


@router.get("/api/campaigns", response_model=None, responses={200: {"model": list[cm.CampaignListed]}})
def list_campaigns(engine: EngineDep, _: Member) -> list[dict[str, Any]]:
    """Every campaign with its assignment count and submissions by state."""
    return svc.list_campaigns(engine)


@router.post("/api/campaigns", status_code=201, response_model=None, responses={201: {"model": cm.CampaignDetail}})
def create_campaign(body: CampaignCreate, engine: EngineDep, who: Reviewer, lang: Lang = "zh") -> dict[str, Any]:
    """Create an open campaign over the built-in framework."""
    cid = call(svc.create_campaign, engine, actor(who), name=body.name, period=body.period,
               deadline=body.deadline, units_=body.units, note=body.note)
    return svc.get_campaign(engine, cid, lang=lang)


@router.get("/api/campaigns/mine", response_model=None, responses={200: {"model": list[cm.Item]}})
def mine(engine: EngineDep, who: Analyst, lang: Lang = "zh") -> list[dict[str, Any]]:
    """The caller's assigned indicator × unit items in open campaigns, soonest deadline first."""
    return call(svc.my_assignments, engine, actor(who), lang=lang)


@router.get("/api/campaigns/notifications", response_model=None, responses={200: {"model": cm.Notifications}})
def notifications(engine: EngineDep, who: Member, lang: Lang = "zh") -> dict[str, Any]:
    """The caller's digest: due and overdue items, returned submissions, what awaits review."""
    return call(svc.notifications, engine, actor(who), lang=lang)


@router.get("/api/campaigns/{cid}", response_model=None, responses={200: {"model": cm.CampaignDetail}})
def get_campaign(cid: CampaignId, engine: EngineDep, _: Member, lang: Lang = "zh") -> dict[str, Any]:
    """A campaign with its units and assignments."""
    return call(svc.get_campaign, engine, cid, lang=lang)


@router.post("/api/campaigns/{cid}/assignments", response_model=None, responses={200: {"model": list[cm.Assignment]}})
def assign(cid: CampaignId, body: Assignments, engine: EngineDep, who: Reviewer) -> list[dict[str, Any]]:
    """Assign indicators to departments (re-assigning changes the entry); returns every assignment."""
    specs = [svc.AssignmentSpec(a.indicator_id, a.department, tuple(a.assignees)) for a in body.assignments]
    return call(svc.assign, engine, actor(who), cid, specs)


@router.post("/api/campaigns/{cid}/close", response_model=None, responses={200: {"model": cm.CampaignDetail}})
def close(cid: CampaignId, engine: EngineDep, who: Reviewer, lang: Lang = "zh") -> dict[str, Any]:
    """Close a campaign (nothing more is submitted or reviewed)."""
    call(svc.close_campaign, engine, actor(who), cid)
    return svc.get_campaign(engine, cid, lang=lang)


@router.get("/api/campaigns/{cid}/progress", response_model=None, responses={200: {"model": cm.Progress}})
def progress(cid: CampaignId, engine: EngineDep, who: Member, lang: Lang = "zh") -> dict[str, Any]:
    """Progress per department and indicator: counts by state, completion, overdue."""
    return call(svc.progress, engine, actor(who), cid, lang=lang)


@router.get("/api/campaigns/{cid}/export")
def export(cid: CampaignId, engine: EngineDep, _: Reviewer, format: Literal["csv", "xlsx"] = "csv",
           lang: Lang = "zh") -> Response:
    """Every expected submission with value, answer, state, review and evidence (CSV or XLSX)."""
    frame = call(svc.export_frame, engine, cid, lang=lang)
    buffer = io.BytesIO()
    if format == "csv":
        buffer.write(frame.to_csv(index=False).encode("utf-8-sig"))
        media = "text/csv; charset=utf-8"
    else:
        frame.to_excel(buffer, index=False, sheet_name="submissions", engine="openpyxl")
        media = XLSX
    headers = {"Content-Disposition": f'attachment; filename="campaign-{cid}.{format}"',
               "X-Content-Type-Options": "nosniff"}
    return Response(buffer.getvalue(), media_type=media, headers=headers)


@router.get("/api/campaigns/{cid}/provenance", response_model=None, responses={200: {"model": list[cm.ProvenanceLink]}})
def provenance(cid: CampaignId, engine: EngineDep, who: Member, run: Annotated[int, Query(ge=1, le=MAX_ID)]) -> list[dict[str, Any]]:
    """Each approved submission beside the stored value, its batch and the run's raw value and score."""
    return call(svc.run_provenance, engine, actor(who), cid, run)


# --------------------------------------------------------------------------- submissions


def _number(text: str | None, name: str, cast: Callable[[str], T]) -> T | None:
    if text is None or not text.strip():
        return None
    try:
        return cast(text.strip())
    except ValueError:
        raise HTTPException(400, f"{name}: {text.strip()!r} is not a number") from None


def _uploads(files: list[UploadFile] | None) -> list[tuple[str, Any]]:
    return [(f.filename or "evidence", f.file) for f in files or [] if f.filename or f.size]


@router.get("/api/campaigns/{cid}/submissions", response_model=None, responses={200: {"model": list[cm.SubmissionListed]}})
def list_submissions(cid: CampaignId, engine: EngineDep, who: Member, status: str | None = None,
                     department: str | None = None) -> list[dict[str, Any]]:
    """Submissions the caller may read (analysts: their department's)."""
    return call(svc.list_submissions, engine, actor(who), cid, status=status, department=department)


@router.post("/api/campaigns/{cid}/submissions", response_model=None, responses={200: {"model": cm.SubmissionDetail}})
def save_submission(
    cid: CampaignId,
    engine: EngineDep,
    store: StoreDep,
    who: Analyst,
    indicator_id: Annotated[str, Form(min_length=1, max_length=64)],
    unit_code: Annotated[str, Form(min_length=1, max_length=64)],
    value: Annotated[str | None, Form(max_length=64)] = None,
    answer: Annotated[str | None, Form(max_length=8000)] = None,
    items_met: Annotated[str | None, Form(max_length=16)] = None,
    items_total: Annotated[str | None, Form(max_length=16)] = None,
    maturity: Annotated[str | None, Form(max_length=4)] = None,
    comment: Annotated[str | None, Form(max_length=8000)] = None,
    action: Annotated[Literal["save", "submit"], Form()] = "save",
    files: Annotated[list[UploadFile] | None, File(description="Evidence: PDF, XLSX, PNG or JPEG")] = None,
) -> dict[str, Any]:
    """Create or update the department's submission with evidence files; ``action=submit`` hands it in.

    All or nothing: a refused file (413/415) or a bad value (400) leaves nothing behind.
    """
    data = svc.SubmissionInput(
        indicator_id=indicator_id.strip(), unit_code=unit_code.strip(), value=_number(value, "value", float),
        answer=answer, items_met=_number(items_met, "items_met", int),
        items_total=_number(items_total, "items_total", int), maturity=_number(maturity, "maturity", int),
        comment=comment,
    )
    return call(svc.save_submission, engine, store, actor(who), cid, data, _uploads(files),
                submit=action == "submit")


@router.get("/api/campaigns/{cid}/submissions/{sid}", response_model=None, responses={200: {"model": cm.SubmissionDetail}})
def get_submission(cid: CampaignId, sid: SubmissionId, engine: EngineDep, who: Member) -> dict[str, Any]:
    """One submission with its evidence and history (403 for other departments)."""
    return call(svc.get_submission, engine, actor(who), cid, sid)


@router.post("/api/campaigns/{cid}/submissions/{sid}/submit", response_model=None, responses={200: {"model": cm.SubmissionDetail}})
def submit(cid: CampaignId, sid: SubmissionId, engine: EngineDep, who: Analyst) -> dict[str, Any]:
    """Hand in a draft (→ submitted) or a returned submission (→ resubmitted)."""
    return call(svc.submit, engine, actor(who), cid, sid)


@router.post("/api/campaigns/{cid}/submissions/{sid}/evidence", response_model=None, responses={200: {"model": cm.SubmissionDetail}})
def add_evidence(cid: CampaignId, sid: SubmissionId, engine: EngineDep, store: StoreDep, who: Analyst,
                 files: Annotated[list[UploadFile], File(description="PDF, XLSX, PNG or JPEG")]) -> dict[str, Any]:
    """Attach evidence files (all or none)."""
    return call(svc.add_evidence, engine, store, actor(who), cid, sid, _uploads(files))


@router.get("/api/campaigns/{cid}/submissions/{sid}/evidence/{eid}")
def download_evidence(cid: CampaignId, sid: SubmissionId, eid: EvidenceId, engine: EngineDep, store: StoreDep, who: Member) -> Response:
    """An evidence file, as an attachment that browsers neither render inline nor sniff."""
    record = call(svc.evidence_file, engine, actor(who), cid, sid, eid)
    try:
        path = store.open(record["sha256"])
    except FileNotFoundError:
        raise HTTPException(404, f"evidence {eid}: file {record['sha256']} is missing from the store") from None
    return FileResponse(path, media_type=record["media_type"], filename=record["filename"],
                        content_disposition_type="attachment", headers=EVIDENCE_HEADERS)


@router.delete("/api/campaigns/{cid}/submissions/{sid}/evidence/{eid}", response_model=None, responses={200: {"model": cm.SubmissionDetail}})
def remove_evidence(cid: CampaignId, sid: SubmissionId, eid: EvidenceId, engine: EngineDep, store: StoreDep,
                    who: Analyst) -> dict[str, Any]:
    """Detach an evidence file from a draft or returned submission."""
    return call(svc.remove_evidence, engine, store, actor(who), cid, sid, eid)


@router.post("/api/campaigns/{cid}/approve", response_model=None, responses={200: {"model": cm.ApprovalResult}})
def approve(cid: CampaignId, body: Review, engine: EngineDep, who: Reviewer) -> dict[str, Any]:
    """Approve submissions in bulk; their values go into the store as one ingest batch."""
    result = call(svc.approve, engine, actor(who), cid, body.submission_ids)
    return {"batch_id": result.batch_id, "submissions": list(result.submissions),
            "values_new": result.values_new, "values_updated": result.values_updated}


@router.post("/api/campaigns/{cid}/return", response_model=None, responses={200: {"model": list[cm.SubmissionListed]}})
def return_submissions(cid: CampaignId, body: Review, engine: EngineDep, who: Reviewer) -> list[dict[str, Any]]:
    """Send submissions back to their departments with a reason (all or none)."""
    return call(svc.return_submissions, engine, actor(who), cid, body.submission_ids, body.reason or "")
