"""Sentence templates: parsed once into a small typed tree, then matched against tokens.

Syntax (hassil-style, so Home Assistant users feel at home):

* ``(a|b|c)``  alternatives
* ``[x]``      optional
* ``{slot}``   a slot: a list from an intent file or a built-in type; ``{list:name}``
  stores the value under another name
* ``<rule>``   an expansion rule defined under ``rules:``

Literal words go through :func:`agent.normalize.tokens`, exactly as input does.
Matching is a pure function of (template, tokens, slot matchers): it returns every
way the whole token sequence can be covered, each with its captured slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Union

from ..normalize import tokens as norm_tokens


class TemplateSyntaxError(ValueError):
    """A template could not be parsed; the message says where and why."""


# ----------------------------------------------------------------------------- tree

@dataclass(frozen=True, slots=True)
class Word:
    text: str


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple["Node", ...]
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    list_name: str
    """Which list or built-in type matches here."""
    name: str
    """Under which name the value is stored."""


@dataclass(frozen=True, slots=True)
class RuleRef:
    name: str


Node = Union[Word, Seq, Alt, Slot, RuleRef]


def parse_template(text: str) -> Node:
    """Parse one template string into a tree (raises :class:`TemplateSyntaxError`)."""
    pos = 0
    n = len(text)

    def error(msg: str, at: int) -> TemplateSyntaxError:
        return TemplateSyntaxError(f"{msg} at column {at + 1} of {text!r}")

    def parse_alts(closer: str | None, start: int) -> list[Node]:
        nonlocal pos
        options: list[Node] = []
        items: list[Node] = []
        while pos < n:
            c = text[pos]
            if c in "([":
                pos += 1
                inner = parse_alts(")" if c == "(" else "]", pos - 1)
                # an option that normalised to nothing ("the", "please") makes the group optional
                kept = tuple(o for o in inner if not (isinstance(o, Seq) and not o.items))
                optional = c == "[" or len(kept) < len(inner)
                if kept:
                    items.append(Alt(kept, optional=optional))
            elif c in ")]":
                if closer != c:
                    raise error(f"unexpected '{c}'", pos)
                pos += 1
                options.append(Seq(tuple(items)))
                return options
            elif c == "|":
                if closer is None:
                    raise error("'|' outside of ( ) or [ ]", pos)
                options.append(Seq(tuple(items)))
                items = []
                pos += 1
            elif c in "{<":
                close = "}" if c == "{" else ">"
                end = text.find(close, pos)
                if end < 0:
                    raise error(f"'{c}' without '{close}'", pos)
                name = text[pos + 1:end].strip()
                if not name or any(ch in name for ch in "{}<>()[]| "):
                    raise error(f"bad name {name!r} in {c}{close}", pos)
                if c == "{":
                    list_name, _, alias = name.partition(":")
                    items.append(Slot(list_name, alias or list_name))
                else:
                    items.append(RuleRef(name))
                pos = end + 1
            elif c in "}>":
                raise error(f"unexpected '{c}'", pos)
            else:
                end = pos
                while end < n and text[end] not in "()[]{}<>|":
                    end += 1
                for word in norm_tokens(text[pos:end], fragment=True):
                    items.append(Word(word))
                pos = end
        if closer is not None:
            raise error(f"'{'(' if closer == ')' else '['}' is never closed", start)
        options.append(Seq(tuple(items)))
        return options

    options = parse_alts(None, 0)
    return options[0]


def rule_refs(node: Node) -> Iterator[str]:
    if isinstance(node, RuleRef):
        yield node.name
    elif isinstance(node, Seq):
        for item in node.items:
            yield from rule_refs(item)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from rule_refs(option)


def slot_refs(node: Node) -> Iterator[Slot]:
    if isinstance(node, Slot):
        yield node
    elif isinstance(node, Seq):
        for item in node.items:
            yield from slot_refs(item)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from slot_refs(option)


def expand_rules(node: Node, rules: dict[str, Node], stack: tuple[str, ...] = ()) -> Node:
    """Replace every ``<rule>`` by its tree (rules must exist and not recurse)."""
    if isinstance(node, RuleRef):
        if node.name in stack:
            raise TemplateSyntaxError(f"rule <{node.name}> refers to itself ({' -> '.join(stack + (node.name,))})")
        if node.name not in rules:
            raise TemplateSyntaxError(f"unknown rule <{node.name}>")
        return expand_rules(rules[node.name], rules, stack + (node.name,))
    if isinstance(node, Seq):
        return _seq(tuple(expand_rules(i, rules, stack) for i in node.items))
    if isinstance(node, Alt):
        return Alt(tuple(expand_rules(o, rules, stack) for o in node.options), node.optional)
    return node


def share(node: Node, table: dict[tuple, Node]) -> Node:
    """``node`` with every subtree that equals one already in ``table`` replaced by that one.

    Rules are expanded into every sentence that uses them, so a home's templates hold the
    same ``(turn|switch) on`` or ``[the] {device}`` thousands of times; shared, each is one
    object, and what is computed per node (:class:`FirstSets`) is computed and kept once.
    Nodes are immutable values, so sharing them changes no match. ``table`` holds the
    shared nodes, keyed by their kind and their (already shared) children's ids.
    """
    if isinstance(node, Seq):
        items = tuple(share(i, table) for i in node.items)
        key: tuple = (Seq, tuple(map(id, items)))
        made = table.get(key)
        if made is None:
            made = table[key] = Seq(items)
        return made
    if isinstance(node, Alt):
        options = tuple(share(o, table) for o in node.options)
        key = (Alt, node.optional, tuple(map(id, options)))
        made = table.get(key)
        if made is None:
            made = table[key] = Alt(options, node.optional)
        return made
    return table.setdefault((type(node), node), node)


def _seq(items: tuple[Node, ...]) -> Node:
    flat: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        else:
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def required(node: Node, leaf: Callable[[Node], frozenset[str]]) -> frozenset[str]:
    """What every reading of ``node`` holds, ``leaf`` saying what one leaf holds."""
    if isinstance(node, Seq):
        out: frozenset[str] = frozenset()
        for item in node.items:
            out |= required(item, leaf)
        return out
    if isinstance(node, Alt):
        if node.optional or not node.options:
            return frozenset()
        return frozenset.intersection(*(required(o, leaf) for o in node.options))
    return leaf(node)


def required_words(node: Node) -> frozenset[str]:
    """Words every match of ``node`` must contain (for cheap pre-filtering)."""
    return required(node, lambda n: frozenset((n.text,)) if isinstance(n, Word) else frozenset())


def min_length(node: Node) -> int:
    if isinstance(node, Word):
        return 1
    if isinstance(node, Slot):
        return 1
    if isinstance(node, Seq):
        return sum(min_length(i) for i in node.items)
    if isinstance(node, Alt):
        return 0 if node.optional else min((min_length(o) for o in node.options), default=0)
    return 0


# ----------------------------------------------------------------------------- matching

class SlotMatcher(Protocol):
    """Finds where a slot's value can end, starting at ``start``."""

    def __call__(self, toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
        """Return ``(end, value, score)`` for each way to match ``toks[start:end]``.

        ``score`` is 1.0 for an exact match and lower for a fuzzy one.
        """


Captures = tuple[tuple[str, object, float, int, int], ...]
"""Captured slots: (name, value, score, start, end)."""

NUM = "\x00number"
"""Stands for "any number token" in FIRST sets."""
ANY = None
"""A FIRST set of ANY: the node may start with any token (fuzzy slots, free text)."""


class FirstSets:
    """Which tokens each node can start with, and whether it can match nothing.

    ``slot_first`` gives, per slot list, the tokens its values can start with (or
    ANY). With these, alternatives that cannot start at the current token are never
    tried, which is what keeps matching fast with hundreds of templates and devices.
    """

    def __init__(self, slot_first: dict[str, frozenset[str] | None]) -> None:
        self.slot_first = slot_first
        self.info: dict[int, tuple[frozenset[str] | None, bool]] = {}
        self._keep: list[Node] = []
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        for words in slot_first.values():
            if words is not None:
                self._one(words)

    def of(self, node: Node) -> tuple[frozenset[str] | None, bool]:
        key = id(node)
        got = self.info.get(key)
        if got is not None:
            return got
        if isinstance(node, Word):
            got = (self._one(frozenset((node.text,))), False)
        elif isinstance(node, Slot):
            words = self.slot_first.get(node.list_name, ANY)
            got = (ANY if words is ANY else self._one(words), False)
        elif isinstance(node, (Seq, Alt)):
            union: set[str] = set()
            anything = False
            if isinstance(node, Seq):
                nullable = True
                for item in node.items:
                    f, n = self.of(item)
                    if f is ANY:
                        anything = True
                    else:
                        union |= f
                    if not n:
                        nullable = False
                        break
            else:
                nullable = node.optional
                for option in node.options:
                    f, n = self.of(option)
                    if f is ANY:
                        anything = True
                    else:
                        union |= f
                    nullable = nullable or n
            got = (ANY if anything else self._one(frozenset(union)), nullable)
        else:
            raise TemplateSyntaxError(f"unexpanded rule {node!r}")
        self.info[key] = got
        self._keep.append(node)  # ids stay valid while the tree lives
        return got

    def _one(self, words: frozenset[str]) -> frozenset[str]:
        """One object per distinct set: most nodes start with the same few sets of words."""
        return self._sets.setdefault(words, words)


class Matcher:
    """Matches one token sequence against template trees."""

    __slots__ = ("toks", "n", "numeric", "slots", "info", "first_of")

    def __init__(self, toks: tuple[str, ...], slots: dict[str, SlotMatcher], first: FirstSets) -> None:
        self.toks = toks
        self.n = len(toks)
        self.numeric = tuple(NUM if _is_num(t) else t for t in toks)
        self.slots = slots
        self.info = first.info
        self.first_of = first.of

    def can_start(self, node: Node, pos: int) -> bool:
        f, nullable = self.info.get(id(node)) or self.first_of(node)
        if nullable or f is ANY:
            return True
        return pos < self.n and (self.toks[pos] in f or self.numeric[pos] in f)

    def match(self, node: Node) -> Iterator[tuple[Captures, int]]:
        """Yield ``(captures, literal_words)`` for every way ``node`` covers all tokens."""
        n = self.n
        for end, caps, lits in self._match(node, 0, (), 0):
            if end == n:
                yield caps, lits

    def _match(self, node: Node, pos: int, caps: Captures, lits: int) -> Iterator[tuple[int, Captures, int]]:
        if isinstance(node, Word):
            if pos < self.n and self.toks[pos] == node.text:
                yield pos + 1, caps, lits + 1
        elif isinstance(node, Seq):
            yield from self._seq(node.items, 0, pos, caps, lits)
        elif isinstance(node, Alt):
            if node.optional:
                yield pos, caps, lits
            info = self.info
            for option in node.options:
                f, nullable = info[id(option)]
                if nullable or f is ANY or (pos < self.n and (self.toks[pos] in f or self.numeric[pos] in f)):
                    yield from self._match(option, pos, caps, lits)
        elif isinstance(node, Slot):
            if pos >= self.n:
                return
            for end, value, score in self.slots[node.list_name](self.toks, pos):
                yield end, caps + ((node.name, value, score, pos, end),), lits

    def _seq(self, items: tuple[Node, ...], i: int, pos: int, caps: Captures,
             lits: int) -> Iterator[tuple[int, Captures, int]]:
        if i == len(items):
            yield pos, caps, lits
            return
        item = items[i]
        if isinstance(item, Word):  # fast path: most items are words
            if pos < self.n and self.toks[pos] == item.text:
                yield from self._seq(items, i + 1, pos + 1, caps, lits + 1)
            return
        for p, c, l in self._match(item, pos, caps, lits):
            yield from self._seq(items, i + 1, p, c, l)


def _is_num(token: str) -> bool:
    from ..normalize import is_number
    return is_number(token)


def match(node: Node, toks: tuple[str, ...], slots: dict[str, SlotMatcher],
          first: FirstSets | None = None) -> Iterator[tuple[Captures, int]]:
    """Every way ``node`` covers all of ``toks``: ``(captures, literal_words)``."""
    first = first or FirstSets({})
    first.of(node)
    _prime(node, first)
    return Matcher(toks, slots, first).match(node)


def _prime(node: Node, first: FirstSets) -> None:
    """Compute FIRST sets for every sub-node (the matcher looks them up by id)."""
    first.of(node)
    if isinstance(node, Seq):
        for item in node.items:
            _prime(item, first)
    elif isinstance(node, Alt):
        for option in node.options:
            _prime(option, first)


prime = _prime
