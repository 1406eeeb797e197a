"""Follow-ups that name only a target ("and the kitchen too", "the bedroom as well", "what
about the fan") or only a value ("no, red", "actually 22"), and the short phrases that only
make sense after a command ("a bit more", "less", "again", "stop", "no, the other one",
"undo that").

Pure: reads token sequences against the home's registry; what "the last command" is comes
from :mod:`agent.understanding.conversation`. English, written for this project.
"""

from __future__ import annotations

from typing import Any

from ..config import Device
from ..messages import Intent
from ..normalize import is_number, tokens
from .conversation import Turn
from .registry import DeviceRef, Registry
from .resolve import resolve
from .templates import FirstSets, Matcher, expand_rules, parse_template, prime, share

_RULES = {
    "all": "(all [of]|every|each|both [of])",
    "loc": "[in|at|on|of|for|inside|upstairs in|downstairs in] ({area}|{floor})",
    "lead": "[and|also|plus|now|so|and also|what about|how about|and what about"
            "|[do] same [thing] (for|in|with|to|on)|[do] same [thing]]",
    "too": "[too|as well|also|please|again]",
}
_TARGETS = (
    "<lead> [<all>] {device} [<loc>] <too>",
    "<lead> {area} {device} <too>",
    "<lead> [<all>] [{area}|{floor}] {kind} [<loc>] <too>",
    "<lead> <loc> <too>",
)
"""A follow-up that names only what to act on."""

PHRASES: dict[str, tuple[str, ...]] = {
    "more": ("more", "bit more", "little more", "little bit more", "even more", "some more", "more more",
             "further", "bit further", "keep going", "more please"),
    "less": ("less", "bit less", "little less", "little bit less", "not so much", "too much", "bit too much",
             "way too much", "less please"),
    "again": ("again", "once more", "one more time", "do it again", "do that again", "repeat that",
              "same again", "again please", "do it once more"),
    "stop": ("stop", "stop it", "stop there", "stop now", "halt", "hold it", "stop that", "that is enough",
             "enough"),
    "other": ("no other one", "other one", "not that one other one", "no not that one other one",
              "no wrong one other one", "wrong one other one", "no i meant other one", "i meant other one"),
    "undo": ("undo", "undo that", "undo it", "undo last command", "undo last one", "undo last thing",
             "put it back", "put that back", "put them back", "put everything back", "change it back",
             "change that back", "change them back", "set it back", "set them back", "turn it back",
             "revert", "revert that", "revert it", "take that back", "reverse that", "put it back how it was",
             "put it back as it was", "go back to how it was", "restore that", "restore it"),
}
"""Whole utterances that refer to the last command (normalised: no "the", "a", "please")."""
_PHRASE = {" ".join(tokens(phrase)): kind for kind, phrases in PHRASES.items() for phrase in phrases}

OPPOSITE = {"brightness_up": "brightness_down", "brightness_down": "brightness_up",
            "volume_up": "volume_down", "volume_down": "volume_up",
            "temperature_up": "temperature_down", "temperature_down": "temperature_up"}
"""Relative intents and their reverse ("a bit more" repeats one, "less" reverses it)."""

TOO = (("too",), ("as", "well"), ("also",))
"""Trailing words that mark a whole command as a follow-up ("turn on the fan too")."""


def phrase_kind(toks: tuple[str, ...]) -> str | None:
    """``more``, ``less``, ``again``, ``stop``, ``other`` or ``undo`` when the whole
    utterance is such a phrase."""
    return _PHRASE.get(" ".join(toks))


_PLURAL_REFS = frozenset({"them", "they", "those", "these"})
_IT_AFTER = frozenset({"make", "is", "was", "what", "how", "hear", "keep", "get", "find"})
_IT_BEFORE = frozenset({"up", "down", "is", "was", "will", "would"})
"""Words around an "it" that is nobody: "make it warmer", "turn it up", "what time is it"."""


