"""A campaign in every state, made over HTTP: the store for tests of the campaign API's answers.

Two districts, three assignments to two departments; submissions approved, returned, submitted
and in draft, with evidence files; one evaluation run over the approved values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.campaign import (
    COORDINATION,
    DISTRICTS,
    ENV,
    GIGABIT,
    ONLINE,
    STATS,
    load_units,
    pdf_bytes,
    png_bytes,
)
from zhicheng.auth import create_token
from zhicheng.campaign import CampaignSettings
from zhicheng.evaluate.service import evaluate


@dataclass
class CampaignScenario:
    """The app, its people's tokens and the ids of what was made."""

    client: TestClient
    tokens: dict[str, str]
    campaign_id: int
    submissions: dict[str, int]
    evidence_id: int
    run_id: int

    def headers(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who``."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def make_campaign_scenario(client: TestClient, folder: Path) -> CampaignScenario:
    """Units, tokens, a campaign and its submissions in ``client``'s store (evidence under ``folder``)."""
    app: Any = client.app
    engine = app.state.engine
    load_units(engine, folder)
    app.state.campaign_settings = CampaignSettings(evidence_dir=str(folder / "evidence"))
    tokens = {"rita": create_token(engine, "reviewer", "rita", None),
              "alice": create_token(engine, "analyst", "alice", STATS),
              "carol": create_token(engine, "analyst", "carol", STATS),
              "bob": create_token(engine, "analyst", "bob", ENV)}

    def post(who: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        return _ok(client.post(path, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs), status)

    cid = post("rita", "/api/campaigns", 201, json={"name": "2024 年度城市自评", "period": "2024",
                                                    "deadline": "2099-03-31", "units": DISTRICTS})["id"]
    post("rita", f"/api/campaigns/{cid}/assignments", json={"assignments": [
        {"indicator_id": GIGABIT, "department": STATS, "assignees": ["alice"]},
        {"indicator_id": COORDINATION, "department": STATS},
        {"indicator_id": ONLINE, "department": ENV},
    ]})

    def submission(who: str, fields: dict[str, str], action: str, name: str, data: bytes) -> Any:
        return post(who, f"/api/campaigns/{cid}/submissions", data={**fields, "action": action},
                    files=[("files", (name, data, "application/octet-stream"))])

    approved = submission("alice", {"indicator_id": GIGABIT, "unit_code": DISTRICTS[0], "value": "91.2"},
                          "submit", "千兆覆盖.pdf", pdf_bytes("liwan"))
    returned = submission("alice", {"indicator_id": GIGABIT, "unit_code": DISTRICTS[1], "value": "70"},
                          "submit", "越秀区.pdf", pdf_bytes("yuexiu"))
    checklist = submission("carol", {"indicator_id": COORDINATION, "unit_code": DISTRICTS[0],
                                     "answer": "领导小组由市长任组长", "items_met": "4", "items_total": "5",
                                     "maturity": "3"}, "submit", "会议纪要.pdf", pdf_bytes("minutes"))
    draft = submission("bob", {"indicator_id": ONLINE, "unit_code": DISTRICTS[0], "value": "95.5"},
                       "save", "网办率.png", png_bytes(5, 5))
    post("rita", f"/api/campaigns/{cid}/approve", json={"submission_ids": [approved["id"]]})
    post("rita", f"/api/campaigns/{cid}/return", json={"submission_ids": [returned["id"]], "reason": "口径不符"})
    run_id = evaluate(engine, "2024").run_id
    return CampaignScenario(
        client=client, tokens=tokens, campaign_id=cid,
        submissions={"approved": approved["id"], "returned": returned["id"], "submitted": checklist["id"],
                     "draft": draft["id"]},
        evidence_id=draft["evidence"][0]["id"], run_id=run_id,
    )
