"""From an intent's slots (and the device's last known state) to absolute, converted values.

Relative intents ("brighter", "warmer", "louder") step from the current value when it is
known; otherwise the step itself is passed on (``brightness_step`` ...) for styles that can
step on the device. Also returns the state the command should leave behind, so a second
"brighter" steps from the first one's result before the device has reported back.
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from ..devices import NEEDS
from . import convert
from .wire import Unsupported

STEPS = {"brightness": 20.0, "volume": 10.0, "temperature": 1.0}
"""Default steps of the relative intents (percent, percent, degrees in the device's unit)."""
_ON = {"turn_on": "on", "turn_off": "off", "open": "open", "close": "closed", "lock": "locked",
       "unlock": "unlocked", "start": "cleaning", "pause": "paused", "return_home": "returning",
       "mute": None, "unmute": None}


def _step(device: Device, key: str) -> float:
    return float(device.mqtt.options.get(f"{key}_step", STEPS[key])) if device.mqtt else STEPS[key]


def _tidy(value: float) -> int | float:
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def prepare(device: Device, intent: str, slots: dict[str, Any],
            current: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(values, effects)`` for one device; :class:`Unsupported` when it cannot be done."""
    can = device.features
    if can is not None and NEEDS.get(intent) and NEEDS[intent] not in can:
        raise Unsupported(_cannot(device, NEEDS[intent]))
    cur = current or {}
    v: dict[str, Any] = {}
    fx: dict[str, Any] = {}
    if intent in _ON:
        if _ON[intent] is not None:
            fx["state"] = _ON[intent]
        if intent in ("mute", "unmute"):
            fx["muted"] = intent == "mute"
        if intent in ("open", "close") and device.type in ("cover", "valve", "window", "sunroof"):
            fx["position"] = 100 if intent == "open" else 0
    elif intent == "toggle":
        if cur.get("state") in ("on", "off"):
            v["power"] = "OFF" if cur["state"] == "on" else "ON"
            fx["state"] = v["power"].lower()
    elif intent in ("set_brightness", "brightness_up", "brightness_down"):
        if intent == "set_brightness":
            v["brightness"] = _tidy(convert.clamp(float(slots["brightness"]), 0, 100))
        else:
            step = _step(device, "brightness") * (1 if intent == "brightness_up" else -1)
            v["step"] = step
            if cur.get("state") == "off":
                if step < 0:
                    raise Unsupported(f"{device.name} is off; nothing to dim")
                v["brightness"] = _tidy(step)
            elif isinstance(cur.get("brightness"), (int, float)):
                v["brightness"] = _tidy(convert.clamp(cur["brightness"] + step, 1, 100))
            else:
                v["brightness_step"] = step
        if "brightness" in v:
            v["brightness_255"] = convert.pct_to_scale(v["brightness"], 255)
            fx.update(brightness=v["brightness"], state="on" if v["brightness"] > 0 else "off")
    elif intent == "set_color":
        try:
            name = convert.color_name(str(slots["color"]))
        except KeyError:
            raise Unsupported(f"unknown colour {slots['color']!r}") from None
        rgb = convert.color_rgb(name)
        h, s = convert.rgb_to_hs(rgb)
        x, y = convert.rgb_to_xy(rgb)
        kelvin = convert.kelvin_of(name)
        if can is not None:
            if kelvin and "color_temp" not in can and "color" not in can or not kelvin and "color" not in can:
                raise Unsupported(_cannot(device, "color" if not kelvin else "color_temp"))
            if kelvin and "color_temp" not in can:
                kelvin = None  # a white on a colour-only light is sent as a colour
        v.update(color=name, rgb=rgb, r=rgb[0], g=rgb[1], b=rgb[2], hue=h, saturation=s, x=x, y=y,
                 kelvin=kelvin, mired=convert.kelvin_to_mired(kelvin) if kelvin else None)
        fx.update(color=name, rgb=rgb, state="on")
    elif intent in ("set_temperature", "temperature_up", "temperature_down"):
        unit = device.unit
        precision = float(device.mqtt.options.get("temperature_precision", 0.5 if unit == "C" else 1.0)) \
            if device.mqtt else 0.5
        if intent == "set_temperature":
            said = str(slots.get("temperature_unit") or unit)
            target = convert.convert_temperature(float(slots["temperature"]), said, unit)
        else:
            step = float(slots["number"]) if isinstance(slots.get("number"), (int, float)) \
                else _step(device, "temperature")
            step *= 1 if intent == "temperature_up" else -1
            v["step"] = step
            if not isinstance(cur.get("temperature"), (int, float)):
                v["temperature_step"] = step
                return v, fx
            target = cur["temperature"] + step
        lo = device.min if device.min is not None else float("-inf")
        hi = device.max if device.max is not None else float("inf")
        v["temperature"] = convert.round_step(convert.clamp(target, lo, hi), precision)
        fx["temperature"] = v["temperature"]
    elif intent in ("set_mode", "set_source", "set_channel", "clean_room"):
        key = {"set_mode": "mode", "set_source": "source", "set_channel": "channel", "clean_room": "room"}[intent]
        v[key] = slots[key]
        if intent == "set_mode":
            fx["state"] = "off" if slots[key] == "off" else "on"
    elif intent == "set_position":
        v["position"] = _tidy(convert.clamp(float(slots["position"]), 0, 100))
        fx.update(position=v["position"], state="open" if v["position"] > 0 else "closed")
    elif intent in ("set_volume", "volume_up", "volume_down"):
        if intent == "set_volume":
            v["volume"] = _tidy(convert.clamp(float(slots["volume"]), 0, 100))
        else:
            step = _step(device, "volume") * (1 if intent == "volume_up" else -1)
            v["step"] = step
            if isinstance(cur.get("volume"), (int, float)):
                v["volume"] = _tidy(convert.clamp(cur["volume"] + step, 0, 100))
            else:
                v["volume_step"] = step
        if "volume" in v:
            fx["volume"] = v["volume"]
    return v, fx


_WHAT = {"brightness": "be dimmed", "color": "show colours", "color_temp": "change its white",
         "position": "stop part way (only open and close)", "volume": "change its volume"}


def _cannot(device: Device, feature: str) -> str:
    """Why ``device`` cannot do what needs ``feature`` ("cannot show colours; it does: brightness")."""
    has = ", ".join(device.features or ()) or "on/off only"
    return f"cannot {_WHAT.get(feature, feature)}; it does: {has}"
