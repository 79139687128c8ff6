"""Shared by the server benchmarks: the server under test, and wrk as the load generator.

A Python load generator (httpx async clients) on the same two cores as the server eats the CPU the
server needs, so the HTTP benchmarks drive the server with ``wrk`` (a C load generator, Debian
package ``wrk``) when it is on PATH, and fall back to their httpx clients otherwise. This module
is imported by ``events_load.py`` and ``cockpit_load.py``; run on its own it only says whether wrk
is there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
#: Lines the Lua ``done`` hooks print: ``ZH <name> <value>``.
ZH_LINE = re.compile(r"^ZH (\S+) (.*)$", re.M)


def wrk_path() -> str | None:
    """The wrk executable on PATH, or None (the benchmarks then use their httpx clients)."""
    return shutil.which("wrk")


def wrk_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"wrk (\S+)", out)
    return match.group(1) if match else "?"


def generator_line(path: str | None, threads: int, what: str) -> str:
    """What drove the load, for the report."""
    if path:
        return f"wrk {wrk_version(path)} ({path}), {threads} thread(s), {what}"
    why = "not on PATH" if wrk_path() is None else "not used: --httpx"
    return f"Python httpx async clients (wrk {why}), {what}"


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} CPUs"


#: The server's limits in the load benchmarks: one load generator is one client address and one
#: token or api_key, so the request rates and the Open311 posting quota are lifted; the other
#: limits keep their defaults (README "Security").
LIMITS = {"ZHICHENG_RATE_PER_CLIENT": "0", "ZHICHENG_RATE_PER_TOKEN": "0",
          "ZHICHENG_OPEN311_POSTS_PER_HOUR": "1000000000"}


def limits_line() -> str:
    """The limits the benchmark's server runs under, for the printed report."""
    return ", ".join(f"{k}={v}" for k, v in LIMITS.items()) + "; the other limits at their defaults"


def start_server(db: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """Uvicorn serving ``db`` on ``port`` in its own process(es); waits until /healthz answers."""
    env = dict(os.environ, ZHICHENG_DB=str(db), **LIMITS)
    code = (
        "import uvicorn; uvicorn.run('zhicheng.api:create_app', factory=True, host='127.0.0.1', "
        f"port={port}, log_level='warning', workers={workers})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                if workers > 1:
                    time.sleep(3.0)  # the other workers finish starting too
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process ``pid`` and its live descendants [s] (Linux /proc)."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class WrkResult:
    """What one wrk run printed."""

    requests: int
    seconds: float
    rate: float
    percentiles_ms: dict[int, float]
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    output: str = ""

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())

    def p(self, q: int) -> float:
        return self.percentiles_ms.get(q, float("nan"))


def _ms(value: str, unit: str) -> float:
    return float(value) * UNIT_MS[unit]


def parse_wrk(text: str) -> WrkResult:
    """The figures of wrk's text report (``--latency`` for the percentiles)."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not done or not rate:
        raise RuntimeError(f"cannot read wrk's report:\n{text}")
    pct = {int(q): _ms(v, u) for q, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)}
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    socket_errors = dict(zip(["connect", "read", "write", "timeout"], map(int, sock.groups()), strict=True)) if sock else {}
    return WrkResult(
        requests=int(done.group(1)), seconds=_ms(done.group(2), done.group(3)) / 1000, rate=float(rate.group(1)),
        percentiles_ms=pct, non_2xx=int(non.group(1)) if non else 0, socket_errors=socket_errors,
        extra=dict(ZH_LINE.findall(text)), output=text,
    )


def run_wrk(path: str, url: str, lua: str | None = None, *, threads: int = 1, connections: int = 20,
            seconds: float = 10.0, headers: dict[str, str] | None = None, flags: int = 0) -> WrkResult:
    """One wrk run against ``url`` with latency percentiles; ``lua`` is the script's source.

    With ``flags`` > 0 the script gets a directory as its first argument (``init(args)``), and the
    run ends (SIGINT: wrk then reports as usual) as soon as that many files are in it: wrk's
    threads can stop themselves, but wrk itself would otherwise wait out the whole ``seconds``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [path, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "--latency"]
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        if lua is not None:
            script = Path(tmp) / "load.lua"
            script.write_text(lua)
            cmd += ["-s", str(script)]
        flag_dir = Path(tmp) / "flags"
        flag_dir.mkdir()
        cmd.append(url)
        if flags:
            cmd += ["--", str(flag_dir)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + seconds + 120
        while flags and proc.poll() is None and time.monotonic() < deadline:
            if len(list(flag_dir.iterdir())) >= flags:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        try:
            out, err = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err or out}")
    return parse_wrk(out)


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal."""
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/?=&%-_.,:+[]")
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in text.encode()) + '"'


def lua_paths(paths: list[str]) -> str:
    """A Lua table of request paths."""
    return "{" + ",\n".join(lua_string(p) for p in paths) + "}"


if __name__ == "__main__":
    found = wrk_path()
    print(f"wrk {wrk_version(found)} at {found}" if found else "wrk not on PATH: the server benchmarks use httpx")
