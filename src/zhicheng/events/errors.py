"""Errors of the events service: each carries the HTTP status an API answers with."""

from __future__ import annotations

from zhicheng.errors import ZhichengError


class EventError(ZhichengError):
    """A request the events service refuses; ``status`` is the HTTP status to answer with."""


class EventNotFound(EventError):
    """No event, token or service with the given id."""

    status = 404


class TransitionError(EventError):
    """A workflow transition that the state machine does not allow (HTTP 409)."""

    status = 409


class CatalogueError(ZhichengError):
    """The service catalogue file is invalid."""
