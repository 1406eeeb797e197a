"""Sentence templates read against the home: the deterministic understander (the small
model, :mod:`agent.slm`, reads what they miss; :func:`agent.engine.build_understander`
puts the two together).

:class:`TemplateEngine` is deterministic and fast: pre-filter sentences by the words
they require, match, resolve each reading against the home, keep the best. An exact
pass runs first; a fuzzy pass (misheard names) only when nothing matched exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..errors import ConfigError
from ..messages import Intent
from ..normalize import FILLERS, is_number, tokens
from .bare_verb import Activity, BareReading, settle
from .intents import IntentSet, load_intents
from .question import asks_how_things_are
from .registry import DeviceRef, Registry
from .resolve import TARGET_SLOTS, needs_targets, resolve
from .stage import check_text
from .templates import NUM, Alt, FirstSets, Matcher, Seq, Word, prime

MAX_READINGS = 64
"""Readings tried per sentence template before moving on."""


PRONOUNS = {("it",): 1, ("them",): 1, ("that",): 1, ("those",): 1, ("this",): 1, ("these",): 1,
            ("they",): 1, ("that", "one"): 2, ("this", "one"): 2, ("those", "ones"): 2, ("these", "ones"): 2}
"""Words that point back at the last command's devices (only when a conversation is open)."""


