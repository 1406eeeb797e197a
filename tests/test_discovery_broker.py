"""``voice-agent import`` against a real Mosquitto holding a flat's discovery messages:
the config it writes passes ``check``, and typed commands for every kind of device give
the payloads each device's own documentation specifies."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agent.acting.planner import ActionPlanner
from agent.acting.state import StateStore
from agent.config import load_config
from agent.messages import Intent
from agent.understanding.template_engine import TemplateEngine
from tests.support import discovery_home as home
from tests.support.broker import agent_command

ROOT = Path(__file__).resolve().parents[1]


def publish_all(recorder, messages: dict) -> None:
    for topic, payload in home.payloads(messages).items():
        recorder.publish(topic, payload, retain=True)


def run_import(broker, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(agent_command("import", "--mqtt", broker.address, "-o", str(out), "--settle", "0.5",
                                        "--wait", "20", *extra),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


# text -> (topic, payload) as zigbee2mqtt's, Tasmota's and Home Assistant's documentation give them
EXPECTED = {
    # zigbee2mqtt lights: <base>/<friendly name>/set with a JSON object; brightness 0-254
    "turn on the kitchen ceiling": ("zigbee2mqtt/Kitchen Ceiling/set", {"state": "ON"}),
    "set the kitchen ceiling to 50 percent": ("zigbee2mqtt/Kitchen Ceiling/set", {"state": "ON", "brightness": 127}),
    "set the kitchen counter to warm white": ("zigbee2mqtt/Kitchen Counter/set", {"state": "ON", "color_temp": 370}),
    "turn off the hallway light": ("zigbee2mqtt/Hallway Light/set", {"state": "OFF"}),
    # a group of lights and a scene stored in a group
    "turn off the living room lights": ("zigbee2mqtt/Living Room Lights/set", {"state": "OFF"}),
    "activate cooking": ("zigbee2mqtt/Kitchen/set", {"scene_recall": 1}),
    # plug, wall switch, cover, lock, thermostatic radiator valve
    "turn off the coffee machine plug": ("zigbee2mqtt/Coffee Machine Plug/set", {"state": "OFF"}),
    "turn on the christmas tree plug": ("zigbee2mqtt/Christmas Tree Plug/set", {"state": "ON"}),
    "set the bedroom blinds to 40 percent": ("zigbee2mqtt/Bedroom Blinds/set", {"position": 40}),
    "close the office shutter": ("zigbee2mqtt/Office Shutter/set", {"state": "CLOSE"}),
    "lock the front door lock": ("zigbee2mqtt/Front Door Lock/set", {"state": "LOCK"}),
    "set the bedroom radiator to 21 degrees": ("zigbee2mqtt/Bedroom Radiator/set", {"current_heating_setpoint": 21}),
    "turn off the bathroom radiator": ("zigbee2mqtt/Bathroom Radiator/set", {"system_mode": "off"}),
    # Tasmota: cmnd/<topic>/POWER
    "turn on the washing machine": ("cmnd/tasmota_B3C4D5/POWER", "ON"),
    # Home Assistant MQTT: the command topics and payloads the discovery config names
    "set the den strip to red": ("den/strip/set", {"state": "ON", "color": {"r": 255, "g": 0, "b": 0}}),
    "turn on the boiler": ("utility/boiler/power/set", "1"),
    "open the garage door": ("garage/door/set", "OPEN"),
    "set the heat pump to 22 degrees": ("heatpump/target/set", "22"),
    "unlock the side gate lock": ("gate/lock/set", "UNLOCK"),
    "turn on the extractor fan": ("extractor/set", "ON"),
    "pause the lounge speaker": ("speaker/lounge/cmd", "PAUSE"),
    "start the robot vacuum": ("vacuum/command", "start"),
}


def test_import_writes_a_config_check_accepts_and_every_kind_acts(broker, recorder, tmp_path):
    publish_all(recorder, home.flat())
    out = tmp_path / "home.yaml"
    done = run_import(broker, out)
    assert done.returncode == 0, done.stderr
    assert "added" in done.stdout and "read" in done.stderr
    check = subprocess.run(agent_command("check", "-c", str(out)), cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    cfg = load_config(out)
    assert len(cfg.devices) >= 51
    text = out.read_text()
    assert "guessed from its name" in text and "# Written by voice-agent import" in text
    engine = TemplateEngine(cfg)
    store = StateStore(cfg)
    planner = ActionPlanner(cfg, store, engine.intents)
    wrong = []
    for said, (topic, payload) in EXPECTED.items():
        intent = engine.understand(said)
        plan = planner.plan_full(intent)
        got = [(a.topic, json.loads(a.payload) if isinstance(payload, dict) else a.payload) for a in plan.actions]
        if got != [(topic, payload)]:
            wrong.append((said, intent.name, intent.targets, got, [p.message for p in plan.problems]))
    assert wrong == []
    # a light without colour says so, and nothing is published
    plan = planner.plan_full(engine.understand("set the bedroom ceiling to blue"))
    assert not plan.actions and "cannot show colours" in plan.problems[0].message
    # sensors answer from their own keys
    store.feed("zigbee2mqtt/Bathroom Sensor", b'{"humidity": 71.5, "temperature": 19.3, "battery": 88}', 0)
    store.feed("zigbee2mqtt/Front Door Contact", b'{"contact": false}', 0)
    store.feed("weather/station", b'{"temp_c": 4.5}', 0)
    store.feed("tele/tasmota_B3C4D5/SENSOR", b'{"ENERGY": {"Power": 350, "Total": 13.1}}', 0)
    assert store.get("sensor.bathroom_sensor_humidity") == {"value": 71.5, "unit": "%"}
    assert store.get("sensor.bathroom_sensor_temperature") == {"value": 19.3, "unit": "°C"}
    assert store.get("binary_sensor.front_door_contact") == {"state": "on"}
    assert store.get("sensor.weather_station_outdoor_temperature") == {"value": 4.5, "unit": "°C"}
    assert store.get("sensor.washing_machine_power") == {"value": 350, "unit": "W"}
    answer = planner.plan_full(engine.understand("is the front door contact open")).answer
    assert answer["answer"] == "yes"


def test_reimport_merges_keeps_edits_and_comments_reports_vanished(broker, recorder, tmp_path):
    publish_all(recorder, home.flat())
    out = tmp_path / "home.yaml"
    assert run_import(broker, out).returncode == 0
    text = out.read_text()
    text = text.replace("name: Kitchen Ceiling\n", "name: Big Light  # my own name\n    aliases: [main light]\n", 1)
    out.write_text("# my flat, my comments\n" + text)
    msgs = home.flat()
    devices = msgs["zigbee2mqtt/bridge/devices"]
    devices[:] = [d for d in devices if d.get("friendly_name") != "Porch Light"] + [home.light(77, "Attic Light", "dim")]
    recorder.publish("zigbee2mqtt/bridge/devices", json.dumps(devices).encode(), retain=True)
    recorder.publish("homeassistant/vacuum/robot/config", b"", retain=True)
    done = run_import(broker, out)
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
    assert "vanished (kept" in done.stdout and "light.porch_light" in done.stdout
    assert "vacuum.robot_vacuum" in done.stdout
    text = out.read_text()
    assert "# my flat, my comments" in text and "# my own name" in text
    cfg = load_config(out)
    kitchen = next(d for d in cfg.devices if d.id == "light.kitchen_ceiling")
    assert kitchen.name == "Big Light" and kitchen.aliases == ("main light",)
    assert {"light.attic_light", "light.porch_light", "vacuum.robot_vacuum"} <= {d.id for d in cfg.devices}
    assert "not announced by zigbee2mqtt any more" in text


def test_import_of_hostile_messages_reports_and_still_writes(broker, recorder, tmp_path):
    msgs = {"zigbee2mqtt/bridge/devices": [home.light(1, "Good Lamp", "dim"), home.light(2, "Evil # Lamp", "dim"),
                                           home.light(3, "Evil + Lamp", "dim"), "junk"],
            "homeassistant/switch/x/config": {"name": "Wild", "cmd_t": "a/+/b"}}
    publish_all(recorder, msgs)
    recorder.publish("homeassistant/light/bin/config", b"\x00\xff" * 50, retain=True)
    recorder.publish("tasmota/discovery/ABC/config", b"{" * 5000, retain=True)
    out = tmp_path / "home.yaml"
    done = run_import(broker, out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("skipped") >= 4
    assert [d.id for d in load_config(out).devices] == ["light.good_lamp"]


def test_import_says_when_the_broker_is_not_there(tmp_path):
    from tests.support.broker import free_port
    done = subprocess.run(agent_command("import", "--mqtt", f"127.0.0.1:{free_port()}", "-o", str(tmp_path / "x.yaml")),
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "mqtt-unreachable" in done.stderr and "cannot connect" in done.stderr
    assert not (tmp_path / "x.yaml").exists()
