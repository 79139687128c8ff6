"""Survey responses: read CSV/XLSX exports, validate every cell with located errors, store in one transaction.

Two layouts are read:

* **native** — one row per respondent, a ``respondent_id`` column, the declared respondent fields
  (``district``, ``age_band``, ``sex``) and one column per question id; answers are the codes of
  the questionnaire (Likert 1..points, option codes, ``;``-separated for multiple choice);
* **mapped** — any export (e.g. a city's open-data file) with a mapping file (YAML) naming the
  respondent-id column, the column that splits the file into waves, how respondent fields are
  recoded, and which column answers which question on which scale. Columns that map to nothing are
  reported (with the mapping's reason when it gives one), never dropped silently.
"""

from __future__ import annotations

import fnmatch
import getpass
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine

from zhicheng.errors import Conflict, NotFound, Problem, ZhichengError
from zhicheng.goals.yamlread import read_located_yaml
from zhicheng.readers import ROW, ReadFailure, read_source
from zhicheng.store.bulk import bulk_insert
from zhicheng.store.schema import units
from zhicheng.store.schema_survey import (
    survey_answers,
    survey_questionnaires,
    survey_respondents,
    survey_wave_questions,
    survey_waves,
)
from zhicheng.survey.questionnaire import (
    Question,
    Questionnaire,
    builtin_questionnaire,
    load_questionnaire,
)

#: Problems listed per column and reason before the rest are counted.
MAX_ROWS_PER_PROBLEM = 20
RESPONDENT_FIELDS = ("district", "age_band", "sex")


