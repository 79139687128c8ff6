"""Evaluation results, read-only: runs, rankings, goal-tree nodes, units, indicator values.

Answers are pre-encoded JSON from :class:`zhicheng.views.ReportService`, described in the OpenAPI
schema by the response models of :mod:`zhicheng.api.read_models`. A cached answer is sent
straight from the event loop (one small query checks it is current); only a miss goes to a worker
thread to be computed, so a wall of screens reading the same answers costs almost nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from zhicheng.api import read_models as rm
from zhicheng.api.conditional import send
from zhicheng.api.deps import get_principal, get_settings, public_read
from zhicheng.api.errors import http_status
from zhicheng.errors import ZhichengError
from zhicheng.views import ReportService

router = APIRouter(prefix="/api/evaluation", tags=["evaluation"])

Lang = Annotated[Literal["zh", "en"], Query(description="Language of names: zh (default) or en")]
RunId = Annotated[int | None, Query(alias="run", ge=1, le=2**31 - 1, description="Evaluation run id (default: newest)")]
UnitCode = Annotated[str | None, Query(max_length=64, description="Unit code (default: best ranked)")]

#: OpenAPI of the errors of the answers sent as pre-encoded JSON bytes (200: the route's model).
JSON: dict[int | str, dict[str, Any]] = {
    401: {"description": "Reads need a bearer token on this server (open_reads is off)"},
    404: {"description": "No such run, unit or goal-tree node"},
}


class JSONBytes(JSONResponse):
    """JSON sent as bytes already encoded (the route's ``response_model`` describes them; never rendered)."""

    media_type = "application/json"


def report_service(request: Request, engine: Engine | None = None) -> ReportService:
    """The app's read-model service, made on first use and kept on ``app.state``."""
    engine = engine or request.app.state.engine
    service: ReportService | None = getattr(request.app.state, "report_service", None)
    if service is None or service.engine is not engine:
        from zhicheng.workspace.services import report_service as make_report_service

        service = make_report_service(engine)
        request.app.state.report_service = service
    return service


def answer(read: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a read model; a missing run, unit or node is 404, other bad input 400."""
    try:
        return read(*args, **kwargs)
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc


def check_reader(request: Request) -> None:
    """The ``PublicReader`` rule (open reads, or any valid token), checked in line."""
    public_read(get_principal(request), get_settings(request))


async def json_answer(request: Request, name: str, *args: Any) -> Response:
    """The read model ``name`` of the service as JSON bytes (gzip when the client accepts it)."""
    check_reader(request)
    service = report_service(request)
    read = getattr(service, name)
    found = service.encoded_if_cached(read, *args)
    plain, packed = found if found is not None else await run_in_threadpool(answer, service.encoded, read, *args)
    return send(request, plain, packed, "application/json", {"Cache-Control": "no-cache"})


@router.get("/runs", response_class=JSONBytes, response_model=list[rm.RunListed], responses=JSON)
async def list_runs(request: Request) -> Response:
    """Every evaluation run, newest first: period, framework version, number of units."""
    return await json_answer(request, "runs")


@router.get("/ranking", response_class=JSONBytes, response_model=rm.Ranking, responses=JSON)
async def ranking(
    request: Request, run_id: RunId = None,
    code: Annotated[str | None, Query(max_length=64, description="Goal-tree node (default: the index)")] = None,
    lang: Lang = "zh",
) -> Response:
    """Every unit ranked on the index or on one domain, requirement or indicator."""
    return await json_answer(request, "ranking", run_id, code, lang)


@router.get("/nodes/{code}", response_class=JSONBytes, response_model=rm.NodePage, responses=JSON)
async def node(request: Request, code: str, run_id: RunId = None, unit: UnitCode = None,
               lang: Lang = "zh") -> Response:
    """A domain, requirement or indicator: the unit's score, its children, every unit's score."""
    return await json_answer(request, "node", code, run_id, unit, lang)


@router.get("/units/{unit}", response_class=JSONBytes, response_model=rm.UnitPage, responses=JSON)
async def unit_page(request: Request, unit: str, run_id: RunId = None, lang: Lang = "zh") -> Response:
    """A unit: index, grade and rank, domain scores, strengths, weaknesses, gaps that lift it most."""
    return await json_answer(request, "unit", unit, run_id, lang)


@router.get("/indicators/{indicator_id}/values", response_class=JSONBytes, response_model=rm.IndicatorValues,
            responses=JSON)
async def indicator_values(
    request: Request, indicator_id: str, run_id: RunId = None, unit: UnitCode = None,
    period: Annotated[str | None, Query(max_length=16, description="Period of the across-units view")] = None,
    lang: Lang = "zh",
) -> Response:
    """An indicator's values over time and across units, their source batches and coverage."""
    return await json_answer(request, "indicator_values", indicator_id, run_id, unit, period, lang)
