"""Campaigns take the periods the intake takes (one grammar, :mod:`zhicheng.goals.periods`)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.campaign import ALICE, DISTRICTS, GIGABIT, REVIEWER, STATS, pdf_bytes
from zhicheng.campaign import (
    AssignmentSpec,
    CampaignError,
    EvidenceStore,
    SubmissionInput,
    approve,
    assign,
    create_campaign,
    get_campaign,
    save_submission,
)
from zhicheng.store.schema import indicator_values


@pytest.mark.parametrize("period", ["2024", "2024-06", "2024-06-30", "2024Q2", "2024H1"])
def test_a_campaign_takes_every_period_form(store: Engine, period: str) -> None:
    cid = create_campaign(store, REVIEWER, name="自评", period=period, deadline="2099-03-31", units_=DISTRICTS)
    assert get_campaign(store, cid)["period"] == period


def test_a_day_period_is_approved_into_the_store(store: Engine, evidence: EvidenceStore) -> None:
    cid = create_campaign(store, REVIEWER, name="月末自评", period="2024-06-30", deadline="2099-03-31",
                          units_=DISTRICTS)
    assign(store, REVIEWER, cid, [AssignmentSpec(GIGABIT, STATS, ("alice",))])
    sub = save_submission(store, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=81.5),
                          [("report.pdf", io.BytesIO(pdf_bytes("report.pdf")))], submit=True)
    approve(store, REVIEWER, cid, [sub["id"]])
    with store.connect() as conn:
        stored = conn.execute(sa.select(indicator_values.c.period, indicator_values.c.value)).one()
    assert tuple(stored) == ("2024-06-30", 81.5)


@pytest.mark.parametrize("period", ["2024/06", "2024-6", "2024Q5", "June 2024"])
def test_other_periods_are_refused_with_the_forms(store: Engine, period: str) -> None:
    with pytest.raises(CampaignError) as err:
        create_campaign(store, REVIEWER, name="自评", period=period, deadline="2099-03-31", units_=DISTRICTS)
    assert [(p.column, p.reason) for p in err.value.problems] == [
        ("period", f"period {period!r}: use YYYY, YYYY-MM, YYYY-MM-DD, YYYYQn or YYYYHn (as stored values)")]
