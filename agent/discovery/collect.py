"""Gather the retained discovery messages from a broker (for ``voice-agent import``).

Retained messages arrive right after subscribing; collection ends once no new message came
for ``settle`` seconds, or after ``wait`` seconds at most.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from ..config import MqttConfig
from ..errors import AgentError
from ..mqtt import read_password
from .catalog import Catalog


class BrokerUnreachable(AgentError):
    code = "mqtt-unreachable"


def collect(catalog: Catalog, cfg: MqttConfig, *, wait: float = 5.0, settle: float = 1.0,
            progress: Callable[[int, float], None] | None = None) -> int:
    """Feed ``catalog`` every retained discovery message; the number of messages received."""
    lock = threading.Lock()
    state = {"count": 0, "last": time.monotonic(), "error": ""}
    subscribed = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{cfg.client_id}-import-{os.getpid()}")
    if cfg.username is not None:
        client.username_pw_set(cfg.username, read_password(cfg))
    if cfg.tls is not None:
        client.tls_set(ca_certs=cfg.tls.ca, certfile=cfg.tls.cert, keyfile=cfg.tls.key)
        client.tls_insecure_set(bool(cfg.tls.insecure))

    def on_connect(c, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            state["error"] = f"the broker refused the connection: {reason}"
            subscribed.set()
            return
        c.subscribe([(t, 0) for t in sorted(catalog.subscriptions())])

    def on_subscribe(c, userdata, mid, reasons, properties) -> None:
        with lock:
            state["last"] = time.monotonic()
        subscribed.set()

    def on_message(c, userdata, msg) -> None:
        with lock:
            catalog.feed(msg.topic, bytes(msg.payload))
            state["count"] += 1
            state["last"] = time.monotonic()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    try:
        client.connect(cfg.host, cfg.port, 30)
    except OSError as exc:
        raise BrokerUnreachable(f"cannot connect to {cfg.host}:{cfg.port}: {exc}; "
                                "is the broker running, and is --mqtt HOST:PORT right?") from None
    client.loop_start()
    try:
        start = time.monotonic()
        if not subscribed.wait(min(wait, 10.0)) or state["error"]:
            raise BrokerUnreachable(state["error"] or f"{cfg.host}:{cfg.port} did not answer the subscription")
        while True:
            now = time.monotonic()
            with lock:
                quiet = now - state["last"]
                count = state["count"]
            if progress is not None:
                progress(count, now - start)
            if quiet >= settle or now - start >= wait:
                return count
            time.sleep(min(0.1, settle / 4))
    finally:
        client.disconnect()
        client.loop_stop()
