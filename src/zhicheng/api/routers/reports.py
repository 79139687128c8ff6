"""Evaluation reports (评估报告) as background jobs: queue, poll, download.

``POST /api/reports`` checks what is asked (the unit, domain or campaign exists in the run) and
queues the rendering in a worker process, answering ``202`` at once with the job; ``GET
/api/reports/{id}`` gives its status (``queued``, ``running``, ``done``, ``failed`` with the
reason) and ``GET /api/reports/{id}/download`` the file. Analysts and admins may generate and
download reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from zhicheng.api.deps import EngineDep, require_role
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.errors import ZhichengError

router = APIRouter(tags=["reports"])
Analyst = Annotated[Principal, Depends(require_role("analyst"))]
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="Report job id")]
#: Every report download: a file to save or show, never a page that runs anything.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; "
                    "style-src 'unsafe-inline'; img-src data:; sandbox", "Cache-Control": "private, no-store"}


class ReportRequest(BaseModel):
    """A report to make: its kind, its subject, the run (or period), language and format."""

    kind: Literal["city", "domain", "campaign"] = "city"
    unit: str | None = Field(default=None, max_length=200, description="City report: unit code or name")
    code: str | None = Field(default=None, max_length=64, description="Domain report: D1 … D7")
    campaign: int | None = Field(default=None, ge=1, le=2_147_483_647, description="Campaign report: its id")
    run: int | None = Field(default=None, ge=1, le=2_147_483_647, description="Run id (default: the newest)")
    period: str | None = Field(default=None, max_length=16, description="The newest run of this period")
    lang: Literal["zh", "en"] = "zh"
    format: Literal["pdf", "docx", "html"] = "pdf"


def reports_folder(request: Request) -> Path:
    """The server's reports folder (setting ``reports_dir``, else next to a SQLite store)."""
    folder: Path = request.app.state.settings.reports_root(request.app.state.engine)
    return folder


def jobs_of(request: Request) -> Any:
    """The app's report jobs (one worker process, started on the first job)."""
    jobs = getattr(request.app.state, "report_jobs", None)
    if jobs is None:
        from zhicheng.workspace.report_jobs import ReportJobs

        engine = request.app.state.engine
        jobs = ReportJobs(engine.url.render_as_string(hide_password=False), reports_folder(request))
        request.app.state.report_jobs = jobs
    return jobs


def _subject(body: ReportRequest) -> str:
    given = {"city": body.unit, "domain": body.code, "campaign": None if body.campaign is None else str(body.campaign)}
    key = given[body.kind]
    if not key:
        field = {"city": "unit", "domain": "code", "campaign": "campaign"}[body.kind]
        raise HTTPException(400, f"a {body.kind} report needs {field!r}")
    return key


@router.post("/api/reports", status_code=202)
async def create_report(body: ReportRequest, request: Request, engine: EngineDep, principal: Analyst) -> JSONResponse:
    """Queue a report; answers at once (202) with the job to poll."""
    from zhicheng.workspace.reports import resolve_target

    key = _subject(body)
    try:
        code, run_id = await run_in_threadpool(resolve_target, engine, body.kind, key, body.run, body.period)
        job = jobs_of(request).submit(body.kind, code, fmt=body.format, lang=body.lang, run_id=run_id,
                                      requested_by=principal.name or "")
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc
    return JSONResponse(job.public(), status_code=202, headers={"Location": f"/api/reports/{job.id}"})


@router.get("/api/reports")
def list_reports(request: Request, _: Analyst) -> dict[str, Any]:
    """The report jobs the server keeps, newest first."""
    return {"jobs": [j.public() for j in jobs_of(request).list()]}


@router.get("/api/reports/{job_id}")
def report_status(job_id: JobId, request: Request, _: Analyst) -> dict[str, Any]:
    """A job's status: queued, running, done (with its download) or failed (with the reason)."""
    try:
        return dict(jobs_of(request).get(job_id).public())
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc


@router.get("/api/reports/{job_id}/download")
def download_report(job_id: JobId, request: Request, _: Analyst) -> FileResponse:
    """The finished report's file (404 while it is not done)."""
    from zhicheng.workspace.report_jobs import MEDIA_TYPES

    try:
        job, path = jobs_of(request).file(job_id)
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc
    return FileResponse(path, media_type=MEDIA_TYPES[job.format], filename=job.filename, headers=DOWNLOAD_HEADERS)
