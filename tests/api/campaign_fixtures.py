"""Fixtures of the campaign API tests: the app on a store with two districts and department tokens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.campaign import ENV, STATS, load_units
from zhicheng.auth import create_token
from zhicheng.campaign import CampaignSettings

#: Largest evidence file the test server accepts [bytes].
LIMIT = 64 * 1024


@dataclass
class Office:
    """The test server's people: a reviewer, an admin and analysts of two departments."""

    client: TestClient
    tokens: dict[str, str]
    evidence_dir: Path

    def headers(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who``."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **params: Any) -> Any:
        """GET as ``who``; the JSON answer (asserting 200)."""
        response = self.client.get(path, headers=self.headers(who), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, who: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """POST as ``who``; the JSON answer (asserting ``status``)."""
        response = self.client.post(path, headers=self.headers(who), **kwargs)
        assert response.status_code == status, response.text
        return response.json()


def office(client: TestClient, tmp_path: Path) -> Office:
    """Units, tokens and an evidence folder for ``client``'s app."""
    app: Any = client.app
    engine = app.state.engine
    load_units(engine, tmp_path)
    app.state.campaign_settings = CampaignSettings(evidence_dir=str(tmp_path / "evidence"), evidence_max_bytes=LIMIT)
    tokens = dict(client.tokens)  # type: ignore[attr-defined]
    tokens["alice"] = create_token(engine, "analyst", "alice", STATS)
    tokens["carol"] = create_token(engine, "analyst", "carol", STATS)
    tokens["bob"] = create_token(engine, "analyst", "bob", ENV)
    tokens["rita"] = create_token(engine, "reviewer", "rita", None)
    return Office(client=client, tokens=tokens, evidence_dir=tmp_path / "evidence")
