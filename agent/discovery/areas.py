"""Areas a device is in: what the source says, else words in the device's name."""

from __future__ import annotations

import re

ROOM_WORDS = (
    "living room", "dining room", "sitting room", "family room", "guest room", "guest bedroom",
    "master bedroom", "kids room", "childrens room", "play room", "playroom", "utility room",
    "laundry room", "boiler room", "front garden", "back garden",
    "bedroom", "bathroom", "kitchen", "lounge", "hallway", "hall", "landing", "office", "study",
    "garage", "garden", "nursery", "attic", "loft", "basement", "cellar", "laundry", "porch",
    "patio", "balcony", "terrace", "toilet", "wc", "pantry", "den", "conservatory", "entrance",
    "corridor", "stairs", "staircase", "shed", "workshop", "gym", "library", "closet", "wardrobe",
    "driveway", "yard", "deck", "veranda", "cloakroom", "ensuite", "en suite", "shower",
)
"""Room words, longest first where one contains another, looked for in device names."""

_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(ROOM_WORDS, key=len, reverse=True))
                      + r")\b")
_NUMBERED = re.compile(r"\b(bedroom|bathroom|office|room)\s+(\d|one|two|three)\b")


def guess_area(name: str) -> str | None:
    """The room a device name mentions ("Kitchen Ceiling" -> "Kitchen"), or None."""
    low = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("'s ", "s "))
    low = re.sub(r"\s+", " ", low)
    numbered = _NUMBERED.search(low)
    if numbered:
        return numbered.group(0).title()
    m = _PATTERN.search(low)
    return m.group(1).title() if m else None


def area_from_description(text: object) -> str | None:
    """zigbee2mqtt's free-text ``description``: ``Area: Kitchen`` / ``room=kitchen`` /
    a short text that is a room word."""
    if not isinstance(text, str) or not text.strip():
        return None
    m = re.search(r"\b(?:area|room)\s*[:=]\s*([^,;\n]{1,40})", text, re.I)
    if m:
        return m.group(1).strip().title()
    words = text.strip()
    if len(words) <= 30 and guess_area(words) and guess_area(words).lower() == words.lower():
        return words.title()
    return None
