"""What every CLI command shares: consoles and the one way errors are shown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from zhicheng.errors import ZhichengError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

console = Console()
err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")

#: The ``--db`` option every command that touches the store takes.
DbOption = Annotated[
    str | None, typer.Option("--db", help="Store: SQLite path or postgresql+psycopg:// URL [env ZHICHENG_DB]")
]


def store_location(db: str | None) -> str:
    """The store a command works on: ``--db`` when given, else the ``ZHICHENG_DB`` setting."""
    if db:
        return db
    from zhicheng.settings import Settings

    return Settings().db


def init_store(target: str) -> Engine:
    """The store at ``target``, migrated to head (SQLAlchemy and Alembic load only when a command needs them)."""
    from zhicheng.store import init_store as open_store

    return open_store(target)


#: Exit status for bad input or bad settings (a usage-type error, as click uses 2).
EXIT_BAD_INPUT = 2


def fail(lines: list[str]) -> typer.Exit:
    """Print ``lines`` as a clear error on stderr and return the exit to raise."""
    for i, line in enumerate(lines):
        err_console.print(("error: " if i == 0 else "  ") + line, markup=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`ZhichengError` into located lines on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ZhichengError as exc:
            raise fail(exc.lines()) from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise fail([f"{exc.filename}: {exc.strerror}"]) from None

    return wrapper
