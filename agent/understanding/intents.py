"""Intent files (``intents/*.yaml``): rules, slot lists and intents with their sentences.

Format::

    language: en
    rules:                       # reusable template fragments, used as <name>
      turn: "(turn|switch|power)"
    lists:                       # slot lists, used as {name}
      speed:
        values:
          - low                  # spoken form is the canonical value
          - {in: "(high|fast|full)", out: high}
      shots:
        range: {from: 1, to: 4}  # numbers
    intents:
      turn_on:
        kinds: [light, switch]   # what "turn on" means when no device is named
        data:
          - sentences: ["<turn> on {target}", ...]
            slots: {state: on}   # fixed slot values added to every match
            types: [light]       # optional: only these device types (e.g. "roll down"
                                 # closes a blind but opens a car window)
      orderDrink:                # a user's own intent: no device, an action of its own
        targets: none
        data: [{sentences: ["I (want|would like) [a] {coffeeDrink}"]}]
        action: {topic: "cafe/order", payload: "{coffeeDrink}"}

Everything is validated when loaded; problems are reported together with file and line.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Reader, suggest
from ..devices import TYPES
from ..errors import ConfigError
from .templates import (Alt, Node, Seq, TemplateSyntaxError, Word, expand_rules, min_length,
                        parse_template, required_words, share, slot_refs)
from ..yamlsrc import load_yaml

BUILTIN_SLOTS = ("integer", "number", "percentage", "temperature", "color", "duration", "device",
                 "area", "floor", "kind", "state", "measure", "temperature_unit", "name", "source")


@dataclass(frozen=True, slots=True)
class SlotList:
    name: str
    values: tuple[tuple[tuple[str, ...], Any], ...] = ()
    """(spoken tokens, canonical value) pairs."""
    number_range: tuple[float, float, float] | None = None
    """(from, to, step) for numeric lists."""


@dataclass(frozen=True, slots=True)
class Sentence:
    intent: str
    tree: Node
    required: frozenset[str]
    min_len: int
    fixed: dict[str, Any]
    types: tuple[str, ...]
    """Device types these sentences may act on (empty: any type that supports the intent)."""
    source: str
    """``file:line`` of the template, for error messages and ``eval`` output."""
    order: int


@dataclass(frozen=True, slots=True)
class IntentSpec:
    name: str
    kinds: tuple[str, ...] = ()
    targets: str = "auto"
    """``required`` (acts on devices), ``none`` (no device), ``auto``."""
    action: dict[str, Any] | None = None
    types: tuple[str, ...] = ()
    """Device types a user-defined intent may act on."""


@dataclass(frozen=True, slots=True)
class ReplySource:
    """A ``replies:`` mapping as written: at the top of a file (general) or under an intent."""

    language: str
    intent: str | None
    """None for the file's general replies."""
    entries: dict[str, Any]
    """Key -> a template string or a list of variants (checked by :mod:`agent.voice.replies`)."""
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class IntentSet:
    sentences: tuple[Sentence, ...]
    lists: dict[str, SlotList]
    intents: dict[str, IntentSpec]
    files: tuple[Path, ...] = field(default=())
    replies: tuple[ReplySource, ...] = field(default=())
    """What the agent says, in file order (a later file's entry overrides an earlier one)."""

    @property
    def template_count(self) -> int:
        return len(self.sentences)


def expand(node: Node, limit: int = 2000) -> list[tuple[str, ...]]:
    """All word sequences of a slot-free tree (for list values)."""
    if isinstance(node, Word):
        return [(node.text,)]
    if isinstance(node, Seq):
        out: list[tuple[str, ...]] = [()]
        for item in node.items:
            parts = expand(item, limit)
            out = [a + b for a, b in itertools.product(out, parts)][:limit]
        return out
    if isinstance(node, Alt):
        out = [()] if node.optional else []
        for option in node.options:
            out.extend(expand(option, limit))
        return out[:limit]
    raise TemplateSyntaxError("slots and rules are not allowed in list values")


