"""The real daemon under a stand-in for systemd: readiness, watchdog, SIGHUP reload, SIGTERM.

Each test starts ``.venv/bin/voice-agent run`` with NOTIFY_SOCKET at a datagram socket
the test owns and a real Mosquitto broker on a free loopback port.
"""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import time

import pytest

from tests.support.broker import Broker, Recorder, free_port, wait_for
from tests.support.notify import NotifySocket
from tests.support.service_proc import CLI, ROOT, Agent, write_config

pytestmark = pytest.mark.slow

START = 90.0
"""Generous bound for model loading on a busy 2-core machine (a wait, not a speed target)."""
STOP_TIMEOUT = float(next(line.split("=", 1)[1] for line in (ROOT / "systemd" / "voice-agent.service")
                          .read_text().splitlines() if line.startswith("TimeoutStopSec=")))
"""systemd's TimeoutStopSec: the agent must be gone by then (it is, in well under a second)."""


@pytest.fixture
def notify(tmp_path):
    sock = NotifySocket(tmp_path)
    yield sock
    sock.close()


@pytest.fixture
def agents():
    started: list[Agent] = []
    yield started
    for a in started:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait(10)


def start(agents, config, notify, **kw) -> Agent:
    agent = Agent(config, notify.path, **kw)
    agents.append(agent)
    return agent


def say(recorder: Recorder, text: str) -> None:
    recorder.publish("voice-agent/demo/text/in", text)


def events(recorder: Recorder, kind: str) -> list[dict]:
    return [json.loads(m.text) for m in recorder.on(f"voice-agent/demo/{kind}")]


def test_ready_only_once_models_are_loaded_and_the_broker_is_connected(tmp_path, notify, agents):
    broker = Broker(tmp_path / "late-broker")          # not started yet
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify)
    notify.wait_for("STATUS=loading the understanding models", START)
    waiting = f"STATUS=waiting for 127.0.0.1:{broker.port}; 0 action(s) waiting; 0 delivered, 0 dropped"
    notify.wait_for(waiting, START)                    # models loaded, broker missing
    time.sleep(1.0)
    assert not [d for d in notify.between(0) if d.has("READY=1")], notify.statuses()
    assert agent.proc.poll() is None
    broker.start()
    try:
        ready = notify.wait_for("READY=1", 60)
        assert ready.fields["STATUS"].startswith(f"connected to 127.0.0.1:{broker.port}")
        order = [d.fields.get("STATUS", "") for d in notify.between(0)]
        assert order.index("loading the understanding models") < order.index(ready.fields["STATUS"])
        # the retained health document says so too
        rec = Recorder(broker, topics=("voice-agent/demo/health", "voice-agent/demo/availability")).start()
        wait_for(lambda: rec.on("voice-agent/demo/health") and rec.on("voice-agent/demo/availability"),
                 10, "health and availability")
        health = json.loads(rec.on("voice-agent/demo/health")[-1].text)
        assert health["state"] == "ready" and health["site"] == "demo"
        assert health["config"] == str(config)
        assert rec.on("voice-agent/demo/availability")[-1].text == "online"
        rec.stop()
        assert agent.stop() == 0
    finally:
        broker.kill()


def test_watchdog_pings_at_half_the_interval_and_a_blocked_loop_stops_them(tmp_path, notify, broker, agents):
    timeout = 0.4  # WATCHDOG_USEC=400000
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify, watchdog_usec=400_000, debug_hooks=True, block_seconds=4.0)
    notify.wait_for("READY=1", START)
    first = notify.mark()
    time.sleep(2.0)
    pings = [d.at for d in notify.between(first) if d.has("WATCHDOG=1")]
    assert len(pings) >= 4, notify.between(first)
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert statistics.median(gaps) < timeout        # systemd would restart past the timeout
    assert statistics.median(gaps) > timeout / 4    # half the interval, not a busy loop

    agent.signal(signal.SIGUSR2)                     # test-only hook: block the event loop
    agent.wait_for_line("debug hook: blocking the event loop", 10)
    blocked_from = notify.mark()
    time.sleep(5 * timeout)
    blocked_to = notify.mark()
    assert not [d for d in notify.between(blocked_from, blocked_to) if d.has("WATCHDOG=1")]
    agent.wait_for_line("debug hook: event loop unblocked", 15)
    notify.wait_for("WATCHDOG=1", 10, since=blocked_to)   # and they come back with the loop
    assert agent.stop() == 0


