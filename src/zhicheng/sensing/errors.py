"""Errors of the sensing services, each of a kind the server maps to its HTTP status."""

from __future__ import annotations

from zhicheng import errors as kinds
from zhicheng.errors import Problem, ZhichengError


class SensingError(ZhichengError):
    """A request the sensing services refuse."""


class BadRequest(SensingError, kinds.Invalid):
    """Malformed request: unknown field, wrong type, bad query option (HTTP 400)."""


class NotFound(SensingError, kinds.NotFound):
    """The addressed entity or path does not exist (HTTP 404)."""


class Conflict(SensingError, kinds.Conflict):
    """The entity is not as the request expects (a failed JSON Patch ``test``; HTTP 409)."""


def bad(reason: str, column: str | None = None) -> BadRequest:
    """A :class:`BadRequest` with one located problem."""
    return BadRequest(problems=[Problem(reason, column=column)])


class Unauthorized(SensingError):
    """A write without a token (HTTP 401)."""

    status = 401


class Forbidden(SensingError):
    """A token whose role may not do this (HTTP 403)."""

    status = 403


class Conflict(SensingError):
    """A JSON Patch ``test`` that failed, or a write that contradicts the store (HTTP 409)."""

    status = 409
