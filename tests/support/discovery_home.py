"""Discovery payloads for tests and the import benchmark, written by this project from the
formats' public documentation (zigbee2mqtt ``bridge/devices`` / ``bridge/groups`` with
``exposes``, Tasmota ``tasmota/discovery/<mac>/config`` and ``sensors``, Home Assistant MQTT
discovery with abbreviated keys and ``~``).

:func:`flat` is a 40-device zigbee2mqtt network, a Tasmota plug and 10 Home Assistant
entities; :func:`many` is a zigbee2mqtt network of any size.
"""

from __future__ import annotations

import json
from typing import Any

STATE = {"type": "binary", "name": "state", "property": "state", "access": 7,
         "value_on": "ON", "value_off": "OFF", "value_toggle": "TOGGLE"}
LQI = {"type": "numeric", "name": "linkquality", "property": "linkquality", "access": 1, "unit": "lqi",
       "value_min": 0, "value_max": 255}
BATTERY = {"type": "numeric", "name": "battery", "property": "battery", "access": 1, "unit": "%",
           "value_min": 0, "value_max": 100}


def _num(prop: str, unit: str, access: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "numeric", "name": prop, "property": prop, "access": access, "unit": unit, **extra}


def _bin(prop: str, on: Any = True, off: Any = False) -> dict[str, Any]:
    return {"type": "binary", "name": prop, "property": prop, "access": 1, "value_on": on, "value_off": off}


def light_expose(kind: str) -> dict[str, Any]:
    feats = [STATE]
    if kind != "onoff":
        feats.append(_num("brightness", "", 7, value_min=0, value_max=254))
    if kind in ("white", "color"):
        feats.append(_num("color_temp", "mired", 7, value_min=153, value_max=500))
    if kind == "color":
        feats.append({"type": "composite", "name": "color_xy", "property": "color", "access": 7,
                      "features": [_num("x", "", 7), _num("y", "", 7)]})
    return {"type": "light", "features": feats}


def device(n: int, name: str, model: str, description: str, exposes: list[dict[str, Any]], *,
           kind: str = "Router", note: str | None = None) -> dict[str, Any]:
    return {"ieee_address": f"0x00158d00{n:08x}", "type": kind, "network_address": 1000 + n,
            "supported": True, "disabled": False, "friendly_name": name, "description": note,
            "interview_completed": True,
            "definition": {"model": model, "vendor": "Test", "description": description,
                           "exposes": exposes + [LQI]}}


def light(n: int, name: str, kind: str, note: str | None = None) -> dict[str, Any]:
    return device(n, name, f"BULB-{kind}", f"LED bulb ({kind})", [light_expose(kind)], note=note)


def plug(n: int, name: str, metering: bool = False) -> dict[str, Any]:
    ex = [{"type": "switch", "features": [STATE]}]
    if metering:
        ex += [_num("power", "W"), _num("energy", "kWh"), _num("voltage", "V")]
    return device(n, name, "PLUG-1", "Smart plug", ex)


def cover(n: int, name: str, description: str) -> dict[str, Any]:
    feats = [{"type": "enum", "name": "state", "property": "state", "access": 3, "values": ["OPEN", "CLOSE", "STOP"]},
             _num("position", "%", 7, value_min=0, value_max=100)]
    return device(n, name, "BLIND-1", description, [{"type": "cover", "features": feats}], kind="EndDevice")


def trv(n: int, name: str) -> dict[str, Any]:
    feats = [_num("current_heating_setpoint", "°C", 7, value_min=5, value_max=30, value_step=0.5),
             _num("local_temperature", "°C", 5),
             {"type": "enum", "name": "system_mode", "property": "system_mode", "access": 7,
              "values": ["off", "heat", "auto"]}]
    return device(n, name, "TRV-1", "Thermostatic radiator valve", [{"type": "climate", "features": feats}, BATTERY],
                  kind="EndDevice")


