"""Storing parsed responses: each wave, its respondents and answers, in one transaction."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import units
from zhicheng.store.schema_survey import (
    survey_answers,
    survey_questionnaires,
    survey_respondents,
    survey_wave_questions,
    survey_waves,
)
from zhicheng.survey.questionnaire import Questionnaire
from zhicheng.survey.response_mapping import RESPONDENT_FIELDS, ResponseError, ResponseMapping
from zhicheng.survey.response_parse import ParsedResponses, WaveData, parse_responses


@dataclass(frozen=True)
class IngestSummary:
    """What a response ingest wrote."""

    source: str
    wave_ids: tuple[int, ...]
    periods: tuple[str, ...]
    respondents: int
    answers: int
    unmapped: tuple[tuple[str, str], ...]


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def questionnaire_pk(conn: sa.Connection, questionnaire: Questionnaire) -> int:
    """The stored row of this questionnaire version (added when new)."""
    t = survey_questionnaires
    checksum = questionnaire.checksum()
    found = conn.execute(sa.select(t.c.id).where(
        t.c.questionnaire_id == questionnaire.id, t.c.version == questionnaire.version,
        t.c.checksum == checksum)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(t.insert().values(
        questionnaire_id=questionnaire.id, version=questionnaire.version, checksum=checksum,
        content=questionnaire.canonical(), created_at=datetime.now(UTC)).returning(t.c.id)).scalar_one())


def _store_problems(conn: sa.Connection, parsed: ParsedResponses, unit: str, period: str | None,
                    label: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if conn.execute(sa.select(units.c.code).where(units.c.code == unit)).scalar() is None:
        problems.append(Problem(f"unknown unit {unit!r}: add it to the store first", parsed.source))
    for w in parsed.waves:
        p = w.period or period
        lab = label or w.label or f"{parsed.questionnaire.id} {p}"
        if p is None:
            problems.append(Problem("the wave's period is not known: give --period", parsed.source))
            continue
        dup = conn.execute(sa.select(survey_waves.c.id).where(
            survey_waves.c.unit_code == unit, survey_waves.c.period == p, survey_waves.c.label == lab)).scalar()
        if dup is not None:
            problems.append(Problem(f"wave {lab!r} of {unit} {p} is already stored (wave {dup})", parsed.source))
    return problems


def store_wave(conn: sa.Connection, wave: WaveData, *, questionnaire: Questionnaire, unit: str,
               period: str, label: str, channel: str, source: str | None, checksum: str | None,
               by: str, status: str = "closed") -> int:
    """Write one wave (respondents, answers, how each question was asked) in the caller's transaction."""
    qpk = questionnaire_pk(conn, questionnaire)
    wave_id = int(conn.execute(survey_waves.insert().values(
        questionnaire_pk=qpk, unit_code=unit, period=period, label=label, channel=channel,
        status=status, source=source, checksum=checksum, created_by=by, created_at=datetime.now(UTC),
    ).returning(survey_waves.c.id)).scalar_one())
    if wave.questions:
        conn.execute(survey_wave_questions.insert(), [
            {"wave_id": wave_id, "question_id": q.question_id, "source_column": q.source_column,
             "scale_low": q.low, "scale_high": q.high, "reverse": q.reverse, "asked_as": q.asked_as[:200]}
            for q in wave.questions])
    resp = wave.respondents[["respondent_id", *RESPONDENT_FIELDS]].copy()
    resp["wave_id"] = wave_id
    resp["channel"] = channel
    bulk_insert(conn, survey_respondents, resp)
    ans = wave.answers[["respondent_id", "question_id", "value", "choice", "text"]].copy()
    ans["wave_id"] = wave_id
    bulk_insert(conn, survey_answers, ans)
    return wave_id


def ingest_responses(
    engine: Engine,
    path: str | Path,
    *,
    unit: str,
    period: str | None = None,
    label: str | None = None,
    mapping: ResponseMapping | str | Path | None = None,
    questionnaire: Questionnaire | None = None,
    ingested_by: str | None = None,
) -> IngestSummary:
    """Validate a response file and store every wave in it, all in one transaction.

    Raises
    ------
    ResponseError
        With every located problem; nothing is written.
    """
    parsed = parse_responses(path, mapping=mapping, questionnaire=questionnaire)
    by = ingested_by or _user()
    ids: list[int] = []
    periods: list[str] = []
    with engine.begin() as conn:
        problems = _store_problems(conn, parsed, unit, period, label)
        if problems:
            raise ResponseError(problems)
        for w in parsed.waves:
            p = str(w.period or period)
            lab = label or w.label or f"{parsed.questionnaire.id} {p}"
            ids.append(store_wave(conn, w, questionnaire=parsed.questionnaire, unit=unit, period=p,
                                  label=lab, channel="file", source=parsed.source[:500],
                                  checksum=parsed.checksum, by=by))
            periods.append(p)
    return IngestSummary(
        parsed.source, tuple(ids), tuple(periods),
        sum(len(w.respondents) for w in parsed.waves), sum(len(w.answers) for w in parsed.waves),
        parsed.unmapped,
    )
