"""The period grammar: the forms a period of indicator values is written in.

One grammar for every place that takes a period of values: the intake (files), campaigns and the
store's keys. A period is a year ``2024``, a half-year ``2024H1``, a quarter ``2024Q2``, a month
``2024-06`` or a day ``2024-06-30``; it is kept as written.
"""

from __future__ import annotations

import re
from typing import Literal

#: A period of indicator values: YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn or YYYYHn.
PERIOD = re.compile(r"^\d{4}(-\d{2}|-\d{2}-\d{2}|Q[1-4]|H[12])?$")
#: The forms of :data:`PERIOD`, as said in error messages.
PERIOD_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn or YYYYHn"
#: What a period spans.
PeriodKind = Literal["year", "half", "quarter", "month", "day"]


def is_period(text: str) -> bool:
    """Whether ``text`` (surrounding blanks ignored) is a period in one of :data:`PERIOD_FORMS`."""
    return PERIOD.match(str(text).strip()) is not None


def period_kind(text: str) -> PeriodKind | None:
    """What the period ``text`` spans (a year, half-year, quarter, month or day); None when it is no period."""
    found = PERIOD.match(str(text).strip())
    if found is None:
        return None
    tail = found.group(1) or ""
    if not tail:
        return "year"
    if tail[0] == "H":
        return "half"
    if tail[0] == "Q":
        return "quarter"
    return "month" if len(tail) == 3 else "day"
