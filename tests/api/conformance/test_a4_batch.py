"""A.4 Batch Requests (OGC 18-088 Annex A.4, §11.2): OData JSON batch and multipart/mixed, with
change sets (atomicity groups) stored together or not at all."""

from __future__ import annotations

import email.parser
import email.policy

from tests.api.conformance.conftest import Sta

SENSOR = {"name": "batch sensor", "description": "d", "encodingType": "text/plain", "metadata": "m"}


def _count(sta: Sta, path: str, expr: str) -> int:
    return int(sta.http(None).get(path, params={"$filter": expr, "$count": "true", "$top": 0}).json()["@iot.count"])


def test_json_batch_reads_writes_and_references(sta: Sta) -> None:
    thing = sta.ids["dongsi"]
    body = {
        "requests": [
            {"id": "r1", "method": "get", "url": f"Things({thing})?$select=name"},
            {"id": "s1", "method": "post", "url": "Sensors", "body": SENSOR},
            {"id": "r2", "method": "get", "url": "$s1/name"},
            {"id": "p1", "method": "patch", "url": "$s1", "body": {"description": "patched"}},
            {"id": "x1", "method": "get", "url": "Things(999999)"},
        ]
    }
    r = sta.http().post("/$batch", json=body)
    assert r.status_code == 200, r.text
    answers = {a["id"]: a for a in r.json()["responses"]}
    assert answers["r1"]["status"] == 200 and answers["r1"]["body"] == {"name": "Dongsi"}
    assert answers["s1"]["status"] == 201 and "location" in answers["s1"]["headers"]
    assert answers["r2"]["body"] == {"name": "batch sensor"}
    assert answers["p1"]["status"] == 200 and answers["p1"]["body"]["description"] == "patched"
    assert answers["x1"]["status"] == 404  # one failure outside a change set stops nothing


def test_atomicity_group_is_all_or_nothing(sta: Sta) -> None:
    c = sta.http()
    ok = c.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "atomicityGroup": "g", "method": "post", "url": "Sensors", "body": {**SENSOR, "name": "group ok A"}},
                {"id": "2", "atomicityGroup": "g", "method": "post", "url": "Sensors", "body": {**SENSOR, "name": "group ok B"}},
            ]
        },
    )
    assert [a["status"] for a in ok.json()["responses"]] == [201, 201]
    failed = c.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "atomicityGroup": "g", "method": "post", "url": "Sensors", "body": {**SENSOR, "name": "group bad A"}},
                {"id": "2", "atomicityGroup": "g", "method": "post", "url": "Sensors", "body": {"name": "no description"}},
                {"id": "3", "method": "post", "url": "Sensors", "body": {**SENSOR, "name": "after the group"}},
            ]
        },
    )
    replies = failed.json()["responses"]
    assert [(a["id"], a["status"]) for a in replies] == [("2", 400), ("3", 201)]
    assert _count(sta, "/Sensors", "startswith(name, 'group ok')") == 2
    assert _count(sta, "/Sensors", "name eq 'group bad A'") == 0  # undone with its group
    assert _count(sta, "/Sensors", "name eq 'after the group'") == 1


def test_batch_writes_need_a_writer(sta: Sta) -> None:
    r = sta.http("viewer").post("/$batch", json={"requests": [{"id": "1", "method": "post", "url": "Sensors", "body": SENSOR}]})
    assert r.status_code == 200 and r.json()["responses"][0]["status"] == 403
    r = sta.http(None).post("/$batch", json={"requests": [{"id": "1", "method": "post", "url": "Sensors", "body": SENSOR}]})
    assert r.json()["responses"][0]["status"] == 401


def test_multipart_batch_with_a_change_set(sta: Sta) -> None:
    thing = sta.ids["tiantan"]
    body = (
        "--batch_1\r\n"
        "Content-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\n"
        f"GET v1.1/Things({thing})?$select=name HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
        "--batch_1\r\n"
        "Content-Type: multipart/mixed; boundary=changeset_1\r\n\r\n"
        "--changeset_1\r\n"
        "Content-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n"
        "Content-ID: 1\r\n\r\n"
        "POST v1.1/Sensors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n"
        '{"name": "multipart sensor", "description": "d", "encodingType": "text/plain", "metadata": "m"}\r\n'
        "--changeset_1\r\n"
        "Content-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n"
        "Content-ID: 2\r\n\r\n"
        "PATCH $1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n"
        '{"description": "from the change set"}\r\n'
        "--changeset_1--\r\n"
        "--batch_1--\r\n"
    )
    r = sta.http().post("/$batch", content=body.encode(), headers={"content-type": "multipart/mixed; boundary=batch_1"})
    assert r.status_code == 200, r.text
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + r.headers["content-type"].encode() + b"\r\n\r\n" + r.content
    )
    top = list(message.iter_parts())
    assert len(top) == 2
    first = top[0].get_payload(decode=True).decode()
    assert first.startswith("HTTP/1.1 200 OK") and '"name": "Tiantan"' in first
    inner = [p.get_payload(decode=True).decode() for p in top[1].iter_parts()]
    assert inner[0].startswith("HTTP/1.1 201 Created") and inner[1].startswith("HTTP/1.1 200 OK")
    assert '"description": "from the change set"' in inner[1]
    assert _count(sta, "/Sensors", "name eq 'multipart sensor'") == 1


def test_malformed_batches_are_400(sta: Sta) -> None:
    c = sta.http()
    assert c.post("/$batch", json={"nope": []}).status_code == 400
    assert c.post("/$batch", json={"requests": [{"id": "1", "method": "get", "url": "$9/name"}]}).json()["responses"][0]["status"] == 400
