"""The overview loads in one round of requests: its four answers at once, each once, compressed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cockpit.browser_support import LiveServer, wait_ready

pytestmark = pytest.mark.browser


def test_the_overview_asks_for_each_answer_once_and_at_once(page: Any, workspace_server: LiveServer) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(workspace_server.url)) if "/api/" in r.url else None)
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    paths = [a.split("?")[0] for a in asked]
    wanted = ["/api/cockpit/geo", "/api/cockpit/live", "/api/cockpit/overview", "/api/session"]
    # Each of the overview's answers once (the base map and the live stream besides), none twice.
    assert sorted(p for p in paths if p in wanted) == wanted, paths
    assert len(paths) == len(set(paths)), paths
    # The data requests start before ECharts has run (the boot module asks for them).
    timing = page.evaluate("""() => {
      const r = performance.getEntriesByType('resource');
      const start = (p) => r.find((e) => e.name.includes(p)).startTime;
      const end = (p) => r.find((e) => e.name.includes(p)).responseEnd;
      return { overview: start('/api/cockpit/overview'), geo: start('/api/cockpit/geo'), live: start('/api/cockpit/live'),
               session: end('/api/session'), echarts: r.find((e) => e.name.includes('echarts')).encodedBodySize,
               decoded: r.find((e) => e.name.includes('echarts')).decodedBodySize };
    }""")
    # The three data answers are asked for together, right after the session answers.
    assert max(timing["overview"], timing["geo"], timing["live"]) - min(timing["overview"], timing["geo"], timing["live"]) < 200
    assert timing["echarts"] < timing["decoded"] / 2  # sent gzip-compressed
    # A reload sends nothing again that did not change (ETags, 304): the map's bytes do not travel.
    page.reload()
    wait_ready(page)
    geo = page.evaluate("""() => { const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/cockpit/geo'));
      return [e.transferSize, e.encodedBodySize]; }""")
    assert geo[0] < min(geo[1], 1_000), geo  # headers only (304), not the body
    assert page.get_by_test_id("station-aqi").count() == 2  # the live panel filled in after the charts


def test_a_slow_session_answer_sends_nothing_twice(page: Any, workspace_server: LiveServer) -> None:
    """However the answers race (the session answering after the page has started), each is asked once."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(workspace_server.url).split("?")[0]) if "/api/" in r.url else None)

    def slow(route: Any) -> None:
        page.wait_for_timeout(1_500)
        route.continue_()

    page.route("**/api/session*", slow)
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    page.wait_for_timeout(2_000)  # a late prefetch, were there one, would have been sent by now
    assert len(asked) == len(set(asked)), asked
    assert {"/api/cockpit/overview", "/api/cockpit/geo", "/api/cockpit/live"} <= set(asked), asked
