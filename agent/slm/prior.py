"""What the intent files' own words say about an utterance: a word model per intent.

Every intent's templates are expanded at random many times; the literal words they use
("dark", "dim", "kill", "brighter") are counted per intent. At run time each intent
gets the log-likelihood of the utterance's known words (naive Bayes, smoothed). This
prior is added to the model's first choice, and it decides whether anything in the
utterance points at an intent at all. It is rebuilt from the config at load, so an edited
intent file changes it; nothing is trained offline.
"""

from __future__ import annotations

import math
import random
from collections import Counter

from ..understanding.intents import IntentSet
from ..normalize import tokens
from ..understanding.templates import Slot
from .prompt import expand_random

SAMPLES = 300
"""Random readings per intent."""
ALPHA = 0.5
"""Add-alpha smoothing of the word counts."""
KIN = 0.5
"""Weight of kin intents' words (same last word of the name) in an intent's word counts."""
SHARE = 0.5
"""A word supports an intent when that intent accounts for this share of the word's use."""


STOP = frozenset("""
i me we you it he she they them us this that these those what which who whom whose where when
why how is are was were be been am do does did have has had can could would should will shall
may might must of to in at for from by with about as and or but if so than then there
here some any all a an the let make get give want need like please now just very too
""".split())
"""Function words: never on their own a sign of which intent is meant."""
NUMERIC = frozenset({"percentage", "temperature", "integer", "number", "duration"})


def placeholder(list_name: str, numeric: bool) -> str:
    """What a value slot counts as: the type of value, not the value."""
    return "{#}" if numeric or list_name in NUMERIC else "{" + list_name + "}"


def _last(name: str) -> str:
    return name.replace(".", "_").split("_")[-1].lower()


class _Blank:
    """Slot filler for counting: value slots become their type's placeholder, targets vanish."""

    def __init__(self, intents: IntentSet) -> None:
        self.intents = intents

    def __call__(self, slot: Slot) -> str:
        lst = self.intents.lists.get(slot.list_name)
        if slot.list_name in NUMERIC or slot.list_name == "color" or (
                lst is not None and slot.list_name not in ("kind", "state", "measure")):
            return placeholder(slot.list_name, bool(lst and lst.number_range))
        return "\x00"


class IntentPrior:
    """Per-intent word counts from the templates of one config."""

    def __init__(self, intents: IntentSet, names: list[str], *, seed: int = 11,
                 kin: float = KIN) -> None:
        rng = random.Random(seed)
        every = list(dict.fromkeys(s.intent for s in intents.sentences))
        raw: dict[str, Counter] = {}
        for name in every:
            trees = [s.tree for s in intents.sentences if s.intent == name]
            c: Counter = Counter()
            for i in range(SAMPLES):
                words = expand_random(trees[i % len(trees)], rng, _Blank(intents))
                c.update(w for w in (words or ()) if w != "\x00")
            raw[name] = c
        # kin intents share the last word of their name (brightness_up, volume_up,
        # temperature_up): what people say to one ("crank up", "lower") hints at the others
        self.counts = {}
        for name in names:
            c = Counter(raw.get(name, Counter()))
            total = sum(c.values()) or 1
            for other in every:
                if other != name and _last(other) == _last(name):
                    oc = raw[other]
                    scale = kin * total / (sum(oc.values()) or 1)
                    for w, n in oc.items():
                        c[w] += n * scale
            self.counts[name] = c
        self.vocab = set().union(*self.counts.values()) if self.counts else set()
        spread = Counter(w for c in self.counts.values() for w in c)
        # words that most intents use ("to", "in", "turn") say little about which one is meant
        self.common = {w for w, n in spread.items() if n > max(2, len(self.counts) // 2)}
        self.totals = {k: sum(c.values()) for k, c in self.counts.items()}

    def words(self, text: str, values: dict[str, str] | None = None) -> list[str]:
        """The utterance's words that tell intents apart (value words as their placeholder)."""
        values = values or {}
        out = [values.get(w, w) for w in tokens(text)]
        return [w for w in out if w in self.vocab and w not in STOP]

    def scores(self, text: str, values: dict[str, str] | None = None) -> dict[str, float]:
        """Log-likelihood of the telling words under each intent."""
        words = self.words(text, values)
        v = len(self.vocab)
        return {name: sum(math.log((c[w] + ALPHA) / (self.totals[name] + ALPHA * v)) for w in words)
                for name, c in self.counts.items()}

    def supports(self, text: str, name: str) -> bool:
        """Does the utterance hold a content word this intent's templates use more than most do?"""
        c = self.counts.get(name)
        if c is None:
            return False
        for w in self.words(text):
            if w.startswith("{") or w in self.common:
                continue
            rates = {k: cc[w] / self.totals[k] for k, cc in self.counts.items() if self.totals[k]}
            if c[w] and rates[name] >= SHARE * sum(rates.values()):
                return True
        return False

    def log_probs(self, text: str, allowed: list[str], values: dict[str, str] | None = None) -> dict[str, float]:
        """Normalised log-probabilities over ``allowed`` intents (uniform if nothing tells)."""
        s = self.scores(text, values)
        vals = [s.get(n, 0.0) for n in allowed]
        if not vals:
            return {}
        top = max(vals)
        z = top + math.log(sum(math.exp(x - top) for x in vals))
        return {n: x - z for n, x in zip(allowed, vals)}
