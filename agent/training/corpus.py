"""The teacher corpus: utterances and the answers the grammar allows, from random homes.

``training/phrases.yaml`` holds the ways people ask, written for this project as
patterns. For each random home (:mod:`agent.training.homes`) the patterns are filled with
that home's device names, aliases, rooms and values, and each example's answer is written
by the same :class:`agent.slm.grammar.OutputGrammar` the daemon decodes with, so the
training answers and the runtime grammar can never disagree. Text goes through the
project's normaliser, as the daemon's input does.

An example's ``mask`` is set when the utterance names its device by an alias: the model
never sees the home, so it cannot know that "the big light" is the "ceiling lamp" and is
not taught to guess the target there (the grammar narrowed to the home's words makes
that choice at run time); it still learns the action and the values.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from .. import vocab
from ..config import Config, parse_config
from ..understanding.intents import IntentSet, load_intents
from ..normalize import tokens
from ..understanding.registry import Registry
from ..understanding.resolve import kind_matches
from ..slm.grammar import NONE, IntentForm, OutputGrammar
from ..understanding.templates import Alt, Node, RuleRef, Seq, Slot, Word, parse_template
from ..understanding.template_engine import TemplateEngine
from .homes import ROOT, HomeMaker

PHRASES = ROOT / "training" / "phrases.yaml"
NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
SLIPS = {"to": "two", "for": "four", "off": "of", "on": "an", "light": "like", "lights": "lice",
         "the": "a", "turn": "tern", "lamp": "lamb", "blinds": "blonds", "kitchen": "chicken",
         "heating": "eating", "lock": "look", "door": "dour", "fan": "fun", "tv": "tea v",
         "bedroom": "bed room", "volume": "volumes", "music": "muse ick"}
"""Recogniser-like slips: a word heard as a near one."""

JOINTS = ("and", "and then", "then", "and also", "also", "plus", "after that", "and after that")
"""How two commands are joined in the corpus's compound examples (agent/compound.py splits at these)."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    """The utterance, normalised as the daemon normalises input."""
    answer: tuple[str, ...]
    """The grammar's words (``("turn off", "kitchen light")``, ``("none",)``)."""
    mask_target: bool = False
    """Do not teach the target phrase (an alias the model cannot know)."""
    home: str = ""
    kind: str = ""
    """Which part of the corpus made it (intent/section, negatives, questions)."""


def number_words(n: int) -> str:
    if n < 20:
        return NUMBER_WORDS[n]
    if n < 100:
        return TENS[n // 10 - 2] + ("" if n % 10 == 0 else " " + NUMBER_WORDS[n % 10])
    return "one hundred" if n == 100 else str(n)


class Phrases:
    """The parsed pattern file."""

    def __init__(self, path: Path = PHRASES) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.text = path.read_bytes()
        self.rules = {k: parse_template(v) for k, v in data["rules"].items()}
        self.intents: dict[str, dict[str, list[Node]]] = {}
        self.values: dict[str, dict[tuple[str, ...], int]] = {}
        for name, sections in data["intents"].items():
            self.intents[name] = {s: [parse_template(p) for p in pats] for s, pats in sections.items()
                                  if s != "values"}
            self.values[name] = {tokens(k, fragment=True): v for k, v in (sections.get("values") or {}).items()}
        self.questions = [parse_template(p) for p in data["questions"]]
        self.negatives = [parse_template(p) for p in data["negatives"]]
        self.followups = [parse_template(p) for p in data.get("followups") or ()]
        self.by_name = [(re.compile(e["name"], re.I),
                         {k: [parse_template(p) for p in v] for k, v in e.items() if k != "name"})
                        for e in data["by_name"]]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text).hexdigest()


@dataclass
class _Fill:
    """What one expansion filled in."""

    target: str | None = None
    alias: bool = False
    values: dict[str, int | str] = field(default_factory=dict)
    used_room: bool = False


_INTENT_SETS: dict[tuple[Path, ...], IntentSet] = {}


def _intents(paths: tuple[Path, ...]) -> IntentSet:
    """Intent files parsed once per set of files (every random home shares them)."""
    got = _INTENT_SETS.get(paths)
    if got is None:
        got = _INTENT_SETS[paths] = load_intents(paths)
    return got