def test_the_blocking_hook_does_not_exist_without_the_debug_flag(tmp_path, notify, broker, agents):
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify, watchdog_usec=400_000)
    notify.wait_for("READY=1", START)
    agent.signal(signal.SIGUSR2)                     # default action: the process ends
    assert agent.proc.wait(20) == -signal.SIGUSR2
    assert "debug hook" not in agent.stderr


def test_no_watchdog_pings_when_systemd_asks_for_another_process(tmp_path, notify, broker, agents):
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify, watchdog_usec=400_000, extra_env={"WATCHDOG_PID": "1"})
    notify.wait_for("READY=1", START)
    time.sleep(1.0)
    assert not [d for d in notify.between(0) if d.has("WATCHDOG=1")]
    assert agent.stop() == 0


def test_sighup_with_a_broken_config_keeps_the_old_one_then_a_valid_change_applies(
        tmp_path, notify, broker, agents):
    config = write_config(tmp_path / "config.yaml", broker.port)
    good_text = config.read_text()
    agent = start(agents, config, notify)
    notify.wait_for("READY=1", START)
    rec = Recorder(broker, topics=("#",)).start()
    say(rec, "turn on the kitchen light")
    wait_for(lambda: rec.on("zigbee2mqtt/Kitchen Light/set"), 20, "the first action")

    # 1. broken: a device type that does not exist
    assert "    type: light\n    area: kitchen\n" in good_text
    config.write_text(good_text.replace("    type: light\n    area: kitchen\n", "    type: lamp\n    area: kitchen\n", 1))
    mark = notify.mark()
    agent.signal(signal.SIGHUP)
    notify.wait_for("RELOADING=1", 30, since=mark)
    after = notify.wait_for("READY=1", 60, since=mark)
    assert after.fields["STATUS"].startswith("reload failed, running on the previous config: ")
    assert "unknown type 'lamp'" in after.fields["STATUS"]
    agent.wait_for_line("reload failed, still running on the previous configuration", 10)
    assert "unknown type 'lamp'" in agent.stderr
    wait_for(lambda: [e for e in events(rec, "error") if e["code"] == "reload-failed"], 10, "reload-failed event")
    err = [e for e in events(rec, "error") if e["code"] == "reload-failed"][0]
    assert err["cause"] == "config-invalid" and "unknown type 'lamp'" in err["message"]
    assert agent.proc.poll() is None
    # still answering, on the old config
    before = len(rec.on("zigbee2mqtt/Kitchen Light/set"))
    say(rec, "turn off the kitchen light")
    wait_for(lambda: len(rec.on("zigbee2mqtt/Kitchen Light/set")) > before, 20, "an action on the old config")
    assert json.loads(rec.on("zigbee2mqtt/Kitchen Light/set")[-1].text)["state"] == "OFF"

    # 2. valid and changed: the kitchen light now answers to "stove light" on a new topic
    changed = good_text.replace("    name: Kitchen Light\n", "    name: Stove Light\n", 1) \
                       .replace("topic: zigbee2mqtt/Kitchen Light}", "topic: zigbee2mqtt/Stove Light}", 1)
    assert changed != good_text
    config.write_text(changed)
    mark = notify.mark()
    agent.signal(signal.SIGHUP)
    ready = notify.wait_for("READY=1", 60, since=mark)
    assert ready.fields["STATUS"].endswith(f"(reloaded {config})")
    say(rec, "turn on the stove light")
    wait_for(lambda: rec.on("zigbee2mqtt/Stove Light/set"), 20, "an action on the new config")
    health = json.loads(rec.on("voice-agent/demo/health")[-1].text)
    assert health["reload"]["ok"] is True
    rec.stop()
    assert agent.stop() == 0


