"""Public warnings in CAP 1.2: drafted, reviewed, published, updated and cancelled over HTTP.

Every CAP document is checked against the OASIS schema kept in the project
(src/zhicheng/events/schemas/CAP-v1.2.xsd) with lxml, independently of the server's own check.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from zhicheng.events.cap import CAP_NS, SCHEMA, validate_cap
from zhicheng.events.errors import EventError
from zhicheng.events.warnings import reach_indicator

NS = {"cap": CAP_NS, "atom": "http://www.w3.org/2005/Atom"}
SCHEMA_DOC = etree.XMLSchema(etree.parse(str(SCHEMA)))

WARNING = {
    "event_code": "pollution-episode-forecast", "category": "Env", "urgency": "Expected", "severity": "Severe",
    "certainty": "Likely", "area_desc_zh": "北京市东城区", "area_desc_en": "Dongcheng, Beijing",
    "polygon": "39.90,116.38 39.90,116.45 39.95,116.45 39.95,116.38 39.90,116.38",
    "circle": "39.929,116.417 5", "response_type": "Prepare", "expires": "2030-01-02T00:00:00Z",
    "info": [
        {"language": "zh-CN", "event": "重污染天气", "headline": "东城区预计出现重度污染",
         "description": "预计 24 小时内 AQI 达到 5 级（重度污染）。", "instruction": "减少户外活动。"},
        {"language": "en-US", "event": "Heavy air pollution", "headline": "Heavy pollution expected in Dongcheng",
         "description": "AQI level 5 (heavy) expected within 24 h.", "instruction": "Limit outdoor activity."},
    ],
}


def h(client: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}  # type: ignore[attr-defined]


def published(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/warnings", json=body, headers=h(client, "operator"))
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["state"] == "draft" and w["msg_type"] == "Alert"
    p = client.post(f"/api/warnings/{w['id']}/review", json={"decision": "publish"}, headers=h(client, "reviewer"))
    assert p.status_code == 200, p.text
    return dict(p.json())


def cap(client: TestClient, wid: int) -> Any:
    r = client.get(f"/api/warnings/{wid}/cap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/cap+xml")
    doc = etree.fromstring(r.content)
    assert SCHEMA_DOC.validate(doc), SCHEMA_DOC.error_log
    return doc


def test_published_warning_is_valid_cap_with_bilingual_info(client: TestClient) -> None:
    w = published(client, WARNING)
    doc = cap(client, w["id"])
    # CAP 1.2 §3.2.1: identifier, sender, sent, status, msgType, scope.
    assert doc.findtext("cap:identifier", namespaces=NS) == w["identifier"]
    assert doc.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert doc.findtext("cap:scope", namespaces=NS) == "Public"
    # §3.3.2: "Alphabetic timezone designators such as 'Z' MUST NOT be used".
    assert doc.findtext("cap:sent", namespaces=NS).endswith("+00:00")
    infos = doc.findall("cap:info", namespaces=NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["zh-CN", "en-US"]
    assert [i.findtext("cap:area/cap:areaDesc", namespaces=NS) for i in infos] == ["北京市东城区", "Dongcheng, Beijing"]
    assert infos[0].findtext("cap:area/cap:circle", namespaces=NS) == "39.929,116.417 5"
    assert [infos[1].findtext(f"cap:{k}", namespaces=NS) for k in ("urgency", "severity", "certainty")] == \
        ["Expected", "Severe", "Likely"]
    assert client.get("/api/warnings").json()[0]["active"] is True


def test_update_and_cancel_reference_the_original(client: TestClient) -> None:
    original = published(client, WARNING)
    op, rev = h(client, "operator"), h(client, "reviewer")
    content = {**WARNING, "severity": "Extreme", "info": [{**WARNING["info"][0], "headline": "东城区预计出现严重污染"}]}
    upd = client.post(f"/api/warnings/{original['id']}/replace", json={"msg_type": "Update", "content": content},
                      headers=op).json()
    assert client.post(f"/api/warnings/{upd['id']}/review", json={"decision": "publish"}, headers=rev).status_code == 200
    doc = cap(client, upd["id"])
    # §3.2.1 references: "sender,identifier,sent" of each earlier message, space separated.
    sent = etree.fromstring(client.get(f"/api/warnings/{original['id']}/cap.xml").content).findtext("cap:sent", namespaces=NS)
    assert doc.findtext("cap:references", namespaces=NS) == f"{original['sender']},{original['identifier']},{sent}"
    assert doc.findtext("cap:msgType", namespaces=NS) == "Update"
    # A replaced warning cannot be replaced again; the update can be cancelled.
    assert client.post(f"/api/warnings/{original['id']}/replace", json={"msg_type": "Cancel"}, headers=op).status_code == 409
    cancel = client.post(f"/api/warnings/{upd['id']}/replace", json={"msg_type": "Cancel", "note": "污染过程结束"},
                         headers=op).json()
    assert client.post(f"/api/warnings/{cancel['id']}/review", json={"decision": "publish"}, headers=rev).status_code == 200
    cdoc = cap(client, cancel["id"])
    assert cdoc.findtext("cap:msgType", namespaces=NS) == "Cancel"
    refs = cdoc.findtext("cap:references", namespaces=NS).split()
    assert [r.split(",")[1] for r in refs] == [original["identifier"], upd["identifier"]]
    assert cdoc.findtext("cap:info/cap:responseType", namespaces=NS) == "AllClear"
    active = {w["id"]: w["active"] for w in client.get("/api/warnings").json()}
    assert active == {original["id"]: False, upd["id"]: False, cancel["id"]: False}
    # The Atom feed lists the three messages, newest first, each linking its CAP document.
    feed = etree.fromstring(client.get("/api/warnings/feed.atom").content)
    links = [e.find("atom:link", NS).get("href") for e in feed.findall("atom:entry", NS)]
    assert [link.rsplit("/", 2)[-2] for link in links] == [str(cancel["id"]), str(upd["id"]), str(original["id"])]
    assert [c.get("term") for c in feed.findall("atom:entry/atom:category", NS)] == ["Cancel", "Update", "Alert"]


def test_roles_and_bad_warnings(client: TestClient) -> None:
    assert client.post("/api/warnings", json=WARNING, headers=h(client, "viewer")).status_code == 403
    bad = {**WARNING, "polygon": "39.9,116.3 39.9,116.4 39.95,116.4", "severity": "Awful", "circle": None}
    r = client.post("/api/warnings", json=bad, headers=h(client, "operator"))
    assert r.status_code == 400
    assert "severity must be one of" in r.json()["error"]["message"] and "first pair repeated last" in r.json()["error"]["message"]
    draft = client.post("/api/warnings", json=WARNING, headers=h(client, "operator")).json()
    # Drafts are not public; operators may not publish; a reviewer may.
    assert client.get(f"/api/warnings/{draft['id']}/cap.xml").status_code == 404
    assert client.post(f"/api/warnings/{draft['id']}/review", json={"decision": "publish"},
                       headers=h(client, "operator")).status_code == 403
    rejected = client.post(f"/api/warnings/{draft['id']}/review", json={"decision": "reject", "note": "区域有误"},
                           headers=h(client, "reviewer"))
    assert rejected.json()["state"] == "rejected"
    assert client.get("/api/warnings").json() == []


def test_reach_feeds_the_warning_indicator(client: TestClient) -> None:
    a, b = published(client, WARNING), published(client, WARNING)
    op = h(client, "operator")
    assert client.post(f"/api/warnings/{a['id']}/reach", json={"residents_in_area": 1000, "residents_reached": 900},
                       headers=op).status_code == 200
    client.post(f"/api/warnings/{b['id']}/reach", json={"residents_in_area": 400, "residents_reached": 300}, headers=op)
    year = int(a["sent"][:4])
    # D2.R3.I1 = mean(900/1000, 300/400) × 100 = 82.5 %.
    assert reach_indicator(client.app.state.engine, year) == pytest.approx(82.5, abs=1e-9)  # type: ignore[attr-defined]
    assert client.post(f"/api/warnings/{a['id']}/reach", json={"residents_in_area": 10, "residents_reached": 90},
                       headers=op).status_code == 400


def test_the_schema_check_can_fail() -> None:
    doc = (f'<alert xmlns="{CAP_NS}"><identifier>x</identifier><sender>s</sender>'
           "<sent>2026-01-01T00:00:00Z</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>")
    with pytest.raises(EventError, match="not a valid CAP 1.2 document"):
        validate_cap(doc.encode())
