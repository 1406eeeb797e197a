"""Home Assistant MQTT discovery: retained ``<prefix>/<component>/[<node_id>/]<object_id>/config``.

The payload may use Home Assistant's abbreviations (``cmd_t`` for ``command_topic``,
``stat_t``, ``avty_t``, ``bri_cmd_t``, ``pl_on`` ...; ``dev`` for ``device`` with ``ids``,
``sa`` ...) and ``~``: a topic that starts or ends with ``~`` has it replaced by the value
of ``~``. An empty retained payload removes the entity. Components read: light (default and
JSON schema), switch, fan, cover, lock, climate, sensor, binary_sensor, vacuum, scene and
media_player (the community ``media_player`` shape: ``cmd_t`` with ``PLAY``/``PAUSE``...,
``vol_cmd_t``).
"""

from __future__ import annotations

from typing import Any

from ..devices import BINARY_CLASSES, SENSOR_CLASSES
from ..payloads.value_template import parse as parse_template
from .areas import guess_area
from .model import Found, Skipped, clean_name, plain_topic

ABBREVIATIONS = {
    "avty": "availability", "avty_t": "availability_topic", "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale", "bri_stat_t": "brightness_state_topic", "bri_val_tpl": "brightness_value_template",
    "clr_temp_cmd_t": "color_temp_command_topic", "clr_temp_stat_t": "color_temp_state_topic",
    "cmd_t": "command_topic", "curr_temp_t": "current_temperature_topic",
    "curr_temp_tpl": "current_temperature_template", "dev": "device", "dev_cla": "device_class",
    "hs_cmd_t": "hs_command_topic", "json_attr_t": "json_attributes_topic", "max_temp": "max_temp",
    "min_temp": "min_temp", "mode_cmd_t": "mode_command_topic", "mode_stat_t": "mode_state_topic",
    "mode_stat_tpl": "mode_state_template", "obj_id": "object_id", "pl_avail": "payload_available",
    "pl_cls": "payload_close", "pl_lock": "payload_lock", "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off", "pl_on": "payload_on", "pl_open": "payload_open", "pl_paus": "payload_pause",
    "pl_ret": "payload_return_to_base", "pl_stop": "payload_stop", "pl_strt": "payload_start",
    "pl_unlk": "payload_unlock", "pos_t": "position_topic", "pow_cmd_t": "power_command_topic",
    "rgb_cmd_t": "rgb_command_topic", "set_pos_t": "set_position_topic", "stat_clsd": "state_closed",
    "stat_locked": "state_locked", "stat_off": "state_off", "stat_on": "state_on", "stat_open": "state_open",
    "stat_t": "state_topic", "stat_tpl": "state_template", "stat_unlocked": "state_unlocked",
    "stat_val_tpl": "state_value_template", "sup_clrm": "supported_color_modes",
    "temp_cmd_t": "temperature_command_topic", "temp_stat_t": "temperature_state_topic",
    "temp_unit": "temperature_unit", "uniq_id": "unique_id", "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template", "xy_cmd_t": "xy_command_topic", "pos_tpl": "position_template",
    "vol_cmd_t": "volume_command_topic", "vol_stat_t": "volume_state_topic", "pct_cmd_t": "percentage_command_topic",
    "sup_feat": "supported_features", "o": "origin", "pl_prs": "payload_press",
}
DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sa": "suggested_area",
                        "sw": "sw_version", "cns": "connections", "name": "name"}
COMPONENTS = ("light", "switch", "fan", "cover", "lock", "climate", "sensor", "binary_sensor", "vacuum",
              "scene", "media_player")
MAX_CONFIG = 64 * 1024


