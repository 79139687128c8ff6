"""Value objects of campaigns: who acts, what is assigned, what a department submits."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

#: The states of a submission, in workflow order.
Status = Literal["draft", "submitted", "returned", "resubmitted", "approved"]
STATUSES: tuple[str, ...] = ("draft", "submitted", "returned", "resubmitted", "approved")
#: States in which the department may still change the value and the evidence.
EDITABLE = frozenset({"draft", "returned"})
#: States waiting for a reviewer.
REVIEWABLE = frozenset({"submitted", "resubmitted"})
#: States that count as handed in (not overdue after the deadline).
HANDED_IN = frozenset({"submitted", "resubmitted", "approved"})
#: History actions that make someone an author of a submission (who may then not review it).
AUTHOR_ACTIONS = ("create", "save", "submit", "resubmit", "evidence_add", "evidence_remove")
#: Reviewing roles (``admin`` holds every role).
REVIEW_ROLES = frozenset({"reviewer", "admin"})
#: Roles that fill in submissions for their department.
SUBMIT_ROLES = frozenset({"analyst", "admin"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Date-only deadlines end at midnight China Standard Time (UTC+8), where campaigns are run.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Actor:
    """Who acts: a token's name, role and department (the CLI acts as ``admin``)."""

    name: str
    role: str | None
    department: str | None = None

    @property
    def reviews(self) -> bool:
        """True for reviewers and admins."""
        return self.role in REVIEW_ROLES

    @property
    def submits(self) -> bool:
        """True for analysts and admins."""
        return self.role in SUBMIT_ROLES

    @property
    def is_admin(self) -> bool:
        """True for admins."""
        return self.role == "admin"


@dataclass(frozen=True)
class AssignmentSpec:
    """One indicator given to one department, optionally to named analysts of it."""

    indicator_id: str
    department: str
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubmissionInput:
    """What a department enters for one indicator and unit.

    ``value`` is in the indicator's unit. Checklist indicators also take an ``answer`` (what is in
    place), the checklist ``items_met`` of ``items_total`` (from which a % value is derived when
    no value is given) and the ``maturity`` level claimed (1 … number of framework grades).
    """

    indicator_id: str
    unit_code: str
    value: float | None = None
    answer: str | None = None
    items_met: int | None = None
    items_total: int | None = None
    maturity: int | None = None
    comment: str | None = None


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timezone-aware UTC datetime (SQLite hands back naive ones, which are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def parse_deadline(text: str | dt.datetime | dt.date) -> dt.datetime:
    """A deadline from an ISO date or datetime; a date means the end of that day (UTC+8).

    Raises
    ------
    ValueError
        When the text is neither an ISO date nor an ISO datetime.
    """
    if isinstance(text, dt.datetime):
        value = text
    elif isinstance(text, dt.date):
        value = dt.datetime.combine(text + dt.timedelta(days=1), dt.time(), CHINA_TIME)
    elif _DATE.match(text.strip()):
        day = dt.date.fromisoformat(text.strip())
        value = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CHINA_TIME)
    else:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TIME)
    return value.astimezone(dt.UTC)
