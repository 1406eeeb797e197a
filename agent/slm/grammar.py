"""The only answers the model may give, generated from the loaded config.

An answer is a short phrase in plain words: ``<action> <target> <value>...``, for example
``turn off kitchen light``, ``set color lights in bedroom pink``, ``start robot vacuum``
or ``none`` (not for this home). The action is the intent's name in words; the target is
a device's name, or the word for the intent's kind of device ("lights"), optionally
``in <room>``; values follow in the order the intent's templates name them, each from its
own type: a colour the home knows, an integer in the slot's range, a value of a user list.
Plain words, because a small model understands "brightness down bedroom light" far
better than codes; each phrase maps back to exactly one intent, device id or area id.

Every choice is derived from the config and intent files: only intents some configured
device supports, only devices that support the chosen intent, only rooms holding such a
device, only values of the right type and range. The decoder (:mod:`agent.slm.decode`)
asks :meth:`OutputGrammar.next` which phrases may come next, so the model cannot invent a
device or an intent. :meth:`OutputGrammar.to_gbnf` prints the same language in
llama.cpp's grammar notation, for reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import vocab
from ..understanding.intents import IntentSet, IntentSpec, Sentence
from ..understanding.registry import DeviceRef, Registry
from ..understanding.resolve import TARGET_SLOTS, kind_matches, needs_targets, supports
from ..understanding.templates import Node, Slot, required, slot_refs

NONE = "none"
"""The answer for anything that is not a command for this home."""

_NOT_VALUES = set(TARGET_SLOTS) | {"state", "temperature_unit"}
_NUMBER_RANGES = {"percentage": (0, 100), "temperature": (-40, 120), "integer": (0, 1000),
                  "number": (0, 1000), "duration": (1, 3600)}
QUESTIONS = frozenset({"get_state"})
"""Intents the model is not offered: a question needs what only templates capture (which
state, which reading), and a guessed question is no command."""
MAX_CHOICES = 2000
"""Largest number of values one numeric slot may offer (a list range is cut there)."""


@dataclass(frozen=True, slots=True)
class ValueSlot:
    """One value the answer carries after the target."""

    name: str
    """Key in :attr:`Intent.slots` (the name the templates capture it under)."""
    words: tuple[str, ...]
    """What the model may write."""
    values: dict[str, Any] = field(default_factory=dict)
    """Written word -> canonical slot value."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a target phrase means."""

    device: str | None = None
    """A device id; None for the intent's kind of device."""
    area: str | None = None


@dataclass(frozen=True, slots=True)
class IntentForm:
    """What may follow one intent's phrase."""

    name: str
    phrase: str
    targeted: bool
    targets: dict[str, Target] = field(default_factory=dict)
    """Target phrase -> device or (kind of device, area)."""
    values: tuple[ValueSlot, ...] = ()
    grouped: tuple[str, ...] = ()
    """Devices the kind-of-device targets can mean."""

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(t.device for t in self.targets.values() if t.device)

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(t.area for t in self.targets.values() if t.device is None and t.area)


@dataclass(frozen=True, slots=True)
class Reading:
    """A complete answer, taken apart."""

    intent: str | None
    device: str | None = None
    area: str | None = None
    group: bool = False
    """The target was the intent's kind of device, not a named one."""
    values: dict[str, Any] = field(default_factory=dict)
    words: tuple[str, ...] = ()


def required_slots(node: Node) -> frozenset[str]:
    """Names of the slots every reading of a template captures."""
    return required(node, lambda n: frozenset((n.name,)) if isinstance(n, Slot) else frozenset())


def value_slot_names(sentences: list[Sentence]) -> list[tuple[str, str]]:
    """``(slot name, list name)`` an intent's answer carries: slots that every sentence
    of the intent either captures or fixes by itself (``slots:`` in the intent file)."""
    lists: dict[str, str] = {}
    for s in sentences:
        for ref in slot_refs(s.tree):
            if ref.name not in _NOT_VALUES and ref.list_name not in _NOT_VALUES:
                lists.setdefault(ref.name, ref.list_name)
    out = []
    for name, list_name in lists.items():
        if all(name in required_slots(s.tree) or s.fixed for s in sentences):
            out.append((name, list_name))
    return out


