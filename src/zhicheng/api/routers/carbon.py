"""Carbon accounting, read-only: inventories, peaking, LMDI decompositions, targets, checks; the carbon page.

Every answer is computed from the store's inventories (``zhicheng carbon load`` or the demo),
read once and kept until a new ingest batch arrives. GDP-based figures are at current prices and
say so (``prices``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from zhicheng.api.deps import EngineDep, PublicReader
from zhicheng.api.errors import http_status
from zhicheng.errors import ZhichengError

router = APIRouter(tags=["carbon"])

Lang = Annotated[Literal["zh", "en"], Query(description="Language of names: zh (default) or en")]
Code = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z_.:-]+$", description="Unit code, e.g. 110000")]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
T = TypeVar("T")

_lock = threading.Lock()
_cache: dict[int, tuple[Any, Any]] = {}


def _generation(engine: Engine) -> Any:
    from zhicheng.store.schema import ingest_batches

    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(ingest_batches.c.id), sa.func.count(ingest_batches.c.id))).one()


def workspace(engine: Engine) -> Any:
    """The store's inventories and statistics, read once per ingest generation."""
    from zhicheng.carbon.service import CarbonNotFound, Workspace

    key = tuple(_generation(engine))
    with _lock:
        hit = _cache.get(id(engine))
        if hit is not None and hit[0] == key:
            ws = hit[1]
        else:
            ws = Workspace.read(engine)
            _cache[id(engine)] = (key, ws)
    if ws.inventory.empty:
        raise CarbonNotFound("the store has no CO2 inventories yet (zhicheng carbon load)")
    return ws


async def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), str(exc)) from exc


def _records(frame: Any) -> list[dict[str, Any]]:
    import json

    return list(json.loads(frame.to_json(orient="records", force_ascii=False)))


@router.get("/api/carbon/units")
async def list_units(engine: EngineDep, _: PublicReader, lang: Lang = "zh") -> list[dict[str, Any]]:
    """Every unit with a CO2 inventory: code, name, level, dataset, years and peaking status.

    A store without inventories answers an empty list (the carbon page then says so), not 404.
    """
    from zhicheng.carbon import report
    from zhicheng.carbon.service import CarbonNotFound

    def units() -> list[dict[str, Any]]:
        try:
            ws = workspace(engine)
        except CarbonNotFound:
            return []
        return list(report.units_list(ws, lang))

    return await _call(units)


@router.get("/api/carbon/units/{code}")
async def unit_page(code: Code, engine: EngineDep, _: PublicReader, lang: Lang = "zh",
                    year_from: Annotated[Year, Query(alias="from")] = None,
                    year_to: Annotated[Year, Query(alias="to")] = None) -> dict[str, Any]:
    """One unit's carbon page: totals, sector groups, fuel mix, peaking, LMDI, targets, cross-check."""
    from zhicheng.carbon import report

    return await _call(lambda: report.unit_report(workspace(engine), code, lang, year_from=year_from,
                                                  year_to=year_to))


@router.get("/api/carbon/units/{code}/inventory")
async def unit_inventory(code: Code, engine: EngineDep, _: PublicReader, lang: Lang = "zh",
                         by: Literal["group", "sector", "field", "source", "fuel_group", "total"] = "group",
                         scope: Literal["1", "1+2"] = "1", year: Year = None) -> list[dict[str, Any]]:
    """The unit's emissions by breakdown and year [Mt CO2] with shares."""
    from zhicheng.carbon import report

    return await _call(lambda: _records(report.inventory_frame(workspace(engine), code, by=by, scope=scope,
                                                               year=year, lang=lang)))


@router.get("/api/carbon/peak")
async def peak(engine: EngineDep, _: PublicReader, lang: Lang = "zh",
               unit: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """Peaking status of every unit (or one) by the stated rule (centred 3-year mean, see the docs)."""
    from zhicheng.carbon import report

    return await _call(lambda: _records(report.peak_frame(workspace(engine), unit, lang)))


@router.get("/api/carbon/decompose")
async def decompose(engine: EngineDep, _: PublicReader, year_from: Annotated[int, Query(alias="from", ge=1900, le=2100)],
                    year_to: Annotated[int, Query(alias="to", ge=1900, le=2100)], lang: Lang = "zh",
                    unit: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """Additive LMDI-I effects of the change between two years [Mt CO2], per unit and effect."""
    from zhicheng.carbon import report

    return await _call(lambda: _records(report.decompose_frame(workspace(engine), unit, year_from, year_to, lang)))


@router.get("/api/carbon/units/{code}/targets")
async def unit_targets(code: Code, engine: EngineDep, _: PublicReader, lang: Lang = "zh",
                       peak_by: Year = None, cap: Annotated[float | None, Query(ge=0, le=1e5)] = None,
                       cap_year: Year = None, base: Annotated[int, Query(ge=1900, le=2100)] = 2015) -> list[dict[str, Any]]:
    """The unit against the national intensity targets (current prices) and optional user targets."""
    from zhicheng.carbon import report, service

    def run() -> list[dict[str, Any]]:
        extra = []
        if peak_by is not None:
            extra.append(service.user_target("peak", base, peak_by))
        if cap is not None:
            if cap_year is None:
                raise service.CarbonError("cap needs cap_year")
            extra.append(service.user_target("cap", base, cap_year, cap_mt=cap))
        ws = workspace(engine)
        assessed = service.assess_targets(ws, code, extra)
        out = []
        for a in assessed:
            j = report.assessment_json(a, lang)
            user = next((t for t in extra if t.id == a.target_id), None)
            if user is not None:
                j["name"] = user.en if lang == "en" else user.zh
            out.append(j)
        return out

    return await _call(run)


@router.get("/api/carbon/checks")
async def checks(engine: EngineDep, _: PublicReader) -> dict[str, Any]:
    """Data-quality findings: city totals vs provincial inventories, and the loads' stored findings."""
    from zhicheng.carbon import report, service

    def run() -> dict[str, Any]:
        ws = workspace(engine)
        with engine.connect() as conn:
            stored = service.findings(conn)
            prov = service.provenance(conn)
        return {"crosscheck": _records(report.checks_frame(ws)), "findings": stored, "provenance": prov,
                "tolerance": 0.01}

    return await _call(run)


@router.get("/api/carbon/meters")
async def meter_emissions(engine: EngineDep, _: PublicReader, start: dt.date, end: dt.date,
                          step: Literal["day", "month"] = "day") -> list[dict[str, Any]]:
    """Consumption and scope-1/2 emissions per energy meter (SensorThings Datastreams) and period."""
    from zhicheng.carbon import service

    if end <= start or (end - start).days > 3660:
        raise HTTPException(400, "end must come after start, at most ten years later")
    edges = []
    day = start
    while day <= end:
        edges.append(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1_000_000))
        day = day + dt.timedelta(days=1) if step == "day" else (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return await _call(lambda: _records(service.meter_emissions(engine, edges)))


def _page(_: Request) -> HTMLResponse:
    from zhicheng.cockpit import STATIC_DIR

    text = (STATIC_DIR / "carbon.html").read_text(encoding="utf-8")
    return HTMLResponse(text, headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP,
                                       "X-Content-Type-Options": "nosniff"})


for _path in ("/carbon", "/carbon/{code}"):
    router.add_api_route(_path, _page, methods=["GET"], include_in_schema=False, response_class=HTMLResponse,
                         name=f"carbon-page:{_path}")
