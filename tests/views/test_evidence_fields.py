"""The API carries each score's coverage and evidence: rank and grade statuses, provisional grades.

A run of rules 2 on the eight-city workspace beside its stored run of rules 1, which keeps its
method and shows no rules-2 fields.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.cockpit_workspace import build_workspace
from zhicheng.api import create_app
from zhicheng.evaluate.config import MethodConfig
from zhicheng.evaluate.service import evaluate
from zhicheng.store import init_store


def test_rules2_fields_in_the_ranking_and_unit_pages(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    built = build_workspace(engine)
    old_run = int(str(built["run_id"]))
    new = evaluate(engine, "2020", config=MethodConfig(lookback=1))
    with TestClient(create_app(engine)) as client:
        ranking = client.get("/api/evaluation/ranking", params={"run": new.run_id}).json()
        assert ranking["run"]["rules"] == 2
        rows = ranking["rows"]
        assert rows and all(r["coverage"] is not None for r in rows if r["score"] is not None)
        assert {r["rank_status"] for r in rows} == {"ranked"}
        # Two domains of seven have data: no city has the evidence for a grade.
        assert all(r["grade"] is None and r["grade_status"] == "insufficient_evidence" for r in rows)
        assert all(r["grade_status_name"] == "证据不足" and r["provisional_grade"] is not None
                   and r["provisional_grade_name"] for r in rows)
        assert all(r["attainment"] is not None for r in rows)
        en = client.get("/api/evaluation/ranking", params={"run": new.run_id, "lang": "en"}).json()
        assert en["rows"][0]["grade_status_name"] == "insufficient evidence"
        unit = rows[0]["unit_code"]
        page = client.get(f"/api/evaluation/units/{unit}", params={"run": new.run_id}).json()
        assert page["index"]["grade_status"] == "insufficient_evidence" and page["index"]["coverage"] > 0
        scored = [d for d in page["domains"] if d["score"] is not None]
        assert scored and all(d["coverage"] is not None and d["grade_status"] for d in scored)
        # Every domain of the framework is listed, the unscored ones as "no data" (as on the overview).
        assert [d["code"] for d in page["domains"]] == [f"D{i}" for i in range(1, 8)]
        old = client.get("/api/evaluation/ranking", params={"run": old_run}).json()
        assert old["run"]["rules"] == 1
        assert all(r["rank_status"] is None and r["grade"] is not None for r in old["rows"])
    engine.dispose()