def phrase_of(name: str) -> str:
    """An intent name in words: ``brightness_up`` -> "brightness up", ``orderDrink`` -> "order drink"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace(".", " ").lower().strip()


def kind_word(kinds: tuple[str, ...]) -> str:
    """The plural word people use for exactly these kinds ("lights"), else "all"."""
    want = set(kinds)
    best = [(len(set(ks) - want), i, word) for i, (word, ks) in enumerate(vocab.KINDS.items())
            if want <= set(ks) and word.endswith("s") and " " not in word and "*" not in ks]
    return min(best)[2] if best else "all"


class OutputGrammar:
    """The answers one config allows, as a small state machine over phrases."""

    def __init__(self, registry: Registry, intents: IntentSet) -> None:
        self.registry = registry
        self.intents = intents
        by_intent: dict[str, list[Sentence]] = {}
        for s in intents.sentences:
            by_intent.setdefault(s.intent, []).append(s)
        self.device_phrases = self._device_phrases()
        self.forms: dict[str, IntentForm] = {}
        for name, sentences in by_intent.items():
            if name in QUESTIONS:
                continue
            form = self._form(name, intents.intents.get(name), sentences)
            if form is not None and form.phrase != NONE:
                self.forms[form.phrase] = form
        self.by_name = {f.name: f for f in self.forms.values()}

    # ------------------------------------------------------------------ building
    def _device_phrases(self) -> dict[str, str]:
        """Device id -> a phrase naming only it (its name; plus its room when names repeat)."""
        reg = self.registry
        names = [d.name.lower() for d in reg.devices.values()]
        out: dict[str, str] = {}
        for d in reg.devices.values():
            phrase = d.name.lower()
            if names.count(phrase) > 1 and d.area in reg.areas:
                phrase = f"{phrase} in {reg.areas[d.area].name.lower()}"
            if phrase in out.values():
                phrase = f"{phrase} {d.id}"
            out[d.id] = phrase
        return out

    def _form(self, name: str, spec: IntentSpec | None, sentences: list[Sentence]) -> IntentForm | None:
        values = tuple(v for v in (self._value_slot(n, ln) for n, ln in value_slot_names(sentences)) if v)
        phrase = phrase_of(name)
        if not needs_targets(name, spec):
            return IntentForm(name, phrase, False, values=values)
        devices = [d for d in self.registry.devices.values() if supports(d, name, spec)]
        if not devices:
            return None  # nothing in this home can do it
        kinds = spec.kinds if spec and spec.kinds else ("*",)
        targets = {self.device_phrases[d.id]: Target(d.id) for d in devices}
        grouped = [d for d in devices if any(kind_matches(d, k) for k in kinds)]
        if len(grouped) > 1:
            word = kind_word(kinds)
            targets.setdefault(word, Target())
            for a in self.registry.areas.values():
                if sum(1 for d in grouped if d.area == a.id) >= 1:
                    targets.setdefault(f"{word} in {a.name.lower()}", Target(None, a.id))
        return IntentForm(name, phrase, True, targets, values, tuple(d.id for d in grouped))

    def _value_slot(self, name: str, list_name: str) -> ValueSlot | None:
        user = self.intents.lists.get(list_name)
        if list_name == "color":
            canon = list(vocab.COLORS) + [str(v) for _, v in (user.values if user else ())]
            words = tuple(dict.fromkeys(canon))
            return ValueSlot(name, words, {w: w for w in words})
        if user is not None and user.number_range:
            lo, hi, step = user.number_range
            return _numbers(name, lo, hi, step)
        if user is not None:
            values = {str(v): v for _, v in user.values}
            return ValueSlot(name, tuple(values), values)
        if list_name in _NUMBER_RANGES:
            lo, hi = _NUMBER_RANGES[list_name]
            return _numbers(name, lo, hi, 1)
        return None

    # ------------------------------------------------------------------ walking
    def next(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        """Phrases allowed after ``words``, and whether the answer may end there."""
        if not words:
            return (NONE, *self.forms), False
        if words[0] == NONE:
            return (), len(words) == 1
        form = self.forms[words[0]]
        rest = words[1:]
        if form.targeted:
            if not rest:
                return tuple(form.targets), False
            rest = rest[1:]
        if len(rest) < len(form.values):
            return form.values[len(rest)].words, False
        return (), True

    def parse(self, words: tuple[str, ...]) -> Reading:
        """Take a complete answer apart (raises ``ValueError`` for one the grammar forbids)."""
        for i in range(len(words)):
            allowed, _ = self.next(words[:i])
            if words[i] not in allowed:
                raise ValueError(f"{words[i]!r} cannot follow {' '.join(words[:i]) or 'the start'}")
        if not self.next(words)[1]:
            raise ValueError(f"answer {' '.join(words)!r} is incomplete")
        if words[0] == NONE:
            return Reading(None, words=words)
        form = self.forms[words[0]]
        rest = words[1:]
        target = Target()
        if form.targeted:
            target, rest = form.targets[rest[0]], rest[1:]
        values = {v.name: v.values[w] for v, w in zip(form.values, rest)}
        return Reading(form.name, target.device, target.area, form.targeted and target.device is None,
                       values, words)

    def render(self, intent: str, device: str | None = None, area: str | None = None,
               values: tuple[Any, ...] = ()) -> tuple[str, ...] | None:
        """The answer phrases for an intent (None when the grammar cannot say it)."""
        form = self.by_name.get(intent)
        if form is None:
            return None
        out = [form.phrase]
        if form.targeted:
            want = Target(device, None if device else area)
            match = [p for p, t in form.targets.items() if t == want]
            if not match:
                return None
            out.append(match[0])
        out += [str(v) for v in values]
        return tuple(out)

    def caps(self, reading: Reading) -> dict[str, Any]:
        """The reading as captured slots, the way :func:`agent.understanding.resolve.resolve` takes them."""
        caps: dict[str, Any] = dict(reading.values)
        if reading.device is not None:
            caps["device"] = DeviceRef(self.registry.devices[reading.device].name, (reading.device,))
        if reading.area is not None:
            caps["area"] = reading.area
        return caps

    def to_gbnf(self) -> str:
        """The same language in llama.cpp's GBNF notation (for reading and debugging)."""
        def alt(words) -> str:
            return " | ".join('"' + w.replace('"', '\\"') + '"' for w in words) or '""'

        lines = [f'root ::= "{NONE}" | ' + " | ".join(f"i{i}" for i in range(len(self.forms)))]
        for i, form in enumerate(self.forms.values()):
            parts = [f'"{form.phrase}"']
            if form.targeted:
                parts.append(f"({alt(form.targets)})")
            parts += [f"({alt(v.words[:50])}{' | ...' if len(v.words) > 50 else ''})" for v in form.values]
            lines.append(f"i{i} ::= " + ' " " '.join(parts))
        return "\n".join(lines) + "\n"


