"""Tasmota: ``cmnd/<topic>/POWER`` ``ON``, ``Dimmer 40``, ``CT 370``, ``Color 255,0,0``,
shutters with ``ShutterOpen``/``ShutterClose``/``ShutterStop``/``ShutterPosition``.

State arrives on ``stat/<topic>/RESULT`` and ``tele/<topic>/STATE`` (JSON) and
``stat/<topic>/POWER`` (plain). Options: ``relay`` (POWER<n>, default the only relay),
``shutter`` (shutter number, default 1), ``cmnd_prefix``/``stat_prefix``/``tele_prefix``,
``white_as`` (``color_temp`` or ``rgb``). Sensors read ``tele/<topic>/SENSOR``: ``value_key``
(``AM2301.Temperature``) or their class's key in the first sensor that has it.
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from . import convert
from .wire import Out, Unsupported, loads_object
from .common import number, word_state
from .readings import tasmota_reading

_COVERS = ("cover", "window", "sunroof", "valve")


def _names(device: Device) -> tuple[str, str, str]:
    opts = device.mqtt.options
    relay = opts.get("relay")
    power = f"POWER{int(relay)}" if relay else "POWER"
    shutter = str(int(opts.get("shutter", 1)))
    return power, shutter, device.mqtt.topic.strip("/")


def _cmnd(device: Device, command: str) -> str:
    prefix = device.mqtt.options.get("cmnd_prefix", "cmnd")
    return f"{prefix}/{device.mqtt.topic.strip('/')}/{command}"


def command(device: Device, intent: str, values: dict[str, Any]) -> list[Out]:
    power, shutter, _ = _names(device)
    if device.type in _COVERS:
        if intent == "open":
            return [Out(_cmnd(device, f"ShutterOpen{shutter}"), "")]
        if intent == "close":
            return [Out(_cmnd(device, f"ShutterClose{shutter}"), "")]
        if intent == "stop":
            return [Out(_cmnd(device, f"ShutterStop{shutter}"), "")]
        if intent == "set_position":
            return [Out(_cmnd(device, f"ShutterPosition{shutter}"), str(convert.half_up(values["position"])))]
    if intent in ("turn_on", "turn_off"):
        return [Out(_cmnd(device, power), "ON" if intent == "turn_on" else "OFF")]
    if intent == "toggle":
        return [Out(_cmnd(device, power), values.get("power") or "TOGGLE")]
    if intent in ("set_brightness", "brightness_up", "brightness_down"):
        if "brightness" in values:
            pct = values["brightness"]
            if pct <= 0:
                return [Out(_cmnd(device, power), "OFF")]
            return [Out(_cmnd(device, "Dimmer"), str(max(1, convert.half_up(pct))))]
        # current brightness unknown: Tasmota steps by its own DimmerStep
        return [Out(_cmnd(device, "Dimmer"), "+" if values["brightness_step"] > 0 else "-")]
    if intent == "set_color":
        if values.get("kelvin") and device.mqtt.options.get("white_as", "color_temp") == "color_temp":
            mired = convert.clamp(convert.kelvin_to_mired(values["kelvin"]), 153, 500)
            return [Out(_cmnd(device, "CT"), str(int(mired)))]
        r, g, b = values["rgb"]
        return [Out(_cmnd(device, "Color"), f"{r},{g},{b}")]
    raise Unsupported(f"Tasmota has no command for {intent} on a {device.type}; use the template style")


def command_topics(device: Device, intents: tuple[str, ...]) -> set[str]:
    power, shutter, _ = _names(device)
    names = {power, "Dimmer", "CT", "Color"}
    if device.type in _COVERS:
        names |= {f"ShutterOpen{shutter}", f"ShutterClose{shutter}", f"ShutterStop{shutter}",
                  f"ShutterPosition{shutter}"}
    return {_cmnd(device, n) for n in names}


def state_topics(device: Device) -> tuple[str, ...]:
    opts = device.mqtt.options
    power, _, topic = _names(device)
    stat, tele = opts.get("stat_prefix", "stat"), opts.get("tele_prefix", "tele")
    if device.type in ("sensor", "binary_sensor"):
        return (f"{tele}/{topic}/SENSOR",)
    return (f"{stat}/{topic}/RESULT", f"{stat}/{topic}/{power}", f"{tele}/{topic}/STATE")


def parse_state(device: Device, topic: str, text: str) -> dict[str, Any]:
    power, shutter, _ = _names(device)
    obj = loads_object(text)
    if device.type in ("sensor", "binary_sensor"):
        if obj is None:
            raise ValueError("Tasmota SENSOR is not a JSON object")
        return tasmota_reading(device, obj)
    if obj is None:
        if topic.endswith("/" + power):
            return word_state(device, text)
        raise ValueError("Tasmota RESULT/STATE is not a JSON object")
    out: dict[str, Any] = {}
    if isinstance(obj.get(power), str):
        out.update(word_state(device, obj[power]))
    if "Dimmer" in obj:
        out["brightness"] = convert.half_up(convert.clamp(number(obj["Dimmer"], "Dimmer"), 0, 100))
    if "CT" in obj and obj["CT"]:
        out["kelvin"] = convert.mired_to_kelvin(number(obj["CT"], "CT"))
    if isinstance(obj.get("Color"), str):
        rgb = convert.parse_rgb(obj["Color"])
        if rgb is None:
            raise ValueError(f"unreadable Tasmota Color {obj['Color'][:20]!r}")
        out["rgb"] = rgb
        out["color"] = convert.nearest_color(rgb)
    sh = obj.get(f"Shutter{shutter}")
    if isinstance(sh, dict) and "Position" in sh:
        pos = convert.clamp(number(sh["Position"], "Position"), 0, 100)
        out["position"] = convert.half_up(pos)
        out["state"] = "closed" if pos <= 0 else "open"
    return out
