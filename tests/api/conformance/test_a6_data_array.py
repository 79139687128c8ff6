"""A.6 Data Array Extension (OGC 18-088 Annex A.6, ``/req/data-array``): reading Observations
as data arrays and creating them with ``CreateObservations``, row errors answered per row."""

from __future__ import annotations

from tests.api.conformance.conftest import Sta


def test_read_as_data_array(sta: Sta) -> None:
    # Req data-array/data-array: $resultFormat=dataArray groups by Datastream with components.
    pm = sta.ids["ds"]["Dongsi PM2.5"]
    doc = sta.http(None).get(
        f"/Datastreams({pm})/Observations",
        params={"$resultFormat": "dataArray", "$select": "phenomenonTime,result", "$orderby": "phenomenonTime", "$top": 3},
    ).json()
    (group,) = doc["value"]
    assert group["Datastream@iot.navigationLink"].endswith(f"/Datastreams({pm})")
    assert group["components"] == ["phenomenonTime", "result"]
    assert group["dataArray"] == [["2017-02-01T00:00:00Z", 0], ["2017-02-01T01:00:00Z", 10], ["2017-02-01T02:00:00Z", 20]]
    assert group["dataArray@iot.count"] == 3


def test_create_observations_answers_error_per_failed_row(sta: Sta) -> None:
    # Req data-array/create-observations: one selfLink per row, "error" where a row fails.
    c = sta.http()
    co = sta.ids["ds"]["Dongsi CO"]
    body = [
        {
            "Datastream": {"@iot.id": co},
            "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
            "dataArray": [
                ["2017-02-05T00:00:00Z", 0.8, sta.ids["park"]],
                ["not a time", 0.9, sta.ids["park"]],
                ["2017-02-05T02:00:00Z", 1.1, 987654],  # no such feature
                ["2017-02-05T03:00:00Z", 1.2],  # too short
                ["2017-02-05T04:00:00Z", 1.3, sta.ids["park"]],
            ],
        },
        {"Datastream": {"@iot.id": 987654}, "components": ["result"], "dataArray": [[1], [2]]},
    ]
    r = c.post("/CreateObservations", json=body)
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer[1:4] == ["error", "error", "error"] and answer[5:] == ["error", "error"]
    for link in (answer[0], answer[4]):
        assert c.get(link.removeprefix(sta.root)).status_code == 200
    stored = c.get(f"/Datastreams({co})/Observations", params={"$filter": "year(phenomenonTime) eq 2017 and day(phenomenonTime) eq 5", "$orderby": "phenomenonTime"}).json()
    assert [o["result"] for o in stored["value"]] == [0.8, 1.3]


def test_malformed_request_is_refused_whole(sta: Sta) -> None:
    r = sta.http().post("/CreateObservations", json=[{"Datastream": {"@iot.id": 1}, "components": ["result", "mood"], "dataArray": [[1, 2]]}])
    assert r.status_code == 400 and "unknown component 'mood'" in r.json()["error"]["message"]
