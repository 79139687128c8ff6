"""OGC SensorThings API v1.1 under ``/v1.1``: the eight entity sets, request options, CreateObservations.

Reads of the (public) environment data are open when the ``open_reads`` setting is on; writes
need a token with role ``sensor`` or ``operator`` (``admin`` passes every check).

References
----------
OGC 18-088 SensorThings API Part 1: Sensing v1.1 — §9 (resource paths, request data), §10
(create, update, delete), §14 (data-array extension, ``CreateObservations``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from zhicheng.api.deps import get_principal, get_settings, public_read, require_role
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.errors import ZhichengError
from zhicheng.sensing import airlive, reader, writer
from zhicheng.sensing.alerts import fire_opened, take_opened
from zhicheng.sensing.errors import NotFound, SensingError
from zhicheng.sensing.ingest import IngestResult, create_observations
from zhicheng.sensing.model import ENTITY_SETS, OBSERVATION, EntityType, entity_set
from zhicheng.sensing.options import QueryOptions, parse_options
from zhicheng.sensing.timefmt import parse_instant
from zhicheng.sensing.writer import observation_row

VERSION = "v1.1"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]

router = APIRouter(prefix=f"/{VERSION}", tags=["sensorthings"])
_write_check = require_role("sensor", "operator")


async def _writer(request: Request) -> Principal:
    """The shared role check (:func:`~zhicheng.api.deps.require_role`), run on the event loop.

    The token lookup is one indexed query; running it here rather than in the thread pool
    saves two thread hand-offs per request, which matters for one-observation-per-request
    sensors.
    """
    return _write_check(get_principal(request))


async def _reader(request: Request) -> Principal:
    """The shared open-reads check (:func:`~zhicheng.api.deps.public_read`), on the event loop."""
    return public_read(get_principal(request), get_settings(request))


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


Writer = Annotated[Principal, Depends(_writer)]
PublicReader = Annotated[Principal, Depends(_reader)]
EngineDep = Annotated[Engine, Depends(_engine)]
EntitySet = Enum("EntitySet", {name: name for name in ENTITY_SETS}, type=str)  # type: ignore[misc]
SetPath = Annotated[
    EntitySet, Path(description="Entity set, e.g. Things, Datastreams, Observations")
]
IdPath = Annotated[int, Path(description="The entity's @iot.id", ge=0, le=2**53)]
T = TypeVar("T")

_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
_ARRAY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
    }
}


def _base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/{VERSION}"


def _options(request: Request) -> QueryOptions:
    try:
        return parse_options(dict(request.query_params))
    except SensingError as exc:
        raise HTTPException(http_status(exc), message(exc)) from None


def _where(request: Request) -> reader.Where:
    url = f"{str(request.base_url).rstrip('/')}{request.url.path}"
    return reader.Where(_base(request), url, tuple(request.query_params.multi_items()))


def run_work(engine: Engine, work: Callable[[Any], T], write: bool = False) -> T:
    """Run ``work(conn)`` in one transaction (writes) or on one connection (reads); errors → HTTP."""
    try:
        if write:
            with engine.begin() as conn:
                return work(conn)
        with engine.connect() as conn:
            return work(conn)
    except ZhichengError as exc:
        raise HTTPException(http_status(exc), message(exc)) from None


def message(exc: ZhichengError) -> str:
    """The error as one line for the client: every problem's reason."""
    return "; ".join(p.reason for p in exc.problems) if exc.problems else str(exc)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(400, "the request needs a JSON body")
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from None


def _set(name: Any) -> EntityType:
    try:
        return entity_set(str(getattr(name, "value", name)))
    except SensingError as exc:
        raise HTTPException(http_status(exc), message(exc)) from None


@router.get("", summary="SensorThings root: entity sets and conformance classes")
def root(request: Request, _: PublicReader) -> dict[str, Any]:
    """The service root document (OGC 18-088 §9.2.1)."""
    base = _base(request)
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in ENTITY_SETS],
        "serverSettings": {"conformance": CONFORMANCE},
    }


@router.post(
    "/CreateObservations",
    status_code=201,
    openapi_extra=_ARRAY_BODY,
    summary="Bulk ingest (data-array extension)",
)
async def create_observations_route(request: Request, engine: EngineDep, _: Writer) -> JSONResponse:
    """Create observations from data arrays; answers the new Observations' selfLinks (§14.4)."""
    body = await _json_body(request)

    def work(conn: Any) -> IngestResult:
        take_opened(conn)
        result = create_observations(conn, body)
        take_opened(conn)
        return result

    result = await run_in_threadpool(run_work, engine, work, True)
    fire_opened(result.opened_alerts)
    base = _base(request)
    return JSONResponse([f"{base}/Observations({i})" for i in result.ids], status_code=201)


