"""The PyPI client ``georeport`` against a live server: services, definitions and requests, JSON and XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from georeport import GeoReport

from zhicheng.events import load_la311
from zhicheng.events.catalogue import load_catalogue

LA2020 = Path(__file__).resolve().parents[2] / "data" / "service_requests" / "la311_requests_2020-01-01_to_03_seed.csv.gz"
#: The file's requests were made 2020-01-01 to 2020-01-03, Los Angeles time (UTC−8).
START, END = "2019-12-31T00:00:00Z", "2020-01-06T00:00:00Z"


def prepare(server: Any) -> list[str]:
    """Load the real LA 2020 requests into the live server's store and submit two new reports."""
    load_la311(server.app.state.engine, LA2020)
    ids = []
    for form in ({"service_code": "graffiti-removal", "lat": "34.05", "long": "-118.25", "attribute[surface]": "wall",
                  "description": "tag on the wall 墙上涂鸦", "media_url": "https://example.org/p.jpg"},
                 {"service_code": "bulky-items", "address_string": "200 N Spring St", "attribute[item_types]": "furniture"}):
        r = httpx.post(f"{server.url}/open311/v2/requests.json", data={**form, "api_key": server.tokens["operator"]})
        assert r.status_code == 200, r.text
        ids.append(r.json()[0]["service_request_id"])
    return ids


def expected_counts() -> pd.DataFrame:
    """Requests per (service, open/closed) straight from the file, with the catalogue's mapping."""

    raw = pd.read_csv(LA2020, dtype=str)
    raw["service_code"] = raw["requesttype"].map(load_catalogue().la311_map())
    raw["open311"] = raw["status"].map({"Open": "open", "Pending": "open"}).fillna("closed")
    return raw.groupby(["service_code", "open311"]).size()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definitions(live_server: Any, fmt: str) -> None:
    url = live_server.url
    client = GeoReport(f"{url}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert codes == [s.code for s in load_catalogue().services] and len(codes) == 21  # 17 + 4 the platform raises (forecast, surge, readiness)
    graffiti = next(s for s in services if s["service_code"] == "graffiti-removal")
    assert graffiti["service_name"] == "涂鸦清除 Graffiti removal"
    assert str(graffiti["metadata"]).lower() == "true" and graffiti["type"] == "realtime"
    definition = client.get_service_definition("graffiti-removal")
    assert definition["service_code"] == "graffiti-removal"
    attrs = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert [a["code"] for a in attrs] == ["surface", "offensive"]
    surface = attrs[0]
    assert surface["datatype"] == "singlevaluelist" and str(surface["required"]).lower() == "true"
    values = surface["values"] if fmt == "json" else surface["values"]["value"]
    assert [v["key"] for v in values] == ["wall", "fence", "sign", "other"]


def test_request_lists_with_filters(live_server: Any) -> None:
    ids = prepare(live_server)
    for fmt in ("json", "xml"):
        check_lists(live_server.url, ids, fmt)


def check_lists(url: str, ids: list[str], fmt: str) -> None:
    client = GeoReport(f"{url}/open311/v2", output_format=fmt)
    counts = expected_counts()
    for code in ("homeless-encampment", "illegal-dumping", "streetlight-multiple"):
        for status in ("open", "closed"):
            got = client.get_service_requests(service_code=code, status=status, start_date=START, end_date=END)
            got = [got] if isinstance(got, dict) else got
            assert len(got) == counts.get((code, status), 0), (code, status)
            assert {r["service_code"] for r in got} == {code} and {r["status"] for r in got} == {status}
    # Several service codes, comma delimited.
    both_open = client.get_service_requests(service_code="homeless-encampment,illegal-dumping", status="open",
                                            start_date=START, end_date=END)
    assert len(both_open) == counts[("homeless-encampment", "open")] + counts[("illegal-dumping", "open")] == 21
    # The whole file is 10,000 requests: one page stops at 1,000, newest first.
    page = client.get_service_requests(start_date=START, end_date=END)
    assert len(page) == 1000
    stamps = [r["requested_datetime"] for r in page]
    assert stamps == sorted(stamps, reverse=True)
    # A comma list of ids overrides the other filters (and the 90-day window).
    both = client.get_service_requests(service_request_id=f"1-1523590121,{ids[0]}", service_code="noise")
    assert sorted(r["service_request_id"] for r in both) == sorted(["1-1523590121", ids[0]])
    # Without dates the window is the last 90 days: only the two new reports.
    recent = client.get_service_requests()
    assert sorted(r["service_request_id"] for r in recent) == sorted(ids)


def test_single_requests(live_server: Any) -> None:
    ids = prepare(live_server)
    for fmt in ("json", "xml"):
        check_single(live_server.url, ids, fmt)


def check_single(url: str, ids: list[str], fmt: str) -> None:
    client = GeoReport(f"{url}/open311/v2", output_format=fmt)
    la = client.get_service_request("1-1523590121")
    # First row of the file: Illegal Dumping Pickup, Closed, BOS, created 1/1/20 0:05, closed 1/2/20 8:43 (LA time).
    assert la["service_request_id"] == "1-1523590121" and la["service_code"] == "illegal-dumping"
    assert la["status"] == "closed" and la["agency_responsible"] == "BOS"
    assert la["requested_datetime"] == "2020-01-01T08:05:00Z"
    assert la["updated_datetime"] == "2020-01-02T16:43:00Z"
    # illegal-dumping SLA: 72 h.
    assert la["expected_datetime"] == "2020-01-04T08:05:00Z"
    assert la["address"] == "16815 W VANOWEN ST, 91406" and float(la["lat"]) == pytest.approx(34.194028)
    mine = client.get_service_request(ids[0])
    assert mine["status"] == "open" and mine["description"] == "tag on the wall 墙上涂鸦"
    assert mine["media_url"] == "https://example.org/p.jpg" and mine["agency_responsible"] == "OCB"
    assert mine["status_notes"].startswith("已登记 / submitted")
