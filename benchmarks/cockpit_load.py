"""Cockpit load: the overview in headless chromium, and its JSON endpoints under 20 clients.

One run on the demo workspace (``ZHICHENG_DB`` when it holds an evaluation run, otherwise the
demo is built into a temp dir with :func:`zhicheng.evaluate.demo.build_demo`: 369 prefectures,
real values, one run). A local uvicorn (one worker, its own process) serves it; then
  1. the overview ``/`` is opened in Debian's chromium (headless, a fresh browser context each
     time, so nothing is cached in the browser): time to first contentful paint and to all charts
     rendered (``performance`` entries ``first-contentful-paint`` and
     ``zhicheng:charts-rendered``, from navigation start). Target < 1.5 s. The first visit
     after the server starts is reported apart: it also pays the server's one-off map build.
  2. the JSON endpoints the cockpit calls, 20 concurrent keep-alive clients, units varied
     across the run's units: p50 / p99 latency per endpoint and over all, twice — a first pass
     in which each unit's answer is computed (cache cold) and a second in which it is served
     from the read-model cache (steady state, what a wall screen sees). Target p99 < 100 ms.
No peer cockpit runs here and none publishes comparable figures; the floor of this very server
(``/healthz`` under the same load, measured in the same run) is printed beside ours instead.

Run: .venv/bin/python benchmarks/cockpit_load.py [--db PATH] [--loads 5] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from zhicheng.cockpit import assets_built
from zhicheng.store import init_store
from zhicheng.store.schema import evaluation_runs

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAINT_TARGET_S = 1.5
P99_TARGET_MS = 100.0
CLIENTS = 20


def workspace(db: str | None, tmp: Path) -> str:
    """A store with an evaluation run: ``db`` when it has one, else the demo built in ``tmp``."""
    if db:
        engine = init_store(db)
        with engine.connect() as conn:
            runs = conn.execute(sa.select(sa.func.count()).select_from(evaluation_runs)).scalar_one()
        engine.dispose()
        if runs:
            return db
        print(f"{db} has no evaluation run; building the demo workspace instead")
    from zhicheng.evaluate.demo import build_demo

    path = str(tmp / "demo.db")
    engine = init_store(path)
    t0 = time.perf_counter()
    result = build_demo(engine)
    engine.dispose()
    print(f"demo workspace built in {time.perf_counter() - t0:.1f} s: run {result.run.run_id}, "
          f"{len(result.run.units)} units, period {result.run.period}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from zhicheng.api import create_app; "
        f"uvicorn.run(create_app({db!r}), host='127.0.0.1', port={port}, log_level='warning', workers=1)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def page_loads(url: str, loads: int) -> list[tuple[float, float]]:
    """(first contentful paint, all charts rendered) [s] of ``loads`` visits of the overview."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
            fcp, charts = page.evaluate(
                """() => [performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
                          performance.getEntriesByName('zhicheng:charts-rendered')[0]?.startTime ?? NaN]"""
            )
            out.append((fcp / 1000, charts / 1000))
            context.close()
        browser.close()
    return out


def endpoints(url: str) -> dict[str, list[str]]:
    """Per endpoint, the URLs the load cycles through (units varied across the run)."""
    overview = httpx.get(url + "/api/cockpit/overview", timeout=30).json()
    units = [u["code"] for u in overview["units"]]
    domain = overview["domains"][0]["code"]
    unit_page = httpx.get(url + f"/api/evaluation/units/{units[0]}", timeout=30).json()
    indicator = unit_page["indicators"][0]["code"] if unit_page["indicators"] else None
    table = {
        "/api/cockpit/overview?unit=…": [f"{url}/api/cockpit/overview?unit={u}" for u in units],
        "/api/cockpit/geo": [f"{url}/api/cockpit/geo"],
        "/api/cockpit/live": [f"{url}/api/cockpit/live"],
        "/api/evaluation/ranking": [f"{url}/api/evaluation/ranking"],
        "/api/evaluation/units/…": [f"{url}/api/evaluation/units/{u}" for u in units],
        f"/api/evaluation/nodes/{domain}?unit=…": [f"{url}/api/evaluation/nodes/{domain}?unit={u}" for u in units],
    }
    if indicator:
        table[f"/api/evaluation/indicators/{indicator}/values?unit=…"] = [
            f"{url}/api/evaluation/indicators/{indicator}/values?unit={u}" for u in units
        ]
    table["/healthz (floor)"] = [f"{url}/healthz"]
    return table


