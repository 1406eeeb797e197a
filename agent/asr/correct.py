"""``corrected`` mode: snap what an open recogniser heard to the nearest in-domain sentence.

The distance between the heard words and a sentence template is a word-level edit
distance to the *closest sentence the template can produce*: a substitution costs
``1 - similarity`` of the two words (so "rose" for "roast" or "ice" for "iced" is
cheap and "on" for "off" is a full error), a word the template has but nobody said
costs 1, a heard word the template lacks costs 1. Slots cost the distance to their
closest value (a device name, a list value); number slots take only numbers, since a
correction must never invent a value.

The search is a dynamic programme over the template tree with one cost per input
position, vectorised with numpy: sequences fold, alternatives take the minimum, a
slot is a min-plus product with its precomputed span table. A lower bound per
sentence (its required words) skips most templates. The best sentence is re-run
once with back-pointers to spell it out; it is accepted when
``cost <= max_distance * max(len(heard), len(sentence))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from .. import vocab
from ..normalize import is_number, to_number, tokens
from ..understanding.intents import IntentSet
from ..understanding.registry import Registry
from ..understanding.templates import Alt, Node, Seq, Slot, Word

INF = 1e9
DEL = 1.0
"""A template word nobody said."""
INS = 1.0
"""A heard word the template lacks."""
MIN_SIMILARITY = 0.6
"""Below this two words count as unrelated (a full substitution)."""
SLOT_SLACK = 0.35
"""A slot value must be at least this close to the words read as it (cost per word)."""


@dataclass(frozen=True, slots=True)
class Correction:
    heard: str
    """The recogniser's words (normalised)."""
    text: str
    """The in-domain sentence snapped to (normalised), or ``heard`` when none was close."""
    distance: float
    """Edit cost divided by the longer of the two lengths (0 = identical)."""
    snapped: bool
    intent: str | None = None
    """The intent of the template snapped to."""


_SOUNDS = (("tch", "ch"), ("igh", "i"), ("ght", "t"), ("ph", "f"), ("ck", "k"), ("qu", "kw"),
           ("wh", "w"), ("kn", "n"), ("wr", "r"), ("ee", "i"), ("ea", "i"), ("ie", "i"), ("ey", "i"),
           ("y", "i"), ("oo", "u"), ("ou", "u"), ("z", "s"), ("x", "ks"), ("ce", "se"), ("ci", "si"),
           ("c", "k"))


@lru_cache(maxsize=8192)
def sound(word: str) -> str:
    """A rough English sound key: "lite" and "light" both give "lit"."""
    w = word
    for a, b in _SOUNDS:
        w = w.replace(a, b)
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return "".join(ch for i, ch in enumerate(w) if i == 0 or ch != w[i - 1])


@lru_cache(maxsize=65536)
def word_cost(heard: str, word: str) -> float:
    """0 for the same word, up to 1 for unrelated ones (short words and numbers: exact only)."""
    if heard == word:
        return 0.0
    if is_number(heard) or is_number(word):
        return 1.0
    if min(len(heard), len(word)) <= 2:  # "of"/"off" yes, "it"/"light" no
        return 0.1 if sound(heard) == sound(word) else 1.0
    sim = max(fuzz.ratio(heard, word), fuzz.ratio(sound(heard), sound(word))) / 100.0
    return 1.0 if sim < MIN_SIMILARITY else round(1.0 - sim, 4)


@dataclass(frozen=True, slots=True)
class _Words:
    """An alternative of single words ("(turn|switch|power)"), matched in one step."""

    words: tuple[str, ...]
    optional: bool


class _Pruned(Exception):
    """Every path through this sentence already costs more than the best one found."""


