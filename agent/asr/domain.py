"""What the configured commands sound like: the recognisers' bias.

Built once from the intent files (sentence templates and slot lists) and the
registry (device, area and floor names, the built-in vocabularies). It gives

* :func:`grammar_phrases` - phrases for a Vosk grammar (``limited`` mode): whole
  sentences where a template has few enough expansions, otherwise its literal runs
  and every slot value, so Vosk can only put together in-domain words;
* :func:`prompt` - a Whisper ``initial_prompt`` naming the domain's vocabulary;
* :func:`spoken` - template tokens back in words ("12 ounce" -> "twelve ounce"),
  because templates are stored normalised but recognisers hear words.
"""

from __future__ import annotations

import math
from typing import Iterable

from ..normalize import FILLERS, is_number
from ..understanding.intents import IntentSet, expand
from ..understanding.registry import Registry
from ..understanding.templates import Alt, Node, Seq, Slot, Word, slot_refs
from ..vocab import DURATION_UNITS

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS = tuple(_ONES + _TENS[2:] + ["hundred", "thousand", "point", "percent", "degrees"])


def number_words(value: int) -> str:
    """0..999999 in English words ("twenty one")."""
    if value < 20:
        return _ONES[value]
    if value < 100:
        return _TENS[value // 10] + ("" if value % 10 == 0 else " " + _ONES[value % 10])
    if value < 1000:
        rest = value % 100
        return _ONES[value // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = value % 1000
    return number_words(value // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def spoken(token: str) -> str:
    """A normalised token as words: digits become number words, the rest stays."""
    if not is_number(token):
        return token
    whole, _, frac = token.partition(".")
    if not whole.isdigit() or int(whole) >= 1_000_000:
        return token
    words = number_words(int(whole))
    if frac:
        words += " point " + " ".join(_ONES[int(d)] for d in frac)
    return words


def spoken_phrase(toks: Iterable[str]) -> str:
    return " ".join(spoken(t) for t in toks)


def count(node: Node) -> float:
    """How many word sequences a slot-free tree stands for (inf if it holds a slot)."""
    if isinstance(node, Word):
        return 1
    if isinstance(node, Seq):
        return math.prod(count(i) for i in node.items)
    if isinstance(node, Alt):
        return sum(count(o) for o in node.options) + (1 if node.optional else 0)
    return math.inf


def _pieces(node: Node, limit: int, out: set[tuple[str, ...]]) -> None:
    """Phrases covering ``node``: whole expansions when few, else its parts."""
    if count(node) <= limit:
        out.update(e for e in expand(node, limit) if e)  # slot-free: count() is finite
        return
    if isinstance(node, Alt):
        for option in node.options:
            _pieces(option, limit, out)
    elif isinstance(node, Seq):
        run: list[Node] = []
        for item in node.items + (Slot("", ""),):  # a sentinel flushes the last run
            if isinstance(item, Slot) or count(Seq(tuple(run + [item]))) > limit:
                if run:
                    _pieces(Seq(tuple(run)), limit, out)
                run = [] if isinstance(item, Slot) else [item]
                if not isinstance(item, Slot) and count(item) > limit:
                    _pieces(item, limit, out)
                    run = []
            else:
                run.append(item)


def used_slots(intents: IntentSet) -> set[str]:
    """The slot lists the sentences refer to."""
    return {slot.list_name for s in intents.sentences for slot in slot_refs(s.tree)}


def slot_phrases(registry: Registry, intents: IntentSet, names: set[str] | None = None) -> set[tuple[str, ...]]:
    """Every phrase the slots ``names`` (default: those the sentences use) can take."""
    names = used_slots(intents) if names is None else names
    indexes = {"device": registry.device_index, "name": registry.device_index, "area": registry.area_index,
               "floor": registry.floor_index, "kind": registry.kind_index, "state": registry.state_index,
               "measure": registry.measure_index, "color": registry.color_index,
               "temperature_unit": registry.unit_index, **registry.list_indexes}
    out: set[tuple[str, ...]] = set()
    for name in names:
        if name in indexes:
            out.update(indexes[name].phrases)
        elif name in intents.lists:
            out.update(toks for toks, _ in intents.lists[name].values)
        elif name == "duration":
            out.update((u,) for u in DURATION_UNITS)
    return out


NUMERIC = {"number", "integer", "percentage", "temperature", "duration"}


def grammar_phrases(intents: IntentSet, registry: Registry, *, limit: int = 64, language: str = "en") -> list[str]:
    """Phrases (spoken form, sorted) that make up a recogniser grammar for the domain."""
    toks: set[tuple[str, ...]] = set()
    for sentence in intents.sentences:
        _pieces(sentence.tree, limit, toks)
    slots = used_slots(intents)
    toks |= slot_phrases(registry, intents, slots)
    phrases = {spoken_phrase(t) for t in toks}
    if language.startswith("en"):
        phrases.update(FILLERS)  # said, though templates need not mention them
        numeric = slots & NUMERIC or any(sl.number_range for n, sl in intents.lists.items() if n in slots)
        if numeric or any(is_number(w) for t in toks for w in t):
            phrases.update(NUMBER_WORDS)
    return sorted(p for p in phrases if p)


def vocabulary(phrases: Iterable[str]) -> set[str]:
    return {w for p in phrases for w in p.split()}


def prompt(intents: IntentSet, registry: Registry, *, max_chars: int = 600) -> str:
    """A Whisper ``initial_prompt``: the domain's own words, most distinctive first.

    The home's names, then slot-list values, chosen greedily so each phrase adds a word
    not yet covered ("skim milk", then "a little bit of milk" for "little"/"bit"), and
    cut at ``max_chars`` (Whisper reads at most ~224 prompt tokens).
    """
    groups: list[list[tuple[str, ...]]] = [
        [p for index in (registry.device_index, registry.area_index, registry.floor_index)
         for p in index.phrases],
        [toks for sl in intents.lists.values() for toks, _ in sl.values]]
    candidates = [p for g in groups for p in sorted(dict.fromkeys(g), key=len)]
    covered: set[str] = set()
    chosen: list[str] = []
    size = 0
    for toks in candidates:
        new = [t for t in toks if t not in covered]
        if not new:
            continue
        text = spoken_phrase(toks)
        if size + len(text) + 2 > max_chars:
            break
        chosen.append(text)
        covered.update(toks)
        size += len(text) + 2
    return (", ".join(chosen) + ".") if chosen else ""
