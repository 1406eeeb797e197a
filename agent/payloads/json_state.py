"""The JSON state shape most styles share (zigbee2mqtt, Home Assistant's JSON schema,
templates) -> canonical state; sensors' readings are read by :mod:`.readings`."""

from __future__ import annotations

from typing import Any

from ..config import Device
from . import convert
from .common import number, tidy, word_state
from .readings import json_reading


def json_state(device: Device, obj: dict[str, Any], *, brightness_scale: int,
               keys: dict[str, str] | None = None) -> dict[str, Any]:
    """The common JSON state shape (zigbee2mqtt, Home Assistant's JSON schema, templates)."""
    keys = keys or {}
    if device.type in ("sensor", "binary_sensor"):  # a reading, under its own key (see readings)
        return json_reading(device, obj)
    out: dict[str, Any] = {}
    state_key = keys.get("state", "state")
    if state_key in obj and isinstance(obj[state_key], (str, bool, int)):
        raw = obj[state_key]
        raw = ("on" if raw else "off") if isinstance(raw, bool) else str(raw)
        out.update(word_state(device, raw))
    if "brightness" in obj and obj["brightness"] is not None:
        out["brightness"] = convert.scale_to_pct(number(obj["brightness"], "brightness"), brightness_scale)
    for key in ("position", "volume"):
        if key in obj and obj[key] is not None:
            out[key] = tidy(convert.clamp(number(obj[key], key), 0, 100))
    temp_key = keys.get("temperature", "temperature")
    if temp_key in obj and obj[temp_key] is not None:
        out["temperature"] = tidy(number(obj[temp_key], temp_key))
    for key in ("current_temperature", "local_temperature"):
        if key in obj and obj[key] is not None:
            out["current_temperature"] = tidy(number(obj[key], key))
    if "color_temp" in obj and obj["color_temp"]:
        out["kelvin"] = convert.mired_to_kelvin(number(obj["color_temp"], "color_temp"))
    color = obj.get("color")
    if isinstance(color, dict):
        rgb = None
        if {"r", "g", "b"} <= color.keys():
            rgb = tuple(int(convert.clamp(number(color[k], k), 0, 255)) for k in "rgb")
        elif {"x", "y"} <= color.keys():
            rgb = convert.xy_to_rgb(number(color["x"], "x"), number(color["y"], "y"))
        elif {"hue", "saturation"} <= color.keys() or {"h", "s"} <= color.keys():
            h = color.get("hue", color.get("h"))
            s = color.get("saturation", color.get("s"))
            rgb = convert.hs_to_rgb(number(h, "hue"), number(s, "saturation"))
        if rgb is not None:
            out["rgb"] = rgb
            out["color"] = convert.nearest_color(rgb)  # type: ignore[arg-type]
    if "muted" in obj and isinstance(obj["muted"], bool):
        out["muted"] = obj["muted"]
    return out
