"""Participation: proposals and comments, public answers, on-time statistics and the indicator fed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.survey.conftest import UNIT
from zhicheng.store.schema import indicator_values
from zhicheng.survey import participation as part


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)  # 2026-03-02 is a Monday


def test_flow_statistics_and_indicator(store: Engine) -> None:
    p1 = part.submit(store, unit=UNIT, subject_kind="plan", subject_ref="PLAN-2026-01", kind="proposal",
                     title="更多自行车道", body="请在主干道增设自行车道", at=_at(2))
    p2 = part.submit(store, unit=UNIT, subject_kind="project", subject_ref="PRJ-7", kind="proposal",
                     body="Real-time bus screens at every stop", at=_at(2))
    c1 = part.submit(store, unit=UNIT, subject_kind="plan", subject_ref="PLAN-2026-01", kind="comment",
                     body="同意", parent_id=p1["id"], at=_at(3))
    assert p1["status"] == "submitted" and c1["parent_id"] == p1["id"]
    part.respond(store, p1["id"], status="under_review", by="office")
    # answered after 10 working days (Mon 2 → Mon 16 March) and after 16 working days (→ Tue 24 March)
    done = part.respond(store, p1["id"], status="accepted", by="office", answer="已纳入规划", at=_at(16, 15))
    part.respond(store, p2["id"], status="answered", by="office", answer="Planned for 2027", at=_at(24, 9))
    assert done["public_answer"] == "已纳入规划" and done["answered_by"] == "office"
    stats = part.participation_stats(store, UNIT, "2026")
    assert (stats["received"], stats["proposals"], stats["comments"]) == (3, 2, 1)
    assert (stats["answered"], stats["answered_on_time"]) == (2, 1)
    assert stats["on_time_share"] == pytest.approx(100 / 3)
    # response times: 14 days 6 h = 342 h and 22 days = 528 h
    assert stats["median_response_hours"] == pytest.approx((342 + 528) / 2)
    fed = part.feed_participation(store, UNIT, "2026")
    with store.connect() as conn:
        value = conn.execute(sa.select(indicator_values.c.value).where(
            indicator_values.c.indicator_id == part.ON_TIME_INDICATOR, indicator_values.c.period == "2026")).scalar_one()
    assert value == pytest.approx(100 / 3) and fed["batch_id"] is not None
    # feeding again updates the value in place (one value per unit, indicator and period)
    part.respond(store, c1["id"], status="answered", by="office", answer="谢谢", at=_at(4))
    part.feed_participation(store, UNIT, "2026")
    with store.connect() as conn:
        values = conn.execute(sa.select(indicator_values.c.value).where(
            indicator_values.c.indicator_id == part.ON_TIME_INDICATOR)).scalars().all()
    assert values == [pytest.approx(200 / 3)]


def test_refusals(store: Engine) -> None:
    with pytest.raises(part.ParticipationError) as err:
        part.submit(store, unit="NOWHERE", subject_kind="street", subject_ref="x", kind="vote", body=" ")
    assert {p.column for p in err.value.problems} == {"unit", "subject_kind", "kind", "body"}
    item = part.submit(store, unit=UNIT, subject_kind="plan", subject_ref="P", kind="proposal", body="x")
    with pytest.raises(part.ParticipationError, match="needs a public answer"):
        part.respond(store, item["id"], status="rejected", by="office")
    part.respond(store, item["id"], status="rejected", by="office", answer="超出规划范围")
    with pytest.raises(part.ParticipationError, match="already rejected"):
        part.respond(store, item["id"], status="answered", by="office", answer="again")
    with pytest.raises(part.NotFound):
        part.get_item(store, 999)
    assert [i["id"] for i in part.list_items(store, unit=UNIT, status="rejected")] == [item["id"]]
