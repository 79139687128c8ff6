"""The goal model: Framework → Domain → Requirement → Indicator, as frozen value objects.

The model is pure: it does no I/O. :mod:`zhicheng.goals.loader` reads framework files into it.
Cross-cutting rules (unique, nested ids; increasing grade thresholds) live in plain functions
(:func:`id_problems`, :func:`grade_problems`) so that the loader can run them on raw file content
and locate every problem by line, while models built in code are checked by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhicheng.errors import ZhichengError

#: Level names of the hierarchy, top-down, as used by :meth:`Framework.hierarchy`.
LEVELS = ("index", "domain", "requirement", "indicator")

DOMAIN_ID = re.compile(r"^D[1-9][0-9]*$")
REQUIREMENT_ID = re.compile(r"^D[1-9][0-9]*\.R[1-9][0-9]*$")
INDICATOR_ID = re.compile(r"^D[1-9][0-9]*\.R[1-9][0-9]*\.I[1-9][0-9]*$")
_ID_PATTERNS = {"domain": DOMAIN_ID, "requirement": REQUIREMENT_ID, "indicator": INDICATOR_ID}
_ID_EXAMPLES = {"domain": "D3", "requirement": "D3.R1", "indicator": "D3.R1.I2"}

Kind = Literal["statistic", "sensor", "event", "survey", "checklist"]
#: What an indicator is for: ``performance`` indicators are scored; ``context`` indicators (ageing,
#: urbanisation, population …) describe the city's situation or need, are shown beside the scores
#: and used as denominators, and are never scored.
Role = Literal["performance", "context"]


class FrameworkError(ZhichengError):
    """A framework file (or a framework built in code) is invalid; carries every located problem.

    Each problem's ``row`` is the line in the YAML file, so :meth:`lines` says "line".
    """

    def lines(self) -> list[str]:
        """The error as terminal lines: one located line per problem (``file, line N: reason``)."""
        if not self.problems:
            return [str(self)]
        out = [f"invalid framework: {len(self.problems)} problem(s)"]
        for p in self.problems:
            where = [str(p.file)] if p.file else []
            if p.row is not None:
                where.append(f"line {p.row}")
            prefix = ", ".join(where)
            out.append(f"{prefix}: {p.reason}" if prefix else p.reason)
        return out


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Frozen):
    """A name in Chinese (the default language) and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str = "zh") -> str:
        """The name in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh


def _check_range(value: tuple[float, float] | None, what: str) -> None:
    if value is not None and value[0] > value[1]:
        raise ValueError(f"{what} [{value[0]}, {value[1]}] has lo > hi")


class Indicator(_Frozen):
    """One measurable indicator: how to compute it, its unit, direction, target and sources.

    ``direction`` is +1 when higher is better and -1 when lower is better; ``band`` is an optional
    target band ``[lo, hi]`` (values inside it are on target). ``plausible`` is the range outside
    which a value is impossible or almost surely a data error (used by data intake to flag it).
    ``role`` says whether the indicator measures performance (scored) or context (shown, never
    scored).
    """

    id: str = Field(pattern=INDICATOR_ID.pattern)
    name: Names
    definition: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    direction: Literal[1, -1]
    kind: Kind
    role: Role = "performance"
    target: float | None = None
    band: tuple[float, float] | None = None
    weight: float = Field(default=1.0, gt=0)
    standards: tuple[str, ...] = ()
    plausible: tuple[float, float] | None = None
    aliases: tuple[str, ...] = ()
    source: str | None = None

    @model_validator(mode="after")
    def _ranges(self) -> Indicator:
        _check_range(self.band, "target band")
        _check_range(self.plausible, "plausible range")
        if self.plausible is not None and self.target is not None:
            lo, hi = self.plausible
            if not lo <= self.target <= hi:
                raise ValueError(
                    f"target {self.target} lies outside the plausible range [{lo}, {hi}]"
                )
        return self


class Requirement(_Frozen):
    """A requirement of a goal domain, measured by one or more indicators."""

    id: str = Field(pattern=REQUIREMENT_ID.pattern)
    name: Names
    weight: float = Field(default=1.0, gt=0)
    description: str | None = None
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Domain(_Frozen):
    """A goal domain (目标域) and its requirements."""

    id: str = Field(pattern=DOMAIN_ID.pattern)
    name: Names
    weight: float = Field(default=1.0, gt=0)
    description: str | None = None
    requirements: tuple[Requirement, ...] = Field(min_length=1)


class Grade(_Frozen):
    """A maturity grade: the index scores from ``min`` (inclusive) up to the next grade's ``min``."""

    level: int = Field(ge=1)
    name: Names
    min: float = Field(ge=0, le=100)


class IdProblem(NamedTuple):
    """A problem with one id: its position in the checked items, why, and the first use."""

    pos: int
    reason: str
    first: int | None = None


