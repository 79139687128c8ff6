"""OGC SensorThings API v1.1 under ``/v1.1``: the entity sets, request options, CreateObservations.

Reads of the (public) environment data are open when the ``open_reads`` setting is on; writes
need a token with role ``sensor`` or ``operator`` (``admin`` passes every check).

References
----------
OGC 18-088 SensorThings API Part 1: Sensing v1.1 — §9 (resource paths, request data), §10
(create, update, delete), §14 (data-array extension, ``CreateObservations``); the MultiDatastream
extension (Annex A.5) through :mod:`zhicheng.sensing.multi`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from zhicheng.api.deps import get_principal, get_settings, public_read
from zhicheng.api.errors import http_status
from zhicheng.auth import Principal
from zhicheng.errors import ZhichengError
from zhicheng.sensing import airlive, batch
from zhicheng.sensing.changes import committed
from zhicheng.sensing.grouped import GroupWriter, audit_row, plain_observation
from zhicheng.sensing.model import ENTITY_SETS
from zhicheng.sensing.service import Answer, Call, authorize, execute
from zhicheng.sensing.timefmt import parse_instant

VERSION = "v1.1"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/batch-request/batch-request",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]

MQTT_CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates",
]

router = APIRouter(prefix=f"/{VERSION}", tags=["sensorthings"])
#: The challenge of a 401 under ``/v1.1``: standard clients answer it with HTTP Basic (user name
#: free, password = the token). Other APIs challenge with Bearer only, so no browser asks for a login.
CHALLENGE = 'Basic realm="zhicheng SensorThings", charset="UTF-8", Bearer'


def _challenged(exc: HTTPException) -> HTTPException:
    if exc.status_code == 401:
        return HTTPException(401, exc.detail, {"WWW-Authenticate": CHALLENGE})
    return exc


async def _caller(request: Request) -> Principal:
    """The caller (token by Bearer or Basic), checked on the event loop.

    The token lookup is one indexed query, cached; running it here rather than in the thread pool
    saves two thread hand-offs per request, which matters for one-observation-per-request sensors.
    """
    try:
        return get_principal(request)
    except HTTPException as exc:
        raise _challenged(exc) from None


async def _reader(request: Request) -> Principal:
    """The shared open-reads check (:func:`~zhicheng.api.deps.public_read`), on the event loop."""
    try:
        return public_read(get_principal(request), get_settings(request))
    except HTTPException as exc:
        raise _challenged(exc) from None


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


Caller = Annotated[Principal, Depends(_caller)]
PublicReader = Annotated[Principal, Depends(_reader)]
EngineDep = Annotated[Engine, Depends(_engine)]
SetPath = Annotated[
    str,
    Path(
        description="Entity set, e.g. Things, Datastreams, Observations",
        json_schema_extra={"enum": list(ENTITY_SETS)},
    ),
]
#: Read as text so that a malformed id (``Things(abc)``) is 404 like any unknown entity.
IdPath = Annotated[
    str,
    Path(
        description="The entity's @iot.id",
        json_schema_extra={"type": "integer", "minimum": 0, "maximum": 2**53},
    ),
]
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


def run_work(engine: Engine, work: Callable[[Any], T], write: bool = False) -> T:
    """Run ``work(conn)`` in one transaction (writes) or on one connection (reads); errors → HTTP."""

    def run() -> T:
        if write:
            with engine.begin() as conn:
                return work(conn)
        with engine.connect() as conn:
            return work(conn)

    return http_errors(run)


def http_errors(run: Callable[[], T]) -> T:
    """``run()`` with the product's errors as HTTP errors (401 with the Basic challenge)."""
    try:
        return run()
    except ZhichengError as exc:
        raise _as_http(exc) from None


def message(exc: ZhichengError) -> str:
    """The error as one line for the client: every problem's reason."""
    return "; ".join(p.reason for p in exc.problems) if exc.problems else str(exc)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """A request body as JSON (no NaN or Infinity); 400 when empty or malformed."""
    if not raw.strip():
        raise HTTPException(400, "the request needs a JSON body")
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from None


async def _json_body(request: Request) -> Any:
    return parse_json(await request.body())


def _respond(answer: Answer) -> Response:
    if answer.status == 204 or answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    if answer.text:
        return PlainTextResponse(str(answer.body), status_code=answer.status, headers=answer.headers)
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def _call(request: Request, path: str, body: Any = None) -> Call:
    return Call(
        method=request.method,
        path=path,
        base=_base(request),
        params=tuple(request.query_params.multi_items()),
        body=body,
        content_type=request.headers.get("content-type", "application/json"),
    )


def _execute(engine: Engine, principal: Principal, call: Call) -> Answer:
    """Run one call; a write in one transaction, its alerts and changes fired after commit."""
    if call.method == "GET":
        return run_work(engine, lambda conn: execute(conn, principal, call))
    return http_errors(lambda: committed(engine, lambda conn: execute(conn, principal, call)))


