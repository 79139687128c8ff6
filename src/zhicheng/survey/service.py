"""Survey service: weights, satisfaction indices per question, requirement and domain, trends, indicators fed.

Reads waves from the store, weights them to the unit's population margins (raking) when the store
has margins for the unit (else the results are unweighted and labelled so), and computes the
statistics with the pure core (:mod:`zhicheng.survey.stats`, :mod:`zhicheng.survey.weighting`).
"""

from __future__ import annotations

import getpass
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem, ZhichengError
from zhicheng.store.schema import indicator_values, units
from zhicheng.store.schema_survey import (
    survey_answers,
    survey_margins,
    survey_respondents,
    survey_wave_questions,
    survey_waves,
)
from zhicheng.store.values import batch_with_checksum, new_batch, write_values
from zhicheng.survey.questionnaire import Questionnaire
from zhicheng.survey.responses import RESPONDENT_FIELDS, read_wave_questionnaire
from zhicheng.survey.stats import (
    MIN_ANSWERS,
    Scale,
    combine_indices,
    cronbach_alpha,
    satisfaction_indices,
    weighted_means,
)
from zhicheng.survey.weighting import (
    SHARE_SUM_TOL,
    RakeResult,
    dimensions_from_margins,
    kish_design_effect,
    rake,
)

Z95 = 1.959963984540054


class SurveyError(ZhichengError):
    """A survey request cannot be served (unknown wave, bad margins file)."""


# --------------------------------------------------------------------------- margins


