"""The cockpit in a real browser: numbers equal the API's, drill-down clicks, language, empty state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.browser import LiveServer, serve, shot, wait_ready
from tests.support.cockpit_workspace import build_workspace
from zhicheng.auth import create_token
from zhicheng.goals.loader import builtin_framework
from zhicheng.settings import Settings
from zhicheng.store import init_store
from zhicheng.store.schema import units
from zhicheng.views import measures, numbers

pytestmark = pytest.mark.browser
FW = builtin_framework()


def api(server: LiveServer, path: str, **params: Any) -> Any:
    response = httpx.get(server.url + path, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def chart_option(page: Any, selector: str) -> Any:
    """The option ECharts actually rendered in the chart at ``selector``."""
    return page.evaluate(
        "(sel) => { const c = echarts.getInstanceByDom(document.querySelector(sel)); return c && c.getOption(); }",
        selector,
    )


def test_overview_shows_the_api_numbers(page: Any, workspace_server: LiveServer) -> None:
    data = api(workspace_server, "/api/cockpit/overview")
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    # Composite index, grade and rank.
    assert page.get_by_test_id("kpi-index").inner_text() == f"{data['index']['score']:.1f}"
    assert page.get_by_test_id("kpi-grade").inner_text() == data["index"]["grade_name"]
    assert page.get_by_test_id("kpi-rank").inner_text() == str(data["index"]["rank"])
    # Radar: an axis per domain the unit has a score on, the scores as the table rounds them; the
    # domains without a score are named under it as "no data" (never drawn as 0).
    radar = chart_option(page, "[data-testid=radar]")
    names = [a["name"] for a in radar["radar"][0]["indicator"]]
    scored = [d for d in data["domains"] if d.get("score") is not None]
    assert names == [d["name"] for d in scored]
    assert radar["series"][0]["data"][0]["value"] == [numbers.score(d["score"]) for d in scored]
    unscored = [d["name"] for d in data["domains"] if d.get("score") is None]
    missing = page.get_by_test_id("radar-missing").inner_text()
    assert missing == (f"暂无数据：{'、'.join(unscored)}" if unscored else "")
    table = page.locator("[data-testid=domain-score]").all_inner_texts()
    assert table == [numbers.text(d["score"], 1) if d["score"] is not None else "暂无数据" for d in data["domains"]]
    # Map: every unit's boundary, coloured by its index score.
    chart = chart_option(page, "[data-testid=map]")
    # (with a geo component ECharts appends the regions it drew without data, value-less)
    # (the base map's provinces and lines are value-less data of their own, marked ``base``)
    by_code = {d["name"]: d["value"] for d in chart["series"][0]["data"] if "value" in d and not d.get("base")}
    assert sorted(by_code) == workspace_server.built["units"]
    for code, values in data["scores"]["units"].items():
        assert by_code[code] == numbers.score(values[0])
    # Ranking table: the API's units and scores, best first.
    rows = page.locator("[data-testid=ranking-table] tbody tr")
    assert rows.count() == len(data["ranking"]) == 8
    assert [rows.nth(i).get_attribute("data-unit") for i in range(8)] == [r["unit_code"] for r in data["ranking"]]
    shown = page.locator("[data-testid=ranking-score]").all_inner_texts()
    assert shown == [f"{r['score']:.1f}" for r in data["ranking"]]
    # Live panel: stations' AQI in the official colours (HJ 633 Table 2), events and alerts.
    live = api(workspace_server, "/api/cockpit/live")
    pills = page.get_by_test_id("station-aqi")
    assert pills.all_inner_texts() == [str(st["aqi"]) for st in live["air"]["stations"]] == ["107", "30"]
    colours = [pills.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(2)]
    assert colours == ["rgb(255, 126, 0)", "rgb(0, 228, 0)"]
    assert page.get_by_test_id("events-open").inner_text() == "3"
    assert page.get_by_test_id("events-overdue").inner_text() == "2"
    assert page.get_by_test_id("alerts-active").inner_text() == "1"
    dots = chart_option(page, "[data-testid=map]")["series"][1]["data"]
    assert [(d["name"], d["value"][2], d["itemStyle"]["color"].upper()) for d in dots] == [
        ("东四", 107, "#FF7E00"), ("天坛", 30, "#00E400")]
    shot(page, "overview")
    # A laptop screen: the same page reflows, nothing scrolls sideways.
    page.set_viewport_size({"width": 1366, "height": 768})
    # The page reflows after the resize event (charts resize themselves): wait until it has.
    # (a function, not an expression string: the page's CSP forbids the eval a string would need)
    page.wait_for_function("() => window.innerWidth === 1366 && document.documentElement.scrollWidth <= 1366",
                           timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "overview-laptop")


def test_drill_down_domain_requirement_indicator_unit(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/?unit=320100")
    wait_ready(page)
    # Domain: the score link in the domain table.
    page.locator("[data-testid=domain-score][data-code=D4]").click()
    wait_ready(page)
    assert page.url.split("?")[0].endswith("/domain/D4")
    assert FW.domain("D4").name.zh in page.get_by_test_id("node-title").inner_text()
    node = api(workspace_server, "/api/evaluation/nodes/D4", unit="320100")
    assert page.get_by_test_id("kpi-score").inner_text() == f"{node['own']['score']:.1f}"
    shot(page, "domain")
    # Requirement: the first child.
    first_req = node["children"][0]["code"]
    page.locator(f"[data-testid=child-link][data-code='{first_req}']").click()
    wait_ready(page)
    assert page.url.split("?")[0].endswith(f"/requirement/{first_req}")
    assert FW.requirement(first_req).name.zh in page.get_by_test_id("node-title").inner_text()
    req = api(workspace_server, f"/api/evaluation/nodes/{first_req}", unit="320100")
    shot(page, "requirement")
    # Indicator: its values over time, across units, source batch and coverage.
    first_ind = req["children"][0]["code"]
    page.locator(f"[data-testid=child-link][data-code='{first_ind}']").click()
    wait_ready(page)
    assert page.url.split("?")[0].endswith(f"/indicator/{first_ind}")
    values = api(workspace_server, f"/api/evaluation/indicators/{first_ind}/values", unit="320100")
    line = chart_option(page, "[data-testid=values-line]")
    assert line["xAxis"][0]["data"] == [p["period"] for p in values["over_time"]]
    places = measures.decimals(values["indicator"]["unit"])
    assert line["series"][0]["data"] == [numbers.rounded(p["value"], places) for p in values["over_time"]]
    assert page.locator("[data-testid=values-table] tbody tr").count() == len(values["over_time"])
    batches = page.locator("[data-testid=batches-table] tbody tr")
    assert batches.count() == 1 and "china_300_cities_macro" in batches.first.inner_text()
    assert page.locator("[data-testid=coverage-table] tbody tr").count() == len(values["coverage"])
    shot(page, "indicator")
    # Unit: a unit of the across-units table.
    page.locator("[data-testid=across-table] a", has_text="深圳市").first.click()
    wait_ready(page)
    assert page.url.split("?")[0].endswith("/unit/440300")
    unit = api(workspace_server, "/api/evaluation/units/440300")
    assert "深圳市" in page.get_by_test_id("unit-title").inner_text()
    assert page.get_by_test_id("unit-index").inner_text() == f"{unit['index']['score']:.1f}"
    assert page.locator("[data-testid=gaps-table] tbody tr").count() == max(1, len(unit["gaps"]))
    shot(page, "unit")


def test_language_switch_changes_labels_and_is_remembered(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    assert page.locator("[data-nav=ranking]").inner_text() == "排名"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.locator("#lang-switch").click()
    wait_ready(page)
    assert page.locator("[data-nav=ranking]").inner_text() == "Ranking"
    assert page.evaluate("document.documentElement.lang") == "en"
    radar = chart_option(page, "[data-testid=radar]")
    en = api(workspace_server, "/api/cockpit/overview", lang="en")
    assert [a["name"] for a in radar["radar"][0]["indicator"]] == [
        d.name.en for d, s in zip(FW.domains, en["domains"], strict=True) if s["score"] is not None]
    page.reload()
    wait_ready(page)
    assert page.locator("[data-nav=overview]").inner_text() == "Overview"
    assert page.get_by_test_id("kpi-unit").inner_text() in {"Shenzhen", "Guangzhou", "Nanjing", "Suzhou",
                                                             "Hangzhou", "Ningbo", "Chengdu", "Wuhan"}
    shot(page, "overview-en")


def test_ranking_sorts_and_searches_by_keyboard(page: Any, workspace_server: LiveServer) -> None:
    data = api(workspace_server, "/api/evaluation/ranking")
    page.goto(workspace_server.url + "/ranking")
    wait_ready(page)
    rows = page.locator("[data-testid=full-ranking] tbody tr")
    assert [rows.nth(i).get_attribute("data-unit") for i in range(rows.count())] == [r["unit_code"] for r in data["rows"]]
    # Keyboard only: focus the score column's sort button and press Enter twice (descending).
    score_button = page.locator("th[data-key=score] button")
    score_button.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert page.locator("th[data-key=score]").get_attribute("aria-sort") == "descending"
    by_score = sorted(data["rows"], key=lambda r: -r["score"])
    assert rows.first.get_attribute("data-unit") == by_score[0]["unit_code"]
    page.get_by_test_id("ranking-search").fill("广东")
    assert sorted(rows.nth(i).get_attribute("data-unit") for i in range(rows.count())) == ["440100", "440300"]
    shot(page, "ranking")


def test_laptop_size_and_empty_workspace(page: Any, empty_server: LiveServer) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(empty_server.url + "/")
    wait_ready(page)
    empty = page.get_by_test_id("empty-state")
    assert empty.is_visible() and "zhicheng demo" in empty.inner_text()
    assert page.locator("#unit-select").is_disabled()
    shot(page, "empty")
    for path in ("/ranking", "/domain/D1", "/unit/320100"):
        page.goto(empty_server.url + path)
        wait_ready(page)
        assert page.get_by_test_id("empty-state").is_visible()


def test_a_server_with_closed_reads_asks_to_sign_in_and_keeps_no_token(page: Any, tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    build_workspace(engine)
    token = create_token(engine, "viewer", "wall screen")
    for url in serve(engine, Settings(open_reads=False)):
        # a deep link: the prompt, then sign-in, then back to the page asked for
        page.goto(url + "/unit/320100?run=1")
        wait_ready(page)
        assert page.get_by_test_id("signin-prompt").is_visible()
        assert "登录" in page.get_by_test_id("signin-prompt").inner_text()
        page.get_by_test_id("signin-link").click()
        wait_ready(page)
        page.locator("#signin-token").fill(token)
        page.locator("#signin-token").press("Enter")
        page.wait_for_url("**/unit/320100?run=1")
        wait_ready(page)
        assert page.get_by_test_id("unit-title").is_visible()
        assert "wall screen" in page.get_by_test_id("who").inner_text()
        storage = page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
        assert token not in storage
        cookie = next(c for c in page.context.cookies() if c["name"] == "zc_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert "zc_session" not in page.evaluate("document.cookie")
    engine.dispose()


def test_a_click_on_the_map_opens_the_unit(page: Any, workspace_server: LiveServer) -> None:
    with workspace_server.engine.connect() as conn:
        lon, lat = conn.execute(sa.select(units.c.lon, units.c.lat).where(units.c.code == "330200")).one()
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    x, y = page.evaluate(
        """([lon, lat]) => echarts.getInstanceByDom(document.querySelector('[data-testid=map]'))
             .convertToPixel({geoIndex: 0}, [lon, lat])""",
        [lon, lat],
    )
    box = page.get_by_test_id("map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    wait_ready(page)
    assert page.url.split("?")[0].endswith("/unit/330200")
    assert "宁波市" in page.get_by_test_id("unit-title").inner_text()
