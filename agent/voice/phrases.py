"""How things are said: device names, lists, numbers and known state as English words.

Pure helpers for :mod:`agent.voice.replies`; nothing here knows about templates.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..config import Device

_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve")

UNITS = {"temperature": "degrees", "humidity": "percent", "battery": "percent", "moisture": "percent",
         "illuminance": "lux", "power": "watts", "energy": "kilowatt hours", "carbon_dioxide": "p p m",
         "pm25": "micrograms per cubic metre", "pressure": "hectopascals", "atmospheric_pressure": "hectopascals",
         "sound_pressure": "decibels", "voltage": "volts", "current": "amps", "speed": "kilometres per hour"}
"""Spoken unit of a reading, by sensor class or measure."""

STATE_WORDS = {"detected": "detected", "clear": "clear", "home": "at home", "not_home": "away", "away": "away"}


def spoken_name(device: Device | None, fallback: str = "") -> str:
    """``Kitchen Light`` -> ``the kitchen light``; a person's name stays as it is."""
    if device is None:
        return fallback
    if device.type == "person":
        return device.name
    name = device.name.lower()
    return name if name.startswith(("the ", "my ", "our ")) else f"the {name}"


def plural(name: str) -> bool:
    """``the living room lights`` / ``the blinds`` take "are" (a name ending in a plural noun)."""
    last = name.lower().split()[-1] if name.strip() else ""
    return len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def join(items: Iterable[str], conjunction: str = "and") -> str:
    words = [i for i in items if i]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def count_word(n: int) -> str:
    return _SMALL[n] if 0 <= n < len(_SMALL) else str(n)


def number(value: Any) -> str:
    """21.0 -> ``21``, 21.46 -> ``21.5`` (one decimal is what a listener can take in)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        v = round(float(value), 1)
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return str(value)


def reading(device: Device | None, state: dict[str, Any], measure: str | None) -> str | None:
    """A value with its unit (``21.5 degrees``) for a question about a measure or a sensor."""
    if not state:
        return None
    dclass = device.device_class if device is not None else None
    if measure in ("temperature", None) and device is not None and device.type == "climate":
        if "current_temperature" in state:
            return f"{number(state['current_temperature'])} degrees"
        if measure == "temperature" and "temperature" in state:
            return f"set to {number(state['temperature'])} degrees"
    key = measure if measure in state else "value" if "value" in state else None
    if key is None:
        return None
    unit = UNITS.get(measure or "") or UNITS.get(dclass or "") or ""
    return f"{number(state[key])} {unit}".strip()


def describe(device: Device | None, state: dict[str, Any]) -> str | None:
    """What a device is doing in words (``on at 40 percent``, ``locked``, ``21 degrees``)."""
    if not state:
        return None
    if device is not None and device.type == "sensor":
        return reading(device, state, None)
    word = state.get("state")
    parts: list[str] = []
    if isinstance(word, str):
        parts.append(STATE_WORDS.get(word, word.replace("_", " ")))
    if device is not None and device.type in ("light", "cabin_light") and word != "off" \
            and isinstance(state.get("brightness"), (int, float)):
        parts.append(f"at {number(state['brightness'])} percent")
    if device is not None and device.type == "climate":
        if isinstance(state.get("temperature"), (int, float)) and word != "off":
            if parts:  # "on, set to 21.5": the pause keeps "and set" from being heard as "insect"
                parts[-1] += ","
            parts.append(f"set to {number(state['temperature'])} degrees")
        if isinstance(state.get("current_temperature"), (int, float)):
            parts.append(f"and it is {number(state['current_temperature'])} degrees")
    if isinstance(state.get("position"), (int, float)) and 0 < state["position"] < 100:
        parts = [f"{number(state['position'])} percent open"]
    if device is not None and device.type == "media_player" and isinstance(state.get("volume"), (int, float)) \
            and word != "off":
        parts.append(f"at volume {number(state['volume'])}")
    return " ".join(parts) or None


def state_word(value: str) -> str:
    return STATE_WORDS.get(value, value.replace("_", " "))