def compile_tree(node: Node) -> Node:
    """The template tree with single-word alternatives merged into :class:`_Words`."""
    if isinstance(node, Seq):
        return Seq(tuple(compile_tree(i) for i in node.items))
    if isinstance(node, Alt):
        options = tuple(compile_tree(o) for o in node.options)
        if options and all(isinstance(o, Word) for o in options):
            return _Words(tuple(o.text for o in options), node.optional)  # type: ignore[union-attr]
        return Alt(options, node.optional)
    return node


class _SpanTable:
    """Cost of reading ``toks[i:j]`` as one value of a slot, with the value's words."""

    def __init__(self, cost: np.ndarray, words: dict[tuple[int, int], tuple[str, ...]]) -> None:
        self.cost, self.words = cost, words


class _Run:
    """The dynamic programme for one heard utterance."""

    def __init__(self, corrector: "Corrector", toks: tuple[str, ...]) -> None:
        self.c = corrector
        self.toks = toks
        self.n = len(toks)
        self.prefix = np.arange(self.n + 1, dtype=np.float64) * INS
        self._sub: dict[str, np.ndarray] = {}
        self._subs: dict[tuple[str, ...], np.ndarray] = {}
        self._tables: dict[str, _SpanTable] = {}
        self.bound = INF

    # -- costs ------------------------------------------------------------------
    def sub(self, word: str) -> np.ndarray:
        got = self._sub.get(word)
        if got is None:
            got = np.array([word_cost(t, word) for t in self.toks], dtype=np.float64)
            self._sub[word] = got
        return got

    def closure(self, v: np.ndarray) -> np.ndarray:
        """Allow heard words the template lacks anywhere: v[j] = min_k<=j v[k] + INS*(j-k)."""
        return np.minimum.accumulate(v - self.prefix, axis=-1) + self.prefix

    # -- the tree -----------------------------------------------------------------
    def run(self, node: Node, v: np.ndarray) -> np.ndarray:
        if isinstance(node, (Word, _Words)):
            if isinstance(node, Word):
                s = self.sub(node.text)
            else:
                s = self._subs.get(node.words)
                if s is None:
                    s = self._subs[node.words] = np.minimum.reduce([self.sub(w) for w in node.words])
            out = v + DEL if not getattr(node, "optional", False) else v.copy()
            out[..., 1:] = np.minimum(out[..., 1:], v[..., :-1] + s)
            return self.closure(out)
        if isinstance(node, Seq):
            for item in node.items:
                v = self.run(item, v)
                if v.min() >= self.bound:
                    raise _Pruned
            return v
        if isinstance(node, Alt):
            outs = [v] if node.optional else []
            for option in node.options:
                try:
                    outs.append(self.run(option, v))
                except _Pruned:
                    pass
            if not outs:
                raise _Pruned
            return np.minimum.reduce(outs)
        if isinstance(node, Slot):
            table = self.table(node.list_name).cost
            return self.closure((v[..., :, None] + table).min(axis=-2))
        raise TypeError(f"unexpanded template node {node!r}")

    def trace(self, node: Node, v: list[tuple[float, tuple[str, ...]]]) -> list[tuple[float, tuple[str, ...]]]:
        """:meth:`run` for one row, keeping the words of the best path to each position."""
        if isinstance(node, _Words):
            node = Alt(tuple(Word(w) for w in node.words), node.optional)
        if isinstance(node, Word):
            s = self.sub(node.text)
            w = (node.text,)
            out = [(v[j][0] + DEL, v[j][1] + w) for j in range(self.n + 1)]
            for j in range(1, self.n + 1):
                cand = v[j - 1][0] + s[j - 1]
                if cand < out[j][0]:
                    out[j] = (cand, v[j - 1][1] + w)
            return self._trace_closure(out)
        if isinstance(node, Seq):
            for item in node.items:
                v = self.trace(item, v)
            return v
        if isinstance(node, Alt):
            outs = [self.trace(o, v) for o in node.options] + ([v] if node.optional else [])
            return [min((o[j] for o in outs), key=lambda x: x[0]) for j in range(self.n + 1)]
        if isinstance(node, Slot):
            table = self.table(node.list_name)
            out = []
            for j in range(self.n + 1):
                best = (INF, ())
                for i in range(j + 1):
                    cost = v[i][0] + table.cost[i, j]
                    if cost < best[0]:
                        best = (cost, v[i][1] + table.words.get((i, j), ()))
                out.append(best)
            return self._trace_closure(out)
        raise TypeError(f"unexpanded template node {node!r}")

    def _trace_closure(self, out: list[tuple[float, tuple[str, ...]]]) -> list[tuple[float, tuple[str, ...]]]:
        for j in range(1, self.n + 1):
            cand = out[j - 1][0] + INS
            if cand < out[j][0]:
                out[j] = (cand, out[j - 1][1])
        return out

    # -- slots ----------------------------------------------------------------------
    def table(self, list_name: str) -> _SpanTable:
        got = self._tables.get(list_name)
        if got is None:
            numeric = self.c.numeric.get(list_name)
            got = self._numeric_table(*numeric) if numeric else self._phrase_table(self.c.phrases(list_name))
            self._tables[list_name] = got
        return got

    def _phrase_table(self, phrases: list[tuple[str, ...]]) -> _SpanTable:
        n = self.n
        start = np.full((n + 1, n + 1), INF)
        np.fill_diagonal(start, 0.0)
        best = np.full((n + 1, n + 1), INF)
        which = np.full((n + 1, n + 1), -1)
        for k, phrase in enumerate(phrases):
            v = start
            for w in phrase:
                s = self.sub(w)
                out = v + DEL
                out[:, 1:] = np.minimum(out[:, 1:], v[:, :-1] + s)
                v = self.closure(out)
            better = v < best
            best = np.where(better, v, best)
            which = np.where(better, k, which)
        # a value is only read into a span that mostly says it: never invent one
        lengths = np.array([len(p) for p in phrases] + [0])[which]
        span = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]
        best = np.where((span > 0) & (best <= SLOT_SLACK * np.maximum(span, lengths)), best, INF)
        words = {(i, j): phrases[which[i, j]] for i in range(n + 1) for j in range(i + 1, n + 1)
                 if best[i, j] < INF / 2}
        return _SpanTable(best, words)

    def _numeric_table(self, lo: float | None, hi: float | None, suffixes: tuple[str, ...]) -> _SpanTable:
        n = self.n
        cost = np.full((n + 1, n + 1), INF)
        words: dict[tuple[int, int], tuple[str, ...]] = {}
        for i, tok in enumerate(self.toks):
            if is_number(tok) and (lo is None or to_number(tok) >= lo) and (hi is None or to_number(tok) <= hi):
                cost[i, i + 1] = 0.0
                words[i, i + 1] = (tok,)
                if i + 1 < n and self.toks[i + 1] in suffixes:
                    cost[i, i + 2] = 0.0
                    words[i, i + 2] = (tok, self.toks[i + 1])
        return _SpanTable(cost, words)