def load_intents(paths: tuple[Path, ...] | list[Path]) -> IntentSet:
    """Load and compile intent files; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    rules_src: dict[str, tuple[str, Reader, str]] = {}
    lists: dict[str, SlotList] = {}
    specs: dict[str, IntentSpec] = {}
    raw_sentences: list[tuple[str, str, dict, tuple[str, ...], Reader, str]] = []
    replies: list[ReplySource] = []

    docs = []
    for path in paths:
        try:
            data = load_yaml(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        docs.append((path, Reader(data, "", problems, str(path), 1)))

    for path, r in docs:
        language = r.get("language", str, "en") or "en"
        _read_replies(r, language, None, replies)
        rr = r.sub("rules")
        for name, value in rr.node.items():
            rr.used.add(name)
            if not isinstance(value, str):
                rr.problem("a rule is one template string", name)
                continue
            rules_src[name] = (value, rr, name)
        lr = r.sub("lists")
        for name in list(lr.node):
            sl = lr.sub(name)
            lists[name] = _read_list(name, sl)
            sl.done()

    rules: dict[str, Node] = {}
    for name, (text, rr, key) in rules_src.items():
        try:
            rules[name] = parse_template(text)
        except TemplateSyntaxError as exc:
            rr.problem(f"template syntax error: {exc}", key)

    order = 0
    for path, r in docs:
        language = r.get("language", str, "en") or "en"
        ir = r.sub("intents")
        for name in list(ir.node):
            spec_r = ir.sub(name)
            node = spec_r.node
            if isinstance(node, list):  # short form: intent: [ {sentences: [...]}, ... ]
                spec_r = Reader({"data": node}, spec_r.path, problems, spec_r.file, spec_r.line)
            _read_replies(spec_r, language, name, replies)
            kinds = spec_r.strings("kinds")
            for k in kinds:
                t = k.split(":")[0]
                if t != "*" and t not in TYPES:
                    spec_r.problem(f"unknown device type {t!r} in kind {k!r}{suggest(t, TYPES)}", "kinds")
            types = spec_r.strings("types")
            for t in types:
                if t not in TYPES:
                    spec_r.problem(f"unknown device type {t!r}{suggest(t, TYPES)}", "types")
            targets = spec_r.get("targets", str, "auto", choices=("auto", "required", "none"))
            action = spec_r.get("action", dict, None)
            if action is not None and not isinstance(action.get("topic"), str):
                spec_r.problem("an action needs a 'topic' string", "action")
            if name in specs:
                prev = specs[name]
                kinds = tuple(dict.fromkeys(prev.kinds + kinds))
                types = tuple(dict.fromkeys(prev.types + types))
                action = action or prev.action
            specs[name] = IntentSpec(name, tuple(kinds), targets or "auto", action, tuple(types))
            for group in spec_r.items("data"):
                fixed = group.get("slots", dict, {})
                group_types = group.strings("types")
                for t in group_types:
                    if t not in TYPES:
                        group.problem(f"unknown device type {t!r}{suggest(t, TYPES)}", "types")
                sents = group.get("sentences", list, [])
                for i, text in enumerate(sents or []):
                    line = sents.line_of(i) if hasattr(sents, "line_of") else group.line
                    src = f"{group.file}:{line}"
                    if not isinstance(text, str):
                        problems.append(f"{src}: {group.path}.sentences[{i}]: expected a template string")
                        continue
                    raw_sentences.append((name, text, dict(fixed or {}), group_types, group, src))
                group.done()
            spec_r.done()
        r.done()

    sentences: list[Sentence] = []
    shared: dict[tuple, Node] = {}
    for name, text, fixed, group_types, group, src in raw_sentences:
        try:
            tree = share(expand_rules(parse_template(text), rules), shared)
        except TemplateSyntaxError as exc:
            problems.append(f"{src}: intents.{name}: template syntax error: {exc}")
            continue
        for slot in slot_refs(tree):
            if slot.list_name not in lists and slot.list_name not in BUILTIN_SLOTS:
                problems.append(
                    f"{src}: intents.{name}: unknown slot list {{{slot.list_name}}}"
                    f"{suggest(slot.list_name, list(lists) + list(BUILTIN_SLOTS))}; "
                    "define it under 'lists'")
        sentences.append(Sentence(name, tree, required_words(tree), min_length(tree), fixed,
                                  group_types, src, order))
        order += 1

    if problems:
        raise ConfigError(problems)
    return IntentSet(tuple(sentences), lists, specs, tuple(paths), tuple(replies))


def _read_replies(r: Reader, language: str, intent: str | None, out: list[ReplySource]) -> None:
    node = r.get("replies", dict, None)
    if node:
        line = node.line_of(next(iter(node))) if hasattr(node, "line_of") else r.line
        out.append(ReplySource(language, intent, node, r.file, line))


def _read_list(name: str, r: Reader) -> SlotList:
    if r.has("range"):
        rg = r.sub("range")
        lo = rg.get("from", float, 0.0)
        hi = rg.get("to", float, 100.0)
        step = rg.get("step", float, 1.0, minimum=1e-9)
        rg.done()
        return SlotList(name, (), (lo or 0.0, hi if hi is not None else 100.0, step or 1.0))
    raw = r.get("values", list, [])
    values: list[tuple[tuple[str, ...], Any]] = []
    for i, item in enumerate(raw or []):
        line = raw.line_of(i) if hasattr(raw, "line_of") else r.line
        where = f"{r.file}:{line}: {r.path}.values[{i}]"
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            spoken, out = str(item), item
        elif isinstance(item, dict) and "in" in item:
            spoken, out = str(item["in"]), item.get("out", item["in"])
            extra = set(item) - {"in", "out"}
            if extra:
                r.problems.append(f"{where}: unknown key '{sorted(extra)[0]}'; use 'in' and 'out'")
        else:
            r.problems.append(f"{where}: expected a string or {{in: ..., out: ...}}")
            continue
        try:
            forms = expand(parse_template(spoken))
        except TemplateSyntaxError as exc:
            r.problems.append(f"{where}: {exc}")
            continue
        for form in forms:
            if form:
                values.append((form, out))
    if not values:
        r.problem("a list needs 'values' (or a numeric 'range')")
    return SlotList(name, tuple(values))
