"""Open311 under load: GET requests.json latency with filters and POST requests.json throughput.

One run: a SQLite store in a temp dir gets 100,000 requests by bulk load (the 20,000 real LA 311
requests, replayed five times each, spread over the last 300 days); a local uvicorn (``--workers``,
its own processes) serves it; then
  1. GET /open311/v2/requests.json with filters, one keep-alive client, p50 / p99 latency
     (target p99 < 50 ms);
  2. POST /open311/v2/requests.json from 50 concurrent clients, sustained throughput and errors
     (target >= 300/s, zero errors).
The load comes from ``wrk`` (C, Debian package ``wrk``) when it is on PATH: a Lua script rotates
through the GET queries, and another sends form-encoded reports with the api_key and a random
place each, counting answers other than 200. Without wrk, httpx clients (one keep-alive client;
50 async clients) do the same, but on two shared cores they take much of the server's CPU.

Usage: python benchmarks/events_load.py [--gets 1500] [--posts 3000] [--clients 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
import pandas as pd
from wrk_load import (
    cpu_seconds,
    generator_line,
    limits_line,
    load_line,
    lua_paths,
    lua_string,
    run_wrk,
    start_server,
    wrk_path,
)

from zhicheng.auth import create_token
from zhicheng.events.replay import bulk_load_events, read_la311
from zhicheng.store import init_store

ROOT = Path(__file__).resolve().parents[1]
LA_FILES = sorted((ROOT / "data" / "service_requests").glob("*.csv.gz"))
TARGET_P99_MS = 50.0
TARGET_POSTS_PER_S = 300.0


def build_requests(total: int, seed: int = 7) -> pd.DataFrame:
    """``total`` requests from the real LA files, replicated and shifted into the last 300 days."""
    base = pd.concat([read_la311(f) for f in LA_FILES], ignore_index=True)
    rng = np.random.default_rng(seed)
    reps = -(-total // len(base))
    now = pd.Timestamp(datetime.now(UTC))
    parts = []
    time_cols = ["requested_at", "updated_at", "expected_at", "resolved_at", "closed_at", "_final_at"]
    for k in range(reps):
        part = base.copy()
        # Each copy lands at a random moment of the last 300 days, keeping every request's own durations.
        shift = (now - pd.Timedelta(days=1)) - part["requested_at"] - pd.to_timedelta(
            rng.uniform(0, 300 * 86400, len(part)), unit="s")
        for col in time_cols:
            part[col] = part[col] + shift
        part["request_id"] = part["request_id"] + f"-r{k}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True).iloc[:total]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_queries(n: int, frame: pd.DataFrame, rng: random.Random) -> list[dict[str, str]]:
    """A mix of GET filters: service + status + 30-day window; id lists; status over the default window."""
    services = sorted(frame["service_code"].unique())
    ids = frame["request_id"].tolist()
    now = datetime.now(UTC)
    queries = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            start = now - timedelta(days=rng.uniform(30, 300))
            queries.append({"service_code": rng.choice(services), "status": rng.choice(["open", "closed"]),
                            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "end_date": (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        elif kind == 1:
            queries.append({"service_request_id": ",".join(rng.sample(ids, 10))})
        else:
            start = now - timedelta(days=rng.uniform(2, 90))
            queries.append({"service_code": rng.choice(services), "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "end_date": (start + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    return queries


def measure_gets(url: str, queries: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray, int]:
    """Latency [ms] and result size of each query, one keep-alive client, after a warm-up."""
    latencies, sizes, errors = [], [], 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for q in queries[:30]:
            client.get("/open311/v2/requests.json", params=q)
        for q in queries:
            t0 = time.perf_counter()
            r = client.get("/open311/v2/requests.json", params=q)
            latencies.append((time.perf_counter() - t0) * 1000)  # full response received
            body = r.json()
            if r.status_code != 200:
                errors += 1
            sizes.append(len(body))
    return np.array(latencies), np.array(sizes), errors


async def post_load(url: str, key: str, total: int, clients: int) -> tuple[float, int, list[str]]:
    """POST ``total`` reports from ``clients`` concurrent clients; (seconds, errors, first messages)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient, rng: random.Random) -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            form = {"api_key": key, "service_code": "graffiti-removal", "attribute[surface]": "wall",
                    "lat": f"{rng.uniform(33.8, 34.3):.6f}", "long": f"{rng.uniform(-118.6, -118.1):.6f}",
                    "description": "benchmark report"}
            try:
                r = await client.post("/open311/v2/requests.json", data=form)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(repr(exc))

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client, random.Random(i)) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    return elapsed, len(errors), errors[:3]


