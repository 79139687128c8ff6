"""Every cockpit page on a phone (390 × 844, 一掌在手): nothing scrolls sideways, grades stay whole."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cockpit.browser_support import LiveServer, shot, wait_ready

pytestmark = pytest.mark.browser

PAGES = ["/", "/ranking", "/ranking?code=D4", "/compare", "/domain/D1", "/requirement/D1.R1",
         "/indicator/D1.R1.I2", "/unit/440300", "/unit/320500", "/carbon", "/alerts", "/predict"]
WIDTH = """() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5
    && !e.closest('.card, .scroll, .chart')).map((e) => e.tagName + '.' + e.className).slice(0, 5) })"""


@pytest.fixture()
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def test_no_page_scrolls_sideways_on_a_phone(phone: Any, workspace_server: LiveServer) -> None:
    too_wide = {}
    for path in PAGES:
        phone.goto(workspace_server.url + path)
        if path != "/carbon":
            wait_ready(phone)
        else:
            phone.wait_for_load_state("networkidle")
        measured = phone.evaluate(WIDTH)
        if measured["scroll"] > measured["inner"]:
            too_wide[path] = measured
        shot(phone, "phone" + (path.replace("/", "-").replace("?", "-").replace("=", "-") if path != "/" else "-overview"))
    assert too_wide == {}, too_wide


def test_grades_do_not_break_one_character_a_line(phone: Any, workspace_server: LiveServer) -> None:
    for path in ("/", "/ranking"):
        phone.goto(workspace_server.url + path)
        wait_ready(phone)
        heights = phone.evaluate("""() => [...document.querySelectorAll('td.grade')].map((td) => {
          const line = parseFloat(getComputedStyle(td).lineHeight) || parseFloat(getComputedStyle(td).fontSize) * 1.5;
          return [td.textContent, td.getBoundingClientRect().height / line]; })""")
        assert heights, path
        # One line of text (plus the cell's padding), never a column of single characters.
        assert all(lines < 2 for _, lines in heights), [h for h in heights if h[1] >= 2]
