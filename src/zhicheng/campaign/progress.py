"""Read models of campaigns: progress board, my assignments, notification digest, export, provenance.

Every expected submission is one (assigned indicator × campaign unit); one that nobody has started
counts as ``missing``. After the deadline, every expected submission not handed in (missing,
draft or returned) is overdue. Counts are computed on frames (one query per table), not per row.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.campaign.errors import CampaignError, CampaignForbidden
from zhicheng.campaign.models import HANDED_IN, REVIEWABLE, STATUSES, Actor, utc
from zhicheng.campaign.service import campaign_units_of, framework_for, get_campaign, load_campaign
from zhicheng.store.schema import evaluation_results, indicator_values, units
from zhicheng.store.schema_campaign import (
    campaign_assignments,
    campaign_evidence,
    campaign_submissions,
    campaign_units,
    campaigns,
)

Row = dict[str, Any]
#: Columns of the expected-submissions frame.
EXPECTED_COLUMNS = ["campaign_id", "indicator_id", "department", "assignees", "unit_code", "submission_id",
                    "status", "value", "return_reason"]
COUNT_KEYS = ("missing", *STATUSES)


def _now(now: dt.datetime | None) -> dt.datetime:
    return utc(now) or dt.datetime.now(dt.UTC)


def expected(conn: sa.Connection, campaign_ids: list[int]) -> pd.DataFrame:
    """Every expected submission of the campaigns with its state (``missing`` when not started)."""
    a, u, s = campaign_assignments, campaign_units, campaign_submissions
    stmt = (
        sa.select(a.c.campaign_id, a.c.indicator_id, a.c.department, a.c.assignees, u.c.unit_code,
                  s.c.id.label("submission_id"), s.c.status, s.c.value, s.c.return_reason)
        .join(u, u.c.campaign_id == a.c.campaign_id)
        .outerjoin(s, sa.and_(s.c.campaign_id == a.c.campaign_id, s.c.indicator_id == a.c.indicator_id,
                              s.c.unit_code == u.c.unit_code))
        .where(a.c.campaign_id.in_(campaign_ids))
        .order_by(a.c.campaign_id, a.c.indicator_id, u.c.unit_code)
    )
    frame = pd.DataFrame(conn.execute(stmt).fetchall(), columns=EXPECTED_COLUMNS)
    frame["status"] = frame["status"].fillna("missing")
    return frame


def _counts(frame: pd.DataFrame, keys: list[str], overdue: bool) -> pd.DataFrame:
    """Counts by state, completion share and overdue count per group of ``keys``."""
    counts = pd.crosstab([frame[k] for k in keys], frame["status"]).reindex(columns=list(COUNT_KEYS), fill_value=0)
    counts["expected"] = counts[list(COUNT_KEYS)].sum(axis=1)
    counts["completion"] = counts["approved"] / counts["expected"]
    counts["handed_in"] = counts[sorted(HANDED_IN)].sum(axis=1) / counts["expected"]
    counts["overdue"] = (counts["expected"] - counts[sorted(HANDED_IN)].sum(axis=1)) if overdue else 0
    return counts.reset_index()


def _plain(value: Any) -> Any:
    """A frame's cell as JSON takes it: numpy scalars as Python ones, a missing number as None."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[Row]:
    return [{str(k): _plain(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def progress(engine: Engine, actor: Actor, cid: int, *, now: dt.datetime | None = None, lang: str = "zh") -> Row:
    """Progress of a campaign per department and per indicator: counts by state, completion, overdue.

    Reviewers and admins see every department; analysts their own.
    """
    if not (actor.reviews or actor.role == "analyst"):
        raise CampaignForbidden("progress is for reviewers, admins and analysts")
    camp = get_campaign(engine, cid, lang=lang)
    with engine.connect() as conn:
        frame = expected(conn, [cid])
    if not actor.reviews:
        frame = frame[frame["department"] == (actor.department or "")]
    late = _now(now) > camp["deadline"]
    names = {a["indicator_id"]: a["indicator_name"] for a in camp["assignments"]}
    if frame.empty:
        return {"campaign": _summary(camp), "overdue_now": late, "departments": [], "indicators": [],
                "totals": {k: 0 for k in (*COUNT_KEYS, "expected", "overdue")} | {"completion": 0.0}}
    departments = _counts(frame, ["department"], late)
    indicators = _counts(frame, ["department", "indicator_id"], late)
    indicators.insert(2, "indicator_name", indicators["indicator_id"].map(names))
    totals = _records(_counts(frame.assign(all="all"), ["all"], late).drop(columns="all"))[0]
    return {"campaign": _summary(camp), "overdue_now": late, "departments": _records(departments),
            "indicators": _records(indicators), "totals": totals}


def _summary(camp: Row) -> Row:
    keys = ("id", "name", "period", "deadline", "status", "framework_id", "framework_version", "units")
    return {k: camp[k] for k in keys if k in camp}


def _open_campaigns(conn: sa.Connection) -> dict[int, Row]:
    rows = conn.execute(sa.select(campaigns).where(campaigns.c.status == "open")).mappings().all()
    return {int(r["id"]): {**dict(r), "deadline": utc(r["deadline"])} for r in rows}


def _unit_names(engine: Engine, codes: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Chinese and English names of the units ``codes`` (pages name units, never just codes)."""
    if not codes:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(units.c.code, units.c.name_zh, units.c.name_en).where(units.c.code.in_(codes)))
        return {str(r.code): (r.name_zh, r.name_en) for r in rows}


def my_assignments(engine: Engine, actor: Actor, *, now: dt.datetime | None = None, lang: str = "zh") -> list[Row]:
    """The caller's expected submissions in open campaigns, soonest deadline first.

    An analyst's are those assigned to their department (and to them by name, when names are
    given); an admin's are every department's.
    """
    moment = _now(now)
    with engine.connect() as conn:
        camps = _open_campaigns(conn)
        frame = expected(conn, list(camps))
    if not actor.is_admin:
        frame = frame[frame["department"] == (actor.department or "")]
        named = frame["assignees"].map(lambda text: json.loads(text or "[]"))
        frame = frame[named.map(lambda names: not names or actor.name in names)]
    names = _unit_names(engine, sorted(set(frame["unit_code"])))
    out = []
    fws: dict[int, Any] = {}
    for rec in _records(frame.drop(columns="assignees")):
        camp = camps[rec["campaign_id"]]
        fw = fws.setdefault(rec["campaign_id"], framework_for(camp["framework_id"], camp["framework_version"]))
        ind = fw.indicator(rec["indicator_id"])
        left = camp["deadline"] - moment
        rec.update(campaign=camp["name"], period=camp["period"], deadline=camp["deadline"],
                   indicator_name=ind.name.get(lang), kind=ind.kind, unit=ind.unit,
                   unit_name_zh=names.get(rec["unit_code"], (None, None))[0],
                   unit_name_en=names.get(rec["unit_code"], (None, None))[1],
                   days_left=round(left.total_seconds() / 86400, 2),
                   overdue=left.total_seconds() < 0 and rec["status"] not in HANDED_IN)
        out.append(rec)
    return sorted(out, key=lambda r: (r["deadline"], r["campaign_id"], r["indicator_id"], r["unit_code"]))


def _review_queue(conn: sa.Connection, camps: dict[int, Row], moment: dt.datetime) -> list[Row]:
    s = campaign_submissions
    waiting: dict[int, int] = dict(conn.execute(sa.select(s.c.campaign_id, sa.func.count())
                                .where(s.c.status.in_(sorted(REVIEWABLE)), s.c.campaign_id.in_(list(camps)))
                                .group_by(s.c.campaign_id)).all())
    frame = expected(conn, list(camps))
    late_ids = [cid for cid, c in camps.items() if moment > c["deadline"]]
    late = frame[frame["campaign_id"].isin(late_ids) & ~frame["status"].isin(sorted(HANDED_IN))]
    late_by = late.groupby("campaign_id")["department"].agg(lambda d: sorted(set(d)))
    out = []
    for cid, camp in sorted(camps.items()):
        n = int(waiting.get(cid, 0))
        depts = list(late_by.get(cid, []))
        if n or depts:
            out.append({"campaign_id": cid, "campaign": camp["name"], "deadline": camp["deadline"],
                        "waiting": n, "overdue_departments": depts})
    return out


def notifications(engine: Engine, actor: Actor, *, now: dt.datetime | None = None, lang: str = "zh") -> Row:
    """The caller's digest: what is due (and overdue), what came back returned, what awaits review."""
    moment = _now(now)
    mine = my_assignments(engine, actor, now=moment, lang=lang) if actor.submits else []
    due = [r for r in mine if r["status"] in ("missing", "draft")]
    returned = [r for r in mine if r["status"] == "returned"]
    to_review: list[Row] = []
    if actor.reviews:
        with engine.connect() as conn:
            to_review = _review_queue(conn, _open_campaigns(conn), moment)
    return {
        "user": actor.name, "role": actor.role, "department": actor.department, "generated_at": moment,
        "counts": {"due": len(due), "overdue": sum(r["overdue"] for r in mine), "returned": len(returned),
                   "to_review": sum(r["waiting"] for r in to_review)},
        "due": due, "returned": returned, "to_review": to_review,
    }


# --------------------------------------------------------------------------- export and provenance


def export_frame(engine: Engine, cid: int, *, lang: str = "zh") -> pd.DataFrame:
    """Every expected submission of a campaign with its value, answer, state, review and evidence."""
    s, e = campaign_submissions, campaign_evidence
    camp = get_campaign(engine, cid, lang=lang)
    with engine.connect() as conn:
        frame = expected(conn, [cid]).drop(columns=["assignees", "value", "return_reason"])
        subs = pd.DataFrame(conn.execute(sa.select(
            s.c.id.label("submission_id"), s.c.value, s.c.answer, s.c.items_met, s.c.items_total, s.c.maturity,
            s.c.comment, s.c.return_reason, s.c.round, s.c.submitted_by, s.c.submitted_at, s.c.reviewed_by,
            s.c.reviewed_at, s.c.batch_id).where(s.c.campaign_id == cid)).mappings().all())
        files = pd.DataFrame(conn.execute(sa.select(e.c.submission_id, e.c.sha256, e.c.filename).join(
            s, s.c.id == e.c.submission_id).where(s.c.campaign_id == cid).order_by(e.c.id)).fetchall(),
            columns=["submission_id", "sha256", "filename"])
    names = {a["indicator_id"]: a["indicator_name"] for a in camp["assignments"]}
    frame.insert(2, "indicator_name", frame["indicator_id"].map(names))
    frame.insert(1, "period", camp["period"])
    if not subs.empty:
        frame = frame.merge(subs, on="submission_id", how="left")
    listed = (files.assign(item=files["filename"] + " sha256:" + files["sha256"])
              .groupby("submission_id")["item"].agg("; ".join))
    frame["evidence"] = frame["submission_id"].map(listed).fillna("")
    for col in ("submitted_at", "reviewed_at"):
        if col in frame:
            frame[col] = frame[col].map(lambda v: "" if v is None or pd.isna(v) else utc(v).isoformat())
    return frame


def write_export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write an export frame as CSV (UTF-8 with BOM, opens in Excel) or XLSX, by the file's suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(target, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        frame.to_excel(target, index=False, sheet_name="submissions", engine="openpyxl")
    else:
        raise CampaignError(f"{target}: export as .csv or .xlsx")
    return target


def run_provenance(engine: Engine, actor: Actor, cid: int, run_id: int) -> list[Row]:
    """Each approved submission of a campaign beside what evaluation run ``run_id`` used for it.

    For every approved submission: its value and evidence, the value now stored for its unit,
    indicator and period with that value's ingest batch, and the run's raw value and score.
    ``from_submission`` is true when the stored value came from this submission's approval batch.
    """
    s, v, r, e = campaign_submissions, indicator_values, evaluation_results, campaign_evidence
    with engine.connect() as conn:
        camp = load_campaign(conn, cid)
        stmt = (
            sa.select(s.c.id.label("submission_id"), s.c.indicator_id, s.c.unit_code, s.c.department,
                      s.c.value.label("approved_value"), s.c.batch_id, v.c.value.label("stored_value"),
                      v.c.batch_id.label("stored_batch_id"), r.c.raw_value, r.c.score, r.c.value_period)
            .outerjoin(v, sa.and_(v.c.unit_code == s.c.unit_code, v.c.indicator_id == s.c.indicator_id,
                                  v.c.period == camp["period"]))
            .outerjoin(r, sa.and_(r.c.run_id == run_id, r.c.unit_code == s.c.unit_code,
                                  r.c.code == s.c.indicator_id, r.c.level == "indicator"))
            .where(s.c.campaign_id == cid, s.c.status == "approved")
            .order_by(s.c.indicator_id, s.c.unit_code)
        )
        rows = [dict(x) for x in conn.execute(stmt).mappings()]
        files = conn.execute(sa.select(e.c.id, e.c.submission_id, e.c.sha256, e.c.filename, e.c.media_type)
                             .where(e.c.submission_id.in_([x["submission_id"] for x in rows]))
                             .order_by(e.c.id)).mappings().all()
    if not actor.reviews:
        rows = [x for x in rows if x["department"] == actor.department]
    by_sub: dict[int, list[Row]] = {}
    for f in files:
        by_sub.setdefault(int(f["submission_id"]), []).append({
            "id": f["id"], "sha256": f["sha256"], "filename": f["filename"], "media_type": f["media_type"],
            "url": f"/api/campaigns/{cid}/submissions/{f['submission_id']}/evidence/{f['id']}"})
    for x in rows:
        x["from_submission"] = x["batch_id"] is not None and x["batch_id"] == x["stored_batch_id"]
        x["evidence"] = by_sub.get(int(x["submission_id"]), [])
    return rows


__all__ = ["campaign_units_of", "export_frame", "my_assignments", "notifications", "progress",
           "run_provenance", "write_export"]
