"""Direction words: the model must never pick the opposite of what the words ask for.

The built-in intents come in opposite pairs (on/off, up/down, open/close, lock/unlock).
A small model can still answer ``brightness_down`` to "increase the brightness, it is
hard to see down here" or ``turn_off`` to "power off on". Doing the opposite of what
was asked is the worst wrong action there is, so when the utterance holds a direction
word of the *other* side of the pair, the model's answer is not acted on: "not
understood" is the honest reply to a sentence that pulls both ways.

These are facts of English (the model's prompt language), not sentence templates; for
configs in another language the check stands aside.
"""

from __future__ import annotations

_PAIRS: tuple[tuple[str, frozenset[str], str, frozenset[str]], ...] = (
    ("turn_on", frozenset("on activate enable".split()),
     "turn_off", frozenset("off deactivate disable kill shut".split())),
    ("brightness_up", frozenset("increase raise brighten brighter high up more".split()),
     "brightness_down", frozenset("decrease lower reduce dim dimmer darker low down less".split())),
    ("open", frozenset("open raise up".split()),
     "close", frozenset("close shut lower down".split())),
    ("lock", frozenset("lock".split()),
     "unlock", frozenset("unlock".split())),
    ("volume_up", frozenset("increase raise louder up more".split()),
     "volume_down", frozenset("decrease lower reduce quieter softer down less".split())),
    ("temperature_up", frozenset("increase raise warmer hotter up more".split()),
     "temperature_down", frozenset("decrease lower reduce cooler colder down less".split())),
    ("mute", frozenset("mute".split()),
     "unmute", frozenset("unmute".split())),
)

AGAINST: dict[str, tuple[str, frozenset[str]]] = {}
"""intent -> (its opposite, the words that ask for the opposite)."""
for _a, _a_words, _b, _b_words in _PAIRS:
    AGAINST[_a] = (_b, _b_words)
    AGAINST[_b] = (_a, _a_words)
# "toggle the plug on the porch": a toggle ignores the state the words ask for, so it may
# do the opposite of an "on" or "off" said; unless that word is the toggle's own particle
# (:func:`switched_to`), which makes the toggle a turn on or turn off
AGAINST["toggle"] = ("turn_on or turn_off", frozenset({"on", "off"}))


TOO = frozenset({"too", "so"})
EXCESS = {
    "bright": "brightness_down", "dark": "brightness_up", "dim": "brightness_up",
    "loud": "volume_down", "quiet": "volume_up", "hot": "temperature_down", "warm": "temperature_down",
    "cold": "temperature_up", "cool": "temperature_up", "chilly": "temperature_up",
}
"""After "too"/"so", a state word asks for the other way: "too bright" wants less light."""


STATES = frozenset(EXCESS) | {"high", "low", "much", "far"}
"""After "up too"/"down too", a word for how things are."""
ARTICLES = frozenset({"the", "a", "an", "my", "our", "your", "its", "their", "this", "that"})
"""After one of these "lock" is a thing, not what to do: "open the lock"."""
PLACES = frozenset({"here", "there"})
"""Before one of these a direction word names where: "it's cold down here", "up there"."""


def _place(toks, i: int) -> bool:
    return i + 1 < len(toks) and toks[i + 1] in PLACES


def _says(intent: str, toks) -> bool:
    """Do the words ask for ``intent`` outside a place phrase: one of its direction words, or
    "too"/"so" and a state that wants it ("too dark" for brightness up)?"""
    opposite = AGAINST.get(intent, ("", frozenset()))[0]
    own = AGAINST[opposite][1] if opposite in AGAINST else frozenset()
    return any((tok in own and not _place(toks, i)) or (i > 0 and toks[i - 1] in TOO and EXCESS.get(tok) == intent)
               for i, tok in enumerate(toks))


def contradiction(intent: str, toks: tuple[str, ...] | list[str], language: str = "en") -> tuple[str, str] | None:
    """``(opposite intent, the words asking for it)`` when the words pull against ``intent``.
    ``toks`` keeps the fillers ("the"), so that a direction word used as a noun is known."""
    if not language.lower().startswith("en") or intent not in AGAINST:
        return None
    opposite, words = AGAINST[intent]
    # "increase the light, I can't see down here": "down here" is where the speaker is, not
    # which way; it stands aside when the rest of the words say which way. Alone it still
    # pulls: in "turn it down there" the "down" may be the verb's own
    said = _says(intent, toks)
    for i, tok in enumerate(toks):
        before = toks[i - 1] if i > 0 else ""
        after = tuple(toks[i + 1:i + 3])
        if before in TOO:
            if EXCESS.get(tok) == opposite:
                return opposite, f"{before} {tok}"
        elif tok in words and not (
                (said and _place(toks, i))
                or after[:1] == ("too",) and after[1:] and after[1] in STATES  # "the heating is up
                # too high": how it is, not what is asked ("turn it up too" is still up)
                or (tok == "lock" and before in ARTICLES | {"door", "gate"})  # "open the lock on
                # the door", "undo the front door lock": a thing
                # (not "press the off button": that asks for off)
                or (tok == "mute" and before == "off")):  # "take it off mute" is unmute
            return opposite, tok
    return None


SWITCHED = {"on": "turn_on", "off": "turn_off"}
PLACE_STARTS = frozenset({"in", "at", "on", "inside", "outside", "upstairs", "downstairs", "for"})
"""Words that begin where a command applies: "toggle the fan on in the study"."""


def switched_to(toks: tuple[str, ...] | list[str], language: str = "en") -> str | None:
    """``turn_on``/``turn_off`` when a toggle's words say which state it ends in: "toggle the
    fan on", "toggle off the heater", "toggle the fan on in the study"; None when they do
    not or pull both ways ("toggle the lamp on the desk": there "on" is where; "toggle the
    fan off and on"). ``toks`` without fillers; "off" is a state wherever it is said, "on"
    when it is the word after the verb, the last word, or the word before where the command
    applies ("on the desk" is where)."""
    if not language.lower().startswith("en"):
        return None
    asked = set()
    for i, tok in enumerate(toks):
        if tok not in SWITCHED:
            continue
        particle = i == 1 or i == len(toks) - 1 or toks[i + 1] in PLACE_STARTS or tok == "off"
        if particle:
            asked.add(SWITCHED[tok])
    return asked.pop() if len(asked) == 1 else None
