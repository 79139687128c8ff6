"""End to end over HTTP: campaign → assignments to two departments → submissions with evidence →
return one → resubmit → approve all → evaluate; the results use exactly the approved values and
each links to its evidence."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.campaign_fixtures import Office, office
from tests.support.campaign import (
    COORDINATION,
    DISTRICTS,
    ENV,
    GIGABIT,
    ONLINE,
    STATS,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
)
from zhicheng.evaluate.service import evaluate

#: What each department enters first: (indicator, unit) → (value, evidence file name, bytes).
FIRST = {
    (GIGABIT, DISTRICTS[0]): (91.2, "荔湾区千兆覆盖.pdf", pdf_bytes("liwan")),
    (GIGABIT, DISTRICTS[1]): (70.0, "越秀区千兆覆盖.pdf", pdf_bytes("yuexiu")),
    (ONLINE, DISTRICTS[0]): (95.5, "网办率截图.png", png_bytes(5, 5)),
    (ONLINE, DISTRICTS[1]): (88.75, "网办率台账.xlsx", xlsx_bytes([["区", "网办率"], ["越秀区", 88.75]])),
}
#: The returned submission's corrected value and its extra evidence.
CORRECTED = (87.4, "越秀区运营商报表.xlsx", xlsx_bytes([["运营商", "覆盖户数"], ["A", 123456]]))


@pytest.fixture
def desk(client: TestClient, tmp_path: Path) -> Office:
    return office(client, tmp_path)


def _submit(desk: Office, who: str, cid: int, fields: dict[str, Any], files: list[tuple[str, bytes, str]]) -> Any:
    form = {**fields, "action": "submit"}
    upload = [("files", (name, data, media)) for name, data, media in files]
    return desk.post(who, f"/api/campaigns/{cid}/submissions", data=form, files=upload)


def test_campaign_end_to_end(desk: Office) -> None:
    camp = desk.post("rita", "/api/campaigns", 201, json={
        "name": "2024 年度新型智慧城市自评", "period": "2024", "deadline": "2099-03-31", "units": DISTRICTS})
    cid = camp["id"]
    assert camp["units"] == DISTRICTS and camp["status"] == "open"
    assigned = desk.post("rita", f"/api/campaigns/{cid}/assignments", json={"assignments": [
        {"indicator_id": GIGABIT, "department": STATS, "assignees": ["alice"]},
        {"indicator_id": COORDINATION, "department": STATS},
        {"indicator_id": ONLINE, "department": ENV},
    ]})
    assert {a["indicator_id"]: a["department"] for a in assigned} == {GIGABIT: STATS, COORDINATION: STATS, ONLINE: ENV}

    # Both departments see what is due for them.
    due = desk.get("alice", "/api/campaigns/notifications")
    assert sorted((d["indicator_id"], d["unit_code"]) for d in due["due"]) == sorted(
        (i, u) for i in (GIGABIT, COORDINATION) for u in DISTRICTS)
    assert desk.get("bob", "/api/campaigns/notifications")["counts"]["due"] == 2

    ids: dict[tuple[str, str], int] = {}
    for (ind, unit), (value, name, data) in FIRST.items():
        who = "alice" if ind == GIGABIT else "bob"
        media = "application/octet-stream"  # what the client claims does not matter
        sub = _submit(desk, who, cid, {"indicator_id": ind, "unit_code": unit, "value": str(value)},
                      [(name, data, media)])
        assert sub["status"] == "submitted" and sub["value"] == value
        ids[(ind, unit)] = sub["id"]
    for unit, met in zip(DISTRICTS, (5, 3), strict=True):
        sub = _submit(desk, "carol", cid, {"indicator_id": COORDINATION, "unit_code": unit,
                                           "answer": "领导小组由市长任组长，年内召开会议", "items_met": str(met),
                                           "items_total": "5", "maturity": "3" if met == 5 else "2"},
                      [(f"会议纪要-{unit}.pdf", pdf_bytes(f"minutes {unit}"), "application/pdf")])
        assert sub["value"] == pytest.approx(100.0 * met / 5, abs=1e-12)  # items met / items × 100
        ids[(COORDINATION, unit)] = sub["id"]

    # The reviewer sends one back; its department sees it in the digest with the reason.
    returned_id = ids[(GIGABIT, DISTRICTS[1])]
    desk.post("rita", f"/api/campaigns/{cid}/return", json={"submission_ids": [returned_id],
                                                           "reason": "覆盖率口径不符，请按运营商报表重新填报"})
    digest = desk.get("alice", "/api/campaigns/notifications")
    assert [(r["submission_id"], r["return_reason"]) for r in digest["returned"]] == [
        (returned_id, "覆盖率口径不符，请按运营商报表重新填报")]
    value, name, data = CORRECTED
    again = _submit(desk, "alice", cid, {"indicator_id": GIGABIT, "unit_code": DISTRICTS[1], "value": str(value)},
                    [(name, data, "application/vnd.ms-excel")])
    assert (again["id"], again["status"], again["value"], again["round"]) == (returned_id, "resubmitted", value, 2)
    approved_values = {k: v[0] for k, v in FIRST.items()} | {(GIGABIT, DISTRICTS[1]): value} | {
        (COORDINATION, DISTRICTS[0]): 100.0, (COORDINATION, DISTRICTS[1]): 60.0}

    board = desk.get("rita", f"/api/campaigns/{cid}/progress")
    assert board["totals"]["expected"] == 6 and board["totals"]["submitted"] == 5
    assert board["totals"]["resubmitted"] == 1 and board["totals"]["approved"] == 0
    assert desk.get("rita", "/api/campaigns/notifications")["counts"]["to_review"] == 6

    # Approve everything in one go: one ingest batch of kind "campaign".
    result = desk.post("rita", f"/api/campaigns/{cid}/approve", json={"submission_ids": list(ids.values())})
    assert result["values_new"] == 6 and sorted(result["submissions"]) == sorted(ids.values())
    board = desk.get("rita", f"/api/campaigns/{cid}/progress")
    assert board["totals"]["approved"] == 6 and board["totals"]["completion"] == 1.0
    assert {d["department"]: d["completion"] for d in board["departments"]} == {STATS: 1.0, ENV: 1.0}

    # Evaluate with the evaluation service; the run uses exactly the approved values.
    engine = desk.client.app.state.engine  # type: ignore[attr-defined]
    run = evaluate(engine, "2024")
    indicator_rows = run.results[run.results["level"] == "indicator"]
    used = {(r.code, r.unit_code): r.raw_value for r in indicator_rows.itertuples()}
    assert used == approved_values
    assert 70.0 not in used.values()  # the returned value never reached the store

    links = desk.get("rita", f"/api/campaigns/{cid}/provenance", run=run.run_id)
    assert len(links) == 6
    for link in links:
        key = (link["indicator_id"], link["unit_code"])
        assert link["submission_id"] == ids[key]
        assert link["approved_value"] == link["stored_value"] == link["raw_value"] == approved_values[key]
        assert link["from_submission"] and link["batch_id"] == link["stored_batch_id"] == result["batch_id"]
        assert link["score"] is not None and link["value_period"] == "2024"
        assert link["evidence"], key
        for item in link["evidence"]:
            response = desk.client.get(item["url"], headers=desk.headers("rita"))
            assert response.status_code == 200
            assert hashlib.sha256(response.content).hexdigest() == item["sha256"]
            assert response.headers["content-disposition"].startswith("attachment;")
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]
            assert response.headers["content-type"].split(";")[0] == item["media_type"]
    by_key = {(x["indicator_id"], x["unit_code"]): x for x in links}
    assert sorted(e["filename"] for e in by_key[(GIGABIT, DISTRICTS[1])]["evidence"]) == sorted(
        ["越秀区千兆覆盖.pdf", "越秀区运营商报表.xlsx"])
    assert by_key[(ONLINE, DISTRICTS[0])]["evidence"][0]["media_type"] == "image/png"

    # The cockpit's drill-down names the campaign batch as the values' source.
    drill = desk.get("rita", f"/api/evaluation/indicators/{GIGABIT}/values", unit=DISTRICTS[1], run=run.run_id)
    assert drill["over_time"] == [{"period": "2024", "value": CORRECTED[0], "batch_id": result["batch_id"]}]
    assert [(b["id"], b["source"]) for b in drill["batches"]] == [(result["batch_id"], f"campaign:{cid}")]
