"""Cockpit answers travel small: gzip when accepted, 304 when the client has them (ETag)."""

from __future__ import annotations

import pytest

from tests.cockpit.cockpit_workspace import Workspace

PATHS = ["/api/cockpit/overview", "/api/cockpit/geo", "/api/evaluation/ranking", "/static/js/app.js",
         "/static/cockpit.css"]


@pytest.mark.parametrize("path", PATHS)
def test_an_unchanged_answer_is_not_sent_twice(workspace: Workspace, path: str) -> None:
    client = workspace.client
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    tag = first.headers["etag"]
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    # The plain and the gzip body are two representations: two tags; a stale tag gets the body.
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["etag"] != tag
    assert client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": '"stale"'}).status_code == 200


def test_the_vendor_bundle_is_sent_compressed(workspace: Workspace) -> None:
    r = workspace.client.get("/static/vendor/echarts.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    size = int(r.headers["content-length"])
    plain = workspace.client.get("/static/vendor/echarts.min.js", headers={"Accept-Encoding": "identity"})
    assert size < len(plain.content) / 2  # ECharts (1.1 MB) travels as about a third of it
    assert r.content == plain.content  # (the client decompressed it)