def expand(doc: dict[str, Any]) -> dict[str, Any]:
    """Full key names, and ``~`` put into every topic that starts or ends with it."""
    out = {ABBREVIATIONS.get(k, k): v for k, v in doc.items()}
    dev = out.get("device")
    if isinstance(dev, dict):
        out["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in dev.items()}
    base = out.get("~")
    if isinstance(base, str):
        for k, v in list(out.items()):
            if k.endswith("topic") and isinstance(v, str):
                if v.startswith("~"):
                    out[k] = base + v[1:]
                elif v.endswith("~"):
                    out[k] = v[:-1] + base
    return out


def split_topic(topic: str, prefix: str = "homeassistant") -> tuple[str, str] | None:
    """``(component, object path)`` of a discovery topic, None when it is not one."""
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != prefix or parts[-1] != "config":
        return None
    return parts[1], "/".join(parts[2:-1])


def parse_config(component: str, object_path: str, doc: Any) -> tuple[list[Found], list[Skipped]]:
    """One entity's discovery config."""
    if not isinstance(doc, dict):
        return [], [Skipped(f"homeassistant:{component}/{object_path}", object_path, "config is not a JSON object")]
    d = expand(doc)
    uid = d.get("unique_id")
    key = f"homeassistant:{uid if isinstance(uid, str) and uid else component + '/' + object_path}"[:160]
    dev = d.get("device") if isinstance(d.get("device"), dict) else {}
    name = _name(d, dev, object_path)
    if component not in COMPONENTS:
        return [], [Skipped(key, name, f"a {component} entity (not something voice commands drive)")]
    topics = {k: v for k, v in d.items() if k.endswith("topic") and k != "json_attributes_topic"}
    bad = [k for k, v in topics.items() if v is not None and not plain_topic(v)]
    if bad:
        return [], [Skipped(key, name, f"{bad[0]} is not a plain MQTT topic (empty, a wildcard or too long)")]
    area = dev.get("suggested_area") if isinstance(dev.get("suggested_area"), str) else None
    guessed = area is None
    area = clean_name(area, "") or guess_area(name)
    try:
        spec = _BUILD[component](d)
    except ValueError as exc:
        return [], [Skipped(key, name, str(exc))]
    mqtt: dict[str, Any] = {"style": "homeassistant", **spec.pop("mqtt")}
    for k in ("payload_on", "payload_off") if component in ("switch", "light", "fan", "scene", "climate") else ():
        if isinstance(d.get(k), (str, int)):
            mqtt["payload_turn_" + k[len("payload_"):]] = str(d[k])
    for k in ("state_on", "state_off", "state_open", "state_closed", "state_locked", "state_unlocked"):
        if isinstance(d.get(k), (str, int)):
            mqtt[k] = str(d[k])
    claims = tuple(v for v in topics.values() if isinstance(v, str))
    return [Found(source=key, name=name, mqtt=mqtt, area=area or None, area_guessed=guessed and area is not None,
                  claims=claims, **spec)], []


def _name(d: dict[str, Any], dev: dict[str, Any], object_path: str) -> str:
    own, device = d.get("name"), dev.get("name")
    if isinstance(own, str) and own.strip():
        if isinstance(device, str) and device.strip() and device.lower() not in own.lower():
            return clean_name(f"{device} {own}", object_path)
        return clean_name(own, object_path)
    return clean_name(device, clean_name(object_path.split("/")[-1], "device"))


def _template(d: dict[str, Any], key: str, mqtt: dict[str, Any]) -> None:
    if isinstance(d.get(key), str):
        parse_template(d[key])  # ValueError: the entity is skipped and the reason reported
        mqtt["value_template"] = d[key]


def _need(d: dict[str, Any], key: str, what: str) -> str:
    if not isinstance(d.get(key), str):
        raise ValueError(f"no {key}: the agent cannot {what}")
    return d[key]


def _light(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "switch it")}
    schema = d.get("schema", "default")
    modes = d.get("supported_color_modes") if isinstance(d.get("supported_color_modes"), list) else []
    if schema == "json":
        mqtt["schema"] = "json"
        if isinstance(d.get("state_topic"), str):
            mqtt["state_topic"] = d["state_topic"]
        features = []
        if d.get("brightness") or any(m not in ("onoff",) for m in modes):
            features.append("brightness")
        if set(modes) & {"rgb", "rgbw", "rgbww", "hs", "xy"}:
            features.append("color")
            mqtt["color_mode"] = next((m for m in ("rgb", "xy", "hs") if m in modes), "rgb")
        if "color_temp" in modes:
            features.append("color_temp")
        elif "color" in features:
            mqtt["white_as"] = "rgb"
        if isinstance(d.get("brightness_scale"), int) and d["brightness_scale"] > 0:
            mqtt["brightness_scale"] = d["brightness_scale"]
        return {"type": "light", "mqtt": mqtt, "features": tuple(features)}
    if schema != "default":
        raise ValueError(f"light schema {str(schema)[:20]!r}: only the default and json schemas are read")
    features = []
    for src, dst in (("state_topic", "state_topic"), ("brightness_command_topic", "brightness_topic"),
                     ("brightness_state_topic", "brightness_state_topic"), ("rgb_command_topic", "rgb_topic"),
                     ("hs_command_topic", "hs_topic"), ("xy_command_topic", "xy_topic"),
                     ("color_temp_command_topic", "color_temp_topic")):
        if isinstance(d.get(src), str):
            mqtt[dst] = d[src]
    if "brightness_topic" in mqtt:
        features.append("brightness")
    if {"rgb_topic", "hs_topic", "xy_topic"} & mqtt.keys():
        features.append("color")
    if "color_temp_topic" in mqtt:
        features.append("color_temp")
    elif "color" in features:
        mqtt["white_as"] = "rgb"
    if isinstance(d.get("brightness_scale"), int) and d["brightness_scale"] > 0:
        mqtt["brightness_scale"] = d["brightness_scale"]
    _template(d, "state_value_template", mqtt)
    return {"type": "light", "mqtt": mqtt, "features": tuple(features)}


