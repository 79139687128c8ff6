"""Cockpit load: the overview in headless chromium, and its JSON endpoints under 20 clients.

One run on the demo workspace (``ZHICHENG_DB`` when it holds an evaluation run, otherwise the
demo is built into a temp dir with :func:`zhicheng.workspace.demo.build_demo`: 294 evaluated cities,
real values, one run). A local uvicorn (``--workers``, its own processes) serves it; then
  1. the overview ``/`` is opened in Debian's chromium (headless, a fresh browser context each
     time, so nothing is cached in the browser): time to first contentful paint and to all charts
     rendered (``performance`` entries ``first-contentful-paint`` and
     ``zhicheng:charts-rendered``, from navigation start). Target < 1.5 s. The first visit
     after the server starts is reported apart: it also pays the server's one-off map build.
  2. the JSON endpoints the cockpit calls, 20 concurrent keep-alive clients, units varied
     across the run's units: p50 / p99 latency per endpoint and over all, twice — a first pass
     in which each unit's answer is computed (cache cold) and a second in which it is served
     from the read-model cache (steady state, what a wall screen sees). Target p99 < 100 ms.
     The load comes from ``wrk`` (C, Debian package ``wrk``) when it is on PATH: one run per
     endpoint and pass, a Lua script rotating through the units; the cold pass stops after
     ``--requests`` answers, the warm pass lasts ``--seconds``. Without wrk, httpx async clients
     send ``--requests`` per pass, but on two shared cores they take much of the server's CPU.
No peer cockpit runs here and none publishes comparable figures; the floor of this very server
(``/healthz`` under the same load, measured in the same run) is printed beside ours instead.

Run: .venv/bin/python benchmarks/cockpit_load.py [--db PATH] [--loads 5] [--requests 400] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa
from wrk_load import generator_line, load_line, lua_paths, run_wrk, start_server, wrk_path

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
#: wrk threads for the JSON endpoints.
THREADS = 2


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
    from zhicheng.workspace.demo import build_demo

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


READY = "() => document.body.dataset.ready === '1'"  # a function: the page's CSP forbids eval
TIMES = """() => [performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
                  performance.getEntriesByName('zhicheng:charts-rendered')[0]?.startTime ?? NaN,
                  performance.getEntriesByType('resource').reduce((n, r) => n + (r.transferSize || 0), 0)]"""


@dataclass
class Visit:
    """One visit of the overview: first contentful paint and all charts rendered [s], bytes sent."""

    fcp: float
    charts: float
    transferred: int


def _visit(page: object, url: str) -> Visit:
    page.goto(url + "/")  # type: ignore[attr-defined]
    page.wait_for_function(READY, timeout=60_000)  # type: ignore[attr-defined]
    fcp, charts, size = page.evaluate(TIMES)  # type: ignore[attr-defined]
    return Visit(fcp / 1000, charts / 1000, int(size))


def page_loads(url: str, loads: int) -> tuple[Visit, list[Visit], list[Visit]]:
    """Visits of the overview on one server: the first (cold server, empty browser cache), then
    ``loads`` with an empty browser cache each (a fresh context) and ``loads`` reloads in one
    context (browser cache warm: what a wall screen sees)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def fresh() -> Visit:
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            try:
                return _visit(context.new_page(), url)
            finally:
                context.close()

        first = fresh()
        empty_cache = [fresh() for _ in range(loads)]
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        _visit(page, url)
        warm = [_visit(page, url) for _ in range(loads)]
        context.close()
        browser.close()
    return first, empty_cache, warm


def cold_visits(db: str, workers: int, runs: int) -> list[Visit]:
    """The overview's first visit on ``runs`` fresh server processes (cold), each on an empty cache."""
    out = []
    for _ in range(runs):
        port = free_port()
        proc = start_server(db, port, workers)
        try:
            out.append(page_loads(f"http://127.0.0.1:{port}", 0)[0])
        finally:
            proc.terminate()
            proc.wait(timeout=20)
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


# Thread k of T asks for paths k, k+T, k+2T, ... so the threads' first answers cover different
# units; with a cap (first script argument: a directory) each thread stops after ``cap`` answers
# and leaves a file there, so the run can end.
JSON_LUA = r"""
local paths = %s
local nthreads, cap = %d, %d
local threads, counter = {}, 0
local n, answered, flag_dir = 0, 0, nil
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args) flag_dir = args[1] end
function request()
  local path = paths[(n * nthreads + id - 1) %% #paths + 1]
  n = n + 1
  return wrk.format("GET", path)
end
if cap > 0 then
  function response(status, headers, body)
    answered = answered + 1
    if answered == cap then
      if flag_dir then
        local f = io.open(flag_dir .. "/" .. id, "w")
        f:close()
      end
      wrk.thread:stop()
    end
  end
end
"""


@dataclass
class Pass:
    """One pass over one endpoint: answers, latency percentiles [ms], errors."""

    count: int
    p50: float
    p99: float
    errors: int
    latencies: np.ndarray | None = None  # every answer's latency (httpx path only)


def pass_httpx(urls: list[str], total: int) -> Pass:
    lat = asyncio.run(load(urls, total, CLIENTS))
    return Pass(len(lat), float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), 0, lat)


