"""Questionnaires as data: bilingual, versioned, each question tied to a goal-model requirement or indicator.

A questionnaire file (YAML) declares the personal data it collects (``respondent``: only the fields
used for weighting, such as district, age band and sex) and its questions: Likert scales (3 to 11
points, 5 and 7 being usual; ``reverse: true`` when the first code is the best answer), single
and multiple choice, and free text. Questions that measure satisfaction carry ``target``: the id of
the requirement (``D7.R2``) or indicator (``D7.R2.I1``) they inform.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zhicheng.errors import Problem, ZhichengError
from zhicheng.goals.yamlread import LDict, LList, read_located_yaml

BUILTIN = Path(__file__).with_name("questionnaires")

QuestionType = Literal["likert", "single", "multiple", "text"]
TARGET_ID = re.compile(r"^D[1-9][0-9]*(\.R[1-9][0-9]*(\.I[1-9][0-9]*)?)?$")


class QuestionnaireError(ZhichengError):
    """A questionnaire file is invalid; carries every located problem."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A text in Chinese (default) and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str = "zh") -> str:
        """The text in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh


class Option(_Frozen):
    """One answer option of a choice question."""

    code: str = Field(min_length=1, max_length=32)
    label: Text


class RespondentField(_Frozen):
    """A declared piece of personal data (used for weighting) and its allowed categories."""

    id: Literal["district", "age_band", "sex"]
    label: Text
    #: Allowed categories; empty means free text (e.g. district names of the city).
    categories: tuple[str, ...] = ()


class Question(_Frozen):
    """One question of a questionnaire."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    text: Text
    type: QuestionType
    #: Number of points of a Likert scale, answered with codes 1..points.
    points: int | None = Field(default=None, ge=3, le=11)
    #: True when code 1 is the best answer (e.g. "not concerned … very concerned").
    reverse: bool = False
    labels: tuple[Text, ...] = ()
    options: tuple[Option, ...] = ()
    #: Requirement or indicator of the goal model the question informs.
    target: str | None = Field(default=None, pattern=TARGET_ID.pattern)
    #: Name of the multi-item scale the question belongs to (for Cronbach's alpha).
    scale: str | None = None
    #: How the targeted indicator's value is computed: the 0–100 ``index`` of the mean answer, or
    #: ``top_box``, the share of answers in the best two points [%] ("satisfied or very satisfied").
    statistic: Literal["index", "top_box"] = "index"
    required: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type == "likert":
            if self.points is None:
                raise ValueError("a likert question needs 'points'")
            if self.labels and len(self.labels) != self.points:
                raise ValueError(f"{len(self.labels)} labels given for a {self.points}-point scale")
            if self.options:
                raise ValueError("a likert question has labels, not options")
        else:
            if self.points is not None or self.reverse:
                raise ValueError(f"a {self.type} question has no 'points' or 'reverse'")
            if self.type in ("single", "multiple") and len(self.options) < 2:
                raise ValueError(f"a {self.type} question needs at least 2 options")
            if self.type == "text" and self.options:
                raise ValueError("a text question has no options")
            if self.target is not None:
                raise ValueError("only likert questions can feed a requirement or indicator")
        codes = [o.code for o in self.options]
        if len(set(codes)) != len(codes):
            raise ValueError("option codes must be unique")
        return self

    def domain(self) -> str | None:
        """The goal domain of the question's target (``D7`` for ``D7.R2.I1``)."""
        return self.target.split(".")[0] if self.target else None

    def requirement(self) -> str | None:
        """The requirement of the question's target, when it names one."""
        if self.target is None or ".R" not in self.target:
            return None
        return ".".join(self.target.split(".")[:2])

    def fingerprint(self) -> str:
        """How the question is asked (text, type, scale): trends compare only equal fingerprints."""
        body = json.dumps(
            {"text": self.text.model_dump(), "type": self.type, "points": self.points,
             "reverse": self.reverse, "options": [o.code for o in self.options]},
            sort_keys=True, ensure_ascii=False,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]


class Questionnaire(_Frozen):
    """A versioned questionnaire."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    version: str = Field(min_length=1, max_length=32)
    title: Text
    description: Text | None = None
    respondent: tuple[RespondentField, ...] = ()
    #: Indicator fed by the mean index of every targeted (satisfaction) question, if any.
    overall: str | None = Field(default=None, pattern=TARGET_ID.pattern)
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Questionnaire:
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate question ids: {', '.join(dup)}")
        fields = [f.id for f in self.respondent]
        if len(set(fields)) != len(fields):
            raise ValueError("each respondent field may be declared once")
        return self

    def question(self, ident: str) -> Question:
        """The question with id ``ident``; :class:`KeyError` when there is none."""
        for q in self.questions:
            if q.id == ident:
                return q
        raise KeyError(ident)

    def question_ids(self) -> list[str]:
        """Question ids in order."""
        return [q.id for q in self.questions]

    def respondent_field(self, ident: str) -> RespondentField | None:
        """The declared respondent field ``ident`` or None when the questionnaire does not collect it."""
        return next((f for f in self.respondent if f.id == ident), None)

    def canonical(self) -> str:
        """The questionnaire as canonical JSON (stored with each wave)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)

    def checksum(self) -> str:
        """SHA-256 of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def target_problems(self, known_ids: set[str]) -> list[str]:
        """Question targets that are not ids of the given goal framework."""
        out = [f"question {q.id!r}: target {q.target!r} is not in the goal framework"
               for q in self.questions if q.target and q.target not in known_ids]
        if self.overall and self.overall not in known_ids:
            out.append(f"overall indicator {self.overall!r} is not in the goal framework")
        return out


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """The YAML line of the value at pydantic location ``loc`` (deepest one found)."""
    line: int | None = data.where[1] if isinstance(data, LDict | LList) else None
    node = data
    for part in loc:
        if isinstance(node, LDict) and part in node:
            line = node.key_where[part][1]
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and part < len(node):
            line = node.item_where[part][1]
            node = node[part]
        else:
            break
    return line


def parse_questionnaire(text: str, file_name: str) -> Questionnaire:
    """Parse and validate a questionnaire document; raise :class:`QuestionnaireError` with every problem."""
    problems: list[Problem] = []
    data = read_located_yaml(text, file_name, problems)
    if problems:
        raise QuestionnaireError(problems=problems)
    if not isinstance(data, dict):
        raise QuestionnaireError(problems=[Problem("a questionnaire must be a YAML mapping", file_name, 1)])
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            where = ".".join(str(p) for p in loc)
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(Problem(f"{where}: {msg}" if where else msg, file_name, _line_of(data, loc)))
        raise QuestionnaireError(problems=problems) from None


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read a questionnaire file (YAML)."""
    p = Path(path)
    return parse_questionnaire(p.read_text(encoding="utf-8"), str(p))


@cache
def builtin_questionnaire(name: str = "citizen") -> Questionnaire:
    """A questionnaire shipped with the product (``citizen``: all seven domains, citizen's side)."""
    path = BUILTIN / f"{name}.yaml"
    if not path.is_file():
        raise QuestionnaireError(f"no built-in questionnaire {name!r}")
    return load_questionnaire(path)
