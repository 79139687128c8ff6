"""Survey and participation routes: public submissions (rate-limited, declared data only), roles, reports."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.survey.conftest import UNIT
from zhicheng.api.routers.survey import RateLimiter
from zhicheng.store.schema import indicator_values
from zhicheng.store.schema_survey import survey_respondents


def _auth(c: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {c.tokens[role]}"}  # type: ignore[attr-defined]


def _open_wave(api: TestClient) -> int:
    r = api.post("/api/survey/waves", json={"unit": UNIT, "period": "2026", "label": "2026 online"},
                 headers=_auth(api, "analyst"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open" and r.json()["channel"] == "online"
    return int(r.json()["id"])


ANSWERS = {"city_as_place_to_live": 4, "crime_concern": 1, "police": 3, "service_channel": "app",
           "priority_domains": ["D1", "D5"], "suggestions": "多建公园"}


def test_public_submission_report_and_feed(api: TestClient) -> None:
    q = api.get("/api/survey/questionnaires/citizen").json()
    assert q["id"] == "citizen" and [f["id"] for f in q["respondent"]] == ["district", "age_band", "sex"]
    assert api.post("/api/survey/waves", json={"unit": UNIT, "period": "2026", "label": "x"}).status_code == 401
    assert api.post("/api/survey/waves", json={"unit": UNIT, "period": "2026", "label": "x"},
                    headers=_auth(api, "viewer")).status_code == 403
    wave = _open_wave(api)
    api.app.state.survey_rate_limiter = RateLimiter(limit=100)  # type: ignore[attr-defined]
    for i in range(35):
        body = {"respondent": {"district": "东城", "age_band": "25-44", "sex": "female" if i % 2 else "male"},
                "answers": {**ANSWERS, "city_as_place_to_live": 1 + i % 5}}
        r = api.post(f"/api/survey/waves/{wave}/responses", json=body)
        assert r.status_code == 201, r.text
        assert len(r.json()["receipt"]) == 32
    rep = api.get(f"/api/survey/waves/{wave}/report").json()
    assert rep["respondents"] == 35 and rep["weighted"] is False and rep["weighting"].startswith("unweighted")
    city = next(x for x in rep["questions"] if x["question_id"] == "city_as_place_to_live")
    assert city["n"] == 35 and city["mean"] == 3.0 and city["index"] == 50.0
    crime = next(x for x in rep["questions"] if x["question_id"] == "crime_concern")
    assert crime["index"] == 100.0  # 1 = not concerned on the reversed 3-point scale
    fed = api.post(f"/api/survey/waves/{wave}/feed", headers=_auth(api, "analyst")).json()
    assert {v["indicator_id"] for v in fed["values"]} == {"D7.R2.I1"}
    engine = api.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(indicator_values.c.value).where(
            indicator_values.c.indicator_id == "D7.R2.I1")).scalar_one()
    targeted = [x["index"] for x in rep["questions"] if x["target"] and x["n"] >= 30]
    assert stored == pytest.approx(sum(targeted) / len(targeted), abs=1e-9)
    closed = api.post(f"/api/survey/waves/{wave}/status", json={"status": "closed"}, headers=_auth(api, "analyst"))
    assert closed.json()["status"] == "closed"
    late = api.post(f"/api/survey/waves/{wave}/responses", json={"answers": ANSWERS})
    assert late.status_code == 409


def test_submissions_carry_only_declared_data_and_valid_answers(api: TestClient) -> None:
    wave = _open_wave(api)
    cases = [
        ({"respondent": {"name": "张三"}, "answers": ANSWERS}, 400, "respondent.name"),
        ({"answers": ANSWERS, "phone": "138"}, 400, "phone"),
        ({"answers": {**ANSWERS, "police": 6}}, 400, "off the 1–5 scale"),
        ({"answers": {**ANSWERS, "crime_concern": 0}}, 400, "off the 1–3 scale"),
        ({"answers": {**ANSWERS, "income": 3}}, 400, "unknown question 'income'"),
        ({"answers": {**ANSWERS, "service_channel": "fax"}}, 400, "unknown option"),
        ({"respondent": {"sex": "x"}, "answers": ANSWERS}, 400, "sex must be one of female, male"),
    ]
    for body, status, text in cases:
        r = api.post(f"/api/survey/waves/{wave}/responses", json=body)
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["error"]["message"], r.text
    assert api.post("/api/survey/waves/999/responses", json={"answers": ANSWERS}).status_code == 404
    empty = api.get(f"/api/survey/waves/{wave}/report").json()  # nothing accepted: an empty report
    assert (empty["respondents"], empty["questions"], empty["domains"]) == (0, [], [])
    fed = api.post(f"/api/survey/waves/{wave}/feed", headers=_auth(api, "analyst")).json()
    assert fed["values"] == [] and fed["batch_id"] is None
    engine = api.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(survey_respondents)).scalar_one() == 0
        cols = [c.name for c in survey_respondents.c]
    assert cols == ["wave_id", "respondent_id", "district", "age_band", "sex", "channel", "submitted_at"]


def test_public_writes_are_rate_limited(api: TestClient) -> None:
    wave = _open_wave(api)
    api.app.state.survey_rate_limiter = RateLimiter(limit=3, window=60)  # type: ignore[attr-defined]
    codes = [api.post(f"/api/survey/waves/{wave}/responses", json={"answers": ANSWERS}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    r = api.post("/api/participation/items", json={"unit": UNIT, "subject_kind": "plan", "subject_ref": "P",
                                                   "kind": "proposal", "body": "x"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_participation_routes(api: TestClient) -> None:
    item = api.post("/api/participation/items", json={
        "unit": UNIT, "subject_kind": "project", "subject_ref": "PRJ-1", "kind": "proposal",
        "title": "公交到站屏", "body": "每个站点都装实时到站屏"})
    assert item.status_code == 201, item.text
    iid = item.json()["id"]
    assert api.post("/api/participation/items", json={"unit": UNIT, "subject_kind": "plan", "subject_ref": "P",
                                                      "kind": "proposal", "body": "x", "email": "a@b"}).status_code == 400
    answer = {"status": "answered", "answer": "已列入2027年计划"}
    assert api.post(f"/api/participation/items/{iid}/response", json=answer).status_code == 401
    assert api.post(f"/api/participation/items/{iid}/response", json=answer,
                    headers=_auth(api, "viewer")).status_code == 403
    done = api.post(f"/api/participation/items/{iid}/response", json=answer, headers=_auth(api, "operator"))
    assert done.status_code == 200 and done.json()["public_answer"] == "已列入2027年计划"
    again = api.post(f"/api/participation/items/{iid}/response", json=answer, headers=_auth(api, "operator"))
    assert again.status_code == 409
    listed = api.get("/api/participation/items", params={"unit": UNIT}).json()
    assert [i["status"] for i in listed] == ["answered"]
    year = listed[0]["created_at"][:4]
    stats = api.get("/api/participation/stats", params={"unit": UNIT, "period": year}).json()
    assert (stats["received"], stats["answered"], stats["answered_on_time"]) == (1, 1, 1)
    fed = api.post("/api/participation/feed", params={"unit": UNIT, "period": year}, headers=_auth(api, "analyst"))
    assert fed.json()["on_time_share"] == 100.0 and fed.json()["batch_id"] is not None
