"""Error types shared by every layer.

Bad input never crashes and never half-writes: each layer raises a subclass of
:class:`ZhichengError` that carries every problem found, each located by file, row (or line),
column and reason, so the CLI can print them as clear lines and exit with status 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in an input: where it is and why it is wrong."""

    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class ZhichengError(Exception):
    """Base of every error the product raises on purpose (bad input, bad settings).

    What went wrong is said by the kind (:class:`Invalid`, :class:`NotFound`, :class:`Forbidden`,
    :class:`Conflict`, :class:`TooLarge`, :class:`Unsupported`, :class:`Unauthenticated`,
    :class:`NotAllowed`); the server maps each kind to its
    HTTP status in one place (:func:`zhicheng.api.errors.http_status`), an error of no kind is
    bad input. ``status`` (an HTTP status given by the raiser) is kept for older callers only:
    raise a kind instead.
    """

    status: int | None = None

    def __init__(
        self, message: str | None = None, problems: Iterable[Problem] = (), status: int | None = None
    ) -> None:
        self.problems: list[Problem] = list(problems)
        if status is not None:
            self.status = status
        if message is None:
            message = "; ".join(str(p) for p in self.problems) or "invalid input"
        super().__init__(message)

    def lines(self) -> list[str]:
        """The error as lines for a terminal: the message, then one line per problem."""
        if not self.problems:
            return [str(self)]
        head = str(self)
        body = [str(p) for p in self.problems]
        return body if head == "; ".join(body) else [head, *body]


class Invalid(ZhichengError):
    """Bad input: a malformed value, an unknown name, a rule the input breaks."""


class NotFound(ZhichengError):
    """The addressed thing (run, unit, entity, event, campaign …) does not exist."""


class Unauthenticated(ZhichengError):
    """The request needs credentials (a token) and came without valid ones."""


class Forbidden(ZhichengError):
    """The caller may not see or do this."""


class NotAllowed(ZhichengError):
    """The operation (an HTTP method) does not apply to the addressed resource."""


class Conflict(ZhichengError):
    """The request clashes with the current state (a workflow step not allowed, a changed row)."""


class TooLarge(Invalid):
    """The input is larger than the limit (a file, a body, too many files)."""


class Unsupported(Invalid):
    """The input is of a type that is not accepted (a file type, by its bytes)."""
