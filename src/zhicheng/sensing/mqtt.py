"""SensorThings over MQTT: creating entities by publishing, receiving updates by subscribing.

A bridge client (paho-mqtt) connects to the broker (the embedded one that ``zhicheng serve``
starts, or an external mosquitto), subscribes to the create topics and hands every message to
:class:`Ingest`, which stores them in batches: many messages, one transaction (a group commit),
every write through the same :func:`~zhicheng.sensing.service.authorize` check as HTTP, and one
audit row per topic and batch in the same transaction. QoS 1 messages are acknowledged only after
their batch has committed, so the broker redelivers whatever a crash interrupted.

Updates: after each commit (whatever wrote it: HTTP, ``$batch`` or MQTT) the entity is published
as JSON on its entity topic (``v1.1/Things(1)``), its collection (``v1.1/Things``), the
navigation collections it belongs to (``v1.1/Datastreams(1)/Observations``) and every ``$select``
topic a client subscribed to through the embedded broker (``v1.1/Observations?$select=result``).

References
----------
OGC 18-088 §14 (MQTT extension): §14.1 create an Observation by publishing to
``v1.1/Datastreams(id)/Observations`` (or ``v1.1/Observations``, ``v1.1/FeaturesOfInterest(id)/
Observations``; Annex A.7), §14.2 receive updates on entity, collection, property and ``$select``
topics (Annex A.8). OASIS MQTT 3.1.1 §4.3.2 (QoS 1: at least once, PUBACK after storing).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import ZhichengError
from zhicheng.inputs import check_json
from zhicheng.sensing import changes
from zhicheng.sensing.errors import bad
from zhicheng.sensing.grouped import Plain, plain_observation, store_plain
from zhicheng.sensing.model import ENTITY_SETS
from zhicheng.sensing.service import Actor, Call, execute
from zhicheng.settings import Settings
from zhicheng.store.schema_api import audit_log

log = logging.getLogger(__name__)
VERSION = "v1.1"
#: Topics the bridge listens on for creates (entity sets and related collections).
CREATE_TOPICS = (f"{VERSION}/+", f"{VERSION}/+/+")
_DATASTREAM_OBS = re.compile(r"^Datastreams\((\d+)\)/Observations$")


@dataclass
class Message:
    """One published create: who sent it (the broker's account of it), topic and payload."""

    topic: str
    payload: bytes
    actor: Actor
    #: Acknowledge to the broker (QoS 1), called once the message is stored or refused.
    ack: Callable[[], None] | None = None


@dataclass
class Stats:
    """What the ingest has done so far (counted, for tests and the benchmark)."""

    received: int = 0
    stored: int = 0
    refused: int = 0
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, received: int = 0, stored: int = 0, refused: int = 0) -> None:
        """Count messages."""
        with self.lock:
            self.received += received
            self.stored += stored
            self.refused += refused
            self.batches += 1 if received else 0


def create_path(topic: str) -> str | None:
    """The resource path a create topic names; None for topics that create nothing.

    ``v1.1/Datastreams(1)/Observations`` → ``Datastreams(1)/Observations``.
    """
    if not topic.startswith(f"{VERSION}/") or "?" in topic:
        return None
    path = topic[len(VERSION) + 1 :]
    last = path.rsplit("/", 1)[-1]
    return path if last in ENTITY_SETS or _DATASTREAM_OBS.match(path) else None


