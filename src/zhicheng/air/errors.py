"""The error raised for bad air-quality input."""

from __future__ import annotations

from zhicheng.errors import Problem, ZhichengError

__all__ = ["AirInputError", "Problem"]


class AirInputError(ZhichengError):
    """Bad air-quality input: each problem names its row and column where it has one."""