def pass_wrk(wrk: str, url: str, urls: list[str], total: int, seconds: float) -> Pass:
    """``total`` answers (cold pass) when ``total`` > 0, else ``seconds`` of load."""
    cap = -(-total // THREADS) if total else 0
    lua = JSON_LUA % (lua_paths([u.removeprefix(url) for u in urls]), THREADS, cap)
    r = run_wrk(wrk, url + "/", lua, threads=THREADS, connections=CLIENTS, seconds=seconds if not total else 120,
                headers={"Accept-Encoding": "gzip"}, flags=THREADS if total else 0)
    return Pass(r.requests, r.p(50), r.p(99), r.errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("ZHICHENG_DB"))
    parser.add_argument("--loads", type=int, default=5, help="overview visits in the browser")
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint (cold pass; httpx: both)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each warm wrk run")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (1 or 2 here)")
    parser.add_argument("--httpx", action="store_true", help="use the httpx clients even if wrk is there")
    parser.add_argument("--cold", type=int, default=3, help="fresh server processes for the cold visits")
    parser.add_argument("--pages-only", action="store_true", help="time the overview only (no JSON load)")
    args = parser.parse_args()
    if not assets_built():
        sys.exit("cockpit assets missing: run `npm ci && npm run build` (make install does)")
    wrk = None if args.httpx else wrk_path()
    with tempfile.TemporaryDirectory() as tmp:
        db = workspace(args.db, Path(tmp))
        cold = cold_visits(db, args.workers, args.cold)
        port = free_port()
        proc = start_server(db, port, args.workers)
        url = f"http://127.0.0.1:{port}"
        try:
            visits = page_loads(url, args.loads)
            table = {} if args.pages_only else endpoints(url)
            results = {}
            for name, urls in table.items():
                if wrk:
                    first_pass = pass_wrk(wrk, url, urls, args.requests, args.seconds)
                    results[name] = (first_pass, pass_wrk(wrk, url, urls, 0, args.seconds))
                else:
                    first_pass = pass_httpx(urls, args.requests)
                    results[name] = (first_pass, pass_httpx(urls, args.requests))
            load_now = load_line()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    generator = generator_line(wrk, THREADS, f"{CLIENTS} connections, on the same CPUs as the server")
    report(cold, visits, results, args, generator, wrk is not None, load_now)


def _visits_line(label: str, visits: list[Visit]) -> None:
    charts = statistics.median(v.charts for v in visits)
    verdict = "meets" if charts < PAINT_TARGET_S else "MISSES"
    print(f"  {label:<58}: FCP {statistics.median(v.fcp for v in visits):.3f} s, all charts {charts:.3f} s "
          f"(worst {max(v.charts for v in visits):.3f} s), {statistics.median(v.transferred for v in visits) / 1024:,.0f} KiB "
          f"sent -> {verdict} target < {PAINT_TARGET_S} s")


def report(cold: list[Visit], visits: tuple[Visit, list[Visit], list[Visit]], results: dict[str, tuple[Pass, Pass]],
           args: argparse.Namespace, generator: str, wrk: bool, load_now: str) -> None:
    workers = "one uvicorn worker" if args.workers == 1 else f"{args.workers} uvicorn workers"
    print(f"zhicheng cockpit load benchmark (SQLite store, {workers}, {os.cpu_count()} CPUs shared)")
    first, empty_cache, warm = visits
    _visits_line(f"overview cold (fresh server, empty cache), median of {len(cold) + 1}", [*cold, first])
    _visits_line(f"overview, server warm, empty browser cache, median of {len(empty_cache)}", empty_cache)
    _visits_line(f"overview warm (server and browser cache), median of {len(warm)}", warm)
    if not results:
        return
    print(f"  load generator: {generator}")
    warm_what = f"{args.seconds:g} s" if wrk else f"{args.requests} requests"
    print(f"  JSON endpoints, {CLIENTS} concurrent clients, cold pass {args.requests} requests, warm pass {warm_what}:")
    print(f"    {'endpoint':<58} {'cold p50':>9} {'cold p99':>9} {'warm p50':>9} {'warm p99':>9} {'warm n':>7} {'errors':>6}  [ms]")
    cold_all, warm_all = [], []
    for name, (cold, warm) in results.items():
        print(f"    {name:<58} {cold.p50:9.1f} {cold.p99:9.1f} {warm.p50:9.1f} {warm.p99:9.1f} {warm.count:7d} "
              f"{cold.errors + warm.errors:6d}")
        if not name.startswith("/healthz"):
            cold_all.append(cold)
            warm_all.append(warm)
    errors = sum(c.errors + w.errors for c, w in zip(cold_all, warm_all, strict=True))
    if all(p.latencies is not None for p in cold_all + warm_all):
        cold_every = np.concatenate([p.latencies for p in cold_all if p.latencies is not None])
        warm_every = np.concatenate([p.latencies for p in warm_all if p.latencies is not None])
        row = [np.percentile(cold_every, 50), np.percentile(cold_every, 99),
               np.percentile(warm_every, 50), np.percentile(warm_every, 99)]
        label, what = "all cockpit endpoints", "p99 over all cockpit endpoints"
    else:  # wrk gives percentiles per run: the worst endpoint bounds the p99 over all of them
        row = [max(p.p50 for p in cold_all), max(p.p99 for p in cold_all),
               max(p.p50 for p in warm_all), max(p.p99 for p in warm_all)]
        label, what = "worst cockpit endpoint", "p99 of the worst cockpit endpoint (bounds the p99 over all)"
    p99 = float(row[3])
    print(f"    {label:<58} {row[0]:9.1f} {row[1]:9.1f} {row[2]:9.1f} {p99:9.1f}")
    verdict = "meets" if p99 < P99_TARGET_MS and errors == 0 else "MISSES"
    print(f"  steady-state {what}: {p99:.1f} ms, errors {errors} -> {verdict} target p99 < {P99_TARGET_MS:.0f} ms")
    print(f"  {load_now} at the end of the load")
    print("  peer figures: no peer cockpit runs here and none publishes comparable figures; "
          "/healthz above is this server's floor under the same load, measured in this run")


if __name__ == "__main__":
    main()
