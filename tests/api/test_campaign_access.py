"""Who may do what in a campaign, over HTTP: departments, self-review, refused files, audit."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.campaign_fixtures import LIMIT, Office, office
from tests.support.campaign import (
    COORDINATION,
    DISTRICTS,
    ENV,
    GIGABIT,
    ONLINE,
    STATS,
    pdf_bytes,
    xlsx_bytes,
)
from zhicheng.store.schema import indicator_values
from zhicheng.store.schema_api import audit_log
from zhicheng.store.schema_campaign import campaign_evidence, campaign_submissions


@pytest.fixture
def desk(client: TestClient, tmp_path: Path) -> tuple[Office, int]:
    desk = office(client, tmp_path)
    cid = desk.post("rita", "/api/campaigns", 201, json={
        "name": "自评", "period": "2024", "deadline": "2099-01-31", "units": DISTRICTS})["id"]
    desk.post("rita", f"/api/campaigns/{cid}/assignments", json={"assignments": [
        {"indicator_id": GIGABIT, "department": STATS}, {"indicator_id": ONLINE, "department": ENV},
        {"indicator_id": COORDINATION, "department": STATS, "assignees": ["carol"]}]})
    return desk, cid


def _form(ind: str, unit: str, value: float, action: str = "save") -> dict[str, str]:
    return {"indicator_id": ind, "unit_code": unit, "value": str(value), "action": action}


def _stored_files(desk: Office) -> list[Path]:
    return [p for p in desk.evidence_dir.rglob("*") if p.is_file()]


def _count(desk: Office, table: sa.Table) -> int:
    with desk.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_other_departments_get_403(desk: tuple[Office, int]) -> None:
    office_, cid = desk
    sub = office_.post("alice", f"/api/campaigns/{cid}/submissions", data=_form(GIGABIT, DISTRICTS[0], 80.0))
    path = f"/api/campaigns/{cid}/submissions/{sub['id']}"
    c, bob = office_.client, office_.headers("bob")
    assert c.get(path, headers=bob).status_code == 403
    assert c.post(path + "/submit", headers=bob).status_code == 403
    assert c.post(f"/api/campaigns/{cid}/submissions", headers=bob, data=_form(GIGABIT, DISTRICTS[0], 1.0)).status_code == 403
    assert c.get(f"/api/campaigns/{cid}/submissions", headers=bob, params={"department": STATS}).status_code == 403
    assert c.get(f"/api/campaigns/{cid}/submissions", headers=bob).json() == []
    files = {"files": ("a.pdf", pdf_bytes(), "application/pdf")}
    assert c.post(path + "/evidence", headers=bob, files=files).status_code == 403
    # A named assignee list keeps the department's other analysts out too.
    refused = c.post(f"/api/campaigns/{cid}/submissions", headers=office_.headers("alice"),
                     data={"indicator_id": COORDINATION, "unit_code": DISTRICTS[0], "answer": "x", "maturity": "2"})
    assert refused.status_code == 403
    # Reviewing needs a reviewer; reading needs a token; viewers are not part of campaigns.
    assert c.post(f"/api/campaigns/{cid}/approve", headers=office_.headers("alice"),
                  json={"submission_ids": [sub["id"]]}).status_code == 403
    assert c.get(f"/api/campaigns/{cid}").status_code == 401
    assert c.get(f"/api/campaigns/{cid}", headers=office_.headers("viewer")).status_code == 403
    assert c.post("/api/campaigns", headers=office_.headers("alice"), json={
        "name": "x", "period": "2024", "deadline": "2099-01-01", "units": DISTRICTS}).status_code == 403
    assert office_.get("alice", path)["value"] == 80.0


def test_nobody_approves_their_own_submission(desk: tuple[Office, int]) -> None:
    office_, cid = desk
    own = office_.post("admin", f"/api/campaigns/{cid}/submissions", data=_form(ONLINE, DISTRICTS[0], 91.0, "submit"))
    other = office_.post("bob", f"/api/campaigns/{cid}/submissions", data=_form(ONLINE, DISTRICTS[1], 89.0, "submit"))
    response = office_.client.post(f"/api/campaigns/{cid}/approve", headers=office_.headers("admin"),
                                   json={"submission_ids": [other["id"], own["id"]]})
    assert response.status_code == 403
    assert f"submission {own['id']} is your own work" in response.json()["error"]["message"]
    assert _count(office_, indicator_values) == 0
    assert office_.get("rita", f"/api/campaigns/{cid}/submissions/{other['id']}")["status"] == "submitted"
    done = office_.post("rita", f"/api/campaigns/{cid}/approve", json={"submission_ids": [own["id"], other["id"]]})
    assert done["values_new"] == 2
    conflict = office_.client.post(f"/api/campaigns/{cid}/approve", headers=office_.headers("rita"),
                                   json={"submission_ids": [own["id"]]})
    assert conflict.status_code == 409


def _macro_workbook() -> bytes:
    """An .xlsx name around a macro-carrying package (a vbaProject.bin part)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for item in source.infolist():
            package.writestr(item, source.read(item.filename))
        package.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return out.getvalue()


REFUSED = [
    ("oversized", [("big.pdf", pdf_bytes() + b"%" * LIMIT)], 413, "larger than the limit"),
    ("executable", [("setup.exe", b"MZ\x90\x00" + b"\x00" * 100)], 415, "file type not accepted"),
    ("disguised", [("report.pdf", b"<html><script>alert(1)</script></html>")], 415, "bytes are not application/pdf"),
    ("macro", [("ledger.xlsx", _macro_workbook())], 415, "bytes are not application/vnd.openxmlformats"),
    ("mixed", [("ok.pdf", pdf_bytes()), ("ok.xlsx", xlsx_bytes()), ("x.svg", b"<svg/>")], 415, "x.svg"),
    ("mixed-large", [("ok.pdf", pdf_bytes()), ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * LIMIT)], 413, "huge.png"),
]


