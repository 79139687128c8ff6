"""The heat map's data: ``GET /api/grid/cells`` as GeoJSON with the statistics of every cell."""

from __future__ import annotations

from fastapi.testclient import TestClient

from zhicheng.events.grid import h3_cells


def test_cells_endpoint_gives_features_with_statistics(client: TestClient) -> None:
    key = client.tokens["operator"]  # type: ignore[attr-defined]
    for lat, lon in ((39.9100, 116.3100), (39.9100, 116.3100), (31.2300, 121.4700)):
        r = client.post("/open311/v2/requests.json", data={"service_code": "noise", "lat": str(lat),
                                                            "long": str(lon), "api_key": key})
        assert r.status_code == 200, r.text
    fc = client.get("/api/grid/cells").json()
    assert fc["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in fc["features"]}
    beijing, shanghai = h3_cells([116.31, 121.47], [39.91, 31.23], 8)
    assert set(by_id) == {beijing, shanghai}
    props = by_id[beijing]["properties"]
    assert (props["events"], props["open"], props["repeat_locations"], props["kind"]) == (2, 2, 1, "h3")
    assert by_id[beijing]["geometry"]["type"] == "Polygon"
    assert client.get("/api/grid/cells", params={"service_code": "graffiti-removal"}).json()["features"] == []
