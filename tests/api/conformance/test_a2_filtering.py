"""A.2 Filtering Extension (OGC 18-088 Annex A.2, ``/req/request-data``): every query option and
every ``$filter`` operator and function of Table 12, against the seeded server on each store.

Expected values are worked out by hand from the seed (tests/api/conformance/conftest.py):
Dongsi PM2.5 reads ``10·h`` µg/m³ at hour ``h`` = 0 … 11 of 2017-02-01 (UTC); Tiantan PM2.5 has
one reading of 7.5 over the interval 2017-02-02T00:00Z/06:00Z.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conformance.conftest import Sta


def _results(sta: Sta, expr: str, **extra: Any) -> list[Any]:
    r = sta.http(None).get(
        "/Observations",
        params={"$filter": expr, "$orderby": "id", "$select": "result", "$top": 1000, **extra},
    )
    assert r.status_code == 200, (expr, r.text)
    return [o["result"] for o in r.json()["value"]]


DONGSI = [10.0 * h for h in range(12)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # comparison and logical operators, precedence and grouping
        ("result gt 50 and result le 70", [60, 70]),
        ("result lt 10 or result eq 110", [0, 110, 7.5]),
        ("not (result ge 10)", [0, 7.5]),
        ("result ne 0 and (result lt 15 or result gt 105)", [10, 110, 7.5]),
        # arithmetic
        ("result add 5 eq 25", [20]),
        ("result sub 5 eq 15", [20]),
        ("result mul 2 eq 40", [20]),
        ("result div 4 eq 2.5", [10]),
        ("result mod 30 eq 20", [20, 50, 80, 110]),
        ("result add 2 mul 3 eq 26", [20]),  # mul binds tighter
        ("(result add 2) mul 3 eq 36", [10]),
        ("-result eq -20", [20]),
        # math
        ("round(result div 3) eq 7", [20]),
        ("floor(result div 3) eq 3", [10]),
        ("ceiling(result div 3) eq 4", [10]),
        ("floor(result) eq 7", [7.5]),
        ("ceiling(result) eq 8", [7.5]),
        ("round(result) eq 8", [7.5]),  # half away from zero
    ],
)
def test_operators_and_math(sta: Sta, expr: str, expected: list[float]) -> None:
    assert _results(sta, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("year(phenomenonTime) eq 2017 and hour(phenomenonTime) eq 3", [30]),
        ("month(phenomenonTime) eq 2 and day(phenomenonTime) eq 2", [7.5]),
        ("minute(phenomenonTime) eq 0 and second(phenomenonTime) eq 0 and result eq 40", [40]),
        ("fractionalseconds(phenomenonTime) eq 0 and result eq 40", [40]),
        ("date(phenomenonTime) eq 2017-02-02", [7.5]),
        ("time(phenomenonTime) eq 05:00:00", [50]),
        ("time(phenomenonTime) ge 10:00:00", [100, 110]),
        ("totaloffsetminutes(phenomenonTime) eq 0 and result eq 40", [40]),
        ("phenomenonTime lt now() and result eq 40", [40]),
        ("phenomenonTime gt mindatetime() and phenomenonTime lt maxdatetime() and result eq 40", [40]),
        ("maxdatetime(phenomenonTime) eq 2017-02-02T06:00:00Z", [7.5]),
        ("mindatetime(phenomenonTime) eq 2017-02-02T00:00:00Z", [7.5]),
    ],
)
def test_date_functions(sta: Sta, expr: str, expected: list[float]) -> None:
    assert _results(sta, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # instants against an interval literal: wholly before / after / inside
        # 09:00 lies inside [09:00, 10:00): neither after it nor equal to it
        ("phenomenonTime ge 2017-02-01T09:00:00Z/2017-02-01T10:00:00Z", [100, 110, 7.5]),
        ("phenomenonTime lt 2017-02-01T02:00:00Z/2017-02-01T03:00:00Z", [0, 10]),
        # the interval reading [00:00, 06:00) on 2017-02-02 against instants
        ("phenomenonTime eq 2017-02-02T00:00:00Z", []),  # an interval is no instant
        ("phenomenonTime eq 2017-02-02T00:00:00Z/2017-02-02T06:00:00Z", [7.5]),
        ("phenomenonTime gt 2017-02-02T00:00:00Z and result lt 10", []),  # starts there, not after
        ("phenomenonTime ge 2017-02-02T00:00:00Z and result lt 10", []),
        ("phenomenonTime lt 2017-02-02T06:00:00Z and result lt 10", [0, 7.5]),  # ends at 06:00
        ("phenomenonTime lt 2017-02-02T05:00:00Z and result lt 10", [0]),  # not before: overlaps
        ("phenomenonTime gt 2017-02-01T23:00:00Z and result lt 10", [7.5]),
    ],
)
def test_interval_semantics(sta: Sta, expr: str, expected: list[float]) -> None:
    assert _results(sta, expr) == expected


def _names(sta: Sta, path: str, expr: str, **extra: Any) -> list[str]:
    r = sta.http(None).get(path, params={"$filter": expr, "$orderby": "id", **extra})
    assert r.status_code == 200, (expr, r.text)
    return [e["name"] for e in r.json()["value"]]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("concat(name, ' station') eq 'Dongsi station'", ["Dongsi"]),
        ("indexof(name, 'tan') eq 4", ["Tiantan"]),
        ("substring(name, 1) eq 'ongsi'", ["Dongsi"]),
        ("substring(name, 0, 4) eq 'Tian'", ["Tiantan"]),
        ("length(name) eq 6", ["Dongsi"]),
        ("tolower(name) eq 'tiantan' and toupper(name) eq 'TIANTAN'", ["Tiantan"]),
        ("trim(concat(' ', name)) eq 'Dongsi'", ["Dongsi"]),
        ("startswith(name, 'Do') or endswith(name, 'tan')", ["Dongsi", "Tiantan"]),
        ("contains(name, 'ian') and substringof('Tia', name)", ["Tiantan"]),
        ("Datastreams/ObservedProperty/name eq 'CO'", ["Dongsi"]),
        ("Locations/location ne null and properties/kind eq 'air_station'", ["Dongsi", "Tiantan"]),
    ],
)
def test_string_functions(sta: Sta, expr: str, expected: list[str]) -> None:
    assert _names(sta, "/Things", expr) == expected


@pytest.mark.parametrize(
    ("path", "expr", "expected"),
    [
        # Dongsi (116.417 39.929) lies outside the park square, Tiantan (116.407 39.886) inside.
        ("/Locations", "st_within(location, geography'POLYGON((116.40 39.87, 116.42 39.87, 116.42 39.89, 116.40 39.89, 116.40 39.87))')", ["Tiantan site"]),
        ("/Locations", "st_intersects(location, geography'POLYGON((116.40 39.87, 116.42 39.87, 116.42 39.89, 116.40 39.89, 116.40 39.87))')", ["Tiantan site"]),
        ("/Locations", "geo.intersects(location, geography'POLYGON((116.40 39.92, 116.42 39.92, 116.42 39.94, 116.40 39.94, 116.40 39.92))')", ["Dongsi site"]),
        ("/Locations", "st_disjoint(location, geography'POLYGON((116.40 39.87, 116.42 39.87, 116.42 39.89, 116.40 39.89, 116.40 39.87))')", ["Dongsi site"]),
        ("/Locations", "st_equals(location, geography'POINT(116.417 39.929)')", ["Dongsi site"]),
        ("/Locations", "geo.distance(location, geography'POINT(116.417 39.93)') lt 0.01", ["Dongsi site"]),
        ("/Locations", "st_relate(location, geography'POINT(116.407 39.886)', 'T********')", ["Tiantan site"]),
        ("/FeaturesOfInterest", "st_contains(feature, geography'POINT(116.41 39.88)')", ["Temple of Heaven park"]),
        ("/FeaturesOfInterest", "st_overlaps(feature, geography'POLYGON((116.41 39.88, 116.43 39.88, 116.43 39.90, 116.41 39.90, 116.41 39.88))')", ["Temple of Heaven park"]),
        ("/FeaturesOfInterest", "st_touches(feature, geography'LINESTRING(116.42 39.87, 116.45 39.87)')", ["Temple of Heaven park"]),
        ("/FeaturesOfInterest", "st_crosses(geography'LINESTRING(116.39 39.88, 116.41 39.88)', feature)", ["Temple of Heaven park"]),
        ("/FeaturesOfInterest", "geo.length(geography'LINESTRING(0 0, 3 4)') eq 5 and st_within(feature, geography'POLYGON((116 39, 117 39, 117 40, 116 40, 116 39))') and name eq 'Temple of Heaven park'", ["Temple of Heaven park"]),
        ("/Things", "st_within(Locations/location, geography'POLYGON((116.40 39.87, 116.42 39.87, 116.42 39.89, 116.40 39.89, 116.40 39.87))')", ["Tiantan"]),
    ],
)
def test_geospatial_functions(sta: Sta, path: str, expr: str, expected: list[str]) -> None:
    assert _names(sta, path, expr) == expected


def test_orderby_a_related_property(sta: Sta) -> None:
    r = sta.http(None).get(
        "/Datastreams", params={"$orderby": "Thing/name desc,ObservedProperty/name", "$select": "name"}
    )
    assert r.status_code == 200, r.text
    assert [d["name"] for d in r.json()["value"]] == ["Tiantan PM2.5", "Dongsi CO", "Dongsi PM2.5"]
    paged = sta.http(None).get("/Datastreams", params={"$orderby": "Thing/name", "$top": 2}).json()
    rest = sta.http(None).get(paged["@iot.nextLink"]).json()
    assert [d["name"] for d in paged["value"] + rest["value"]][-1] == "Tiantan PM2.5"


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("st_within(location, geography'POLYGON((1 2')", "not a WKT geometry"),
        ("st_relate(location, geography'POINT(1 2)', 'X')", "DE-9IM"),
        ("year(name) eq 2017", "needs a time"),
        ("phenomenonTime gt 2017-02-02T00:00:00Z/2017-02-01T00:00:00Z", "ends before it starts"),
        ("Datastreams/name eq 'x' and frob(name)", "not supported"),
    ],
)
def test_bad_filters_are_400_with_the_reason(sta: Sta, expr: str, reason: str) -> None:
    path = "/Locations" if expr.startswith("st_") else "/Observations" if "phenomenon" in expr else "/Things"
    r = sta.http(None).get(path, params={"$filter": expr})
    assert r.status_code == 400, r.text
    assert reason in r.json()["error"]["message"]


def test_orderby_a_to_many_property_is_refused(sta: Sta) -> None:
    r = sta.http(None).get("/Things", params={"$orderby": "Datastreams/name"})
    assert r.status_code == 400 and "many" in r.json()["error"]["message"]