async def load(urls: list[str], total: int, clients: int) -> np.ndarray:
    """Latencies [ms] of ``total`` GETs cycling through ``urls`` from ``clients`` concurrent clients."""
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            t0 = time.perf_counter()
            # To the last byte, as sent (gzip): the client's own decompression is not the server's time.
            async with client.stream("GET", urls[i % len(urls)], headers={"Accept-Encoding": "gzip"}) as response:
                async for _ in response.aiter_raw():
                    pass
            latencies.append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return np.asarray(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("ZHICHENG_DB"))
    parser.add_argument("--loads", type=int, default=5, help="overview visits in the browser")
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint")
    args = parser.parse_args()
    if not assets_built():
        sys.exit("cockpit assets missing: run `npm ci && npm run build` (make install does)")
    with tempfile.TemporaryDirectory() as tmp:
        db = workspace(args.db, Path(tmp))
        port = free_port()
        proc = start_server(db, port)
        url = f"http://127.0.0.1:{port}"
        try:
            visits = page_loads(url, args.loads)
            table = endpoints(url)
            results = {}
            for name, urls in table.items():
                cold = asyncio.run(load(urls, args.requests, CLIENTS))
                results[name] = (cold, asyncio.run(load(urls, args.requests, CLIENTS)))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    report(visits, results, args.requests)


def report(visits: list[tuple[float, float]], results: dict[str, tuple[np.ndarray, np.ndarray]],
           per_endpoint: int) -> None:
    print(f"zhicheng cockpit load benchmark (SQLite store, one uvicorn worker, {os.cpu_count()} CPUs shared)")
    first, rest = visits[0], visits[1:] or visits
    print(f"  overview, first visit after server start : FCP {first[0]:.3f} s, all charts {first[1]:.3f} s")
    fcp = statistics.median(v[0] for v in rest)
    charts = statistics.median(v[1] for v in rest)
    worst = max(v[1] for v in rest)
    verdict = "meets" if charts < PAINT_TARGET_S else "MISSES"
    print(f"  overview, median of {len(rest)} later visits      : FCP {fcp:.3f} s, all charts {charts:.3f} s "
          f"(worst {worst:.3f} s) -> {verdict} target < {PAINT_TARGET_S} s")
    print(f"  JSON endpoints, {CLIENTS} concurrent clients, {per_endpoint} requests per pass:")
    print(f"    {'endpoint':<58} {'cold p50':>9} {'cold p99':>9} {'warm p50':>9} {'warm p99':>9}  [ms]")
    cold_all, warm_all = [], []
    for name, (cold, warm) in results.items():
        print(f"    {name:<58} {np.percentile(cold, 50):9.1f} {np.percentile(cold, 99):9.1f} "
              f"{np.percentile(warm, 50):9.1f} {np.percentile(warm, 99):9.1f}")
        if not name.startswith("/healthz"):
            cold_all.append(cold)
            warm_all.append(warm)
    cold_every, warm_every = np.concatenate(cold_all), np.concatenate(warm_all)
    p99 = float(np.percentile(warm_every, 99))
    verdict = "meets" if p99 < P99_TARGET_MS else "MISSES"
    print(f"    {'all cockpit endpoints':<58} {np.percentile(cold_every, 50):9.1f} "
          f"{np.percentile(cold_every, 99):9.1f} {np.percentile(warm_every, 50):9.1f} {p99:9.1f}")
    print(f"  steady-state p99 over all cockpit endpoints: {p99:.1f} ms -> {verdict} target p99 < {P99_TARGET_MS:.0f} ms")
    print("  peer figures: no peer cockpit runs here and none publishes comparable figures; "
          "/healthz above is this server's floor under the same load, measured in this run")


if __name__ == "__main__":
    main()
