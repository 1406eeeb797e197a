""""Undo that", "put it back": the commands that restore what the last turn changed.

Pure. Works only from the state the agent knew *before* the turn (reported by the device
or assumed from the agent's own earlier commands); a device whose earlier state was not
known is not guessed at: the whole undo is refused and the reason names the device.
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from ..messages import Intent
from .conversation import Change, Turn

NOT_UNDOABLE = frozenset({"media_next", "media_previous", "media_play", "media_pause", "activate_scene",
                          "stop", "toggle"})
"""Intents whose effect the agent cannot name a way back from."""
NOTHING_TO_UNDO = frozenset({"get_state", "cancel"})


def _light(b: dict[str, Any], keys: tuple[str, ...]) -> list[tuple[str, dict]] | None:
    if b.get("state") == "off":
        return [("turn_off", {})]
    if b.get("state") != "on":
        return None
    out: list[tuple[str, dict]] = []
    if "brightness" in keys:
        if not isinstance(b.get("brightness"), (int, float)):
            return None
        out.append(("set_brightness", {"brightness": b["brightness"]}))
    if "color" in keys:
        if not b.get("color"):
            return None
        out.append(("set_color", {"color": b["color"]}))
    return out or [("turn_on", {})]


def _cover(b: dict[str, Any], keys: tuple[str, ...]) -> list[tuple[str, dict]] | None:
    pos = b.get("position")
    if "position" in keys and isinstance(pos, (int, float)):
        return [("close", {})] if pos <= 0 else [("open", {})] if pos >= 100 else \
            [("set_position", {"position": pos})]
    return {"open": [("open", {})], "closed": [("close", {})]}.get(b.get("state"))


def _on_off(b: dict[str, Any]) -> list[tuple[str, dict]] | None:
    return {"on": [("turn_on", {})], "off": [("turn_off", {})]}.get(b.get("state"))


def restoring(device: Device, change: Change) -> list[tuple[str, dict]] | None:
    """``(intent, slots)`` that bring ``device`` back to ``change.before``; None if unknown."""
    b, keys, t = change.before, change.keys, device.type
    if t in ("light", "cabin_light"):
        return _light(b, keys)
    if t in ("cover", "valve", "window", "sunroof", "trunk"):
        return _cover(b, keys)
    if t in ("lock", "door"):
        return {"locked": [("lock", {})], "unlocked": [("unlock", {})]}.get(b.get("state"))
    if t == "vacuum":
        return {"cleaning": [("start", {})], "paused": [("pause", {})], "docked": [("return_home", {})],
                "returning": [("return_home", {})]}.get(b.get("state"))
    out: list[tuple[str, dict]] = []
    if t == "climate" and "temperature" in keys:
        if not isinstance(b.get("temperature"), (int, float)):
            return None
        out.append(("set_temperature", {"temperature": b["temperature"]}))
    if t == "media_player":
        if "volume" in keys:
            if not isinstance(b.get("volume"), (int, float)):
                return None
            out.append(("set_volume", {"volume": b["volume"]}))
        if "muted" in keys:
            if not isinstance(b.get("muted"), bool):
                return None
            out.append(("mute" if b["muted"] else "unmute", {}))
    if "state" in keys:
        back = _on_off(b)
        if back is None:
            return None
        out = back + out
    return out or None


def undo(turn: Turn, devices: dict[str, Device], text: str) -> tuple[list[Intent], str]:
    """The commands that undo ``turn`` (grouped by what they do), or why it cannot be undone."""
    for command in turn.commands:
        if command.name in NOT_UNDOABLE:
            return [], f"'{command.name.replace('_', ' ')}' cannot be undone"
        if command.name in NOTHING_TO_UNDO or not command.targets:
            continue
        for ident in command.targets:
            if ident not in turn.changes:
                return [], f"what {devices[ident].name if ident in devices else ident} was before is not known"
    if not turn.changes:
        return [], "the last command changed nothing that can be undone"
    groups: dict[tuple[str, str], list[str]] = {}
    slots_of: dict[tuple[str, str], dict] = {}
    for ident, change in turn.changes.items():
        device = devices.get(ident)
        back = restoring(device, change) if device is not None else None
        if back is None:
            name = device.name if device is not None else ident
            return [], f"what {name} was before is not known"
        for intent, slots in back:
            key = (intent, repr(sorted(slots.items())))
            groups.setdefault(key, []).append(ident)
            slots_of[key] = slots
    return [Intent(text, intent, tuple(ids), dict(slots_of[(intent, k)]), "context", 1.0)
            for (intent, k), ids in groups.items()], ""
