"""Live means live: a new observation that crosses an alert rule reaches the open pages by itself.

The server pushes the store's change counters as server-sent events; a write by another engine
on the same store (as a command-line ingest in another process would make) moves them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.cockpit.browser_support import LiveServer, serve, shot, wait_ready
from tests.cockpit.conftest import copy_workspace
from zhicheng.auth import create_token
from zhicheng.events.service import NewEvent, create_event
from zhicheng.store import init_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None, workspace_file: Any) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    engine = copy_workspace(workspace_file, folder)
    built = {"sensor": create_token(engine, "sensor", "Dongsi analyser"), "path": folder / "store.db"}
    for url in serve(engine):
        yield LiveServer(url=url, engine=engine, built=built)
    engine.dispose()


def post_reading(server: LiveServer, value: float, at: str) -> None:
    """A PM2.5 reading of station Dongsi through the SensorThings API, as the analyser sends it."""
    headers = {"Authorization": f"Bearer {server.built['sensor']}"}
    streams = httpx.get(server.url + "/v1.1/Datastreams", params={"$filter": "name eq 'Dongsi PM2.5'"}, headers=headers).json()
    ds = streams["value"][0]["@iot.id"]
    made = httpx.post(server.url + "/v1.1/Observations", headers=headers, timeout=10,
                      json={"phenomenonTime": at, "result": value, "Datastream": {"@iot.id": ds}})
    assert made.status_code == 201, made.text


def test_a_new_alert_appears_in_the_open_pages_without_reloading(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    errors: list[str] = []
    overview = context.new_page()
    alerts = context.new_page()
    for p in (overview, alerts):
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        p.on("pageerror", lambda e: errors.append(str(e)))
    overview.goto(live_server.url + "/")
    alerts.goto(live_server.url + "/alerts")
    for p in (overview, alerts):
        wait_ready(p)
        p.wait_for_function("() => document.body.dataset.live === 'on'", timeout=20_000)
        p.evaluate("window.__same_page = true")
    assert overview.get_by_test_id("alerts-active").inner_text() == "1"
    open_before = int(overview.get_by_test_id("events-open").inner_text())
    assert alerts.locator("[data-testid=alert-table] tbody tr").count() == 1
    # the reading crosses the rule "PM2.5 > 75" of the station's PM2.5 Datastream
    post_reading(live_server, 180.0, "2016-06-01T16:00:00Z")
    expect(overview.get_by_test_id("alerts-active")).to_have_text("2", timeout=20_000)
    expect(alerts.locator("[data-testid=alert-table] tbody tr")).to_have_count(2, timeout=20_000)
    # the alert opened a city event: the event counts moved as well
    expect(overview.get_by_test_id("events-open")).to_have_text(str(open_before + 1), timeout=20_000)
    newest = max(httpx.get(live_server.url + "/api/alerts/history").json()["alerts"], key=lambda a: a["id"])
    assert newest["peak_value"] == 180.0
    assert alerts.locator(f"[data-alert='{newest['id']}']").is_visible()
    assert overview.locator(f"#live-alerts [data-alert='{newest['id']}']").is_visible()
    # the station's time is shown in Beijing time with its age
    assert overview.get_by_test_id("air-stamp").inner_text().startswith("数据时间 2016-06-02 00:00，")
    # a write by another engine (another process: a command-line ingest, a worker) reaches the page too
    other = init_store(f"sqlite:///{live_server.built['path']}")
    create_event(other, NewEvent(service_code="road-damage", lat=39.93, lon=116.42, description="路面塌陷",
                                 attributes={"lane_blocked": ["no"]}), actor="inspector", role="operator")
    other.dispose()
    expect(overview.get_by_test_id("events-open")).to_have_text(str(open_before + 2), timeout=20_000)
    for p in (overview, alerts):
        assert p.evaluate("window.__same_page === true")  # never reloaded
    shot(overview, "live-overview-1920")
    shot(alerts, "live-alerts-1920")
    context.close()
    assert errors == []


def test_the_stream_sends_the_counters(live_server: LiveServer) -> None:
    with httpx.stream("GET", live_server.url + "/api/cockpit/stream", timeout=10) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in answer.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert lines[0] == "retry: 3000" and "event: changes" in lines
    assert set(httpx.Response(200, content=lines[-1][5:]).json()) == {"sensing", "alerts", "events"}
