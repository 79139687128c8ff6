"""Open311 GeoReport v2 under ``/open311/v2``: services, definitions, requests, tokens; JSON and XML.

Follows the GeoReport v2 specification (wiki.open311.org/GeoReport_v2): every resource is
reached as ``<name>.json`` or ``<name>.xml``; errors use the standard's own format
(``[{"code": 400, "description": "…"}]`` or ``<errors><error><code>…``), one entry per problem.

Submitting (``POST requests``, form-encoded) needs ``api_key``: an API token with role
operator, admin or sensor, or the public submission key (``ZHICHENG_OPEN311_PUBLIC_KEY``) given
to the city's apps. Reads are public when the server's ``open_reads`` setting is on; otherwise
they need ``api_key`` (any valid token) or a bearer token.
"""

from __future__ import annotations

import hmac
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zhicheng.api.errors import http_status
from zhicheng.auth import Principal, bearer_token, principal_for
from zhicheng.errors import Problem
from zhicheng.events.catalogue import Catalogue, catalogue_for
from zhicheng.events.errors import EventError, EventForbidden, EventNotFound
from zhicheng.events.open311 import (
    RequestQuery,
    definition_record,
    parse_request_query,
    request_records,
    search_requests,
    service_record,
    token_record,
)
from zhicheng.events.service import Created, NewEvent, create_event, now_utc

router = APIRouter(prefix="/open311/v2", tags=["open311"])

FORMATS = ("json", "xml")
SUBMIT_ROLES = ("operator", "admin", "sensor")
CONTACT_FIELDS = ("email", "device_id", "account_id", "first_name", "last_name", "phone")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


# --- rendering -------------------------------------------------------------------------------

try:  # orjson writes a 1,000-request list ~15x faster than the standard library.
    import orjson

    def _dumps(payload: Any) -> bytes:
        return orjson.dumps(payload)

except ImportError:  # pragma: no cover - the standard library gives the same JSON

    def _dumps(payload: Any) -> bytes:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()



def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, list):
        item = {"attributes": "attribute", "values": "value"}.get(name, "item")
        for entry in value:
            _xml_record(child, item, entry)
    elif value is not None:
        child.text = str(value)


def _xml_record(parent: ET.Element, name: str, record: dict[str, Any]) -> None:
    node = ET.SubElement(parent, name)
    for key, value in record.items():
        _xml_value(node, key, value)


def _xml(root: str, item: str | None, payload: Any) -> bytes:
    top = ET.Element(root)
    if item is None:
        for key, value in payload.items():
            _xml_value(top, key, value)
    else:
        for record in payload:
            _xml_record(top, item, record)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")


def _render(fmt: str, payload: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, payload), status_code=status, media_type="text/xml; charset=utf-8")
    return Response(_dumps(payload), status_code=status, media_type="application/json; charset=utf-8")


def errors(fmt: str, status: int, messages: Iterable[str]) -> Response:
    """The standard's error response: one ``{code, description}`` per problem."""
    payload = [{"code": status, "description": m} for m in messages]
    return _render(fmt if fmt in FORMATS else "json", payload, "errors", "error", status)


def _from_error(fmt: str, exc: EventError) -> Response:
    return errors(fmt, http_status(exc), [str(p) for p in exc.problems] or [str(exc)])


def _guard(fmt: str, build: Callable[[], Response]) -> Response:
    if fmt not in FORMATS:
        return errors("json", 400, [f"format must be json or xml, got {fmt!r}"])
    try:
        return build()
    except EventError as exc:
        return _from_error(fmt, exc)


# --- callers ---------------------------------------------------------------------------------


def _token_principal(request: Request, api_key: str | None) -> Principal | None:
    api_key = api_key or bearer_token(request.headers.get("authorization", ""))
    return principal_for(request.app.state.engine, api_key) if api_key else None


def _check_reader(request: Request) -> None:
    if request.app.state.settings.open_reads:
        return
    if _token_principal(request, request.query_params.get("api_key")) is None:
        raise EventForbidden("this server needs a valid api_key for reads")


