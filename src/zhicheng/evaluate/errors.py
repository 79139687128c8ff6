"""Errors of the intake and evaluation services."""

from __future__ import annotations

from collections.abc import Iterable

from zhicheng.errors import Problem, ZhichengError

#: At most this many problems are listed one by one; the rest are counted in a last line.
MAX_LISTED = 500


class IngestError(ZhichengError):
    """An input file (or its mapping) is not acceptable; nothing was written.

    Carries every problem found, each located by file, row, column and reason.
    """

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        found = list(problems)
        listed = found[:MAX_LISTED]
        if len(found) > MAX_LISTED:
            listed.append(Problem(f"… and {len(found) - MAX_LISTED} more problems not listed"))
        if message is None:
            files = sorted({p.file for p in found if p.file})
            where = f" in {', '.join(files)}" if files else ""
            message = f"{len(found)} problem(s){where}; nothing was written"
        super().__init__(message, listed)
        self.total = len(found)


class EvaluationError(ZhichengError):
    """An evaluation cannot run as asked (no data, unknown units, bad method configuration)."""
