"""The goal model: the seven goal domains, their requirements and measurable indicators.

Public API: the frozen models (:class:`Framework`, :class:`Domain`, :class:`Requirement`,
:class:`Indicator`, :class:`Grade`, :class:`Names`), :func:`load_framework` and
:func:`builtin_framework` to get one, :func:`framework_to_dict` for the JSON contract, and
:class:`FrameworkError` for invalid framework files.
"""

from zhicheng.goals.export import framework_to_dict, indicator_rows
from zhicheng.goals.loader import builtin_framework, load_framework
from zhicheng.goals.model import (
    Domain,
    Framework,
    FrameworkError,
    Grade,
    Indicator,
    Names,
    Requirement,
)

__all__ = [
    "Domain",
    "Framework",
    "FrameworkError",
    "Grade",
    "Indicator",
    "Names",
    "Requirement",
    "builtin_framework",
    "framework_to_dict",
    "indicator_rows",
    "load_framework",
]