def _submitter(request: Request, api_key: str | None) -> tuple[Principal, str]:
    """Who submits and the event source their key implies; EventError 400/403 otherwise."""
    if not api_key:
        # GeoReport v2, Errors: "403 - Missing or Invalid API Key (specify in error message)".
        raise EventForbidden("api_key is required to submit a service request")
    public = request.app.state.settings.open311_public_key
    if public is not None and hmac.compare_digest(api_key.encode(), public.get_secret_value().encode()):
        return Principal(name="open311-public", role=None), "citizen"
    principal = principal_for(request.app.state.engine, api_key)
    if principal is None:
        raise EventForbidden("invalid api_key")
    if not principal.has_role(*SUBMIT_ROLES):
        raise EventForbidden(f"api_key role {principal.role!r} may not submit service requests")
    return principal, "sensor" if principal.role == "sensor" else "citizen"


# --- POST requests ---------------------------------------------------------------------------


def _number(form: dict[str, str], name: str, problems: list[Problem]) -> float | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(f"{name} must be a number, got {text!r}", column=name))
        return None


def _new_event(items: list[tuple[str, str]], source: str) -> NewEvent:
    form = {k: v for k, v in items}
    problems: list[Problem] = []
    lat, lon = _number(form, "lat", problems), _number(form, "long", problems)
    attributes: dict[str, list[str]] = {}
    for key, value in items:
        m = _ATTRIBUTE.match(key)
        if m:
            attributes.setdefault(m.group(1), []).append(value)
    if form.get("source") in ("citizen", "inspector") and source == "citizen":
        source = form["source"]
    if problems:
        raise EventError(problems=problems)
    return NewEvent(
        service_code=form.get("service_code", "").strip(), lat=lat, lon=lon,
        address=form.get("address_string") or None, address_id=form.get("address_id") or None,
        zipcode=form.get("zipcode") or None, description=form.get("description") or None,
        media_url=form.get("media_url") or None, attributes=attributes,
        contact={k: form[k] for k in CONTACT_FIELDS if form.get(k)}, source=source,
    )


def _submit(request: Request, items: list[tuple[str, str]]) -> Created:
    """Check the key and the report, then register it (runs in a worker thread: it queries)."""
    principal, source = _submitter(request, dict(items).get("api_key"))
    request.state.principal = principal
    new = _new_event(items, source)
    catalogue = _catalogue(request, dict(items).get("jurisdiction_id") or "")
    if new.service_code and not catalogue.has(new.service_code):
        # GeoReport v2, POST Service Request: "404 - service_code or jurisdiction_id was not found".
        raise EventNotFound(f"service_code {new.service_code!r} not found")
    return create_event(request.app.state.engine, new, principal.name, principal.role, catalogue)


@router.post("/requests.{fmt}", summary="POST Service Request")
async def post_request(fmt: str, request: Request) -> Response:
    """Create a service request from form fields; answer with its id, token and notice."""
    if fmt not in FORMATS:
        return errors("json", 400, [f"format must be json or xml, got {fmt!r}"])
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    try:
        created = await run_in_threadpool(_submit, request, items)
    except EventError as exc:
        return _from_error(fmt, exc)
    # GeoReport v2, POST Service Request: service_request_id "should not be returned if token is
    # returned" and token "should not be returned if service_request_id is returned". Services of
    # type realtime answer the id; a server set to batch answers the token.
    answer: dict[str, Any] = (
        {"token": created.token} if request.app.state.settings.open311_type == "batch"
        else {"service_request_id": created.public_id}
    )
    payload = [{**answer, "service_notice": created.service_notice, "account_id": None}]
    return _render(fmt, payload, "service_requests", "request")


# --- reads -----------------------------------------------------------------------------------


def _catalogue(request: Request, jurisdiction_id: str | None = None) -> Catalogue:
    """The catalogue of the request's ``jurisdiction_id`` (query or form), else the default."""
    jid = jurisdiction_id if jurisdiction_id is not None else request.query_params.get("jurisdiction_id")
    return catalogue_for(jid or None, request.app.state.settings)


@router.get("/services.{fmt}", summary="GET Service List")
def get_services(fmt: str, request: Request) -> Response:
    """Every service the city handles."""

    def build() -> Response:
        _check_reader(request)
        kind = request.app.state.settings.open311_type
        records = [{**service_record(s), "type": kind} for s in _catalogue(request).services]
        return _render(fmt, records, "services", "service")

    return _guard(fmt, build)


@router.get("/services/{code}.{fmt}", summary="GET Service Definition")
def get_service_definition(code: str, fmt: str, request: Request) -> Response:
    """The attributes (questions) of one service."""

    def build() -> Response:
        _check_reader(request)
        service = _catalogue(request).service(code)
        return _render(fmt, definition_record(service), "service_definition", None)

    return _guard(fmt, build)


