"""Pages for everything the cockpit links to: stations, events, alerts — in a real browser.

Every number and name the pages show is compared with the API's answer on the same store; the
anonymous reader of an event page gets a sign-in prompt (never a 401 body).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.cockpit.browser_support import LiveServer, serve, shot, wait_ready
from tests.cockpit.conftest import copy_workspace
from zhicheng.auth import create_token
from zhicheng.events.service import NewEvent, create_event

pytestmark = pytest.mark.browser

#: HJ 633 level colours as the browser computes them (HJ 633-2012 Table 2 / HJ 633-2026 Table 1).
LEVEL_RGB = {1: "rgb(0, 228, 0)", 3: "rgb(255, 126, 0)"}


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None,
                 workspace_file: Any) -> Iterator[LiveServer]:
    """The shared workspace plus a located road-damage report and a viewer's token."""
    engine = copy_workspace(workspace_file, tmp_path_factory.mktemp("pages"))
    created = create_event(engine, NewEvent(service_code="road-damage", lat=32.06, lon=118.78,
                                            address="南京市玄武区北京东路", description="路面塌陷",
                                            attributes={"lane_blocked": ["yes"]}),
                           actor="inspector", role="operator")
    built = {**workspace_file[1], "viewer": create_token(engine, "viewer", "值班大屏"), "event": created.public_id}
    for url in serve(engine):
        yield LiveServer(url=url, engine=engine, built=built)
    engine.dispose()


