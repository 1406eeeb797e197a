"""A verb said alone ("stop", "pause"): which device it means.

No device, kind, room or scope was said, so the words alone cannot pick the device.
A person means the one device that is *doing something* (the TV that plays, the hoover
that cleans, the blind that moves). :func:`settle` takes every bare reading the templates
found and, when it knows what devices are doing (``activity``), acts on the one busy
device; when the readings disagree (a bare "stop" could pause the TV or stop the blinds)
and nothing or several things are busy, it asks instead of guessing. Readings that agree
("pause" only ever means media) keep their usual meaning: the speaker's room's devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

BUSY = frozenset({"playing", "cleaning", "returning", "opening", "closing"})
"""Reported states that mean a device is doing something a bare verb could stop."""

Activity = Callable[[str], "str | None"]
"""Device id -> its last known state word (``playing``, ``docked`` ...) or None."""


@dataclass(frozen=True, slots=True)
class BareReading:
    """One intent a bare utterance may mean, resolved over the whole home."""

    intent: str
    targets: tuple[str, ...]
    """Every device in the home this intent could act on."""
    slots: dict[str, Any]
    local: tuple[str, ...]
    """What the reading means without knowing activity (the speaker's room's devices)."""


def settle(readings: list[BareReading], activity: Activity | None, names: dict[str, str]
           ) -> tuple[str, tuple[str, ...], dict[str, Any]] | str:
    """``(intent, targets, slots)`` to act on, or the question to ask instead."""
    busy = []
    if activity is not None:
        for r in readings:
            busy += [(r, t) for t in r.targets if activity(t) in BUSY]
    if len(busy) == 1:
        r, t = busy[0]
        return r.intent, (t,), r.slots
    if len({r.intent for r in readings}) == 1:
        r = readings[0]
        return r.intent, r.local, r.slots
    options = [names[t] for _, t in busy] or list(
        dict.fromkeys(names[t] for r in readings for t in r.local or r.targets))
    return f"which one? name the device ({', '.join(options[:4])})"
