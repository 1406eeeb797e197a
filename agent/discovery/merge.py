"""Fold discovered devices into a config's data without losing what the user wrote.

Works on the loaded YAML (plain or ruamel round-trip mappings and lists, which keep the
user's comments). Rules:

* a device whose ``source`` matches keeps everything the user may have edited (id, name,
  aliases, area, class, features, confirm, limits, extra mqtt keys); only what discovery owns
  (type and the mqtt keys discovery sets) is brought up to date, and reported when it changed;
* a hand-written device on the same topic (and ``value_key``) is adopted: it gets a ``source``
  and the discovery-owned mqtt keys it lacks or has wrong (the rest is the user's);
* new devices are appended with a unique id; their area is an existing one when the name
  matches (name, id or alias), else a new area, marked as guessed when it came from words in the
  device's name;
* devices from a source that answered but no longer announces them are reported as vanished
  and kept (marked with a comment): they are never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .model import Found, slug

Comment = Callable[[Any, str, str], None]
"""``(mapping, key, text)``: put an end-of-line comment on a key (a no-op for plain data)."""


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    areas_added: list[str] = field(default_factory=list)


OWNED_MQTT = ("style", "topic", "state_topic", "value_key", "measure_unit", "payload_on", "payload_off",
              "brightness_scale", "color_mode", "white_as", "temperature_key", "on_mode", "scene_id",
              "relay", "shutter", "cmnd_prefix", "stat_prefix", "tele_prefix", "schema", "value_template",
              "brightness_topic", "brightness_state_topic", "rgb_topic", "hs_topic", "xy_topic",
              "color_temp_topic", "position_topic", "position_state_topic", "temperature_topic",
              "temperature_state_topic", "current_temperature_topic", "mode_topic", "volume_topic",
              "volume_state_topic", "payload_turn_on", "payload_turn_off", "payload_open", "payload_close",
              "payload_stop", "payload_lock", "payload_unlock", "payload_start", "payload_pause",
              "payload_return_home", "payload_activate_scene", "state_on", "state_off", "state_open",
              "state_closed", "state_locked", "state_unlocked")
"""mqtt keys discovery writes and keeps up to date (any other key there is the user's)."""


def _no_comment(mapping: Any, key: str, text: str) -> None:
    return None


def _topic_key(mqtt: Any) -> tuple[str, str, str, str] | None:
    if not isinstance(mqtt, dict):
        return None
    return (str(mqtt.get("style", "zigbee2mqtt")), str(mqtt.get("topic", "")), str(mqtt.get("state_topic", "")),
            str(mqtt.get("value_key", "")))


class AreaIndex:
    """Area ids by id, name, alias (any case) and by the slug of the name."""

    def __init__(self, areas: list[Any]) -> None:
        self.ids: dict[str, str] = {}
        for a in areas:
            self.add(a)

    def add(self, area: Any) -> None:
        if not isinstance(area, dict) or area.get("id") is None:
            return
        ident = str(area["id"])
        for word in [ident, str(area.get("name", ""))] + [str(x) for x in area.get("aliases") or ()]:
            self.ids.setdefault(word.strip().lower(), ident)
        self.ids.setdefault("slug:" + ident, ident)

    def find(self, name: str) -> str | None:
        """The id of the area called ``name``, or None."""
        return self.ids.get(name.strip().lower()) or self.ids.get("slug:" + slug(name))


def find_area(areas: list[Any], name: str) -> str | None:
    """The id of the area called ``name`` (by id, name or alias, any case), or None."""
    return AreaIndex(areas).find(name)


def merge(data: dict[str, Any], found: list[Found], answered: set[str], *, new_map: Callable[[], Any] = dict,
          new_list: Callable[[], Any] = list, comment: Comment = _no_comment, stamp: str = "") -> Report:
    """Fold ``found`` into ``data`` (a config mapping, changed in place).

    ``answered``: the sources that were heard from (zigbee2mqtt, tasmota, homeassistant); only
    their devices can be reported as vanished.
    """
    report = Report()
    if data.get("areas") is None:
        data["areas"] = new_list()
    if data.get("devices") is None:
        data["devices"] = new_list()
    areas, devices = data["areas"], data["devices"]
    by_source = {str(d["source"]): d for d in devices if isinstance(d, dict) and d.get("source")}
    by_topic = {_topic_key(d.get("mqtt")): d for d in devices
                if isinstance(d, dict) and not d.get("source") and _topic_key(d.get("mqtt"))}
    ids = {str(d.get("id")) for d in devices if isinstance(d, dict)}
    index = AreaIndex(areas)
    area_ids = {str(a.get("id")) for a in areas if isinstance(a, dict)}
    seen = set()
    for f in found:
        seen.add(f.source)
        mine = by_source.get(f.source)
        if mine is not None:
            changed = _refresh(mine, f, new_map)
            (report.updated if changed else report.unchanged).append(str(mine.get("id")))
            continue
        mine = by_topic.pop(_topic_key(f.mqtt), None)
        if mine is not None:
            mine["source"] = f.source
            _refresh(mine, f, new_map)
            report.adopted.append(str(mine.get("id")))
            continue
        area_id = None
        if f.area:
            area_id = index.find(f.area)
            if area_id is None:
                area_id = _unique(slug(f.area), area_ids)
                area_ids.add(area_id)
                entry = new_map()
                entry.update({"id": area_id, "name": f.area})
                areas.append(entry)
                index.add(entry)
                report.areas_added.append(area_id)
                if f.area_guessed:
                    comment(entry, "name", "guessed from device names: check it")
        ident = _unique(f"{f.type}.{slug(f.name)}", ids)
        ids.add(ident)
        entry = new_map()
        for k, v in f.entry(ident, area_id).items():
            entry[k] = _plain(v, new_map)
        devices.append(entry)
        if area_id and f.area_guessed:
            comment(entry, "area", "guessed from its name")
        for note in f.notes:
            comment(entry, "name", note)
        report.added.append(ident)
    for source, d in by_source.items():
        origin = source.split(":", 1)[0]
        if source not in seen and origin in answered:
            report.vanished.append(str(d.get("id")))
            comment(d, "source", f"not announced by {origin} any more{' (' + stamp + ')' if stamp else ''}")
    return report


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _plain(value: Any, new_map: Callable[[], Any]) -> Any:
    if isinstance(value, dict):
        out = new_map()
        out.update(value)
        return out
    return list(value) if isinstance(value, tuple) else value


def _refresh(mine: dict[str, Any], f: Found, new_map: Callable[[], Any]) -> bool:
    """Bring discovery-owned keys up to date; True when something changed."""
    changed = False
    if mine.get("type") != f.type:
        mine["type"] = f.type
        changed = True
    mqtt = mine.get("mqtt")
    if not isinstance(mqtt, dict):
        mine["mqtt"] = _plain(f.mqtt, new_map)
        return True
    for key in OWNED_MQTT:
        if key in f.mqtt and mqtt.get(key) != f.mqtt[key]:
            mqtt[key] = f.mqtt[key]
            changed = True
        elif key not in f.mqtt and key in mqtt and key != "style":
            del mqtt[key]
            changed = True
    return changed


def overlay(data: dict[str, Any], found: list[Found]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``data`` with the discovered devices the user's config does not already hold
    (by source or topic) added: what the daemon runs with under ``discovery:``. The user's
    entries are never changed. Returns the copy and the ids added."""
    out = dict(data)
    out["areas"] = list(data.get("areas") or ())
    out["devices"] = list(data.get("devices") or ())
    sources = {str(d.get("source")) for d in out["devices"] if isinstance(d, dict) and d.get("source")}
    topics = {_topic_key(d.get("mqtt")) for d in out["devices"] if isinstance(d, dict)}
    fresh = [f for f in found if f.source not in sources and _topic_key(f.mqtt) not in topics]
    report = merge(out, fresh, set())
    return out, report.added
