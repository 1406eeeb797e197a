"""A real Mosquitto broker on a free loopback port, plus a recording subscriber.

Used by the MQTT/daemon tests and by benchmarks/mqtt_latency.py. The broker runs from a
config written into a temporary directory; it can be stopped, killed and restarted on
the same port, with persistence so a subscriber's session survives a restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``check`` until true; AssertionError naming ``what`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory: Path) -> TlsFiles:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=voice-agent test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "localhost"), ("client", "voice-agent-client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=d)
        extra = ["-extfile", "san.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-out", f"{name}.crt", *extra, cwd=d)
    return TlsFiles(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt", d / "client.key")


class Broker:
    def __init__(self, workdir: Path, *, port: int | None = None, tls: TlsFiles | None = None,
                 users: dict[str, str] | None = None, require_certificate: bool = False) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.tls = tls
        self.users = users
        self.require_certificate = require_certificate
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "mosquitto.log"
        self._write_config()

    def _write_config(self) -> None:
        lines = [f"listener {self.port} {self.host}", "persistence true",
                 f"persistence_location {self.dir}/", "autosave_interval 1",
                 f"log_dest file {self.log}", "log_type error", "log_type warning", "log_type notice",
                 "max_queued_messages 100000"]
        if os.geteuid() == 0:
            lines.append("user root")
        if self.users:
            pw = self.dir / "passwd"
            pw.write_text("")
            for user, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(pw), user, password], check=True,
                               capture_output=True)
            lines += [f"password_file {pw}", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if self.tls:
            lines += [f"cafile {self.tls.ca}", f"certfile {self.tls.server_cert}",
                      f"keyfile {self.tls.server_key}",
                      f"require_certificate {'true' if self.require_certificate else 'false'}"]
        (self.dir / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> "Broker":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited ({self.proc.returncode}): {err} "
                                   f"{self.log.read_text() if self.log.exists() else ''}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        """Graceful stop (SIGTERM): sessions are saved for the restart."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool
    dup: bool
    at: float

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", errors="replace")


@dataclass
class Recorder:
    """A paho subscriber that records everything on ``topics`` (a persistent session, so it
    also gets what was published while the broker was restarting)."""

    broker: Broker
    topics: tuple[str, ...] = ("#",)
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    tls: TlsFiles | None = None
    v5: bool = False
    messages: list[Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._marks: dict[str, threading.Event] = {}
        cid = self.client_id or f"recorder-{os.getpid()}-{id(self)}"
        kwargs = {"protocol": MQTTProtocolVersion.MQTTv5} if self.v5 else {"clean_session": False}
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid, **kwargs)
        self.client.reconnect_delay_set(0.05, 0.2)
        if self.username:
            self.client.username_pw_set(self.username, self.password)
        if self.tls:
            self.client.tls_set(ca_certs=str(self.tls.ca), certfile=str(self.tls.client_cert),
                                keyfile=str(self.tls.client_key))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if not reason.is_failure:
            client.subscribe([(t, 1) for t in (*self.topics, BARRIER + "#")])
            self.connected.set()

    def _on_message(self, client, userdata, msg) -> None:
        if msg.topic.startswith(BARRIER):  # barrier(): not a recorded message
            with self.lock:
                mark = self._marks.get(msg.topic)
            if mark is not None:
                mark.set()
            return
        with self.lock:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain), bool(msg.dup),
                                         time.monotonic()))

    def start(self) -> "Recorder":
        self.client.connect(self.broker.host, self.broker.port, 30)
        self.client.loop_start()
        if not self.connected.wait(10) or not self.subscribed.wait(10):
            raise RuntimeError("recorder could not connect and subscribe")
        return self

    def barrier(self, timeout: float = 30.0) -> None:
        """Wait until everything the broker took before now has reached this subscriber:
        a marker published to ourselves comes back after all of it (the broker queues a
        subscriber's messages in order). Instead of sleeping "long enough"."""
        topic = f"{BARRIER}{id(self)}/{len(self._marks)}"
        mark = threading.Event()
        with self.lock:
            self._marks[topic] = mark
        wait_for(self.connected.is_set, timeout, "the recorder connected")
        self.client.publish(topic, b"", qos=1)
        if not mark.wait(timeout):
            raise AssertionError(f"timed out after {timeout}s waiting for the broker to deliver to the recorder")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def on(self, prefix: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.topic.startswith(prefix)]

    def unique(self, prefix: str = "") -> list[Message]:
        """Messages under ``prefix``, dropping broker-to-subscriber redeliveries (dup flag)."""
        out, seen = [], set()
        for m in self.on(prefix):
            key = (m.topic, m.payload)
            if m.dup and key in seen:
                continue
            seen.add(key)
            out.append(m)
        return out


BARRIER = "test-barrier/"
"""Markers of :meth:`Recorder.barrier` (subscribed by every recorder, never recorded)."""


def agent_command(*args: str) -> list[str]:
    """``voice-agent ARGS`` with this interpreter (works without the console script)."""
    return [sys.executable, "-m", "agent", *args]
