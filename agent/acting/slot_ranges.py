"""The range every numeric slot is held to: a list's own ``range``, else its type's.

A number that reaches a publish unchecked can do harm ("water the lawn for 99999 hours"),
so the matcher refuses to hear one outside its range and the planner refuses to act on
one (whatever understood it: templates or the small model).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

TYPE_RANGES: dict[str, tuple[float, float]] = {
    "integer": (-1_000_000, 1_000_000),
    "number": (-1_000_000, 1_000_000),
    "percentage": (0, 100),
    "temperature": (-40, 120),
    "duration": (1, 86_400),  # seconds: at least one, at most a day
}


def slot_range(name: str, lists: Mapping[str, Any]) -> tuple[float, float] | None:
    """(low, high) for slot ``name``; None when it is not numeric."""
    sl = lists.get(name)
    if sl is not None and getattr(sl, "number_range", None):
        return sl.number_range[0], sl.number_range[1]
    return TYPE_RANGES.get(name)


def out_of_range(slots: Mapping[str, Any], lists: Mapping[str, Any]) -> str | None:
    """Why one of ``slots`` is a number outside its range, or None."""
    for name, value in slots.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        bounds = slot_range(name, lists)
        if not math.isfinite(value):
            return f"{name} {value} is not a number"
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            unit = " seconds" if name == "duration" else ""
            return f"{name} {value:g}{unit} is outside {bounds[0]:g}..{bounds[1]:g}{unit}"
    return None
