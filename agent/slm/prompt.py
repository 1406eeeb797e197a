"""The prompt, made from data: the home's devices and rooms, and examples generated from
the intent templates and the registry.

Each example is a template expanded at random with the home's own names filled in
("dim bedroom light to 30 percent"), understood by the template engine, and written
as the answer the grammar allows (``set_brightness light.bedroom 30``). An example is
kept only when that answer, resolved like a model's answer, gives the same intent,
devices and slots as the templates did, so the examples can never teach a wrong answer.
A new device or intent changes the examples; nothing is trained.

The prompt is built as tokens, not text, so the answers in the examples are tokenized
exactly as the decoder will write them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

from .. import vocab
from ..config import Device
from ..normalize import tokens as norm_tokens
from ..understanding.resolve import kind_matches, resolve
from ..understanding.templates import Alt, Node, Seq, Slot, Word
from ..understanding.template_engine import TemplateEngine
from .grammar import NONE, OutputGrammar

OUT_OF_SCOPE = (
    "tell me a joke",
    "what is capital of france",
)
"""Requests no home device can act on; they teach the answer ``none``."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    answer: tuple[str, ...]


def clean(text: str) -> str:
    """The utterance as the model sees it: the normaliser's words (numbers as digits)."""
    return " ".join(norm_tokens(text))


class _Fill:
    """Slot values for one example: the chosen device or area, random values otherwise."""

    def __init__(self, rng: random.Random, engine: TemplateEngine, device: Device | None,
                 area: str | None, kinds: tuple[str, ...]) -> None:
        self.rng, self.reg, self.device, self.area, self.kinds = rng, engine.registry, device, area, kinds
        self.used: set[str] = set()

    def __call__(self, slot: Slot) -> str | None:
        rng, reg, lst = self.rng, self.reg, slot.list_name
        self.used.add(lst)
        if lst in ("device", "name"):
            if self.device is None:
                return None
            return rng.choice((self.device.name,) * 2 + self.device.aliases)
        if lst == "area":
            if self.area is None:
                return None
            a = reg.areas[self.area]
            return rng.choice((a.name,) * 2 + a.aliases)
        if lst == "kind":
            dev = self.device
            words = [w for w, ks in vocab.KINDS.items() if any(
                (kind_matches(dev, k) if dev else k in self.kinds) for k in ks if k != "*")]
            return rng.choice(words) if words else None
        if lst == "color":
            return rng.choice(list(vocab.COLORS))
        if lst in ("percentage", "integer", "number"):
            return str(rng.choice(range(10, 100, 10)))
        if lst == "temperature":
            return str(rng.randint(17, 25))
        user = reg.intents.lists.get(lst)
        if user is not None and user.values:
            return " ".join(rng.choice(user.values)[0])
        if user is not None and user.number_range:
            lo, hi, step = user.number_range
            return str(int(lo + step * rng.randint(0, int((hi - lo) / step))))
        return None  # floors, states, measures: leave such templates to other examples


def expand_random(node: Node, rng: random.Random, fill: _Fill) -> list[str] | None:
    """One random reading of a template (short ones preferred); None if a slot has no value."""
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Slot):
        v = fill(node)
        return None if v is None else [v]
    if isinstance(node, Seq):
        out: list[str] = []
        for item in node.items:
            part = expand_random(item, rng, fill)
            if part is None:
                return None
            out += part
        return out
    if isinstance(node, Alt):
        if node.optional and rng.random() < 0.75:
            return []
        return expand_random(rng.choice(node.options), rng, fill)
    return None