def refers_back(toks: tuple[str, ...]) -> bool:
    """Does the utterance point at something said before ("turn it off", "them", "the
    fan too")? Idioms where "it" is nobody ("make it warmer", "turn it up") do not."""
    if strip_too(toks) != toks or not _PLURAL_REFS.isdisjoint(toks):
        return True
    return any(t == "it" and not (i > 0 and toks[i - 1] in _IT_AFTER) and toks[i + 1:i + 2] not in
               tuple((w,) for w in _IT_BEFORE) for i, t in enumerate(toks))


def strip_too(toks: tuple[str, ...]) -> tuple[str, ...]:
    for tail in TOO:
        if len(toks) > len(tail) and toks[-len(tail):] == tail:
            return toks[:-len(tail)]
    return toks


def kind_of(device: Device) -> str:
    return f"{device.type}:{device.device_class}" if device.device_class else device.type


class Fragments:
    """Reads a target-only follow-up and applies it to an earlier command."""

    def __init__(self, registry: Registry, intents: dict[str, Any]) -> None:
        self.registry = registry
        self.specs = intents
        self.first = FirstSets(registry.slot_first(False))
        self.trees = []
        rules = {k: parse_template(v) for k, v in _RULES.items()}
        shared: dict[tuple, Any] = {}
        for text in _TARGETS:
            tree = share(expand_rules(parse_template(text), rules), shared)
            prime(tree, self.first)
            self.trees.append(tree)

        self.loc = share(expand_rules(parse_template("(in|at|on|inside|upstairs in|downstairs in) ({area}|{floor})"), {}),
                         shared)
        prime(self.loc, self.first)

    def loc_suffix(self, toks: tuple[str, ...]) -> tuple[str, ...]:
        """The words naming a room at the end of ``toks`` ("... in the bedroom"), if any."""
        for start in range(max(1, len(toks) - 5), len(toks) - 1):
            tail = toks[start:]
            if next(Matcher(tail, self.registry.matchers(False), self.first).match(self.loc), None) is not None:
                return tail
        return ()

    def readings(self, toks: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every way ``toks`` names a target, named devices first."""
        matcher = Matcher(toks, self.registry.matchers(False), self.first)
        out: list[tuple[tuple[int, int], dict[str, Any]]] = []
        for tree in self.trees:
            for caps, _ in matcher.match(tree):
                values: dict[str, Any] = {}
                clash = False
                for name, value, _, _, _ in caps:
                    clash = clash or (name in values and values[name] != value)
                    values[name] = value
                if not clash and values:
                    out.append(((0 if "device" in values else 1, len(values)), values))
        out.sort(key=lambda e: e[0])
        return [v for _, v in out]

    def apply(self, last: Intent, toks: tuple[str, ...], text: str, speaker_area: str | None) -> Intent | None:
        """``last`` done again on what ``toks`` names; None when they name nothing it can do."""
        if not last.understood or last.name == "cancel":
            return None
        spec = self.specs.get(last.name)
        devices = self.registry.devices
        for said in self.readings(toks):
            values = {k: v for k, v in last.slots.items()}
            values.update(said)
            if "device" not in said and "kind" not in said and last.targets:
                # "and the bedroom too": the same kind of thing, there
                values["kind"] = tuple(dict.fromkeys(kind_of(devices[t]) for t in last.targets if t in devices))
            res = resolve(self.registry, last.name, spec, values, speaker_area)
            if not res.error and res.targets:
                return Intent(text, res.intent, res.targets, res.slots, "context", 1.0)
        return None

    def correct(self, turn: Turn, toks: tuple[str, ...], text: str) -> Intent | None:
        """The turn's last command again with the value ``toks`` says instead ("no, 22"), on
        every device the turn gave that command with that value ("make the kitchen lights
        and the lamp blue" + "no, red": all of them); None when the words are not a value of
        the kind it set, or a device does not take it (never fewer devices than before)."""
        last = turn.last
        slots = corrected(last, toks, self.registry)
        targets = tuple(dict.fromkeys(t for c in turn.commands if (c.name, c.slots) == (last.name, last.slots)
                                      for t in c.targets))
        if slots is None or not targets:
            return None
        res = resolve(self.registry, last.name or "", self.specs.get(last.name or ""),
                      {**slots, "device": ref_of(targets)}, None)  # the devices named, wherever the speaker is
        if res.error or set(res.targets) != set(targets):
            return None
        return Intent(text, res.intent, res.targets, res.slots, "context", 1.0)


_LEADS = frozenset({"no", "nope", "oh", "oops", "sorry", "actually", "wait", "i", "mean", "meant", "said",
                    "rather", "make", "set", "change", "turn", "put", "it", "that", "them", "to", "instead", "of"})
"""Words that may come before a corrected value ("no, I meant 22", "actually make it red")."""
_TAILS = frozenset({"instead", "then", "rather", "thanks", "thank", "you"})
_UNITS = {"temperature": ("degrees", "degree", "celsius", "centigrade", "fahrenheit", "c", "f"),
          "brightness": ("percent",), "position": ("percent",), "volume": ("percent",), "percentage": ("percent",),
          "channel": ()}
"""The slots a value alone can correct, and the unit words that may follow the number."""


def corrected(last: Intent, toks: tuple[str, ...], registry: Registry) -> dict[str, Any] | None:
    """The last command's slots with the value of ``toks`` put in, when the words are only a
    value of the kind the last command set ("no, 22" after "set the heating to 21";
    "actually red" after "make the lamp blue"); else None."""
    if not last.understood or not last.slots:
        return None
    i, j = 0, len(toks)
    while i < j and toks[i] in _LEADS:
        i += 1
    while j > i and toks[j - 1] in _TAILS:
        j -= 1
    value = toks[i:j]
    if not value:
        return None
    if "color" in last.slots:
        other = registry.list_indexes.get("other_color")  # "a different colour" (intents/home.yaml)
        colours = registry.color_index.phrases.get(value) or (other.phrases.get(value) if other else None)
        return {**last.slots, "color": colours[0]} if colours and len(set(colours)) == 1 else None
    numeric = [k for k, v in last.slots.items() if k in _UNITS and isinstance(v, (int, float))
               and not isinstance(v, bool)]
    if len(numeric) != 1 or not is_number(value[0]) or len(value) > 2:
        return None
    key = numeric[0]
    unit = value[1] if len(value) == 2 else None
    if unit is not None and unit not in _UNITS[key]:
        return None
    number = float(value[0])
    slots = {**last.slots, key: int(number) if number.is_integer() else number}
    if key == "temperature" and unit in ("celsius", "centigrade", "c", "fahrenheit", "f"):
        slots["temperature_unit"] = "F" if unit in ("fahrenheit", "f") else "C"
    return slots


def others(registry: Registry, last: Intent, spec: Any) -> tuple[str, ...] | str:
    """"No, the other one": the one device like the last command's, in the same room, that it
    did not act on; or why there is none."""
    devices = registry.devices
    said = [devices[t] for t in last.targets if t in devices]
    if not said:
        return "the last command acted on no device"
    kinds = {kind_of(d) for d in said}
    areas = {d.area for d in said}
    from .resolve import supports
    cands = [d.id for d in devices.values() if d.id not in last.targets and kind_of(d) in kinds
             and d.area in areas and supports(d, last.name or "", spec)]
    if not cands:
        return f"there is no other {said[0].type.replace('_', ' ')} there"
    if len(cands) > 1:
        names = ", ".join(devices[c].name for c in cands)
        return f"which one: {names}?"
    return tuple(cands)


def ref_of(targets: tuple[str, ...]) -> DeviceRef | None:
    return DeviceRef("it", targets) if targets else None
