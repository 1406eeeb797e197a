"""State parsing shared by the styles: plain state words and numbers -> canonical state."""

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