class PromptBuilder:
    """Header and few-shot examples for one config."""

    def __init__(self, engine: TemplateEngine, grammar: OutputGrammar, *, per_intent: int = 3,
                 seed: int = 7) -> None:
        self.engine = engine
        self.grammar = grammar
        self.per_intent = per_intent
        self.seed = seed

    # ------------------------------------------------------------------ text
    def header(self) -> str:
        reg = self.engine.registry
        lines = [
            "Say what each smart-home command means: the action, then the device (or the kind "
            "of device and the room), then a value if the action needs one. Say "
            f"\"{NONE}\" if the command is not for these devices.",
            "Devices:",
        ]
        for d in reg.devices.values():
            names = ", ".join(dict.fromkeys(n.lower() for n in (d.name, *d.aliases)))
            where = f", in {reg.areas[d.area].name.lower()}" if d.area in reg.areas else ""
            lines.append(f"{self.grammar.device_phrases[d.id]}: {names} ({d.type.replace('_', ' ')}{where})")
        if reg.areas:
            rooms = "; ".join(", ".join(dict.fromkeys(n.lower() for n in (a.name, *a.aliases)))
                              for a in reg.areas.values())
            lines.append(f"Rooms: {rooms}")
        lines.append("Actions: " + ", ".join(self.grammar.forms))
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ examples
    def examples(self) -> list[Example]:
        rng = random.Random(self.seed)
        out: list[Example] = []
        for form in self.grammar.forms.values():
            sentences = [s for s in self.engine.sentences if s.intent == form.name]
            got: list[Example] = []
            modes = ["device", "area", "all"] if form.targeted else ["none"]
            for attempt in range(60 * self.per_intent):
                if len(got) >= self.per_intent:
                    break
                ex = self._one(rng, form, sentences, modes[attempt % len(modes)])
                if ex is not None and all(ex.text != g.text and ex.answer != g.answer for g in got):
                    got.append(ex)
            out += got
        out += [Example(t, (NONE,)) for t in OUT_OF_SCOPE]
        rng.shuffle(out)
        return out

    def _one(self, rng: random.Random, form, sentences, mode: str) -> Example | None:
        reg = self.engine.registry
        device = area = None
        if mode == "device" and form.devices:
            device = reg.devices[rng.choice(form.devices)]
        elif mode == "area" and form.areas:
            area = rng.choice(form.areas)
        elif mode in ("device", "area"):
            return None
        spec = self.engine.intents.intents.get(form.name)
        fill = _Fill(rng, self.engine, device, area, spec.kinds if spec else ())
        tree = rng.choice(sentences).tree
        best: list[str] | None = None
        for _ in range(6):  # the shortest of a few readings: plain sentences teach best
            fill.used = set()
            words = expand_random(tree, rng, fill)
            named = bool(fill.used & {"device", "name"})
            if words is None or named != (device is not None) or (
                    ("area" in fill.used) != (area is not None and not named)):
                continue
            if best is None or len(words) < len(best):
                best = words
        if not best or len(best) > 10:
            return None
        text = " ".join(best)
        got = self.engine.understand(text)
        if got.name != form.name:
            return None
        named = "device" in fill.used or "name" in fill.used
        values = tuple(_word(got.slots.get(v.name)) for v in form.values)
        answer = self.grammar.render(form.name, device.id if named and device else None,
                                     area if "area" in fill.used and not named else None, values)
        if answer is None:
            return None
        try:
            reading = self.grammar.parse(answer)
        except ValueError:
            return None
        res = resolve(reg, form.name, spec, self.grammar.caps(reading), self.engine.config.area)
        if res.error or (res.intent, res.targets, res.slots) != (got.name, got.targets, got.slots):
            return None
        return Example(clean(text), answer)

    # ------------------------------------------------------------------ tokens
    def tokens(self, model, examples: Sequence[Example]) -> list[int]:
        """BOS, header, the examples, then ``Command:`` waiting for an utterance."""
        toks = model.bos() + model.tokenize(self.header())
        cmd = model.tokenize("Command:")
        nl = model.tokenize("\n")
        for ex in examples:
            toks += cmd + utterance_tokens(model, ex.text) + answer_tokens(model, ex.answer) + nl
        return toks + cmd


def trained_prefix(model) -> list[int]:
    """The whole constant prompt of a model trained for this job (:mod:`agent.training`):
    BOS and ``Command:``; the utterance and the answer follow as in the examples above."""
    return model.bos() + model.tokenize("Command:")


def utterance_tokens(model, text: str) -> list[int]:
    return model.tokenize(" " + text + "\nAction:")


def answer_tokens(model, words: Sequence[str]) -> list[int]:
    out: list[int] = []
    for w in words:
        out += model.tokenize(" " + w)
    return out


def _word(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