def _numbers(name: str, lo: float, hi: float, step: float) -> ValueSlot:
    values: dict[str, Any] = {}
    x = lo
    while x <= hi + 1e-9 and len(values) < MAX_CHOICES:
        v: Any = int(round(x)) if abs(x - round(x)) < 1e-9 else round(x, 3)
        values[str(v)] = v
        x += step
    return ValueSlot(name, tuple(values), values)


class Narrowed:
    """The grammar narrowed to what one utterance's words support (same interface)."""

    def __init__(self, base: OutputGrammar, targets: dict[str, tuple[str, ...]],
                 values: dict[str, frozenset[str]]) -> None:
        self.base = base
        self.targets = targets
        """Intent phrase -> target phrases allowed; intents missing here are not allowed."""
        self.values = values
        """Slot name -> value words allowed (a slot missing here allows none)."""
        self.forms = {p: f for p, f in base.forms.items() if p in targets}
        self.registry = base.registry

    def next(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        options, end = self.base.next(words)
        if not words:
            return (NONE, *self.forms), end
        if words[0] == NONE:
            return options, end
        form = self.base.forms[words[0]]
        k = len(words) - 1
        if form.targeted:
            if k == 0:
                allowed = self.targets.get(words[0], ())
                return tuple(o for o in options if o in allowed), end
            k -= 1
        if k < len(form.values):
            allowed = self.values.get(form.values[k].name, frozenset())
            return tuple(o for o in options if o in allowed), end
        return options, end

    def parse(self, words: tuple[str, ...]) -> Reading:
        return self.base.parse(words)

    def caps(self, reading: Reading) -> dict[str, Any]:
        return self.base.caps(reading)
