"""The prediction page in Debian's chromium: volume band and surges, grid heat map, warnings; data as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cockpit.browser_support import serve, shot
from tests.events.events_fixtures import LA2020
from zhicheng.events import load_la311
from zhicheng.events.cap import InfoBlock
from zhicheng.events.warnings import WarningDraft, create_warning, review_warning
from zhicheng.store import init_store

pytestmark = pytest.mark.browser
PAYLOAD = '<img src=x onerror="document.body.dataset.pwned=1">预警'


@pytest.fixture(scope="module")
def predict_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None) -> Iterator[str]:
    engine = init_store(Path(tmp_path_factory.mktemp("predict")) / "p.db")
    load_la311(engine, LA2020)  # real requests, placed on H3 cells
    draft = WarningDraft(event_code="event-surge", category="Other", urgency="Expected", severity="Moderate",
                         certainty="Likely", area_desc_zh="洛杉矶市中心", circle="34.05,-118.25 3",
                         info=(InfoBlock("zh-CN", "事件激增", PAYLOAD), InfoBlock("en-US", "Surge", "Surge downtown")))
    w = create_warning(engine, draft, "op-1", "operator")
    review_warning(engine, int(w["id"]), True, "rev-1", "reviewer")
    yield from serve(engine)
    engine.dispose()


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=90_000)


def test_volume_band_heat_map_and_warnings(page: Any, predict_server: str) -> None:
    _open(page, f"{predict_server}/predict?service=bulky-items")
    assert page.locator("h1").inner_text() == "事件预判"
    for chart in ("volume-chart", "heat-map"):
        assert page.get_by_test_id(chart).locator("canvas").count() >= 1, chart
    assert int(page.get_by_test_id("cell-count").inner_text().split("：")[-1].rstrip("个 ")) > 50
    assert page.get_by_test_id("surge-count").inner_text().startswith("激增")
    # the page is the cockpit's: its header links here, marked as the current page
    assert page.locator("nav a[aria-current='page']").inner_text() == "事件预判"
    # The warning's headline is markup in the store: it must show as text and run nothing.
    assert PAYLOAD in page.get_by_test_id("warnings-table").inner_text()
    assert page.evaluate("document.body.dataset.pwned") is None
    shot(page, "predict-zh")
    page.select_option("#service-select", "")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=90_000)
    assert "service=" not in page.url
    page.click("#lang-switch")
    page.locator("html[lang='en']").wait_for(state="attached", timeout=60_000)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=90_000)
    assert page.locator("h1").inner_text() == "Prediction"
    assert page.console_log.errors == []


def test_phone_screen(browser: Any, predict_server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _open(page, f"{predict_server}/predict")
    assert page.get_by_test_id("heat-map").locator("canvas").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot(page, "predict-phone")
    context.close()
