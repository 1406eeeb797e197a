"""Payload styles: how an intent on a device becomes MQTT publishes, and how a device's
state messages become canonical state.

Each style module provides::

    command(device, intent, values) -> list[Out]     # raise Unsupported when it cannot
    command_topics(device, intents) -> set[str]       # every topic command() may use
    state_topics(device) -> tuple[str, ...]           # topics the device reports on
    parse_state(device, topic, text) -> dict          # raise ValueError on a bad payload

``values`` are absolute, already converted numbers prepared by
:class:`agent.acting.planner.ActionPlanner` (see :mod:`agent.payloads.values`). Canonical state
keys: ``state`` (on/off/open/closed/locked/...), ``brightness``/``position``/``volume``
(percent), ``color`` (name), ``rgb``, ``kelvin``, ``temperature`` (set point, device
unit), ``current_temperature``, ``muted``, ``value`` (a sensor reading).
"""

from __future__ import annotations

from types import ModuleType

from ..config import Device
from . import homeassistant, tasmota, template, zigbee2mqtt
from .wire import Out, Unsupported, dumps, loads_object

__all__ = ["Out", "Unsupported", "dumps", "loads_object", "style_of"]

_STYLES = {"zigbee2mqtt": zigbee2mqtt, "tasmota": tasmota, "homeassistant": homeassistant, "template": template}


def style_of(device: Device) -> ModuleType:
    """The payload style module of ``device`` (``mqtt.style`` in the config)."""
    assert device.mqtt is not None
    return _STYLES[device.mqtt.style]
