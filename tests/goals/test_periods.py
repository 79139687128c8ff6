"""The one period grammar shared by the intake and campaigns."""

from __future__ import annotations

import pytest

from zhicheng.goals.periods import PERIOD_FORMS, is_period, period_kind


@pytest.mark.parametrize("text", ["2024", "2024-06", "2024-06-30", "2024Q2", "2024H1", " 2024Q4 "])
def test_every_form_is_a_period(text: str) -> None:
    assert is_period(text)


@pytest.mark.parametrize("text", ["24", "2024-6", "2024/06", "2024Q5", "2024H3", "2024-06-30T00:00", "", "二〇二四"])
def test_other_text_is_not_a_period(text: str) -> None:
    assert not is_period(text)


def test_the_forms_are_named_for_messages() -> None:
    assert PERIOD_FORMS == "YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn or YYYYHn"


@pytest.mark.parametrize(("text", "kind"), [
    ("2024", "year"), ("2024H2", "half"), ("2024Q3", "quarter"), ("2024-06", "month"), ("2024-06-30", "day"),
    ("2024/06", None), ("", None),
])
def test_a_period_says_what_it_spans(text: str, kind: str | None) -> None:
    assert period_kind(text) == kind
