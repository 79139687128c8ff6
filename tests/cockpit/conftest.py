"""Browser tests: a real uvicorn over a real workspace, driven by Debian's chromium via Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, serve
from tests.support.cockpit_workspace import add_live_data, build_workspace
from zhicheng.cockpit import assets_built
from zhicheng.store import init_store


@pytest.fixture(scope="session")
def cockpit_assets() -> None:
    """The ECharts build must be in place; it comes from ``npm ci && npm run build`` (``make install``)."""
    if not assets_built():
        pytest.fail("cockpit assets missing: run `npm ci && npm run build` (make install does)")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: install Debian's chromium (.ci/run does)")


@pytest.fixture(scope="session")
def workspace_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The workspace every cockpit test shares, built once: eight real cities with one evaluation
    run, two air stations, events and an alert (a SQLite file that modules copy)."""
    path = tmp_path_factory.mktemp("cockpit-built") / "store.db"
    engine = init_store(f"sqlite:///{path}")
    built = build_workspace(engine)
    add_live_data(engine, datetime.now(UTC))
    engine.dispose()  # the last connection closed: the WAL is folded into the file
    return path, built


def copy_workspace(workspace_file: tuple[Path, dict[str, Any]], folder: Path) -> Engine:
    """A store of one's own holding the shared workspace (tests that write do not disturb others)."""
    target = folder / "store.db"
    shutil.copyfile(workspace_file[0], target)
    return init_store(f"sqlite:///{target}")


@pytest.fixture(scope="module")
def workspace_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None,
                     workspace_file: tuple[Path, dict[str, Any]]) -> Iterator[LiveServer]:
    """A server over the shared workspace (a copy per module)."""
    engine = copy_workspace(workspace_file, tmp_path_factory.mktemp("cockpit"))
    for url in serve(engine):
        yield LiveServer(url=url, engine=engine, built=workspace_file[1])
    engine.dispose()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None) -> Iterator[LiveServer]:
    """A server over an empty store."""
    engine = init_store(f"sqlite:///{tmp_path_factory.mktemp('empty') / 'store.db'}")
    for url in serve(engine):
        yield LiveServer(url=url, engine=engine)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(cockpit_assets: None) -> Iterator[Any]:
    """One headless chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleLog:
    """Console errors and uncaught page errors seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")


@pytest.fixture()
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh 1920×1080 page; the test fails if the page logged any console error."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    log = ConsoleLog()
    pg.on("console", log.on_console)
    pg.on("pageerror", log.on_page_error)
    pg.console_log = log
    yield pg
    context.close()
    assert log.errors == [], f"{request.node.name}: {log.errors}"
