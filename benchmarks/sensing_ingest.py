"""SensorThings ingest and query speed against a local server (SQLite in a temp dir).

One run:
  1. a Thing with two Datastreams is made through the service layer; 1,000,000 observations
     (one a minute) are bulk-loaded into the second one through the service layer (the same
     ``insert_observations`` the API uses, in chunks);
  2. a local uvicorn (its own processes; ``--workers``, default one per CPU up to 2) serves it;
  3. ``POST /v1.1/CreateObservations`` in batches of 1,000 from one keep-alive client:
     observations per second (target >= 20,000/s);
  4. ``POST /v1.1/Observations`` one observation per request, from one client and from 8
     concurrent clients (many stations at once): observations per second (target >= 500/s),
     and the same driven by ``wrk`` with 8 connections, as the other server benchmarks do
     (target >= 1,000/s);
  5. ``GET /v1.1/Datastreams(2)/Observations?$filter=…&$top=100`` on the million-row
     Datastream, random time windows: p50 / p99 latency (target p99 < 50 ms), and the same
     for the 500th page reached through ``@iot.nextLink`` (keyset paging, no deep OFFSET).

  6. MQTT: a second server process bridged to a mosquitto started for the run; one paho-mqtt
     publisher at QoS 1 sends observations to ``v1.1/Datastreams(1)/Observations``; observations
     committed to the store per second (target >= 5,000/s), printed beside the broker's own
     ceiling measured in the same run (the same publisher, same QoS, nothing storing).

Peer: FROST-Server (the OGC reference implementation) does not run on this machine and the
project has no recorded figures of it for these operations; the script says so.

Usage: python benchmarks/sensing_ingest.py [--bulk 200000] [--single 2000] [--queries 500] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from zhicheng.auth import create_token
from zhicheng.sensing.ingest import ObservationColumns, insert_observations
from zhicheng.sensing.model import THING
from zhicheng.sensing.writer import create
from zhicheng.store import init_store

TARGET_BULK_PER_S = 20_000.0
TARGET_SINGLE_PER_S = 500.0
TARGET_SINGLE_WRK_PER_S = 1_000.0
TARGET_MQTT_PER_S = 5_000.0
TARGET_P99_MS = 50.0
PEER = "FROST-Server: none recorded (it does not run here; no figures of it are on record)"
T0 = 1_483_228_800_000_000  # 2017-01-01T00:00:00Z [µs]
HOUR = 3_600_000_000


def _thing() -> dict[str, Any]:
    def ds(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "description": name,
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "ug/m3", "symbol": "µg/m³", "definition": "ucum"},
            "Sensor": {
                "name": "analyser",
                "description": "d",
                "encodingType": "text/plain",
                "metadata": "m",
            },
            "ObservedProperty": {
                "name": f"PM2.5 {name}",
                "definition": "urn:pm25",
                "description": "d",
            },
        }

    return {
        "name": "bench station",
        "description": "benchmark",
        "Locations": [
            {
                "name": "site",
                "description": "d",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [116.4, 39.9]},
            }
        ],
        "Datastreams": [ds("ingest"), ds("million")],
    }


def prepare(db: str, rows: int) -> str:
    """The store with its Thing, a million-row Datastream and a sensor token."""
    engine = init_store(db)
    with engine.begin() as conn:
        create(conn, THING, _thing())
    rng = np.random.default_rng(3)
    chunk = 100_000
    started = time.perf_counter()
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        t = T0 + (np.arange(start, start + n, dtype=np.int64) * HOUR // 60)  # one a minute
        values = np.round(rng.gamma(2.0, 30.0, n), 1)
        with engine.begin() as conn:
            insert_observations(conn, [ObservationColumns(2, t, values, [None] * n)])
    print(
        f"bulk-loaded {rows:,} observations through the service layer in {time.perf_counter() - started:.1f} s"
    )
    token = create_token(engine, "sensor", "benchmark")
    engine.dispose()
    return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The server's limits here: one client is one token, so the request rates are lifted; the other
#: limits (body size, JSON depth, $top, $expand) keep their defaults (README "Security").
SERVER_LIMITS = {"ZHICHENG_RATE_PER_CLIENT": "0", "ZHICHENG_RATE_PER_TOKEN": "0"}


def start_server(db: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """uvicorn serving the app in its own process(es); returns when it answers /healthz."""
    code = (
        "import uvicorn; "
        f"uvicorn.run('zhicheng.api:create_app', factory=True, host='127.0.0.1', port={port}, workers={workers}, log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "ZHICHENG_DB": db, **SERVER_LIMITS})
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def bulk(client: httpx.Client, total: int) -> float:
    """Observations per second through CreateObservations in batches of 1,000."""
    batches = []
    for b in range(total // 1000):
        rows = [[_iso(b * 1000 + i), float(i % 97)] for i in range(1000)]
        batches.append(
            [
                {
                    "Datastream": {"@iot.id": 1},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": rows,
                }
            ]
        )
    started = time.perf_counter()
    for body in batches:
        r = client.post("/v1.1/CreateObservations", json=body)
        assert r.status_code == 201, r.text
    return len(batches) * 1000 / (time.perf_counter() - started)


def _iso(k: int) -> str:
    """The ``k``-th second from 2018-01-01T00:00:00Z (after the bulk-loaded data)."""
    return _utc(1_514_764_800 + k)


def _utc(secs: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def single(port: int, token: str, total: int) -> float:
    """Observations per second posted one at a time (a light keep-alive client, so the figure is the server's)."""
    bodies = [
        json.dumps(
            {
                "phenomenonTime": _iso(10_000_000 + i),
                "result": float(i % 50),
                "Datastream": {"@iot.id": 1},
            }
        ).encode()
        for i in range(total)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port)
    started = time.perf_counter()
    for body in bodies:
        conn.request("POST", "/v1.1/Observations", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
    elapsed = time.perf_counter() - started
    conn.close()
    return total / elapsed


def single_concurrent(port: int, token: str, total: int, clients: int) -> float:
    """Observations per second posted one per request by ``clients`` concurrent senders (threads)."""
    bodies = [
        json.dumps(
            {
                "phenomenonTime": _iso(20_000_000 + i),
                "result": float(i % 50),
                "Datastream": {"@iot.id": 1},
            }
        ).encode()
        for i in range(total)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    shares = [bodies[k::clients] for k in range(clients)]
    failures: list[object] = []

    def sender(share: list[bytes]) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            for body in share:
                conn.request("POST", "/v1.1/Observations", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 201:
                    failures.append(response.status)
            conn.close()
        except OSError as exc:  # a refused or broken connection fails the run
            failures.append(exc)

    threads = [threading.Thread(target=sender, args=(share,)) for share in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[:5]
    return total / elapsed


def single_wrk(port: int, token: str, seconds: float, connections: int) -> tuple[float, int]:
    """One observation per request driven by wrk (C), ``connections`` keep-alive connections."""
    sys.path.insert(0, str(Path(__file__).parent))
    from wrk_load import run_wrk, wrk_path

    path = wrk_path()
    if path is None:
        return float("nan"), 0
    lua = (
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local body = string.format('{\"phenomenonTime\":\"%s\",\"result\":%d,\"Datastream\":{\"@iot.id\":1}}', "
        "os.date('!%Y-%m-%dT%H:%M:%SZ', 1600000000 + n), n % 50)\n"
        "  return wrk.format('POST', '/v1.1/Observations', "
        f"{{['Content-Type'] = 'application/json', ['Authorization'] = 'Bearer {token}'}}, body)\n"
        "end\n"
    )
    result = run_wrk(path, f"http://127.0.0.1:{port}/v1.1/Observations", lua, threads=2, connections=connections, seconds=seconds)
    return result.rate, result.errors


def _mosquitto(tmp: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    conf = Path(tmp) / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\n"
        "max_queued_messages 1000000\npersistence false\n"
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("mosquitto did not start")


def _publish(port: int, topic: str, bodies: list[bytes]) -> float:
    """Seconds for one paho-mqtt publisher to have ``bodies`` acknowledged at QoS 1."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.perf_counter()
    infos = [client.publish(topic, body, qos=1) for body in bodies]
    for info in infos:
        info.wait_for_publish(120)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


def _stored(db: str) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM sta_observations WHERE datastream_id = 1").fetchone()[0])


def mqtt_ingest(db: str, token: str, total: int, tmp: str) -> tuple[float, float, int]:
    """(broker ceiling [msg/s], observations committed [obs/s], stored count) through mosquitto."""
    broker, mqtt_port = _mosquitto(tmp)
    port = _free_port()
    env = {
        **os.environ,
        "ZHICHENG_DB": db,
        "ZHICHENG_MQTT_BROKER": f"127.0.0.1:{mqtt_port}",
        "ZHICHENG_MQTT_TOKEN": token,
        **SERVER_LIMITS,
    }
    code = (
        "import uvicorn; "
        f"uvicorn.run('zhicheng.api:create_app', factory=True, host='127.0.0.1', port={port}, workers=1, log_level='warning')"
    )
    server = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(1.0)  # the bridge subscribes
        bodies = [
            json.dumps({"phenomenonTime": _iso(30_000_000 + i), "result": float(i % 50)}).encode()
            for i in range(total)
        ]
        ceiling = total / _publish(mqtt_port, "bench/ceiling", bodies)
        before = _stored(db)
        started = time.perf_counter()
        _publish(mqtt_port, "v1.1/Datastreams(1)/Observations", bodies)
        deadline = time.monotonic() + 300
        while _stored(db) < before + total and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        stored = _stored(db) - before
    finally:
        server.terminate()
        server.wait(timeout=30)
        broker.terminate()
        broker.wait(timeout=10)
    return ceiling, stored / elapsed, stored


def queries(client: httpx.Client, n: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Latencies [ms] of filtered first pages and of deep pages reached by @iot.nextLink."""
    rng = np.random.default_rng(11)
    span_minutes = rows - 60 * 24 * 7
    first, deep = [], []
    for _ in range(n):
        start = T0 + int(rng.integers(0, span_minutes)) * 60_000_000
        t1 = _utc(start // 1_000_000)
        t2 = _utc(start // 1_000_000 + 7 * 86400)
        params = {
            "$filter": f"phenomenonTime ge {t1} and phenomenonTime lt {t2} and result gt 20",
            "$top": "100",
            "$orderby": "phenomenonTime asc",
        }
        began = time.perf_counter()
        r = client.get("/v1.1/Datastreams(2)/Observations", params=params)
        first.append((time.perf_counter() - began) * 1000)
        assert r.status_code == 200 and len(r.json()["value"]) == 100, r.text[:300]
    link = client.get("/v1.1/Datastreams(2)/Observations", params={"$top": "100"}).json()[
        "@iot.nextLink"
    ]
    for _ in range(500):
        link = client.get(link).json()["@iot.nextLink"]
    for _ in range(min(n, 200)):
        began = time.perf_counter()
        r = client.get(link)
        deep.append((time.perf_counter() - began) * 1000)
        assert r.status_code == 200 and len(r.json()["value"]) == 100
    return np.array(first), np.array(deep)


def main() -> None:
    """Run the benchmark and print our figures next to the targets and the peer's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=200_000)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent senders for the one-by-one figure"
    )
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="uvicorn worker processes"
    )
    parser.add_argument("--wrk-seconds", type=float, default=10.0)
    parser.add_argument("--mqtt", type=int, default=50_000, help="observations published over MQTT")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sensing.db")
        token = prepare(db, args.rows)
        port = _free_port()
        proc = start_server(db, port, args.workers)
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ) as client:
                bulk_rate = bulk(client, args.bulk)
                print(f"  bulk ingest done: {bulk_rate:,.0f} obs/s")
                single_rate = single(port, token, args.single)
                print(f"  single ingest done: {single_rate:,.0f} obs/s")
                concurrent_rate = single_concurrent(port, token, args.single, args.clients)
                wrk_rate, wrk_errors = single_wrk(port, token, args.wrk_seconds, args.clients)
                print(f"  one by one with wrk done: {wrk_rate:,.0f} obs/s")
                first, deep = queries(client, args.queries, args.rows)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        ceiling, mqtt_rate, mqtt_stored = mqtt_ingest(db, token, args.mqtt, tmp)
    print("server limits: " + ", ".join(f"{k}={v}" for k, v in SERVER_LIMITS.items()) + "; the others at their defaults")
    print(
        f"CreateObservations, batches of 1,000: {bulk_rate:,.0f} obs/s (target >= {TARGET_BULK_PER_S:,.0f}/s)"
    )
    print(
        f"POST /Observations one by one, 1 client:    {single_rate:,.0f} obs/s (target >= {TARGET_SINGLE_PER_S:,.0f}/s)"
    )
    print(
        f"POST /Observations one by one, {args.clients} clients: {concurrent_rate:,.0f} obs/s (target >= {TARGET_SINGLE_PER_S:,.0f}/s)"
    )
    print(
        f"POST /Observations one by one, wrk, {args.clients} connections: {wrk_rate:,.0f} obs/s, {wrk_errors} errors "
        f"(target >= {TARGET_SINGLE_WRK_PER_S:,.0f}/s)"
    )
    print(
        f"MQTT, 1 publisher at QoS 1 through mosquitto: {mqtt_rate:,.0f} obs/s committed ({mqtt_stored:,} of {args.mqtt:,} stored; "
        f"target >= {TARGET_MQTT_PER_S:,.0f}/s); the broker's own ceiling in this run: {ceiling:,.0f} msg/s"
    )
    print(
        f"$filter + $top=100 on {args.rows:,} observations: p50 {np.percentile(first, 50):.1f} ms, "
        f"p99 {np.percentile(first, 99):.1f} ms (target p99 < {TARGET_P99_MS:.0f} ms; {len(first)} queries)"
    )
    print(
        f"page 502 via @iot.nextLink (keyset): p50 {np.percentile(deep, 50):.1f} ms, p99 {np.percentile(deep, 99):.1f} ms"
    )
    print(
        f"server: uvicorn, {args.workers} worker(s), SQLite (WAL); machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"peer: {PEER}")


if __name__ == "__main__":
    main()
