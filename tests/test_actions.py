"""ActionPlanner, payload styles and conversions (pure: no broker)."""

from __future__ import annotations

import json
import logging

import pytest

from agent.acting.planner import ActionPlanner
from agent.acting.state import StateStore
from agent.config import load_config
from agent.errors import ConfigError
from agent.messages import Intent
from agent.payloads import convert
from agent.understanding.template_engine import TemplateEngine
from tests.support.mqtt_home import DEVICES, write_home


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    path = write_home(tmp_path_factory.mktemp("home"), 1883)
    config = load_config(path)
    engine = TemplateEngine(config)
    return config, engine


def plan(home, text, state=None):
    config, engine = home
    intent = engine.understand(text)
    assert intent.understood, (text, intent.reason)
    planner = ActionPlanner(config, state, engine.intents)
    return [(a.topic, a.payload) for a in planner.plan(intent)]


# ----------------------------------------------------------------------------- conversions

def test_percent_to_255_rounds_half_up_and_keeps_a_lit_light_lit():
    assert convert.pct_to_scale(30) == 77  # 76.5: Python's round() would say 76
    assert convert.pct_to_scale(100) == 255 and convert.pct_to_scale(0) == 0
    assert convert.pct_to_scale(0.1) == 1
    assert convert.scale_to_pct(77) == 30 and convert.scale_to_pct(255) == 100
    assert convert.scale_to_pct(1) == 1 and convert.scale_to_pct(0) == 0
    assert all(convert.scale_to_pct(convert.pct_to_scale(p)) == p for p in range(0, 101))


def test_temperatures_convert_both_ways():
    assert convert.convert_temperature(20, "C", "F") == pytest.approx(68)
    assert convert.convert_temperature(70, "F", "C") == pytest.approx(21.111, abs=1e-3)
    assert convert.round_step(21.111, 0.5) == 21
    assert convert.round_step(21.3, 0.5) == 21.5
    assert convert.convert_temperature(21, "C", "C") == 21


def test_colour_names_to_rgb_hs_xy_and_back():
    assert convert.color_rgb("red") == (255, 0, 0)
    assert convert.color_rgb("grey") == convert.color_rgb("white")  # an alias
    assert convert.rgb_to_hs((255, 0, 0)) == (0, 100)
    assert convert.rgb_to_hs((0, 0, 255)) == (240, 100)
    x, y = convert.rgb_to_xy((255, 0, 0))
    assert (x, y) == pytest.approx((0.64, 0.33), abs=0.001)  # the sRGB red primary
    for name in ("red", "blue", "lime", "orange", "magenta", "cyan", "yellow"):  # xy and hs carry no brightness
        rgb = convert.color_rgb(name)
        assert convert.nearest_color(convert.xy_to_rgb(*convert.rgb_to_xy(rgb))) == name
        assert convert.nearest_color(convert.hs_to_rgb(*convert.rgb_to_hs(rgb))) == name
    assert convert.kelvin_of("warm white") == 2700 and convert.kelvin_to_mired(2700) == 370
    assert convert.kelvin_of("red") is None
    assert convert.parse_rgb("FF8000") == (255, 128, 0) and convert.parse_rgb("1,2,3") == (1, 2, 3)
    assert convert.parse_rgb("nonsense") is None


# ----------------------------------------------------------------------------- styles

def test_zigbee2mqtt_payloads(home):
    assert plan(home, "turn on the desk lamp") == [("z2m/Desk Lamp/set", '{"state":"ON"}')]
    assert plan(home, "set the desk lamp to 30 percent") == [
        ("z2m/Desk Lamp/set", '{"state":"ON","brightness":77}')]
    topic, payload = plan(home, "make the desk lamp red")[0]
    body = json.loads(payload)
    assert topic == "z2m/Desk Lamp/set" and body["state"] == "ON"
    assert body["color"] == pytest.approx({"x": 0.6401, "y": 0.33}, abs=1e-3)
    assert plan(home, "make the desk lamp warm white") == [
        ("z2m/Desk Lamp/set", '{"state":"ON","color_temp":370}')]
    assert plan(home, "toggle the desk lamp") == [("z2m/Desk Lamp/set", '{"state":"TOGGLE"}')]


