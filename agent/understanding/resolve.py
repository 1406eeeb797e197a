"""From captured slots to devices: which devices a matched sentence means.

Pure functions over the :class:`~agent.understanding.registry.Registry`. A resolution either
returns targets and canonical slots or says, in words, why it cannot (so the
matcher can try the next reading, and "not understood" can say why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import vocab
from ..config import Device
from ..devices import BUILTIN_INTENTS, TYPES
from .intents import IntentSpec
from .registry import DeviceRef, Registry

TARGET_SLOTS = ("device", "name", "area", "floor", "kind", "measure", "scope", "quantity")
RANGES = {"brightness": (0, 100), "position": (0, 100), "volume": (0, 100)}


@dataclass(slots=True)
class Resolution:
    targets: tuple[str, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    intent: str = ""
    retold: str = ""
    """The intent the words said, when their number was read as another intent's because
    what was named takes that kind of number instead ("set the heating to 22" through a
    brightness sentence); empty when the sentence's own intent applies."""


def kind_matches(device: Device, kind: str) -> bool:
    if kind == "*":
        return True
    if kind.startswith("@"):  # a device's own kind word (``kinds:`` in the config)
        return device.id == kind[1:]
    dtype, _, dclass = kind.partition(":")
    if dclass == "-":  # the type without a class: a plain "switch" may well be a plug
        return device.type == dtype and not device.device_class
    return device.type == dtype and (not dclass or device.device_class == dclass)


def supports(device: Device, intent: str, spec: IntentSpec | None, types: tuple[str, ...] = ()) -> bool:
    if types and device.type not in types:
        return False
    if intent in TYPES[device.type].intents:
        return True
    return spec is not None and device.type in spec.types


def state_for(device: Device, phrase: str) -> str | None:
    """Canonical state a spoken state word means for this device, if any."""
    table = vocab.STATES.get(phrase)
    if not table:
        return None
    if device.device_class and f"{device.type}:{device.device_class}" in table:
        return table[f"{device.type}:{device.device_class}"]
    if device.type == "binary_sensor" and device.device_class:
        # generic on/off words apply to every binary sensor, class words only to their class
        return table.get("binary_sensor") if phrase in _GENERIC_BINARY else None
    return table.get(device.type)


def _clean_room(reg: Registry, caps: dict[str, Any], slots: dict[str, Any]) -> Resolution:
    """"Clean the kitchen": the vacuum that lists the kitchen under ``rooms:``, with its
    segment id as the ``room`` slot."""
    area = caps.get("area")
    ref: DeviceRef | None = caps.get("device") or caps.get("name")
    if not area:
        return Resolution(error="which room? say it: 'clean the kitchen'")
    vacuums = [d for d in reg.devices.values() if d.type == "vacuum" and (ref is None or d.id in ref.ids)]
    able = [(d, dict(d.rooms)[area]) for d in vacuums if area in dict(d.rooms)]
    if not able:
        return Resolution(error=f"no vacuum knows the room {reg.areas[area].name}; add it under the "
                                "vacuum's 'rooms:' (area id: the vacuum's segment id)")
    if len({seg for _, seg in able}) > 1:
        return Resolution(error=f"several vacuums clean {reg.areas[area].name}; say which one")
    return Resolution(tuple(d.id for d, _ in able), {**slots, "room": able[0][1], "room_name": reg.areas[area].name},
                      intent="clean_room")


def measures_it(device: Device, measures: tuple[str, ...]) -> bool:
    """Does this device report one of ``measures`` (a sensor of that class, a thermostat's
    temperature)?"""
    if device.type in ("sensor", "binary_sensor"):
        return device.device_class in measures
    return device.type == "climate" and "temperature" in measures


def _own_class_first(cands: list[Device], kinds: tuple[str, ...]) -> list[Device]:
    """Per room, the devices of the kind said when the room has any, else its family:
    "close the blinds" closes the blinds beside curtains, and the shutter where it is alone."""
    by_area: dict[str | None, list[Device]] = {}
    for d in cands:
        by_area.setdefault(d.area, []).append(d)
    out = []
    for group in by_area.values():
        own = [d for d in group if any(kind_matches(d, k) for k in kinds)]
        out.extend(own or group)
    return out


NUMBER_INTENTS = {"set_brightness": "brightness", "set_position": "position",
                  "set_volume": "volume", "set_temperature": "temperature"}
"""Intents that set one number, and the slot holding it."""


