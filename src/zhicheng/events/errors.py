"""Errors of the events service: each carries the HTTP status an API answers with."""

from __future__ import annotations

from collections.abc import Iterable

from zhicheng.errors import Problem, ZhichengError


class EventError(ZhichengError):
    """A request the events service refuses; ``status`` is the HTTP status to answer with."""

    status: int = 400

    def __init__(self, message: str | None = None, problems: Iterable[Problem] = (), status: int | None = None) -> None:
        super().__init__(message, problems)
        if status is not None:
            self.status = status


class EventNotFound(EventError):
    """No event, token or service with the given id."""

    status = 404


class TransitionError(EventError):
    """A workflow transition that the state machine does not allow (HTTP 409)."""

    status = 409


class CatalogueError(ZhichengError):
    """The service catalogue file is invalid."""
