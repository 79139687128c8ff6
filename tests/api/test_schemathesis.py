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
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.support.campaign_scenario import CampaignScenario, make_campaign_scenario
from tests.support.cockpit_workspace import add_live_data, build_workspace
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


Known = dict[str, list[dict[str, Any]]]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _json_schema(openapi: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    """The JSON schema of the success answer of an operation (None: not a JSON answer)."""
    responses = openapi["paths"][path][method.lower()]["responses"]
    ok = next((r for code, r in responses.items() if code in ("200", "201")), {})
    content = ok.get("content", {})
    found = [c["schema"] for media, c in content.items() if media.endswith("json") and c.get("schema")]
    return found[0] if found else None


def conformance_failures(app: Any, prefixes: tuple[str, ...], known: Known, auth: dict[str, str],
                         who: dict[str, dict[str, str]] | None = None) -> tuple[set[str], list[str]]:
    """Known requests, then fuzzed ones (reads first, writes last), checked against the schema.

    Every known request must answer 200 or 201 and its answer must declare every key it has.
    Returns the operations checked and the failures found.
    """
    openapi = app.openapi()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(prefixes) and _json_schema(openapi, operation.path, operation.method):
            operations.append(operation)
    failures: list[str] = []
    for operation in operations:
        body_schema = _json_schema(openapi, operation.path, operation.method)
        assert body_schema is not None
        for request in known.get(operation.label, []):
            request = dict(request)
            headers = (who or {}).get(request.pop("who", ""), auth)
            case = operation.Case(**request)
            response = case.call(headers=headers)
            if response.status_code not in (200, 201):
                failures.append(f"{operation.label} {request} -> {response.status_code}: {response.text[:200]}")
                continue
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group of failures
                failures.append(f"{operation.label} {request}: {exc}")
            failures += [f"{operation.label} {request}: undeclared {k}"
                         for k in undeclared(response.json(), body_schema, openapi)]
    for operation in sorted(operations, key=lambda o: o.method.upper() != "GET"):

        @settings(max_examples=READ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.validate_response(case.call(headers=auth), checks=CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label} (fuzzed): {exc}")
    return {o.label for o in operations}, failures


def test_read_answers_conform_to_their_response_models(read_surface: tuple[Any, str, dict[str, Any]]) -> None:
    app, token, built = read_surface
    known = known_requests(built)
    tested, failures = conformance_failures(app, READ_PREFIXES, known, {"Authorization": f"Bearer {token}"})
    assert sorted(tested) == sorted(known)
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def campaign_surface(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, CampaignScenario]]:
    """A campaign in every state (approved, returned, submitted, draft) and a run over it."""
    folder = tmp_path_factory.mktemp("campaign")
    app = create_app(f"sqlite:///{folder / 'store.db'}")
    with TestClient(app) as client:
        yield app, make_campaign_scenario(client, folder)
    app.state.engine.dispose()


def campaign_requests(sc: CampaignScenario) -> Known:
    """Requests that answer 200 (201) in the campaign scenario, each made by the person it is for."""
    cid = {"cid": sc.campaign_id}
    new = {"name": "下一轮自评", "period": "2025-06-30", "deadline": "2099-06-30", "units": ["440103"]}
    return {
        "GET /api/campaigns": [{"who": "rita"}],
        "POST /api/campaigns": [{"who": "rita", "body": new, "media_type": "application/json"}],
        "GET /api/campaigns/mine": [{"who": "alice"}, {"who": "bob", "query": {"lang": "en"}}],
        "GET /api/campaigns/notifications": [{"who": "alice"}, {"who": "rita"}],
        "GET /api/campaigns/{cid}": [{"who": "rita", "path_parameters": cid},
                                     {"who": "bob", "path_parameters": cid, "query": {"lang": "en"}}],
        "GET /api/campaigns/{cid}/progress": [{"who": "rita", "path_parameters": cid},
                                              {"who": "alice", "path_parameters": cid}],
        "GET /api/campaigns/{cid}/provenance": [{"who": "rita", "path_parameters": cid,
                                                 "query": {"run": sc.run_id}}],
        "GET /api/campaigns/{cid}/submissions": [{"who": "rita", "path_parameters": cid},
                                                 {"who": "alice", "path_parameters": cid,
                                                  "query": {"status": "returned"}}],
        "GET /api/campaigns/{cid}/submissions/{sid}": [
            {"who": "rita", "path_parameters": {**cid, "sid": sid}} for sid in sc.submissions.values()],
    }


def test_campaign_answers_conform_to_their_response_models(campaign_surface: tuple[Any, CampaignScenario]) -> None:
    app, sc = campaign_surface
    known = campaign_requests(sc)
    who = {name: sc.headers(name) for name in sc.tokens}
    tested, failures = conformance_failures(app, ("/api/campaigns",), known, sc.headers("rita"), who)
    assert set(known) <= tested
    assert "POST /api/campaigns/{cid}/approve" in tested
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
