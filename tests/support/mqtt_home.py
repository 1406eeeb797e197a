"""A small home whose devices use every payload style, written into a temp dir per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

USER_INTENTS = """
language: en
lists:
  drink:
    values: [espresso, latte, {in: "(flat white|flatwhite)", out: flat_white}]
intents:
  order_drink:
    targets: none
    data:
      - sentences: ["(make|brew) [me] [a] {drink}", "i (want|would like) [a] {drink}"]
    action: {topic: "cafe/order", payload: '{{"drink": {drink!j}, "site": "{site}"}}'}
"""

DEVICES: list[dict[str, Any]] = [
    {"id": "light.desk", "name": "Desk Lamp", "type": "light", "area": "office",
     "mqtt": {"style": "zigbee2mqtt", "topic": "z2m/Desk Lamp"}},
    {"id": "light.shelf", "name": "Shelf Light", "type": "light", "area": "office",
     "mqtt": {"style": "tasmota", "topic": "shelf"}},
    {"id": "light.ceiling", "name": "Ceiling Light", "type": "light", "area": "living",
     "mqtt": {"style": "homeassistant", "schema": "json", "topic": "ha/ceiling/set",
              "state_topic": "ha/ceiling/state", "color_mode": "hs"}},
    {"id": "light.floor", "name": "Floor Lamp", "type": "light", "area": "living",
     "mqtt": {"style": "homeassistant", "topic": "ha/floor/set", "state_topic": "ha/floor/state",
              "brightness_topic": "ha/floor/brightness/set", "rgb_topic": "ha/floor/rgb/set",
              "brightness_state_topic": "ha/floor/brightness"}},
    {"id": "cover.blind", "name": "Blind", "type": "cover", "class": "blind", "area": "living",
     "mqtt": {"style": "homeassistant", "topic": "ha/blind/set", "state_topic": "ha/blind/state",
              "position_topic": "ha/blind/position/set"}},
    {"id": "climate.heater", "name": "Heater", "type": "climate", "area": "living", "unit": "F",
     "mqtt": {"style": "homeassistant", "topic": "ha/heater/power", "state_topic": "ha/heater/state",
              "temperature_topic": "ha/heater/temperature/set"}},
    {"id": "lock.front", "name": "Front Door", "type": "lock", "area": "hall", "confirm": True,
     "mqtt": {"style": "homeassistant", "topic": "ha/front/set", "state_topic": "ha/front/state"}},
    {"id": "switch.kettle", "name": "Kettle", "type": "switch", "area": "kitchen", "rate_limit": 30,
     "mqtt": {"style": "tasmota", "topic": "kettle", "relay": 2}},
    {"id": "light.porch", "name": "Porch Light", "type": "light", "area": "hall", "ttl": 2,
     "mqtt": {"style": "zigbee2mqtt", "topic": "z2m/Porch Light"}},
    {"id": "window.driver", "name": "Driver Window", "type": "window", "area": "car",
     "mqtt": {"style": "template", "state_topic": "car/state/window_driver", "actions": {
         "set_position": {"topic": "car/{device}/cmd", "payload": '{{"position": {position}}}'},
         "*": {"topic": "car/{device}/cmd", "payload": '{{"command": "{intent}"}}'}}}},
    {"id": "media_player.radio", "name": "Radio", "type": "media_player", "area": "kitchen",
     "mqtt": {"style": "template", "actions": {
         "set_volume": {"topic": "radio/volume", "payload": "{volume}"},
         "*": [{"topic": "radio/cmd", "payload": "{intent}"}]}}},
]

AREAS = [{"id": a, "name": a.title()} for a in ("office", "living", "hall", "kitchen", "car")]


def write_home(directory: Path, port: int, *, mqtt: dict[str, Any] | None = None,
               devices: list[dict[str, Any]] | None = None, area: str | None = None) -> Path:
    """Write config + user intents; returns the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "drinks.yaml").write_text(USER_INTENTS)
    doc = {
        "site": "test",
        "mqtt": {"host": "127.0.0.1", "port": port, "reconnect_min": 0.1, "reconnect_max": 0.5,
                 "confirm_window": 3, **(mqtt or {})},
        "intents": [str(ROOT / "intents" / "home.yaml"), "drinks.yaml"],
        "areas": AREAS,
        "devices": devices if devices is not None else DEVICES,
    }
    if area:
        doc["area"] = area
    path = directory / "home.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
