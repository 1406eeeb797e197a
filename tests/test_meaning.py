"""What people mean (issue 15): groups, kinds of device, scenes by name, bare verbs, and
numbers and temperature words that point at the right device. On the new-user home
(tests/data/newuser_home.yaml, a hub in the lounge) and small homes made for one rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agent.config import load_config
from agent.understanding.template_engine import TemplateEngine

ROOT = Path(__file__).resolve().parents[1]
ALL_LIGHTS = ["light.kitchen_spots", "light.island", "light.lounge_ceiling", "light.floor_lamp",
              "light.dining", "light.main_bedroom", "light.guest", "light.nightlight", "light.landing"]


@pytest.fixture(scope="module")
def house():
    return TemplateEngine(load_config(ROOT / "tests" / "data" / "newuser_home.yaml"))


def home(tmp_path, body: str) -> TemplateEngine:
    path = tmp_path / "home.yaml"
    path.write_text(f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n" + textwrap.dedent(body))
    return TemplateEngine(load_config(path))


def said(engine, text, area="lounge"):
    got = engine.understand(text, area=area)
    return got.name, sorted(got.targets), got.slots


@pytest.mark.parametrize("text,intent,targets", [
    # "the lights": the speaker's room; "all"/"every"/"everywhere": the whole home
    ("turn on the lights", "turn_on", ["light.floor_lamp", "light.lounge_ceiling"]),
    ("turn off all the lights", "turn_off", ALL_LIGHTS),
    ("switch every light off", "turn_off", ALL_LIGHTS),
    ("turn off the lights everywhere", "turn_off", ALL_LIGHTS),
    # a room or floor said with "all" narrows it again
    ("turn off all the lights upstairs", "turn_off", ["light.landing", "light.main_bedroom", "light.nightlight"]),
    ("turn off all the lights in the kitchen", "turn_off", ["light.island", "light.kitchen_spots"]),
    ("lights off downstairs", "turn_off", ["light.dining", "light.floor_lamp", "light.guest", "light.island",
                                           "light.kitchen_spots", "light.lounge_ceiling"]),
    # "both" gathers what is named, here
    ("turn on both lights", "turn_on", ["light.floor_lamp", "light.lounge_ceiling"]),
])
def test_groups_mean_here_or_everywhere(house, text, intent, targets):
    got = said(house, text)
    assert got[:2] == (intent, sorted(targets)), got


def test_a_room_said_with_a_floor_must_be_on_that_floor(tmp_path):
    engine = home(tmp_path, """
        floors: [{id: ground, name: Ground Floor, aliases: [downstairs]}, {id: up, name: Upstairs}]
        areas:
          - {id: guest, name: Guest Room, aliases: [bedroom], floor: ground}
          - {id: main, name: Main Room, aliases: [bedroom], floor: up}
        devices:
          - {id: light.guest, name: Guest Lamp, type: light, area: guest}
          - {id: light.main, name: Main Lamp, type: light, area: main}
        """)
    assert said(engine, "turn off all the bedroom lights upstairs", None)[:2] == ("turn_off", ["light.main"])
    assert said(engine, "turn off the bedroom lights downstairs", None)[:2] == ("turn_off", ["light.guest"])


@pytest.mark.parametrize("text,intent,targets", [
    ("close the blinds", "close", ["cover.lounge_shutter"]),           # a shutter is what this room has
    ("close all the blinds", "close", ["cover.bedroom_blind", "cover.lounge_shutter"]),
    ("open the shutters in the bedroom", "open", ["cover.bedroom_blind"]),
    ("lower the rollers", "close", ["cover.lounge_shutter"]),
])
def test_window_covering_words_cover_their_family(house, text, intent, targets):
    assert said(house, text)[:2] == (intent, targets)


def test_own_class_first_and_curtains_stay_curtains(tmp_path):
    engine = home(tmp_path, """
        areas: [{id: lounge, name: Lounge}, {id: den, name: Den}]
        devices:
          - {id: cover.blind, name: Bay Blind, type: cover, class: blind, area: lounge}
          - {id: cover.curtain, name: Bay Curtain, type: cover, class: curtain, area: lounge}
          - {id: cover.shutter, name: Den Shutter, type: cover, class: shutter, area: den}
        """)
    assert said(engine, "close all the blinds")[:2] == ("close", ["cover.blind", "cover.shutter"])
    assert said(engine, "close all the curtains")[:2] == ("close", ["cover.curtain"])


def test_users_add_kind_words_per_device_and_per_class(tmp_path):
    engine = home(tmp_path, """
        areas: [{id: lounge, name: Lounge}]
        devices:
          - {id: cover.awning, name: Patio Awning, type: cover, class: awning, area: lounge, kinds: [sail]}
          - {id: cover.garage, name: Garage Door, type: cover, class: garage_door, area: lounge}
          - {id: switch.strip, name: Desk Strip, type: switch, area: lounge}
        understanding:
          kinds: {"switch": [power strip]}
        """)
    assert said(engine, "close the sails")[:2] == ("close", ["cover.awning"])
    assert said(engine, "turn off the power strips")[:2] == ("turn_off", ["switch.strip"])


@pytest.mark.parametrize("text,target", [
    ("good night", "scene.good_night"), ("bedtime", "scene.good_night"),
    ("movie night", "scene.movie"), ("movie night please", "scene.movie"),
])
def test_a_scene_starts_by_its_own_name(house, text, target):
    assert said(house, text)[:2] == ("activate_scene", [target])


def test_a_device_name_alone_does_nothing(house):
    got = house.understand("kitchen spotlights", area="lounge")
    assert got.name is None


def test_a_bare_verb_acts_on_the_busy_device_or_asks(house):
    got = house.understand("stop", area="lounge")
    assert got.name is None and got.reason.startswith("which one?") and "Television" in got.reason
    states = {"vacuum.robot": "cleaning", "media.tv": "on"}
    house.activity = states.get
    try:
        assert said(house, "stop")[:2] == ("stop", ["vacuum.robot"])
        states["vacuum.robot"], states["media.tv"] = "docked", "playing"
        assert said(house, "stop")[:2] == ("media_pause", ["media.tv"])
        states["vacuum.robot"] = "cleaning"  # two things busy: ask
        assert said(house, "stop")[0] is None
    finally:
        house.activity = None
    # a verb only media players take keeps its meaning: the speaker's room's player
    assert said(house, "pause")[:2] == ("media_pause", ["media.tv"])
    # naming the device is never bare
    assert said(house, "stop the hoover")[:2] == ("stop", ["vacuum.robot"])


def test_the_daemon_tells_templates_what_devices_are_doing(tmp_path):
    from agent.engine import Engine
    engine = Engine(load_config(ROOT / "tests" / "data" / "newuser_home.yaml"))
    engine.state.feed("valetudo/robot/state", b"cleaning", 0.0)  # not a state topic: ignored
    assert engine.understander.understand("stop", area="lounge").name is None
    engine.state.assume("vacuum.robot", {"state": "cleaning"}, object(), 0.0)
    got = engine.understander.understand("stop", area="lounge")
    assert (got.name, got.targets) == ("stop", ("vacuum.robot",))


@pytest.mark.parametrize("text,intent,slots", [
    ("set the heating to 22", "set_temperature", {"temperature": 22}),
    ("set the lounge radiator to 19", "set_temperature", {"temperature": 19}),
    ("turn the heating to 20", "set_temperature", {"temperature": 20}),
])
def test_the_number_takes_its_kind_from_the_target(house, text, intent, slots):
    name, targets, got_slots = said(house, text)
    assert (name, targets) == (intent, ["climate.radiator"]) and got_slots == slots


def test_a_number_out_of_the_targets_range_is_refused_by_name(house):
    got = house.understand("set the heating to 35", area="lounge")
    assert got.name is None and "accepts temperature 5-28" in got.reason, got.reason


def test_the_tv_takes_a_bare_number_as_volume(house):
    assert said(house, "set the tv to 20")[::2] == ("set_volume", {"volume": 20})


@pytest.mark.parametrize("text,intent", [
    ("it's cold in here", "temperature_up"), ("it's freezing", "temperature_up"),
    ("it's too warm in here", "temperature_down"), ("it is stuffy", "temperature_down"),
])
def test_temperature_words_reach_the_heating(house, text, intent):
    assert said(house, text)[:2] == (intent, ["climate.radiator"])


@pytest.mark.parametrize("text", ["what's the humidity in the bathroom", "how humid is it in the bathroom",
                                  "how humid is the bathroom"])
def test_a_reading_asks_what_measures_it(house, text):
    assert said(house, text)[:2] == ("get_state", ["sensor.bathroom_humidity"])


def test_the_new_user_check_scores_every_case(tmp_path):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "agent", "eval", "-c", str(ROOT / "tests/data/newuser_home.yaml"),
                        str(ROOT / "tests/data/newuser_cases.yaml")], capture_output=True, text=True, cwd=ROOT)
    assert "cases: right 60, wrong 0, not understood 0" in r.stdout, r.stdout


def parsed(*texts, config=ROOT / "tests" / "data" / "newuser_home.yaml"):
    import json
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "agent", "parse", "-c", str(config), "--area", "lounge", *texts],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_thermostat_modes_tv_channels_and_sources_reach_the_device():
    mode, off, cool, channel, source, bare_source = parsed(
        "set the heating to auto", "turn the heating off", "set the heating to cool",
        "put the tv on channel 5", "switch the tv to hdmi 2", "switch to netflix")
    assert (mode["intent"], mode["slots"]) == ("set_mode", {"mode": "auto"})
    assert [(a["topic"], a["payload"]) for a in mode["actions"]] == [("zigbee2mqtt/lounge_trv/set",
                                                                      '{"system_mode":"auto"}')]
    assert off["intent"] == "turn_off" and off["actions"][0]["payload"] == '{"system_mode":"off"}'
    assert cool["intent"] is None and cool["actions"] == []     # modes: [heat, auto, off]
    assert channel["intent"] == "set_channel" and channel["actions"][0]["payload"] == '{"channel": 5}'
    assert source["slots"] == {"source": "HDMI 2"} and source["actions"][0]["payload"] == '{"source": "HDMI 2"}'
    assert bare_source["targets"] == ["media.tv"] and bare_source["slots"] == {"source": "Netflix"}


def test_a_mode_on_a_home_assistant_thermostat_goes_to_its_mode_topic(tmp_path):
    cfg = tmp_path / "home.yaml"
    cfg.write_text(textwrap.dedent(f"""
        intents: [{ROOT / 'intents' / 'home.yaml'}]
        areas: [{{id: lounge, name: Lounge}}]
        devices:
          - id: climate.ac
            name: Air Conditioner
            type: climate
            area: lounge
            mqtt: {{style: homeassistant, topic: home/ac/set, mode_topic: home/ac/mode/set}}
          - id: climate.old
            name: Old Heater
            type: climate
            area: lounge
            mqtt: {{style: homeassistant, topic: home/old/set}}
        """))
    ac, old = parsed("set the air conditioner to cool", "set the old heater to heat mode", config=cfg)
    assert [(a["topic"], a["payload"]) for a in ac["actions"]] == [("home/ac/mode/set", "cool")]
    assert old["intent"] == "set_mode" and old["actions"] == []  # no mode_topic: nothing is sent


def test_clean_a_room_for_a_vacuum_that_knows_it():
    kitchen, dining, bathroom = parsed("clean the kitchen", "hoover the dining room", "clean the bathroom")
    assert (kitchen["intent"], kitchen["targets"], kitchen["slots"]["room"]) == ("clean_room", ["vacuum.robot"], "3")
    assert kitchen["actions"][0]["topic"] == "valetudo/robot/MapSegmentationCapability/clean/set"
    assert kitchen["actions"][0]["payload"] == '{"segment_ids": ["3"], "iterations": 1, "customOrder": true}'
    assert dining["slots"]["room"] == "6"
    assert bathroom["intent"] is None                          # not under the vacuum's rooms:


def test_rooms_and_modes_are_checked_in_the_config(tmp_path):
    from agent.errors import ConfigError
    path = tmp_path / "home.yaml"
    path.write_text(textwrap.dedent(f"""
        intents: [{ROOT / 'intents' / 'home.yaml'}]
        areas: [{{id: kitchen, name: Kitchen}}]
        devices:
          - {{id: vacuum.r, name: Robot, type: vacuum, rooms: {{kitchn: 3}}}}
          - {{id: climate.t, name: Thermostat, type: climate, modes: [heat, cooling]}}
        """))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "devices[0].rooms.kitchn: unknown area 'kitchn' (did you mean 'kitchen'?)" in text
    assert "devices[1].modes: unknown mode 'cooling' (did you mean 'cool'?)" in text


def test_a_bare_verb_that_could_mean_several_devices_is_asked_about_aloud():
    (stop,) = parsed("stop")
    assert stop["intent"] is None and stop["actions"] == []
    assert stop["reply"] == "Which one: the lounge shutter or the television?"