def test_tasmota_payloads(home):
    assert plan(home, "turn on the shelf light") == [("cmnd/shelf/POWER", "ON")]
    assert plan(home, "set the shelf light to 40 percent") == [("cmnd/shelf/Dimmer", "40")]
    assert plan(home, "make the shelf light blue") == [("cmnd/shelf/Color", "0,0,255")]
    assert plan(home, "make the shelf light cool white") == [("cmnd/shelf/CT", "154")]
    assert plan(home, "turn off the kettle") == [("cmnd/kettle/POWER2", "OFF")]  # relay 2


def test_home_assistant_payloads(home):
    assert plan(home, "turn on the ceiling light") == [("ha/ceiling/set", '{"state":"ON"}')]
    assert plan(home, "make the ceiling light blue") == [
        ("ha/ceiling/set", '{"state":"ON","color":{"h":240,"s":100}}')]
    assert plan(home, "set the floor lamp to 30 percent") == [("ha/floor/brightness/set", "77")]
    assert plan(home, "make the floor lamp red") == [("ha/floor/rgb/set", "255,0,0")]
    assert plan(home, "turn off the floor lamp") == [("ha/floor/set", "OFF")]
    assert plan(home, "open the blind") == [("ha/blind/set", "OPEN")]
    assert plan(home, "set the blind to 25 percent") == [("ha/blind/position/set", "25")]
    assert plan(home, "lock the front door") == [("ha/front/set", "LOCK")]


def test_temperature_is_sent_in_the_unit_the_device_wants(home):
    # the heater wants Fahrenheit: 20 °C said -> 68 °F sent; 70 with no unit is taken as the device's
    assert plan(home, "set the heater to 20 degrees celsius") == [("ha/heater/temperature/set", "68")]
    assert plan(home, "set the heater to 70 degrees") == [("ha/heater/temperature/set", "70")]


def test_template_payloads_for_a_vehicle_gateway_and_a_radio(home):
    assert plan(home, "open the driver window") == [("car/window.driver/cmd", '{"command": "open"}')]
    assert plan(home, "set the driver window to 40 percent") == [("car/window.driver/cmd", '{"position": 40}')]
    assert plan(home, "set the radio volume to 30") == [("radio/volume", "30")]
    assert plan(home, "next song on the radio") == [("radio/cmd", "media_next")]


def test_an_intent_files_own_action_with_a_json_quoted_slot(home):
    assert plan(home, "make me a flat white") == [("cafe/order", '{"drink": "flat_white", "site": "test"}')]


def test_get_state_and_cancel_publish_nothing(home):
    assert plan(home, "is the front door locked") == []
    assert plan(home, "cancel") == []


# ----------------------------------------------------------------------------- state

def test_relative_commands_step_from_the_known_state(home):
    config, engine = home
    state = StateStore(config)
    # unknown brightness: zigbee2mqtt steps on the device itself
    assert plan(home, "make the desk lamp brighter", state) == [("z2m/Desk Lamp/set", '{"brightness_step":51}')]
    state.feed("z2m/Desk Lamp", b'{"state":"ON","brightness":102}', 0.0)  # 40 %
    assert state.get("light.desk")["brightness"] == 40
    assert plan(home, "make the desk lamp brighter", state) == [
        ("z2m/Desk Lamp/set", '{"state":"ON","brightness":153}')]  # 60 %, not a fixed number
    state.feed("ha/floor/brightness", b"51", 0.0)  # 20 % on Home Assistant's 0-255 scale
    assert plan(home, "dim the floor lamp", state) == [("ha/floor/brightness/set", "3")]  # 1 %, still lit
    state.feed("ha/heater/state", b'{"temperature": 68}', 0.0)
    assert plan(home, "turn up the heater by 3 degrees", state) == [("ha/heater/temperature/set", "71")]
    state.feed("ha/floor/state", b"ON", 0.0)
    assert plan(home, "toggle the floor lamp", state) == [("ha/floor/set", "OFF")]


