"""State parsing shared by the styles: plain words and JSON objects -> canonical state."""

from __future__ import annotations

import math
from typing import Any

from ..config import Device
from . import convert

_WORDS = {
    "on": "on", "off": "off", "true": "on", "false": "off", "1": "on", "0": "off",
    "open": "open", "opened": "open", "closed": "closed", "close": "closed",
    "opening": "opening", "closing": "closing", "stopped": "stopped",
    "locked": "locked", "lock": "locked", "unlocked": "unlocked", "unlock": "unlocked",
    "locking": "locking", "unlocking": "unlocking", "jammed": "jammed",
    "home": "home", "not_home": "away", "away": "away",
    "cleaning": "cleaning", "docked": "docked", "paused": "paused", "returning": "returning",
    "idle": "idle", "error": "error", "playing": "playing", "standby": "standby",
    "heat": "on", "cool": "on", "auto": "on", "heat_cool": "on", "dry": "on", "fan_only": "on",
}
MAX_TEXT = 1000
"""Longest plain (non-JSON) state payload taken as a state word or reading."""


def word_state(device: Device, text: str) -> dict[str, Any]:
    """A plain payload: a state word (``ON``, ``closed``) or a number (a reading)."""
    word = text.strip()
    if not word or len(word) > MAX_TEXT:
        raise ValueError(f"plain state payload of {len(word)} characters")
    canon = _WORDS.get(word.lower())
    if canon is not None:
        if device.type in ("cover", "valve", "window", "sunroof", "trunk") and canon in ("on", "off"):
            canon = "open" if canon == "on" else "closed"
        return {"state": canon}
    try:
        number = float(word)
    except ValueError:
        if device.type in ("sensor",):
            return {"value": word}
        raise ValueError(f"unknown state word {word[:40]!r}") from None
    if device.type in ("sensor",):
        return {"value": int(number) if number.is_integer() else number}
    if device.type in ("cover", "valve", "window", "sunroof"):
        return {"position": convert.clamp(number, 0, 100)}
    raise ValueError(f"a number ({word[:20]}) is not a state of a {device.type}")


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if not isinstance(value, str):
            raise ValueError(f"{what} is not a number: {str(value)[:40]!r}")
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{what} is not a number: {value[:40]!r}") from None
    if not math.isfinite(value):  # "nan" or "inf" from a device would poison every later step
        raise ValueError(f"{what} is not a finite number")
    return float(value)


def tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def json_state(device: Device, obj: dict[str, Any], *, brightness_scale: int,
               keys: dict[str, str] | None = None) -> dict[str, Any]:
    """The common JSON state shape (zigbee2mqtt, Home Assistant's JSON schema, templates)."""
    keys = keys or {}
    if device.type in ("sensor", "binary_sensor"):  # a reading, under its own key (see readings)
        from .readings import json_reading  # readings builds on this module's helpers
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
