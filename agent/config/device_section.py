"""One entry of ``devices:``, its parts: how it is driven over MQTT (with the numbers the
payload styles compute with held to sane ranges), names that must not be a room's or a
floor's, climate modes, a vacuum's rooms and the extra kind words."""

from __future__ import annotations

import functools

from .. import vocab
from ..normalize import tokens
from .model import STYLES, Area, DeviceMqtt, Floor
from .reader import Reader, suggest

_NUMERIC_OPTIONS: dict[str, tuple[type, float, float]] = {
    "relay": (int, 1, 32), "shutter": (int, 1, 16), "brightness_scale": (int, 1, 65535),
    "volume_scale": (float, 0.001, 1e6), "temperature_precision": (float, 0.01, 10),
}
_STEP_OPTION = (float, 0.001, 1000)


def read_device_mqtt(r: Reader, read_only: bool = False) -> DeviceMqtt:
    style = r.get("style", str, "zigbee2mqtt", choices=STYLES)
    topic = r.get("topic", str, "")
    state_topic = r.get("state_topic", str, "")
    options = {k: v for k, v in r.node.items() if k not in ("style", "topic", "state_topic")}
    for key in options:  # the numbers the payload styles compute with
        limits = _NUMERIC_OPTIONS.get(key) or (_STEP_OPTION if key.endswith("_step") else None)
        if limits is not None:
            kind, low, high = limits
            options[key] = r.get(key, kind, None, minimum=low, maximum=high)
        elif key.endswith(("_topic", "_prefix", "_key", "_mode")) or key in ("schema", "white_as"):
            options[key] = r.get(key, str, None)
    options = {k: v for k, v in options.items() if v is not None}
    if style == "template" and not options.get("actions"):
        r.problem("a template device needs 'actions': {intent: {topic: ..., payload: ...}}")
    if style != "template" and not topic and not (read_only and state_topic):
        r.problem(f"{style} devices need a 'topic'", "topic")
    return DeviceMqtt(style or "zigbee2mqtt", topic or "", state_topic or "", dict(options))


@functools.lru_cache(maxsize=4096)  # asked once per device for every area: a big home repeats it
def _place_words(name: str) -> tuple[str, ...]:
    return tokens(name, fragment=True)


def check_names_not_places(d: Reader, name: str, aliases: tuple[str, ...], area: str | None,
                            areas: list[Area], floors: list[Floor]) -> None:
    """A device called like another room ("bedroom" on the lounge's Christmas tree) takes "turn
    on the bedroom" for itself alone. A device named after its own room or floor (a
    zigbee2mqtt group "Kitchen" in the kitchen) means what the room's name means: allowed."""
    own_floor = next((a.floor for a in areas if a.id == area), None)
    places = {}
    for place, what in [(a, "area") for a in areas] + [(f, "floor") for f in floors]:
        for spoken in (place.name, *place.aliases):
            places.setdefault(_place_words(spoken), (what, place.id, spoken))
    for key, spoken in [("name", name)] + [("aliases", a) for a in aliases]:
        hit = places.get(_place_words(spoken))
        if hit and hit[1] not in ((area,) if hit[0] == "area" else (own_floor,)):
            what, pid, said = hit
            d.problem(f"{spoken!r} is also the name of {what} {pid!r} ({said!r}): \"turn on the {said.lower()}\" "
                      f"would mean this device alone; give the device a name of its own", key)


HVAC_MODES = ("heat", "cool", "auto", "heat_cool", "dry", "fan_only", "off")


def read_modes(d: Reader) -> tuple[str, ...]:
    modes = d.strings("modes")
    for m in modes:
        if m not in HVAC_MODES:
            d.problem(f"unknown mode {m!r}{suggest(m, HVAC_MODES)}; one of: {', '.join(HVAC_MODES)}", "modes")
    return modes


def read_rooms(d: Reader, area_ids: list[str]) -> tuple[tuple[str, str], ...]:
    """``rooms: {kitchen: 3}``: the vacuum's segment for each area it can clean alone."""
    r = d.sub("rooms")
    out = []
    for area in list(r.node):
        if area not in area_ids:
            r.problem(f"unknown area {area!r}{suggest(area, area_ids)}; the keys are area ids", area)
        seg = r.get(area, (str, int), None)
        if seg is not None:
            out.append((area, str(seg)))
    return tuple(out)


def read_kind_words(r: Reader, key: str) -> tuple[str, ...]:
    words = []
    for word in r.strings(key):
        if not word.strip():
            r.problem("an empty kind word; write the word people use, e.g. 'blind'", key)
            continue
        words.extend(vocab.plurals(word))
    return tuple(dict.fromkeys(words))
