"""Fuzzing that sees the bodies (issue 14, finding 7): the SensorThings and Open311 writes fuzzed
by schemathesis with their real request schemas (generated from the entity model, the GeoReport
form), a fixed seed and a bounded number of examples: no body may cause a 5xx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.sta_helpers import station_body
from zhicheng.api import create_app
from zhicheng.auth import create_token

#: Examples per operation (fixed seed: the same bodies on every run).
EXAMPLES = 25
WRITES = ("POST /v1.1/{entity_set}", "POST /v1.1/CreateObservations", "PATCH /v1.1/{entity_set}({entity_id})",
          "PUT /v1.1/{entity_set}({entity_id})", "POST /v1.1/{entity_set}({entity_id})/{segment}",
          "POST /v1.1/$batch", "POST /open311/v2/requests.{fmt}")


def test_the_request_schemas_are_real(tmp_path: Path) -> None:
    openapi = create_app(f"sqlite:///{tmp_path / 's.db'}").openapi()
    create = openapi["paths"]["/v1.1/{entity_set}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    titles = {s["title"]: s for s in create["anyOf"]}
    assert {"Thing", "Datastream", "Observation", "FeatureOfInterest"} <= set(titles)
    assert set(titles["Datastream"]["required"]) >= {"name", "unitOfMeasurement", "observationType", "Sensor"}
    form = openapi["paths"]["/open311/v2/requests.{fmt}"]["post"]["requestBody"]["content"]
    assert form["application/x-www-form-urlencoded"]["schema"]["required"] == ["api_key", "service_code"]


def test_no_write_body_answers_5xx(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'fuzz.db'}")
    token = create_token(app.state.engine, "admin", "fuzzer")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seeded = schema["/v1.1/{entity_set}"]["POST"].Case(path_parameters={"entity_set": "Things"}, body=station_body("Dongsi"),
                                                      media_type="application/json")
    assert seeded.call(headers={"Authorization": f"Bearer {token}"}).status_code == 201  # something to change
    failures: list[str] = []
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in WRITES:
            continue
        fuzzed.append(operation.label)

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {str(case.body)[:200]} -> "
                                f"{response.status_code}: {response.text[:200]}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure before failing
            failures.append(f"{operation.label}: {str(exc)[:500]}")
    app.state.engine.dispose()
    assert sorted(fuzzed) == sorted(WRITES)
    assert not failures, "\n".join(failures)
