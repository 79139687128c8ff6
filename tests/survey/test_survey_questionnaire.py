"""Questionnaires: the built-in citizen questionnaire against the goal model; located file errors."""

from __future__ import annotations

import pytest

from zhicheng.goals import builtin_framework
from zhicheng.survey.questionnaire import (
    QuestionnaireError,
    builtin_questionnaire,
    parse_questionnaire,
)


def test_builtin_questionnaire_covers_seven_domains_and_targets_exist() -> None:
    qn = builtin_questionnaire("citizen")
    fw = builtin_framework()
    ids = {d.id for d in fw.domains} | {r.id for r in fw.requirements()} | {i.id for i in fw.indicators()}
    assert qn.target_problems(ids) == []
    assert {q.domain() for q in qn.questions if q.target} == {f"D{i}" for i in range(1, 8)}
    # questions aimed at an indicator aim at a survey indicator; so does the overall score
    kinds = {i.id: i.kind for i in fw.indicators()}
    indicator_targets = {q.target for q in qn.questions if q.target and ".I" in q.target}
    assert indicator_targets and all(kinds[t] == "survey" for t in indicator_targets)
    assert qn.overall is not None and kinds[qn.overall] == "survey"
    # bilingual, versioned, likert 3/5 points, choice and free-text questions present
    assert qn.version == "1.0" and qn.title.zh and qn.title.en
    assert {q.type for q in qn.questions} == {"likert", "single", "multiple", "text"}
    assert {q.points for q in qn.questions if q.type == "likert"} == {3, 5}
    assert all(q.reverse for q in qn.questions if q.points == 3)
    assert [f.id for f in qn.respondent] == ["district", "age_band", "sex"]


def test_fingerprint_changes_with_wording_or_scale() -> None:
    qn = builtin_questionnaire()
    q = qn.question("police")
    assert q.fingerprint() == q.model_copy().fingerprint()
    assert q.fingerprint() != q.model_copy(update={"points": 7}).fingerprint()


BAD = """\
id: test
version: "1"
title: {zh: 测试, en: Test}
questions:
  - id: a
    text: {zh: 甲, en: A}
    type: likert
  - id: b
    text: {zh: 乙, en: B}
    type: likert
    points: 5
    target: X9
  - id: c
    text: {zh: 丙, en: C}
    type: single
    options:
      - {code: x, label: {zh: 叉, en: X}}
"""


def test_bad_questionnaire_reports_every_problem_with_its_line() -> None:
    with pytest.raises(QuestionnaireError) as err:
        parse_questionnaire(BAD, "bad.yaml")
    found = {(p.row, p.reason.split(":")[0]) for p in err.value.problems}
    assert (5, "questions.0") in found  # likert without points, at the item's line
    assert (12, "questions.1.target") in found  # malformed target id, at its line
    assert (13, "questions.2") in found  # single choice with one option
    assert all(p.file == "bad.yaml" for p in err.value.problems)


def test_duplicate_yaml_key_is_located() -> None:
    with pytest.raises(QuestionnaireError) as err:
        parse_questionnaire("id: a\nid: b\n", "dup.yaml")
    assert err.value.problems[0].row == 2 and "duplicate key" in err.value.problems[0].reason