@dataclass
class Figures:
    """One measurement: requests done, their latency, errors."""

    count: int
    seconds: float
    p50: float
    p99: float
    errors: int
    samples: list[str]
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def gets_httpx(url: str, queries: list[dict[str, str]]) -> Figures:
    lat, sizes, errors = measure_gets(url, queries)
    p50, p99 = np.percentile(lat, [50, 99])
    note = f"rows returned median {np.median(sizes):.0f}, max {sizes.max()}"
    big = lat[sizes >= 500]
    if len(big):
        note += (f"\n    of which >= 500 rows    : {len(big)} queries, p50 {np.percentile(big, 50):.1f} ms, "
                 f"p99 {np.percentile(big, 99):.1f} ms")
    return Figures(len(lat), float(lat.sum() / 1000), float(p50), float(p99), errors, [], note)


# Rotates through the queries on one connection; counts rows (one "service_request_id" each).
GET_LUA = r"""
local paths = %s
local i = 0
rows, bad, samples = {}, 0, {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  local _, n = string.gsub(body, '"service_request_id"', "")
  rows[#rows + 1] = n
  if status ~= 200 then
    bad = bad + 1
    if #samples < 3 then samples[#samples + 1] = status .. " " .. string.sub(body, 1, 200) end
  end
end
function done(summary, latency, requests)
  local all, total, out = {}, 0, {}
  for _, t in ipairs(threads) do
    for _, n in ipairs(t:get("rows")) do all[#all + 1] = n end
    total = total + t:get("bad")
    for _, s in ipairs(t:get("samples")) do out[#out + 1] = s end
  end
  table.sort(all)
  io.write("ZH not200 " .. total .. "\n")
  if #all > 0 then
    io.write("ZH rows_median " .. all[math.floor((#all + 1) / 2)] .. "\n")
    io.write("ZH rows_max " .. all[#all] .. "\n")
  end
  for k, s in ipairs(out) do io.write("ZH sample" .. k .. " " .. string.gsub(s, "%%s+", " ") .. "\n") end
end
"""


def _samples(extra: dict[str, str]) -> list[str]:
    return [v for k, v in sorted(extra.items()) if k.startswith("sample")][:3]


def get_lua(queries: list[dict[str, str]]) -> str:
    return GET_LUA % lua_paths([f"/open311/v2/requests.json?{urlencode(q)}" for q in queries])


def gets_wrk(wrk: str, url: str, lua: str, seconds: float) -> Figures:
    r = run_wrk(wrk, url, lua, threads=1, connections=1, seconds=seconds)
    note = (f"rows returned median {r.extra.get('rows_median', '?')}, max {r.extra.get('rows_max', '?')} "
            f"(per-query split by size: httpx path only)")
    errors = max(r.errors, int(r.extra.get("not200", 0)) + sum(r.socket_errors.values()))
    return Figures(r.requests, r.seconds, r.p(50), r.p(99), errors, _samples(r.extra), note)


def posts_httpx(url: str, key: str, total: int, clients: int) -> Figures:
    elapsed, errors, samples = asyncio.run(post_load(url, key, total, clients))
    return Figures(total, elapsed, float("nan"), float("nan"), errors, samples)


# Form-encoded reports, a random place in LA each; answers other than 200 are errors (as for httpx).
POST_LUA = r"""
local prefix = %s
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local threads, counter = {}, 0
bad, samples = 0, {}
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args) math.randomseed(7919 * id) end
function request()
  local body = string.format("%%s&lat=%%.6f&long=%%.6f", prefix,
                             33.8 + 0.5 * math.random(), -118.6 + 0.5 * math.random())
  return wrk.format("POST", "/open311/v2/requests.json", headers, body)
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if #samples < 3 then samples[#samples + 1] = status .. " " .. string.sub(body, 1, 200) end
  end
end
function done(summary, latency, requests)
  local total, out = 0, {}
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    for _, s in ipairs(t:get("samples")) do out[#out + 1] = s end
  end
  io.write("ZH not200 " .. total .. "\n")
  for k, s in ipairs(out) do io.write("ZH sample" .. k .. " " .. string.gsub(s, "%%s+", " ") .. "\n") end
end
"""


