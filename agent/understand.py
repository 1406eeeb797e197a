"""Where text becomes an intent: sentence templates first, then (optionally) a small model.

:class:`TemplateEngine` is deterministic and fast: pre-filter sentences by the words
they require, match, resolve each reading against the home, keep the best. An exact
pass runs first; a fuzzy pass (misheard names) only when nothing matched exactly.
"""

from __future__ import annotations

import time
from typing import Protocol

from .config import Config
from .errors import ConfigError, InputRejected
from .intents import IntentSet, load_intents
from .messages import Intent
from .normalize import FILLERS, is_number, tokens
from .registry import DeviceRef, Registry
from .resolve import resolve
from .templates import NUM, Alt, FirstSets, Matcher, Seq, Word, prime

MAX_TEXT = 1000
"""Longest utterance accepted, in characters (nobody speaks a 1,000-character command)."""
MAX_READINGS = 64
"""Readings tried per sentence template before moving on."""


class Understander(Protocol):
    """One stage: text in, intent out."""

    def understand(self, text: str, *, area: str | None = None) -> Intent: ...


def check_text(text: str) -> str:
    """Reject input that cannot be an utterance; say why."""
    if len(text) > MAX_TEXT:
        raise InputRejected(f"line of {len(text)} characters is longer than {MAX_TEXT}; "
                            "send one command per line")
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t") or ch == "\ufffd")
    if bad:
        raise InputRejected(f"line holds {bad} control or undecodable character(s); "
                            "send UTF-8 text, one command per line")
    return text.strip()


class TemplateEngine:
    """Sentence templates matched against a registry."""

    engine = "template"

    def __init__(self, config: Config, intents: IntentSet | None = None) -> None:
        self.config = config
        self.intents = intents if intents is not None else load_intents(config.intents)
        self.registry = Registry(config, self.intents)
        self.sentences = self.intents.sentences
        self._first = {fuzzy: FirstSets(self.registry.slot_first(fuzzy)) for fuzzy in (False, True)}
        for first in self._first.values():
            for sentence in self.sentences:
                prime(sentence.tree, first)
        self.known = known_words(self)
        self.names = self._names(config.understanding.names)

    def _names(self, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        out, problems = [], []
        for name in names:
            toks = tokens(name, fragment=True)  # as utterances are: "hey computer" -> computer
            if not toks or all(t in self.known or is_number(t) for t in toks):
                problems.append(f"{self.config.path}: understanding.names: {name!r} is a word commands "
                                "use (or no word at all); dropping it from utterances would change "
                                "what they mean; choose a name like 'jarvis'")
            out.append(toks)
        if problems:
            raise ConfigError(problems)
        return tuple(out)

    def words(self, text: str) -> tuple[str, ...]:
        """The utterance's tokens as matched: normalised, the agent's own name dropped."""
        return tokens(text, names=self.names)

    def understand(self, text: str, *, area: str | None = None) -> Intent:
        text = check_text(text)
        toks = self.words(text)
        speaker_area = area if area is not None else self.config.area
        if not toks:
            return Intent(text, None, reason="nothing to understand")
        words = set(toks)
        candidates = [s for s in self.sentences if s.min_len <= len(toks) and s.required <= words]
        starts = {toks[0], NUM if is_number(toks[0]) else toks[0]}
        info = self._first[False].info
        exact = [s for s in candidates if _may_start(info[id(s.tree)], starts)]
        best, why, readings = self._best(exact, toks, speaker_area, fuzzy=False)
        if best is None and not readings and self.registry.fuzzy_cutoff < 1.0:
            # Only when no sentence fits the words at all: a home that lacks what was
            # named exactly ("the kitchen fans") must say so, not reach for a look-alike.
            best, why, _ = self._best(candidates, toks, speaker_area, fuzzy=True)
        if best is None:
            return Intent(text, None, reason=why or "no sentence matched")
        name, targets, slots, score = best
        return Intent(text, name, targets, slots, "template", round(score, 3))

    def _best(self, candidates, toks, speaker_area, *, fuzzy: bool):
        matcher = Matcher(toks, self.registry.matchers(fuzzy), self._first[fuzzy])
        best_key = None
        best = None
        why = ""
        readings = 0
        for sentence in candidates:
            spec = self.intents.intents.get(sentence.intent)
            for n, (caps, literals) in enumerate(matcher.match(sentence.tree)):
                if n >= MAX_READINGS:
                    break
                score = min((c[2] for c in caps), default=1.0)
                readings += 1
                if fuzzy and score >= 1.0:
                    continue  # the exact pass already judged this reading
                values = dict(sentence.fixed)
                clash = False
                for name, value, _, _, _ in caps:
                    # "the kitchen light in the bedroom", "the kitchen and the living room":
                    # two different values for one slot; keeping either would be a guess
                    clash = clash or (name in values and values[name] != value and name not in sentence.fixed)
                    values[name] = value
                if clash:
                    why = why or "two different values for one thing (a device or room said twice?)"
                    continue
                # a reading whose device phrase could also be read as a kind of device is weaker
                named = sum(1 for c in caps if isinstance(c[1], DeviceRef))
                key = (score, literals, named, -sentence.order)
                if best_key is not None and key <= best_key:
                    continue
                res = resolve(self.registry, sentence.intent, spec, values, speaker_area, sentence.types)
                if res.error:
                    why = why or res.error
                    continue
                best_key = key
                best = (res.intent, res.targets, res.slots, score)
        return best, why, readings


def _may_start(info, starts) -> bool:
    first, nullable = info
    return nullable or first is None or not first.isdisjoint(starts)


def build_understander(config: Config) -> Understander:
    """The text -> intent stage the config asks for: templates, then (``understanding.slm``)
    a small model for what they miss. The model loads on first need or ``warm_up()``."""
    templates = TemplateEngine(config)
    if not config.understanding.slm.enabled:
        return templates
    from .slm.router import Router
    return Router(config, templates)


def timed(engine: Understander, text: str, area: str | None = None) -> tuple[Intent, float]:
    start = time.perf_counter()
    intent = engine.understand(text, area=area)
    return intent, (time.perf_counter() - start) * 1000.0


def known_words(templates: TemplateEngine) -> frozenset[str]:
    """Every word the home's templates, lists and names use."""
    words: set[str] = set(FILLERS)

    def walk(node) -> None:
        if isinstance(node, Word):
            words.add(node.text)
        elif isinstance(node, Seq):
            for item in node.items:
                walk(item)
        elif isinstance(node, Alt):
            for option in node.options:
                walk(option)

    for sentence in templates.sentences:
        walk(sentence.tree)
    reg = templates.registry
    for index in (reg.device_index, reg.area_index, reg.floor_index, reg.kind_index, reg.state_index,
                  reg.measure_index, reg.color_index, reg.unit_index, *reg.list_indexes.values()):
        for phrase in index.phrases:
            words.update(phrase)
    return frozenset(words)