async def _serve(request: Request, engine: Engine, principal: Principal, path: str) -> Response:
    if request.method == "GET":
        return _respond(await run_in_threadpool(_execute, engine, principal, _call(request, path)))
    # The role check before the body is read: no token, no work. The full check (with the
    # target entity) runs again inside the write.
    http_errors(lambda: authorize(None, principal, _call(request, path), None))
    body = None if request.method == "DELETE" else await _json_body(request)
    call = _call(request, path, body)
    if request.method == "POST":
        plain = http_errors(lambda: plain_observation(path, body))
        if plain is not None:
            # One reading per request: concurrent ones share a transaction (and its commit).
            audit = audit_row(principal, request.method, request.url.path, request.url.query)
            future = _group_writer(request.app, engine).submit(principal, call, plain, audit)
            answer = await _answer(future)
            request.state.audited = True  # the audit row is in the write's transaction
            return _respond(answer)
    return _respond(await run_in_threadpool(_execute, engine, principal, call))


def _group_writer(app: Any, engine: Engine) -> GroupWriter:
    writer: GroupWriter | None = getattr(app.state, "group_writer", None)
    if writer is None or writer.engine is not engine:
        writer = GroupWriter(engine)
        app.state.group_writer = writer
    return writer


async def _answer(future: Any) -> Answer:
    try:
        answer: Answer = await asyncio.wrap_future(future)
    except ZhichengError as exc:
        raise _as_http(exc) from None
    return answer


def _as_http(exc: ZhichengError) -> HTTPException:
    status = http_status(exc)
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return HTTPException(status, message(exc), headers)


@router.get("", summary="SensorThings root: entity sets and conformance classes")
@router.get("/", include_in_schema=False)
def root(request: Request, _: PublicReader) -> dict[str, Any]:
    """The service root document (OGC 18-088 §9.2.1)."""
    base = _base(request)
    settings: dict[str, Any] = {"conformance": list(CONFORMANCE)}
    mqtt = getattr(request.app.state, "mqtt", None)
    if mqtt is not None:
        # Only while this server has MQTT running (embedded broker or bridge).
        endpoint = {"endpoints": [mqtt.endpoint]}
        settings["conformance"] += MQTT_CONFORMANCE
        settings.update(dict.fromkeys(MQTT_CONFORMANCE, endpoint))
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in ENTITY_SETS],
        "serverSettings": settings,
    }


@router.post(
    "/CreateObservations",
    status_code=201,
    openapi_extra=_ARRAY_BODY,
    summary="Bulk ingest (data-array extension)",
)
async def create_observations_route(
    request: Request, engine: EngineDep, principal: Caller
) -> Response:
    """Create observations from data arrays; answers each row's selfLink or ``"error"`` (§14.4)."""
    return await _serve(request, engine, principal, "CreateObservations")


@router.post(
    "/$batch",
    summary="Batch requests: OData JSON batch or multipart/mixed, change sets atomic",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "multipart/mixed": {"schema": {"type": "string"}},
            },
        }
    },
)
async def batch_route(request: Request, engine: EngineDep, principal: Caller) -> Response:
    """Run the requests of a batch (§11.2): ``{"requests": […]}`` or ``multipart/mixed`` parts.

    Requests of one atomicity group (JSON) or change set (multipart) are stored together or not
    at all; every write passes the same authorization check as a single request.
    """
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    runner = batch.Runner(
        engine, principal, _base(request), VERSION, get_settings(request).open_reads, http_status
    )
    try:
        if content_type.lower().startswith("multipart/mixed"):
            parts = batch.parse_multipart(content_type, raw)
            replies = await run_in_threadpool(runner.run, parts)
            boundary = f"batchresponse_{uuid.uuid4()}"
            return Response(
                batch.multipart_answer(replies, boundary),
                media_type=f"multipart/mixed; boundary={boundary}",
            )
        parts = batch.parse_json_batch(parse_json(raw))
        replies = await run_in_threadpool(runner.run, parts)
    except ZhichengError as exc:
        raise _as_http(exc) from None
    return JSONResponse(batch.json_batch_answer(replies))


