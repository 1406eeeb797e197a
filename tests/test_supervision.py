"""Issue 12, defect 1: every thread and task the daemon depends on is supervised: health
reports one that ended, the watchdog stops while it is gone, and it is restarted. In one
process, against a real Mosquitto."""

from __future__ import annotations

import asyncio
import struct
import time

import pytest

import agent.daemon.parts
from agent.config import load_config
from agent.daemon import Daemon
from tests.support.mqtt_home import write_home

pytestmark = pytest.mark.slow


async def until(check, timeout: float = 15.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def run_daemon(config, scenario) -> list[dict]:
    events: list[dict] = []

    async def main() -> None:
        daemon = Daemon(config, echo=events.append)
        task = asyncio.create_task(daemon.run())
        try:
            await until(lambda: daemon.is_ready, 60, "ready")
            await scenario(daemon, events)
        finally:
            daemon.request_stop()
            assert await asyncio.wait_for(task, 60) == daemon.exit_status
    asyncio.run(main())
    return events


def actions(events: list[dict]) -> list[str]:
    return [e["topic"] for e in events if e["kind"] == "action"]


@pytest.fixture()
def manual(monkeypatch):
    """The supervisor looks only when the test calls ``revive()``."""
    monkeypatch.setattr(agent.daemon.parts, "SUPERVISE_EVERY", 3600.0)


def test_a_dead_mqtt_thread_is_reported_and_restarted(broker, tmp_path, manual):
    config = load_config(write_home(tmp_path / "home", broker.port))

    async def scenario(daemon: Daemon, events: list[dict]) -> None:
        assert daemon.health() is None
        # the network thread ends on its own (as it did after the backoff's OverflowError)
        daemon.mqtt._stop.set()
        daemon.mqtt.client.disconnect()
        await until(lambda: not daemon.mqtt.alive, 10, "the thread to end")
        assert "MQTT network thread ended" in daemon.health()   # the watchdog stops pinging
        daemon.revive()
        await until(lambda: daemon.mqtt.connected and daemon.health() is None, 15, "reconnected")
        assert [e["part"] for e in events if e.get("code") == "part-restarted"] == ["mqtt"]
        daemon.submit("turn on the desk lamp")
        await until(lambda: actions(events), 15, "an action after the restart")

    assert actions(run_daemon(config, scenario)) == ["z2m/Desk Lamp/set"]


def test_a_dead_task_is_reported_and_restarted(broker, tmp_path, manual):
    config = load_config(write_home(tmp_path / "home", broker.port))

    async def scenario(daemon: Daemon, events: list[dict]) -> None:
        real = daemon.dispatch.expire
        boom = iter([RuntimeError("bug in the sender")])

        def failing() -> None:
            for exc in boom:
                raise exc
            real()
        daemon.dispatch.expire = failing
        daemon.dispatch.kick.set()
        await until(lambda: daemon.parts.tasks["outbox"].done(), 10, "the sender to die")
        assert "outbox task ended" in daemon.health() and "bug in the sender" in daemon.health()
        daemon.revive()
        assert daemon.health() is None
        daemon.submit("turn on the desk lamp")
        await until(lambda: actions(events), 15, "an action after the restart")
        assert [e["part"] for e in events if e.get("code") == "part-restarted"] == ["outbox"]

    run_daemon(config, scenario)


def test_the_network_thread_survives_whatever_connect_raises(broker, tmp_path):
    # a 70 kB client_id made paho raise struct.error on the first connect and the thread died
    config = load_config(write_home(tmp_path / "home", broker.port))

    async def scenario(daemon: Daemon, events: list[dict]) -> None:
        real = daemon.mqtt.client.connect
        calls: list[int] = []

        def connect(*args, **kwargs):
            calls.append(1)
            if len(calls) <= 2:
                raise struct.error("'H' format requires 0 <= number <= 65535")
            return real(*args, **kwargs)
        daemon.mqtt.client.connect = connect
        daemon.mqtt.abort("test: drop the connection")
        await until(lambda: len(calls) >= 3 and daemon.mqtt.connected, 15, "reconnected")
        assert daemon.mqtt.alive and daemon.health() is None
        daemon.submit("turn on the desk lamp")
        await until(lambda: actions(events), 15, "an action after the failures")

    run_daemon(config, scenario)
