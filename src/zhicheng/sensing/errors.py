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


class Unauthorized(SensingError, kinds.Unauthenticated):
    """A write without a valid token (HTTP 401)."""


class Forbidden(SensingError, kinds.Forbidden):
    """A token whose role may not do this (HTTP 403)."""


class NotAllowed(SensingError, kinds.NotAllowed):
    """A method that does not apply to the addressed resource (HTTP 405)."""
