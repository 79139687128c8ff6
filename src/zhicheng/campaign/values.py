"""The values of a submission, checked against their indicator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from zhicheng.campaign.errors import CampaignError
from zhicheng.campaign.journal import MAX_ITEMS, Row
from zhicheng.campaign.models import SubmissionInput
from zhicheng.errors import Problem

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework, Indicator


def _finite(value: float | None, what: str, problems: list[Problem]) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(Problem(f"{what} must be a number", column=what))
        return None
    if not math.isfinite(number):
        problems.append(Problem(f"{what} must be a finite number", column=what))
        return None
    return number


def _checklist_fields(ind: Indicator, fw: Framework, data: SubmissionInput, problems: list[Problem]) -> float | None:
    """Check a checklist answer; the value derived from items met of items checked (for % units)."""
    met, total = data.items_met, data.items_total
    if data.maturity is not None and not 1 <= data.maturity <= len(fw.grades):
        problems.append(Problem(f"maturity level must be 1 … {len(fw.grades)}", column="maturity"))
    if (met is None) != (total is None):
        problems.append(Problem("give both items met and items checked", column="items_met"))
        return None
    if met is None or total is None:
        return None
    if not 0 <= met <= total <= MAX_ITEMS or total == 0:
        problems.append(Problem(f"items met ({met}) must lie between 0 and items checked ({total}), at most {MAX_ITEMS:,}",
                                column="items_met"))
        return None
    return 100.0 * met / total if ind.unit.strip() in {"%", "％"} else None


def checked_values(fw: Framework, data: SubmissionInput) -> dict[str, Any]:
    """The columns a submission stores, after checking them against its indicator.

    Raises
    ------
    CampaignError
        With every problem: a value that is not a finite number or lies outside the indicator's
        plausible range, checklist fields on a non-checklist indicator, a bad maturity level.
    """
    problems: list[Problem] = []
    ind = fw.indicator(data.indicator_id)
    value = _finite(data.value, "value", problems)
    if ind.kind == "checklist":
        derived = _checklist_fields(ind, fw, data, problems)
        if value is None:
            value = derived
        elif derived is not None and abs(derived - value) > 1e-9 * max(1.0, abs(value)):
            problems.append(Problem(f"value {value:g} differs from items met / items checked × 100 = {derived:g}",
                                    column="value"))
    elif any(v is not None for v in (data.answer, data.maturity, data.items_met, data.items_total)):
        problems.append(Problem(f"{ind.id} is not a checklist indicator: give a value only", column="answer"))
    if value is not None and ind.plausible is not None and not ind.plausible[0] <= value <= ind.plausible[1]:
        lo, hi = ind.plausible
        problems.append(Problem(f"{ind.id}: {value:g} {ind.unit} is outside the plausible range [{lo:g}, {hi:g}]",
                                column="value"))
    if problems:
        raise CampaignError(problems=problems)
    return {"value": value, "answer": (data.answer or "").strip() or None, "items_met": data.items_met,
            "items_total": data.items_total, "maturity": data.maturity,
            "comment": (data.comment or "").strip() or None}


def _ready_problems(ind: Indicator, sub: Row, evidence_count: int) -> list[Problem]:
    """What a submission still lacks before it can be handed in."""
    problems = []
    if sub["value"] is None:
        problems.append(Problem(f"{ind.id}: a value is needed", column="value"))
    if ind.kind == "checklist":
        if not sub["answer"]:
            problems.append(Problem(f"{ind.id}: the checklist answer is needed", column="answer"))
        if sub["maturity"] is None:
            problems.append(Problem(f"{ind.id}: the maturity level is needed", column="maturity"))
        if evidence_count == 0:
            problems.append(Problem(f"{ind.id}: checklist items need at least one evidence file", column="files"))
    return problems
