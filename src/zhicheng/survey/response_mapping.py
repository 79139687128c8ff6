"""Response files' mapping files (YAML): which column answers which question on which scale, and the errors of a file and its mapping."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zhicheng.errors import Conflict, NotFound, Problem, ZhichengError
from zhicheng.goals.yamlread import read_located_yaml

#: Problems listed per column and reason before the rest are counted.
MAX_ROWS_PER_PROBLEM = 20
RESPONDENT_FIELDS = ("district", "age_band", "sex")


class ResponseError(ZhichengError):
    """A response file (or its mapping) is not acceptable; nothing was written."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        if message is None:
            files = sorted({p.file for p in problems if p.file})
            where = f" in {', '.join(files)}" if files else ""
            message = f"{len(problems)} problem(s){where}; nothing was written"
        super().__init__(message, problems)


class WaveNotFound(ResponseError, NotFound):
    """No survey wave with the given id."""


class WaveClosed(ResponseError, Conflict):
    """The wave is closed for submissions."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldMap(_Frozen):
    """Where a respondent field comes from and how its values are recoded (unlisted → missing)."""

    column: str
    values: dict[str, str | None] | None = None


class WaveMap(_Frozen):
    """The column whose values split the file into waves (each value is the wave's period)."""

    column: str
    label: str = "{period}"


class QuestionMap(_Frozen):
    """A source column answering one question on the scale ``low``..``high``."""

    column: str
    question: str
    low: float | None = None
    high: float | None = None
    reverse: bool | None = None
    #: How the question was asked: one text, or one per wave period (trends compare equal ones).
    asked_as: str | dict[str, str] | None = None


class ResponseMapping(_Frozen):
    """How an export's columns map to a questionnaire."""

    questionnaire: str = "citizen"
    respondent_id: str = "respondent_id"
    wave: WaveMap | None = None
    respondent: dict[str, FieldMap] = Field(default_factory=dict)
    questions: tuple[QuestionMap, ...] = ()
    #: Columns (or glob patterns) deliberately not mapped, with the reason.
    ignore: dict[str, str] = Field(default_factory=dict)
    source: str | None = None


def load_mapping(path: str | Path) -> ResponseMapping:
    """Read a response mapping (YAML); raise :class:`ResponseError` with located problems."""
    p = Path(path)
    problems: list[Problem] = []
    data = read_located_yaml(p.read_text(encoding="utf-8"), str(p), problems)
    if problems:
        raise ResponseError(problems)
    try:
        mapping = ResponseMapping.model_validate(data)
    except ValidationError as exc:
        raise ResponseError([
            Problem(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}", str(p)) for e in exc.errors()
        ]) from None
    bad = [k for k in mapping.respondent if k not in RESPONDENT_FIELDS]
    if bad:
        raise ResponseError([Problem(f"unknown respondent field {k!r}; use {', '.join(RESPONDENT_FIELDS)}", str(p))
                             for k in bad])
    return mapping
