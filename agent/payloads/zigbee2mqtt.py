"""zigbee2mqtt: ``<base>/<friendly name>/set`` with a JSON object; state on ``<base>/<friendly name>``.

Options: ``brightness_scale`` (255), ``color_mode`` (``xy``, ``hs``, ``rgb``, ``hex``),
``white_as`` (``color_temp`` or ``rgb``), ``temperature_key`` (``current_heating_setpoint``),
``on_mode`` (``heat``; climate ``system_mode`` for turn on), ``scene_id`` (scene_recall),
``mode_key`` (``system_mode``: where "set the heating to auto" goes).
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from . import convert
from .wire import Out, Unsupported, dumps, loads_object
from .json_state import json_state

_SIMPLE = {"turn_on": "ON", "turn_off": "OFF", "toggle": "TOGGLE", "open": "OPEN",
           "close": "CLOSE", "stop": "STOP", "lock": "LOCK", "unlock": "UNLOCK"}
_OPTIONS = ("brightness_scale", "color_mode", "white_as", "temperature_key", "on_mode", "scene_id", "mode_key")


def _set_topic(device: Device) -> str:
    return device.mqtt.topic.rstrip("/") + "/set"


def color_body(values: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """The colour part of a JSON light command (shared with Home Assistant's JSON schema)."""
    if values.get("kelvin") and opts.get("white_as", "color_temp") == "color_temp":
        return {"color_temp": convert.kelvin_to_mired(values["kelvin"])}
    rgb = values["rgb"]
    mode = opts.get("color_mode", "xy")
    if mode == "hs":
        h, s = convert.rgb_to_hs(rgb)
        return {"color": {"hue": h, "saturation": s}}
    if mode == "rgb":
        return {"color": {"r": rgb[0], "g": rgb[1], "b": rgb[2]}}
    if mode == "hex":
        return {"color": {"hex": "#%02x%02x%02x" % rgb}}
    x, y = convert.rgb_to_xy(rgb)
    return {"color": {"x": x, "y": y}}


def command(device: Device, intent: str, values: dict[str, Any]) -> list[Out]:
    opts = device.mqtt.options
    scale = int(opts.get("brightness_scale", 255))
    body: dict[str, Any]
    if device.type == "climate" and intent in ("turn_on", "turn_off"):
        body = {"system_mode": opts.get("on_mode", "heat") if intent == "turn_on" else "off"}
    elif device.type == "scene" and intent in ("activate_scene", "turn_on"):
        if "scene_id" not in opts:
            raise Unsupported("a zigbee2mqtt scene needs 'scene_id' (the scene number to recall)")
        body = {"scene_recall": opts["scene_id"]}
    elif intent == "toggle" and values.get("power"):
        body = {"state": values["power"]}
    elif intent in _SIMPLE:
        body = {"state": _SIMPLE[intent]}
    elif intent in ("set_brightness", "brightness_up", "brightness_down"):
        if "brightness" in values:
            pct = values["brightness"]
            body = {"state": "OFF"} if pct <= 0 else {"state": "ON", "brightness": convert.pct_to_scale(pct, scale)}
        else:  # current brightness unknown: let the device step from where it is
            step = values["brightness_step"]
            body = {"brightness_step": (1 if step > 0 else -1) * convert.pct_to_scale(abs(step), scale)}
    elif intent == "set_color":
        body = {"state": "ON", **color_body(values, opts)}
    elif intent in ("set_temperature", "temperature_up", "temperature_down") and "temperature" in values:
        body = {opts.get("temperature_key", "current_heating_setpoint"): values["temperature"]}
    elif intent == "set_position":
        body = {"position": values["position"]}
    elif intent == "set_mode" and device.type == "climate":
        body = {opts.get("mode_key", "system_mode"): values["mode"]}
    elif intent in ("temperature_up", "temperature_down"):
        raise Unsupported("the current set point is not known yet (no state received); say a temperature")
    else:
        raise Unsupported(f"zigbee2mqtt has no command for {intent}; use the template style")
    return [Out(_set_topic(device), dumps(body))]


def command_topics(device: Device, intents: tuple[str, ...]) -> set[str]:
    return {_set_topic(device)}


def state_topics(device: Device) -> tuple[str, ...]:
    return (device.mqtt.state_topic or device.mqtt.topic.rstrip("/"),)


def parse_state(device: Device, topic: str, text: str) -> dict[str, Any]:
    obj = loads_object(text)
    if obj is None:
        raise ValueError("zigbee2mqtt state is not a JSON object")
    keys = {"temperature": device.mqtt.options.get("temperature_key", "current_heating_setpoint")}
    out = json_state(device, obj, brightness_scale=int(device.mqtt.options.get("brightness_scale", 255)),
                     keys=keys)
    if device.type == "climate" and isinstance(obj.get("system_mode"), str):
        out["state"] = "off" if obj["system_mode"] == "off" else "on"
    return out
