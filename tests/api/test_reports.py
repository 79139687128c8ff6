"""`/api/reports`: a report is a background job to poll, then a file to download; analysts and admins only."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zhicheng.api import create_app
from zhicheng.auth import create_token
from zhicheng.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture()
def reports_client(report_db: tuple[str, int], tmp_path: Path) -> Iterator[TestClient]:
    """The app on a copy of the built report store (tokens are written into it), reports in tmp_path."""
    db = tmp_path / "store.db"
    shutil.copy(report_db[0], db)
    app = create_app(f"sqlite:///{db}", Settings(db=str(db), reports_dir=str(tmp_path / "reports")))
    with TestClient(app) as c:
        engine = app.state.engine
        c.tokens = {r: create_token(engine, r, f"test-{r}") for r in ("admin", "analyst", "viewer")}  # type: ignore[attr-defined]
        yield c
    app.state.engine.dispose()


def _auth(client: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}  # type: ignore[attr-defined]


def _wait(client: TestClient, job_id: str, role: str = "analyst") -> dict[str, object]:
    for _ in range(600):
        status = client.get(f"/api/reports/{job_id}", headers=_auth(client, role)).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"report job {job_id} did not finish")


def test_a_report_is_queued_polled_and_downloaded(reports_client: TestClient, tmp_path: Path) -> None:
    c = reports_client
    asked = c.post("/api/reports", json={"kind": "city", "unit": "深圳", "lang": "zh", "format": "pdf"},
                   headers=_auth(c, "analyst"))
    assert asked.status_code == 202, asked.text
    job = asked.json()
    # The answer comes before the rendering: the job is still queued or running.
    assert job["status"] in ("queued", "running") and job["download"] is None
    assert asked.headers["location"] == f"/api/reports/{job['id']}"
    assert job["key"] == "440300" and job["run_id"] == 1  # the name resolved, the run fixed
    # The server keeps answering while the worker renders.
    assert c.get("/healthz").status_code == 200
    done = _wait(c, job["id"])
    assert done["status"] == "done", done
    assert done["provenance"]["run_id"] == 1 and done["provenance"]["framework_version"] == "1.0.0"
    got = c.get(str(done["download"]), headers=_auth(c, "analyst"))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
    assert "report-city-440300-run1-zh.pdf" in got.headers["content-disposition"]
    if shutil.which("pdftotext"):
        pdf = tmp_path / "got.pdf"
        pdf.write_bytes(got.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "深圳市" in text
    listed = c.get("/api/reports", headers=_auth(c, "admin")).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_admins_generate_docx_domain_and_campaign_reports(reports_client: TestClient) -> None:
    c = reports_client
    ids = []
    for body in ({"kind": "domain", "code": "D4", "format": "docx", "lang": "en"},
                 {"kind": "campaign", "campaign": 1, "format": "html"}):
        asked = c.post("/api/reports", json=body, headers=_auth(c, "admin"))
        assert asked.status_code == 202, asked.text
        ids.append(asked.json()["id"])
    for job_id, media in zip(ids, ("wordprocessingml", "text/html"), strict=True):
        done = _wait(c, job_id, "admin")
        assert done["status"] == "done", done
        got = c.get(f"/api/reports/{job_id}/download", headers=_auth(c, "admin"))
        assert got.status_code == 200 and media in got.headers["content-type"]


def test_who_may_and_what_is_refused(reports_client: TestClient) -> None:
    c = reports_client
    body = {"kind": "city", "unit": "440300"}
    assert c.post("/api/reports", json=body).status_code == 401
    assert c.post("/api/reports", json=body, headers=_auth(c, "viewer")).status_code == 403
    assert c.get("/api/reports", headers=_auth(c, "viewer")).status_code == 403
    nowhere = c.post("/api/reports", json={"kind": "city", "unit": "nowhere"}, headers=_auth(c, "analyst"))
    assert nowhere.status_code == 404 and "nowhere" in nowhere.json()["error"]["message"]
    assert c.post("/api/reports", json={"kind": "domain", "code": "D9"}, headers=_auth(c, "analyst")).status_code == 404
    assert c.post("/api/reports", json={"kind": "campaign", "campaign": 99}, headers=_auth(c, "analyst")).status_code == 404
    assert c.post("/api/reports", json={"kind": "city"}, headers=_auth(c, "analyst")).status_code == 400
    assert c.post("/api/reports", json={**body, "format": "odt"}, headers=_auth(c, "analyst")).status_code == 400
    assert c.post("/api/reports", json={**body, "run": 77}, headers=_auth(c, "analyst")).status_code == 404
    assert c.get("/api/reports/" + "0" * 32, headers=_auth(c, "analyst")).status_code == 404
    assert c.get("/api/reports/" + "0" * 32 + "/download", headers=_auth(c, "analyst")).status_code == 404
    assert c.get("/api/reports/not-a-job", headers=_auth(c, "analyst")).status_code == 400