class ResponseError(ZhichengError):
    """A response file (or its mapping) is not acceptable; nothing was written."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        if message is None:
            files = sorted({p.file for p in problems if p.file})
            where = f" in {', '.join(files)}" if files else ""
            message = f"{len(problems)} problem(s){where}; nothing was written"
        super().__init__(message, problems)


class WaveNotFound(ResponseError, NotFound):
    """No survey wave with the given id."""


class WaveClosed(ResponseError, Conflict):
    """The wave is closed for submissions."""


# --------------------------------------------------------------------------- mapping files


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldMap(_Frozen):
    """Where a respondent field comes from and how its values are recoded (unlisted → missing)."""

    column: str
    values: dict[str, str | None] | None = None


class WaveMap(_Frozen):
    """The column whose values split the file into waves (each value is the wave's period)."""

    column: str
    label: str = "{period}"


class QuestionMap(_Frozen):
    """A source column answering one question on the scale ``low``..``high``."""

    column: str
    question: str
    low: float | None = None
    high: float | None = None
    reverse: bool | None = None
    #: How the question was asked: one text, or one per wave period (trends compare equal ones).
    asked_as: str | dict[str, str] | None = None


class ResponseMapping(_Frozen):
    """How an export's columns map to a questionnaire."""

    questionnaire: str = "citizen"
    respondent_id: str = "respondent_id"
    wave: WaveMap | None = None
    respondent: dict[str, FieldMap] = Field(default_factory=dict)
    questions: tuple[QuestionMap, ...] = ()
    #: Columns (or glob patterns) deliberately not mapped, with the reason.
    ignore: dict[str, str] = Field(default_factory=dict)
    source: str | None = None


def load_mapping(path: str | Path) -> ResponseMapping:
    """Read a response mapping (YAML); raise :class:`ResponseError` with located problems."""
    p = Path(path)
    problems: list[Problem] = []
    data = read_located_yaml(p.read_text(encoding="utf-8"), str(p), problems)
    if problems:
        raise ResponseError(problems)
    try:
        mapping = ResponseMapping.model_validate(data)
    except ValidationError as exc:
        raise ResponseError([
            Problem(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}", str(p)) for e in exc.errors()
        ]) from None
    bad = [k for k in mapping.respondent if k not in RESPONDENT_FIELDS]
    if bad:
        raise ResponseError([Problem(f"unknown respondent field {k!r}; use {', '.join(RESPONDENT_FIELDS)}", str(p))
                             for k in bad])
    return mapping


# --------------------------------------------------------------------------- parsed responses


@dataclass(frozen=True)
class WaveQuestion:
    """How one question was asked in one wave."""

    question_id: str
    source_column: str
    low: float | None
    high: float | None
    reverse: bool
    asked_as: str


@dataclass(frozen=True)
class WaveData:
    """One wave's respondents and answers, validated and ready to store."""

    period: str | None
    label: str | None
    respondents: pd.DataFrame  # respondent_id, district, age_band, sex
    answers: pd.DataFrame  # respondent_id, question_id, value, choice, text
    questions: tuple[WaveQuestion, ...]


@dataclass(frozen=True)
class ParsedResponses:
    """A response file read and validated: its waves and what did not map."""

    source: str
    checksum: str
    questionnaire: Questionnaire
    waves: tuple[WaveData, ...]
    unmapped: tuple[tuple[str, str], ...] = ()
    rows: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _located(mask: pd.Series, frame: pd.DataFrame, file: str, column: str, reason: str) -> list[Problem]:
    """One problem per flagged row (at most :data:`MAX_ROWS_PER_PROBLEM`, then a count)."""
    rows = frame.loc[mask.to_numpy(), ROW].tolist()
    out = [Problem(reason, file, int(r), column) for r in rows[:MAX_ROWS_PER_PROBLEM]]
    if len(rows) > MAX_ROWS_PER_PROBLEM:
        out.append(Problem(f"{reason} — and {len(rows) - MAX_ROWS_PER_PROBLEM} more rows", file, None, column))
    return out


def _likert(text: pd.Series, q: Question, low: float, high: float, frame: pd.DataFrame,
            file: str, column: str) -> tuple[pd.Series, list[Problem]]:
    """Parse a Likert column; flag non-numbers and codes off the scale (whole points only)."""
    blank = text.str.strip() == ""
    num = pd.to_numeric(text.where(~blank), errors="coerce")
    problems = _located(~blank & num.isna(), frame, file, column, f"not a number (question {q.id!r})")
    off = num.notna() & ((num < low) | (num > high) | (num != np.round(num)))
    problems += _located(off, frame, file, column,
                         f"answer off the {low:g}–{high:g} scale of question {q.id!r} (whole points only)")
    return num.where(~off), problems


def _choices(text: pd.Series, q: Question, frame: pd.DataFrame, file: str, column: str) -> tuple[pd.Series, list[Problem]]:
    """Parse a single/multiple choice column against the question's option codes."""
    codes = {o.code for o in q.options}
    stripped = text.str.strip()
    parts = stripped.str.split(";")
    if q.type == "single":
        bad = (stripped != "") & ~stripped.isin(codes)
        reason = f"unknown option for question {q.id!r}; options are {', '.join(sorted(codes))}"
    else:
        each = parts.explode().str.strip()
        all_known = each.isin(codes).groupby(level=0).all().reindex(stripped.index, fill_value=True)
        bad = (stripped != "") & ~all_known
        reason = f"unknown option in a multiple choice of question {q.id!r}; options are {', '.join(sorted(codes))}"
    return stripped.where(stripped != ""), _located(bad, frame, file, column, reason)


def _answers(frame: pd.DataFrame, maps: list[QuestionMap], questionnaire: Questionnaire,
             file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Every mapped column parsed into long-form answers (respondent row, question, value/choice/text)."""
    problems: list[Problem] = []
    parts: list[pd.DataFrame] = []
    for m in maps:
        q = questionnaire.question(m.question)
        text = frame[m.column].astype(str)
        value = choice = free = None
        if q.type == "likert":
            low = m.low if m.low is not None else 1.0
            high = m.high if m.high is not None else float(q.points or 5)
            value, found = _likert(text, q, low, high, frame, file, m.column)
        elif q.type == "text":
            free, found = text.str.strip().where(text.str.strip() != ""), []
        else:
            choice, found = _choices(text, q, frame, file, m.column)
        problems += found
        col = value if value is not None else (choice if choice is not None else free)
        assert col is not None
        keep = col.notna().to_numpy()
        part = pd.DataFrame({
            "row": frame[ROW].to_numpy()[keep],
            "question_id": q.id,
            "value": value.to_numpy(dtype=float)[keep] if value is not None else np.nan,
            "choice": choice.to_numpy(dtype=object)[keep] if choice is not None else None,
            "text": free.to_numpy(dtype=object)[keep] if free is not None else None,
        })
        parts.append(part)
    cols = ["row", "question_id", "value", "choice", "text"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out, problems


def _respondents(frame: pd.DataFrame, mapping: ResponseMapping, questionnaire: Questionnaire,
                 file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Respondent ids and the declared respondent fields, recoded and checked."""
    problems: list[Problem] = []
    rid = frame[mapping.respondent_id].astype(str).str.strip()
    rid = rid.str.replace(r"\.0$", "", regex=True)
    problems += _located(rid == "", frame, file, mapping.respondent_id, "respondent id is empty")
    dup = rid.duplicated(keep="first") & (rid != "")
    if mapping.wave is not None:
        dup = pd.Series(list(zip(frame[mapping.wave.column].astype(str), rid, strict=True))).duplicated() & (rid != "")
    problems += _located(dup, frame, file, mapping.respondent_id, "duplicate respondent id")
    out = pd.DataFrame({"row": frame[ROW].to_numpy(), "respondent_id": rid.to_numpy()})
    for name in RESPONDENT_FIELDS:
        decl = questionnaire.respondent_field(name)
        fmap = mapping.respondent.get(name)
        if fmap is None:
            out[name] = None
            continue
        if decl is None:
            problems.append(Problem(f"questionnaire {questionnaire.id!r} does not collect {name!r}", file, None, fmap.column))
            continue
        text = frame[fmap.column].astype(str).str.strip()
        value = text.map(fmap.values) if fmap.values is not None else text.where(text != "")
        if decl.categories:
            bad = value.notna() & ~value.isin(decl.categories)
            problems += _located(bad, frame, file, fmap.column,
                                 f"{name} must be one of {', '.join(decl.categories)}")
        out[name] = value.where(value.notna(), None).to_numpy(dtype=object)
    return out, problems


def _native_mapping(frame: pd.DataFrame, questionnaire: Questionnaire, file: str) -> tuple[ResponseMapping, list[Problem]]:
    """The mapping a native-layout file implies; unknown columns are errors."""
    cols = [c for c in frame.columns if c != ROW]
    problems: list[Problem] = []
    if "respondent_id" not in cols:
        problems.append(Problem("missing column 'respondent_id'", file, 1, "respondent_id"))
    known = set(questionnaire.question_ids())
    for c in cols:
        if c not in known and c not in RESPONDENT_FIELDS and c != "respondent_id":
            problems.append(Problem(f"unknown question {c!r}: not in questionnaire "
                                    f"{questionnaire.id!r} v{questionnaire.version}", file, 1, c))
    mapping = ResponseMapping(
        questionnaire=questionnaire.id,
        respondent={f: FieldMap(column=f) for f in RESPONDENT_FIELDS if f in cols},
        questions=tuple(QuestionMap(column=c, question=c) for c in cols if c in known),
    )
    return mapping, problems


def _mapping_problems(frame: pd.DataFrame, mapping: ResponseMapping, questionnaire: Questionnaire,
                      file: str) -> list[Problem]:
    """Columns the mapping names but the file lacks, and questions the questionnaire lacks."""
    cols = set(frame.columns)
    needed = [mapping.respondent_id] + [f.column for f in mapping.respondent.values()]
    needed += [m.column for m in mapping.questions]
    if mapping.wave is not None:
        needed.append(mapping.wave.column)
    problems = [Problem(f"missing column {c!r} named by the mapping", file, 1, c)
                for c in dict.fromkeys(needed) if c not in cols]
    known = set(questionnaire.question_ids())
    problems += [Problem(f"mapping names unknown question {m.question!r}", file, None, m.column)
                 for m in mapping.questions if m.question not in known]
    return problems


def _unmapped(frame: pd.DataFrame, mapping: ResponseMapping) -> list[tuple[str, str]]:
    """Columns that answer no question, with the mapping's reason (or 'not mapped')."""
    used = {mapping.respondent_id, *(f.column for f in mapping.respondent.values()),
            *(m.column for m in mapping.questions)}
    if mapping.wave is not None:
        used.add(mapping.wave.column)
    out = []
    for c in frame.columns:
        if c == ROW or c in used:
            continue
        reason = next((r for pat, r in mapping.ignore.items() if fnmatch.fnmatchcase(c, pat)), None)
        out.append((c, reason or "not mapped (no question in the questionnaire)"))
    return out


def _asked_as(m: QuestionMap, q: Question, period: str | None, low: float | None, high: float | None,
              reverse: bool) -> str:
    """How a question was asked in a wave: the mapping's words, else the questionnaire's fingerprint."""
    text: str | None
    if isinstance(m.asked_as, dict):
        text = m.asked_as.get(str(period)) or m.asked_as.get("default")
    else:
        text = m.asked_as
    scale = f"{low:g}-{high:g}{' reversed' if reverse else ''}" if low is not None and high is not None else q.type
    if not text:
        # Mapped export columns are identified by the column; native files by the question's wording.
        text = f"column {m.column}" if m.column != q.id else f"wording {q.fingerprint()}"
    return f"{text} [{scale}]"


def _wave_data(period: str | None, label: str | None, resp: pd.DataFrame, answers: pd.DataFrame,
               mapping: ResponseMapping, questionnaire: Questionnaire) -> WaveData:
    """Split-out data of one wave, with the questions actually asked (answered at least once)."""
    rows = set(resp["row"].tolist())
    ans = answers[answers["row"].isin(rows)]
    ans = ans.merge(resp[["row", "respondent_id"]], on="row").drop(columns="row")
    asked = set(ans["question_id"].unique().tolist())
    wq = []
    for m in mapping.questions:
        if m.question not in asked:
            continue
        q = questionnaire.question(m.question)
        likert = q.type == "likert"
        low = (m.low if m.low is not None else 1.0) if likert else None
        high = (m.high if m.high is not None else float(q.points or 5)) if likert else None
        rev = (m.reverse if m.reverse is not None else q.reverse) if likert else False
        wq.append(WaveQuestion(q.id, m.column, low, high, rev, _asked_as(m, q, period, low, high, rev)))
    return WaveData(period, label, resp.drop(columns="row").reset_index(drop=True),
                    ans.reset_index(drop=True), tuple(wq))


def _resolve_questionnaire(mapping: ResponseMapping | None, questionnaire: Questionnaire | None) -> Questionnaire:
    if questionnaire is not None:
        return questionnaire
    name = mapping.questionnaire if mapping is not None else "citizen"
    path = Path(name)
    return load_questionnaire(path) if path.suffix in {".yaml", ".yml"} else builtin_questionnaire(name)


def parse_responses(
    path: str | Path,
    *,
    mapping: ResponseMapping | str | Path | None = None,
    questionnaire: Questionnaire | None = None,
) -> ParsedResponses:
    """Read and validate a response file; raise :class:`ResponseError` listing every located problem.

    Problems refused: unreadable or empty files, missing respondent-id column, empty or duplicate
    respondent ids, unknown question columns (native layout), columns named by the mapping but
    absent, non-numeric or off-scale Likert answers, unknown choice options, respondent fields
    outside the questionnaire's declared categories.
    """
    file = str(path)
    try:
        source = read_source(Path(path))
    except ReadFailure as exc:
        raise ResponseError([exc.problem]) from None
    m = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    qn = _resolve_questionnaire(m, questionnaire)
    frame = source.frame
    if m is None:
        m, problems = _native_mapping(frame, qn, file)
    else:
        problems = _mapping_problems(frame, m, qn, file)
    if problems:
        raise ResponseError(problems)
    resp, problems = _respondents(frame, m, qn, file)
    answers, found = _answers(frame, list(m.questions), qn, file)
    problems += found
    if problems:
        raise ResponseError(problems)
    waves: list[WaveData] = []
    if m.wave is None:
        waves.append(_wave_data(None, None, resp, answers, m, qn))
    else:
        keys = frame[m.wave.column].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        for period in sorted(keys.unique().tolist()):
            sel = (keys == period).to_numpy()
            waves.append(_wave_data(period, m.wave.label.format(period=period), resp[sel], answers, m, qn))
    digest = hashlib.sha256(source.raw + json.dumps(m.model_dump(), sort_keys=True).encode()).hexdigest()
    return ParsedResponses(file, digest, qn, tuple(waves), tuple(_unmapped(frame, m)), len(frame))


# --------------------------------------------------------------------------- storing


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


# --------------------------------------------------------------------------- online waves


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
