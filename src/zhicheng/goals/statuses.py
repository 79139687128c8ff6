"""The words of an evaluation's statuses: why a unit is (not) ranked, why a node is (not) graded.

Shared by the evaluation service, which writes them into ``evaluation_results``, and the read
models, which show them; codes are stored, labels (zh-CN first) are shown.
"""

from __future__ import annotations

#: ``rank_status`` of a unit's rows, and of an indicator not scored for the ranking.
RANKED, INSUFFICIENT, SOLE_UNIT = "ranked", "insufficient_data", "sole_unit"
NOT_COMMON, CONTEXT = "not_in_common_set", "context"
#: ``grade_status``.
GRADED, NO_EVIDENCE, NOT_SCORED = "graded", "insufficient_evidence", "not_scored"

#: Labels of the statuses and of the reasons a unit is not in a run: (zh, en).
STATUS_LABELS = {
    RANKED: ("参与排名", "ranked"),
    INSUFFICIENT: ("数据不足,未排名", "not ranked: too little data"),
    SOLE_UNIT: ("单独分组,未排名", "not ranked: alone in its comparison group"),
    NOT_COMMON: ("不在共同指标集", "not in the common indicator set"),
    CONTEXT: ("背景指标,不计分", "context indicator, not scored"),
    GRADED: ("已定级", "graded"),
    NO_EVIDENCE: ("证据不足", "insufficient evidence"),
    NOT_SCORED: ("未计分", "not scored"),
    "other_level": ("层级不同", "other level"),
    "no_data": ("无数据", "no data"),
}


def status_label(status: object, lang: str = "zh") -> str:
    """A status in words (``lang`` zh or en); an unknown status as itself, an empty one as ``–``."""
    if not isinstance(status, str) or not status:
        return "–"
    zh, en = STATUS_LABELS.get(status, (status, status))
    return en if lang == "en" else zh
