"""The carbon page in Debian's chromium: Beijing and Hebei, both languages, data shown as text only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.carbon.conftest import carbon_db  # noqa: F401  (session fixture)
from tests.support.browser import serve, shot
from zhicheng.store import init_store
from zhicheng.store.schema import units

pytestmark = pytest.mark.browser
PAYLOAD = '<img src=x onerror="document.body.dataset.pwned=1">重庆'


@pytest.fixture(scope="module")
def carbon_server(carbon_db: str, cockpit_assets: None) -> Iterator[str]:  # noqa: F811
    engine = init_store(carbon_db)
    with engine.begin() as conn:  # a unit name that is markup must stay text
        conn.execute(units.update().where(units.c.code == "500100").values(name_zh=PAYLOAD))
    yield from serve(engine)
    engine.dispose()


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)


def test_beijing_and_hebei_show_verdict_sectors_and_decomposition(page: Any, carbon_server: str) -> None:
    _open(page, f"{carbon_server}/carbon/110000")
    assert page.locator("h1").inner_text() == "北京市 碳排放"
    assert page.get_by_test_id("verdict").inner_text() in {"已达峰", "平台期", "仍在上升"}
    for chart in ("sectors-chart", "fuel-chart", "lmdi-chart", "trajectory-chart"):
        assert page.get_by_test_id(chart).locator("canvas").count() >= 1, chart
    assert "变化量" in page.get_by_test_id("lmdi-change").inner_text()
    assert "不一致" in page.get_by_test_id("crosscheck").inner_text()  # Beijing 2019: 88.16 vs 89.18 Mt
    shot(page, "carbon-beijing")
    page.select_option("#unit-select", "130000")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    page.locator("h1", has_text="河北省").wait_for(timeout=60_000)
    assert page.get_by_test_id("verdict").inner_text()
    page.select_option("#lmdi-from", "2010")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    assert page.locator("#lmdi-from").input_value() == "2010"
    assert page.url.endswith("/carbon/130000")
    shot(page, "carbon-hebei")
    assert page.console_log.errors == []


def test_english_and_a_phone_screen(browser: Any, carbon_server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _open(page, f"{carbon_server}/carbon/110000")
    page.click("#lang-switch")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
    page.locator("html[lang='en']").wait_for(state="attached", timeout=60_000)
    assert page.locator("h1").inner_text() == "北京市: CO2 emissions"
    assert "current prices" in page.locator("#trajectory").inner_text()
    shot(page, "carbon-phone-en")
    page.evaluate("localStorage.clear()")
    context.close()


def test_markup_in_data_stays_text(page: Any, carbon_server: str) -> None:
    _open(page, f"{carbon_server}/carbon/500100")
    assert page.locator("h1").inner_text().startswith("<img")
    assert page.locator("main img").count() == 0 and page.locator("select img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
