"""The configured home as something sentences can point at.

Indexes device, area and floor names (and aliases) plus every slot list by their
normalised words, and provides the slot matchers the template matcher calls:
exact ones for the first pass and thresholded fuzzy ones ("mad room lamp" -> bedroom lamp)
for a second pass when nothing matched exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rapidfuzz import fuzz, process

from .. import vocab
from ..config import Area, Config, Device, Floor
from ..normalize import is_number, to_number, tokens
from .intents import IntentSet
from .templates import SlotMatcher


EXACT_LISTS = frozenset({"scope", "quantity"})
"""Lists never matched fuzzily: words that widen a command ("everywhere", "all")."""


class PhraseIndex:
    """Phrases (token tuples) -> value, found by first token; fuzzy search on demand."""

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], Any]]) -> None:
        merged: dict[tuple[str, ...], list[Any]] = {}
        for toks, value in phrases:
            if toks:
                merged.setdefault(toks, [])
                if value not in merged[toks]:
                    merged[toks].append(value)
        self.phrases = {k: tuple(v) for k, v in merged.items()}
        self.by_first: dict[str, list[tuple[tuple[str, ...], tuple[Any, ...]]]] = {}
        for toks, values in self.phrases.items():
            self.by_first.setdefault(toks[0], []).append((toks, values))
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        self.first_max = {first: len(entries[0][0]) for first, entries in self.by_first.items()}
        self.max_len = max((len(k) for k in self.phrases), default=0)
        self._strings = [" ".join(k) for k in self.phrases]
        self._keys = list(self.phrases)

    def exact(self, toks: tuple[str, ...], start: int) -> list[tuple[int, tuple[Any, ...]]]:
        """Phrases that start at ``start``, longest first: one dict look-up per length, so a
        home with hundreds of names sharing a first word ("office 2 blind") costs the same."""
        longest = self.first_max.get(toks[start])
        if longest is None:
            return []
        out = []
        for end in range(min(start + longest, len(toks)), start, -1):
            values = self.phrases.get(toks[start:end])
            if values is not None:
                out.append((end, values))
        return out

    def fuzzy(self, toks: tuple[str, ...], start: int, cutoff: float,
              protected: frozenset[str] = frozenset()) -> list[tuple[int, tuple[Any, ...], float]]:
        """Near matches of spans starting at ``start``.

        A span holding a ``protected`` word (a word that already means something, like
        "fans") never fuzzily becomes a phrase lacking that word: "kitchen fans" is not a
        mishearing of "kitchen cabinets".
        """
        out = []
        for length in range(1, min(self.max_len + 1, len(toks) - start) + 1):
            span = toks[start:start + length]
            if span in self.phrases or all(is_number(t) for t in span):
                continue
            text = " ".join(span)
            guarded = [t for t in span if t in protected]
            for _, score, idx in process.extract(text, self._strings, scorer=fuzz.ratio,
                                                  score_cutoff=cutoff * 100, limit=3):
                key = self._keys[idx]
                if any(t not in key for t in guarded) or not _word_by_word(span, key, cutoff):
                    continue
                out.append((start + length, self.phrases[key], score / 100.0))
        return out


def _word_by_word(span: tuple[str, ...], key: tuple[str, ...], cutoff: float) -> bool:
    """Is the near match near word by word, not just as a string?

    "dining room" is 82% like "living room" as a string, but the word that tells rooms
    apart is wrong; "and living room" holds the whole of "living room" plus a word that
    belongs to the sentence. Same word count: every word must be near its counterpart
    (a short word that keeps its first sound may differ more: "lite" -> light).
    Otherwise ("mad room lamp" -> bedroom lamp) the span may not begin or end with a
    joining word the name lacks.
    """
    if len(span) == len(key):
        return all(a == b or (a[0] == b[0] and fuzz.ratio(a, b) >= 60) or fuzz.ratio(a, b) >= cutoff * 100
                   for a, b in zip(span, key))
    return not any(w in _JOINING and w not in key for w in (span[0], span[-1]))


_JOINING = frozenset("and or in on at of to with from for by into onto then but plus".split())


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """A device name as spoken: the ids it may mean."""

    phrase: str
    ids: tuple[str, ...]


class Registry:
    """Lookup tables over one config and its intent files."""

    def __init__(self, config: Config, intents: IntentSet) -> None:
        self.config = config
        self.intents = intents
        self.devices: dict[str, Device] = {d.id: d for d in config.devices}
        self.order = {d.id: i for i, d in enumerate(config.devices)}
        self.areas: dict[str, Area] = {a.id: a for a in config.areas}
        self.floors: dict[str, Floor] = {f.id: f for f in config.floors}
        self.floor_areas: dict[str, tuple[str, ...]] = {
            f.id: tuple(a.id for a in config.areas if a.floor == f.id) for f in config.floors}
        self.fuzzy_cutoff = config.understanding.fuzzy

        self.device_index = PhraseIndex(
            (tokens(name), d.id) for d in config.devices for name in (d.name, *d.aliases))
        self.area_index = PhraseIndex(
            (tokens(name), a.id) for a in config.areas for name in (a.name, *a.aliases))
        self.floor_index = PhraseIndex(
            (tokens(name), f.id) for f in config.floors for name in (f.name, *f.aliases))

        def merged(builtin: dict[str, Any], name: str, extra: list = ()) -> PhraseIndex:
            items = [(tokens(k), v) for k, vs in builtin.items() for v in (vs if isinstance(vs, tuple) else (vs,))]
            items += list(extra)
            user = intents.lists.get(name)
            if user is not None:
                items += [(toks, v) for toks, v in user.values]
            return PhraseIndex(items)

        own_kinds = [(tokens(w), f"@{d.id}") for d in config.devices for w in d.kinds]
        own_kinds += [(tokens(w), kind) for kind, words in config.understanding.kinds for w in words]
        self.kind_index = merged(vocab.KINDS, "kind", own_kinds)
        self.state_index = PhraseIndex([(tokens(k), k) for k in vocab.STATES]
                                       + [(t, v) for t, v in getattr(intents.lists.get("state"), "values", ())])
        self.measure_index = merged(vocab.MEASURES, "measure")
        colors = {**{k: k for k in vocab.COLORS}, **vocab.COLOR_ALIASES}
        self.color_index = merged(colors, "color")
        self.unit_index = merged(vocab.TEMPERATURE_UNITS, "temperature_unit")
        self.source_index = PhraseIndex((tokens(s), s) for d in config.devices for s in d.sources)
        self.list_indexes = {name: PhraseIndex(sl.values) for name, sl in intents.lists.items()
                             if not sl.number_range and name not in ("kind", "state", "measure", "color")}
        self.protected = frozenset(t for k in self.kind_index.phrases for t in k) | frozenset(
            t for k in self.state_index.phrases for t in k) | frozenset(
            t for k in self.measure_index.phrases for t in k)
        self._matchers = {False: self._build_matchers(False), True: self._build_matchers(True)}

    # ------------------------------------------------------------------ matchers
    def slot_first(self, fuzzy: bool) -> dict[str, frozenset[str] | None]:
        """Tokens each slot list can start with (None: any token), for the matcher."""
        from .templates import NUM

        def firsts(index: PhraseIndex, fuzzy_ok: bool) -> frozenset[str] | None:
            return None if fuzzy and fuzzy_ok and self.fuzzy_cutoff < 1.0 else frozenset(index.by_first)

        out: dict[str, frozenset[str] | None] = {
            "device": firsts(self.device_index, True), "name": firsts(self.device_index, True),
            "area": firsts(self.area_index, True), "floor": firsts(self.floor_index, True),
            "kind": firsts(self.kind_index, False), "state": firsts(self.state_index, False),
            "measure": firsts(self.measure_index, False), "color": firsts(self.color_index, True),
            "temperature_unit": firsts(self.unit_index, False),
            "source": firsts(self.source_index, False),
        }
        for name in ("integer", "number", "percentage", "temperature", "duration"):
            out[name] = frozenset((NUM,))
        for name, sl in self.intents.lists.items():
            if sl.number_range:
                out[name] = frozenset((NUM,))
            elif name in self.list_indexes:
                out[name] = firsts(self.list_indexes[name], True)
        return out

    def matchers(self, fuzzy: bool) -> dict[str, SlotMatcher]:
        return self._matchers[fuzzy]

    def _phrase_matcher(self, index: PhraseIndex, fuzzy: bool, wrap=None) -> SlotMatcher:
        cutoff = self.fuzzy_cutoff

        def exact(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
            out = []
            for end, values in index.exact(toks, start):
                for v in values:
                    out.append((end, v, 1.0))
            return out

        def with_fuzzy(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
            out = exact(toks, start)
            if cutoff < 1.0:
                for end, values, score in index.fuzzy(toks, start, cutoff, self.protected):
                    for v in values:
                        out.append((end, v, score))
            return out

        base = with_fuzzy if fuzzy else exact
        if wrap is None:
            return base

        def wrapped(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
            return [(end, wrap(toks[start:end], v), s) for end, v, s in base(toks, start)]
        return wrapped

    def _device_matcher(self, fuzzy: bool) -> SlotMatcher:
        index, cutoff = self.device_index, self.fuzzy_cutoff

        def match(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
            out = [(end, DeviceRef(" ".join(toks[start:end]), ids), 1.0) for end, ids in index.exact(toks, start)]
            if fuzzy and cutoff < 1.0:
                out += [(end, DeviceRef(" ".join(toks[start:end]), ids), s)
                        for end, ids, s in index.fuzzy(toks, start, cutoff, self.protected)]
            return out
        return match

    def _build_matchers(self, fuzzy: bool) -> dict[str, SlotMatcher]:
        m: dict[str, SlotMatcher] = {
            "device": self._device_matcher(fuzzy),
            "name": self._device_matcher(fuzzy),
            "area": self._phrase_matcher(self.area_index, fuzzy),
            "floor": self._phrase_matcher(self.floor_index, fuzzy),
            "kind": self._phrase_matcher(self.kind_index, False),
            "state": self._phrase_matcher(self.state_index, False),
            "measure": self._phrase_matcher(self.measure_index, False),
            "color": self._phrase_matcher(self.color_index, fuzzy),
            "temperature_unit": self._phrase_matcher(self.unit_index, False),
            "source": self._phrase_matcher(self.source_index, False),
            "integer": _number_matcher(integer=True),
            "number": _number_matcher(),
            "percentage": _number_matcher(lo=0, hi=100, suffix=("percent", "per cent")),
            "temperature": _number_matcher(lo=-40, hi=120),
            "duration": _duration_matcher(),
        }
        for name, sl in self.intents.lists.items():
            if sl.number_range:
                lo, hi, _ = sl.number_range
                m[name] = _number_matcher(lo=lo, hi=hi)
            elif name in self.list_indexes:
                # "in the bathroom" must never become "in the home": words that widen a
                # command to the whole home are matched exactly
                m[name] = self._phrase_matcher(self.list_indexes[name], fuzzy and name not in EXACT_LISTS)
        return m


def _number_matcher(*, integer: bool = False, lo: float | None = None, hi: float | None = None,
                    suffix: tuple[str, ...] = ()) -> SlotMatcher:
    def match(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
        tok = toks[start]
        if not is_number(tok):
            return []
        value = to_number(tok)
        if integer and not isinstance(value, int):
            return []
        if lo is not None and value < lo or hi is not None and value > hi:
            return []
        out = [(start + 1, value, 1.0)]
        if start + 1 < len(toks) and toks[start + 1] in suffix:
            out.append((start + 2, value, 1.0))
        return out
    return match


def _duration_matcher() -> SlotMatcher:
    def match(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
        if start + 1 >= len(toks) or not is_number(toks[start]):
            return []
        unit = vocab.DURATION_UNITS.get(toks[start + 1])
        return [(start + 2, to_number(toks[start]) * unit, 1.0)] if unit else []
    return match
