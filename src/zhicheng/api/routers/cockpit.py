"""The cockpit (驾驶舱): its pages, its static files and the JSON the overview loads."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse

from zhicheng.api import read_models as rm
from zhicheng.api.changes import watcher
from zhicheng.api.conditional import send
from zhicheng.api.deps import EngineDep, PrincipalDep, PublicReader, SettingsDep
from zhicheng.api.routers.evaluation import (
    JSON,
    JSONBytes,
    Lang,
    RunId,
    UnitCode,
    answer,
    json_answer,
    report_service,
)
from zhicheng.cockpit import BASEMAP_FILE, STATIC_DIR
from zhicheng.views import ReportService

router = APIRouter(tags=["cockpit"])
log = logging.getLogger(__name__)

#: Client-side routes that all load the same page shell (the page picks its view from the path).
PAGES = ("/", "/ranking", "/compare", "/domain/{code}", "/requirement/{code}", "/indicator/{code}", "/unit/{code}",
         "/station/{code}", "/events", "/event/{code}", "/alerts", "/alert/{code}", "/predict", "/signin")
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".html": "text/html", ".json": "application/json", ".svg": "image/svg+xml"}


def _shell(request: Request) -> HTMLResponse:
    # The browser asks for the overview and the boundaries right after loading the scripts;
    # computing them now (off the request) means a first visit after a new run finds them ready.
    # Not while the start-up warm-up runs: it computes the same answers, and a second thread
    # would only take the CPU from the static files the browser asks for next.
    starting = getattr(request.app.state, "warm_thread", None)
    if starting is None or not starting.is_alive():
        service = report_service(request, request.app.state.engine)
        threading.Thread(target=_warm, args=(service,), daemon=True).start()
    text = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(text, headers={"Cache-Control": "no-cache"})


def _warm(service: ReportService) -> None:
    try:
        service.warm()
    except Exception:  # the request that needs the answer reports any problem itself
        log.debug("cockpit warm-up failed", exc_info=True)


for _page in PAGES:
    router.add_api_route(_page, _shell, methods=["GET"], include_in_schema=False,
                         response_class=HTMLResponse, name=f"page:{_page}")


#: Static files sent gzip-compressed (text); images and fonts as they are.
_COMPRESSIBLE = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt"}
#: Compressed static files by (path, mtime, size): compressed once per version of the file.
_PACKED: dict[tuple[str, int, int], tuple[bytes, bytes]] = {}


def _packed(target: Path) -> tuple[bytes, bytes]:
    stat = target.stat()
    key = (str(target), stat.st_mtime_ns, stat.st_size)
    found = _PACKED.get(key)
    if found is None:
        plain = target.read_bytes()
        found = (plain, gzip.compress(plain, compresslevel=6))
        _PACKED[key] = found
    return found


def pack_static(basemap: str | None = None) -> int:
    """Compress every text file of the static folder, and the base map, ahead of the first visit.

    Returns how many files were packed. The start-up warm-up calls it, so the first browser
    does not wait for ECharts (700 kB) or the base map (280 kB) to be compressed.
    """
    files = [f for f in STATIC_DIR.rglob("*") if f.suffix in _COMPRESSIBLE and f.is_file()]
    for target in files:
        _packed(target)
    try:
        _basemap_bytes(basemap or str(BASEMAP_FILE))
    except OSError:
        return len(files)  # the base map's own request reports the missing file
    return len(files) + 1


@router.get("/static/{path:path}", include_in_schema=False)
def static_file(path: str, request: Request) -> Response:
    """A file of the cockpit's static folder (never outside it); text gzip-compressed, with an ETag."""
    root = STATIC_DIR.resolve()
    if "\x00" in path:
        raise HTTPException(404, "no such file")
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(404, f"no static file {path!r}")
    # Vendor builds change only with package.json; the pages' own modules are revalidated.
    cache = "public, max-age=86400" if Path(path).parts[:1] == ("vendor",) else "no-cache"
    if target.suffix in _COMPRESSIBLE:
        plain, packed = _packed(target)
        return send(request, plain, packed, _TYPES.get(target.suffix, "text/plain"), {"Cache-Control": cache})
    return FileResponse(target, media_type=_TYPES.get(target.suffix), headers={"Cache-Control": cache})


