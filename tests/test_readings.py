"""Sensors read their style's real state keys; devices do only what their features say."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.acting.planner import ActionPlanner
from agent.acting.state import StateStore
from agent.config import parse_config
from agent.errors import ConfigError
from agent.messages import Intent

ROOT = Path(__file__).resolve().parents[1]


def config(*devices: dict):
    return parse_config({"site": "t", "intents": [str(ROOT / "intents" / "home.yaml")],
                         "areas": [{"id": "kitchen", "name": "Kitchen"}], "devices": list(devices)},
                        ROOT / "config" / "t.yaml")


def z2m(ident: str, type_: str, cls: str | None = None, **mqtt):
    d = {"id": ident, "name": ident.split(".")[1].replace("_", " "), "type": type_,
         "mqtt": {"style": "zigbee2mqtt", "topic": f"zigbee2mqtt/{ident}", **mqtt}}
    if cls:
        d["class"] = cls
    return d


def fed(cfg, topic: str, payload: str) -> StateStore:
    store = StateStore(cfg)
    store.feed(topic, payload.encode(), 0.0)
    return store


@pytest.mark.parametrize("cls,payload,want", [
    ("humidity", '{"humidity": 71.5, "battery": 90, "linkquality": 80}', 71.5),
    ("temperature", '{"temperature": 19.3, "humidity": 60}', 19.3),
    ("illuminance", '{"illuminance": 3000, "illuminance_lux": 120}', 120),
    ("carbon_dioxide", '{"co2": 640}', 640),
    ("power", '{"power": 12.5, "state": "ON"}', 12.5),
    (None, '{"value": 3}', 3),
])
def test_zigbee2mqtt_sensor_reads_the_key_of_its_class(cls, payload, want):
    cfg = config(z2m("sensor.s", "sensor", cls))
    assert fed(cfg, "zigbee2mqtt/sensor.s", payload).get("sensor.s")["value"] == want


def test_value_key_and_unit_win():
    cfg = config(z2m("sensor.bath", "sensor", "temperature", value_key="local_temperature", measure_unit="°C"))
    assert fed(cfg, "zigbee2mqtt/sensor.bath", '{"temperature": 1, "local_temperature": 20.5}').get(
        "sensor.bath") == {"value": 20.5, "unit": "°C"}


@pytest.mark.parametrize("cls,payload,want", [
    ("door", '{"contact": false}', "on"),     # contact false = open
    ("door", '{"contact": true}', "off"),
    ("window", '{"contact": false, "battery": 80}', "on"),
    ("occupancy", '{"occupancy": true}', "on"),
    ("motion", '{"occupancy": false}', "off"),
    ("moisture", '{"water_leak": true}', "on"),
    ("smoke", '{"smoke": false}', "off"),
])
def test_zigbee2mqtt_binary_sensors(cls, payload, want):
    cfg = config(z2m("binary_sensor.b", "binary_sensor", cls))
    assert fed(cfg, "zigbee2mqtt/binary_sensor.b", payload).get("binary_sensor.b")["state"] == want


def test_binary_payload_on_off_from_exposes():
    cfg = config(z2m("binary_sensor.b", "binary_sensor", "door", value_key="contact",
                     payload_on=False, payload_off=True))
    assert fed(cfg, "zigbee2mqtt/binary_sensor.b", '{"contact": true}').get("binary_sensor.b")["state"] == "off"


def test_tasmota_sensor_json():
    cfg = config({"id": "sensor.t", "name": "t", "type": "sensor", "class": "temperature",
                  "mqtt": {"style": "tasmota", "topic": "th1"}},
                 {"id": "sensor.h", "name": "h", "type": "sensor", "class": "humidity",
                  "mqtt": {"style": "tasmota", "topic": "th1"}},
                 {"id": "sensor.p", "name": "p", "type": "sensor", "class": "power",
                  "mqtt": {"style": "tasmota", "topic": "plug", "value_key": "ENERGY.Power", "measure_unit": "W"}})
    store = StateStore(cfg)
    store.feed("tele/th1/SENSOR", b'{"Time":"x","AM2301":{"Temperature":21.3,"Humidity":45.2},"TempUnit":"C"}', 0)
    store.feed("tele/plug/SENSOR", b'{"Time":"x","ENERGY":{"Power":7,"Total":1.5}}', 0)
    assert store.get("sensor.t") == {"value": 21.3, "unit": "°C"}
    assert store.get("sensor.h") == {"value": 45.2}
    assert store.get("sensor.p") == {"value": 7, "unit": "W"}


def test_home_assistant_state_topics_value_templates_and_payloads():
    cfg = config({"id": "sensor.out", "name": "out", "type": "sensor", "class": "temperature",
                  "mqtt": {"style": "homeassistant", "state_topic": "weather",
                           "value_template": "{{ value_json.temp_c | float }}", "measure_unit": "°C"}},
                 {"id": "binary_sensor.leak", "name": "leak", "type": "binary_sensor", "class": "moisture",
                  "mqtt": {"style": "homeassistant", "state_topic": "cellar/leak", "payload_on": "wet",
                           "payload_off": "dry"}},
                 {"id": "sensor.plain", "name": "plain", "type": "sensor",
                  "mqtt": {"style": "homeassistant", "state_topic": "plain"}},
                 {"id": "switch.boiler", "name": "boiler", "type": "switch",
                  "mqtt": {"style": "homeassistant", "topic": "b/set", "state_topic": "b", "state_on": "1",
                           "state_off": "0"}})
    store = StateStore(cfg)
    store.feed("weather", b'{"temp_c": "7.5"}', 0)
    store.feed("cellar/leak", b"wet", 0)
    store.feed("plain", b"42", 0)
    store.feed("b", b"1", 0)
    assert store.get("sensor.out") == {"value": 7.5, "unit": "°C"}
    assert store.get("binary_sensor.leak") == {"state": "on"}
    assert store.get("sensor.plain") == {"value": 42}
    assert store.get("switch.boiler") == {"state": "on"}


def test_a_value_template_beyond_the_subset_is_a_config_error():
    cfg = config({"id": "sensor.x", "name": "x", "type": "sensor",
                  "mqtt": {"style": "homeassistant", "state_topic": "x", "value_template": "{{ value_json.a * 2 }}"}})
    with pytest.raises(ConfigError, match="value_template"):
        StateStore(cfg)


def test_a_read_only_device_needs_no_command_topic_but_others_do():
    config({"id": "sensor.x", "name": "x", "type": "sensor", "mqtt": {"style": "homeassistant", "state_topic": "x"}})
    with pytest.raises(ConfigError, match="need a 'topic'"):
        config({"id": "switch.x", "name": "x", "type": "switch",
                "mqtt": {"style": "homeassistant", "state_topic": "x"}})


def plan(cfg, name, targets, **slots):
    planner = ActionPlanner(cfg, StateStore(cfg))
    return planner.plan_full(Intent(text="t", name=name, targets=tuple(targets), slots=slots, engine="test",
                                    confidence=1.0))


def test_a_light_without_colour_is_never_sent_a_colour():
    cfg = config({**z2m("light.dim", "light"), "features": ["brightness"]},
                 {**z2m("light.white", "light"), "features": ["brightness", "color_temp"]},
                 {**z2m("light.rgb", "light"), "features": ["brightness", "color"]},
                 {**z2m("light.onoff", "light"), "features": []},
                 z2m("light.old", "light"))
    p = plan(cfg, "set_color", ["light.dim", "light.white", "light.rgb", "light.old"], color="blue")
    assert {a.device for a in p.actions} == {"light.rgb", "light.old"}
    why = {x.device: x.message for x in p.problems}
    assert why["light.dim"] == "dim: cannot show colours; it does: brightness"
    assert "cannot show colours" in why["light.white"]
    p = plan(cfg, "set_color", ["light.white", "light.rgb"], color="warm white")
    sent = {a.device: a.payload for a in p.actions}
    assert '"color_temp"' in sent["light.white"] and '"color"' in sent["light.rgb"]
    p = plan(cfg, "set_brightness", ["light.onoff"], brightness=50)
    assert not p.actions and "cannot be dimmed; it does: on/off only" in p.problems[0].message


def test_unknown_feature_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown feature 'colour'"):
        config({**z2m("light.x", "light"), "features": ["colour"]})