def get(server: LiveServer, path: str, **params: Any) -> Any:
    token = server.built["viewer"]
    response = httpx.get(server.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    return response.json()


def chart_option(page: Any, selector: str) -> Any:
    return page.evaluate(
        "(sel) => { const c = echarts.getInstanceByDom(document.querySelector(sel)); return c && c.getOption(); }",
        selector,
    )


def test_a_station_page_from_the_live_panel(page: Any, pages_server: LiveServer) -> None:
    page.goto(pages_server.url + "/")
    wait_ready(page)
    page.locator("[data-station] [data-testid=station-link]").first.click()
    wait_ready(page)
    assert page.url.split("?")[0].endswith("/station/1")
    now = get(pages_server, "/api/air/stations/1")
    # the Chinese UI names the station in Chinese (its Thing is named in pinyin)
    assert (page.get_by_test_id("station-title").inner_text(), now["name"], now["name_zh"]) == ("东四", "Dongsi", "东四")
    pill = page.locator("[data-testid=station-aqi-now] .pill")
    assert pill.inner_text() == str(now["aqi"]) == "107"
    assert pill.evaluate("e => getComputedStyle(e).backgroundColor") == LEVEL_RGB[3]
    # data time in Asia/Shanghai: the last hour starts 2016-06-01 15:00 UTC = 23:00 in Beijing
    assert page.get_by_test_id("station-stamp").inner_text().startswith("数据时间 2016-06-01 23:00，")
    assert page.get_by_test_id("station-stamp").inner_text().endswith("年前")
    hourly = get(pages_server, "/api/air/stations/1/hourly", hours=72)
    drawn = chart_option(page, "[data-testid=hourly-chart]")["series"][0]["data"]
    assert [d["value"] if isinstance(d, dict) else None for d in drawn] == [h["aqi"] for h in hourly]
    # each bar in its level's colour (HJ 633 Table 1 bounds 50, 100, 150, 200, 300)
    bounds = [(50, "#00e400"), (100, "#ffff00"), (150, "#ff7e00"), (200, "#ff0000"), (300, "#99004c"), (10**9, "#7e0023")]
    expected = [next(c for hi, c in bounds if h["aqi"] <= hi) for h in hourly if h["aqi"] is not None]
    assert [d["itemStyle"]["color"] for d in drawn if isinstance(d, dict)] == expected
    assert expected[-1] == "#ff7e00"
    daily = chart_option(page, "[data-testid=daily-chart]")["series"][0]["data"]
    assert len(daily) == len(get(pages_server, "/api/air/stations/1/daily", since="2016-05-02"))
    levels = page.locator("[data-testid=aqi-levels] tbody tr")
    assert levels.count() == 6 and "轻度污染" in levels.nth(2).inner_text()
    alerts = page.locator("[data-testid=alert-table] tbody tr")
    assert alerts.count() == get(pages_server, "/api/alerts/history", thing_id=1)["total"] == 1
    shot(page, "station-1920")


def test_alert_list_and_page(page: Any, pages_server: LiveServer) -> None:
    page.goto(pages_server.url + "/")
    wait_ready(page)
    page.get_by_test_id("alerts-history").click()
    wait_ready(page)
    history = get(pages_server, "/api/alerts/history")
    rows = page.locator("[data-testid=alert-table] tbody tr")
    assert rows.count() == history["total"] == 1
    page.get_by_test_id("alert-link").first.click()
    wait_ready(page)
    detail = get(pages_server, f"/api/alerts/{history['alerts'][0]['id']}")
    assert "PM2.5 > 75" in page.get_by_test_id("alert-title").inner_text()
    assert page.get_by_test_id("alert-rule").inner_text() == "大于 75"
    assert page.get_by_test_id("alert-peak").inner_text().startswith("80")
    drawn = chart_option(page, "[data-testid=alert-chart]")["series"][0]
    assert [d["value"] for d in drawn["data"]] == [o["value"] for o in detail["observations"]]
    assert drawn["markLine"]["data"][0]["yAxis"] == 75
    page.get_by_test_id("alert-station").click()
    wait_ready(page)
    assert page.get_by_test_id("station-title").inner_text() == "东四"


def test_events_need_sign_in_then_list_filter_and_open(page: Any, pages_server: LiveServer) -> None:
    page.goto(pages_server.url + "/")
    wait_ready(page)
    page.get_by_test_id("events-overdue").click()
    wait_ready(page)
    # anonymous: a clear prompt in Chinese, no request that answers 401
    prompt = page.get_by_test_id("signin-prompt")
    assert prompt.is_visible() and "登录" in prompt.inner_text()
    deep = page.url
    page.get_by_test_id("signin-link").click()
    wait_ready(page)
    page.locator("#signin-token").fill(pages_server.built["viewer"])
    page.get_by_test_id("signin-submit").click()
    page.wait_for_url(deep)
    wait_ready(page)
    overdue = get(pages_server, "/api/events", overdue="true", status="submitted,accepted,dispatched,in_progress,reopened")
    rows = page.locator("[data-testid=event-table] tbody tr")
    assert rows.count() == overdue["total"] == 2
    assert page.locator("[data-testid=overdue-flag]").count() == 2
    # filter by type through the form
    page.locator("#f-overdue").uncheck()
    page.locator("#f-type").select_option("road-damage")
    page.locator("#event-filters button[type=submit]").click()
    wait_ready(page)
    of_type = get(pages_server, "/api/events", service_code="road-damage", status="submitted,accepted,dispatched,in_progress,reopened")
    assert page.locator("[data-testid=event-table] tbody tr").count() == of_type["total"] >= 1
    page.get_by_test_id("event-link").first.click()
    wait_ready(page)
    event = get(pages_server, f"/api/events/{pages_server.built['event']}")
    assert page.get_by_test_id("event-status").inner_text() == event["status_label_zh"]
    assert page.get_by_test_id("event-department").inner_text() == "交通运输局" == ("交通运输局" if event["department"] == "JTJ" else None)
    assert page.locator("[data-testid=event-history] tbody tr").count() == len(event["history"])
    assert "小时" in page.get_by_test_id("event-sla").inner_text()
    point = chart_option(page, "[data-testid=event-map]")["series"][0]["data"][0]["value"]
    assert point == [118.78, 32.06]
    shot(page, "event-1920")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "event-390")


def test_a_wrong_page_and_a_missing_station_say_so_in_chinese(page: Any, pages_server: LiveServer) -> None:
    page.goto(pages_server.url + "/station/999")
    wait_ready(page)
    # The station's three requests go out together and each answers 404: the page shows the
    # first, and the browser logs every failed request, the last perhaps after the page is drawn.
    page.wait_for_load_state("networkidle")
    logged = page.console_log.errors
    assert logged and all("404" in e for e in logged), logged
    logged.clear()
    assert "未找到" in page.locator("#main").inner_text()