def _json(payload: bytes) -> Any:
    try:
        value = json.loads(payload, parse_constant=_no_constant)
    except RecursionError:
        raise bad("MQTT payload: JSON nested too deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad(f"MQTT payload is not JSON: {exc}") from None
    # The same clean-text and shape rules as HTTP bodies (the settings' defaults).
    check_json(value, max_depth=_DEFAULTS["max_json_depth"], max_member_bytes=_DEFAULTS["max_properties_bytes"],
               root="payload")
    return value


_DEFAULTS = {name: Settings.model_fields[name].default for name in ("max_json_depth", "max_properties_bytes")}


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class Ingest:
    """Stores published creates in batches (one transaction per batch) on a worker thread."""

    def __init__(
        self,
        engine: Engine,
        base: str,
        batch_max: int = 5000,
        linger_s: float = 0.002,
    ) -> None:
        self.engine = engine
        self.base = base
        self.batch_max = batch_max
        self.linger_s = linger_s
        self.stats = Stats()
        self._queue: queue.Queue[Message | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="zhicheng-mqtt-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is queued, then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def submit(self, message: Message) -> None:
        """Queue one message (called from the MQTT client's thread)."""
        self._queue.put(message)

    def pending(self) -> int:
        """Messages queued and not yet taken."""
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.linger_s
            stop = False
            while len(batch) < self.batch_max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.0005)
                    continue
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self.store(batch)
            if stop:
                return

    def store(self, batch: list[Message]) -> None:
        """Store a batch in one transaction; when that fails, each message on its own."""
        try:
            stored, refused = changes.committed(self.engine, lambda conn: self._write(conn, batch))
        except Exception:  # the batch as a whole failed: retry one by one, so one bad row loses nothing else
            log.debug("MQTT batch failed; storing its messages one by one", exc_info=True)
            stored = refused = 0
            for message in batch:
                try:
                    s, r = changes.committed(
                        self.engine, lambda conn, m=message: self._write(conn, [m])  # type: ignore[misc]
                    )
                except Exception as exc:  # noqa: BLE001 - refused, logged, acknowledged
                    log.warning("MQTT message on %s refused: %s", message.topic, exc)
                    s, r = 0, 1
                stored, refused = stored + s, refused + r
        self.stats.add(len(batch), stored, refused)
        for message in batch:
            if message.ack is not None:
                message.ack()

    def _write(self, conn: sa.Connection, batch: list[Message]) -> tuple[int, int]:
        """Write every message of ``batch`` on ``conn``; (stored, refused)."""
        observations: list[tuple[Message, int, dict[str, Any]]] = []
        others: list[Message] = []
        refused = 0
        for message in batch:
            try:
                fast = self._observation(message)
            except ZhichengError as exc:
                log.warning("MQTT message on %s refused: %s", message.topic, exc)
                refused += 1
                continue
            if fast is None:
                others.append(message)
            else:
                observations.append((message, *fast))
        # A write that fails raises, which undoes the batch; :meth:`store` then stores each
        # message in its own transaction, so a failing one is refused alone.
        stored, bad_rows = self._observations(conn, observations)
        refused += bad_rows
        for message in others:
            self._other(conn, message)
            stored += 1
        self._audit(conn, batch)
        return stored, refused

    def _observation(self, message: Message) -> tuple[int, dict[str, Any]] | None:
        """(Datastream id, columns) of a plain Observation create; None for anything else."""
        path = create_path(message.topic)
        if path is None:
            raise bad(f"topic {message.topic!r} creates nothing; publish to {VERSION}/Datastreams(id)/Observations")
        return plain_observation(path, _json(message.payload))

    def _observations(
        self, conn: sa.Connection, items: list[tuple[Message, int, dict[str, Any]]]
    ) -> tuple[int, int]:
        """Plain Observation creates as column batches, one statement stream for all."""
        results = store_plain(conn, self.base, [Plain(m.actor, ds, v) for m, ds, v in items])
        refused = 0
        for (message, _, _), result in zip(items, results, strict=True):
            if isinstance(result, ZhichengError):
                log.warning("MQTT message on %s refused: %s", message.topic, result)
                refused += 1
        return len(items) - refused, refused

    def _other(self, conn: sa.Connection, message: Message) -> None:
        path = create_path(message.topic)
        assert path is not None
        execute(conn, message.actor, Call("POST", path, self.base, body=_json(message.payload)))

    def _audit(self, conn: sa.Connection, batch: list[Message]) -> None:
        """One audit row per caller and topic of the batch, in the batch's transaction."""
        counts: dict[tuple[str, str | None, str], int] = {}
        for m in batch:
            key = (m.actor.name, m.actor.role, m.topic)
            counts[key] = counts.get(key, 0) + 1
        at = datetime.now(UTC)
        conn.execute(
            sa.insert(audit_log),
            [
                {
                    "at": at,
                    "actor": name,
                    "role": role,
                    "method": "MQTT",
                    "path": topic[:500],
                    "status": 201,
                    "detail": f"{n} message(s) published",
                }
                for (name, role, topic), n in counts.items()
            ],
        )


def _now_micros() -> int:
    from zhicheng.sensing.timefmt import now_micros

    return now_micros()


# --- receiving updates -----------------------------------------------------------------------


def select_topic(topic: str) -> tuple[str, tuple[str, ...]] | None:
    """``v1.1/Observations?$select=result,phenomenonTime`` → (``Observations``, the names)."""
    if not topic.startswith(f"{VERSION}/") or "?" not in topic:
        return None
    path, _, query = topic[len(VERSION) + 1 :].partition("?")
    params = dict(parse_qsl(query))
    names = tuple(n.strip() for n in params.get("$select", "").split(",") if n.strip())
    return (path, names) if names else None


class Notifier:
    """Publishes committed changes on their topics (a :data:`~zhicheng.sensing.changes.ON_CHANGE` listener)."""

    def __init__(
        self,
        publish: Callable[[str, bytes], None],
        select_topics: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.publish = publish
        self.select_topics = select_topics

    def __call__(self, batch: list[changes.Change]) -> None:
        """Publish each change on its entity, collection, navigation and ``$select`` topics."""
        selects = [(t, s) for t in self.select_topics() if (s := select_topic(t)) is not None]
        for change in batch:
            payload = json.dumps(change.entity, separators=(",", ":")).encode()
            for path in change.paths:
                self.publish(f"{VERSION}/{path}", payload)
            for topic, (path, names) in selects:
                if path in change.paths:
                    picked = {k: v for k, v in change.entity.items() if k in names or k.removeprefix("@iot.") in names}
                    self.publish(topic, json.dumps(picked, separators=(",", ":")).encode())


# --- the bridge client ---------------------------------------------------------------------------


class Bridge:
    """The server's MQTT client: takes creates from the broker, publishes updates to it.

    With an MQTT 5 broker (mosquitto) it subscribes with *no local*, so its own update messages
    are not sent back to it; with an MQTT 3.1.1 broker it skips them by their ``@iot.selfLink``.
    """

    def __init__(
        self,
        engine: Engine,
        base: str,
        host: str,
        port: int,
        actor: Actor,
        username: str | None = None,
        password: str | None = None,
        mqtt5: bool = True,
        client_id: str = "zhicheng-sensorthings",
    ) -> None:
        import paho.mqtt.client as paho

        self.ingest = Ingest(engine, base)
        self.actor = actor
        self.host, self.port = host, port
        self.endpoint = f"mqtt://{host}:{port}"
        self.mqtt5 = mqtt5
        self.connected = threading.Event()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5 if mqtt5 else paho.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.manual_ack_set(True)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.select_topics: Callable[[], Iterable[str]] = tuple
        self.notifier = Notifier(self._publish, lambda: self.select_topics())

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe to the create topics and start publishing updates."""
        self.ingest.start()
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            raise ConnectionError(f"MQTT broker at {self.host}:{self.port} did not accept the connection")
        changes.ON_CHANGE.append(self.notifier)

    def stop(self) -> None:
        """Stop publishing, store what is queued, disconnect."""
        if self.notifier in changes.ON_CHANGE:
            changes.ON_CHANGE.remove(self.notifier)
        self.ingest.stop()
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any = None) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT broker refused the bridge: %s", reason)
            return
        import paho.mqtt.client as paho

        if self.mqtt5:
            options = paho.SubscribeOptions(qos=1, noLocal=True)
            client.subscribe([(t, options) for t in CREATE_TOPICS])
        else:
            client.subscribe([(t, 1) for t in CREATE_TOPICS])
        self.connected.set()

    def _on_message(self, client: Any, _userdata: Any, msg: Any) -> None:
        def ack(mid: int = msg.mid, qos: int = msg.qos) -> None:
            if qos > 0:
                client.ack(mid, qos)

        if msg.retain or b'"@iot.selfLink"' in msg.payload:
            ack()  # an update the server published itself (or an old retained one)
            return
        self.ingest.submit(Message(msg.topic, bytes(msg.payload), self.actor, ack))

    def _publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=0)