def load_margins(engine: Engine, path: str | Path) -> int:
    """Store population margins from a CSV (unit, dimension, category, share, source); one transaction.

    A unit's margins for a dimension replace any stored before. Shares of each (unit, dimension)
    must sum to 1.

    Returns
    -------
    int
        The number of margin rows stored.
    """
    file = str(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems: list[Problem] = []
    need = ["unit", "dimension", "category", "share", "source"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise SurveyError(problems=[Problem(f"missing column {c!r}", file, 1, c) for c in missing])
    share = pd.to_numeric(frame["share"], errors="coerce")
    for i in np.flatnonzero(share.isna() | (share < 0) | (share > 1)):
        problems.append(Problem("share must be a number from 0 to 1", file, int(i) + 2, "share"))
    for i in np.flatnonzero(~frame["dimension"].isin(RESPONDENT_FIELDS)):
        problems.append(Problem(f"dimension must be one of {', '.join(RESPONDENT_FIELDS)}", file, int(i) + 2, "dimension"))
    frame = frame.assign(share=share)
    sums = frame.groupby(["unit", "dimension"], as_index=False)["share"].sum()
    for unit, dim, total in zip(sums["unit"], sums["dimension"], sums["share"], strict=True):
        if abs(float(total) - 1.0) > SHARE_SUM_TOL:
            problems.append(Problem(f"shares of {unit} / {dim} sum to {float(total):.4f}, not 1", file))
    with engine.begin() as conn:
        known = set(conn.execute(sa.select(units.c.code)).scalars())
        for u in sorted(set(frame["unit"]) - known):
            problems.append(Problem(f"unknown unit {u!r}", file, None, "unit"))
        if problems:
            raise SurveyError(problems=problems)
        for unit, dim in zip(sums["unit"], sums["dimension"], strict=True):
            conn.execute(survey_margins.delete().where(survey_margins.c.unit_code == unit,
                                                       survey_margins.c.dimension == dim))
        conn.execute(survey_margins.insert(), [
            {"unit_code": r.unit, "dimension": r.dimension, "category": r.category,
             "share": float(str(r.share)), "source": str(r.source)[:500]} for r in frame.itertuples()])
    return len(frame)


def read_margins(conn: sa.Connection, unit: str) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The unit's margins ``{dimension: {category: share}}`` and their cited sources."""
    rows = conn.execute(sa.select(survey_margins).where(survey_margins.c.unit_code == unit)
                        .order_by(survey_margins.c.dimension, survey_margins.c.category)).mappings().all()
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        out.setdefault(r["dimension"], {})[r["category"]] = float(r["share"])
    return out, sorted({r["source"] for r in rows})


# --------------------------------------------------------------------------- reading a wave


@dataclass(frozen=True)
class WaveData:
    """A stored wave as arrays: respondents, Likert answers (respondents × questions), question scales."""

    wave: dict[str, object]
    questionnaire: Questionnaire
    respondents: pd.DataFrame
    values: pd.DataFrame
    questions: pd.DataFrame


def _wave_row(conn: sa.Connection, wave_id: int) -> dict[str, object]:
    row = conn.execute(sa.select(survey_waves).where(survey_waves.c.id == wave_id)).mappings().first()
    if row is None:
        raise SurveyError(f"no survey wave {wave_id}")
    return dict(row)


def _frame(conn: sa.Connection, stmt: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame built column-wise (no per-row inspection by pandas)."""
    rows = conn.execute(stmt).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame({name: list(col) for name, col in zip(columns, cols, strict=True)}, columns=columns)


def read_wave(conn: sa.Connection, wave_id: int, questions: list[str] | None = None) -> WaveData:
    """Load one wave: the questionnaire version it used, respondents and the Likert answer matrix.

    ``questions`` limits the answers read to those questions (all Likert questions by default).
    """
    wave = _wave_row(conn, wave_id)
    qn = read_wave_questionnaire(conn, wave_id)
    resp = _frame(conn, sa.select(survey_respondents.c.respondent_id,
                                  *(survey_respondents.c[f] for f in RESPONDENT_FIELDS))
                  .where(survey_respondents.c.wave_id == wave_id).order_by(survey_respondents.c.respondent_id),
                  ["respondent_id", *RESPONDENT_FIELDS])
    wq = pd.DataFrame(conn.execute(
        sa.select(survey_wave_questions).where(survey_wave_questions.c.wave_id == wave_id)
    ).mappings().all())
    likert = [q.id for q in qn.questions if q.type == "likert"]
    if questions is not None:
        likert = [q for q in likert if q in questions]
    if not wq.empty:
        wq = wq[wq["question_id"].isin(likert)]
        order = {q: i for i, q in enumerate(likert)}
        wq = wq.assign(_o=wq["question_id"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    ans = _frame(conn, sa.select(survey_answers.c.respondent_id, survey_answers.c.question_id,
                                 survey_answers.c.value)
                 .where(survey_answers.c.wave_id == wave_id, survey_answers.c.value.is_not(None),
                        survey_answers.c.question_id.in_(likert)),
                 ["respondent_id", "question_id", "value"])
    qids = wq["question_id"].tolist() if not wq.empty else []
    values = ans.pivot(index="respondent_id", columns="question_id", values="value") if not ans.empty \
        else pd.DataFrame()
    values = values.reindex(index=resp["respondent_id"], columns=qids).astype(float)
    return WaveData(wave, qn, resp, values, wq)


# --------------------------------------------------------------------------- weighting and summaries


@dataclass(frozen=True)
class Weighting:
    """Respondent weights and how they were made (a label for every published figure)."""

    weights: np.ndarray
    label: str
    weighted: bool
    dimensions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    rake: RakeResult | None = None
    deff_kish: float = 1.0


def make_weights(respondents: pd.DataFrame, margins: dict[str, dict[str, float]],
                 sources: list[str] | None = None) -> Weighting:
    """Rake the respondents to ``margins``; equal weights labelled 'unweighted' when there are none."""
    n = len(respondents)
    dims = dimensions_from_margins({c: respondents[c].to_numpy(dtype=object) for c in respondents.columns},
                                   margins) if margins else []
    if not dims:
        why = "no population margins for this unit" if not margins else \
            "no respondent gave a category the margins cover"
        return Weighting(np.ones(n), f"unweighted ({why}); results describe the respondents only", False)
    result = rake(dims)
    names = tuple(d.name for d in dims)
    label = (f"weighted: raked to {', '.join(names)}"
             + (f" ({'; '.join(sources)})" if sources else "")
             + ("" if result.converged else f"; raking stopped after {result.iterations} passes"))
    return Weighting(result.weights, label, True, names, tuple(sources or ()), result,
                     kish_design_effect(result.weights))


def top_box_matrix(values: np.ndarray, scales: list[Scale]) -> np.ndarray:
    """1 where an answer is in the best box of its scale (best two points from 5 points up), else 0.

    The weighted mean of this matrix is the share of satisfied respondents ("top-two box").
    """
    lo = np.array([s.low for s in scales])
    hi = np.array([s.high for s in scales])
    rev = np.array([s.reverse for s in scales])
    width = np.where(hi - lo + 1 >= 5, 2, 1)
    with np.errstate(invalid="ignore"):
        good = np.where(rev, values <= lo + width - 1, values >= hi - width + 1)
    return np.where(np.isnan(values), np.nan, good.astype(float))


def summarise(values: np.ndarray, weights: np.ndarray | None, scales: list[Scale]) -> pd.DataFrame:
    """Per-question weighted mean, 95 % CI, design effect, non-response and 0–100 index (vectorised)."""
    return satisfaction_indices(weighted_means(values, weights), scales)


@dataclass(frozen=True)
class WaveReport:
    """Satisfaction results of one wave at question, requirement and domain level."""

    wave_id: int
    unit: str
    period: str
    label: str
    respondents: int
    weighting: str
    weighted: bool
    questions: pd.DataFrame
    requirements: pd.DataFrame
    domains: pd.DataFrame
    alphas: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def _rollup(frame: pd.DataFrame, key: str, what: str) -> pd.DataFrame:
    """Mean index (and its SE, questions independent) of the rows grouped by ``key``."""
    rows = []
    for code, grp in frame.dropna(subset=[key]).groupby(key, sort=True):
        value, se = combine_indices(grp["index"].to_numpy(), grp["index_se"].to_numpy())
        rows.append({what: code, "index": value, "se": se, "ci_low": value - Z95 * se,
                     "ci_high": value + Z95 * se, "questions": len(grp)})
    return pd.DataFrame(rows, columns=[what, "index", "se", "ci_low", "ci_high", "questions"])


def _domains(requirements: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Domain index: the mean of its requirements' indices (and of questions aimed at the domain itself)."""
    parts = requirements.rename(columns={"requirement": "code"})[["code", "index", "se"]].copy()
    direct = questions[questions["target"].notna() & questions["requirement"].isna()]
    direct = direct[["target", "index", "index_se"]].set_axis(["code", "index", "se"], axis=1)
    parts = pd.concat([parts, direct], ignore_index=True)
    parts["domain"] = parts["code"].astype(str).str.split(".").str[0]
    out = _rollup(parts.rename(columns={"se": "index_se"}), "domain", "domain")
    return out.rename(columns={"questions": "parts"})


def _alphas(data: WaveData) -> pd.DataFrame:
    rows = []
    groups: dict[str, list[str]] = {}
    for q in data.questionnaire.questions:
        if q.scale and q.id in data.values.columns:
            groups.setdefault(q.scale, []).append(q.id)
    for scale, ids in sorted(groups.items()):
        if len(ids) < 2:
            continue
        # Reversed items are turned round so that every item runs bad → good before alpha.
        sc = data.questions.set_index("question_id")
        cols = []
        for qid in ids:
            x = data.values[qid].to_numpy(dtype=float)
            lo, hi = float(sc.at[qid, "scale_low"]), float(sc.at[qid, "scale_high"])  # type: ignore[arg-type]
            rev = bool(sc.at[qid, "reverse"])
            cols.append((x - lo) / (hi - lo) if not rev else (hi - x) / (hi - lo))
        alpha, n = cronbach_alpha(np.column_stack(cols))
        rows.append({"scale": scale, "items": len(ids), "alpha": alpha, "n": n})
    return pd.DataFrame(rows, columns=["scale", "items", "alpha", "n"])


def report_wave(data: WaveData, margins: dict[str, dict[str, float]] | None = None,
                sources: list[str] | None = None) -> WaveReport:
    """Compute a wave's results from loaded data (weighted when ``margins`` are given)."""
    weighting = make_weights(data.respondents, margins or {}, sources)
    wq = data.questions
    scales = [Scale(float(lo), float(hi), bool(rev)) for lo, hi, rev in
              zip(wq.get("scale_low", []), wq.get("scale_high", []), wq.get("reverse", []), strict=True)]
    summary = summarise(data.values.to_numpy(dtype=float), weighting.weights, scales)
    summary.insert(0, "question_id", wq["question_id"].to_numpy() if not wq.empty else [])
    summary["index_se"] = summary["se"] * np.array([s.index_scale() for s in scales])
    top = weighted_means(top_box_matrix(data.values.to_numpy(dtype=float), scales), weighting.weights)
    summary["top_box"] = 100.0 * top["mean"].to_numpy()
    summary["top_box_ci_low"] = 100.0 * top["ci_low"].to_numpy()
    summary["top_box_ci_high"] = 100.0 * top["ci_high"].to_numpy()
    summary["asked_as"] = wq["asked_as"].to_numpy() if not wq.empty else []
    qs = {q.id: q for q in data.questionnaire.questions}
    summary["target"] = [qs[i].target for i in summary["question_id"]]
    summary["statistic"] = [qs[i].statistic for i in summary["question_id"]]
    summary["requirement"] = [qs[i].requirement() for i in summary["question_id"]]
    summary["domain"] = [qs[i].domain() for i in summary["question_id"]]
    usable = summary[summary["n"] >= MIN_ANSWERS]
    requirements = _rollup(usable, "requirement", "requirement")
    warnings = [f"{qid}: {w}" for qid, w in zip(summary["question_id"], summary["warning"], strict=True) if w]
    if not weighting.weighted:
        warnings.insert(0, weighting.label)
    w = data.wave
    return WaveReport(
        wave_id=int(str(w["id"])), unit=str(w["unit_code"]), period=str(w["period"]), label=str(w["label"]),
        respondents=len(data.respondents), weighting=weighting.label, weighted=weighting.weighted,
        questions=summary, requirements=requirements, domains=_domains(requirements, usable),
        alphas=_alphas(data), warnings=warnings,
    )


def wave_report(engine: Engine, wave_id: int, *, weighted: bool = True,
                questions: list[str] | None = None) -> WaveReport:
    """The satisfaction report of a stored wave, weighted to the unit's margins when there are any.

    ``questions`` limits the report to those questions (e.g. for a trend of one question).
    """
    with engine.connect() as conn:
        data = read_wave(conn, wave_id, questions)
        margins, sources = read_margins(conn, str(data.wave["unit_code"])) if weighted else ({}, [])
    return report_wave(data, margins, sources)


def list_waves(engine: Engine, unit: str | None = None) -> pd.DataFrame:
    """Stored waves (id, unit, period, label, channel, status, respondents)."""
    t, r = survey_waves, survey_respondents
    count = sa.select(sa.func.count()).where(r.c.wave_id == t.c.id).scalar_subquery()
    stmt = sa.select(t.c.id, t.c.unit_code, t.c.period, t.c.label, t.c.channel, t.c.status,
                     count.label("respondents")).order_by(t.c.unit_code, t.c.period, t.c.id)
    if unit is not None:
        stmt = stmt.where(t.c.unit_code == unit)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).mappings().all(),
                            columns=["id", "unit_code", "period", "label", "channel", "status", "respondents"])


def trend(engine: Engine, unit: str, question_id: str, *, weighted: bool = True) -> pd.DataFrame:
    """A question's index across the unit's waves; changes only between waves asked the same way.

    Returns
    -------
    pandas.DataFrame
        One row per wave that asked the question: period, wave id, asked_as, n, index and its CI,
        ``comparable`` (asked as in the previous wave) and ``change`` [index points] (NaN when not
        comparable).
    """
    rows = []
    for wave_id in list_waves(engine, unit)["id"].tolist():
        rep = wave_report(engine, int(wave_id), weighted=weighted, questions=[question_id])
        hit = rep.questions[rep.questions["question_id"] == question_id]
        if hit.empty:
            continue
        h = hit.iloc[0]
        rows.append({"period": rep.period, "wave_id": rep.wave_id, "asked_as": h["asked_as"], "n": int(h["n"]),
                     "index": h["index"], "index_ci_low": h["index_ci_low"], "index_ci_high": h["index_ci_high"]})
    out = pd.DataFrame(rows, columns=["period", "wave_id", "asked_as", "n", "index", "index_ci_low", "index_ci_high"])
    same = out["asked_as"].eq(out["asked_as"].shift())
    out["comparable"] = same
    out["change"] = np.where(same, out["index"] - out["index"].shift(), np.nan)
    return out


# --------------------------------------------------------------------------- indicators fed


@dataclass(frozen=True)
class FeedResult:
    """Survey indicator values written for a wave."""

    batch_id: int | None
    values: pd.DataFrame
    skipped: list[str]


def _survey_indicators() -> set[str] | None:
    """Ids of the built-in goal model's ``survey`` indicators (None when the model cannot be loaded)."""
    try:
        from zhicheng.goals import builtin_framework  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    framework = builtin_framework()
    return {i.id for i in framework.indicators() if i.kind == "survey"}


def indicator_values_of(report: WaveReport, survey_ids: set[str] | None,
                        overall: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Survey indicator values of a wave.

    An indicator targeted by questions gets the mean of their indices (or, for ``top_box``
    questions, of their shares of satisfied answers [%]); the questionnaire's ``overall`` indicator
    gets the mean index of every targeted question. Questions with fewer than
    :data:`~zhicheng.survey.stats.MIN_ANSWERS` answers are left out.
    """
    q = report.questions
    ok = q[q["n"] >= MIN_ANSWERS]
    # one row per question (a few dozen): a plain test per target is fine here
    targeted = q.loc[np.array([isinstance(t, str) and ".I" in t for t in q["target"]], dtype=bool)]
    rows, skipped = [], []

    def add(ind: str, grp: pd.DataFrame) -> None:
        if survey_ids is not None and ind not in survey_ids:
            skipped.append(f"{ind}: not a survey indicator of the goal model")
            return
        use = grp[grp["n"] >= MIN_ANSWERS]
        if use.empty:
            skipped.append(f"{ind}: fewer than {MIN_ANSWERS} answers to every question")
            return
        top = use["statistic"].eq("top_box").to_numpy()
        vals = np.where(top, use["top_box"].to_numpy(), use["index"].to_numpy())
        value, _ = combine_indices(vals, np.zeros(len(vals)))
        rows.append({"unit_code": report.unit, "indicator_id": ind, "period": report.period, "value": value})

    for ind, grp in targeted.groupby("target", sort=True):
        add(str(ind), grp)
    if overall is not None:
        sat = ok[ok["target"].notna()]
        if sat.empty:
            skipped.append(f"{overall}: no satisfaction question with {MIN_ANSWERS} answers or more")
        else:
            add(overall, sat.assign(statistic="index"))
    return pd.DataFrame(rows, columns=["unit_code", "indicator_id", "period", "value"]), skipped


def feed_indicators(engine: Engine, wave_id: int, *, by: str | None = None,
                    survey_ids: set[str] | None = None) -> FeedResult:
    """Write a wave's satisfaction indices as the values of the goal model's survey indicators.

    The values go in as one ingest batch (kind ``survey``) in one transaction, replacing earlier
    values of the same unit, indicator and period, so the evaluation uses them like any other value.
    """
    report = wave_report(engine, wave_id)
    ids = survey_ids if survey_ids is not None else _survey_indicators()
    with engine.connect() as conn:
        overall = read_wave_questionnaire(conn, wave_id).overall
    values, skipped = indicator_values_of(report, ids, overall)
    if values.empty:
        return FeedResult(None, values, skipped)
    buf = io.StringIO()
    values.to_csv(buf, index=False)
    digest = hashlib.sha256(f"survey wave {wave_id}\n{buf.getvalue()}".encode()).hexdigest()
    with engine.begin() as conn:
        earlier = batch_with_checksum(conn, digest)
        if earlier is not None and _all_stored(conn, values, earlier):
            return FeedResult(earlier, values, skipped)  # same values already fed: nothing to write
        existing = pd.DataFrame(conn.execute(
            sa.select(indicator_values.c.indicator_id).where(
                indicator_values.c.unit_code == report.unit, indicator_values.c.period == report.period,
                indicator_values.c.indicator_id.in_(values["indicator_id"].tolist()))
        ).all(), columns=["indicator_id"])
        changed = values[values["indicator_id"].isin(existing["indicator_id"])]
        new = values[~values["indicator_id"].isin(existing["indicator_id"])]
        batch = new_batch(conn, source=f"survey wave {wave_id}: {report.label}", checksum=digest,
                          ingested_by=by or _user(), row_count=len(values), kind="survey",
                          note=report.weighting)
        write_values(conn, new, changed, batch)
    return FeedResult(batch, values, skipped)


def _all_stored(conn: sa.Connection, values: pd.DataFrame, batch: int) -> bool:
    """True when every value is stored as it is, from ``batch``."""
    t = indicator_values
    found = conn.execute(sa.select(sa.func.count()).select_from(t).where(
        t.c.batch_id == batch, t.c.unit_code == str(values["unit_code"].iloc[0]),
        t.c.period == str(values["period"].iloc[0]),
        t.c.indicator_id.in_(values["indicator_id"].tolist()))).scalar_one()
    return int(found) == len(values)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