@router.get(
    "/{entity_set}({entity_id})/{segment}/$value",
    summary="Raw value of a property",
    response_class=PlainTextResponse,
)
def property_value(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    segment: str,
    engine: EngineDep,
    _: PublicReader,
) -> Response:
    """``/Set(id)/property/$value``: the property's value as plain text (§9.2.5)."""
    value = _property(request, entity_set, entity_id, segment, engine)
    text = value if isinstance(value, str) else json.dumps(value)
    return PlainTextResponse(text)


def _property(request: Request, set_name: Any, entity_id: int, segment: str, engine: Engine) -> Any:
    etype = _set(set_name)
    if etype.prop(segment) is None:
        raise HTTPException(404, f"{etype.name} has no property {segment!r}")
    entity = run_work(
        engine,
        lambda conn: reader.read_entity(conn, etype, entity_id, QueryOptions(), _base(request)),
    )
    return entity[segment]


@router.get("/{entity_set}({entity_id})/{segment}", summary="Related entities or one property")
def navigation(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    segment: str,
    engine: EngineDep,
    _: PublicReader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
) -> dict[str, Any]:
    """``/Things(1)/Datastreams``, ``/Datastreams(1)/Observations`` … or ``/Things(1)/name``."""
    etype = _set(entity_set)
    if etype.nav(segment) is None:
        return {segment: _property(request, entity_set, entity_id, segment, engine)}
    opts = _options(request)
    return run_work(
        engine,
        lambda conn: reader.read_navigation(conn, etype, entity_id, segment, opts, _where(request)),
    )


