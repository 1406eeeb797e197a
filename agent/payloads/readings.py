"""Sensor readings: which key of a state message holds a sensor's value, per payload style.

Bridges do not put a reading under ``value``: zigbee2mqtt publishes ``{"humidity": 71.5}``,
``{"temperature": 19.3}``, ``{"contact": false}``; Tasmota publishes
``tele/<topic>/SENSOR`` ``{"AM2301": {"Temperature": 21.3, "Humidity": 45}, "TempUnit": "C"}``;
Home Assistant MQTT devices say where the value is with a ``value_template``.

A device's ``mqtt.value_key`` (a key, or a dotted path ``ENERGY.Power``) always wins;
without it the key comes from the device's class (:data:`JSON_KEYS`, :data:`TASMOTA_KEYS`),
then ``value``. Binary sensors map the raw value to ``on``/``off`` with ``payload_on`` /
``payload_off`` (zigbee2mqtt's ``value_on``/``value_off``); without them ``true``/``ON``
is ``on``, except zigbee2mqtt's ``contact`` (``true`` means closed, so it is ``off``).
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from .common import number, tidy, word_state

JSON_KEYS: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature", "local_temperature"),
    "humidity": ("humidity",),
    "pressure": ("pressure",),
    "atmospheric_pressure": ("pressure",),
    "illuminance": ("illuminance_lux", "illuminance"),
    "carbon_dioxide": ("co2",),
    "volatile_organic_compounds": ("voc",),
    "volatile_organic_compounds_parts": ("voc",),
    "pm25": ("pm25",),
    "pm10": ("pm10",),
    "power": ("power",),
    "energy": ("energy",),
    "voltage": ("voltage",),
    "current": ("current",),
    "battery": ("battery",),
    "moisture": ("soil_moisture", "moisture"),
    "sound_pressure": ("noise",),
}
"""Sensor class -> the keys zigbee2mqtt (and JSON state messages) use for it, first found wins."""

BINARY_KEYS: dict[str, tuple[str, ...]] = {
    "door": ("contact",), "window": ("contact",), "opening": ("contact",), "garage_door": ("contact",),
    "motion": ("occupancy", "motion"), "occupancy": ("occupancy", "presence"),
    "presence": ("presence", "occupancy"), "moisture": ("water_leak", "moisture"),
    "smoke": ("smoke",), "gas": ("gas",), "carbon_monoxide": ("carbon_monoxide",),
    "vibration": ("vibration",), "tamper": ("tamper",), "battery": ("battery_low",),
    "sound": ("sound",), "heat": ("heat",), "light": ("light",), "power": ("power",),
}
"""Binary sensor class -> the zigbee2mqtt keys that hold it."""

INVERTED = frozenset({"contact"})
"""Keys whose ``true`` means the sensor is off (zigbee2mqtt: contact true = closed)."""

TASMOTA_KEYS: dict[str, tuple[str, ...]] = {
    "temperature": ("Temperature",), "humidity": ("Humidity",), "pressure": ("Pressure",),
    "atmospheric_pressure": ("Pressure",), "illuminance": ("Illuminance",),
    "carbon_dioxide": ("CarbonDioxide", "eCO2"), "volatile_organic_compounds": ("TVOC",),
    "pm25": ("PM2.5",), "pm10": ("PM10",), "power": ("Power",), "energy": ("Total",),
    "voltage": ("Voltage",), "current": ("Current",), "moisture": ("Moisture",),
}
"""Sensor class -> the key Tasmota uses inside each sensor's object in ``SENSOR`` messages."""


def path_get(obj: Any, path: str | tuple[str, ...]) -> Any:
    """``obj["a"]["b"]`` for ``a.b`` (or a tuple of keys); KeyError when a step is missing."""
    parts = path.split(".") if isinstance(path, str) else path
    for part in parts:
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            raise KeyError(part)
    return obj


def _keys(device: Device, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    own = device.mqtt.options.get("value_key") if device.mqtt else None
    if own:
        return (str(own),)
    last = ("value", "state") if table is BINARY_KEYS else ("value",)
    return table.get(device.device_class or "", ()) + last


def _unit(device: Device, out: dict[str, Any]) -> dict[str, Any]:
    unit = device.mqtt.options.get("measure_unit") if device.mqtt else None
    if unit and "value" in out:
        out["unit"] = str(unit)
    return out


def reading(device: Device, raw: Any) -> dict[str, Any]:
    """A raw value (number, string, bool) as canonical state for a sensor or binary sensor."""
    if device.type == "binary_sensor":
        return {"state": binary_state(device, raw, key="")}
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"a {device.device_class or 'sensor'} reading is not a number or text: {str(raw)[:40]!r}")
    if isinstance(raw, str):
        try:
            raw = number(raw, "reading")
        except ValueError:
            return _unit(device, {"value": raw[:200]})
    return _unit(device, {"value": tidy(number(raw, "reading"))})


def binary_state(device: Device, raw: Any, *, key: str) -> str:
    opts = device.mqtt.options if device.mqtt else {}
    for canon in ("on", "off"):
        want = opts.get(f"payload_{canon}")
        if want is not None and (raw == want or str(raw).lower() == str(want).lower()):
            return canon
    if isinstance(raw, bool):
        on = raw if key not in INVERTED else not raw
        return "on" if on else "off"
    if isinstance(raw, (int, float)):
        return "on" if raw else "off"
    if isinstance(raw, str):
        word = word_state(device, raw).get("state", "")
        return _BINARY_WORDS.get(word) or _fail(raw)
    return _fail(raw)


_BINARY_WORDS = {"on": "on", "off": "off", "open": "on", "closed": "off", "unlocked": "on",
                 "locked": "off", "home": "on", "away": "off"}


def _fail(raw: Any) -> str:
    raise ValueError(f"{str(raw)[:40]!r} is neither on nor off; set payload_on/payload_off")


def json_reading(device: Device, obj: dict[str, Any]) -> dict[str, Any]:
    """The reading of a sensor / binary sensor in a JSON state object ({} when absent)."""
    table = BINARY_KEYS if device.type == "binary_sensor" else JSON_KEYS
    for key in _keys(device, table):
        try:
            raw = path_get(obj, key)
        except KeyError:
            continue
        if raw is None:
            return {}
        if device.type == "binary_sensor":
            return {"state": binary_state(device, raw, key=key.rsplit(".", 1)[-1])}
        return reading(device, raw)
    return {}


def tasmota_reading(device: Device, obj: dict[str, Any]) -> dict[str, Any]:
    """A Tasmota ``SENSOR`` message: ``value_key`` (``AM2301.Temperature``) or the class's key in
    the first sensor object that has it."""
    own = device.mqtt.options.get("value_key")
    if own:
        try:
            return reading(device, path_get(obj, str(own)))
        except KeyError:
            return {}
    for key in TASMOTA_KEYS.get(device.device_class or "", ()):
        for part in obj.values():
            if isinstance(part, dict) and key in part:
                out = reading(device, part[key])
                if device.device_class == "temperature" and isinstance(obj.get("TempUnit"), str) \
                        and "unit" not in out and "value" in out:
                    out["unit"] = "°" + obj["TempUnit"]
                return out
    return {}
