"""The event workflow: sense → predict → handle → rectify as a state machine.

States (监测感知 → 事件预判 → 事件处置 → 事件整改)::

    submitted → accepted → dispatched → in_progress → resolved → closed
         ↘ rejected ↙          ↺ (re-dispatch)            ↘ reopened ↙
                                                      closed/rejected → reopened

``submitted`` (registered), ``accepted`` (verified and predicted), ``dispatched`` (sent to a
department and grid cell), ``in_progress`` (being handled), ``resolved`` (handled, awaiting
verification), ``closed`` (rectification verified), ``rejected`` (not actionable, duplicate,
out of scope), ``reopened`` (the problem came back or the fix was not accepted).
"""

from __future__ import annotations

from typing import Final

from zhicheng.events.errors import TransitionRefused, UnknownState

STATES: Final = (
    "submitted", "accepted", "dispatched", "in_progress", "resolved", "closed", "rejected", "reopened",
)

#: Allowed moves: state → states it may go to.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "submitted": ("accepted", "rejected"),
    "accepted": ("dispatched", "rejected"),
    "dispatched": ("in_progress", "dispatched", "rejected"),
    "in_progress": ("resolved", "dispatched"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "rejected": ("reopened",),
    "reopened": ("accepted", "dispatched", "rejected"),
}

#: Roles that may move events (``admin`` may do everything).
TRANSITION_ROLES: Final = ("operator", "admin")

#: States Open311 reports as ``open``; the rest are ``closed``.
OPEN_STATES: Final = ("submitted", "accepted", "dispatched", "in_progress", "reopened")
CLOSED_STATES: Final = ("resolved", "closed", "rejected")

#: Words shown in Open311 ``status_notes`` and on screens (zh, en).
STATE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "submitted": ("已登记", "submitted"),
    "accepted": ("已受理", "accepted"),
    "dispatched": ("已派遣", "dispatched"),
    "in_progress": ("处置中", "in progress"),
    "resolved": ("已处置待核查", "resolved, awaiting verification"),
    "closed": ("已结案", "closed"),
    "rejected": ("不予受理", "rejected"),
    "reopened": ("已重新打开", "reopened"),
}

SOURCES: Final = ("citizen", "sensor", "inspector")


def open311_status(state: str) -> str:
    """Open311 ``status`` (``open`` or ``closed``) of a workflow state."""
    return "open" if state in OPEN_STATES else "closed"


def states_for_open311(status: str) -> tuple[str, ...]:
    """Workflow states behind an Open311 ``status`` value (``open`` or ``closed``)."""
    if status == "open":
        return OPEN_STATES
    if status == "closed":
        return CLOSED_STATES
    raise ValueError(status)


def check_transition(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless ``current`` → ``target`` is allowed."""
    if target not in STATES:
        raise UnknownState(f"unknown state {target!r}; states are {', '.join(STATES)}")
    allowed = TRANSITIONS.get(current, ())
    if target not in allowed:
        choices = ", ".join(allowed) or "none"
        raise TransitionRefused(f"cannot move an event from {current} to {target}; allowed: {choices}")
