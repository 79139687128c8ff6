"""MQTT for the server: the embedded broker (amqtt) by default, or a bridge to an external one.

- Embedded (``ZHICHENG_MQTT_PORT``, ``zhicheng serve --mqtt-port``, default 1883 there): an
  amqtt broker in the server's process. Clients log in with the same tokens as HTTP (any user
  name, the token as password); publishing to a create topic needs a token that may write (the
  one :func:`~zhicheng.sensing.service.authorize` check), subscribing needs a token unless reads
  are open. Messages go straight to the sensing ingest with the publisher as the writer, and
  updates are broadcast by the broker itself, ``$select`` topics included.
- External (``ZHICHENG_MQTT_BROKER=host:port``, e.g. Debian's mosquitto): the server's bridge
  client subscribes to the create topics and writes with the token ``ZHICHENG_MQTT_TOKEN``; the
  broker's own accounts and ACLs decide who may publish there.

References
----------
OGC 18-088 §14 (MQTT extension), Annex A.7 and A.8.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BasePlugin, BaseTopicPlugin
from amqtt.session import Session
from sqlalchemy.engine import Engine

from zhicheng.auth import ANONYMOUS, Principal, principal_for
from zhicheng.errors import ZhichengError
from zhicheng.sensing.changes import ON_CHANGE
from zhicheng.sensing.mqtt import VERSION, Bridge, Ingest, Message, Notifier, create_path
from zhicheng.sensing.paths import parse_path
from zhicheng.sensing.service import Call, authorize
from zhicheng.settings import Settings

log = logging.getLogger(__name__)
_HUBS: dict[str, Hub] = {}


@dataclass
class Hub:
    """What the embedded broker's plugin needs: the store, the ingest and the subscriptions."""

    engine: Engine
    base: str
    ingest: Ingest
    open_reads: bool
    subscriptions: Counter[str] = field(default_factory=Counter)
    loop: asyncio.AbstractEventLoop | None = None
    broker: Broker | None = None

    def principal(self, session: Session | None) -> Principal | None:
        """The caller of a session: the token given as password; anonymous without one."""
        if session is None or not session.password:
            return ANONYMOUS
        return principal_for(self.engine, str(session.password))

    def may(self, session: Session | None, topic: str, action: Action) -> bool:
        """Topic permissions: publish creates with a writing token, subscribe with a reader."""
        principal = self.principal(session)
        if principal is None:
            return False
        if action == Action.PUBLISH:
            path = create_path(topic)
            if path is None:
                return False
            try:
                authorize(None, principal, Call("POST", path, self.base), parse_path(path))
            except ZhichengError:
                return False
            return True
        if action == Action.SUBSCRIBE:
            return topic.startswith(f"{VERSION}/") and (principal.role is not None or self.open_reads)
        return True

    def publish(self, topic: str, payload: bytes) -> None:
        """Broadcast an update through the broker (from any thread)."""
        if self.loop is None or self.broker is None:
            return
        asyncio.run_coroutine_threadsafe(
            self.broker.internal_message_broadcast(topic, payload, qos=0), self.loop
        )


class SensorThingsPlugin(BasePlugin[Any]):
    """Hands published creates to the ingest and keeps count of subscribed topics."""

    @dataclass
    class Config:
        """Which hub (server) this broker belongs to."""

        hub: str = ""

    def _hub(self) -> Hub:
        return _HUBS[self.config.hub]

    async def on_broker_message_received(self, *, client_id: str, message: Any) -> None:
        """A client published: queue it for storing, with the publisher as the writer."""
        if message is None or create_path(message.topic) is None:
            return
        hub = self._hub()
        assert hub.broker is not None
        session = hub.broker._sessions.get(client_id, (None, None))[0]  # noqa: SLF001
        principal = hub.principal(session)
        if principal is None:
            return
        hub.ingest.submit(Message(message.topic, bytes(message.data), principal))

    async def on_broker_client_subscribed(self, *, client_id: str, topic: str, qos: int) -> None:
        """Count a subscription (``$select`` topics are published only while subscribed)."""
        self._hub().subscriptions[topic] += 1

    async def on_broker_client_unsubscribed(self, *, client_id: str, topic: str) -> None:
        """Forget a subscription."""
        subs = self._hub().subscriptions
        subs[topic] -= 1
        if subs[topic] <= 0:
            del subs[topic]


