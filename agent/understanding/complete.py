"""Is what has been heard so far a finished command? Decided from the grammar.

The endpointer asks this after a short pause, so that a command nothing could add to
is acted on at once instead of after the full trailing silence. A transcript is
*complete* when

1. the sentence templates understand it exactly as heard (no fuzzy name, no snapping
   to a nearby sentence, no language model): that is the command that would be done;
2. and no template could carry on from it into a *different* command. Every way a
   template can read the whole transcript as its beginning is followed to what the
   template still allows after it (its remainder), and the continuation matters when

   * the template belongs to another intent ("turn on the fan" ... "to 50 percent",
     where such a sentence exists);
   * the transcript ends inside a value that could go on: a longer name ("the
     kitchen" ... "light"), or a number ("twenty" ... "five");
   * the remainder holds a slot whose values cannot be listed (a number, a duration);
   * or some value of a listed slot in the remainder (an area, a floor, a device, a
     colour, a list of your own) resolves, with what was already heard, to other
     devices or other slot values than the command heard ("turn on the lights" ...
     "in the bedroom").

   A remainder of literal words only ("... please", "... now"), or of a slot that can
   only repeat or contradict what was said ("turn on the reading lamp" ... "in the
   living room"; "21 degrees" ... "celsius" to a Celsius thermostat), does not matter;
   nor does a continuation whose sentence does not apply to what was named: "turn on
   the kitchen light" ... "to 21" through a temperature sentence (the understanding
   would read the number as a brightness only because a light has no temperature).

Nothing here is a list of words: the same rule holds for any intent file. It is
conservative by construction (when in doubt, wait), and a transcript it calls
complete is exactly what the normal endpointer would have acted on had the user
stopped there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..messages import Intent
from .intents import Sentence
from .registry import DeviceRef, PhraseIndex
from .resolve import resolve
from .template_engine import TemplateEngine
from .templates import ANY, NUM, Alt, FirstSets, Node, Seq, Slot, Word, prime, slot_refs

MAX_STATES = 200
"""Prefix readings followed per template; past this the answer is "wait" (undecided)."""



@dataclass(frozen=True, slots=True)
class Verdict:
    complete: bool
    why: str
    """Why not (or ``complete``), for the ``heard`` event and ``voice-agent listen``."""
    intent: Intent | None = None


@dataclass(frozen=True, slots=True)
class _State:
    """The transcript read as the beginning of one template."""

    caps: tuple[tuple[str, object], ...]
    rest: tuple[Node, ...]
    """What the template still allows after the last word heard."""
    open_slot: tuple[str, str] | None = None
    """(list, slot name) whose value the last words began but may not have finished ..."""
    longer: tuple = ()
    """... and the values it would have if it went on (empty: values that cannot be listed);"""
    current: tuple = ()
    """... the values the words already make (a name that is also the start of a longer one)."""


class Completion:
    """Answers :meth:`check` for one home's templates (built once, pure afterwards)."""

    def __init__(self, engine: TemplateEngine, area: str | None = None) -> None:
        self.engine = engine
        self.area = area if area is not None else engine.config.area
        self.registry = engine.registry
        self.first = FirstSets(self.registry.slot_first(False))
        for sentence in engine.sentences:
            prime(sentence.tree, self.first)
        self.matchers = self.registry.matchers(False)
        self._indexes = self._listable()
        self._values = {name: _distinct(index, name) for name, index in self._indexes.items()}
        self._cache: dict[tuple[str, ...], Verdict] = {}
        self._outcomes: dict[tuple, tuple | None] = {}

    def _listable(self) -> dict[str, PhraseIndex]:
        r = self.registry
        out = {"device": r.device_index, "name": r.device_index, "area": r.area_index, "floor": r.floor_index,
               "kind": r.kind_index, "state": r.state_index, "measure": r.measure_index,
               "color": r.color_index, "temperature_unit": r.unit_index, "source": r.source_index}
        out.update(r.list_indexes)
        return out

    # ------------------------------------------------------------------ the rule
    def check(self, text: str) -> Verdict:
        toks = self.engine.words(text)
        if not toks:
            return Verdict(False, "nothing heard")
        cached = self._cache.get(toks)
        if cached is None:
            cached = self._check(text, toks)
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[toks] = cached
        return cached

    def _check(self, text: str, toks: tuple[str, ...]) -> Verdict:
        intent = self.engine.understand(text, area=self.area)
        if not intent.understood:
            return Verdict(False, "not understood yet")
        if intent.engine != "template" or intent.confidence < 1.0:
            return Verdict(False, "understood only approximately", intent)
        heard = self._effect(intent.name, tuple(intent.targets), intent.slots)
        for sentence in self.engine.sentences:
            if not self._may_start(sentence.tree, toks[0]):
                continue
            n = 0
            for state in self._prefixes(sentence.tree, toks):
                n += 1
                if n > MAX_STATES:
                    return Verdict(False, f"too many ways to go on ({sentence.source})", intent)
                why = self._matters(sentence, state, heard)
                if why:
                    return Verdict(False, f"{why} ({sentence.source})", intent)
        return Verdict(True, "complete", intent)

    def _matters(self, sentence: Sentence, state: _State, heard: tuple) -> str:
        """Why carrying on from ``state`` could make another command ('' if it cannot)."""
        values = dict(sentence.fixed)
        for name, value in state.caps:
            if name in values and values[name] != value and name not in sentence.fixed:
                return ""  # a reading with two values for one slot is never taken
            values[name] = value
        base = self._outcome(sentence, values)
        could_end = all(self.first.of(node)[1] for node in state.rest)
        if could_end and state.open_slot is None and base is not None and base != heard:
            return ""  # a reading the templates passed over for these words stays passed over
        if could_end and state.current:
            now = [o for v in state.current if (o := self._outcome(sentence, {**values, state.open_slot[1]: v}))]
            if now and heard not in now:
                return ""  # ... also when its last name could have gone on
        # in the template's order: the first slot that could follow is the one named in ``why``
        rest_slots = list(dict.fromkeys((s.list_name, s.name) for node in state.rest for s in slot_refs(node)))
        if state.open_slot is not None:
            list_name, name = state.open_slot
            if self._changes(sentence, values, list_name, name, heard, longer=state.longer):
                return f"the {name} could go on"
            # the name, once finished, may be followed by more of the template
            for value in state.longer:
                if self._follows(sentence, {**values, name: value}, rest_slots, heard):
                    return f"the {name} could go on, then more"
            return ""
        why = self._follows(sentence, values, rest_slots, heard)
        if why:
            return why
        if base is not None and base != heard:
            return f"words could follow ({base[0]})"
        return ""

    def _follows(self, sentence: Sentence, values: dict[str, Any], slots: list[tuple[str, str]],
                 heard: tuple) -> str:
        for list_name, name in slots:
            if name not in values and self._changes(sentence, values, list_name, name, heard):
                return f"a {name} could follow" + ("" if sentence.intent == heard[0] else f" ({sentence.intent})")
        return ""

    def _changes(self, sentence: Sentence, values: dict[str, Any], list_name: str, name: str, heard: tuple,
                 longer: tuple = ()) -> bool:
        """Could a value of ``list_name`` in slot ``name`` make a command other than ``heard``?"""
        if longer:
            candidates: Any = longer
        elif list_name in self._values:
            candidates = self._values[list_name]
        else:
            candidates = self._numbers(list_name)
        for value in candidates:
            outcome = self._outcome(sentence, {**values, name: value}, heard)
            if outcome is not None and outcome != heard:
                return True
        return False

    def _numbers(self, list_name: str) -> tuple[float, ...]:
        """Numbers standing for "some number" in slots whose values cannot be listed."""
        spec = self.engine.intents.lists.get(list_name)
        if spec is not None and spec.number_range:
            lo, hi, _ = spec.number_range
            return (lo, hi)
        return {"temperature": (21,), "duration": (60, 600)}.get(list_name, (1, 50))

    def _outcome(self, sentence: Sentence, values: dict[str, Any], heard: tuple | None = None) -> tuple | None:
        """(intent, targets, slots) the reading resolves to, None when it resolves to nothing.

        Given the command ``heard`` (the reading is a continuation of it), a reading that
        resolves only because its number was taken as another intent's (the kitchen
        light has no temperature: "turn on the kitchen light ... to 21" through a
        temperature sentence) counts as nothing, unless ``heard`` is already a command of
        that other intent ("set the tv to 2" ... "0", a volume): the sentence continued
        does not apply to what was named."""
        key = (sentence.intent, sentence.types, _frozen(values))
        if key not in self._outcomes:
            spec = self.engine.intents.intents.get(sentence.intent)
            res = resolve(self.registry, sentence.intent, spec, values, self.area, sentence.types)
            self._outcomes[key] = None if res.error else \
                (self._effect(res.intent, tuple(res.targets), res.slots), bool(res.retold))
            if len(self._outcomes) > 20000:
                self._outcomes.clear()
        got = self._outcomes[key]
        if got is None:
            return None
        outcome, retold = got
        if retold and heard is not None and outcome[0] != heard[0]:
            return None
        return outcome

    def _effect(self, intent: str, targets: tuple[str, ...], slots: dict[str, Any]) -> tuple:
        """A command as what it does: a temperature unit that is every target's own unit
        changes nothing ("21 degrees" and "21 degrees celsius" to a Celsius thermostat)."""
        unit = slots.get("temperature_unit")
        if unit and targets and all(getattr(self.registry.devices.get(t), "unit", None) == unit for t in targets):
            slots = {k: v for k, v in slots.items() if k != "temperature_unit"}
        return (intent, targets, _frozen(slots))

    # ------------------------------------------------------------------ prefix readings
    def _may_start(self, node: Node, tok: str) -> bool:
        first, nullable = self.first.of(node)
        return nullable or first is ANY or tok in first or (NUM in first and _is_num(tok))

    def _prefixes(self, tree: Node, toks: tuple[str, ...]) -> Iterator[_State]:
        """Every way ``tree`` reads all of ``toks`` and can still go on."""
        n = len(toks)
        info = self.first.info
        matchers = self.matchers

        def walk(items: tuple[Node, ...], pos: int, caps: tuple) -> Iterator[_State]:
            if pos == n:
                if any(self._says_something(i) for i in items):
                    yield _State(caps, items)
                return
            if not items:
                return
            head, rest = items[0], items[1:]
            if isinstance(head, Word):
                if toks[pos] == head.text:
                    yield from walk(rest, pos + 1, caps)
            elif isinstance(head, Seq):
                yield from walk(head.items + rest, pos, caps)
            elif isinstance(head, Alt):
                if head.optional:
                    yield from walk(rest, pos, caps)
                for option in head.options:
                    first, nullable = info[id(option)]
                    if nullable or first is ANY or toks[pos] in first or (NUM in first and _is_num(toks[pos])):
                        yield from walk((option,) + rest, pos, caps)
            elif isinstance(head, Slot):
                slot = (head.list_name, head.name)
                matches = matchers[head.list_name](toks, pos)
                for end, value, _ in matches:
                    if end == n and head.list_name not in self._indexes and _is_num(toks[-1]):
                        # "twenty" ... "five"; but "20 percent" and "5 minutes" are said
                        yield _State(caps + ((head.name, value),), rest, open_slot=slot)
                    yield from walk(rest, end, caps + ((head.name, value),))
                longer = self._longer(head.list_name, toks[pos:])
                if longer:
                    current = tuple(value for end, value, _ in matches if end == n)
                    yield _State(caps, rest, open_slot=slot, longer=longer, current=current)

        yield from walk((tree,), 0, ())

    def _says_something(self, node: Node) -> bool:
        first, _ = self.first.of(node)
        return first is ANY or bool(first)

    def _longer(self, list_name: str, said: tuple[str, ...]) -> tuple:
        """Values of ``list_name`` whose phrase begins with ``said`` and goes on."""
        index = self._indexes.get(list_name)
        if index is None:
            return ()
        out = []
        for phrase, values in index.by_first.get(said[0], ()):
            if len(phrase) > len(said) and phrase[:len(said)] == said:
                out += [DeviceRef(" ".join(phrase), values)] if list_name in ("device", "name") else list(values)
        return tuple(out)


def _distinct(index: PhraseIndex, list_name: str) -> tuple:
    """Each value of a slot list once (a device: each set of devices a name can mean)."""
    if list_name in ("device", "name"):
        return tuple({ids: DeviceRef(" ".join(phrase), ids) for phrase, ids in index.phrases.items()}.values())
    return tuple(dict.fromkeys(v for values in index.phrases.values() for v in values))


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_frozen(v) for v in value)
    return value


def _is_num(token: str) -> bool:
    from ..normalize import is_number
    return is_number(token)
