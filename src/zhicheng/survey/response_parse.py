"""Parsed responses: every cell of a response file validated with located errors, split into waves."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zhicheng.errors import Problem
from zhicheng.readers import ROW, ReadFailure, read_source
from zhicheng.survey.questionnaire import (
    Question,
    Questionnaire,
    builtin_questionnaire,
    load_questionnaire,
)
from zhicheng.survey.response_mapping import (
    MAX_ROWS_PER_PROBLEM,
    RESPONDENT_FIELDS,
    FieldMap,
    QuestionMap,
    ResponseError,
    ResponseMapping,
    load_mapping,
)


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