class HomeCorpus:
    """Examples for one random home."""

    def __init__(self, phrases: Phrases, home: dict[str, Any] | Config, rng: random.Random) -> None:
        self.p = phrases
        self.rng = rng
        cfg = home if isinstance(home, Config) else parse_config(home, ROOT / "config" / f"{home['site']}.yaml")
        self.config = cfg
        self.intents = _intents(cfg.intents)
        self.reg = Registry(cfg, self.intents)  # no template matching is needed to write examples
        self.grammar = OutputGrammar(self.reg, self.intents)
        self.site = cfg.site

    # ------------------------------------------------------------------ expansion
    def expand(self, node: Node, fill: _Fill, target) -> list[str] | None:
        rng = self.rng
        if isinstance(node, Word):
            return [node.text]
        if isinstance(node, RuleRef):
            if node.name == "t":
                return target(fill)
            return self.expand(self.p.rules[node.name], fill, target)
        if isinstance(node, Slot):
            return self.slot(node.list_name, fill, target)
        if isinstance(node, Seq):
            out: list[str] = []
            for item in node.items:
                part = self.expand(item, fill, target)
                if part is None:
                    return None
                out += part
            return out
        if isinstance(node, Alt):
            if node.optional and rng.random() < 0.6:
                return []
            return self.expand(rng.choice(node.options), fill, target)
        return None

    def slot(self, name: str, fill: _Fill, target) -> list[str] | None:
        rng = self.rng
        if name == "dev":
            return target(fill)
        if name == "room":
            return fill.values.get("room_words")  # set by the caller for room sentences
        if name == "color":
            c = rng.choice(list(vocab.COLORS))
            fill.values["color"] = c
            return [c]
        if name in ("pct", "pos", "vol"):
            n = rng.choice((rng.randint(1, 100), rng.randrange(10, 101, 10), rng.randrange(5, 100, 5)))
            fill.values[name] = n
            return [str(n) if rng.random() < 0.5 else number_words(n)]
        if name == "temp":
            n = rng.randint(16, 28)
            fill.values[name] = n
            return [str(n) if rng.random() < 0.5 else number_words(n)]
        return None

    # ------------------------------------------------------------------ targets
    def device_words(self, dev_id: str, fill: _Fill) -> list[str]:
        rng, d = self.rng, self.reg.devices[dev_id]
        name = d.name
        if d.aliases and rng.random() < 0.3:
            name = rng.choice(d.aliases)
            fill.alias = True
        words = [rng.choice(("the", "the", "my", "our", ""))] + name.lower().split()
        if d.area in self.reg.areas and rng.random() < 0.12:
            room = self.reg.areas[d.area].name.lower()
            if room not in name.lower():
                words += rng.choice((["in", "the"], ["in"], ["from", "the"])) + room.split()
        return [w for w in words if w]

    def kind_words(self, form: IntentForm, area: str | None) -> list[str] | None:
        devs = [self.reg.devices[i] for i in form.grouped
                if area is None or self.reg.devices[i].area == area]
        words = [w for w, ks in vocab.KINDS.items() if "*" not in ks and
                 any(kind_matches(d, k) for d in devs for k in ks)]
        return self.rng.choice(words).split() if words else None

    def room_words(self, area: str) -> list[str]:
        a = self.reg.areas[area]
        return self.rng.choice((a.name,) * 2 + a.aliases).lower().split()

    def group_phrase(self, form: IntentForm, area: str | None) -> list[str] | None:
        rng = self.rng
        kind = self.kind_words(form, area)
        if kind is None:
            return None
        lead = rng.choice((["the"], ["the"], ["all", "the"], ["all"], [], ["every"] if not kind[-1].endswith("s") else ["the"]))
        if area is None:
            return lead + kind
        room = self.room_words(area)
        return rng.choice((lead + room + kind, lead + kind + ["in", "the"] + room, room + kind,
                           lead + kind + ["in"] + room))

    # ------------------------------------------------------------------ examples
    def example(self, intent: str, section: str, pattern: Node) -> Example | None:
        rng = self.rng
        form = self.grammar.by_name.get(intent)
        if form is None:
            return None
        fill = _Fill()
        device = area = None
        group_ok = any(t.device is None for t in form.targets.values())
        if section == "t":
            if group_ok and rng.random() < 0.4 and intent != "activate_scene":  # a scene is named, never "the scenes"
                areas = sorted({self.reg.devices[i].area for i in form.grouped} - {None})
                area = rng.choice(areas) if areas and rng.random() < 0.6 else None
                phrase = self.group_phrase(form, area)
                if phrase is None:
                    return None
                target = lambda f, p=phrase: p  # noqa: E731
            else:
                if not form.devices:
                    return None
                device = rng.choice(form.devices)
                target = lambda f, d=device: self.device_words(d, f)  # noqa: E731
        elif section == "room":
            areas = sorted({self.reg.devices[i].area for i in (form.grouped or form.devices)} - {None})
            if not areas:
                return None
            area = rng.choice(areas)
            fill.values["room_words"] = self.room_words(area)
            target = lambda f: None  # noqa: E731
            members = [i for i in (form.grouped or form.devices) if self.reg.devices[i].area == area]
            if not group_ok or self.grammar.render(intent, None, area) is None:
                if len(members) != 1:
                    return None
                device, area = members[0], None
        elif section == "bare":
            target = lambda f: None  # noqa: E731
            if not group_ok:
                if len(form.devices) != 1:
                    return None
                device = form.devices[0]
        else:
            return None
        words = self.expand(pattern, fill, target)
        if words is None:
            return None
        values = []
        for v in form.values:
            got = self._value(intent, v.name, fill, words)
            if got is None:
                return None
            values.append(got)
        answer = self.grammar.render(intent, device, area if device is None else None, tuple(values))
        if answer is None:
            return None
        return self._finish(words, answer, fill.alias, f"{intent}/{section}")

    def _value(self, intent: str, slot: str, fill: _Fill, words: list[str]):
        for key in ("pct", "pos", "vol", "temp", "color"):
            if key in fill.values:
                return fill.values[key]
        said = tuple(tokens(" ".join(words), fragment=True))
        for phrase, value in sorted(self.p.values.get(intent, {}).items(), key=lambda kv: -len(kv[0])):
            if any(said[i:i + len(phrase)] == phrase for i in range(len(said))):
                return value
        return None

    def _finish(self, words: list[str], answer: tuple[str, ...], alias: bool, kind: str) -> Example | None:
        text = " ".join(words)
        toks = list(tokens(text))
        toks = self.slip(toks)
        if not toks or len(toks) > 24:
            return None
        return Example(" ".join(toks), tuple(answer), alias, self.site, kind)

    def slip(self, toks: list[str]) -> list[str]:
        """Recogniser-like noise on a few examples: a dropped, doubled or misheard word."""
        rng = self.rng
        r = rng.random()
        if len(toks) < 3:
            return toks  # "lights" heard as "lice" alone is no command at all
        if len(toks) > 3 and r < 0.05:
            del toks[rng.randrange(len(toks))]
        elif len(toks) > 1 and r < 0.08:
            i = rng.randrange(len(toks))
            toks.insert(i, toks[i])
        elif r < 0.13:
            idx = [i for i, t in enumerate(toks) if t in SLIPS]
            if idx:
                i = rng.choice(idx)
                toks[i:i + 1] = SLIPS[toks[i]].split()
        return toks

    def questions(self) -> Example | None:
        forms = [f for f in self.grammar.forms.values() if f.devices]
        if not forms:
            return None
        form = self.rng.choice(forms)
        dev = self.rng.choice(form.devices)
        fill = _Fill()
        words = self.expand(self.rng.choice(self.p.questions), fill, lambda f: self.device_words(dev, f))
        return None if words is None else self._finish(words, (NONE,), False, "questions")

    def negative(self) -> Example | None:
        fill = _Fill()
        words = self.expand(self.rng.choice(self.p.negatives), fill, lambda f: None)
        return None if words is None else self._finish(words, (NONE,), False, "negatives")

    def followup(self) -> Example | None:
        """A phrase that only makes sense after an earlier command ("now turn it off"): the
        conversation reads it (agent/dialogue.py); the model, which does not see the
        conversation, must not guess what "it" is."""
        if not self.p.followups:
            return None
        fill = _Fill()
        words = self.expand(self.rng.choice(self.p.followups), fill, lambda f: self.device_words(
            self.rng.choice(list(self.reg.devices)), f))
        return None if words is None else self._finish(words, (NONE,), False, "followups")

    def compound(self, jobs: list[tuple[str, str]], weights: list[float]) -> Example | None:
        """Two commands in one breath ("close the blinds and dim the lamp"): the conversation
        splits them at the joint and asks for each part (agent/dialogue.py); given the whole,
        the model answers none rather than act on one half."""
        rng = self.rng
        parts = []
        for _ in range(2):
            intent, section = rng.choices(jobs, weights)[0]
            ex = self.example(intent, section, rng.choice(self.p.intents[intent][section]))
            if ex is None or ex.answer == (NONE,):
                return None
            parts.append(ex.text)
        joint = rng.choice(JOINTS)
        text = f"{parts[0]} {joint} {parts[1]}"
        return None if len(text.split()) > 24 else Example(text, (NONE,), False, self.site, "compound")

    def named(self) -> Example | None:
        rng = self.rng
        for pattern_re, by_intent in rng.sample(self.p.by_name, len(self.p.by_name)):
            devs = [d for d in self.reg.devices.values() if pattern_re.search(d.name)]
            if not devs:
                continue
            dev = rng.choice(devs)
            intent = rng.choice(list(by_intent))
            fill = _Fill()
            words = self.expand(rng.choice(by_intent[intent]), fill, lambda f: None)
            answer = self.grammar.render(intent, dev.id)
            if words is None or answer is None:
                return None
            return self._finish(words, answer, False, f"{intent}/by_name")
        return None

    def sample(self, n: int) -> list[Example]:
        """``n`` examples drawn across intents, sections, questions and negatives."""
        rng = self.rng
        jobs: list[tuple[str, str]] = []
        weights: list[float] = []
        for intent, sections in self.p.intents.items():
            if intent not in self.grammar.by_name:
                continue
            for section, pats in sections.items():
                jobs.append((intent, section))
                weights.append(len(pats) ** 0.5)  # every intent is taught, the richer ones more
        out: list[Example] = []
        seen: set[str] = set()
        for _ in range(n * 4):
            if len(out) >= n:
                break
            r = rng.random()
            if r < 0.10:
                ex = self.negative()
            elif r < 0.14:
                ex = self.questions()
            elif r < 0.24:  # appliances asked for by what they make ("brew me a coffee")
                ex = self.named()
            elif r < 0.27 and jobs:
                ex = self.compound(jobs, weights)
            elif r < 0.29:
                ex = self.followup()
            elif jobs:
                intent, section = rng.choices(jobs, weights)[0]
                ex = self.example(intent, section, rng.choice(self.p.intents[intent][section]))
            else:
                ex = None
            if ex is not None and ex.text not in seen:
                seen.add(ex.text)
                out.append(ex)
        return out


def build(seed: int, homes: int, per_home: int, phrases: Phrases | None = None) -> Iterator[Example]:
    """The corpus: ``per_home`` examples from each of ``homes`` random homes, in a fixed
    order for a given seed."""
    phrases = phrases or Phrases()
    rng = random.Random(seed)
    maker = HomeMaker(rng)
    for i in range(homes):
        yield from HomeCorpus(phrases, maker(i), rng).sample(per_home)


def own_home(config: Config, n: int, seed: int, phrases: Phrases | None = None) -> list[Example]:
    """Examples for the user's own home: the corpus's patterns filled with its names, and
    its own templates (custom intents and lists included) expanded with its names, each
    checked against the template engine (:class:`agent.slm.prompt.PromptBuilder`)."""
    from ..slm.prompt import PromptBuilder

    rng = random.Random(seed)
    home = HomeCorpus(phrases or Phrases(), config, rng)
    out = home.sample(n)
    per_intent = max(3, n // (4 * max(1, len(home.grammar.forms))))
    builder = PromptBuilder(TemplateEngine(config, home.intents), home.grammar, per_intent=per_intent, seed=seed)
    seen = {e.text for e in out}
    for ex in builder.examples():
        if ex.text not in seen:
            seen.add(ex.text)
            out.append(Example(ex.text, tuple(ex.answer), False, home.site, "own-templates"))
    return out


def digest(examples: list[Example]) -> str:
    """sha256 of the corpus as written (one JSON line per example)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update((json.dumps(asdict(ex)) + "\n").encode("utf-8"))
    return h.hexdigest()


def write_jsonl(examples, path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(asdict(ex)) + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> list[Example]:
    out = []
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        out.append(Example(d["text"], tuple(d["answer"]), d.get("mask_target", False), d.get("home", ""),
                           d.get("kind", "")))
    return out