class Corrector:
    """Snaps heard text to the closest sentence of the configured intents."""

    def __init__(self, intents: IntentSet, registry: Registry, *, max_distance: float = 0.22) -> None:
        self.intents = intents
        self.registry = registry
        self.max_distance = max_distance
        self.sentences = intents.sentences
        self.numeric: dict[str, tuple[float | None, float | None, tuple[str, ...]]] = {
            "number": (None, None, ()), "integer": (None, None, ()),
            "percentage": (0, 100, ("percent",)), "temperature": (-40, 120, ("degrees",)),
        }
        for name, sl in intents.lists.items():
            if sl.number_range:
                self.numeric[name] = (sl.number_range[0], sl.number_range[1], ())
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        self._words: frozenset[str] | None = None
        self.trees = {s.order: compile_tree(s.tree) for s in self.sentences}

    def phrases(self, list_name: str) -> list[tuple[str, ...]]:
        got = self._phrases.get(list_name)
        if got is None:
            r = self.registry
            index = {"device": r.device_index, "name": r.device_index, "area": r.area_index,
                     "floor": r.floor_index, "kind": r.kind_index, "state": r.state_index,
                     "measure": r.measure_index, "color": r.color_index,
                     "temperature_unit": r.unit_index}.get(list_name) or r.list_indexes.get(list_name)
            if index is not None:
                got = list(index.phrases)
            elif list_name == "duration":
                got = [(u,) for u in vocab.DURATION_UNITS]
            else:
                sl = self.intents.lists.get(list_name)
                got = [toks for toks, _ in sl.values] if sl else []
            self._phrases[list_name] = got
        return got

    @property
    def words(self) -> frozenset[str]:
        """Every word the domain's sentences can contain."""
        if self._words is None:
            words: set[str] = set()
            for s in self.sentences:
                _words_of(s.tree, words, self)
            self._words = frozenset(words)
        return self._words

    def rejoin(self, toks: tuple[str, ...]) -> tuple[str, ...]:
        """Undo a recogniser's word splits and joins the domain knows: "bed room" ->
        "bedroom", "livingroom" -> "living room"."""
        words = self.words
        out: list[str] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if i + 1 < len(toks) and t + toks[i + 1] in words and not (t in words and toks[i + 1] in words):
                out.append(t + toks[i + 1])
                i += 2
                continue
            if t not in words and not is_number(t):
                for k in range(2, len(t) - 1):
                    if t[:k] in words and t[k:] in words:
                        out.extend((t[:k], t[k:]))
                        break
                else:
                    out.append(t)
            else:
                out.append(t)
            i += 1
        return tuple(out)

    def correct(self, text: str) -> Correction:
        toks = tokens(text)
        heard = " ".join(toks)
        toks = self.rejoin(toks)
        n = len(toks)
        if n == 0:
            return Correction(heard, heard, 1.0, False)
        run = _Run(self, toks)
        limit = self.max_distance * n / (1.0 - self.max_distance)  # no acceptable sentence costs more
        bounds = []
        for s in self.sentences:
            lb = sum(min(DEL, float(run.sub(w).min())) for w in s.required)
            if lb <= limit:
                bounds.append((lb, s.order, s))
        bounds.sort(key=lambda b: (b[0], b[1]))
        start = run.closure(np.concatenate(([0.0], np.full(n, INF)))[None, :])
        best_cost, best = INF, None
        for lb, _, s in bounds:
            if lb >= best_cost or lb > limit:
                break
            run.bound = min(best_cost, limit + 1e-9)
            try:
                cost = float(run.run(self.trees[s.order], start.copy())[0, n])
            except _Pruned:
                continue
            if cost < best_cost:
                best_cost, best = cost, s
                if cost == 0:
                    break
        if best is None:
            return Correction(heard, heard, 1.0, False)
        row = [(float(c), ()) for c in start[0]]
        cost, words = run.trace(best.tree, row)[n]
        distance = cost / max(n, len(words), 1)
        if distance > self.max_distance:
            return Correction(heard, heard, round(distance, 3), False, best.intent)
        return Correction(heard, " ".join(words), round(distance, 3), True, best.intent)


def _words_of(node: Node, out: set[str], corrector: Corrector) -> None:
    if isinstance(node, Word):
        out.add(node.text)
    elif isinstance(node, Seq):
        for item in node.items:
            _words_of(item, out, corrector)
    elif isinstance(node, Alt):
        for option in node.options:
            _words_of(option, out, corrector)
    elif isinstance(node, Slot) and node.list_name not in corrector.numeric:
        for phrase in corrector.phrases(node.list_name):
            out.update(phrase)


def describe(c: Correction) -> dict[str, Any]:
    return {"heard": c.heard, "text": c.text, "distance": c.distance, "snapped": c.snapped}
