"""The campaign workflow on a real store: states, permissions, approval into the store as one batch."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.campaign import (
    ADMIN,
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
    png_bytes,
)
from zhicheng.campaign import (
    AssignmentSpec,
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
    EvidenceStore,
    SubmissionInput,
    approve,
    assign,
    create_campaign,
    get_submission,
    list_submissions,
    return_submissions,
    save_submission,
    submit,
)
from zhicheng.store.schema import indicator_values, ingest_batches
from zhicheng.store.schema_api import audit_log


def _campaign(store: Engine) -> int:
    cid = create_campaign(store, REVIEWER, name="2024 年度城市自评", period="2024", deadline="2099-03-31",
                          units_=DISTRICTS)
    assign(store, REVIEWER, cid, [AssignmentSpec(GIGABIT, STATS, ("alice",)), AssignmentSpec(ONLINE, ENV),
                                  AssignmentSpec(COORDINATION, STATS)])
    return cid


def _pdf(name: str = "report.pdf") -> tuple[str, io.BytesIO]:
    return name, io.BytesIO(pdf_bytes(name))


def test_draft_submit_return_resubmit_approve(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    draft = save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=81.5),
                            [_pdf()])
    assert draft["status"] == "draft" and draft["value"] == 81.5 and len(draft["evidence"]) == 1
    sid = draft["id"]
    assert submit(store, ALICE, cid, sid)["status"] == "submitted"
    back = return_submissions(store, REVIEWER, cid, [sid], "请附上运营商的统计报表")
    assert [(s["id"], s["status"], s["return_reason"]) for s in back] == [(sid, "returned", "请附上运营商的统计报表")]
    fixed = save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=83.25),
                            [("运营商报表.png", io.BytesIO(png_bytes()))], submit=True)
    assert fixed["status"] == "resubmitted" and fixed["round"] == 2 and fixed["value"] == 83.25
    result = approve(store, REVIEWER, cid, [sid])
    assert result.values_new == 1 and result.values_updated == 0
    with store.connect() as conn:
        stored = conn.execute(sa.select(indicator_values)).mappings().one()
        batch = conn.execute(sa.select(ingest_batches).where(ingest_batches.c.id == result.batch_id)).mappings().one()
    assert (stored["unit_code"], stored["indicator_id"], stored["period"], stored["value"]) == (
        DISTRICTS[0], GIGABIT, "2024", 83.25)
    assert stored["batch_id"] == result.batch_id
    assert batch["kind"] == "campaign" and batch["source"] == f"campaign:{cid}" and batch["row_count"] == 1
    note = json.loads(batch["note"])
    assert note["submissions"][0]["id"] == sid
    assert sorted(e["file"] for e in note["submissions"][0]["evidence"]) == ["report.pdf", "运营商报表.png"]
    done = get_submission(store, REVIEWER, cid, sid)
    assert done["status"] == "approved" and done["batch_id"] == result.batch_id
    assert [h["action"] for h in done["history"]] == [
        "create", "evidence_add", "submit", "return", "save", "evidence_add", "resubmit", "approve"]
    assert [h["to_status"] for h in done["history"]][-5:] == ["returned", "returned", "returned", "resubmitted",
                                                               "approved"]


def test_other_departments_and_unnamed_analysts_are_refused(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    sub = save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=80.0))
    with pytest.raises(CampaignForbidden, match="assigned to '统计局'"):
        save_submission(store, evidence, BOB, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=1.0))
    # carol is in the department but the indicator names alice only.
    with pytest.raises(CampaignForbidden):
        save_submission(store, evidence, CAROL, cid, SubmissionInput(GIGABIT, DISTRICTS[1], value=1.0))
    with pytest.raises(CampaignForbidden):
        get_submission(store, BOB, cid, sub["id"])
    with pytest.raises(CampaignForbidden):
        list_submissions(store, BOB, cid, department=STATS)
    assert list_submissions(store, BOB, cid) == []
    assert [s["id"] for s in list_submissions(store, CAROL, cid)] == [sub["id"]]
    with pytest.raises(CampaignForbidden):
        submit(store, BOB, cid, sub["id"])
    with pytest.raises(CampaignForbidden):
        approve(store, ALICE, cid, [sub["id"]])


def test_nobody_approves_their_own_work(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    sub = save_submission(store, evidence, ADMIN, cid, SubmissionInput(ONLINE, DISTRICTS[0], value=92.0), submit=True)
    other = save_submission(store, evidence, BOB, cid, SubmissionInput(ONLINE, DISTRICTS[1], value=90.0),
                            submit=True)
    with pytest.raises(CampaignForbidden, match="your own work"):
        approve(store, ADMIN, cid, [other["id"], sub["id"]])
    with pytest.raises(CampaignForbidden):
        return_submissions(store, ADMIN, cid, [sub["id"]], "no")
    # All or nothing: the other submission was not approved either, and nothing was stored.
    assert get_submission(store, REVIEWER, cid, other["id"])["status"] == "submitted"
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(indicator_values)).scalar_one() == 0
    assert approve(store, REVIEWER, cid, [sub["id"], other["id"]]).values_new == 2


def test_states_guard_every_action(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    sub = save_submission(store, evidence, BOB, cid, SubmissionInput(ONLINE, DISTRICTS[0], value=92.0))
    with pytest.raises(CampaignConflict, match="draft, not waiting"):
        approve(store, REVIEWER, cid, [sub["id"]])
    submit(store, BOB, cid, sub["id"])
    with pytest.raises(CampaignConflict, match="can no longer be changed"):
        save_submission(store, evidence, BOB, cid, SubmissionInput(ONLINE, DISTRICTS[0], value=93.0))
    with pytest.raises(CampaignConflict):
        submit(store, BOB, cid, sub["id"])
    with pytest.raises(CampaignError, match="reason"):
        return_submissions(store, REVIEWER, cid, [sub["id"]], "  ")
    with pytest.raises(CampaignNotFound):
        approve(store, REVIEWER, cid, [sub["id"], 999])
    approve(store, REVIEWER, cid, [sub["id"]])
    with pytest.raises(CampaignConflict, match="approved"):
        return_submissions(store, REVIEWER, cid, [sub["id"]], "late")


def test_values_are_checked_against_the_indicator(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    with pytest.raises(CampaignError) as err:
        save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=130.0, maturity=3))
    reasons = [p.reason for p in err.value.problems]
    assert any("outside the plausible range [0, 100]" in r for r in reasons)
    assert any("not a checklist indicator" in r for r in reasons)
    with pytest.raises(CampaignError, match="not part of campaign"):
        save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, "440100", value=80.0))
    with pytest.raises(CampaignNotFound, match="not assigned"):
        save_submission(store, evidence, ALICE, cid, SubmissionInput("D3.R1.I1", DISTRICTS[0], value=1.0))
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one() == 2  # create, assign


def test_checklist_answer_with_maturity_and_evidence(store: Engine, evidence: EvidenceStore) -> None:
    cid = _campaign(store)
    data = SubmissionInput(COORDINATION, DISTRICTS[0], answer="领导小组已成立，年内召开 3 次会议", items_met=4,
                           items_total=5, maturity=3, comment="会议纪要见附件")
    draft = save_submission(store, evidence, CAROL, cid, data)
    # 4 of 5 checklist items met: 80 % (the indicator's definition: items met / items × 100).
    assert draft["value"] == pytest.approx(80.0, abs=1e-12)
    with pytest.raises(CampaignError, match="at least one evidence file"):
        submit(store, CAROL, cid, draft["id"])
    with pytest.raises(CampaignError, match="maturity level must be 1 … 5"):
        save_submission(store, evidence, CAROL, cid, SubmissionInput(COORDINATION, DISTRICTS[0], answer="x",
                                                                      value=80.0, maturity=6))
    with pytest.raises(CampaignError, match="differs from items met"):
        save_submission(store, evidence, CAROL, cid, SubmissionInput(COORDINATION, DISTRICTS[0], answer="x",
                                                                      value=70.0, items_met=4, items_total=5))
    done = save_submission(store, evidence, CAROL, cid, data, [_pdf("会议纪要.pdf")], submit=True)
    assert (done["status"], done["maturity"], done["items_met"], done["items_total"]) == ("submitted", 3, 4, 5)


def test_assignments_are_checked(store: Engine) -> None:
    cid = create_campaign(store, REVIEWER, name="c", period="2024", deadline="2099-01-01", units_=DISTRICTS)
    with pytest.raises(CampaignError) as err:
        assign(store, REVIEWER, cid, [AssignmentSpec("D9.R1.I1", STATS), AssignmentSpec(GIGABIT, STATS, ("bob",)),
                                      AssignmentSpec(GIGABIT, ENV)])
    reasons = sorted(p.reason for p in err.value.problems)
    assert reasons == ["'bob' is not an analyst of '统计局' (no live token)", "indicator 'D1.R1.I3' assigned twice",
                       "unknown indicator 'D9.R1.I1'"]
    with pytest.raises(CampaignForbidden):
        assign(store, ALICE, cid, [AssignmentSpec(GIGABIT, STATS)])
    with pytest.raises(CampaignError) as err:
        create_campaign(store, REVIEWER, name=" ", period="2024", deadline="soon", units_=["999999"])
    assert len(err.value.problems) == 3


def test_refused_file_leaves_nothing(store: Engine, evidence: EvidenceStore, tmp_path: Path) -> None:
    cid = _campaign(store)
    script = ("run.pdf", io.BytesIO(b"#!/bin/sh\necho owned\n"))
    with pytest.raises(CampaignError):
        save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=80.0),
                        [_pdf(), script])
    with store.connect() as conn:
        assert list_submissions(store, REVIEWER, cid) == []
        assert conn.execute(sa.select(sa.func.count()).select_from(indicator_values)).scalar_one() == 0
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []
