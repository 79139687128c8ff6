"""Progress board, my assignments and the notification digest: completion, overdue, returned."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy.engine import Engine

from tests.support.campaign import (
    ALICE,
    BOB,
    CAROL,
    COORDINATION,
    DISTRICTS,
    ENV,
    GIGABIT,
    ONLINE,
    REVIEWER,
    STATS,
    pdf_bytes,
)
from zhicheng.campaign import (
    Actor,
    AssignmentSpec,
    CampaignForbidden,
    EvidenceStore,
    SubmissionInput,
    approve,
    assign,
    create_campaign,
    my_assignments,
    notifications,
    parse_deadline,
    progress,
    return_submissions,
    save_submission,
)

DEADLINE = "2025-03-31"
#: The deadline: end of 31 March 2025 in China Standard Time = 16:00 UTC that day.
DUE = dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)
BEFORE = DUE - dt.timedelta(days=2, hours=12)
AFTER = DUE + dt.timedelta(hours=1)


@pytest.fixture
def campaign(store: Engine, evidence: EvidenceStore) -> int:
    """Six expected submissions; alice approved one and drafted one, bob's came back returned."""
    cid = create_campaign(store, REVIEWER, name="自评", period="2024", deadline=DEADLINE, units_=DISTRICTS)
    assign(store, REVIEWER, cid, [AssignmentSpec(GIGABIT, STATS, ("alice",)), AssignmentSpec(ONLINE, ENV),
                                  AssignmentSpec(COORDINATION, STATS, ("carol",))])
    a = save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=80.0), submit=True)
    approve(store, REVIEWER, cid, [a["id"]])
    save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[1], value=82.0))
    b = save_submission(store, evidence, BOB, cid, SubmissionInput(ONLINE, DISTRICTS[0], value=90.0), submit=True)
    return_submissions(store, REVIEWER, cid, [b["id"]], "缺少佐证材料")
    save_submission(store, evidence, BOB, cid, SubmissionInput(ONLINE, DISTRICTS[1], value=91.0),
                    [("台账.pdf", io.BytesIO(pdf_bytes()))], submit=True)
    return cid


def test_deadline_dates_end_the_day_in_china_time() -> None:
    assert parse_deadline(DEADLINE) == DUE
    assert parse_deadline("2025-03-31T12:00:00+08:00") == dt.datetime(2025, 3, 31, 4, tzinfo=dt.UTC)
    assert parse_deadline("2025-03-31T12:00:00Z") == dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)


def test_progress_per_department_and_indicator(store: Engine, campaign: int) -> None:
    board = progress(store, REVIEWER, campaign, now=BEFORE)
    assert board["overdue_now"] is False
    depts = {d["department"]: d for d in board["departments"]}
    counts = ("expected", "missing", "draft", "submitted", "returned", "resubmitted", "approved", "overdue")
    assert [depts[STATS][k] for k in counts] == [4, 2, 1, 0, 0, 0, 1, 0]
    assert [depts[ENV][k] for k in counts] == [2, 0, 0, 1, 1, 0, 0, 0]
    assert depts[STATS]["completion"] == pytest.approx(0.25, abs=1e-12)
    assert depts[ENV]["handed_in"] == pytest.approx(0.5, abs=1e-12)
    inds = {i["indicator_id"]: i for i in board["indicators"]}
    assert inds[GIGABIT]["indicator_name"] == "千兆光网家庭覆盖率"
    assert (inds[GIGABIT]["approved"], inds[GIGABIT]["draft"], inds[COORDINATION]["missing"]) == (1, 1, 2)
    late = progress(store, REVIEWER, campaign, now=AFTER)
    # After the deadline everything not handed in is overdue: 3 of statistics (draft + 2 missing), 1 returned.
    assert late["overdue_now"] is True
    assert {d["department"]: d["overdue"] for d in late["departments"]} == {STATS: 3, ENV: 1}
    assert late["totals"]["overdue"] == 4 and late["totals"]["expected"] == 6
    # Analysts see their own department only; viewers nothing.
    assert [d["department"] for d in progress(store, BOB, campaign)["departments"]] == [ENV]
    with pytest.raises(CampaignForbidden):
        progress(store, Actor("v", "viewer"), campaign)


def test_my_assignments_follow_department_and_names(store: Engine, campaign: int) -> None:
    alice = my_assignments(store, ALICE, now=BEFORE)
    assert [(r["indicator_id"], r["unit_code"], r["status"]) for r in alice] == [
        (GIGABIT, DISTRICTS[0], "approved"), (GIGABIT, DISTRICTS[1], "draft")]
    assert alice[1]["days_left"] == pytest.approx(2.5, abs=0.05)
    carol = my_assignments(store, CAROL, now=AFTER)
    assert [(r["indicator_id"], r["status"], r["overdue"]) for r in carol] == [
        (COORDINATION, "missing", True), (COORDINATION, "missing", True)]
    assert carol[0]["kind"] == "checklist" and carol[0]["days_left"] == pytest.approx(-1 / 24, abs=0.01)


def test_notification_digest(store: Engine, campaign: int) -> None:
    bob = notifications(store, BOB, now=BEFORE)
    assert bob["counts"] == {"due": 0, "overdue": 0, "returned": 1, "to_review": 0}
    assert [(r["indicator_id"], r["unit_code"], r["return_reason"]) for r in bob["returned"]] == [
        (ONLINE, DISTRICTS[0], "缺少佐证材料")]
    alice = notifications(store, ALICE, now=AFTER)
    assert alice["counts"] == {"due": 1, "overdue": 1, "returned": 0, "to_review": 0}
    assert alice["due"][0]["overdue"] is True and alice["due"][0]["status"] == "draft"
    rita = notifications(store, REVIEWER, now=AFTER)
    assert rita["counts"]["to_review"] == 1
    assert rita["to_review"] == [{"campaign_id": campaign, "campaign": "自评", "deadline": DUE, "waiting": 1,
                                  "overdue_departments": [ENV, STATS]}]


def test_a_missing_submission_is_null_not_nan(store: Engine, campaign: int) -> None:
    # Carol has nothing yet: every submission field of her items is missing, and JSON has no NaN.
    carol = my_assignments(store, CAROL, now=BEFORE)
    assert [(r["submission_id"], r["value"], r["return_reason"]) for r in carol] == [(None, None, None)] * 2
    json.dumps(notifications(store, CAROL, now=BEFORE), default=str, allow_nan=False)
