"""Reports rendered as background jobs: the server queues, a worker process renders, the caller polls.

Rendering a PDF takes a second or more of CPU; the server never does it on its own threads. A
:class:`ReportJobs` hands each job to one worker process (spawned once, kept warm: it opens the
store and loads the fonts and templates once) and keeps each job's state — ``queued``,
``running``, ``done`` or ``failed`` with its reason — for the caller to poll. The files go to the
jobs' folder, named by the job's id; a job's state lives in the serving process, so a restart
forgets the jobs (the files stay and can be rendered again, identically).
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import secrets
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zhicheng.report.document import ReportNotFound, check

MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
#: Jobs kept in memory (the oldest finished ones are forgotten first).
MAX_JOBS = 500

_ENGINES: dict[str, Any] = {}


def _render_job(db: str, kind: str, key: str, fmt: str, lang: str, run_id: int | None, out: str) -> dict[str, Any]:
    """In the worker process: render one report to ``out``; its title, fingerprint and provenance."""
    from zhicheng.store import open_store
    from zhicheng.workspace.reports import write_report

    engine = _ENGINES.get(db)
    if engine is None:
        engine = _ENGINES[db] = open_store(db)
    path, doc = write_report(engine, kind, key, Path(out), fmt=fmt, lang=lang, run_id=run_id)
    return {"title": doc.title, "fingerprint": doc.fingerprint(), "provenance": doc.provenance,
            "bytes": path.stat().st_size}


@dataclass(frozen=True)
class Job:
    """One report job as the API shows it."""

    id: str
    kind: str
    key: str
    format: str
    lang: str
    run_id: int | None
    requested_by: str
    requested_at: str
    status: str = "queued"
    finished_at: str | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """The name the downloaded file is given."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.key)
        run = f"-run{self.run_id}" if self.run_id is not None else ""
        return f"report-{self.kind}-{safe}{run}-{self.lang}.{self.format}"

    def public(self) -> dict[str, Any]:
        """The job's state for the API."""
        out = {k: getattr(self, k) for k in ("id", "kind", "key", "format", "lang", "run_id", "requested_by",
                                             "requested_at", "status", "finished_at", "error")}
        out["title"] = self.result.get("title")
        out["fingerprint"] = self.result.get("fingerprint")
        out["provenance"] = self.result.get("provenance")
        out["bytes"] = self.result.get("bytes")
        out["download"] = f"/api/reports/{self.id}/download" if self.status == "done" else None
        return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ReportJobs:
    """The server's report jobs on the store ``db`` (a URL), their files under ``folder``."""

    def __init__(self, db: str, folder: Path, workers: int = 1) -> None:
        self.db = db
        self.folder = folder
        self.workers = workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[dict[str, Any]]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the worker inherits no threads, engines or event loop of the server.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def path(self, job: Job) -> Path:
        """Where the job's file is written."""
        return self.folder / f"{job.id}.{job.format}"

    def submit(self, kind: str, key: str, *, fmt: str, lang: str, run_id: int | None, requested_by: str) -> Job:
        """Queue a report; returns at once with the job (status ``queued``)."""
        check(kind, fmt, lang)
        job = Job(id=secrets.token_hex(16), kind=kind, key=key, format=fmt, lang=lang, run_id=run_id,
                  requested_by=requested_by, requested_at=_now())
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        future = self._executor().submit(_render_job, self.db, kind, key, fmt, lang, run_id, str(self.path(job)))
        with self._lock:
            self._futures[job.id] = future
        future.add_done_callback(functools.partial(self._finish, job.id))
        return self.get(job.id)

    def _set(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            found = self._jobs.get(job_id)
            if found is not None:
                self._jobs[job_id] = replace(found, **changes)

    def _finish(self, job_id: str, future: Future[dict[str, Any]]) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        error = future.exception()
        if error is None:
            self._set(job_id, status="done", finished_at=_now(), result=future.result())
        else:
            from zhicheng.errors import ZhichengError

            reason = str(error) if isinstance(error, ZhichengError) else f"{type(error).__name__}: {error}"
            self._set(job_id, status="failed", finished_at=_now(), error=reason)

    def _forget_old(self) -> None:
        if len(self._jobs) < MAX_JOBS:
            return
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in sorted(finished, key=lambda j: j.requested_at)[: len(self._jobs) - MAX_JOBS + 1]:
            del self._jobs[job.id]
            self.path(job).unlink(missing_ok=True)

    def get(self, job_id: str) -> Job:
        """The job ``job_id``; :class:`ReportNotFound` when there is none."""
        with self._lock:
            job = self._jobs.get(job_id)
            future = self._futures.get(job_id)
        if job is None:
            raise ReportNotFound(f"no report job {job_id!r}")
        if job.status == "queued" and future is not None and future.running():
            return replace(job, status="running")
        return job

    def list(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: (j.requested_at, j.id), reverse=True)

    def file(self, job_id: str) -> tuple[Job, Path]:
        """A finished job and its file; :class:`ReportNotFound` while it is not done."""
        job = self.get(job_id)
        path = self.path(job)
        if job.status != "done" or not path.exists():
            raise ReportNotFound(f"report job {job_id} is {job.status}" + (f": {job.error}" if job.error else ""))
        return job, path

    def close(self) -> None:
        """Stop the worker process (waiting for the job it is rendering)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
