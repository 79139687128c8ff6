"""The live stream: change counters pushed at once and again when another engine writes."""

from __future__ import annotations

import json
import time

import httpx

from tests.cockpit.browser_support import serve
from zhicheng.events.service import NewEvent, create_event
from zhicheng.store import init_store


def test_a_write_by_another_engine_reaches_an_open_stream(db_url: str) -> None:
    engine = init_store(db_url)
    for url in serve(engine):
        with httpx.stream("GET", url + "/api/cockpit/stream", timeout=20) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            lines = answer.iter_lines()
            first = _next_data(lines)
            assert first == {"sensing": 0, "alerts": 0, "events": 0}
            # another engine on the same store: another process, as far as the server can tell
            other = init_store(db_url)
            create_event(other, NewEvent(service_code="road-damage", lat=31.2, lon=121.5,
                                         attributes={"lane_blocked": ["no"]}), actor="cli", role="operator")
            other.dispose()
            started = time.monotonic()
            second = _next_data(lines)
            assert second == {"sensing": 0, "alerts": 0, "events": 1}
            assert time.monotonic() - started < 5
    engine.dispose()


def _next_data(lines: object) -> dict[str, int]:
    for line in lines:  # type: ignore[attr-defined]
        if line.startswith("data:"):
            return dict(json.loads(line[5:]))
    raise AssertionError("the stream ended")
