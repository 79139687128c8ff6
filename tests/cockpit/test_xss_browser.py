"""Stored XSS through a station's name: the name shows as text, no script from data runs.

The attack of issue 14: a Thing renamed to an ``<img onerror>`` payload; an operator opens the
cockpit and hovers the station on the map. The name must appear as text in the live panel and in
the map's tooltip, the payload's script must not run, no ``<img>`` element may appear, and the
page's Content-Security-Policy must be the one the server sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.cockpit.browser_support import LiveServer, serve, wait_ready
from tests.cockpit.cockpit_workspace import add_live_data, build_workspace
from zhicheng.auth import create_token
from zhicheng.store import init_store

pytestmark = pytest.mark.browser
PAYLOAD = """<img src=x onerror="document.title='XSS:'+1">"""


@pytest.fixture(scope="module")
def attacked_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None) -> Iterator[LiveServer]:
    """The cockpit's workspace with the station Dongsi renamed to the payload through the API.

    Both its name and its Chinese name (``properties.name_zh``, which the Chinese UI shows).
    """
    engine = init_store(f"sqlite:///{tmp_path_factory.mktemp('xss') / 'store.db'}")
    built = build_workspace(engine)
    add_live_data(engine, datetime.now(UTC))
    token = create_token(engine, "operator", "device-manager")
    for url in serve(engine):
        auth = {"Authorization": f"Bearer {token}"}
        found = httpx.get(f"{url}/v1.1/Things", params={"$filter": "name eq 'Dongsi'"}, timeout=10).json()
        thing = found["value"][0]["@iot.id"]
        renamed = httpx.patch(f"{url}/v1.1/Things({thing})", json={"name": PAYLOAD, "properties": {"station": "Dongsi", "name_zh": PAYLOAD}},
                              headers=auth, timeout=10)
        assert renamed.status_code == 200, renamed.text
        yield LiveServer(url=url, engine=engine, built=built)
    engine.dispose()


def _no_payload_ran(page: Any, title: str) -> None:
    assert page.title() == title
    assert not page.title().startswith("XSS:")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.__xss === undefined")


def test_a_station_named_as_markup_shows_as_text(page: Any, attacked_server: LiveServer) -> None:
    live = httpx.get(attacked_server.url + "/api/cockpit/live", timeout=10).json()
    assert PAYLOAD in [s["name"] for s in live["air"]["stations"]]  # stored as sent, shown as text
    page.goto(attacked_server.url + "/")
    wait_ready(page)
    title = page.title()
    assert title and not title.startswith("XSS:")
    # Live panel: the name is text of the station's list item.
    items = page.get_by_test_id("air-list").locator("li")
    assert any(PAYLOAD in items.nth(i).inner_text() for i in range(items.count()))
    _no_payload_ran(page, title)
    # Map: centre the map on the station (Beijing lies outside the eight cities drawn), then
    # hover its dot with the mouse so that ECharts shows its tooltip.
    box = page.get_by_test_id("map").bounding_box()
    page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
          const dot = chart.getOption().series[1].data.find((d) => d.name.startsWith('<img'));
          chart.setOption({ geo: [{ center: [dot.value[0], dot.value[1]], zoom: 200 }] });
        }"""
    )
    page.wait_for_timeout(200)
    point = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=map]'));
          const dot = chart.getOption().series[1].data.find((d) => d.name.startsWith('<img'));
          return chart.convertToPixel({ geoIndex: 0 }, [dot.value[0], dot.value[1]]);
        }"""
    )
    assert 0 < point[0] < box["width"] and 0 < point[1] < box["height"], point
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    tooltip = page.locator("[data-testid=map] div").filter(has_text="AQI")
    tooltip.first.wait_for(state="visible", timeout=5_000)
    assert PAYLOAD in tooltip.first.inner_text()
    page.wait_for_timeout(300)  # an onerror would fire as soon as the broken image failed
    _no_payload_ran(page, title)


def test_the_page_refuses_inline_script(page: Any, attacked_server: LiveServer) -> None:
    # Even markup that got into the page could not run: the CSP blocks inline handlers.
    response = page.goto(attacked_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    wait_ready(page)
    title = page.title()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.evaluate("""() => { const d = document.createElement('div');
        d.innerHTML = '<img src="data:," onerror="document.title=\\'XSS:inline\\'">';
        document.body.append(d); }""")
    page.wait_for_timeout(300)
    assert page.title() == title
    assert blocked, "the browser reported no CSP refusal"
    page.console_log.errors.clear()  # the refusal is the expected console error