@router.get(
    "/{entity_set}({entity_id})/{segment}/$value",
    summary="Raw value of a property",
    response_class=PlainTextResponse,
)
async def property_value(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    segment: str,
    engine: EngineDep,
    principal: PublicReader,
) -> Response:
    """``/Set(id)/property/$value``: the property's value as plain text; 204 when null (§9.2.5)."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})/{segment}/$value")


@router.get("/{entity_set}({entity_id})/{segment}", summary="Related entities or one property")
async def navigation(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    segment: str,
    engine: EngineDep,
    principal: PublicReader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
) -> Response:
    """``/Things(1)/Datastreams``, ``/Datastreams(1)/Observations`` … or ``/Things(1)/name``."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})/{segment}")


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
    principal: Caller,
) -> Response:
    """``POST /Datastreams(1)/Observations``: create an entity linked to its parent (§10.2)."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})/{segment}")


@router.get("/{entity_set}({entity_id})", summary="One entity")
async def get_entity(
    request: Request,
    entity_set: SetPath,
    entity_id: IdPath,
    engine: EngineDep,
    principal: PublicReader,
    select: Annotated[str | None, Query(alias="$select")] = None,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> Response:
    """An entity with ``$select`` and ``$expand`` (§9.2.3)."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})")


@router.patch(
    "/{entity_set}({entity_id})",
    openapi_extra=_JSON_BODY,
    summary="Update some properties (JSON, JSON Patch or JSON merge patch)",
)
async def patch_entity(
    request: Request, entity_set: SetPath, entity_id: IdPath, engine: EngineDep, principal: Caller
) -> Response:
    """PATCH: JSON object, JSON Patch (RFC 6902) or JSON merge patch (RFC 7396) (§10.3).

    ``application/json-patch+json`` and ``application/merge-patch+json`` select the latter two.
    """
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})")


@router.put("/{entity_set}({entity_id})", openapi_extra=_JSON_BODY, summary="Replace an entity")
async def put_entity(
    request: Request, entity_set: SetPath, entity_id: IdPath, engine: EngineDep, principal: Caller
) -> Response:
    """PUT: every property replaced; missing optional ones become null (§10.3)."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})")


@router.delete("/{entity_set}({entity_id})", status_code=200, summary="Delete an entity")
async def delete_entity(
    request: Request, entity_set: SetPath, entity_id: IdPath, engine: EngineDep, principal: Caller
) -> Response:
    """Delete; dependants (a Thing's Datastreams, their Observations) go too (§10.4)."""
    return await _serve(request, engine, principal, f"{entity_set}({entity_id})")


@router.get(
    "/{entity_set}",
    summary="A collection, with $filter, $expand, $select, $orderby, $top, $skip, $count",
)
async def get_collection(
    request: Request,
    entity_set: SetPath,
    engine: EngineDep,
    principal: PublicReader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
    count: Annotated[str | None, Query(alias="$count")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
    select: Annotated[str | None, Query(alias="$select")] = None,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> Response:
    """A page of an entity set; ``@iot.nextLink`` leads to the next page (§9.3)."""
    return await _serve(request, engine, principal, entity_set)


@router.post(
    "/{entity_set}",
    status_code=201,
    openapi_extra=_JSON_BODY,
    summary="Create an entity (deep insert)",
)
async def create_entity(
    request: Request, entity_set: SetPath, engine: EngineDep, principal: Caller
) -> Response:
    """Create with nested entities; 201 with the entity and its ``Location`` (§10.2)."""
    return await _serve(request, engine, principal, entity_set)


async def resource_path(
    request: Request, resource_path: str, engine: EngineDep, principal: PublicReader
) -> Response:
    """Resource paths of any depth and ``$ref`` links (§9.2).

    ``/Things(1)/Datastreams(2)/Observations``, ``/Datastreams(1)/Thing/Locations``,
    ``/Things(1)/Locations/$ref`` (read, ``POST`` to link, ``DELETE …(2)/$ref`` to unlink).
    """
    return await _serve(request, engine, principal, resource_path)


for _method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
    router.add_api_route(
        "/{resource_path:path}",
        resource_path,
        methods=[_method],
        operation_id=f"sta_resource_path_{_method.lower()}",
        summary="Any deeper resource path, $ref links included",
    )


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


@air_router.get("/stations/{thing_id}", summary="One station's current hourly AQI")
def air_station(
    thing_id: Annotated[int, Path(ge=0, le=2**53)],
    engine: EngineDep,
    _: PublicReader,
    standard: Standard = None,
) -> dict[str, Any]:
    """The station's name, location and latest hour (concentrations, IAQIs, AQI, level, colour)."""
    return run_work(engine, lambda conn: airlive.station_current(conn, thing_id, standard))


@air_router.get("/stations/{thing_id}/hourly", summary="A station's hourly (real-time) AQI")
def air_station_hourly(
    thing_id: Annotated[int, Path(ge=0, le=2**53)],
    engine: EngineDep,
    _: PublicReader,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="hours up to the latest")] = 72,
    standard: Standard = None,
) -> list[dict[str, Any]]:
    """The last ``hours`` hours of the station, oldest first (HJ 633 real-time AQI)."""
    return run_work(engine, lambda conn: airlive.station_hourly_aqi(conn, thing_id, hours, standard))


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