def sensor(n: int, name: str, description: str, exposes: list[dict[str, Any]]) -> dict[str, Any]:
    return device(n, name, "SENSOR-1", description, exposes + [BATTERY], kind="EndDevice")


def zigbee_devices() -> list[dict[str, Any]]:
    """The 40-device flat (plus the coordinator, which is not a device to drive)."""
    coordinator = {"ieee_address": "0x00124b0000000001", "type": "Coordinator", "friendly_name": "Coordinator",
                   "network_address": 0, "supported": True, "disabled": False, "definition": None}
    temp, hum = _num("temperature", "°C"), _num("humidity", "%")
    out = [coordinator,
           light(1, "Kitchen Ceiling", "color"), light(2, "Kitchen Counter", "white"),
           light(3, "Living Room Lamp", "color"), light(4, "Living Room Ceiling", "dim"),
           light(5, "Bedroom Lamp", "white"), light(6, "Bedroom Ceiling", "dim"),
           light(7, "Hallway Light", "onoff"), light(8, "Bathroom Mirror", "white"),
           light(9, "Desk Lamp", "color", note="Area: Office"), light(10, "Dining Room Pendant", "dim"),
           light(11, "Nursery Night Light", "color"), light(12, "Garage Light", "onoff"),
           light(13, "Porch Light", "dim"), light(14, "Guest Room Lamp", "white"),
           light(15, "Landing Light", "dim"), light(16, "Reading Lamp", "dim", note="Study"),
           plug(17, "Coffee Machine Plug", metering=True), plug(18, "TV Plug"), plug(19, "Kettle Plug"),
           plug(20, "Dehumidifier Plug", metering=True), plug(21, "Christmas Tree Plug"),
           device(22, "Garden Lights", "SW-1", "Wall switch, 1 gang", [{"type": "switch", "features": [STATE]}]),
           cover(23, "Bedroom Blinds", "Roller blind motor"), cover(24, "Living Room Curtains", "Curtain motor"),
           cover(25, "Office Shutter", "Roller shutter"), cover(26, "Kitchen Blind", "Roller blind motor"),
           device(27, "Front Door Lock", "LOCK-1", "Door lock",
                  [{"type": "lock", "features": [{"type": "binary", "name": "state", "property": "state",
                                                  "access": 7, "value_on": "LOCK", "value_off": "UNLOCK"}]},
                   BATTERY], kind="EndDevice"),
           trv(28, "Bedroom Radiator"), trv(29, "Living Room Radiator"), trv(30, "Bathroom Radiator"),
           sensor(31, "Bathroom Sensor", "Temperature and humidity sensor", [temp, hum]),
           sensor(32, "Bedroom Climate", "Temperature, humidity and pressure sensor",
                  [temp, hum, _num("pressure", "hPa")]),
           sensor(33, "Front Door Contact", "Door and window sensor", [_bin("contact", False, True)]),
           sensor(34, "Kitchen Window", "Door and window sensor", [_bin("contact", False, True)]),
           sensor(35, "Hallway Motion", "Motion sensor", [_bin("occupancy"), _num("illuminance_lux", "lx")]),
           sensor(36, "Kitchen Leak Sensor", "Water leak sensor", [_bin("water_leak")]),
           sensor(37, "Landing Smoke Detector", "Smoke detector", [_bin("smoke")]),
           sensor(38, "Office Air Quality", "Air quality monitor", [_num("co2", "ppm"), _num("voc", "ppb"), temp]),
           sensor(39, "Garden Sensor", "Outdoor temperature sensor", [temp]),
           sensor(40, "Back Door Sensor", "Door and window sensor", [_bin("contact", False, True)])]
    return out


