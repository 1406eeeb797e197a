"""Discovery formats -> devices, the merge rules, sensor state keys and capabilities (pure units)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.config import parse_config
from agent.discovery import homeassistant as ha, tasmota, zigbee2mqtt
from agent.discovery.areas import guess_area
from agent.discovery.catalog import Catalog
from agent.discovery.merge import merge, overlay
from agent.payloads import style_of
from agent.payloads.value_template import parse as parse_template
from tests.support import discovery_home as home

ROOT = Path(__file__).resolve().parents[1]


def catalog_of(messages: dict) -> Catalog:
    cat = Catalog()
    for topic, payload in home.payloads(messages).items():
        cat.feed(topic, payload)
    return cat


def by_name(found):
    return {f.name: f for f in found}


# ----------------------------------------------------------------- zigbee2mqtt
def test_zigbee2mqtt_exposes_give_types_classes_features_and_keys():
    found, skipped = zigbee2mqtt.parse_devices("zigbee2mqtt", home.zigbee_devices())
    f = by_name(found)
    assert "Coordinator" not in f
    assert f["Kitchen Ceiling"].type == "light" and f["Kitchen Ceiling"].features == ("brightness", "color", "color_temp")
    assert f["Kitchen Ceiling"].mqtt == {"style": "zigbee2mqtt", "topic": "zigbee2mqtt/Kitchen Ceiling",
                                         "brightness_scale": 254}
    assert f["Bedroom Ceiling"].features == ("brightness",)
    assert f["Hallway Light"].features == ()
    assert (f["Coffee Machine Plug"].type, f["Coffee Machine Plug"].device_class) == ("switch", "outlet")
    assert f["Coffee Machine Plug Power"].mqtt["value_key"] == "power"
    assert f["Coffee Machine Plug Power"].mqtt["measure_unit"] == "W"
    assert (f["Bedroom Blinds"].type, f["Bedroom Blinds"].device_class) == ("cover", "blind")
    assert f["Living Room Curtains"].device_class == "curtain"
    assert f["Front Door Lock"].type == "lock" and f["Front Door Lock"].confirm
    trv = f["Bedroom Radiator"]
    assert (trv.type, trv.device_class, trv.min, trv.max, trv.unit) == ("climate", "thermostat", 5.0, 30.0, "C")
    assert trv.mqtt["temperature_key"] == "current_heating_setpoint" and trv.mqtt["on_mode"] == "heat"
    assert f["Bathroom Sensor Humidity"].device_class == "humidity"
    contact = f["Front Door Contact"]
    assert (contact.type, contact.device_class) == ("binary_sensor", "door")
    assert contact.mqtt["payload_on"] is False and contact.mqtt["payload_off"] is True
    assert f["Kitchen Window"].device_class == "window"
    assert f["Hallway Motion Occupancy"].device_class == "occupancy"
    assert f["Kitchen Leak Sensor Leak"].device_class == "moisture"
    assert not any(x.name.endswith("Battery") or "Linkquality" in x.name for x in found)
    assert skipped == []


def test_areas_from_description_groups_or_words():
    devices = home.zigbee_devices()
    found, _ = zigbee2mqtt.parse_devices("zigbee2mqtt", devices)
    f = by_name(found)
    assert (f["Desk Lamp"].area, f["Desk Lamp"].area_guessed) == ("Office", False)
    assert (f["Reading Lamp"].area, f["Reading Lamp"].area_guessed) == ("Study", False)
    assert (f["Kitchen Ceiling"].area, f["Kitchen Ceiling"].area_guessed) == ("Kitchen", True)
    kinds = {x.source.split(":", 1)[1]: (x.type, x.features or ()) for x in found}
    groups, _, member_area = zigbee2mqtt.parse_groups("zigbee2mqtt", home.zigbee_groups(), kinds)
    assert member_area["0x00158d0000000002"] == "Kitchen"
    g = by_name(groups)
    assert g["Kitchen"].type == "light" and g["Kitchen"].features == ("brightness", "color_temp")
    assert g["Cooking"].type == "scene" and g["Cooking"].mqtt["scene_id"] == 1
    assert g["Movie Night"].mqtt["topic"] == "zigbee2mqtt/Living Room Lights"
    assert guess_area("Kitchen Ceiling") == "Kitchen"
    assert guess_area("Anna's Lamp") is None
    assert guess_area("Bedroom 2 Lamp") == "Bedroom 2"
    assert guess_area("the living room tv") == "Living Room"


def test_zigbee2mqtt_hostile_names_and_shapes_are_reported_not_fatal():
    devices = [home.light(1, "Bad # name", "dim"), home.light(2, "Bad + name", "dim"),
               home.light(3, "Floor/Lamp", "dim"), {"ieee_address": 5}, "junk", None,
               {"ieee_address": "0x1", "friendly_name": "No def", "type": "EndDevice", "definition": None},
               {**home.light(4, "Off Lamp", "dim"), "disabled": True}]
    found, skipped = zigbee2mqtt.parse_devices("zigbee2mqtt", devices)
    assert [f.name for f in found] == ["Floor Lamp"]
    assert found[0].mqtt["topic"] == "zigbee2mqtt/Floor/Lamp"
    whys = " | ".join(s.why for s in skipped)
    assert "'#', '+'" in whys and "no definition" in whys and "disabled" in whys
    assert zigbee2mqtt.parse_devices("zigbee2mqtt", {"not": "a list"})[0] == []


# ----------------------------------------------------------------- Tasmota
def test_tasmota_plug_relays_lights_shutters_and_sensors():
    msgs = home.tasmota_plug()
    (cfg_topic, cfg), (_, sensors) = list(msgs.items())
    found, skipped = tasmota.parse_config("A4CF12B3C4D5", cfg, sensors)
    f = by_name(found)
    plug = f["Washing Machine"]
    assert (plug.type, plug.device_class, plug.mqtt) == ("switch", "outlet", {"style": "tasmota", "topic": "tasmota_B3C4D5"})
    assert f["Washing Machine Power"].mqtt["value_key"] == "ENERGY.Power"
    assert f["Washing Machine Energy"].mqtt["measure_unit"] == "kWh"
    rgb = dict(cfg, rl=[2, 0], lt_st=5, fn=["Strip", None], t="strip1")
    (light,), _ = tasmota.parse_config("AA", rgb)
    assert light.type == "light" and light.features == ("brightness", "color", "color_temp")
    two = dict(cfg, rl=[1, 1], fn=["Left", "Right"])
    found, _ = tasmota.parse_config("BB", two)
    assert [x.mqtt.get("relay") for x in found] == [1, 2]
    shutter = dict(cfg, rl=[3, 3, 0], fn=["Blind", "Blind down"], t="shutter1")
    (s,), _ = tasmota.parse_config("CC", shutter)
    assert (s.type, s.mqtt["shutter"], s.features) == ("cover", 1, ("position",))
    _, skipped = tasmota.parse_config("DD", dict(cfg, ft="%topic%/%prefix%/"))
    assert "FullTopic" in skipped[0].why
    _, skipped = tasmota.parse_config("EE", dict(cfg, t="a/#"))
    assert skipped and "topic" in skipped[0].why


# ----------------------------------------------------------------- Home Assistant
def test_home_assistant_abbreviations_and_tilde_expand():
    d = ha.expand({"~": "den/strip", "cmd_t": "~/set", "stat_t": "~/state", "avty_t": "status/~",
                   "dev": {"ids": ["x"], "sa": "Den"}})
    assert d["command_topic"] == "den/strip/set" and d["state_topic"] == "den/strip/state"
    assert d["availability_topic"] == "status/den/strip" and d["device"]["suggested_area"] == "Den"
    assert ha.split_topic("homeassistant/light/node/obj/config") == ("light", "node/obj")
    assert ha.split_topic("homeassistant/light/obj/config") == ("light", "obj")
    assert ha.split_topic("homeassistant/light/config") is None


def test_home_assistant_components_become_devices():
    found = []
    for topic, doc in home.ha_entities().items():
        comp, obj = ha.split_topic(topic)
        got, skipped = ha.parse_config(comp, obj, doc)
        assert not skipped, skipped
        found += got
    f = by_name(found)
    strip = f["Den Strip"]
    assert (strip.type, strip.area, strip.area_guessed, strip.features) == ("light", "Den", False, ("brightness", "color"))
    assert strip.mqtt == {"style": "homeassistant", "topic": "den/strip/set", "schema": "json",
                          "state_topic": "den/strip/state", "color_mode": "rgb", "white_as": "rgb"}
    boiler = f["Boiler"]
    assert boiler.mqtt["topic"] == "utility/boiler/power/set" and boiler.mqtt["payload_turn_on"] == "1"
    assert boiler.mqtt["state_on"] == "1" and boiler.area == "Utility Room"
    garage = f["Garage Door"]
    assert (garage.device_class, garage.confirm) == ("garage_door", True)
    pump = f["Heat Pump"]
    assert (pump.type, pump.min, pump.max, pump.mqtt["topic"], pump.mqtt["on_mode"]) == \
        ("climate", 16.0, 30.0, "heatpump/mode/set", "heat")
    assert f["Weather Station Outdoor Temperature"].mqtt["value_template"] == "{{ value_json.temp_c | float }}"
    assert f["Cellar Leak"].mqtt["payload_on"] == "wet"
    assert f["Robot Vacuum"].mqtt["payload_return_home"] == "return_to_base"
    assert f["Lounge Speaker"].features == ("volume",)
    assert f["Side Gate Lock"].confirm


def test_home_assistant_hostile_configs_are_skipped_with_a_reason():
    _, sk = ha.parse_config("light", "x", {"name": "L", "cmd_t": "a/#"})
    assert "plain MQTT topic" in sk[0].why
    _, sk = ha.parse_config("sensor", "x", {"name": "S", "stat_t": "s", "val_tpl": "{% if value %}1{% endif %}"})
    assert "single" in sk[0].why
    _, sk = ha.parse_config("light", "x", {"name": "L", "schema": "template", "cmd_t": "l"})
    assert "schema" in sk[0].why
    _, sk = ha.parse_config("button", "x", {"name": "B", "cmd_t": "b"})
    assert "button" in sk[0].why
    _, sk = ha.parse_config("switch", "x", ["not", "a", "mapping"])
    assert sk


def test_value_templates_evaluated_or_refused():
    assert parse_template("{{ value_json.temp_c | float }}").apply('{"temp_c": "19.5"}') == 19.5
    assert parse_template("{{value_json['ENERGY']['Power']}}").apply('{"ENERGY": {"Power": 7}}') == 7
    assert parse_template("{{ value_json.list[1] }}").apply('{"list": [1, 2]}') == 2
    assert parse_template("{{ value | round(1) }}").apply("19.47") == 19.5
    assert parse_template("{{ value_json.x | default(0) }}").apply("{}") == 0
    with pytest.raises(ValueError, match="no 'a.b'"):
        parse_template("{{ value_json.a.b }}").apply('{"a": {}}')
    for bad in ("{{ value_json.a * 2 }}", "{{ states('x') }}", "{{ value_json }}", "value_json.a",
                "{{ value_json.a | regex_replace('x') }}"):
        with pytest.raises(ValueError):
            parse_template(bad)


# ----------------------------------------------------------------- catalog
def test_catalog_dedupes_bridge_and_ha_copies_and_handles_removal():
    msgs = home.flat()
    # zigbee2mqtt's own Home Assistant integration also announces the kitchen light
    msgs["homeassistant/light/0x00158d0000000001/light/config"] = {
        "name": None, "uniq_id": "0x00158d0000000001_light_zigbee2mqtt", "schema": "json",
        "cmd_t": "zigbee2mqtt/Kitchen Ceiling/set", "stat_t": "zigbee2mqtt/Kitchen Ceiling",
        "dev": {"ids": ["zigbee2mqtt_0x00158d0000000001"], "name": "Kitchen Ceiling"}}
    cat = catalog_of(msgs)
    found, skipped = cat.devices()
    assert cat.duplicates == 1
    names = [f.name for f in found]
    assert names.count("Kitchen Ceiling") == 1
    assert {"Washing Machine", "Den Strip", "Cooking", "Kitchen"} <= set(names)
    assert cat.feed("homeassistant/vacuum/robot/config", b"")
    assert "Robot Vacuum" not in [f.name for f in cat.devices()[0]]
    assert not cat.feed("some/other/topic", b"{}")
    assert cat.feed("homeassistant/switch/bin/config", b"\xff\xfe\x00binary")
    assert any("unreadable" in s.why for s in cat.devices()[1])
    assert cat.feed("homeassistant/switch/big/config", b"{" + b" " * 70000 + b"}")
    assert any("bytes is more than" in s.why for s in cat.devices()[1])


# ----------------------------------------------------------------- merge
def base_data() -> dict:
    return {"site": "home", "intents": [str(ROOT / "intents" / "home.yaml")], "areas": [], "devices": []}


def test_import_of_the_flat_gives_a_config_check_accepts():
    data = base_data()
    found, _ = catalog_of(home.flat()).devices()
    report = merge(data, found, {"zigbee2mqtt", "tasmota", "homeassistant"})
    cfg = parse_config(json.loads(json.dumps(data)), ROOT / "config" / "imported.yaml")
    assert len(report.added) == len(found) == len(cfg.devices)
    ids = {d.id for d in cfg.devices}
    assert {"light.kitchen_ceiling", "sensor.bathroom_sensor_humidity", "switch.washing_machine",
            "light.den_strip", "scene.cooking", "climate.bedroom_radiator"} <= ids
    areas = {a.id: a.name for a in cfg.areas}
    assert areas["kitchen"] == "Kitchen" and areas["office"] == "Office" and areas["den"] == "Den"
    from agent.commands.check import runtime_problems
    from agent.understanding.intents import load_intents
    from agent.understanding.template_engine import TemplateEngine
    intents = load_intents(cfg.intents)
    assert runtime_problems(cfg, intents, TemplateEngine(cfg, intents)) == []


def test_reimport_keeps_user_edits_adds_new_and_reports_vanished():
    data = base_data()
    found, _ = catalog_of(home.flat()).devices()
    merge(data, found, {"zigbee2mqtt", "tasmota", "homeassistant"})
    kitchen = next(d for d in data["devices"] if d["id"] == "light.kitchen_ceiling")
    kitchen.update(name="Big Light", aliases=["main light"], confirm=True, area="den")
    kitchen["mqtt"]["brightness_step"] = 10
    hand = {"id": "switch.my_fan", "name": "My Fan", "type": "switch",
            "mqtt": {"style": "zigbee2mqtt", "topic": "zigbee2mqtt/TV Plug"}}
    data["devices"] = [d for d in data["devices"] if d["id"] != "switch.tv_plug"] + [hand]
    msgs = home.flat()
    devices = msgs["zigbee2mqtt/bridge/devices"]
    devices[:] = [d for d in devices if d.get("friendly_name") != "Porch Light"]
    devices.append(home.light(99, "Attic Light", "dim"))
    for d in devices:
        if d.get("friendly_name") == "Kitchen Ceiling":
            d["friendly_name"] = "Kitchen Ceiling Renamed"
    found, _ = catalog_of(msgs).devices()
    report = merge(data, found, {"zigbee2mqtt"})
    assert report.added == ["light.attic_light"]
    assert report.vanished == ["light.porch_light"]
    assert "light.porch_light" in [d["id"] for d in data["devices"]]
    assert report.adopted == ["switch.my_fan"] and hand["source"].startswith("zigbee2mqtt:")
    assert hand["name"] == "My Fan"
    assert kitchen["name"] == "Big Light" and kitchen["aliases"] == ["main light"] and kitchen["area"] == "den"
    assert kitchen["confirm"] is True and kitchen["mqtt"]["brightness_step"] == 10
    assert kitchen["mqtt"]["topic"] == "zigbee2mqtt/Kitchen Ceiling Renamed"
    assert "light.kitchen_ceiling" in report.updated


def test_overlay_never_changes_the_users_devices():
    data = base_data()
    data["devices"] = [{"id": "light.mine", "name": "Mine", "type": "light",
                        "mqtt": {"style": "zigbee2mqtt", "topic": "zigbee2mqtt/Kitchen Ceiling"}}]
    found, _ = catalog_of(home.flat()).devices()
    out, added = overlay(data, found)
    assert data["devices"] == [{"id": "light.mine", "name": "Mine", "type": "light",
                                "mqtt": {"style": "zigbee2mqtt", "topic": "zigbee2mqtt/Kitchen Ceiling"}}]
    assert "light.kitchen_ceiling" not in added and len(out["devices"]) == 1 + len(added)


# ----------------------------------------------------------------- writing into the user's text
def test_text_patches_keep_layout_and_handle_every_list_shape(tmp_path):
    import yaml

    from agent.commands.import_devices import import_into
    from agent.config import load_config
    intents = ROOT / "intents" / "home.yaml"
    cat = catalog_of({"zigbee2mqtt/bridge/devices": [home.light(1, "Kitchen Lamp", "color"),
                                                     home.light(2, "Desk Lamp", "dim")]})
    shapes = {
        "flow": f"site: home  # mine\nintents: [{intents}]\nareas: []\ndevices: [{{id: x, name: X, type: switch}}]\n",
        "null": f"intents: [{intents}]\ndevices:\n# nothing yet\n",
        "block": (f"intents: [{intents}]\nareas:\n- id: kitchen\n  name: Kitchen   # the cooking room\n"
                  "devices:\n- id: lamp.mine   # hand written\n  name: Mine\n  type: light\n  mqtt:\n"
                  "    style: zigbee2mqtt   # old comment\n    topic: zigbee2mqtt/Desk Lamp\n"
                  "    brightness_step: 5\n# the end\n"),
        "flow_item": (f"intents: [{intents}]\ndevices:\n  - {{id: lamp.mine, name: Mine, type: light, "
                      "mqtt: {style: zigbee2mqtt, topic: zigbee2mqtt/Desk Lamp}}\n"),
    }
    for shape, text in shapes.items():
        path = tmp_path / f"{shape}.yaml"
        path.write_text(text)
        report, _, _ = import_into(path, cat)
        cfg = load_config(path)
        ids = [d.id for d in cfg.devices]
        assert "light.kitchen_lamp" in ids, (shape, path.read_text())
        out = path.read_text()
        for line in text.splitlines():
            if "#" in line:
                assert line.split("#", 1)[1] in out, (shape, line)
        if shape in ("block", "flow_item"):
            mine = next(d for d in cfg.devices if d.id == "lamp.mine")
            assert mine.source == "zigbee2mqtt:0x00158d0000000002" and report.adopted == ["lamp.mine"]
            assert "light.desk_lamp" not in ids
        if shape == "block":
            assert next(a for a in cfg.areas if a.id == "kitchen").name == "Kitchen"
            assert next(d for d in cfg.devices if d.id == "light.kitchen_lamp").area == "kitchen"
            assert out.rstrip().endswith("# the end")  # new devices go into the list, not after it
        assert yaml.safe_load(out)  # still one YAML document
        again, _, _ = import_into(path, cat)
        assert again.added == [] and path.read_text() == out, shape  # idempotent


def test_scalars_read_back_as_written():
    import yaml

    from agent.discovery.yamltext import flow
    values = ["plain", "Kitchen 1", "yes", "no", "null", "on", "1.5", "0x00ff", "a: b", "a #b", "#x", "-x",
              "Anna's Lamp", "°C", "quote \" inside", "", " lead", "trail ", "[list]", "{map}", "a,b", "ok/path",
              "tab\there", "new\nline", 3, 2.5, True, None, "ENERGY.Total", "%", "*star", "&anchor", "!tag", "@at"]
    for v in values:
        assert yaml.safe_load(f"k: {flow(v)}")["k"] == v, v
        assert yaml.safe_load(f"k: {flow({'x': v, 'y': [v]})}")["k"] == {"x": v, "y": [v]}, v


def test_fast_yaml_reader_keeps_lines_and_falls_back_for_explanations(tmp_path, monkeypatch):
    import agent.yamlsrc as ys
    from agent.errors import ConfigError
    path = tmp_path / "c.yaml"
    path.write_text("site: a\ndevices:\n  - id: x   # c\n    name: X\n  - {id: y, name: Y}\n")
    fast = ys.load_yaml(path)
    monkeypatch.setattr(ys, "_FAST", None)
    pure = ys.load_yaml(path)
    assert fast == pure and fast.key_lines == pure.key_lines == {"site": 1, "devices": 2}
    assert fast["devices"].item_lines == pure["devices"].item_lines == [3, 5]
    assert fast["devices"][0].key_lines == {"id": 3, "name": 4}
    monkeypatch.undo()
    path.write_text("site: a\n  area: b\n")
    with pytest.raises(ConfigError, match=":2: .*indented more than the one above"):
        ys.load_yaml(path)


def test_a_thousand_devices_import_into_a_config_check_accepts(tmp_path):
    from agent.commands.import_devices import import_into
    from agent.config import load_config
    cat = catalog_of(home.many(1000))
    path = tmp_path / "big.yaml"
    path.write_text(f"intents: [{ROOT / 'intents' / 'home.yaml'}]\n")
    report, skipped, _ = import_into(path, cat)
    cfg = load_config(path)
    assert len(cfg.devices) == len(report.added) > 1000 and not skipped
    assert len({d.source for d in cfg.devices}) == len(cfg.devices)
    again, _, _ = import_into(path, cat)
    assert (again.added, again.updated, again.vanished) == ([], [], [])
