"""Exports of the cockpit's tables: ``GET /api/export/{table}.{csv|xlsx}`` (headers in ``lang``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zhicheng.api.routers.evaluation import (
    Lang,
    RunId,
    UnitCode,
    answer,
    check_reader,
    report_service,
)
from zhicheng.views import export

router = APIRouter(prefix="/api/export", tags=["export"])

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file(request: Request, table: str, fmt: str, query: export.ExportQuery) -> Response:
    built = answer(export.build, report_service(request), table, query)
    body = export.to_csv(built, query.lang) if fmt == "csv" else export.to_xlsx(built, query.lang)
    headers = {"Content-Disposition": f'attachment; filename="{table}.{fmt}"', "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-cache"}
    return Response(body, media_type=MEDIA[fmt], headers=headers)


@router.get("/{table}.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}, "description": "The table as a file"},
                       404: {"description": "No such table, run, unit or node"}})
async def export_table(
    request: Request, table: str, fmt: str, run_id: RunId = None, unit: UnitCode = None,
    code: Annotated[str | None, Query(max_length=64, description="Goal-tree node or indicator")] = None,
    period: Annotated[str | None, Query(max_length=16, description="Period of an indicator's values")] = None,
    units: Annotated[str | None, Query(max_length=400, description="Units compared, comma-separated")] = None,
    lang: Lang = "zh",
) -> Response:
    """One of the cockpit's tables as CSV or XLSX: headers in ``lang``, rounded values, units, sources."""
    check_reader(request)
    if fmt not in MEDIA:
        raise HTTPException(404, f"no export format {fmt!r} (csv or xlsx)")
    query = export.ExportQuery(run=run_id, unit=unit, code=code, period=period, lang=lang,
                               units=tuple(u for u in (units or "").split(",") if u))
    return await run_in_threadpool(_file, request, table, fmt, query)
