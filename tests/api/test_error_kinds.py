"""Errors by kind: the server maps each kind to its HTTP status in one place, services pass no statuses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_layers import SERVICES, SRC
from zhicheng.api.errors import http_status
from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
    EvidenceRefused,
    EvidenceTooLarge,
)
from zhicheng.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    Unsupported,
    ZhichengError,
)
from zhicheng.events.errors import (
    EventConflict,
    EventForbidden,
    EventNotFound,
    TransitionRefused,
    UnknownState,
)
from zhicheng.sensing import errors as sensing
from zhicheng.views import ReportNotFound


@pytest.mark.parametrize(("error", "status"), [
    (ZhichengError("no kind"), 400),
    (Invalid("bad"), 400),
    (NotFound("gone"), 404),
    (Forbidden("no"), 403),
    (Conflict("clash"), 409),
    (TooLarge("big"), 413),
    (Unsupported("type"), 415),
    (CampaignError("bad"), 400),
    (CampaignNotFound("gone"), 404),
    (CampaignForbidden("no"), 403),
    (CampaignConflict("draft"), 409),
    (EvidenceRefused("type"), 415),
    (EvidenceTooLarge("big"), 413),
    (EventNotFound("gone"), 404),
    (EventForbidden("role"), 403),
    (EventConflict("moved"), 409),
    (TransitionRefused("not allowed"), 409),
    (UnknownState("no state"), 400),
    (sensing.BadRequest("bad"), 400),
    (sensing.NotFound("gone"), 404),
    (sensing.Conflict("test failed"), 409),
    (ReportNotFound("no run"), 404),
    (ZhichengError("older raiser", status=418), 418),  # the older status= argument still holds
])
def test_every_kind_has_its_status(error: ZhichengError, status: int) -> None:
    assert http_status(error) == status


def test_service_errors_are_of_their_kind() -> None:
    assert isinstance(EvidenceTooLarge("x"), Unsupported | TooLarge) and isinstance(EvidenceTooLarge("x"), TooLarge)
    assert isinstance(CampaignNotFound("x"), CampaignError) and isinstance(CampaignNotFound("x"), NotFound)
    assert not isinstance(TransitionRefused("x"), Invalid)
    assert not isinstance(UnknownState("x"), Conflict)


def _status_arguments(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and any(k.arg == "status" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, int)
                    and k.value.value >= 400 for k in node.keywords)]


def test_no_service_passes_an_http_status() -> None:
    found = {str(p.relative_to(SRC)): lines for pkg in SERVICES for p in sorted((SRC / "zhicheng" / pkg).rglob("*.py"))
             if (lines := _status_arguments(p))}
    assert found == {}


def test_the_status_check_sees_a_status_argument(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    raise EventError('x', status=403)\n", encoding="utf-8")
    assert _status_arguments(module) == [2]