@dataclass(frozen=True, slots=True)
class Parse:
    """One template reading of a token sequence, with where its target was said."""

    intent: Intent
    span: tuple[int, int] | None = None
    """Token span of the words naming the target (device, area, kind, a pronoun...); None if none."""


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
        self._first_ref: dict[bool, FirstSets] | None = None
        self.known = known_words(self)
        self.names = self._names(config.understanding.names)
        self._best_alone = False
        self.activity: Activity | None = None
        """What each device is doing (device id -> state word), for a bare "stop"; the
        daemon sets it from the state topics."""

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
        got = self.parse(toks, text, area).intent
        if got.understood and got.confidence < 1.0 and got.name != "get_state" and \
                asks_how_things_are(toks, self.config.language):
            # "is the floor lamp blue" read loosely as "(make) the floor lamp blue": a question
            return Intent(text, None, confidence=got.confidence, reason=(
                f"a question about how things are, not a command (it matched {got.name.replace('_', ' ')} "
                "only loosely)"))
        return got

    def parse(self, toks: tuple[str, ...], text: str, area: str | None = None, *,
              ref: DeviceRef | None = None, fuzzy: bool = True) -> Parse:
        """Read ``toks`` (already normalised). ``ref``: the devices "it"/"them" mean and that a
        sentence naming no target falls back to (the conversation's last command); ``fuzzy``:
        allow the misheard-name pass."""
        speaker_area = area if area is not None else self.config.area
        if not toks:
            return Parse(Intent(text, None, reason="nothing to understand"))
        words = set(toks)
        candidates = [s for s in self.sentences if s.min_len <= len(toks) and s.required <= words]
        starts = {toks[0], NUM if is_number(toks[0]) else toks[0]}
        info = self._first_sets(ref)[0].info
        exact = [s for s in candidates if _may_start(info[id(s.tree)], starts)]
        bare: list[BareReading] = []
        best, why, readings = self._best(exact, toks, speaker_area, fuzzy=False, ref=ref, bare=bare)
        if best is None and not readings and fuzzy and self.registry.fuzzy_cutoff < 1.0:
            # Only when no sentence fits the words at all: a home that lacks what was
            # named exactly ("the kitchen fans") must say so, not reach for a look-alike.
            best, why, _ = self._best(candidates, toks, speaker_area, fuzzy=True)
        if best is None:
            return Parse(Intent(text, None, reason=why or "no sentence matched"))
        name, targets, slots, score, span = best
        if bare and self._best_alone:
            # a verb alone ("stop"): the device that is doing something, or a question
            names = {d.id: d.name for d in self.config.devices}
            settled = settle(bare, self.activity, names)
            if isinstance(settled, str):
                return Parse(Intent(text, None, reason=settled))
            name, targets, slots = settled
        return Parse(Intent(text, name, targets, slots, "template", round(score, 3)), span)

    def prepare_refs(self) -> None:
        """Build what reading "it" / "them" needs now rather than on the first follow-up."""
        self._first_sets(DeviceRef("it", ()))

    def _first_sets(self, ref: DeviceRef | None) -> dict[bool, FirstSets]:
        if ref is None:
            return self._first
        if self._first_ref is None:  # built on the first follow-up: pronouns may start a device
            extra = frozenset(p[0] for p in PRONOUNS)
            slot_first = dict(self.registry.slot_first(False))
            for key in ("device", "name"):
                slot_first[key] = slot_first[key] | extra if slot_first[key] is not None else None
            first = FirstSets(slot_first)
            for sentence in self.sentences:
                prime(sentence.tree, first)
            self._first_ref = {False: first, True: self._first[True]}
        return self._first_ref

    def _best(self, candidates, toks, speaker_area, *, fuzzy: bool, ref: DeviceRef | None = None,
              bare: list | None = None):
        slots = self.registry.matchers(fuzzy)
        if ref is not None:
            slots = {**slots, "device": _with_ref(slots["device"], ref), "name": _with_ref(slots["name"], ref)}
        matcher = Matcher(toks, slots, self._first_sets(ref)[fuzzy])
        best_key = None
        best = None
        why = ""
        readings = 0
        self._best_alone = False
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
                alone = not any(k in TARGET_SLOTS for k in values) and needs_targets(sentence.intent, spec)
                if bare is not None and alone:
                    self._bare(bare, sentence, spec, values, speaker_area)
                # a reading whose device phrase could also be read as a kind of device is weaker
                named = sum(1 for c in caps if isinstance(c[1], DeviceRef))
                said = [c for c in caps if c[0] in TARGET_SLOTS and c[0] != "measure"]
                key = (score, literals, named, -sentence.order)
                if ref is not None:
                    # in a conversation: "it" beats any other reading, a named target beats
                    # none (only a sentence naming nothing falls back to the last devices)
                    key = (2 if any(c[1] is ref for c in said) else 1 if said else 0,) + key
                if best_key is not None and key <= best_key:
                    continue
                res = None
                if ref is not None and not said:
                    # "brighter", "stop": the last command's devices, when the sentence's
                    # own kind of device covers them
                    kinds = sentence.types or (spec.kinds if spec and spec.kinds else ("*",))
                    res = resolve(self.registry, sentence.intent, spec,
                                  {"kind": kinds, **values, "device": ref}, speaker_area, sentence.types)
                    res = None if res.error else res
                followed = res is not None  # the conversation's last devices, not a bare verb
                if res is None:
                    res = resolve(self.registry, sentence.intent, spec, values, speaker_area, sentence.types)
                if res.error:
                    why = why or res.error
                    continue
                best_key = key
                span = (min(c[3] for c in said), max(c[4] for c in said)) if said else None
                best = (res.intent, res.targets, res.slots, score, span)
                self._best_alone = alone and not followed
        return best, why, readings

    def _bare(self, bare: list, sentence, spec, values: dict, speaker_area: str | None) -> None:
        """Record a reading that names no device, room or kind, over the whole home."""
        home = resolve(self.registry, sentence.intent, spec, {**values, "scope": "home"},
                       speaker_area, sentence.types)
        local = resolve(self.registry, sentence.intent, spec, values, speaker_area, sentence.types)
        if not home.error and not local.error and all(r.intent != home.intent for r in bare):
            bare.append(BareReading(home.intent, home.targets, home.slots, local.targets))


def _with_ref(base, ref: DeviceRef):
    """A device matcher that also reads a pronoun as ``ref``."""
    def match(toks: tuple[str, ...], start: int) -> list[tuple[int, object, float]]:
        out = base(toks, start)
        for length in (1, 2):
            if PRONOUNS.get(toks[start:start + length]) == length:
                out.append((start + length, ref, 1.0))
        return out
    return match


def _may_start(info, starts) -> bool:
    first, nullable = info
    return nullable or first is None or not first.isdisjoint(starts)


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
                  reg.measure_index, reg.color_index, reg.unit_index, reg.source_index, *reg.list_indexes.values()):
        for phrase in index.phrases:
            words.update(phrase)
    return frozenset(words)
