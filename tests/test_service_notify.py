"""sd_notify and the watchdog task, in process, against a real datagram socket."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import pytest

from agent import service
from agent.config import parse_config
from agent.errors import ConfigError
from agent.yamlsrc import load_yaml
from tests.support.notify import NotifySocket


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    sock = NotifySocket(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", sock.path)
    yield sock
    sock.close()


def test_systemd_python_is_installed_and_used(notify_socket):
    # the `systemd` extra is part of install.sh; the real library must send the datagrams
    import systemd.daemon  # noqa: F401
    n = service.Notifier()
    assert n.use_libsystemd
    assert n.ready("listening on site demo")
    got = notify_socket.wait_for("READY=1", 5)
    assert got.fields["STATUS"] == "listening on site demo"


def test_fallback_writes_the_same_datagram(notify_socket):
    n = service.Notifier(env={"NOTIFY_SOCKET": notify_socket.path})
    assert not n.use_libsystemd
    assert n.stopping("stopping: SIGTERM")
    got = notify_socket.wait_for("STOPPING=1", 5)
    assert got.fields["STATUS"] == "stopping: SIGTERM"


def test_reloading_carries_monotonic_time(notify_socket):
    n = service.Notifier()
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    n.reloading()
    got = notify_socket.wait_for("RELOADING=1", 5)
    assert int(got.fields["MONOTONIC_USEC"]) >= before


def test_status_is_one_line(notify_socket):
    n = service.Notifier()
    n.status("reload failed:\n  config.yaml:3: site: bad")
    assert notify_socket.wait_for("STATUS=reload failed: config.yaml:3: site: bad", 5)


def test_without_notify_socket_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = service.Notifier()
    assert not n.enabled
    assert n.ready("x") is False


def test_vanished_socket_is_reported_not_raised(tmp_path, caplog):
    n = service.Notifier(env={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert n.watchdog() is False
    assert "could not notify systemd" in caplog.text


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "400000"}, 0.4),
    ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": str(os.getpid())}, 0.4),
    ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}, None),   # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
])
def test_watchdog_interval(env, expected):
    assert service.watchdog_interval(env) == expected


def test_watchdog_task_pings_at_half_the_interval_and_stops_when_the_loop_blocks(notify_socket):
    timeout = 0.4

    async def scenario():
        n = service.Notifier()
        task = asyncio.create_task(service.run_watchdog(n, timeout))
        await asyncio.sleep(2.0)
        blocked_from = notify_socket.mark()
        time.sleep(5 * timeout)            # the loop is stuck: no task runs
        blocked_to = notify_socket.mark()
        await asyncio.sleep(1.0)
        task.cancel()
        return blocked_from, blocked_to

    blocked_from, blocked_to = asyncio.run(scenario())
    pings = [d.at for d in notify_socket.between(0, blocked_from) if d.has("WATCHDOG=1")]
    assert len(pings) >= 5
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    # systemd kills the service when a gap exceeds the timeout; we aim at half of it
    assert statistics.median(gaps) < timeout
    assert statistics.median(gaps) > timeout / 4
    # nothing while the loop was blocked (the ping sent on resuming arrives after the mark)
    assert not [d for d in notify_socket.between(blocked_from, blocked_to) if d.has("WATCHDOG=1")]
    assert [d for d in notify_socket.between(blocked_to) if d.has("WATCHDOG=1")]


def test_unhealthy_daemon_withholds_the_ping(notify_socket):
    state = {"problem": "microphone thread died"}

    async def scenario():
        n = service.Notifier()
        task = asyncio.create_task(service.run_watchdog(n, 0.2, lambda: state["problem"]))
        await asyncio.sleep(0.6)
        first = notify_socket.mark()
        state["problem"] = None
        await asyncio.sleep(0.6)
        task.cancel()
        return first

    first = asyncio.run(scenario())
    assert not [d for d in notify_socket.between(0, first) if d.has("WATCHDOG=1")]
    assert "unhealthy: microphone thread died" in notify_socket.statuses()
    assert [d for d in notify_socket.between(first) if d.has("WATCHDOG=1")]


def test_start_watchdog_only_when_asked(notify_socket):
    async def scenario(env):
        task = service.start_watchdog(service.Notifier(), env=env)
        if task is not None:
            task.cancel()
        return task

    assert asyncio.run(scenario({})) is None
    assert asyncio.run(scenario({"WATCHDOG_USEC": "1000000"})) is not None


def test_debug_hooks_are_off_unless_explicitly_enabled():
    async def scenario(env):
        return service.install_debug_hooks(asyncio.get_running_loop(), env)

    assert asyncio.run(scenario({})) is False
    assert asyncio.run(scenario({"VOICE_AGENT_DEBUG_HOOKS": "yes"})) is False


def _config(tmp_path, service_section: str):
    path = tmp_path / "c.yaml"
    intents = Path(__file__).resolve().parents[1] / "intents" / "home.yaml"
    path.write_text(f"site: t\nservice:\n{service_section}intents: [{intents}]\n")
    return parse_config(load_yaml(path), path)


def test_service_section_is_validated(tmp_path):
    cfg = service.read_service_config(_config(tmp_path, "  log: journal\n  log_level: debug\n"))
    assert cfg == service.ServiceConfig(log="journal", log_level="debug")
    with pytest.raises(ConfigError) as err:
        service.read_service_config(_config(tmp_path, "  log: jurnal\n  watchdg: false\n"))
    text = str(err.value)
    assert "c.yaml:3: service.log: unknown value 'jurnal' (did you mean 'journal'?)" in text
    assert "service.watchdg: unknown key (did you mean 'watchdog'?)" in text
