"""Errors of the sensing services, each with the HTTP status it maps to."""

from __future__ import annotations

from zhicheng.errors import Problem, ZhichengError


class SensingError(ZhichengError):
    """A request the sensing services refuse; ``status`` is the matching HTTP status."""


class BadRequest(SensingError):
    """Malformed request: unknown field, wrong type, bad query option (HTTP 400)."""

    status = 400


class NotFound(SensingError):
    """The addressed entity or path does not exist (HTTP 404)."""

    status = 404


def bad(reason: str, column: str | None = None) -> BadRequest:
    """A :class:`BadRequest` with one located problem."""
    return BadRequest(problems=[Problem(reason, column=column)])
