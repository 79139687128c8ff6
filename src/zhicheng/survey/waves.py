"""Online waves: create, open and close a wave, and store one respondent's submission."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.readers import ROW
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema_survey import (
    survey_answers,
    survey_questionnaires,
    survey_respondents,
    survey_wave_questions,
    survey_waves,
)
from zhicheng.survey.questionnaire import Questionnaire
from zhicheng.survey.response_mapping import (
    RESPONDENT_FIELDS,
    QuestionMap,
    ResponseError,
    WaveClosed,
    WaveNotFound,
)
from zhicheng.survey.response_parse import (
    ParsedResponses,
    WaveData,
    _answers,
    _asked_as,
    _native_mapping,
    _respondents,
)
from zhicheng.survey.response_store import _store_problems, store_wave


def read_wave_questionnaire(conn: sa.Connection, wave_id: int) -> Questionnaire:
    """The questionnaire version a stored wave used."""
    content = conn.execute(
        sa.select(survey_questionnaires.c.content)
        .join(survey_waves, survey_waves.c.questionnaire_pk == survey_questionnaires.c.id)
        .where(survey_waves.c.id == wave_id)).scalar()
    if content is None:
        raise WaveNotFound([Problem(f"no survey wave {wave_id}")], f"no survey wave {wave_id}")
    return Questionnaire.model_validate(json.loads(content))


def create_online_wave(engine: Engine, *, unit: str, period: str, label: str,
                       questionnaire: Questionnaire, by: str) -> int:
    """Open a wave that takes public submissions (channel ``online``, status ``open``)."""
    empty = WaveData(period, label, pd.DataFrame(columns=["respondent_id", *RESPONDENT_FIELDS]),
                     pd.DataFrame(columns=["respondent_id", "question_id", "value", "choice", "text"]), ())
    with engine.begin() as conn:
        problems = _store_problems(conn, ParsedResponses("online", "", questionnaire, (empty,)), unit, period, label)
        if problems:
            raise ResponseError(problems, "; ".join(p.reason for p in problems))
        return store_wave(conn, empty, questionnaire=questionnaire, unit=unit, period=period, label=label,
                          channel="online", source=None, checksum=None, by=by, status="open")


def set_wave_status(engine: Engine, wave_id: int, status: str) -> None:
    """Open or close a wave for public submissions."""
    if status not in ("open", "closed"):
        raise ResponseError([Problem("status must be 'open' or 'closed'")], "status must be 'open' or 'closed'")
    with engine.begin() as conn:
        done = conn.execute(survey_waves.update().where(survey_waves.c.id == wave_id).values(status=status)).rowcount
    if not done:
        raise WaveNotFound([Problem(f"no survey wave {wave_id}")], f"no survey wave {wave_id}")


def _submission_frame(questionnaire: Questionnaire, respondent: dict[str, str | None],
                      answers: dict[str, object]) -> pd.DataFrame:
    """A public submission as a one-row native-layout table of text cells."""
    row: dict[str, str] = {"respondent_id": "web"}
    for k, r in respondent.items():
        row[k] = "" if r is None else str(r)
    for k, v in answers.items():
        if isinstance(v, list | tuple):  # multiple choice
            row[k] = ";".join(str(x) for x in v)
        else:
            row[k] = "" if v is None else str(v)
    frame = pd.DataFrame([row], dtype=str)
    frame[ROW] = [1]
    return frame


def submit_response(engine: Engine, wave_id: int, *, respondent: dict[str, str | None],
                    answers: dict[str, object]) -> str:
    """Store one public submission in an open online wave; return its receipt (a random id).

    The submission is checked exactly like a file row (scales, options, declared categories);
    respondent fields the questionnaire does not declare are refused. Nothing else about the
    respondent is stored.
    """
    with engine.connect() as conn:
        wave = conn.execute(sa.select(survey_waves).where(survey_waves.c.id == wave_id)).mappings().first()
        if wave is None:
            raise WaveNotFound([Problem(f"no survey wave {wave_id}")], f"no survey wave {wave_id}")
        qn = read_wave_questionnaire(conn, wave_id)
    if wave["status"] != "open":
        raise WaveClosed([Problem(f"wave {wave_id} is closed")], f"wave {wave_id} is closed for submissions")
    problems = [Problem(f"the questionnaire does not collect {k!r}", "submission", None, k)
                for k in respondent if qn.respondent_field(k) is None]
    problems += [Problem(f"required question {q.id!r} is not answered", "submission", None, q.id)
                 for q in qn.questions if q.required and answers.get(q.id) in (None, "", [])]
    frame = _submission_frame(qn, respondent, answers)
    mapping, found = _native_mapping(frame, qn, "submission")
    problems += found
    if problems:
        raise ResponseError(problems)
    resp, problems = _respondents(frame, mapping, qn, "submission")
    ans, found = _answers(frame, list(mapping.questions), qn, "submission")
    problems += found
    if problems:
        raise ResponseError(problems)
    receipt = uuid.uuid4().hex
    resp["respondent_id"] = receipt
    ans = ans.merge(resp[["row", "respondent_id"]], on="row").drop(columns="row")
    _store_submission(engine, wave_id, qn, resp.drop(columns="row"), ans)
    return receipt


def _store_submission(engine: Engine, wave_id: int, qn: Questionnaire, resp: pd.DataFrame,
                      ans: pd.DataFrame) -> None:
    with engine.begin() as conn:
        have = set(conn.execute(sa.select(survey_wave_questions.c.question_id)
                                .where(survey_wave_questions.c.wave_id == wave_id)).scalars())
        new_q = [q for q in qn.questions if q.id in set(ans["question_id"]) and q.id not in have]
        if new_q:
            conn.execute(survey_wave_questions.insert(), [
                {"wave_id": wave_id, "question_id": q.id, "source_column": None,
                 "scale_low": 1.0 if q.type == "likert" else None,
                 "scale_high": float(q.points) if q.type == "likert" and q.points else None,
                 "reverse": q.reverse,
                 "asked_as": _asked_as(QuestionMap(column=q.id, question=q.id), q, None,
                                       1.0 if q.type == "likert" else None,
                                       float(q.points) if q.type == "likert" and q.points else None, q.reverse)}
                for q in new_q])
        row = resp.iloc[0]
        conn.execute(survey_respondents.insert().values(
            wave_id=wave_id, respondent_id=row["respondent_id"], channel="online", submitted_at=datetime.now(UTC),
            **{f: (None if pd.isna(row[f]) else str(row[f])) for f in RESPONDENT_FIELDS}))
        if not ans.empty:
            out = ans[["respondent_id", "question_id", "value", "choice", "text"]].copy()
            out["wave_id"] = wave_id
            bulk_insert(conn, survey_answers, out)
