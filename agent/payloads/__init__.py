"""Payload styles: how an intent on a device becomes MQTT publishes, and how a device's
state messages become canonical state.

Each style module provides::

    command(device, intent, values) -> list[Out]     # raise Unsupported when it cannot
    command_topics(device, intents) -> set[str]       # every topic command() may use
    state_topics(device) -> tuple[str, ...]           # topics the device reports on
    parse_state(device, topic, text) -> dict          # raise ValueError on a bad payload

``values`` are absolute, already converted numbers prepared by
:class:`agent.actions.ActionPlanner` (see :mod:`agent.payloads.values`). Canonical state
keys: ``state`` (on/off/open/closed/locked/...), ``brightness``/``position``/``volume``
(percent), ``color`` (name), ``rgb``, ``kelvin``, ``temperature`` (set point, device
unit), ``current_temperature``, ``muted``, ``value`` (a sensor reading).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any, NamedTuple

from ..config import Device


class Unsupported(Exception):
    """This style cannot carry this intent for this device (the message says what to add)."""


class Out(NamedTuple):
    topic: str
    payload: str
    retain: bool = False


def dumps(obj: Any) -> str:
    """Compact JSON, as devices and bridges expect it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def loads_object(text: str) -> dict[str, Any] | None:
    """A JSON object, or None when ``text`` is not JSON; ValueError for JSON that is not an object."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    value = json.loads(text)  # ValueError (JSONDecodeError) when broken
    if not isinstance(value, dict):
        raise ValueError("JSON payload is not an object")
    return value


def style_of(device: Device) -> ModuleType:
    from . import homeassistant, tasmota, template, zigbee2mqtt
    styles = {"zigbee2mqtt": zigbee2mqtt, "tasmota": tasmota, "homeassistant": homeassistant,
              "template": template}
    assert device.mqtt is not None
    return styles[device.mqtt.style]
