"""Live discovery: while the daemon runs, a device paired is understood without a restart
and a device removed stops being a target; the user's own devices are never changed."""

from __future__ import annotations

import json
import subprocess

from tests.support import discovery_home as home
from tests.support.agent_proc import AgentProc
from tests.support.broker import agent_command, wait_for
from tests.test_agent_entities import ROOT, write_config


def discovery_doc(recorder) -> dict:
    msgs = [m for m in recorder.on("voice-agent/hub/discovery")]
    return json.loads(msgs[-1].text) if msgs else {}


def test_devices_follow_the_broker_while_running(broker, recorder, tmp_path):
    devices = [home.light(1, "Kitchen Light", "dim"), home.light(2, "Bedroom Lamp", "color")]
    recorder.publish("zigbee2mqtt/bridge/devices", json.dumps(devices), retain=True)
    cfg = write_config(tmp_path, broker, discovery={"from": ["zigbee2mqtt", "homeassistant"], "settle": 0.2})
    agent = AgentProc(cfg, text=True)
    try:
        wait_for(lambda: "light.bedroom_lamp" in discovery_doc(recorder).get("added", []), 30, "first sync")
        # the user's own Kitchen Light (same topic) is kept as written, not duplicated
        assert "light.kitchen_light" not in discovery_doc(recorder)["added"]
        agent.send("turn on the bedroom lamp")
        wait_for(lambda: recorder.on("zigbee2mqtt/Bedroom Lamp/set"), 15, "a discovered device acts")
        # paired while running: a Home Assistant entity
        recorder.publish("homeassistant/switch/porch/config",
                         json.dumps({"name": "Porch Heater", "uniq_id": "porch_heater", "~": "porch/heater",
                                     "cmd_t": "~/set", "stat_t": "~/state"}), retain=True)
        wait_for(lambda: "switch.porch_heater" in discovery_doc(recorder).get("added", []), 30, "live add")
        agent.send("turn on the porch heater")
        wait_for(lambda: [m for m in recorder.on("porch/heater/set") if m.text == "ON"], 15, "new device acts")
        # removed while running: the bedroom lamp leaves zigbee2mqtt, the heater's config is cleared
        recorder.publish("zigbee2mqtt/bridge/devices", json.dumps(devices[:1]), retain=True)
        recorder.publish("homeassistant/switch/porch/config", b"", retain=True)
        wait_for(lambda: discovery_doc(recorder).get("added") == [], 30, "live removal")
        before = len(recorder.on("porch/heater/set")) + len(recorder.on("zigbee2mqtt/Bedroom Lamp/set"))
        agent.send("turn off the porch heater", "turn off the bedroom lamp", "turn off the kitchen light")
        wait_for(lambda: recorder.on("zigbee2mqtt/Kitchen Light/set"), 15, "the user's device still acts")
        assert agent.wait_event("not_understood", count=2)
        assert len(recorder.on("porch/heater/set")) + len(recorder.on("zigbee2mqtt/Bedroom Lamp/set")) == before
    finally:
        agent.kill()


def test_status_and_check_show_what_discovery_adds(broker, recorder, tmp_path):
    recorder.publish("zigbee2mqtt/bridge/devices", json.dumps([home.light(2, "Bedroom Lamp", "color")]), retain=True)
    cfg = write_config(tmp_path, broker, discovery={"from": ["zigbee2mqtt"], "settle": 0.2})
    check = subprocess.run(agent_command("check", "-c", str(cfg)), cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0, check.stderr
    assert "discovery: live from zigbee2mqtt" in check.stdout and "adds now: 1 device(s): light.bedroom_lamp" in check.stdout
    agent = AgentProc(cfg, "-q", text=True)
    try:
        wait_for(lambda: discovery_doc(recorder).get("added"), 30, "sync")
        status = subprocess.run(agent_command("status", "-c", str(cfg), "--wait", "1"), cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert "discovery from zigbee2mqtt: 1 device(s) added: light.bedroom_lamp" in status.stdout, status.stdout
    finally:
        agent.kill()


def test_a_discovered_device_the_config_refuses_is_left_out_not_fatal(broker, tmp_path):
    from types import SimpleNamespace

    from agent.config import load_config
    from agent.discovery.live import LiveSync
    from agent.discovery.model import Found
    from agent.discovery.settings import DiscoverySettings
    from agent.events import Topics
    cfg = load_config(write_config(tmp_path, broker, discovery={}))
    daemon = SimpleNamespace(watchers={}, topics=Topics("voice-agent", "hub"), config_filter=None, mqtt=None)
    live = LiveSync(daemon, cfg, DiscoverySettings())
    assert daemon.config_filter == live.extend and "+/bridge/devices" in daemon.watchers
    good = Found("homeassistant:a", "Hall Lamp", "light", {"style": "homeassistant", "topic": "hall/set"})
    bad = Found("homeassistant:b", "Odd Blind", "cover", {"style": "homeassistant", "topic": "odd/set"},
                device_class="sideways")
    live.catalog.devices = lambda: ([bad, good], [])
    merged = live.extend(cfg)
    assert [d.id for d in merged.devices] == ["light.kitchen", "light.hall_lamp"]
    assert live.added == ["light.hall_lamp"]
    assert live.skipped[0]["name"] == "Odd Blind" and "unknown class 'sideways'" in live.skipped[0]["why"]
    assert merged.mqtt == cfg.mqtt
