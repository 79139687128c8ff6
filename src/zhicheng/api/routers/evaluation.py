"""Evaluation results, read-only: runs, rankings, goal-tree nodes, units, indicator values."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from zhicheng.api.deps import EngineDep, PublicReader
from zhicheng.errors import ZhichengError
from zhicheng.report import ReportNotFound, ReportService

router = APIRouter(prefix="/api/evaluation", tags=["evaluation"])

Lang = Annotated[Literal["zh", "en"], Query(description="Language of names: zh (default) or en")]
RunId = Annotated[int | None, Query(alias="run", ge=1, description="Evaluation run id (default: newest)")]
UnitCode = Annotated[str | None, Query(max_length=64, description="Unit code (default: best ranked)")]


def report_service(request: Request, engine: EngineDep) -> ReportService:
    """The app's read-model service, made on first use and kept on ``app.state``."""
    service: ReportService | None = getattr(request.app.state, "report_service", None)
    if service is None or service.engine is not engine:
        # The cockpit's air panel reads the stations through the sensing service's own reader.
        from zhicheng.sensing.airlive import current_aqi

        service = ReportService(engine, air=current_aqi)
        request.app.state.report_service = service
    return service


def answer(read: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a read model; a missing run, unit or node is 404, other bad input 400."""
    try:
        return read(*args, **kwargs)
    except ReportNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ZhichengError as exc:
        raise HTTPException(400, str(exc)) from exc


def json_answer(request: Request, service: ReportService, read: Any, *args: Any) -> Response:
    """A read model's answer as cached JSON bytes (gzip-compressed when the client accepts it)."""
    plain, packed = answer(service.encoded, read, *args)
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/json", headers=headers)
    return Response(plain, media_type="application/json", headers=headers)


#: OpenAPI of the answers sent as pre-encoded JSON bytes.
JSON: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}}, "description": "Successful Response"}}


@router.get("/runs", response_class=Response, responses=JSON)
def list_runs(request: Request, engine: EngineDep, _: PublicReader) -> Response:
    """Every evaluation run, newest first: period, framework version, number of units."""
    service = report_service(request, engine)
    return json_answer(request, service, service.runs)


@router.get("/ranking", response_class=Response, responses=JSON)
def ranking(
    request: Request, engine: EngineDep, _: PublicReader, run_id: RunId = None,
    code: Annotated[str | None, Query(max_length=64, description="Goal-tree node (default: the index)")] = None,
    lang: Lang = "zh",
) -> Response:
    """Every unit ranked on the index or on one domain, requirement or indicator."""
    service = report_service(request, engine)
    return json_answer(request, service, service.ranking, run_id, code, lang)


@router.get("/nodes/{code}", response_class=Response, responses=JSON)
def node(
    request: Request, engine: EngineDep, _: PublicReader, code: str, run_id: RunId = None,
    unit: UnitCode = None, lang: Lang = "zh",
) -> Response:
    """A domain, requirement or indicator: the unit's score, its children, every unit's score."""
    service = report_service(request, engine)
    return json_answer(request, service, service.node, code, run_id, unit, lang)


@router.get("/units/{unit}", response_class=Response, responses=JSON)
def unit_page(
    request: Request, engine: EngineDep, _: PublicReader, unit: str, run_id: RunId = None,
    lang: Lang = "zh",
) -> Response:
    """A unit: index, grade and rank, domain scores, strengths, weaknesses, gaps that lift it most."""
    service = report_service(request, engine)
    return json_answer(request, service, service.unit, unit, run_id, lang)


@router.get("/indicators/{indicator_id}/values", response_class=Response, responses=JSON)
def indicator_values(
    request: Request, engine: EngineDep, _: PublicReader, indicator_id: str, run_id: RunId = None,
    unit: UnitCode = None,
    period: Annotated[str | None, Query(max_length=16, description="Period of the across-units view")] = None,
    lang: Lang = "zh",
) -> Response:
    """An indicator's values over time and across units, their source batches and coverage."""
    service = report_service(request, engine)
    return json_answer(request, service, service.indicator_values, indicator_id, run_id, unit, period, lang)