@router.post(
    "/{entity_set}({entity_id})/{segment}",
    status_code=201,
    openapi_extra=_JSON_BODY,
    summary="Create a related entity",
)
async def create_related(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    segment: str,
    engine: EngineDep,
    _: Writer,
) -> JSONResponse:
    """``POST /Datastreams(1)/Observations``: create an entity linked to its parent (§10.2)."""
    etype = _set(entity_set)
    nav = etype.nav(segment)
    if nav is None or not nav.many:
        raise HTTPException(404, f"{etype.name} has no collection {segment!r} to create in")
    body = await _json_body(request)
    target = ENTITY_SETS[nav.target]

    base = _base(request)

    def work(conn: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        take_opened(conn)
        if not reader.entity_exists(conn, etype, entity_id):
            raise NotFound(f"{etype.name} {entity_id} does not exist")
        given = {nav.back_fk: entity_id} if nav.back_fk else {}
        if target is OBSERVATION and nav.link is None and _new_observation(body):
            # ``POST /Datastreams(1)/Observations``: answer from the stored row, as create_entity.
            entity = reader.entity_json(
                target, observation_row(conn, body, given=given), base, None
            )
            return entity, take_opened(conn)
        new_id = writer.create(conn, target, body, given=given)
        if nav.link is not None:
            writer.link(conn, nav, entity_id, [new_id])
        return reader.read_entity(conn, target, new_id, QueryOptions(), base), take_opened(conn)

    entity, opened = await run_in_threadpool(run_work, engine, work, True)
    fire_opened(opened)
    return _created(entity)


def _new_observation(body: Any) -> bool:
    """A body that creates an Observation (not a reference to an existing one)."""
    return isinstance(body, dict) and "@iot.id" not in body


def _created(entity: dict[str, Any]) -> JSONResponse:
    return JSONResponse(entity, status_code=201, headers={"Location": entity["@iot.selfLink"]})


@router.get("/{entity_set}({entity_id})", summary="One entity")
def get_entity(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    engine: EngineDep,
    _: PublicReader,
    select: Annotated[str | None, Query(alias="$select")] = None,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> dict[str, Any]:
    """An entity with ``$select`` and ``$expand`` (§9.2.3)."""
    etype = _set(entity_set)
    opts = _options(request)
    return run_work(
        engine, lambda conn: reader.read_entity(conn, etype, entity_id, opts, _base(request))
    )


@router.patch(
    "/{entity_set}({entity_id})",
    openapi_extra=_JSON_BODY,
    summary="Update some properties (JSON or JSON Patch)",
)
async def patch_entity(
    request: Request, entity_set: SetPath, entity_id: IdPath, engine: EngineDep, _: Writer
) -> dict[str, Any]:
    """PATCH with a JSON object (merge) or ``application/json-patch+json`` (§10.3)."""
    etype = _set(entity_set)
    body = await _json_body(request)
    base = _base(request)
    patch = "json-patch" in request.headers.get("content-type", "")

    def work(conn: Any) -> dict[str, Any]:
        if patch:
            current = reader.read_entity(conn, etype, entity_id, QueryOptions(), base)
            writer.json_patch(conn, etype, entity_id, body, current)
        else:
            writer.update(conn, etype, entity_id, body)
        return reader.read_entity(conn, etype, entity_id, QueryOptions(), base)

    return await run_in_threadpool(run_work, engine, work, True)


@router.put("/{entity_set}({entity_id})", openapi_extra=_JSON_BODY, summary="Replace an entity")
async def put_entity(
    request: Request, entity_set: SetPath, entity_id: IdPath, engine: EngineDep, _: Writer
) -> dict[str, Any]:
    """PUT: every property replaced; missing optional ones become null (§10.3)."""
    etype = _set(entity_set)
    body = await _json_body(request)
    base = _base(request)

    def work(conn: Any) -> dict[str, Any]:
        writer.update(conn, etype, entity_id, body, replace_all=True)
        return reader.read_entity(conn, etype, entity_id, QueryOptions(), base)

    return await run_in_threadpool(run_work, engine, work, True)


@router.delete("/{entity_set}({entity_id})", status_code=200, summary="Delete an entity")
def delete_entity(entity_set: SetPath, entity_id: IdPath, engine: EngineDep, _: Writer) -> Response:
    """Delete; dependants (a Thing's Datastreams, their Observations) go too (§10.4)."""
    etype = _set(entity_set)
    run_work(engine, lambda conn: writer.delete(conn, etype, entity_id), True)
    return Response(status_code=200)


@router.get(
    "/{entity_set}",
    summary="A collection, with $filter, $expand, $select, $orderby, $top, $skip, $count",
)
def get_collection(
    request: Request,
    entity_set: SetPath,
    engine: EngineDep,
    _: PublicReader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
    count: Annotated[str | None, Query(alias="$count")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
    select: Annotated[str | None, Query(alias="$select")] = None,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> dict[str, Any]:
    """A page of an entity set; ``@iot.nextLink`` leads to the next page (§9.3)."""
    etype = _set(entity_set)
    opts = _options(request)
    return run_work(
        engine, lambda conn: reader.read_page(conn, etype, opts, _where(request)).document()
    )


@router.post(
    "/{entity_set}",
    status_code=201,
    openapi_extra=_JSON_BODY,
    summary="Create an entity (deep insert)",
)
async def create_entity(
    request: Request, entity_set: SetPath, engine: EngineDep, _: Writer
) -> JSONResponse:
    """Create with nested entities; 201 with the entity and its ``Location`` (§10.2)."""
    etype = _set(entity_set)
    body = await _json_body(request)

    base = _base(request)

    def work(conn: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        take_opened(conn)
        if etype is OBSERVATION and _new_observation(body):
            # The commonest write of all (one reading per request): answer from the stored row.
            entity = reader.entity_json(etype, observation_row(conn, body), base, None)
            return entity, take_opened(conn)
        new_id = writer.create(conn, etype, body)
        return reader.read_entity(conn, etype, new_id, QueryOptions(), base), take_opened(conn)

    entity, opened = await run_in_threadpool(run_work, engine, work, True)
    fire_opened(opened)
    return _created(entity)


# --- live air quality of the stations (HJ 633 via zhicheng.air) ---------------------------------

air_router = APIRouter(prefix="/api/air", tags=["air-live"])
Standard = Annotated[
    Literal["HJ633-2026", "HJ633-2012"] | None,
    Query(description="HJ 633 edition; default: the edition in force on each day"),
]


@air_router.get("/stations", summary="Every station's current hourly AQI")
def air_stations(
    engine: EngineDep, _: PublicReader, standard: Standard = None
) -> list[dict[str, Any]]:
    """Latest hour of each station: concentrations, IAQIs, AQI, primary pollutant, level, colour."""
    return run_work(engine, lambda conn: airlive.current_aqi(conn, standard))


@air_router.get("/stations/{thing_id}/daily", summary="A station's daily AQI")
def air_station_daily(
    thing_id: Annotated[int, Path(ge=0, le=2**53)],
    engine: EngineDep,
    _: PublicReader,
    since: Annotated[
        str | None, Query(description="ISO 8601 time or date (UTC); first hour read")
    ] = None,
    until: Annotated[
        str | None, Query(description="ISO 8601 time or date (UTC); hours before it are read")
    ] = None,
    standard: Standard = None,
) -> list[dict[str, Any]]:
    """Daily means (validity by GB 3095), IAQIs and AQI of each local day (HJ 633)."""

    def work(conn: Any) -> list[dict[str, Any]]:
        lo = parse_instant(since, "since") if since else None
        hi = parse_instant(until, "until") if until else None
        return airlive.daily_station_aqi(conn, thing_id, lo, hi, standard)

    return run_work(engine, work)