def number_for(cands: list[Device], intent: str, slots: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The same number said of a device that takes another kind of number: "set the heating
    to 22" is a temperature, "the blinds to 40" a position, "the tv to 20" a volume."""
    said = NUMBER_INTENTS.get(intent)
    if said is None or not isinstance(slots.get(said), (int, float)):
        return None
    if said == "temperature" and slots.get("temperature_unit"):
        return None  # "21 degrees celsius" is never a brightness
    wanted = {i for d in cands for i in NUMBER_INTENTS if i in TYPES[d.type].intents}
    if len(wanted) != 1:
        return None
    new = wanted.pop()
    key = NUMBER_INTENTS[new]
    value = slots[said]
    if key in RANGES and not RANGES[key][0] <= value <= RANGES[key][1]:
        return None
    out = {k: v for k, v in slots.items() if k != said}
    out[key] = value
    return new, out


def _in_unit(value: float, said: str | None, wanted: str) -> float:
    """A temperature in the unit the device expects (the spoken unit when one was said)."""
    if said == "F" and wanted == "C":
        return (value - 32) * 5 / 9
    if said == "C" and wanted == "F":
        return value * 9 / 5 + 32
    return value


def _specific(device: Device, phrase: str) -> bool:
    table = vocab.STATES.get(phrase, {})
    return bool(device.device_class) and f"{device.type}:{device.device_class}" in table


_GENERIC_BINARY = {"on", "off", "turned on", "turned off", "active", "inactive", "triggered"}


HERE_UNKNOWN = ("'here' is not known: this satellite has no area; name the room, or set "
                "'area:' in the config for this satellite")

WHICH_COLOR = "which colour? say it: 'make the lights blue', or 'a different colour'"
"""A colour change with no colour said ("change the colour of the lights"): asked, not guessed."""


def says_here(reg: Registry, toks: tuple[str, ...]) -> bool:
    """Does the utterance point at the speaker's own room ("in here", "this room")?"""
    index = reg.list_indexes.get("scope")
    return index is not None and any(
        "here" in values for start in range(len(toks)) for _, values in index.exact(toks, start))


def needs_targets(intent: str, spec: IntentSpec | None) -> bool:
    if spec is not None and spec.targets != "auto":
        return spec.targets == "required"
    if intent in BUILTIN_INTENTS:
        return intent != "cancel"
    return bool(spec and spec.types)


def resolve(reg: Registry, intent: str, spec: IntentSpec | None, caps: dict[str, Any],
            speaker_area: str | None, types: tuple[str, ...] = ()) -> Resolution:
    slots = {k: v for k, v in caps.items() if k not in TARGET_SLOTS}
    for name, (lo, hi) in RANGES.items():
        if name in slots and isinstance(slots[name], (int, float)) and not lo <= slots[name] <= hi:
            return Resolution(error=f"{name} {slots[name]} is outside {lo}-{hi}")
    if not needs_targets(intent, spec):
        return Resolution((), slots, intent=intent)
    if intent == "clean_room":
        return _clean_room(reg, caps, slots)

    area = caps.get("area")
    floor = caps.get("floor")
    kinds: tuple[str, ...] | None = caps.get("kind")
    if isinstance(kinds, str):
        kinds = (kinds,)
    elif isinstance(kinds, list):
        kinds = tuple(kinds)
    # "all the lights", "every light", "the lights everywhere": the whole home unless a
    # room or floor is said too ("all the lights upstairs"); "the lights": see below
    whole_home = caps.get("scope") == "home" or caps.get("quantity") == "all"
    ref: DeviceRef | None = caps.get("device") or caps.get("name")
    measures = caps.get("measure")
    if isinstance(measures, str):
        measures = (measures,)
    devices = reg.devices
    if caps.get("scope") == "here" and not (area or floor or caps.get("device") or caps.get("name")):
        if not speaker_area:
            return Resolution(error=HERE_UNKNOWN)
        area = speaker_area
    area_set = None
    if area:
        area_set = {area}
        on = reg.areas[area].floor
        if floor and on is not None and on != floor:
            # "the bedroom lights upstairs": a bedroom downstairs is another reading's business
            return Resolution(error=f"{reg.areas[area].name} is not on {reg.floors[floor].name}")
    elif floor:
        area_set = set(reg.floor_areas.get(floor, ()))

    if ref is not None:
        cands = [devices[i] for i in ref.ids]
        if area_set is not None:
            cands = [d for d in cands if d.area is None or d.area in area_set]
            if not cands:
                where = reg.areas[area].name if area else reg.floors[floor].name
                return Resolution(error=f"no '{ref.phrase}' in {where}")
        if kinds:
            narrowed = [d for d in cands if any(kind_matches(d, k) for k in kinds)]
            if not narrowed:
                return Resolution(error=f"'{ref.phrase}' is not a {' or '.join(kinds)}")
            cands = narrowed
        explicit = True
    else:
        explicit = False
        # sentences made for some types ("my seat is cold") look among those, not the
        # intent's default kind ("turn on" alone means the lights)
        use_kinds = kinds or types or (spec.kinds if spec and spec.kinds else ("*",))
        wide = vocab.family(use_kinds) if kinds else use_kinds
        pool = [d for d in devices.values() if any(kind_matches(d, k) for k in wide)]
        if measures:
            # "what's the humidity in the bathroom": what measures it, not the dehumidifier
            measuring = [d for d in pool if measures_it(d, measures)]
            pool = measuring or [d for d in pool if d.type != "sensor" or d.device_class in measures]
        if area_set is not None:
            cands = [d for d in pool if d.area in area_set]
        else:
            cands = pool
            if speaker_area and not whole_home:
                here = [d for d in pool if d.area == speaker_area and supports(d, intent, spec, types)]
                if "state" in slots:
                    here = [d for d in here if state_for(d, slots["state"]) is not None]
                if here:
                    cands = [d for d in pool if d.area == speaker_area]
        if wide != use_kinds:
            cands = _own_class_first(cands, use_kinds)

    if measures and explicit:
        # "the battery level of my phone": a sensor measuring it beats a binary sensor
        narrowed = [d for d in cands if d.device_class in measures and d.type == "sensor"] or \
                   [d for d in cands if d.device_class in measures]
        if narrowed:
            cands = narrowed

    if "state" in slots:
        phrase = slots["state"]
        mapped = [(d, state_for(d, phrase)) for d in cands]
        mapped = [(d, s) for d, s in mapped if s is not None]
        # a word that names a class's own state ("connected", "home") beats its generic use
        specific = [(d, s) for d, s in mapped if _specific(d, phrase)]
        if specific and not explicit:
            mapped = specific
        elif not explicit:
            # generic words ("on") mean sensors only when nothing else was meant
            actuators = [(d, s) for d, s in mapped if d.type != "binary_sensor"]
            mapped = actuators or mapped
        if not mapped:
            return Resolution(error=f"'{phrase}' is not a state of what was named")
        cands = [d for d, _ in mapped]
        slots["state"] = mapped[0][1]

    able = [d for d in cands if supports(d, intent, spec, types)]
    said_intent = ""
    if not able and cands:
        # "set the heating to 22": the number's kind comes from what it is said of
        retold = number_for(cands, intent, slots)
        if retold is not None:
            said_intent = intent
            intent, slots = retold
            spec = None
            able = [d for d in cands if supports(d, intent, None, types)]
    if not able:
        if explicit and cands:
            return Resolution(error=f"{cands[0].name} cannot {intent.replace('_', ' ')}")
        return Resolution(error="no device here does that")

    if intent in ("set_mode", "set_source"):
        key, have = ("mode", "modes") if intent == "set_mode" else ("source", "sources")
        takes = [d for d in able if not getattr(d, have) and intent == "set_mode"
                 or slots.get(key) in getattr(d, have)]
        if not takes:
            d = able[0]
            offer = ", ".join(getattr(d, have)) or f"none configured; list them under '{have}:'"
            return Resolution(error=f"{d.name} has no {key} {slots.get(key)!r} ({have}: {offer})")
        able = takes

    # A sensor named like an actuator ("Light") must not steal "turn on the light";
    # several same-named devices in different areas: prefer the speaker's.
    if explicit and len(able) > 1 and speaker_area:
        here = [d for d in able if d.area == speaker_area]
        if here:
            able = here

    final_intent = intent
    if intent == "turn_on" and all(d.type == "scene" for d in able):
        final_intent = "activate_scene"
    elif intent == "turn_on" and all(d.type == "vacuum" for d in able):
        final_intent = "start"
    elif intent == "turn_off" and all(d.type == "vacuum" for d in able):
        final_intent = "stop"  # "stop the hoover", "turn off the roomba": what a vacuum does
    for d in able:
        if d.min is not None or d.max is not None:
            for key in ("temperature", "position", "brightness"):
                value = slots.get(key)
                if key == "temperature" and isinstance(value, (int, float)):
                    value = _in_unit(value, slots.get("temperature_unit"), d.unit)
                if isinstance(value, (int, float)) and (
                        d.min is not None and value < d.min or d.max is not None and value > d.max):
                    said = slots[key]
                    unit = slots.get("temperature_unit", "") if key == "temperature" else ""
                    lo = "" if d.min is None else f"{d.min:g}"
                    hi = "" if d.max is None else f"{d.max:g}"
                    return Resolution(error=f"{d.name} accepts {key} {lo}-{hi}"
                                            f"{' ' + d.unit if key == 'temperature' else ''}, not {said:g}{unit}")
    if final_intent == "set_color" and slots.get("color") in (None, "", "?"):  # "?": the intent file's "not said"
        return Resolution(error=WHICH_COLOR)
    able.sort(key=lambda d: reg.order[d.id])
    return Resolution(tuple(d.id for d in able), slots, intent=final_intent, retold=said_intent)
