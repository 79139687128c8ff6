"""Open311 under load: GET requests.json latency with filters and POST requests.json throughput.

One run: a SQLite store in a temp dir gets 100,000 requests by bulk load (the 20,000 real LA 311
requests, replayed five times each, spread over the last 300 days); a local uvicorn (one worker,
its own process) serves it; then
  1. GET /open311/v2/requests.json with filters, one keep-alive client, p50 / p99 latency
     (target p99 < 50 ms);
  2. POST /open311/v2/requests.json from 50 concurrent httpx async clients, sustained
     throughput and errors (target >= 300/s, zero errors).

Usage: python benchmarks/events_load.py [--gets 1000] [--posts 3000] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from zhicheng.api.security import create_token
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


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from zhicheng.api import create_app; "
        f"uvicorn.run(create_app({str(db)!r}), host='127.0.0.1', port={port}, log_level='warning', workers=1)"
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far [s] (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests stored before measuring")
    parser.add_argument("--gets", type=int, default=1500)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
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
        proc = start_server(db, port)
        url = f"http://127.0.0.1:{port}"
        try:
            c0 = cpu_seconds(proc.pid)
            lat, sizes, get_errors = measure_gets(url, get_queries(args.gets, frame, random.Random(1)))
            c1 = cpu_seconds(proc.pid)
            elapsed, post_errors, samples = asyncio.run(post_load(url, key, args.posts, args.clients))
            c2 = cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    p50, p99 = np.percentile(lat, [50, 99])
    rate = args.posts / elapsed
    print(f"zhicheng Open311 load benchmark (SQLite store, one uvicorn worker, {os.cpu_count()} CPUs shared)")
    print(f"  stored requests           : {result.loaded:,} by bulk load in {load_s:.1f} s "
          f"({result.loaded / load_s:,.0f} rows/s, with history rows)")
    print(f"  GET requests.json         : {len(lat):,} queries with filters (service+status+30 days, 10-id lists,"
          f" service+2 days); rows returned median {np.median(sizes):.0f}, max {sizes.max()}; errors {get_errors}")
    print(f"    latency p50 / p99       : {p50:6.1f} ms / {p99:6.1f} ms   (target p99 < {TARGET_P99_MS:.0f} ms: "
          f"{'met' if p99 < TARGET_P99_MS else 'NOT met'})")
    big = lat[sizes >= 500]
    if len(big):
        print(f"    of which >= 500 rows    : {len(big)} queries, p50 {np.percentile(big, 50):.1f} ms, "
              f"p99 {np.percentile(big, 99):.1f} ms")
    print(f"  POST requests.json        : {args.posts:,} reports from {args.clients} concurrent clients in "
          f"{elapsed:.1f} s = {rate:,.0f}/s, errors {post_errors}   (target >= {TARGET_POSTS_PER_S:.0f}/s, "
          f"zero errors: {'met' if rate >= TARGET_POSTS_PER_S and post_errors == 0 else 'NOT met'})")
    for s in samples:
        print(f"    error sample: {s}")
    get_cpu = (c1 - c0) / (len(lat) + 30) * 1000
    post_cpu = (c2 - c1) / args.posts * 1000
    print(f"  server CPU per request    : GET {get_cpu:.1f} ms, POST {post_cpu:.1f} ms "
          f"(one free core would sustain about {1000 / post_cpu:,.0f} POST/s; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print("  peer figures              : none recorded (no Open311 peer server runs here and no published "
          "figure for these two measures is on file)")


if __name__ == "__main__":
    main()