def test_assumed_state_chains_and_reverts(home):
    config, engine = home
    state = StateStore(config)
    state.feed("cmnd/none", b"x", 0.0)  # not a state topic: ignored silently
    state.feed("stat/shelf/RESULT", b'{"POWER":"ON","Dimmer":40}', 0.0)
    planner = ActionPlanner(config, state, engine.intents)
    first = planner.plan_full(engine.understand("make the shelf light brighter"))
    assert [a.payload for a in first.actions] == ["60"]
    state.assume("light.shelf", first.effects["light.shelf"], "cmd1", 1.0)
    second = planner.plan_full(engine.understand("make the shelf light brighter"))
    assert [a.payload for a in second.actions] == ["80"]
    state.revert("light.shelf", "cmd1")
    assert state.get("light.shelf")["brightness"] == 40


def test_get_state_answers_from_the_store(home):
    config, engine = home
    state = StateStore(config)
    planner = ActionPlanner(config, state, engine.intents)
    ask = engine.understand("is the front door locked")
    assert planner.plan_full(ask).answer["answer"] == "unknown"
    state.feed("ha/front/state", b"LOCKED", 0.0)
    answer = planner.plan_full(ask).answer
    assert answer["answer"] == "yes" and answer["matching"] == ["lock.front"]
    state.feed("ha/front/state", b"UNLOCKED", 0.0)
    assert planner.plan_full(ask).answer["answer"] == "no"


@pytest.mark.parametrize("payload", [
    b"not json at all", b'{"state": ', b"\x00\x01\x02\xff" * 10, b"\xff\xfe", b"[1, 2, 3]",
    b'{"brightness": "very"}', b'{"color": {"x": "a", "y": 1}}', b"[" * 100000, b"x" * 200_000,
])
def test_malformed_state_is_ignored_with_a_log_line(home, payload, caplog):
    config, _ = home
    state = StateStore(config)
    state.feed("z2m/Desk Lamp", b'{"state":"ON","brightness":255}', 0.0)
    with caplog.at_level(logging.WARNING, logger="agent.acting.state"):
        assert state.feed("z2m/Desk Lamp", payload, 1.0) == []
    assert state.get("light.desk") == {"state": "on", "brightness": 100}  # unchanged
    assert state.ignored == 1
    assert "ignored state message on 'z2m/Desk Lamp'" in caplog.text


def test_bad_payload_log_lines_are_throttled_per_topic(home, caplog):
    config, _ = home
    state = StateStore(config)
    with caplog.at_level(logging.WARNING, logger="agent.acting.state"):
        for i in range(50):
            state.feed("z2m/Desk Lamp", b"garbage", float(i))
    assert caplog.text.count("ignored state message") == 1 and state.ignored == 50


# ----------------------------------------------------------------------------- safety of topics

def test_a_topic_template_may_not_use_a_spoken_value(tmp_path):
    bad = dict(DEVICES[0], id="light.bad", name="Bad Lamp",
               mqtt={"style": "template", "actions": {"*": {"topic": "x/{color}", "payload": "{intent}"}}})
    config = load_config(write_home(tmp_path, 1883, devices=[bad]))
    with pytest.raises(ConfigError) as err:
        ActionPlanner(config)
    assert "never spoken values" in str(err.value) and "light.bad" in str(err.value)


def test_wildcard_topics_are_refused(tmp_path):
    bad = dict(DEVICES[1], mqtt={"style": "tasmota", "topic": "shelf/#"})
    config = load_config(write_home(tmp_path, 1883, devices=[bad]))
    with pytest.raises(ConfigError, match="wildcard"):
        ActionPlanner(config)


def test_every_planned_topic_is_in_the_allowed_set(home):
    config, engine = home
    planner = ActionPlanner(config, None, engine.intents)
    texts = ["turn on the desk lamp", "make the shelf light blue", "set the blind to 25 percent",
             "open the driver window", "set the radio volume to 30", "make me a latte",
             "set the heater to 70 degrees", "lock the front door"]
    for text in texts:
        for action in planner.plan(engine.understand(text)):
            assert action.topic in planner.allowed_topics


def test_unsupported_combinations_say_what_to_add(home):
    config, engine = home
    planner = ActionPlanner(config, None, engine.intents)
    p = planner.plan_full(engine.understand("toggle the floor lamp"))  # HA has no toggle, state unknown
    assert p.actions == () and p.problems[0].code == "unsupported"
    assert "not known" in p.problems[0].message
    none = Intent("x", "turn_on", ("light.nowhere",))
    assert planner.plan_full(none).problems[0].code == "no-mqtt"