class GeoJSONBytes(JSONResponse):
    """GeoJSON sent as bytes already encoded (RFC 7946 media type)."""

    media_type = "application/geo+json"


@router.get("/api/cockpit/access", response_model=rm.Access)
def access(settings: SettingsDep, principal: PrincipalDep) -> dict[str, bool]:
    """Whether reads need a token here and whether the caller presented a valid one (never 401s)."""
    return {"open_reads": settings.open_reads, "authenticated": principal.role is not None}


@router.get("/api/cockpit/overview", response_class=JSONBytes, response_model=rm.Overview, responses=JSON)
async def overview(request: Request, run_id: RunId = None, unit: UnitCode = None, lang: Lang = "zh") -> Response:
    """Everything the overview shows in one answer: run, unit, index, domains, map values, ranking."""
    return await json_answer(request, "overview", run_id, unit, lang)


@router.get("/api/cockpit/geo", response_class=GeoJSONBytes, response_model=rm.Boundaries, responses=JSON)
def geojson(request: Request, engine: EngineDep, _: PublicReader, run_id: RunId = None) -> Response:
    """Boundaries of the run's units as a GeoJSON FeatureCollection (property ``code``)."""
    plain, packed = answer(report_service(request, engine).geojson, run_id)
    return send(request, plain, packed, "application/geo+json", {"Cache-Control": "no-cache"})


@router.get("/api/cockpit/live", response_class=JSONBytes, response_model=rm.Live, responses=JSON)
async def live(request: Request, lang: Lang = "zh") -> Response:
    """Station air quality (real-time AQI), open and overdue events, active alerts.

    Fresh after any write to them; otherwise recounted every 10 s (the last count is sent
    while the next is made).
    """
    return await json_answer(request, "live", lang)



@lru_cache(maxsize=4)
def _basemap_bytes(path: str) -> tuple[bytes, bytes, str]:
    body = Path(path).read_bytes()
    return body, gzip.compress(body, compresslevel=9), hashlib.sha256(body).hexdigest()[:32]


@router.get("/api/cockpit/basemap", response_class=Response, responses=JSON)
def basemap(request: Request, settings: SettingsDep) -> Response:
    """The national base map (provinces, South China Sea inset, maritime line) as GeoJSON, gzip."""
    path = settings.basemap or str(BASEMAP_FILE)
    try:
        plain, packed, tag = _basemap_bytes(path)
    except OSError:
        raise HTTPException(404, f"base map file {path} is missing") from None
    etag = f'"{tag}"'
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/geo+json", headers=headers)
    return Response(plain, media_type="application/geo+json", headers=headers)


#: A comment line at least this often keeps proxies from closing a quiet stream [s].
STREAM_HEARTBEAT_S = 15.0
#: A stream ends after this long [s]; the browser's EventSource reconnects by itself (``retry``).
STREAM_MAX_S = 300.0


@router.get("/api/cockpit/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def stream(request: Request, _: PublicReader) -> StreamingResponse:
    """Server-sent events of the store's change counters (event ``changes``).

    Sent at once and whenever a write to the sensing, alert or event tables, by any process,
    moves them; the live pages refresh what changed. One watcher per server reads the counters
    for every stream (:mod:`zhicheng.api.changes`).
    """
    watch = watcher(request.app)

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        seen = 0  # the watcher's version 0 has no counters yet: wait for its first read
        started = time.monotonic()
        while time.monotonic() - started < STREAM_MAX_S:
            if await request.is_disconnected():
                return
            version, now = await watch.wait(seen, STREAM_HEARTBEAT_S)
            if version != seen and now is not None:
                seen = version
                yield f"event: changes\ndata: {json.dumps(now, separators=(',', ':'))}\n\n"
            else:
                yield ": still here\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