class TokenAuthPlugin(BaseAuthPlugin):
    """Clients log in with a token as password (or anonymously, for open reads)."""

    @dataclass
    class Config:
        """Which hub (server) this broker belongs to."""

        hub: str = ""

    async def authenticate(self, *, session: Session) -> bool | None:
        """True for a live token or no password at all; False for an unknown token."""
        return _HUBS[self.config.hub].principal(session) is not None


class TokenTopicPlugin(BaseTopicPlugin):
    """Per-token topic permissions (see :meth:`Hub.may`)."""

    @dataclass
    class Config:
        """Which hub (server) this broker belongs to."""

        hub: str = ""

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        """Whether ``session`` may do ``action`` on ``topic``."""
        if topic is None or action is None:
            return False
        return _HUBS[self.config.hub].may(session, topic, action)


class EmbeddedBroker:
    """An amqtt broker on its own event loop thread, wired to the store's ingest."""

    def __init__(self, engine: Engine, base: str, host: str, port: int, open_reads: bool) -> None:
        self.name = secrets.token_hex(8)
        self.hub = Hub(engine, base, Ingest(engine, base), open_reads)
        self.host, self.port = host, port
        self.notifier = Notifier(self.hub.publish, lambda: list(self.hub.subscriptions))
        self.endpoint = f"mqtt://{host}:{port}"
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _config(self) -> dict[str, Any]:
        module = __name__
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                f"{module}.TokenAuthPlugin": {"hub": self.name},
                f"{module}.TokenTopicPlugin": {"hub": self.name},
                f"{module}.SensorThingsPlugin": {"hub": self.name},
            },
        }

    async def _main(self) -> None:
        self.hub.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        broker = Broker(self._config())
        self.hub.broker = broker
        try:
            await broker.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await broker.shutdown()

    def start(self, timeout: float = 15.0) -> None:
        """Start the broker and the ingest; raise when the port cannot be bound."""
        _HUBS[self.name] = self.hub
        self.hub.ingest.start()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="zhicheng-mqtt-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise ConnectionError(f"the MQTT broker cannot listen on {self.host}:{self.port}: {self._error}")
        ON_CHANGE.append(self.notifier)

    def stop(self) -> None:
        """Stop publishing, store what is queued, stop the broker."""
        if self.notifier in ON_CHANGE:
            ON_CHANGE.remove(self.notifier)
        self.hub.ingest.stop()
        if self.hub.loop is not None and self._stop is not None:
            self.hub.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        _HUBS.pop(self.name, None)


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"MQTT broker address {address!r} is not host:port")
    return host, int(port)


def start_mqtt(engine: Engine, settings: Settings, base: str) -> EmbeddedBroker | Bridge | None:
    """Start MQTT as the settings ask: a bridge to an external broker, an embedded one, or none."""
    if settings.mqtt_broker:
        token = settings.mqtt_token.get_secret_value() if settings.mqtt_token else None
        actor = principal_for(engine, token) if token else None
        if actor is None:
            raise ValueError("ZHICHENG_MQTT_BROKER needs ZHICHENG_MQTT_TOKEN: a live token that may write")
        host, port = _split(settings.mqtt_broker)
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        bridge = Bridge(engine, base, host, port, actor, settings.mqtt_username, password, mqtt5=True)
        bridge.start()
        return bridge
    if settings.mqtt_port:
        broker = EmbeddedBroker(engine, base, settings.mqtt_host, settings.mqtt_port, settings.open_reads)
        broker.start()
        return broker
    return None


def install(app: Any) -> None:
    """Start MQTT with the app (when the settings ask for it) and stop it with the app."""
    import contextlib

    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> Any:
        now: Settings = app.state.settings  # as set when the server starts
        base = f"{now.public_url.rstrip('/')}/{VERSION}"
        app.state.mqtt = None
        if now.mqtt_broker or now.mqtt_port:
            try:
                app.state.mqtt = await asyncio.to_thread(start_mqtt, app.state.engine, now, base)
            except (OSError, ValueError) as exc:
                log.warning("MQTT not started: %s", exc)
        try:
            async with previous(asgi_app) as state:
                yield state
        finally:
            if app.state.mqtt is not None:
                await asyncio.to_thread(app.state.mqtt.stop)

    app.router.lifespan_context = lifespan