def posts_wrk(wrk: str, url: str, key: str, clients: int, seconds: float, threads: int) -> Figures:
    prefix = urlencode({"api_key": key, "service_code": "graffiti-removal", "attribute[surface]": "wall",
                        "description": "benchmark report"})
    r = run_wrk(wrk, url, POST_LUA % lua_string(prefix), threads=threads, connections=clients, seconds=seconds)
    not200 = int(r.extra.get("not200", 0))
    errors = max(r.non_2xx, not200) + sum(r.socket_errors.values())
    sock = ", ".join(f"{k} {v}" for k, v in r.socket_errors.items() if v)
    note = f"wrk: non-2xx {r.non_2xx}, not 200 {not200}" + (f", socket errors {sock}" if sock else "")
    return Figures(r.requests, r.seconds, r.p(50), r.p(99), errors, _samples(r.extra), note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests stored before measuring")
    parser.add_argument("--gets", type=int, default=1500, help="distinct GET queries")
    parser.add_argument("--posts", type=int, default=3000, help="reports POSTed (httpx path)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads for the POSTs")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (1 or 2 here)")
    parser.add_argument("--httpx", action="store_true", help="use the httpx clients even if wrk is there")
    args = parser.parse_args()
    wrk = None if args.httpx else wrk_path()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "events.db"
        engine = init_store(db)
        frame = build_requests(args.requests)
        t0 = time.perf_counter()
        result = bulk_load_events(engine, frame, "benchmark", "-")
        load_s = time.perf_counter() - t0
        key = create_token(engine, "operator", "bench")
        engine.dispose()
        port = free_port()
        proc = start_server(str(db), port, args.workers)
        url = f"http://127.0.0.1:{port}"
        queries = get_queries(args.gets, frame, random.Random(1))
        try:
            if wrk:
                lua = get_lua(queries)
                run_wrk(wrk, url, lua, threads=1, connections=1, seconds=2)  # warm-up
            c0 = cpu_seconds(proc.pid)
            gets = gets_wrk(wrk, url, lua, args.seconds) if wrk else gets_httpx(url, queries)
            c1 = cpu_seconds(proc.pid)
            posts = (posts_wrk(wrk, url, key, args.clients, args.seconds, args.threads) if wrk
                     else posts_httpx(url, key, args.posts, args.clients))
            c2 = cpu_seconds(proc.pid)
            load_now = load_line()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    workers = "one uvicorn worker" if args.workers == 1 else f"{args.workers} uvicorn workers"
    print(f"zhicheng Open311 load benchmark (SQLite store, {workers}, {os.cpu_count()} CPUs shared)")
    print(f"  load generator            : {generator_line(wrk, args.threads, 'on the same CPUs as the server')}")
    print(f"  limits                    : {limits_line()}")
    print(f"  stored requests           : {result.loaded:,} by bulk load in {load_s:.1f} s "
          f"({result.loaded / load_s:,.0f} rows/s, with history rows)")
    print(f"  GET requests.json         : {gets.count:,} requests cycling through {len(queries):,} queries with "
          f"filters (service+status+30 days, 10-id lists, service+2 days), one keep-alive client; "
          f"{gets.note}; errors {gets.errors}")
    print(f"    latency p50 / p99       : {gets.p50:6.1f} ms / {gets.p99:6.1f} ms   (target p99 < {TARGET_P99_MS:.0f} ms: "
          f"{'met' if gets.p99 < TARGET_P99_MS and gets.errors == 0 else 'NOT met'})")
    rate = posts.rate
    verdict = "met" if rate >= TARGET_POSTS_PER_S and posts.errors == 0 else "NOT met"
    print(f"  POST requests.json        : {posts.count:,} reports from {args.clients} concurrent clients in "
          f"{posts.seconds:.1f} s = {rate:,.0f}/s, errors {posts.errors}   (target >= {TARGET_POSTS_PER_S:.0f}/s, "
          f"zero errors: {verdict})")
    if wrk:
        print(f"    latency p50 / p99       : {posts.p50:6.1f} ms / {posts.p99:6.1f} ms; {posts.note}")
    for s in gets.samples + posts.samples:
        print(f"    error sample: {s}")
    get_cpu = (c1 - c0) / (gets.count + (0 if wrk else 30)) * 1000  # httpx: 30 warm-up queries
    post_cpu = (c2 - c1) / max(posts.count, 1) * 1000
    print(f"  server CPU per request    : GET {get_cpu:.1f} ms, POST {post_cpu:.1f} ms "
          f"(one free core would sustain about {1000 / post_cpu:,.0f} POST/s; {load_now} at the end of the load)")
    print("  peer figures              : none recorded (no Open311 peer server runs here and no published "
          "figure for these two measures is on file)")


if __name__ == "__main__":
    main()
