"""The one error type of the composite-index engine."""

from __future__ import annotations

from collections.abc import Collection

from zhicheng.errors import Problem, ZhichengError


class IndexInputError(ZhichengError):
    """Bad data, metadata or settings given to the composite-index engine.

    Carries every :class:`~zhicheng.errors.Problem` found (row = unit code position, column =
    indicator code), so the CLI can print them all at once.
    """


def fail(reason: str, *, row: int | None = None, column: str | None = None,
         file: str | None = None) -> IndexInputError:
    """Build an :class:`IndexInputError` with one located problem (to ``raise``)."""
    return IndexInputError(problems=[Problem(reason, file=file, row=row, column=column)])


def known_method(name: str, prefix: str, methods: Collection[str], what: str) -> str:
    """A stage's method name without COINr's prefix (``a_``, ``i_``, ``n_``…), checked against ``methods``."""
    m = str(name).removeprefix(prefix)
    if m not in methods:
        raise IndexInputError(f"unknown {what} method {name!r}; use one of {list(methods)}")
    return m
