"""Tasmota discovery: retained ``tasmota/discovery/<mac>/config`` and ``.../sensors``.

``config`` holds the device name ``dn``, the friendly name of each relay ``fn``, the MQTT
topic ``t``, the full-topic pattern ``ft`` and prefixes ``tp`` (cmnd, stat, tele), and per
relay its kind ``rl`` (0 none, 1 relay, 2 light, 3 shutter); ``lt_st`` is the light's
channels (1 dimmer, 2 white CT, 3 RGB, 4 RGBW, 5 RGBCW) and ``so["30"]`` = 1 announces relays
as lights. ``sensors`` holds ``sn``, the last ``SENSOR`` message (``{"AM2301":
{"Temperature": 21.3, "Humidity": 45}, "TempUnit": "C"}``).
"""

from __future__ import annotations

from typing import Any

from .areas import guess_area
from .model import Found, Skipped, clean_name, plain_topic

READINGS: dict[str, tuple[str, str]] = {
    "Temperature": ("temperature", "Temperature"), "Humidity": ("humidity", "Humidity"),
    "Pressure": ("pressure", "Pressure"), "Illuminance": ("illuminance", "Illuminance"),
    "CarbonDioxide": ("carbon_dioxide", "CO2"), "eCO2": ("carbon_dioxide", "CO2"),
    "Power": ("power", "Power"), "Total": ("energy", "Energy"),
}
"""Keys inside a sensor's object read as sensors: key -> (sensor class, word added to the name)."""
_UNITS = {"Humidity": "%", "Pressure": "hPa", "Illuminance": "lx", "CarbonDioxide": "ppm", "eCO2": "ppm",
          "Power": "W", "Total": "kWh"}
_LIGHT = {0: (), 1: ("brightness",), 2: ("brightness", "color_temp"), 3: ("brightness", "color"),
          4: ("brightness", "color"), 5: ("brightness", "color", "color_temp")}


def parse_config(mac: str, doc: Any, sensors: Any = None) -> tuple[list[Found], list[Skipped]]:
    """One Tasmota device's discovery config (and its ``sensors`` message, when known)."""
    key = f"tasmota:{str(mac)[:20]}"
    if not isinstance(doc, dict):
        return [], [Skipped(key, mac, "discovery config is not a JSON object")]
    topic = doc.get("t")
    dn = clean_name(doc.get("dn") or doc.get("hn"), f"Tasmota {mac}")
    if not plain_topic(topic) or "/" in topic:
        return [], [Skipped(key, dn, f"topic {str(topic)[:40]!r} is empty or holds '/', '#' or '+'")]
    if doc.get("ft", "%prefix%/%topic%/") != "%prefix%/%topic%/":
        return [], [Skipped(key, dn, f"full topic {str(doc.get('ft'))[:40]!r}: only %prefix%/%topic%/ is "
                                     "supported; set it with FullTopic %prefix%/%topic%/")]
    prefixes = doc.get("tp") if isinstance(doc.get("tp"), list) and len(doc["tp"]) == 3 else ["cmnd", "stat", "tele"]
    base: dict[str, Any] = {"style": "tasmota", "topic": topic}
    for name, value, default in zip(("cmnd_prefix", "stat_prefix", "tele_prefix"), prefixes,
                                    ("cmnd", "stat", "tele")):
        if isinstance(value, str) and value != default and plain_topic(value):
            base[name] = value
    claims = tuple(f"{p}/{topic}/" for p in prefixes if isinstance(p, str))
    names = doc.get("fn") if isinstance(doc.get("fn"), list) else []
    relays = [r if isinstance(r, int) else 0 for r in (doc.get("rl") or [])] if isinstance(doc.get("rl"), list) else []
    as_light = isinstance(doc.get("so"), dict) and doc["so"].get("30") == 1
    used = [i for i, r in enumerate(relays) if r]
    found: list[Found] = []
    shutter = 0
    skip_next = False
    for i in used:
        kind = relays[i]
        label = clean_name(names[i] if i < len(names) else None, dn if len(used) == 1 else f"{dn} {i + 1}")
        area = guess_area(label) or guess_area(dn)
        common = dict(area=area, area_guessed=area is not None, claims=claims)
        mqtt = dict(base)
        if kind == 3:
            if skip_next:  # a shutter drives two relays (up, down); both say 3
                skip_next = False
                continue
            shutter += 1
            skip_next = True
            mqtt["shutter"] = shutter
            found.append(Found(source=f"{key}/shutter{shutter}", name=label, type="cover", device_class=
                               "shutter", mqtt=mqtt, features=("position",), **common))
            continue
        if len([r for r in relays if r in (1, 2)]) > 1:
            mqtt["relay"] = i + 1
        if kind == 2:
            features = _LIGHT.get(doc.get("lt_st") if isinstance(doc.get("lt_st"), int) else 0, ())
            found.append(Found(source=f"{key}/relay{i + 1}", name=label, type="light", mqtt=mqtt,
                               features=tuple(features), **common))
        elif kind == 1:
            if as_light:
                found.append(Found(source=f"{key}/relay{i + 1}", name=label, type="light", mqtt=mqtt,
                                   features=(), **common))
            else:
                text = f"{label} {doc.get('md', '')}".lower()
                cls = "outlet" if any(w in text for w in ("plug", "socket", "outlet")) else None
                found.append(Found(source=f"{key}/relay{i + 1}", name=label, type="switch", mqtt=mqtt,
                                   device_class=cls, **common))
    skipped: list[Skipped] = []
    if isinstance(sensors, dict):
        found += _sensors(key, dn, base, sensors.get("sn"), claims)
    if not found:
        skipped.append(Skipped(key, dn, "no relay, light, shutter or sensor reading in its discovery"))
    return found, skipped


def _sensors(key: str, dn: str, base: dict[str, Any], sn: Any, claims: tuple[str, ...]) -> list[Found]:
    if not isinstance(sn, dict):
        return []
    out = []
    several = sum(1 for part in sn.values() if isinstance(part, dict)) > 1
    area = guess_area(dn)
    for sensor, part in sn.items():
        if not isinstance(part, dict):
            continue
        for reading, value in part.items():
            if reading not in READINGS or isinstance(value, (dict, list, bool)):
                continue
            cls, word = READINGS[reading]
            mqtt = {**base, "value_key": f"{sensor}.{reading}"}
            unit = ("°" + sn["TempUnit"]) if reading == "Temperature" and isinstance(sn.get("TempUnit"), str) \
                else _UNITS.get(reading)
            if unit:
                mqtt["measure_unit"] = unit
            label = f"{dn} {sensor.title() + ' ' if several else ''}{word}"
            out.append(Found(source=f"{key}/{sensor}/{reading}"[:120], name=clean_name(label, dn),
                             type="sensor", device_class=cls, mqtt=mqtt, area=area,
                             area_guessed=area is not None, claims=claims))
    return out
