"""Clean text in, well-formed XML out (issue 14, finding 5).

Every C0 control character but tab, LF and CR, and lone surrogates, are refused with a 400 naming
the field, on the common input path (JSON bodies, forms, query strings): Open311 POST, SensorThings
and campaign JSON. Text stored before the check (written straight into the store) still comes out
of ``requests.xml`` well-formed, read by Python's XML parser and by the ``georeport`` XML client.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from georeport import GeoReport

from tests.api.sta_helpers import auth
from zhicheng.inputs import NOT_XML, bad_character
from zhicheng.store.schema_events import events

REFUSED = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
ALLOWED = ["\t", "\n", "\r", "é", "涂鸦", "\U0001f600"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]


def _form(description: str, key: str) -> dict[str, str]:
    return {"api_key": key, "service_code": "noise", "lat": "39.9", "long": "116.4", "description": description}


def test_the_refused_set_is_exactly_what_xml_cannot_hold() -> None:
    for ch in REFUSED + SURROGATES + ["\ufffe", "\uffff"]:
        assert bad_character(f"a{ch}b") is not None and NOT_XML.search(ch)
    for ch in ALLOWED:
        assert bad_character(f"a{ch}b") is None and not NOT_XML.search(ch)


def test_open311_refuses_control_characters_naming_the_field(client: TestClient) -> None:
    key = client.tokens["operator"]  # type: ignore[attr-defined]
    for ch in REFUSED:
        r = client.post("/open311/v2/requests.json", data=_form(f"loud{ch}music", key))
        assert r.status_code == 400, repr(ch)
        assert "description" in r.json()[0]["description"] and f"U+{ord(ch):04X}" in r.json()[0]["description"]
        x = client.post("/open311/v2/requests.xml", data=_form(f"loud{ch}music", key))
        assert x.status_code == 400 and ET.fromstring(x.content).find("error/code").text == "400"  # type: ignore[union-attr]
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0


def test_json_inputs_refuse_them_too(client: TestClient) -> None:
    admin = {**auth(client.tokens["admin"]), "content-type": "application/json"}  # type: ignore[attr-defined]
    for ch in REFUSED + SURROGATES:
        escaped = json.dumps(f"st{ch}ation")  # \u000b, \ud800 …: valid JSON text, refused content
        r = client.post("/v1.1/Things", content=f'{{"name": {escaped}, "description": "d"}}'.encode(), headers=admin)
        assert r.status_code == 400 and r.json()["error"]["problems"][0]["loc"] == ["body.name"], repr(ch)
        body = f'{{"name": {escaped}, "period": "2024", "deadline": "2025-03-31"}}'.encode()
        c = client.post("/api/campaigns", content=body, headers=admin)
        assert c.status_code == 400 and "body.name" in c.json()["error"]["message"], repr(ch)
    for ch in REFUSED:
        q = client.get("/v1.1/Things", params={"$filter": f"name eq 'a{ch}'"})
        assert q.status_code == 400 and "$filter" in q.json()["error"]["message"], repr(ch)


def test_allowed_whitespace_and_text_pass(client: TestClient) -> None:
    key = client.tokens["operator"]  # type: ignore[attr-defined]
    r = client.post("/open311/v2/requests.json", data=_form("line one\nline two\tend\r\n涂鸦 é 😀", key))
    assert r.status_code == 200, r.text


def test_requests_xml_is_well_formed_for_the_georeport_client(live_server: Any) -> None:
    key = live_server.tokens["operator"]
    made = httpx.post(f"{live_server.url}/open311/v2/requests.json", data=_form("tab\there, 涂鸦", key))
    assert made.status_code == 200, made.text
    # Text stored before the check existed: every refused control character, straight into the
    # store (a lone surrogate cannot be stored at all: no UTF-8 text holds one).
    with live_server.app.state.engine.begin() as conn:
        conn.execute(events.update().values(description="old" + "".join(REFUSED) + "end"))
    raw = httpx.get(f"{live_server.url}/open311/v2/requests.xml").content
    root = ET.fromstring(raw)  # well-formed
    descriptions = [e.text for e in root.iter("description")]
    assert descriptions and all(d is None or not NOT_XML.search(d) for d in descriptions)
    client = GeoReport(f"{live_server.url}/open311/v2", output_format="xml")
    requests = client.get_service_requests()
    requests = [requests] if isinstance(requests, dict) else requests
    assert requests and all(str(r["description"]).startswith("old") for r in requests)


def test_mqtt_payloads_follow_the_same_rules() -> None:
    from zhicheng.errors import ZhichengError
    from zhicheng.sensing.mqtt import _json

    assert _json(b'{"result": 1, "parameters": {"note": "tab\\there"}}')["result"] == 1
    for ch in REFUSED + SURROGATES:
        with pytest.raises(ZhichengError, match="payload"):
            _json(json.dumps({"result": 1, "parameters": {"note": f"a{ch}b"}}).encode())
    with pytest.raises(ZhichengError, match="nested"):
        _json(b'{"a":' * 300 + b"1" + b"}" * 300)
