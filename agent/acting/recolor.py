""""A different colour", "some random colour": which colour that is, when it is planned.

The person asked for a change and left the colour to the agent, so any colour the lights
are not showing does what was asked. The colours go round a wheel of clear, distinct hues
from the one the first light shows (as reported, or as the last command left it), so
asking again and again walks through them rather than landing on the same one twice; a
light whose colour is not known starts at the top. The chosen colour is what the spoken
reply names ("Making the kitchen light orange.": lights in another room, or ``acknowledge:
speech``; in the speaker's own room the light shows it), and what the ``intent`` event and
the conversation carry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from .. import vocab
from ..messages import Intent

WHEEL: tuple[str, ...] = ("red", "orange", "yellow", "green", "turquoise", "blue", "purple", "magenta",
                          "pink")
"""Hues far enough apart to be seen as another colour."""


def chosen(intent: Intent, state: Callable[[str], dict[str, Any]] | None) -> Intent:
    """``intent`` with its colour chosen when it asked for "another colour"; otherwise itself."""
    if intent.name != "set_color" or intent.slots.get("color") != vocab.OTHER_COLOR:
        return intent
    showing = [(state(t) if state is not None else None) or {} for t in intent.targets]
    colors = [s.get("color") for s in showing if isinstance(s.get("color"), str)]
    start = WHEEL.index(colors[0]) + 1 if colors and colors[0] in WHEEL else 0
    turn = [WHEEL[(start + i) % len(WHEEL)] for i in range(len(WHEEL))]
    pick = next((c for c in turn if c not in colors), turn[0])
    return replace(intent, slots={**intent.slots, "color": pick})