def test_sigterm_is_graceful(tmp_path, notify, broker, agents):
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify, watchdog_usec=2_000_000)
    notify.wait_for("READY=1", START)
    rec = Recorder(broker, topics=("voice-agent/demo/#",)).start()
    wait_for(lambda: rec.on("voice-agent/demo/availability"), 10, "availability")
    mark = notify.mark()
    agent.signal(signal.SIGTERM)
    # within what systemd allows before its SIGKILL (0.2 s on a quiet machine; a nice-19
    # process beside two busy ones gets ~2 % of a core, and once took more than 10 s)
    assert agent.proc.wait(STOP_TIMEOUT) == 0
    assert notify.wait_for("STOPPING=1", 1, since=mark)
    wait_for(lambda: rec.on("voice-agent/demo/availability")[-1].text == "offline", 10, "offline")
    health = json.loads(rec.on("voice-agent/demo/health")[-1].text)
    assert health["state"] == "stopping"
    rec.stop()


def test_a_broken_config_exits_78_so_systemd_does_not_restart(tmp_path, notify, agents):
    config = write_config(tmp_path / "config.yaml", free_port(),
                          edit=lambda t: t.replace("site: demo", "site: demo\nsitee: typo", 1))
    agent = start(agents, config, notify)
    assert agent.proc.wait(60) == 78
    agent._reader.join(5)
    assert "sitee: unknown key (did you mean 'site'?)" in agent.stderr


def test_status_command_reports_health(tmp_path, notify, broker, agents):
    config = write_config(tmp_path / "config.yaml", broker.port)

    def status(*extra):
        return subprocess.run([str(CLI), "status", "-c", str(config), "--wait", "0.5", *extra],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)

    never = status()
    assert never.returncode == 1 and "never announced itself" in never.stdout

    agent = start(agents, config, notify)
    notify.wait_for("READY=1", START)
    rec = Recorder(broker, topics=("voice-agent/demo/#",)).start()
    say(rec, "turn on the floor")                     # no such device: an error event
    wait_for(lambda: rec.on("voice-agent/demo/not_understood") or rec.on("voice-agent/demo/error"),
             20, "an answer")
    up = status()
    assert up.returncode == 0, up.stdout + up.stderr
    assert up.stdout.startswith(f"voice-agent demo @ 127.0.0.1:{broker.port}: online, ready: connected to")
    assert up.stdout.rstrip().endswith("healthy")
    doc = json.loads(status("--json").stdout)
    assert doc["healthy"] is True and doc["availability"] == "online"
    assert doc["health"]["state"] == "ready"

    assert agent.stop() == 0
    down = status()
    assert down.returncode == 1
    assert "offline" in down.stdout and "stopping" in down.stdout
    rec.stop()


def test_status_command_without_a_broker(tmp_path):
    config = write_config(tmp_path / "config.yaml", free_port())
    done = subprocess.run([str(CLI), "status", "-c", str(config), "--timeout", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 69
    assert "[mqtt-unreachable] cannot reach the broker" in done.stdout


def test_a_reload_before_the_broker_is_up_does_not_claim_readiness(tmp_path, notify, agents):
    broker = Broker(tmp_path / "late-broker")          # not started yet
    config = write_config(tmp_path / "config.yaml", broker.port)
    agent = start(agents, config, notify)
    notify.wait_for(f"STATUS=waiting for 127.0.0.1:{broker.port}; 0 action(s) waiting; 0 delivered, 0 dropped",
                    START)
    config.write_text(config.read_text().replace("    name: Kitchen Light\n", "    name: Stove Light\n", 1)
                      .replace("topic: zigbee2mqtt/Kitchen Light}", "topic: zigbee2mqtt/Stove Light}", 1))
    agent.signal(signal.SIGHUP)
    notify.wait_for(f"STATUS=waiting for 127.0.0.1:{broker.port}; 0 action(s) waiting; 0 delivered, 0 dropped "
                    f"(reloaded {config})", 60)
    assert not [d for d in notify.between(0) if d.has("READY=1") or d.has("RELOADING=1")]
    broker.start()
    try:
        notify.wait_for("READY=1", 60)
        rec = Recorder(broker, topics=("zigbee2mqtt/#",)).start()
        say(rec, "turn on the stove light")
        wait_for(lambda: rec.on("zigbee2mqtt/Stove Light/set"), 20, "an action on the reloaded config")
        rec.stop()
        assert agent.stop() == 0
    finally:
        broker.kill()