@router.get("/requests.{fmt}", summary="GET Service Requests")
def get_requests(fmt: str, request: Request) -> Response:
    """Requests by id list, service, date range (≤ 90 days, default the last 90) and status; ≤ 1,000."""

    def build() -> Response:
        _check_reader(request)
        query = parse_request_query(dict(request.query_params), now_utc())
        with request.app.state.engine.connect() as conn:
            rows = search_requests(conn, query)
        return _render(fmt, request_records(rows, _catalogue(request)), "service_requests", "request")

    return _guard(fmt, build)


@router.get("/requests/{request_id}.{fmt}", summary="GET Service Request")
def get_request(request_id: str, fmt: str, request: Request) -> Response:
    """One request (as a list of one, as the standard writes it)."""

    def build() -> Response:
        _check_reader(request)
        with request.app.state.engine.connect() as conn:
            rows = search_requests(conn, RequestQuery(ids=(request_id,)), limit=1)
        if not rows:
            raise EventNotFound(f"service_request_id {request_id!r} not found")
        return _render(fmt, request_records(rows, _catalogue(request)), "service_requests", "request")

    return _guard(fmt, build)


@router.get("/tokens/{token}.{fmt}", summary="GET request_id from a token")
def get_token(token: str, fmt: str, request: Request) -> Response:
    """The service request id a submission token stands for."""

    def build() -> Response:
        _check_reader(request)
        with request.app.state.engine.connect() as conn:
            record = token_record(conn, token)
        if record is None:
            raise EventNotFound(f"token {token!r} not found")
        return _render(fmt, [record], "service_requests", "request")

    return _guard(fmt, build)


# --- service discovery and malformed paths ------------------------------------------------------

#: GeoReport v2 specification token (Service Discovery, ``endpoints.endpoint.specification``).
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = ("text/xml", "application/json")
#: Resources of the endpoint, reached as ``<name>.<format>``.
RESOURCES = ("services", "requests", "tokens", "discovery")


def discovery_record(request: Request) -> dict[str, Any]:
    """The Service Discovery document (wiki.open311.org/Service_Discovery: every field required)."""
    base = str(request.base_url).rstrip("/")
    changeset = _catalogue(request).version
    return {
        "changeset": changeset,
        "contact": "城市运行管理中心 / city operations centre: see the server's README, Open311 section",
        "key_service": "api_key: a token from `zhicheng token create --role operator` or the city's public "
                       "submission key (ZHICHENG_OPEN311_PUBLIC_KEY)",
        "endpoints": [{
            "specification": SPECIFICATION, "url": f"{base}/open311/v2", "changeset": changeset,
            "type": "production", "formats": list(MEDIA_TYPES),
        }],
    }


def _discovery_xml(record: dict[str, Any]) -> bytes:
    top = ET.Element("discovery")
    for key in ("changeset", "contact", "key_service"):
        ET.SubElement(top, key).text = record[key]
    endpoints = ET.SubElement(top, "endpoints")
    for e in record["endpoints"]:
        node = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            ET.SubElement(node, key).text = e[key]
        formats = ET.SubElement(node, "formats")
        for f in e["formats"]:
            ET.SubElement(formats, "format").text = f
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")


discovery_router = APIRouter(tags=["open311"])


@discovery_router.get("/open311/discovery.{fmt}", summary="Service Discovery")
@router.get("/discovery.{fmt}", summary="Service Discovery")
def get_discovery(fmt: str, request: Request) -> Response:
    """The Service Discovery file: specification, endpoint URL, changeset and formats."""
    if fmt not in FORMATS:
        return errors("json", 400, [f"format must be json or xml, got {fmt!r}"])
    record = discovery_record(request)
    if fmt == "xml":
        return Response(_discovery_xml(record), media_type="text/xml; charset=utf-8")
    return Response(_dumps(record), media_type="application/json; charset=utf-8")


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def malformed_path(rest: str) -> Response:
    """Any other path under the endpoint, in the standard's errors format.

    GeoReport v2, Errors: "The HTTP error codes should always be 404 for resources that don't
    exist [...] and basically 400 for any other error"; a known resource without its
    ``.<format>`` is such an other error ("400 - The URL request is invalid").
    """
    name = rest.split("/", 1)[0]
    if name in RESOURCES and "." not in rest.rsplit("/", 1)[-1]:
        return errors("json", 400, [f"the URL request is invalid: add the format, e.g. {rest}.json or {rest}.xml"])
    return errors("json", 404, [f"no resource {rest!r} on this Open311 endpoint"])