def zigbee_groups() -> list[dict[str, Any]]:
    return [
        {"id": 1, "friendly_name": "Kitchen", "description": None,
         "members": [{"ieee_address": "0x00158d0000000001", "endpoint": 11},
                     {"ieee_address": "0x00158d0000000002", "endpoint": 1}],
         "scenes": [{"id": 1, "name": "Cooking"}]},
        {"id": 2, "friendly_name": "Living Room Lights", "description": None,
         "members": [{"ieee_address": "0x00158d0000000003", "endpoint": 11},
                     {"ieee_address": "0x00158d0000000004", "endpoint": 11}],
         "scenes": [{"id": 3, "name": "Movie Night"}]},
    ]


def tasmota_plug() -> dict[str, dict[str, Any]]:
    """A Tasmota plug with energy monitoring: topic -> payload."""
    mac = "A4CF12B3C4D5"
    config = {"ip": "192.168.1.50", "dn": "Washing Machine", "fn": ["Washing Machine", None, None, None],
              "hn": "tasmota-B3C4D5-1234", "mac": mac, "md": "Gosund SP1 (plug)", "ty": 0, "if": 0,
              "ofln": "Offline", "onln": "Online", "state": ["OFF", "ON", "TOGGLE", "HOLD"], "sw": "13.1.0",
              "t": "tasmota_B3C4D5", "ft": "%prefix%/%topic%/", "tp": ["cmnd", "stat", "tele"],
              "rl": [1, 0, 0, 0, 0, 0, 0, 0], "swc": [-1] * 8, "swn": [None] * 8, "btn": [0] * 8,
              "so": {"4": 0, "11": 0, "13": 0, "17": 0, "20": 0, "30": 0, "68": 0, "73": 0, "82": 0,
                     "114": 0, "117": 0},
              "lk": 0, "lt_st": 0, "sho": [], "sht": [], "ver": 1}
    sensors = {"sn": {"Time": "2026-11-30T10:00:00", "ENERGY": {"TotalStartTime": "2026-01-01T00:00:00",
                                                                 "Total": 12.5, "Yesterday": 0.4, "Today": 0.1,
                                                                 "Power": 3, "Voltage": 231, "Current": 0.02}},
               "ver": 1}
    return {f"tasmota/discovery/{mac}/config": config, f"tasmota/discovery/{mac}/sensors": sensors}


