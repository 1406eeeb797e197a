"""What the words of an utterance support: the grammar is narrowed to it before decoding.

The grammar alone allows anything possible in this home; a small model then guesses.
Here each utterance narrows it to what was said:

* a device only when something said points at it: its name or one of its own words
  ("coffee"), a word for its kind ("telly", "vacuum") in the room named if one was, or it
  being the only device that can do the intent at all (only a vacuum can "start") while no
  other device was named;
* a kind of device in a room only when the room was named; the kind of device with no
  room (here, or the whole home) only when no room and no device was named, and either a
  word for the kind or a word of the intent's own templates was said;
* a colour, number or list value only when it was said.

An intent with no supported target or value is not offered; if nothing is left, the answer
is "not understood" without asking the model. Text the model was shown nothing for cannot
make it act.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import vocab
from ..devices import READ_ONLY
from ..normalize import tokens
from ..understanding.registry import Registry
from ..understanding.resolve import kind_matches
from .grammar import Narrowed, OutputGrammar
from .prior import IntentPrior, placeholder

_GENERIC = frozenset(w for k in vocab.KINDS for w in k.split()) | {
    "smart", "main", "big", "small", "room", "front", "back", "left", "right", "machine"}


def _has(toks: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1))


_PARTICLES = frozenset({"on", "off", "over", "up", "down", "out"})


def _as_noun(toks: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Is ``phrase`` in ``toks`` other than as a verb? A command starts with its verb: "light
    up the hall", "switch off", "switch the fan on" (the fillers are gone: "please" and "the"
    never count). Elsewhere a kind word is the thing: "turn the lights off", "brighten the
    lights up a bit", "switch the kitchen light off"."""
    n = len(phrase)
    for i in range(len(toks) - n + 1):
        if toks[i:i + n] != phrase:
            continue
        verb = i == 0 and n == 1 and not phrase[0].endswith("s") and (  # "lights off": the lights
            phrase[0] == "switch" or (i + n < len(toks) and toks[i + n] in _PARTICLES))
        if not verb:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one utterance names."""

    devices: frozenset[str]
    """Devices named by their own words."""
    kind_devices: frozenset[str]
    """Devices a kind word said can mean."""
    areas: frozenset[str]
    values: frozenset[str]
    """Value words said (colours, numbers, list values), as the grammar writes them."""
    absent_kind: bool = False
    """A kind of device was named that this home does not have."""


class Grounding:
    """Evidence for one registry, and the grammar narrowed by it."""

    def __init__(self, registry: Registry, grammar: OutputGrammar, prior: IntentPrior) -> None:
        self.reg = registry
        self.grammar = grammar
        self.prior = prior
        area_words = {w for a in registry.areas.values() for n in (a.name, *a.aliases) for w in tokens(n)}
        self.kind_words = [(tuple(tokens(w)), ks) for w, ks in vocab.KINDS.items()]
        user_kinds = registry.intents.lists.get("kind")
        for toks, v in (user_kinds.values if user_kinds else ()):
            self.kind_words.append((toks, tuple(v) if isinstance(v, (list, tuple)) else (v,)))
        self.area_phrases = {a.id: [tuple(tokens(n)) for n in (a.name, *a.aliases)]
                             for a in registry.areas.values()}
        self.device_phrases = {d.id: [tuple(tokens(n)) for n in (d.name, *d.aliases)]
                               for d in registry.devices.values()}
        self.own_words = {i: {w for p in ps for w in p if w not in _GENERIC and w not in area_words and len(w) > 2}
                          for i, ps in self.device_phrases.items()}
        colours: dict[str, str] = {k: k for k in vocab.COLORS}
        colours.update(vocab.COLOR_ALIASES)
        self.value_phrases: list[tuple[tuple[str, ...], str]] = [(tuple(tokens(s)), c) for s, c in colours.items()]
        self.value_kinds: list[tuple[tuple[str, ...], str]] = [
            (p, placeholder("color", False)) for p, _ in self.value_phrases]
        for name, lst in registry.intents.lists.items():
            self.value_phrases += [(toks, str(v)) for toks, v in lst.values]
            if name not in ("kind", "state", "measure", "color"):
                self.value_kinds += [(toks, placeholder(name, False)) for toks, _ in lst.values]

    def value_words(self, text: str) -> dict[str, str]:
        """Words of ``text`` that are values, mapped to their type's placeholder (for the prior)."""
        toks = tuple(tokens(text))
        out = {t: kind for phrase, kind in self.value_kinds if _has(toks, phrase) for t in phrase}
        out.update({t: placeholder("number", True) for t in tokens(text) if t.replace(".", "", 1).isdigit()})
        return out

    def evidence(self, text: str) -> Evidence:
        toks = tuple(tokens(text))
        areas = {a for a, ps in self.area_phrases.items() if any(_has(toks, p) for p in ps)}
        devices = {i for i, ps in self.device_phrases.items()
                   if any(_has(toks, p) for p in ps) or self.own_words[i] & set(toks)}
        kinds = [ks for phrase, ks in self.kind_words if _as_noun(toks, phrase) and "*" not in ks]
        kind_devices = {d.id for d in self.reg.devices.values()
                        if any(kind_matches(d, k) for ks in kinds for k in ks)}
        # a kind of device this home does not have ("the fan"), and no kind it has, names
        # nothing we may act on (sensor words such as "power" or "water" are too often
        # ordinary words to count)
        absent = not kind_devices and any(all(k.partition(":")[0] not in READ_ONLY for k in ks) for ks in kinds)
        values = {v for phrase, v in self.value_phrases if _has(toks, phrase)}
        values |= {str(int(float(t))) if float(t).is_integer() else t
                   for t in toks if t.replace(".", "", 1).isdigit()}
        return Evidence(frozenset(devices), frozenset(kind_devices), frozenset(areas), frozenset(values), absent)

    def narrow(self, text: str) -> Narrowed:
        """The grammar with only what ``text`` supports."""
        ev = self.evidence(text)
        reg = self.reg
        targets: dict[str, tuple[str, ...]] = {}
        if ev.absent_kind and not ev.devices:
            return Narrowed(self.grammar, targets, {})
        for phrase, form in self.grammar.forms.items():
            if any(not (set(v.words) & ev.values) for v in form.values):
                continue  # a value this intent needs was not said
            if not form.targeted:
                if self.prior.supports(text, form.name) or form.values:
                    targets[phrase] = ()
                continue
            ok = []
            others = ev.devices - set(form.devices)
            for tp, t in form.targets.items():
                if t.device is not None:
                    d = reg.devices[t.device]
                    in_room = not ev.areas or d.area is None or d.area in ev.areas
                    named = t.device in ev.devices
                    if (named and (in_room or any(_has(tuple(tokens(text)), p) for p in self.device_phrases[d.id]))) \
                            or (t.device in ev.kind_devices and in_room and not ev.devices) \
                            or (len(form.devices) == 1 and not others and not ev.areas
                                and (not ev.kind_devices or t.device in ev.kind_devices)
                                and self.prior.supports(text, form.name)):
                        ok.append(tp)
                elif t.area is not None:
                    if t.area in ev.areas:
                        ok.append(tp)
                elif not ev.areas and not ev.devices and (
                        any(d in ev.kind_devices for d in form.grouped)
                        or (not ev.kind_devices and self.prior.supports(text, form.name))):
                    ok.append(tp)
            if ok:
                targets[phrase] = tuple(ok)
        values = {v.name: frozenset(v.words) & ev.values for f in self.grammar.forms.values() for v in f.values}
        return Narrowed(self.grammar, targets, values)