@pytest.mark.parametrize(("case", "files", "status", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_files_leave_nothing(desk: tuple[Office, int], case: str, files: list[tuple[str, bytes]],
                                     status: int, reason: str) -> None:
    office_, cid = desk
    audit_before = _count(office_, audit_log)
    upload = [("files", (name, data, "application/pdf")) for name, data in files]
    response = office_.client.post(f"/api/campaigns/{cid}/submissions", headers=office_.headers("alice"),
                                   data=_form(GIGABIT, DISTRICTS[0], 80.0, "submit"), files=upload)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]["message"]
    assert _count(office_, campaign_submissions) == 0 and _count(office_, campaign_evidence) == 0
    assert _stored_files(office_) == []
    # The refused request is audited (by the server), and no campaign change was recorded.
    assert _count(office_, audit_log) == audit_before + 1


def test_refused_evidence_on_an_existing_submission_changes_nothing(desk: tuple[Office, int]) -> None:
    office_, cid = desk
    sub = office_.post("alice", f"/api/campaigns/{cid}/submissions", data=_form(GIGABIT, DISTRICTS[0], 80.0),
                       files=[("files", ("first.pdf", pdf_bytes("first"), "application/pdf"))])
    before = _stored_files(office_)
    assert len(before) == 1
    response = office_.client.post(f"/api/campaigns/{cid}/submissions", headers=office_.headers("alice"),
                                   data=_form(GIGABIT, DISTRICTS[0], 85.0),
                                   files=[("files", ("second.pdf", pdf_bytes("second"), "application/pdf")),
                                          ("files", ("third.doc", b"\xd0\xcf\x11\xe0", "application/msword"))])
    assert response.status_code == 415
    now = office_.get("alice", f"/api/campaigns/{cid}/submissions/{sub['id']}")
    assert now["value"] == 80.0 and [e["filename"] for e in now["evidence"]] == ["first.pdf"]
    assert _stored_files(office_) == before
    # A value outside the plausible range is refused after the files were checked: still nothing kept.
    response = office_.client.post(f"/api/campaigns/{cid}/submissions", headers=office_.headers("alice"),
                                   data=_form(GIGABIT, DISTRICTS[0], 180.0),
                                   files=[("files", ("second.pdf", pdf_bytes("second"), "application/pdf"))])
    assert response.status_code == 400 and "plausible range" in response.json()["error"]["message"]
    assert _stored_files(office_) == before


def test_evidence_is_served_as_an_attachment_only(desk: tuple[Office, int]) -> None:
    office_, cid = desk
    sub = office_.post("alice", f"/api/campaigns/{cid}/submissions", data=_form(GIGABIT, DISTRICTS[0], 80.0),
                       files=[("files", ('"><img src=x>.pdf', pdf_bytes(), "text/html"))])
    item = sub["evidence"][0]
    assert item["media_type"] == "application/pdf" and item["filename"].endswith("_img src=x_.pdf")
    assert not set('<>"/') & set(item["filename"])
    response = office_.client.get(item["url"], headers=office_.headers("carol"))
    assert response.status_code == 200 and response.content == pdf_bytes()
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert office_.client.get(item["url"], headers=office_.headers("bob")).status_code == 403
    stored = office_.evidence_dir / item["sha256"][:2] / item["sha256"]
    assert stored.stat().st_mode & 0o111 == 0  # never executable
    removed = office_.client.delete(item["url"], headers=office_.headers("alice"))
    assert removed.status_code == 200 and removed.json()["evidence"] == []
    assert not stored.exists()


def test_every_change_is_audited_with_detail(desk: tuple[Office, int]) -> None:
    office_, cid = desk
    sub = office_.post("bob", f"/api/campaigns/{cid}/submissions", data=_form(ONLINE, DISTRICTS[0], 90.0, "submit"))
    office_.post("rita", f"/api/campaigns/{cid}/return", json={"submission_ids": [sub["id"]], "reason": "口径"})
    office_.post("bob", f"/api/campaigns/{cid}/submissions/{sub['id']}/submit")
    office_.post("rita", f"/api/campaigns/{cid}/approve", json={"submission_ids": [sub["id"]]})
    with office_.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(audit_log.c.actor, audit_log.c.method, audit_log.c.detail)
                            .where(audit_log.c.method == "CAMPAIGN").order_by(audit_log.c.id)).all()
        http = conn.execute(sa.select(sa.func.count()).where(audit_log.c.method == "POST")).scalar_one()
    actions = [(actor, detail.split('"action": "')[1].split('"')[0]) for actor, _, detail in rows]
    assert actions == [("rita", "create"), ("rita", "assign"), ("bob", "save"), ("bob", "submit"),
                       ("rita", "return"), ("bob", "resubmit"), ("rita", "approve")]
    assert http == 6  # create, assign, save+submit, return, resubmit, approve
    history = office_.get("rita", f"/api/campaigns/{cid}/submissions/{sub['id']}")["history"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("create", None, "draft"), ("submit", "draft", "submitted"), ("return", "submitted", "returned"),
        ("resubmit", "returned", "resubmitted"), ("approve", "resubmitted", "approved")]
