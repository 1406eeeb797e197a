"""The one place that touches paho-mqtt (2.x, callback API version 2).

paho runs in its own network thread; every callback hops onto the asyncio loop with
``call_soon_threadsafe`` and arrives as a plain call on :class:`Link`. Reconnecting is
ours, not paho's: exponential backoff with jitter between ``reconnect_min`` and
``reconnect_max``. Messages paho still holds from a dropped connection are discarded on
reconnect; the caller's outbox decides what is still fresh enough to send again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import select
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Protocol

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from .config import MqttConfig
from .errors import ConfigError
from .mqtt_names import MAX_BYTES, string_problem

log = logging.getLogger(__name__)


class Link(Protocol):
    """What the client reports, always on the event loop thread."""

    def mqtt_connected(self) -> None: ...
    def mqtt_disconnected(self, reason: str) -> None: ...
    def mqtt_message(self, topic: str, payload: bytes, retained: bool) -> None: ...
    def mqtt_published(self, mid: int, error: str | None) -> None: ...


def backoff(attempt: int, low: float, high: float, rand: random.Random | None = None) -> float:
    """Delay before reconnect attempt ``attempt`` (1, 2, ...): doubling, capped, with jitter
    (a random 50-100 % of the step, so a fleet of agents does not reconnect in lockstep)."""
    doublings = min(max(attempt - 1, 0), 64)  # past 64 the cap has long been reached; 2.0**1024 overflows
    step = min(high, low * 2.0 ** doublings)
    return step * (0.5 + 0.5 * (rand or random).random())


def read_password(cfg: MqttConfig) -> str | None:
    if cfg.password_file:
        path = Path(cfg.password_file)
        try:
            if path.exists() and not path.is_file():
                raise ConfigError([f"mqtt.password_file: {path} is not a regular file; give the path of a "
                                   "file whose first line is the password"])
            with path.open("rb") as fh:
                first = fh.read(MAX_BYTES + 2).decode("utf-8").splitlines()
            password = first[0].strip() if first else ""
        except OSError as exc:
            raise ConfigError([f"mqtt.password_file: cannot read {path}: {exc.strerror}; "
                               "create it (first line: the password) or fix the path"]) from None
        except UnicodeDecodeError:
            raise ConfigError([f"mqtt.password_file: {path} is not UTF-8 text"]) from None
        if string_problem(password) is not None:
            raise ConfigError([f"mqtt.password_file: the password in {path} "
                               f"{string_problem(password)}; MQTT cannot send it"])
        return password
    return cfg.password


class MqttClient:
    def __init__(self, cfg: MqttConfig, link: Link, loop: asyncio.AbstractEventLoop, *,
                 will: tuple[str, str] | None = None, online: tuple[str, str] | None = None) -> None:
        self.cfg = cfg
        self.link = link
        self.loop = loop
        self.online = online
        self._subs: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = False
        self.died: BaseException | None = None
        """Why the network thread ended, when it ended on its own."""
        self._up = False
        self.last_heard = 0.0
        """time.monotonic() of the last packet from the broker (set on the network thread)."""
        self._live = False
        """The network thread's view: a CONNACK arrived and the connection has not been lost
        since. The loop's view (``connected``) lags behind it by the hop onto the loop."""
        self.connected = False
        """The loop's view: True between mqtt_connected and mqtt_disconnected."""
        v5 = cfg.protocol == "5"
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=cfg.client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            reconnect_on_failure=False)
        self.client.max_inflight_messages_set(100)
        password = read_password(cfg)
        if cfg.username is not None:
            self.client.username_pw_set(cfg.username, password)
        if cfg.tls is not None:
            self._tls()
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish

    def _tls(self) -> None:
        tls = self.cfg.tls
        problems = [f"mqtt.tls.{k}: {p} not found; fix the path" for k, p in
                    (("ca", tls.ca), ("cert", tls.cert), ("key", tls.key)) if p and not Path(p).is_file()]
        if problems:
            raise ConfigError(problems)
        try:
            self.client.tls_set(ca_certs=tls.ca, certfile=tls.cert, keyfile=tls.key,
                                cert_reqs=ssl.CERT_REQUIRED)
        except (ssl.SSLError, ValueError) as exc:
            raise ConfigError([f"mqtt.tls: cannot use the certificates: {exc}"]) from None
        self.client.tls_insecure_set(bool(tls.insecure))

    # ---------------------------------------------------------------- loop side
    def start(self) -> None:
        """Start (or, after it ended unexpectedly, restart) the network thread."""
        if self.closed or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self.died = None
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """The network thread runs (False before :meth:`start` and once it ended)."""
        return self._thread is not None and self._thread.is_alive()

    def publish(self, topic: str, payload: str, qos: int, retain: bool, expiry: float | None = None) -> int | None:
        """Hand a message to paho; its mid, or None when not connected (nothing queued).
        ``expiry``: seconds the message stays useful; on MQTT 5 the broker drops it after
        that (whole seconds, rounded down, at least one) instead of delivering it late."""
        if not self.connected or not self._live:
            # the loop may not have heard of a loss yet: never hand a message to a connection
            # that is gone, or to the next one before its CONNACK (on_connect drops paho's
            # queue, so a message written then would reach the broker and be sent again)
            return None
        properties = None
        if expiry is not None and self.cfg.protocol == "5":
            properties = Properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = max(1, int(expiry))
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    def subscribe(self, topics: set[str]) -> None:
        """Make ``topics`` the subscriptions (kept across reconnects)."""
        with self._lock:
            new, gone = topics - self._subs, self._subs - topics
            self._subs = set(topics)
        if self.connected:
            if new:
                self.client.subscribe(self._sub_list(new))
            if gone:
                self.client.unsubscribe(sorted(gone))

    def silent(self, seconds: float) -> bool:
        """The broker has sent nothing for ``seconds`` and nothing from it waits unread: it
        stopped answering. (A starved agent is not a stalled broker: an acknowledgement the
        network thread has not read yet leaves the socket readable.)"""
        sock = self.client.socket()
        if sock is None:
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):  # closed meanwhile: the loss is reported on its own
            return False
        return not readable and time.monotonic() - self.last_heard > seconds

    def abort(self, reason: str) -> None:
        """Cut the connection now (a broker that stopped answering): no goodbye packet, which
        would only queue behind the unanswered ones; the network thread reconnects."""
        log.warning("cutting the broker connection: %s", reason)
        self._live = False
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._set_down(f"cut: {reason}")

    def _sub_list(self, topics) -> list:
        """QoS 1 subscriptions; on MQTT 5 with "retain as published", so a retained message
        published while we are connected still shows its retain flag (a retained "yes" on
        text/in is never taken for a live answer)."""
        if self.cfg.protocol == "5":
            return [(t, SubscribeOptions(qos=1, retainAsPublished=True)) for t in sorted(topics)]
        return [(t, 1) for t in sorted(topics)]

    async def close(self, last: tuple[str, str] | None = None, timeout: float = 3.0) -> None:
        """Publish ``last`` (retained, e.g. availability offline), wait for it, disconnect."""
        self.closed = True
        if last is not None and self.connected:
            info = self.client.publish(last[0], last[1], qos=1, retain=True)
            if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                try:
                    await self.loop.run_in_executor(None, info.wait_for_publish, timeout)
                except (RuntimeError, ValueError):  # the connection went away meanwhile
                    pass
        self._stop.set()
        self.client.disconnect()
        if self._thread is not None:
            await self.loop.run_in_executor(None, self._thread.join, timeout)
        self.connected = False

    # ---------------------------------------------------------------- network thread
    def _hop(self, fn, *args) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: we are shutting down
            pass

    def _run(self) -> None:
        try:
            self._connect_forever()
        except BaseException as exc:  # noqa: BLE001 - reported: the daemon's supervisor restarts us
            self.died = exc
            log.error("MQTT network thread ended: %r", exc)
            self._hop(self._set_down, f"network thread failed: {type(exc).__name__}: {exc}")

    def _connect_forever(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._live = False
            try:
                # a fresh session each time (v3.1.1 clean session is paho's default): the broker
                # must not hold text/in commands for us while we are away and replay them stale
                extra = {"clean_start": True} if self.cfg.protocol == "5" else {}
                self.client.connect(self.cfg.host, self.cfg.port, self.cfg.keepalive, **extra)
            except Exception as exc:  # noqa: BLE001 - OSError, TLS, and whatever paho raises: retry
                attempt += 1
                self._hop(self._set_down, f"cannot connect to {self.cfg.host}:{self.cfg.port}: "
                                          f"{exc if isinstance(exc, (OSError, ssl.SSLError)) else repr(exc)}")
                self._stop.wait(backoff(attempt, self.cfg.reconnect_min, self.cfg.reconnect_max))
                continue
            self._up = False
            try:
                self.client.loop_forever()
            except Exception as exc:  # noqa: BLE001 - keep the network thread alive
                log.warning("MQTT network loop failed: %s", exc)
            if self._stop.is_set():
                break
            attempt = 1 if self._up else attempt + 1  # on_disconnect has reported the loss
            self._stop.wait(backoff(attempt, self.cfg.reconnect_min, self.cfg.reconnect_max))

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            self._hop(self._set_down, f"broker refused the connection: {reason}")
            return
        self._up = True
        self.last_heard = time.monotonic()
        client.drop_out_messages()  # never let paho resend old messages on its own
        self._live = True
        with self._lock:
            subs = sorted(self._subs)
        if subs:
            client.subscribe(self._sub_list(subs))
        if self.online is not None:
            client.publish(self.online[0], self.online[1], qos=1, retain=True)
        self._hop(self._set_up)

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        self._live = False
        self._hop(self._set_down, f"disconnected: {reason}")

    def _on_message(self, client, userdata, msg) -> None:
        self.last_heard = time.monotonic()
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            return
        self._hop(self.link.mqtt_message, topic, bytes(msg.payload), bool(msg.retain))

    def _on_publish(self, client, userdata, mid, reason, properties) -> None:
        self.last_heard = time.monotonic()
        error = str(reason) if reason is not None and reason.is_failure else None
        self._hop(self.link.mqtt_published, mid, error)

    # ---------------------------------------------------------------- loop side state
    def _set_up(self) -> None:
        if not self.connected:
            self.connected = True
            self.link.mqtt_connected()

    def _set_down(self, reason: str) -> None:
        self.connected = False
        self.link.mqtt_disconnected(reason)
