"""Every operation of ``/openapi.json`` fuzzed by schemathesis: no input may cause a 5xx.

Generic over the whole schema (routers added later are covered without changes), bounded by a
number of examples per operation and a time budget for the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.cockpit.cockpit_workspace import add_live_data, build_workspace
from zhicheng.api import create_app
from zhicheng.auth import create_token
from zhicheng.store import init_store

#: Examples per operation and the budget for the whole run [s].
EXAMPLES = 30
BUDGET_SECONDS = 150.0


def test_no_operation_answers_5xx(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'fuzz.db'}")
    token = create_token(app.state.engine, "admin", "fuzzer")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    started = time.monotonic()
    tested: list[str] = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > BUDGET_SECONDS:
            break

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: {response.text[:300]}"
                )
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure before failing
            failures.append(f"{operation.label}: {exc}")
        tested.append(operation.label)
    app.state.engine.dispose()
    assert not failures, "\n".join(failures)
    assert any(label.startswith("GET /v1.1/{entity_set}") for label in tested)
    assert "GET /healthz" in tested


# --------------------------------------------------------------------------- the read surface's answers

#: The JSON read surface whose answers are checked against their response models.
READ_PREFIXES = ("/api/evaluation/", "/api/cockpit/")
#: Fuzzed examples per read operation (besides the known good requests below).
READ_EXAMPLES = 10


@pytest.fixture(scope="module")
def read_surface(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    """The app over eight real cities with one run, two air stations, events and an alert."""
    engine = init_store(f"sqlite:///{tmp_path_factory.mktemp('read') / 'store.db'}")
    built = build_workspace(engine)
    add_live_data(engine, datetime.now(UTC))
    app = create_app(engine)
    yield app, create_token(engine, "admin", "fuzzer"), built
    engine.dispose()


def known_requests(built: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Requests that answer 200 on the workspace, per operation (a unit, nodes of each level)."""
    unit, other = built["units"][0], built["units"][-1]
    nodes = ["D1", "D1.R1", "D1.R1.I1"]
    return {
        "GET /api/evaluation/runs": [{}],
        "GET /api/evaluation/ranking": [{}, {"query": {"code": "D3"}}, {"query": {"code": "D1.R1.I1", "lang": "en"}}],
        "GET /api/evaluation/nodes/{code}": [{"path_parameters": {"code": c}} for c in nodes]
        + [{"path_parameters": {"code": "D2"}, "query": {"unit": other, "lang": "en"}}],
        "GET /api/evaluation/units/{unit}": [{"path_parameters": {"unit": unit}},
                                             {"path_parameters": {"unit": other}, "query": {"lang": "en"}}],
        "GET /api/evaluation/indicators/{indicator_id}/values": [
            {"path_parameters": {"indicator_id": "D1.R1.I1"}},
            {"path_parameters": {"indicator_id": "D6.R2.I1"}, "query": {"unit": other, "lang": "en"}},
        ],
        "GET /api/cockpit/overview": [{}, {"query": {"unit": other, "lang": "en"}}],
        "GET /api/cockpit/geo": [{}],
        "GET /api/cockpit/live": [{}, {"query": {"lang": "en"}}],
        "GET /api/cockpit/access": [{}],
    }


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undeclared(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "") -> list[str]:
    """Keys of ``value`` its schema does not declare (an answer's shape must be described whole)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        options = [_resolve(s, root) for s in schema["anyOf"]]
        matching = [s for s in options if s.get("type") != "null"] if value is not None else []
        return undeclared(value, matching[0], root, where) if matching else []
    out: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                out.append(f"{where}.{key}")
            else:
                out += undeclared(item, schema["properties"][key], root, f"{where}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            out += undeclared(item, schema["additionalProperties"], root, f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value[:50]):
            out += undeclared(item, schema["items"], root, f"{where}[{i}]")
    return out


def test_read_answers_conform_to_their_response_models(read_surface: tuple[Any, str, dict[str, Any]]) -> None:
    app, token, built = read_surface
    auth = {"Authorization": f"Bearer {token}"}
    openapi = app.openapi()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    known = known_requests(built)
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures: list[str] = []
    tested: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" or not operation.path.startswith(READ_PREFIXES):
            continue
        tested.add(operation.label)
        model = openapi["paths"][operation.path]["get"]["responses"]["200"]["content"]
        (body_schema,) = [c["schema"] for c in model.values()]
        for request in known.get(operation.label, []):
            case = operation.Case(**request)
            response = case.call(headers=auth)
            if response.status_code != 200:
                failures.append(f"{operation.label} {request} -> {response.status_code}: {response.text[:200]}")
                continue
            try:
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group of failures
                failures.append(f"{operation.label} {request}: {exc}")
            failures += [f"{operation.label} {request}: undeclared {k}"
                         for k in undeclared(response.json(), body_schema, openapi)]

        @settings(max_examples=READ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.validate_response(case.call(headers=auth), checks=checks)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label} (fuzzed): {exc}")
    assert sorted(tested) == sorted(known)
    assert not failures, "\n".join(failures)


def test_an_empty_store_answers_conform_too(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'empty.db'}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    answered = []
    for label in ("GET /api/evaluation/runs", "GET /api/cockpit/overview", "GET /api/cockpit/geo",
                  "GET /api/cockpit/live"):
        case = schema[label.split()[1]]["GET"].Case()
        response = case.call()
        case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])
        answered.append(response.status_code)
    app.state.engine.dispose()
    assert answered == [200, 200, 200, 200]


def test_an_answer_off_its_model_is_refused(read_surface: tuple[Any, str, dict[str, Any]]) -> None:
    app, token, _ = read_surface
    openapi = app.openapi()
    model = openapi["paths"]["/api/cockpit/live"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    live = app.state.report_service.live() if hasattr(app.state, "report_service") else None
    answer = live or {"lang": "zh", "at": "now", "events": {"available": False},
                      "alerts": {"available": False}, "air": {"available": False, "stations": []}}
    assert undeclared(answer, model, openapi) == []
    assert undeclared({**answer, "weather": {}}, model, openapi) == [".weather"]