def id_problems(items: Sequence[tuple[str, str, str | None]]) -> list[IdProblem]:
    """Check ids for format, uniqueness and nesting under their parent's id.

    Parameters
    ----------
    items
        ``(level, id, parent_id)`` triples in file order; ``level`` is ``domain``,
        ``requirement`` or ``indicator`` and ``parent_id`` is None for domains.

    Returns
    -------
    list of IdProblem
        Empty when all ids are fine; a duplicate names the position of the first use.
    """
    problems: list[IdProblem] = []
    seen: dict[str, int] = {}
    malformed: set[str] = set()
    for pos, (level, ident, parent) in enumerate(items):
        if not _ID_PATTERNS[level].match(ident):
            malformed.add(ident)
            problems.append(IdProblem(
                pos, f"{level} id {ident!r} is malformed (expected like {_ID_EXAMPLES[level]!r})"
            ))
        elif parent is not None and parent not in malformed and ident.rsplit(".", 1)[0] != parent:
            problems.append(
                IdProblem(pos, f"{level} id {ident!r} is not nested under its parent {parent!r}")
            )
        if ident in seen:
            problems.append(IdProblem(pos, f"duplicate id {ident!r}", seen[ident]))
        else:
            seen[ident] = pos
    return problems


def grade_problems(grades: Sequence[tuple[int, float]]) -> list[tuple[int, str]]:
    """Check maturity grades: levels 1..n in order, thresholds strictly increasing, first at 0.

    Parameters
    ----------
    grades
        ``(level, min)`` pairs in file order; ``min`` on the 0–100 index [points].

    Returns
    -------
    list of (position in ``grades``, reason), empty when the grades are fine.
    """
    problems: list[tuple[int, str]] = []
    if not grades:
        return [(0, "no maturity grades given")]
    for pos, (level, low) in enumerate(grades):
        if level != pos + 1:
            problems.append((pos, f"levels must run 1, 2, 3… in order; found {level}"))
        if pos == 0 and low != 0:
            problems.append((pos, f"the first grade must start at 0, not {low:g}"))
        if pos > 0 and low <= grades[pos - 1][1]:
            problems.append((
                pos,
                f"thresholds must increase: {low:g} is not above {grades[pos - 1][1]:g}",
            ))
    return problems


class Framework(_Frozen):
    """A goal framework: domains with requirements and indicators, and the maturity grades."""

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    name: Names
    description: str | None = None
    source: str | None = None
    grades: tuple[Grade, ...] = Field(min_length=1)
    domains: tuple[Domain, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_checks(self) -> Framework:
        reasons = [p.reason for p in id_problems(list(self._id_items()))]
        reasons += [
            f"grade {self.grades[pos].level}: {r}"
            for pos, r in grade_problems([(g.level, g.min) for g in self.grades])
        ]
        if reasons:
            raise ValueError("; ".join(reasons))
        return self

    def _id_items(self) -> Iterator[tuple[str, str, str | None]]:
        for d in self.domains:
            yield "domain", d.id, None
            for r in d.requirements:
                yield "requirement", r.id, d.id
                for i in r.indicators:
                    yield "indicator", i.id, r.id

    def requirements(self) -> list[Requirement]:
        """All requirements, in order."""
        return [r for d in self.domains for r in d.requirements]

    def indicators(self) -> list[Indicator]:
        """All indicators, in order."""
        return [i for d in self.domains for r in d.requirements for i in r.indicators]

    def domain(self, ident: str) -> Domain:
        """The domain with id ``ident``; :class:`KeyError` when there is none."""
        for d in self.domains:
            if d.id == ident:
                return d
        raise KeyError(ident)

    def requirement(self, ident: str) -> Requirement:
        """The requirement with id ``ident``; :class:`KeyError` when there is none."""
        for r in self.requirements():
            if r.id == ident:
                return r
        raise KeyError(ident)

    def indicator(self, ident: str) -> Indicator:
        """The indicator with id ``ident``; :class:`KeyError` when there is none."""
        for i in self.indicators():
            if i.id == ident:
                return i
        raise KeyError(ident)

    def grade_for(self, score: float) -> Grade:
        """The maturity grade of an index ``score`` [0–100 points].

        A score belongs to the highest grade whose ``min`` it reaches; scores below the first
        threshold (impossible when it is 0) get the first grade.
        """
        found = self.grades[0]
        for g in self.grades:
            if score >= g.min:
                found = g
        return found

    def hierarchy(self) -> list[tuple[str, str | None, int, float]]:
        """The tree as plain rows ``(code, parent_code, level, weight)``, top-down.

        Level 0 is the index itself (code = the framework id, no parent, weight 1), level 1 the
        domains, 2 the requirements and 3 the indicators, in file order (parents before
        children), so the index engine can build its tree without knowing this model.
        """
        rows: list[tuple[str, str | None, int, float]] = [(self.id, None, 0, 1.0)]
        for d in self.domains:
            rows.append((d.id, self.id, 1, d.weight))
            for r in d.requirements:
                rows.append((r.id, d.id, 2, r.weight))
                rows.extend((i.id, r.id, 3, i.weight) for i in r.indicators)
        return rows
