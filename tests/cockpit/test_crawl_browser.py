"""A crawl of every link reachable from the overview, anonymous and signed in as a viewer.

No page the cockpit links to may be raw JSON, answer 4xx/5xx (the page or any request it makes)
or log a console error. Pages are told apart by path and filters (``run``/``unit`` ignored).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.cockpit.browser_support import LiveServer, serve, sign_in, wait_ready
from tests.cockpit.conftest import copy_workspace
from zhicheng.auth import create_token
from zhicheng.events.service import NewEvent, create_event
from zhicheng.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A crawl stops after this many pages (the workspace has about 80 distinct pages).
MAX_PAGES = 400
IGNORED = ("run", "unit", "lang", "next")


@pytest.fixture(scope="module")
def crawl_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None, workspace_file: Any) -> Iterator[LiveServer]:
    engine = copy_workspace(workspace_file, tmp_path_factory.mktemp("crawl"))
    create_event(engine, NewEvent(service_code="road-damage", lat=32.06, lon=118.78, description="路面塌陷",
                                  attributes={"lane_blocked": ["yes"]}), actor="inspector", role="operator")
    built = {"viewer": create_token(engine, "viewer", "值班大屏")}
    # The crawl is a robot loading ~80 pages as fast as it can from one address: the anonymous
    # rate limit (ZHICHENG_RATE_PER_CLIENT, made for people) is lifted for it, as in the benchmarks.
    for url in serve(engine, settings=Settings(rate_per_client=0)):
        yield LiveServer(url=url, engine=engine, built=built)
    engine.dispose()


#: What a table's export answers: CSV or an XLSX workbook.
EXPORT_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def check_export(page: Any, path: str, href: str) -> list[str]:
    """A table's export is a file to save (CSV or XLSX), never a page: it must answer one."""
    got = page.request.get(href)
    kind = got.headers.get("content-type", "")
    if got.status != 200 or not kind.startswith(EXPORT_TYPES):
        return [f"{path}: export {urlsplit(href).path} answers {got.status} {kind}"]
    return []


def page_key(url: str) -> str:
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k not in IGNORED)
    return parts.path + ("?" + urlencode(query) if query else "")


def crawl(page: Any, base: str) -> tuple[list[str], list[str]]:
    """Visit every same-origin link from ``/``; returns (pages visited, problems found)."""
    problems: list[str] = []
    bad_responses: list[str] = []
    page.on("response", lambda r: bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text} on {page.url}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e} on {page.url}"))
    seen = {page_key("/")}
    downloads: set[str] = set()
    queue: deque[str] = deque(["/"])
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        bad_responses.clear()
        answer = page.goto(base + path)
        kind = answer.headers.get("content-type", "")
        if answer.status >= 400 or not kind.startswith("text/html"):
            problems.append(f"{path}: {answer.status} {kind}")
            continue
        if page.evaluate("() => !!window.echarts || !!document.querySelector('script[type=module]')"):
            try:
                wait_ready(page)
            except PlaywrightTimeout:
                problems.append(f"{path}: never became ready")
                continue
        text = page.evaluate("() => document.body.innerText.trim()")
        if text.startswith(("{", "[")):
            problems.append(f"{path}: JSON shown as the page")
        problems.extend(f"{path}: {r}" for r in bad_responses)
        visited.append(path)
        links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => [a.href, a.hasAttribute('download')])")
        for href, download in links:
            parts = urlsplit(href)
            if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != base:
                continue
            if download and parts.path.startswith("/api/export/"):
                if href not in downloads:
                    downloads.add(href)
                    problems.extend(check_export(page, path, href))
                continue
            if parts.path.startswith("/api/") or parts.path.startswith("/v1.1"):
                problems.append(f"{path}: links to raw JSON {parts.path}")
                continue
            key = page_key(href)
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if key not in seen:
                seen.add(key)
                queue.append(local)
    return visited, problems


@pytest.mark.parametrize("who", ["anonymous", "viewer"])
def test_every_link_from_the_overview_leads_to_a_page(browser: Any, crawl_server: LiveServer, who: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    if who == "viewer":
        sign_in(page, crawl_server.url, crawl_server.built["viewer"])
    started = time.monotonic()
    visited, problems = crawl(page, crawl_server.url)
    took = time.monotonic() - started
    context.close()
    print(f"crawl as {who}: {len(visited)} pages in {took:.0f} s")
    assert problems == []
    assert len(visited) < MAX_PAGES  # the crawl ended by itself
    kinds = {p.split("?")[0].split("/")[1] for p in visited}
    # every kind of page the overview leads to was reached
    assert {"", "ranking", "domain", "requirement", "indicator", "unit", "station", "alerts", "alert",
            "events", "event", "carbon"} <= kinds
    # anonymous readers are offered the sign-in (event pages show them a prompt, not a 401)
    assert ("signin" in kinds) == (who == "anonymous")