def _onoff(kind: str):
    def build(d: dict[str, Any]) -> dict[str, Any]:
        mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "switch it")}
        if isinstance(d.get("state_topic"), str):
            mqtt["state_topic"] = d["state_topic"]
        _template(d, "value_template", mqtt)
        cls = d.get("device_class")
        return {"type": kind, "mqtt": mqtt,
                "device_class": "outlet" if kind == "switch" and cls == "outlet" else None}
    return build


def _cover(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {}
    if isinstance(d.get("command_topic"), str):
        mqtt["topic"] = d["command_topic"]
    elif isinstance(d.get("set_position_topic"), str):
        mqtt["topic"] = d["set_position_topic"]
        mqtt.update(payload_open="100", payload_close="0")
    else:
        raise ValueError("no command_topic or set_position_topic: the agent cannot move it")
    if isinstance(d.get("state_topic"), str):
        mqtt["state_topic"] = d["state_topic"]
    if isinstance(d.get("set_position_topic"), str):
        mqtt["position_topic"] = d["set_position_topic"]
    if isinstance(d.get("position_topic"), str):
        mqtt["position_state_topic"] = d["position_topic"]
    for src, dst in (("payload_open", "payload_open"), ("payload_close", "payload_close"),
                     ("payload_stop", "payload_stop")):
        if isinstance(d.get(src), str):
            mqtt[dst] = d[src]
    _template(d, "value_template", mqtt)
    cls = d.get("device_class") if d.get("device_class") in ("blind", "curtain", "shade", "shutter", "awning",
                                                             "garage", "gate", "window", "door", "damper") else None
    cls = "garage_door" if cls == "garage" else cls
    return {"type": "cover", "mqtt": mqtt, "device_class": cls, "confirm": cls in ("garage_door", "gate", "door"),
            "features": ("position",) if "position_topic" in mqtt else ()}


def _lock(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "lock it")}
    if isinstance(d.get("state_topic"), str):
        mqtt["state_topic"] = d["state_topic"]
    for k in ("payload_lock", "payload_unlock"):
        if isinstance(d.get(k), str):
            mqtt[k] = d[k]
    _template(d, "value_template", mqtt)
    return {"type": "lock", "mqtt": mqtt, "confirm": True}


