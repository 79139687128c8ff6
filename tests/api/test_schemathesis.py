"""Every operation of ``/openapi.json`` fuzzed by schemathesis: no input may cause a 5xx.

Generic over the whole schema (routers added later are covered without changes), bounded by a
number of examples per operation and a time budget for the whole run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from zhicheng.api import create_app
from zhicheng.auth import create_token

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
