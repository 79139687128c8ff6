"""Errors of the events service, each of a kind the server maps to its HTTP status."""

from __future__ import annotations

from zhicheng.errors import Conflict, Forbidden, Invalid, NotFound, ZhichengError


class EventError(ZhichengError):
    """A request the events service refuses (bad input unless a subclass says otherwise)."""


class EventNotFound(EventError, NotFound):
    """No event, token or service with the given id."""


class EventForbidden(EventError, Forbidden):
    """The caller's role may not do this (move events, submit requests)."""


class EventConflict(EventError, Conflict):
    """The event changed meanwhile (another writer moved it first)."""


class TransitionError(EventError):
    """A workflow transition the state machine refuses."""


class TransitionRefused(TransitionError, Conflict):
    """A move the state machine does not allow from the event's state (HTTP 409)."""


class UnknownState(TransitionError, Invalid):
    """A target state that does not exist (HTTP 400)."""


class CatalogueError(ZhichengError):
    """The service catalogue file is invalid."""
