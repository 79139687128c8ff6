"""Security headers on every answer; the cockpit's HTML carries no inline script or handler."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from zhicheng.cockpit import STATIC_DIR

PATHS = ["/", "/ranking", "/static/js/app.js", "/static/cockpit.css", "/healthz", "/api/cockpit/access",
         "/v1.1", "/v1.1/Things", "/open311/v2/services.json", "/static/no-such-file.js", "/no-such-page"]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in policy.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_has_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    policy = _directives(r.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]


def test_errors_and_writes_carry_them_too(client: TestClient) -> None:
    refused = client.post("/v1.1/Things", json={"name": "x", "description": "y"})
    assert refused.status_code == 401
    assert "frame-ancestors 'none'" in refused.headers["content-security-policy"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    big = client.post("/healthz", content=b"x", headers={"content-length": str(64 * 1024 * 1024)})
    assert big.status_code == 413 and big.headers["x-frame-options"] == "DENY"


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        self.found += [f"<{tag} {k}=…>" for k in names if k.startswith("on")]
        self.found += [f"<{tag} href=javascript:…>" for k, v in attrs if k in ("href", "src") and (v or "").lower().startswith("javascript:")]
        self._in_script = tag == "script"
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC_DIR.glob("*.html")))
def test_pages_have_no_inline_script_or_handler(page: str) -> None:
    parser = _Inline()
    parser.feed((STATIC_DIR / page).read_text(encoding="utf-8"))
    assert parser.found == []


def test_scripts_neither_eval_nor_write_handlers() -> None:
    # What the policy forbids must not be needed: no eval, no Function(), no on*= markup.
    pattern = re.compile(r"\beval\(|new Function\(|setTimeout\(\s*[\"'`]|\son[a-z]+=[\"']")
    found = [f"{p.relative_to(STATIC_DIR)}: {m.group(0)}"
             for p in sorted((STATIC_DIR / "js").rglob("*.js")) for m in pattern.finditer(p.read_text(encoding="utf-8"))]
    assert found == []