def _climate(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {}
    for src, dst in (("temperature_command_topic", "temperature_topic"), ("mode_command_topic", "mode_topic"),
                     ("temperature_state_topic", "temperature_state_topic"),
                     ("current_temperature_topic", "current_temperature_topic"), ("mode_state_topic", "state_topic")):
        if isinstance(d.get(src), str):
            mqtt[dst] = d[src]
    topic = d.get("power_command_topic") or mqtt.get("mode_topic") or mqtt.get("temperature_topic")
    if not isinstance(topic, str):
        raise ValueError("no temperature, mode or power command topic: the agent cannot set it")
    mqtt["topic"] = topic
    modes = d.get("modes") if isinstance(d.get("modes"), list) else ["auto", "off", "cool", "heat", "dry", "fan_only"]
    if "mode_topic" in mqtt:
        mqtt["on_mode"] = "heat" if "heat" in modes else next((m for m in modes if m != "off"), "heat")
    for k in ("mode_state_template", "current_temperature_template"):
        if isinstance(d.get(k), str):
            parse_template(d[k])
    unit = "F" if d.get("temperature_unit") == "F" else "C"
    lo, hi = d.get("min_temp"), d.get("max_temp")
    return {"type": "climate", "mqtt": mqtt, "device_class": "thermostat", "unit": unit,
            "min": float(lo) if isinstance(lo, (int, float)) else None,
            "max": float(hi) if isinstance(hi, (int, float)) else None}


def _sensor(kind: str):
    def build(d: dict[str, Any]) -> dict[str, Any]:
        mqtt: dict[str, Any] = {"state_topic": _need(d, "state_topic", "read it")}
        _template(d, "value_template", mqtt)
        classes = SENSOR_CLASSES if kind == "sensor" else BINARY_CLASSES
        cls = d.get("device_class") if d.get("device_class") in classes else None
        if kind == "sensor" and isinstance(d.get("unit_of_measurement"), str) and d["unit_of_measurement"].strip():
            mqtt["measure_unit"] = d["unit_of_measurement"].strip()[:20]
        if kind == "binary_sensor":
            for k in ("payload_on", "payload_off"):
                if isinstance(d.get(k), (str, int)):
                    mqtt[k] = str(d[k])
        return {"type": kind, "mqtt": mqtt, "device_class": cls}
    return build


def _vacuum(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "start it")}
    if isinstance(d.get("state_topic"), str):
        mqtt["state_topic"] = d["state_topic"]
    for src, intent in (("payload_start", "start"), ("payload_stop", "stop"), ("payload_pause", "pause"),
                        ("payload_return_to_base", "return_home")):
        if isinstance(d.get(src), str):
            mqtt[f"payload_{intent}"] = d[src]
    return {"type": "vacuum", "mqtt": mqtt}


def _scene(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "activate it")}
    if isinstance(d.get("payload_on"), str):
        mqtt["payload_activate_scene"] = d["payload_on"]
    return {"type": "scene", "mqtt": mqtt}


def _media(d: dict[str, Any]) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"topic": _need(d, "command_topic", "control it")}
    if isinstance(d.get("state_topic"), str):
        mqtt["state_topic"] = d["state_topic"]
    if isinstance(d.get("volume_command_topic"), str):
        mqtt["volume_topic"] = d["volume_command_topic"]
    if isinstance(d.get("volume_state_topic"), str):
        mqtt["volume_state_topic"] = d["volume_state_topic"]
    return {"type": "media_player", "mqtt": mqtt, "features": ("volume",) if "volume_topic" in mqtt else ()}


_BUILD = {"light": _light, "switch": _onoff("switch"), "fan": _onoff("fan"), "cover": _cover, "lock": _lock,
          "climate": _climate, "sensor": _sensor("sensor"), "binary_sensor": _sensor("binary_sensor"),
          "vacuum": _vacuum, "scene": _scene, "media_player": _media}
