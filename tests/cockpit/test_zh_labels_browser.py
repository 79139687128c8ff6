"""Every cockpit page speaks Chinese in the Chinese UI: no English word but names and symbols."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.cockpit.browser_support import LiveServer, shot, wait_ready

pytestmark = pytest.mark.browser

PAGES = ["/", "/ranking", "/ranking?code=D1", "/compare", "/domain/D1", "/requirement/D1.R1", "/indicator/D1.R1.I2",
         "/indicator/D3.R3.I1", "/unit/440300", "/unit/330100", "/alerts", "/predict"]
#: Latin words the Chinese UI may show: symbols and acronyms with no Chinese form.
ALLOWED = {"AQI", "PM", "CO", "EN", "API", "PFLOPS", "SO", "NO", "HJ", "CEADs", "CSV", "XLSX", "PDF", "CAP"}  # CEADs: a source by name; file formats; CAP: the warning standard
#: The page's text and accessible labels without names as recorded (translate="no": sources, user
#: names) and without what is marked as the other language (the language switch, lang="en").
TEXT = """() => {
  const page = document.documentElement.lang.slice(0, 2);
  const skip = `[translate="no"], script, style, canvas, [lang]:not([lang^="${page}"])`;
  const copy = document.body.cloneNode(true);
  for (const el of copy.querySelectorAll(skip)) el.remove();
  const labels = [...copy.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label'));
  return copy.textContent + ' ' + labels.join(' ');
}"""


def english_words(page: Any) -> set[str]:
    """Latin words of two letters or more on the page that are not allowed symbols."""
    return {w for w in re.findall(r"[A-Za-z]{2,}", page.evaluate(TEXT)) if w not in ALLOWED}


def test_every_page_is_in_chinese(page: Any, workspace_server: LiveServer) -> None:
    found: dict[str, set[str]] = {}
    for path in PAGES:
        page.goto(workspace_server.url + path)
        wait_ready(page)
        words = english_words(page)
        if words:
            found[path] = words
    assert found == {}, found
    page.goto(workspace_server.url + "/unit/440300")
    wait_ready(page)
    # The header's selector shows the page's unit; units of measure are named in Chinese.
    assert page.eval_on_selector("#unit-select", "s => s.options[s.selectedIndex].text") == "深圳市"
    shot(page, "zh-unit-440300")


def test_the_english_ui_is_in_english(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/")
    wait_ready(page)
    page.click("#lang-switch")
    wait_ready(page)
    for path in ("/", "/indicator/D1.R1.I2"):
        page.goto(workspace_server.url + path)
        wait_ready(page)
        # Names of Chinese units without an English name stay Chinese; the product's name too.
        text = page.evaluate(TEXT).replace("智城", "")
        assert not re.search(r"[\u4e00-\u9fff]", text), (path, re.findall(r"[\u4e00-\u9fff]+", text))
