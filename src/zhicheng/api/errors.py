"""The HTTP status of every error kind: the one place where the server maps errors to statuses."""

from __future__ import annotations

from zhicheng.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotAllowed,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unsupported,
    ZhichengError,
)

#: Kinds and their statuses, most specific first (a kind's subclass before the kind).
STATUS_OF_KIND: tuple[tuple[type[ZhichengError], int], ...] = (
    (TooLarge, 413),
    (Unsupported, 415),
    (Invalid, 400),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Unauthenticated, 401),
    (NotAllowed, 405),
)


def http_status(exc: ZhichengError) -> int:
    """The HTTP status the server answers ``exc`` with: by its kind; 400 for an error of no kind.

    A status given by the raiser (the older ``status=`` argument) is kept.
    """
    if exc.status is not None:
        return int(exc.status)
    for kind, status in STATUS_OF_KIND:
        if isinstance(exc, kind):
            return status
    return 400