def ha_entities() -> dict[str, dict[str, Any]]:
    """Ten Home Assistant discovery configs, several with abbreviated keys and ``~``."""
    dev = lambda ident, name, area=None: {"ids": [ident], "name": name, "mf": "Test", **({"sa": area} if area else {})}  # noqa: E731
    return {
        "homeassistant/light/den_strip/light/config": {
            "name": None, "uniq_id": "den_strip_light", "schema": "json", "~": "den/strip",
            "cmd_t": "~/set", "stat_t": "~/state", "brightness": True, "sup_clrm": ["rgb"],
            "avty_t": "den/strip/status", "dev": dev("den_strip", "Den Strip", "Den")},
        "homeassistant/switch/boiler/config": {
            "name": "Boiler", "uniq_id": "boiler_switch", "~": "utility/boiler", "cmd_t": "~/power/set",
            "stat_t": "~/power", "pl_on": "1", "pl_off": "0", "stat_on": "1", "stat_off": "0",
            "avty_t": "~/available", "dev": dev("boiler", "Boiler", "Utility Room")},
        "homeassistant/cover/garage/door/config": {
            "name": "Garage Door", "uniq_id": "garage_door_cover", "dev_cla": "garage", "cmd_t": "garage/door/set",
            "stat_t": "garage/door/state", "pl_open": "OPEN", "pl_cls": "CLOSE", "pl_stop": "STOP",
            "stat_open": "open", "stat_clsd": "closed", "dev": dev("garage_door", "Garage Door", "Garage")},
        "homeassistant/climate/heat_pump/config": {
            "name": "Heat Pump", "uniq_id": "lounge_heat_pump", "mode_cmd_t": "heatpump/mode/set",
            "mode_stat_t": "heatpump/mode", "modes": ["off", "heat", "cool", "auto"],
            "temp_cmd_t": "heatpump/target/set", "temp_stat_t": "heatpump/target", "curr_temp_t": "heatpump/current",
            "min_temp": 16, "max_temp": 30, "temp_unit": "C", "dev": dev("heat_pump", "Heat Pump", "Lounge")},
        "homeassistant/lock/gate/config": {
            "name": "Side Gate Lock", "uniq_id": "side_gate_lock", "cmd_t": "gate/lock/set", "stat_t": "gate/lock",
            "pl_lock": "LOCK", "pl_unlk": "UNLOCK", "stat_locked": "LOCKED", "stat_unlocked": "UNLOCKED"},
        "homeassistant/sensor/weather/outdoor_temp/config": {
            "name": "Outdoor Temperature", "uniq_id": "outdoor_temp", "stat_t": "weather/station",
            "val_tpl": "{{ value_json.temp_c | float }}", "unit_of_meas": "°C", "dev_cla": "temperature",
            "dev": dev("weather", "Weather Station")},
        "homeassistant/binary_sensor/cellar_leak/config": {
            "name": "Cellar Leak", "uniq_id": "cellar_leak", "stat_t": "cellar/leak", "pl_on": "wet",
            "pl_off": "dry", "dev_cla": "moisture"},
        "homeassistant/fan/bathroom_fan/config": {
            "name": "Extractor Fan", "uniq_id": "extractor_fan", "cmd_t": "extractor/set", "stat_t": "extractor/state",
            "dev": dev("extractor", "Extractor Fan", "Bathroom")},
        "homeassistant/media_player/lounge_speaker/config": {
            "name": "Lounge Speaker", "uniq_id": "lounge_speaker", "cmd_t": "speaker/lounge/cmd",
            "stat_t": "speaker/lounge/state", "vol_cmd_t": "speaker/lounge/volume/set"},
        "homeassistant/vacuum/robot/config": {
            "name": "Robot Vacuum", "uniq_id": "robot_vacuum", "schema": "state", "cmd_t": "vacuum/command",
            "stat_t": "vacuum/state", "pl_strt": "start", "pl_stop": "stop", "pl_paus": "pause",
            "pl_ret": "return_to_base", "dev": dev("robot", "Robot Vacuum", "Hallway")},
    }


def flat() -> dict[str, Any]:
    """Every retained message of the test flat: topic -> JSON-able payload."""
    out: dict[str, Any] = {"zigbee2mqtt/bridge/devices": zigbee_devices(),
                           "zigbee2mqtt/bridge/groups": zigbee_groups()}
    out.update(tasmota_plug())
    out.update(ha_entities())
    return out


def many(count: int) -> dict[str, Any]:
    """A zigbee2mqtt network of ``count`` devices of every common kind, numbered rooms."""
    rooms = ["Kitchen", "Bedroom", "Bathroom", "Office", "Hallway", "Living Room", "Garage", "Nursery"]
    makers = [lambda n, nm: light(n, nm + " Light", "color"), lambda n, nm: light(n, nm + " Lamp", "dim"),
              lambda n, nm: plug(n, nm + " Plug", True), lambda n, nm: cover(n, nm + " Blind", "Roller blind"),
              lambda n, nm: trv(n, nm + " Radiator"),
              lambda n, nm: sensor(n, nm + " Sensor", "Temperature and humidity sensor",
                                   [_num("temperature", "°C"), _num("humidity", "%")]),
              lambda n, nm: sensor(n, nm + " Door", "Door sensor", [_bin("contact", False, True)])]
    devices = []
    for n in range(1, count + 1):
        room = f"{rooms[n % len(rooms)]} {n // (len(rooms) * len(makers)) + 1}"
        devices.append(makers[n % len(makers)](n, room))
    return {"zigbee2mqtt/bridge/devices": devices, "zigbee2mqtt/bridge/groups": []}


def payloads(messages: dict[str, Any]) -> dict[str, bytes]:
    return {t: json.dumps(v).encode() for t, v in messages.items()}
