"""Real MQTT brokers and clients for the MQTT conformance checks: Debian's mosquitto started per
module on a free port, and paho-mqtt clients that count what they receive."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from tests.api.conformance.conftest import _free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@contextmanager
def mosquitto(tmp: Path) -> Iterator[int]:
    """A mosquitto broker on a free port (anonymous, local only); yields the port."""
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is not installed (Debian package mosquitto; .ci/run installs it)")
    port = _free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\nmax_queued_messages 100000\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Block until something listens on ``port``."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class Client:
    """A paho-mqtt client that keeps every message it receives."""

    def __init__(self, port: int, password: str | None = None, mqtt5: bool = False) -> None:
        self.messages: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.connected = threading.Event()
        self.refused: list[Any] = []
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5 if mqtt5 else paho.MQTTv311
        )
        if password is not None:
            self.client.username_pw_set("device", password)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect = self._connect
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.connected.wait(10), "the broker did not accept the client"

    def _connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        if reason.is_failure:
            self.refused.append(reason)
        self.connected.set()

    def _message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self.lock:
            self.messages.append((msg.topic, json.loads(msg.payload)))

    def subscribe(self, topic: str) -> None:
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(10)

    def publish(self, topic: str, body: Any, qos: int = 1) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, json.dumps(body), qos=qos)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(check: Any, timeout: float = 20.0) -> Any:
    """Poll ``check()`` until it is truthy; its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = check()
    return value
